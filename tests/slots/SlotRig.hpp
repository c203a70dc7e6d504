#pragma once
// A dual-slot engine playing through the clock-paced null driver, with a recorder on the callback:
// what the slot tests listen to. Real threads, real timing, no device.

#include "audio/AudioCallback.hpp"
#include "audio/NullDriver.hpp"
#include "engine/SlotEngine.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <span>
#include <thread>
#include <vector>

namespace chronus::test {

// Plays the engine and, while armed, copies the output into a buffer sized up front. RT-safe.
class RecordingCallback final : public audio::AudioCallback {
public:
    RecordingCallback(engine::SlotEngine& engine, std::size_t capacityFrames)
        : m_engine(engine), m_buffer(2 * capacityFrames) {}

    void process(float* out, const audio::CallbackInfo& info) noexcept override {
        m_engine.process(out, info.frames);
        if (m_armed.load(std::memory_order_acquire)) {
            const std::size_t at = m_frames.load(std::memory_order_relaxed);
            const std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(info.frames), m_buffer.size() / 2 - at);
            std::copy(out, out + 2 * n, m_buffer.begin() + static_cast<std::ptrdiff_t>(2 * at));
            m_frames.store(at + n, std::memory_order_release);
        }
        m_calls.fetch_add(1, std::memory_order_release);
    }

    // Control thread. Starts a new recording from the next callback.
    void arm() {
        m_armed.store(false, std::memory_order_release);
        waitCalls(2);
        m_frames.store(0, std::memory_order_release);
        m_armed.store(true, std::memory_order_release);
    }
    // Control thread. Waits until `frames` frames were recorded; false on timeout.
    bool waitFrames(std::size_t frames, std::chrono::milliseconds timeout = std::chrono::milliseconds(10000)) const {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (m_frames.load(std::memory_order_acquire) < frames) {
            if (std::chrono::steady_clock::now() > deadline)
                return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        return true;
    }
    // Control thread. Stops recording; returns the left channel and the interleaved frames.
    std::vector<float> take() {
        m_armed.store(false, std::memory_order_release);
        waitCalls(2);
        const std::size_t n = m_frames.load(std::memory_order_acquire);
        return {m_buffer.begin(), m_buffer.begin() + static_cast<std::ptrdiff_t>(2 * n)};
    }
    void waitCalls(std::uint64_t calls) const {
        const std::uint64_t until = m_calls.load(std::memory_order_acquire) + calls;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (m_calls.load(std::memory_order_acquire) < until && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::microseconds(200));
    }

private:
    engine::SlotEngine& m_engine;
    std::vector<float> m_buffer;
    std::atomic<bool> m_armed{false};
    std::atomic<std::size_t> m_frames{0};
    std::atomic<std::uint64_t> m_calls{0};
};

inline std::vector<float> leftChannel(std::span<const float> interleaved) {
    std::vector<float> left(interleaved.size() / 2);
    for (std::size_t i = 0; i < left.size(); ++i)
        left[i] = interleaved[2 * i];
    return left;
}

// A sine at `freq` straight to `out`: what the slot tests listen to.
inline engine::PatchGraph sinePatch(double freq, double gain = 0.5, const char* id = "osc") {
    engine::PatchGraph g;
    (void)g.addModule(id, "sine");
    (void)g.setParam(id, "freq", freq);
    (void)g.setParam(id, "gain", gain);
    (void)g.connect(id, "out");
    return g;
}

// Largest |x[i+1] - x[i]| over [from, to): a click or a gap stands out against a sine's own step.
inline float largestStep(const std::vector<float>& x, std::size_t from, std::size_t to) {
    float step = 0.0f;
    for (std::size_t i = from + 1; i < std::min(to, x.size()); ++i)
        step = std::max(step, std::fabs(x[i] - x[i - 1]));
    return step;
}

// Waits for a condition on the engine's stats (an event), up to `ms`.
template <class F> bool waitStats(const engine::SlotEngine& e, F&& condition, int ms = 10000) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (!condition(e.stats())) {
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
}

inline std::uint64_t totalNoneReads(const engine::EngineStats& s) { return s.slot[0].noneReads + s.slot[1].noneReads; }

// Whether the machine disturbed the engine between two snapshots: a worker starved (none-reads)
// or stalled (the supervisor asked for a failover). On a shared 2-core VM that happens now and
// then for reasons that are not the engine's; a measurement taken across it proves nothing.
inline bool disturbed(const engine::EngineStats& before, const engine::EngineStats& after) {
    return totalNoneReads(after) != totalNoneReads(before) || after.failovers != before.failovers ||
           after.stalls != before.stalls;
}

// Records `frames` frames of output (left channel); a recording the machine disturbed is taken
// again, at most 3 times, so what is measured is the engine's output. Empty on timeout.
inline std::vector<float> recordUndisturbed(const engine::SlotEngine& engine, RecordingCallback& recorder,
                                            std::size_t frames) {
    for (int attempt = 0;; ++attempt) {
        const engine::EngineStats before = engine.stats();
        recorder.arm();
        if (!recorder.waitFrames(frames))
            return {};
        std::vector<float> x = leftChannel(recorder.take());
        if (!disturbed(before, engine.stats()) || attempt == 3)
            return x;
        std::fprintf(stderr, "the machine starved or stalled a worker during a recording: recording again\n");
    }
}

struct SlotRig {
    explicit SlotRig(engine::EngineConfig config = {}, std::size_t recordSeconds = 20)
        : engine(config), recorder(engine, recordSeconds * static_cast<std::size_t>(config.sampleRate)) {}
    ~SlotRig() {
        driver.stop();
        engine.stop();
    }
    engine::Status start(int deviceBlock = 64) {
        if (auto s = engine.start(); !s)
            return s;
        audio::DriverConfig dc;
        dc.sampleRate = engine.config().sampleRate;
        dc.blockSize = deviceBlock;
        return driver.start(recorder, dc);
    }
    engine::SlotEngine engine;
    RecordingCallback recorder;
    audio::NullDriver driver;
};

} // namespace chronus::test
