#pragma once
// The one adapter between a driver and the dual-slot engine: every driver (RtAudio, null, offline)
// plays the engine through it, so live audio and offline render take the same path. With a
// RecordTap, every output block also goes to the recorder (see RecordTap.hpp).

#include "audio/AudioCallback.hpp"
#include "audio/RecordTap.hpp"
#include "engine/SlotEngine.hpp"
#include "engine/rt/RealtimeSection.hpp"

#include <atomic>
#include <cmath>

namespace chronus::audio {

class EngineCallback final : public AudioCallback {
public:
    // `tap` (optional) must outlive the stream.
    explicit EngineCallback(engine::SlotEngine& engine, RecordTap* tap = nullptr) : m_engine(engine), m_tap(tap) {}

    void process(float* out, const CallbackInfo& info) noexcept override {
        engine::rt::RealtimeSection section; // the engine, the tap and the meter: all real time
        if (info.xrun)
            m_engine.noteXrun();
        m_engine.process(out, info.frames);
        if (m_tap)
            m_tap->process(out, info.frames);
        float peak = 0.0f;
        for (int i = 0; i < 2 * info.frames; ++i)
            peak = std::max(peak, std::fabs(out[i]));
        m_peak.store(peak, std::memory_order_relaxed);
    }

    // Any thread. Peak of the last callback's output (for meters).
    float lastPeak() const noexcept { return m_peak.load(std::memory_order_relaxed); }

private:
    engine::SlotEngine& m_engine;
    RecordTap* const m_tap;
    std::atomic<float> m_peak{0.0f};
};

} // namespace chronus::audio
