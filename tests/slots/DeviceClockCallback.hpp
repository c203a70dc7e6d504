#pragma once
// A test's audio callback that plays a device clock, as a JACK MIDI input marks one: each callback
// marks its first frame's device frame (kDeviceClockBase + frames played so far) before the engine
// renders, and records the left channel of every frame from the stream's start (index = device
// frame - kDeviceClockBase), for tests that place MIDI at device frames and find it in the output.

#include "audio/AudioCallback.hpp"
#include "engine/SlotEngine.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <thread>
#include <vector>

namespace chronus::test {

constexpr std::int64_t kDeviceClockBase = 1'000'000'000; // a device clock that did not start at 0

class DeviceClockCallback final : public audio::AudioCallback {
public:
    DeviceClockCallback(engine::SlotEngine& engine, std::size_t capacity) : m_engine(engine), m_left(capacity) {}
    void process(float* out, const audio::CallbackInfo& info) noexcept override {
        const auto position = static_cast<std::int64_t>(info.framePosition);
        m_engine.markDeviceFrame(kDeviceClockBase + position);
        m_engine.process(out, info.frames);
        for (int i = 0; i < info.frames && static_cast<std::size_t>(position + i) < m_left.size(); ++i)
            m_left[static_cast<std::size_t>(position + i)] = out[2 * i];
        m_frames.store(position + info.frames, std::memory_order_release);
    }
    // Frames played so far; the device frame of the next callback is kDeviceClockBase + this.
    std::int64_t frames() const { return m_frames.load(std::memory_order_acquire); }
    bool waitFrames(std::int64_t n) const {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (frames() < n)
            if (std::chrono::steady_clock::now() > deadline)
                return false;
            else
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
        return true;
    }
    const std::vector<float>& left() const { return m_left; }

private:
    engine::SlotEngine& m_engine;
    std::vector<float> m_left;
    std::atomic<std::int64_t> m_frames{0};
};

} // namespace chronus::test
