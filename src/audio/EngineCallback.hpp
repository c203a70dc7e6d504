#pragma once
// The one adapter between a driver and the dual-slot engine: every driver (RtAudio, null, offline)
// plays the engine through it, so live audio and offline render take the same path. With a
// RecordTap, every output block also goes to the recorder (see RecordTap.hpp); every block goes to
// the MeterTap the status panel's meter and scope read (see MeterTap.hpp).

#include "audio/AudioCallback.hpp"
#include "audio/MeterTap.hpp"
#include "audio/MidiFeed.hpp"
#include "audio/MidiOutput.hpp"
#include "audio/RecordTap.hpp"
#include "engine/SlotEngine.hpp"
#include "engine/rt/RealtimeSection.hpp"

#include <algorithm>
#include <atomic>

namespace chronus::audio {

class EngineCallback final : public AudioCallback {
public:
    // `tap` (optional) must outlive the stream.
    explicit EngineCallback(engine::SlotEngine& engine, RecordTap* tap = nullptr) : m_engine(engine), m_tap(tap) {}

    void process(float* out, const CallbackInfo& info) noexcept override {
        engine::rt::RealtimeSection section; // the engine, the tap and the meter: all real time
        if (info.xrun)
            m_engine.noteXrun();
        // Ties this cycle's device frame to the plan frame it plays, so that MIDI events land at
        // their own frames (SlotEngine::midi).
        if (const MidiFeed* midi = m_midi.load(std::memory_order_acquire))
            if (const std::int64_t frame = midi->cycleFrame(); frame >= 0)
                m_engine.markDeviceFrame(frame);
        m_engine.process(out, info.frames, info.input);
        // The MIDI of these frames, at their device frames (MidiOutput writes them one period on).
        if (MidiOutput* midiOut = m_midiOut.load(std::memory_order_acquire))
            if (const std::int64_t frame = midiOut->cycleFrame(); frame >= 0)
                for (engine::MidiEvent e : m_engine.midiOut()) {
                    e.frame = frame + e.offset;
                    midiOut->send(e);
                }
        applyOutputGain(out, info);
        if (m_tap)
            m_tap->process(out, info.frames);
        m_meter.process(out, info.frames);
    }

    // Control thread. The MIDI feed whose device frames the callback marks (it must outlive the
    // stream, or be unset first); nullptr for none.
    void setMidi(const MidiFeed* midi) noexcept { m_midi.store(midi, std::memory_order_release); }
    // Control thread. The MIDI output the patch's MIDI goes to (it must outlive the stream, or be
    // unset first); nullptr for none.
    void setMidiOut(MidiOutput* midiOut) noexcept { m_midiOut.store(midiOut, std::memory_order_release); }

    // Any thread. The output fades to `gain` (0 or 1) over kOutputFadeMs, so that a stream can be
    // stopped and reopened (CaptureOnDemand) without a step at either end; outputGain() says where
    // the fade stands, as of the last callback.
    static constexpr double kOutputFadeMs = 5.0;
    void fadeOutputTo(float gain) noexcept { m_gainTarget.store(gain, std::memory_order_release); }
    float outputGain() const noexcept { return m_gainNow.load(std::memory_order_acquire); }

    // Any thread. Peak of the last callback's output over both channels.
    float lastPeak() const noexcept { return m_meter.peak(); }
    // Any thread (the meter's own contract). The output's levels and its latest frames.
    const MeterTap& meter() const noexcept { return m_meter; }

private:
    // Audio thread. Nothing to do at unity, the usual case.
    void applyOutputGain(float* out, const CallbackInfo& info) noexcept {
        const float target = m_gainTarget.load(std::memory_order_acquire);
        if (m_gain == target && target == 1.0f)
            return;
        const auto step = static_cast<float>(1.0 / (kOutputFadeMs * 1e-3 * (info.sampleRate > 0.0 ? info.sampleRate : 48000.0)));
        for (int i = 0; i < info.frames; ++i) {
            m_gain = m_gain < target ? std::min(target, m_gain + step) : std::max(target, m_gain - step);
            out[2 * i] *= m_gain;
            out[2 * i + 1] *= m_gain;
        }
        m_gainNow.store(m_gain, std::memory_order_release);
    }

    engine::SlotEngine& m_engine;
    RecordTap* const m_tap;
    MeterTap m_meter; // written by the audio thread in process()
    std::atomic<const MidiFeed*> m_midi{nullptr}; // written by the control thread
    std::atomic<MidiOutput*> m_midiOut{nullptr};  // written by the control thread
    std::atomic<float> m_gainTarget{1.0f};        // written by the control thread
    std::atomic<float> m_gainNow{1.0f};           // written by the audio thread
    float m_gain = 1.0f;                          // audio thread only
};

} // namespace chronus::audio
