#pragma once
#include "../Module.hpp"
#include "DcBlocker.hpp"
#include "DrumCommon.hpp"

namespace chronus::engine {

// Kick drum: a sine body whose pitch falls from `sweep` semitones above `tune` to `tune` (exponential
// in pitch, time constant `pitch_decay`), an exponential amplitude decay (`decay`: time to -60 dB),
// a short band-passed noise click, and soft saturation (`drive`) that keeps the peak and thickens
// the tail. A hit starts on a rising edge of `trig` through 0.5 (sample-accurate) or a gate(true)
// event; `accent` (0..1 at that sample) times the `accent` amount raises its level (up to +6 dB),
// drive and click. A retrigger starts the new hit from phase 0 while the old one fades out over
// kRetriggerFadeMs, so the body never jumps. A DC blocker (5 Hz) at the output takes out the DC
// the body's first half-wave leaves. Idle, it outputs exact zeros.
class Kick final : public Module {
public:
    enum Param : ParamIndex { Level, Accent, Tune, Sweep, PitchDecay, Decay, Click, Drive, ParamCount };
    enum Input : PortIndex { Trig, AccentIn, InputCount };
    enum Output : PortIndex { Out, OutputCount };
    static constexpr ParamSpec kParams[] = {{"level", "Level", "", 0.0f, 1.0f, 0.8f},
                                            {"accent", "Accent amount", "", 0.0f, 1.0f, 0.5f},
                                            {"tune", "Tune", "Hz", 30.0f, 120.0f, 50.0f, ParamLog},
                                            {"sweep", "Pitch sweep", "st", 0.0f, 60.0f, 36.0f},
                                            {"pitch_decay", "Pitch decay", "ms", 1.0f, 500.0f, 25.0f, ParamLog},
                                            {"decay", "Decay", "ms", 20.0f, 3000.0f, 450.0f, ParamLog},
                                            {"click", "Click", "", 0.0f, 1.0f, 0.3f},
                                            {"drive", "Drive", "", 0.0f, 1.0f, 0.2f}};
    static_assert(std::size(kParams) == ParamCount);
    static constexpr PortSpec kInputs[] = {{"trig", "Trigger", Signal::Gate},
                                           {"accent", "Accent", Signal::Cv}};
    static_assert(std::size(kInputs) == InputCount);
    static constexpr PortSpec kOutputs[] = {{"out", "Out", Signal::Audio}};
    static const ModuleType kType;

    static constexpr double kRetriggerFadeMs = 5.0;
    static constexpr float kClickHz = 3000.0f;   // centre of the click's noise band
    static constexpr float kClickDecayMs = 8.0f; // the click's time to -60 dB

    explicit Kick(const ModuleType& type)
        : Module(type) {}
    void process(const ProcessContext& ctx) noexcept override;
    void gate(bool on) noexcept override {
        if (on)
            m_trigger.event();
    }

protected:
    void onPrepare(const PrepareInfo& info) override;

private:
    struct Voice {
        double phase = 0.0;  // cycles in [0, 1)
        float pitch = 0.0f;  // remaining part of the sweep, 1 -> 0
        float amp = 0.0f;    // amplitude envelope
        float click = 0.0f;  // click envelope
        float gain = 0.0f;   // 1 + accent boost
        float accent = 0.0f; // accent x amount, 0..1
        drums::Saturator saturator;
        bool active = false;
    };

    // Audio thread. The block, with params ramping (read per sample) or steady (read once).
    template <bool Smoothing> void run(const ProcessContext& ctx) noexcept;
    void trigger(float accent) noexcept;
    // One sample of `v` before the output level; advances its state.
    float renderVoice(Voice& v, float tune, float sweep, float click, float drive, float clickNoise) noexcept;
    void updateCoefficients(float pitchDecay, float decay) noexcept;

    Voice m_voice;
    Voice m_tail; // the previous hit, fading out after a retrigger
    drums::TailFade m_fade;
    drums::TriggerDetector m_trigger;
    DcBlocker m_dcBlocker; // a hit's body starts at phase 0: its first half-wave leaves a DC step
    drums::NoiseSource m_noise;
    const float* m_sine = nullptr;
    double m_invSampleRate = 1.0 / 48000.0;
    float m_pitchCoeff = 0.0f, m_ampCoeff = 0.0f, m_clickCoeff = 0.0f;
    float m_coeffPitchDecay = -1.0f, m_coeffDecay = -1.0f;
    // click band-pass (trapezoidal SVF, fixed coefficients)
    float m_bpA1 = 0.0f, m_bpA2 = 0.0f, m_bpA3 = 0.0f, m_bpK = 1.0f;
    float m_ic1 = 0.0f, m_ic2 = 0.0f;
};

} // namespace chronus::engine
