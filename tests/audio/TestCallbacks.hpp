#pragma once
// AudioCallbacks the driver tests play through: they write a known signal and record, with
// atomics only, what the driver handed them.

#include "audio/AudioCallback.hpp"

#include <atomic>
#include <cmath>
#include <cstdint>
#include <numbers>

namespace chronus::test {

// Writes a sine of `frequency` and `amplitude` on the left channel and its negation on the right,
// with the phase taken from CallbackInfo::framePosition (so a dropped or repeated block would show
// as a discontinuity). Records the calls, the frame counts, the rate, and whether framePosition
// always equalled the frames it had been given before. RT-safe.
class SineCallback : public audio::AudioCallback {
public:
    SineCallback(double frequency, float amplitude) : m_frequency(frequency), m_amplitude(amplitude) {}

    void process(float* out, const audio::CallbackInfo& info) noexcept override {
        m_inProcess.store(true, std::memory_order_relaxed);
        const double step = 2.0 * std::numbers::pi * m_frequency / info.sampleRate;
        for (int i = 0; i < info.frames; ++i) {
            const double n = static_cast<double>(info.framePosition + static_cast<std::uint64_t>(i));
            const float x = m_amplitude * static_cast<float>(std::sin(std::fmod(n * step, 2.0 * std::numbers::pi)));
            out[2 * i] = x;
            out[2 * i + 1] = -x;
        }
        if (info.framePosition != m_framesSeen)
            m_positionErrors.fetch_add(1, std::memory_order_relaxed);
        m_framesSeen += static_cast<std::uint64_t>(info.frames);
        if (info.xrun)
            m_xrunFlags.fetch_add(1, std::memory_order_relaxed);
        const int frames = info.frames;
        if (frames < m_minFrames.load(std::memory_order_relaxed))
            m_minFrames.store(frames, std::memory_order_relaxed);
        if (frames > m_maxFrames.load(std::memory_order_relaxed))
            m_maxFrames.store(frames, std::memory_order_relaxed);
        m_sampleRate.store(info.sampleRate, std::memory_order_relaxed);
        m_frames.fetch_add(static_cast<std::uint64_t>(frames), std::memory_order_relaxed);
        m_inProcess.store(false, std::memory_order_relaxed);
        m_calls.fetch_add(1, std::memory_order_release);
    }

    std::uint64_t calls() const { return m_calls.load(std::memory_order_acquire); }
    std::uint64_t frames() const { return m_frames.load(std::memory_order_relaxed); }
    int minFrames() const { return m_minFrames.load(std::memory_order_relaxed); }
    int maxFrames() const { return m_maxFrames.load(std::memory_order_relaxed); }
    double sampleRate() const { return m_sampleRate.load(std::memory_order_relaxed); }
    std::uint64_t positionErrors() const { return m_positionErrors.load(std::memory_order_relaxed); }
    std::uint64_t xrunFlags() const { return m_xrunFlags.load(std::memory_order_relaxed); }
    bool inProcess() const { return m_inProcess.load(std::memory_order_relaxed); }

private:
    const double m_frequency;
    const float m_amplitude;
    std::uint64_t m_framesSeen = 0; // audio thread only
    std::atomic<std::uint64_t> m_calls{0};
    std::atomic<std::uint64_t> m_frames{0};
    std::atomic<std::uint64_t> m_positionErrors{0};
    std::atomic<std::uint64_t> m_xrunFlags{0};
    std::atomic<int> m_minFrames{1 << 30};
    std::atomic<int> m_maxFrames{0};
    std::atomic<double> m_sampleRate{0.0};
    std::atomic<bool> m_inProcess{false};
};

} // namespace chronus::test
