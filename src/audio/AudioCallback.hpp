#pragma once
// The one real-time entry point a driver calls. Implemented by the dual-slot engine; drivers know
// nothing else about it. Links no Qt.

#include <cstdint>

namespace chronus::audio {

struct CallbackInfo {
    int frames = 0;          // frames in this callback (the device decides; may change between calls)
    double sampleRate = 0.0; // the stream's rate
    bool xrun = false;       // the device reported an output underflow before this callback
    std::uint64_t framePosition = 0; // frames delivered before this callback, since the stream started
    // The `frames` interleaved stereo frames captured in this callback (a duplex stream); null when
    // the stream has no input.
    const float* input = nullptr;
};

class AudioCallback {
public:
    virtual ~AudioCallback() = default;
    // Audio thread only. RT-safe: no allocation, locks, waits, I/O, logging or exceptions.
    // Writes `info.frames` interleaved stereo frames into `out`.
    virtual void process(float* out, const CallbackInfo& info) noexcept = 0;
};

} // namespace chronus::audio
