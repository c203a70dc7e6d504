#pragma once
// AudioDriver: what calls AudioCallback::process, when, and with how many frames. Implemented by
// RtAudioDriver (JACK, PulseAudio, ALSA) and NullDriver (no device, a steady clock). Links no Qt.
//
// Lifecycle, all on the control thread: open(config) acquires the device and settles the format
// the device actually gives (rate, block, latency: readable before any audio runs, so the engine
// can prepare for them); start(callback) begins the callbacks; stop() ends them and releases the
// device. start(callback, config) does both steps. Errors come back as a Status, never as an
// exception.

#include "audio/AudioCallback.hpp"
#include "engine/Status.hpp"

#include <atomic>
#include <cstdint>
#include <string>

namespace chronus::audio {

// Device failures (no server, no device, stream refused) carry their own code.
inline constexpr engine::ErrorCode kDeviceError = engine::ErrorCode::Device;

// What the caller asks for. The device may give something else (JACK imposes the server's rate
// and period); the driver reports what it got through sampleRate(), blockSize() and notice().
struct DriverConfig {
    double sampleRate = 48000.0;  // 0 = the device's preferred rate
    int blockSize = 256;          // frames per callback requested; 0 = the device's choice
    std::string device;           // "" = default output; a decimal index; or (part of) a device name
    bool realtime = true;         // ask for real-time scheduling of the audio thread
    int realtimePriority = 70;    // SCHED_FIFO / SCHED_RR priority when realtime is asked for
    std::string clientName = "chronus"; // JACK client name, PulseAudio stream name
    // Open the device's capture channels too (a duplex stream: JACK input ports "inport 0" and
    // "inport 1"), for audio_in. Without it no capture stream is opened. The null driver has none.
    bool input = false;
};

enum class RealtimeState {
    Unknown, // no callback has run yet
    Granted, // the audio thread runs under SCHED_FIFO or SCHED_RR
    Denied,  // the audio thread runs under a time-sharing policy
};

struct RealtimeStatus {
    RealtimeState state = RealtimeState::Unknown;
    int priority = 0; // the real-time priority when Granted
};

class AudioDriver {
public:
    virtual ~AudioDriver() = default;
    AudioDriver(const AudioDriver&) = delete;
    AudioDriver& operator=(const AudioDriver&) = delete;

    // Control thread only. Acquires the device and settles the stream format. No callback runs
    // yet. Fails when already open.
    engine::Status open(const DriverConfig& config);
    // Control thread only. Starts calling callback.process on the audio thread. Requires open();
    // `callback` must stay alive until stop() returns.
    engine::Status start(AudioCallback& callback);
    // Control thread only. open(config), then start(callback); on failure nothing stays open.
    engine::Status start(AudioCallback& callback, const DriverConfig& config);
    // Control thread only. Stops the callbacks and releases the device. When it returns, the
    // audio thread has left process() for good: no call is in progress and none will follow.
    // Safe to call when not open.
    void stop() noexcept;

    // Control thread only.
    bool isOpen() const noexcept { return m_open; }
    bool isRunning() const noexcept { return m_running && deviceRunning(); }
    // "jack", "pulse", "alsa" or "null" once open (an RtAudioDriver asked for "auto" reports the
    // API it opened).
    virtual std::string name() const = 0;
    // What the device gave; valid while open.
    double sampleRate() const noexcept { return m_sampleRate; }
    int blockSize() const noexcept { return m_blockSize; }
    int outputLatencyFrames() const noexcept { return m_outputLatencyFrames; }
    // Capture channels of the stream (0: output only); each callback's CallbackInfo::input holds
    // them as two interleaved channels (a mono capture is copied to both).
    int inputChannels() const noexcept { return m_inputChannels; }
    const std::string& deviceName() const noexcept { return m_deviceName; }
    // Human-readable note on what differs from the request (e.g. the JACK server's rate); empty
    // when the device gave what was asked.
    const std::string& notice() const noexcept { return m_notice; }

    // Any thread. RT-safe. Counters since the last start().
    std::uint64_t xruns() const noexcept { return m_xruns.load(std::memory_order_relaxed); }
    std::uint64_t callbacks() const noexcept { return m_callbacks.load(std::memory_order_acquire); }
    std::uint64_t framesProcessed() const noexcept { return m_frames.load(std::memory_order_relaxed); }
    // Any thread. RT-safe. Whether the audio thread got real-time scheduling, as observed from
    // that thread on its first callback (so it is the truth, whatever the API promised).
    RealtimeStatus realtimeStatus() const noexcept;

protected:
    AudioDriver() = default;

    struct StreamFormat {
        double sampleRate = 0.0;
        int blockSize = 0;
        int outputLatencyFrames = 0;
        int inputChannels = 0;
        std::string deviceName;
        std::string notice;
    };

    // Control thread only. The device side of open/start/stop; called by the public functions
    // above, which keep the state checks and the counters in one place.
    virtual engine::Result<StreamFormat> openDevice(const DriverConfig& config) = 0;
    virtual engine::Status startDevice() = 0;
    // After it returns, no callback is in progress and none will follow.
    virtual void stopDevice() noexcept = 0;
    virtual void closeDevice() noexcept = 0;
    // False when the device stopped on its own (e.g. the JACK server went away).
    virtual bool deviceRunning() const noexcept { return true; }

    // Audio thread only. RT-safe: no allocation, lock, I/O or exception. The one way every driver
    // calls into the AudioCallback: sets flush-to-zero / denormals-are-zero, counts the xrun,
    // fills in CallbackInfo, calls process, counts the frames. `out` holds frames * 2 floats;
    // `input` (null without capture) frames * 2 captured floats, interleaved.
    void deliver(float* out, int frames, bool xrun, const float* input = nullptr) noexcept;

private:
    void recordSchedulingOfThisThread() noexcept;

    // Written by the control thread (start, stop), read by the audio thread. The release store in
    // start() publishes m_sampleRate and everything else the audio thread reads.
    std::atomic<AudioCallback*> m_callback{nullptr};
    // Written by the audio thread, read anywhere.
    std::atomic<std::uint64_t> m_xruns{0};
    std::atomic<std::uint64_t> m_callbacks{0};
    std::atomic<std::uint64_t> m_frames{0};
    std::atomic<int> m_realtimePriority{-1}; // -1 unknown, 0 denied, > 0 granted at that priority

    // Control thread only (read by the audio thread only after m_callback's acquire).
    bool m_open = false;
    bool m_running = false;
    double m_sampleRate = 0.0;
    int m_blockSize = 0;
    int m_outputLatencyFrames = 0;
    int m_inputChannels = 0;
    std::string m_deviceName;
    std::string m_notice;
};

} // namespace chronus::audio
