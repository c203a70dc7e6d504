#pragma once
#include "../Module.hpp"
#include "DcBlocker.hpp"
#include "DrumCommon.hpp"

namespace chronus::engine {

// Snare drum: a tuned body (two sine modes of a membrane, at `tune` and 1.59 x `tune`, falling from
// kBodySweepSemitones above in a few ms, decaying in `body_decay` to -60 dB) plus noise (level
// `snappy`, low-passed at `tone`, high-passed at kNoiseHighpassHz, decaying in `decay`). The noise
// is seeded from the module's id. A hit starts on a rising edge of `trig` through 0.5
// (sample-accurate) or a gate(true) event; `accent` (0..1 at that sample) times the `accent` amount
// raises its level (up to +6 dB), the noise level and brightness. A retrigger restarts the body from
// phase 0 while the previous hit fades out over kRetriggerFadeMs. A DC blocker (5 Hz) at the output
// takes out the DC the body's first half-wave leaves. Idle, it outputs exact zeros.
class Snare final : public Module {
public:
    enum Param : ParamIndex { Level, Accent, Tune, BodyDecay, Snappy, Tone, Decay, ParamCount };
    enum Input : PortIndex { Trig, AccentIn, InputCount };
    enum Output : PortIndex { Out, OutputCount };
    static constexpr ParamSpec kParams[] = {{"level", "Level", "", 0.0f, 1.0f, 0.8f},
                                            {"accent", "Accent amount", "", 0.0f, 1.0f, 0.5f},
                                            {"tune", "Tune", "Hz", 80.0f, 400.0f, 185.0f, ParamLog},
                                            {"body_decay", "Body decay", "ms", 10.0f, 1000.0f, 150.0f, ParamLog},
                                            {"snappy", "Snappy (noise level)", "", 0.0f, 1.0f, 0.6f},
                                            {"tone", "Noise tone", "Hz", 1000.0f, 16000.0f, 6000.0f, ParamLog},
                                            {"decay", "Noise decay", "ms", 10.0f, 2000.0f, 250.0f, ParamLog}};
    static_assert(std::size(kParams) == ParamCount);
    static constexpr PortSpec kInputs[] = {{"trig", "Trigger", Signal::Gate},
                                           {"accent", "Accent", Signal::Cv}};
    static_assert(std::size(kInputs) == InputCount);
    static constexpr PortSpec kOutputs[] = {{"out", "Out", Signal::Audio}};
    static const ModuleType kType;

    static constexpr double kRetriggerFadeMs = 5.0;
    static constexpr float kBodySweepSemitones = 5.0f;
    static constexpr float kBodySweepMs = 10.0f; // time constant of the body's pitch drop
    static constexpr float kSecondMode = 1.59f;  // the membrane's (1,1) mode over its (0,1)
    static constexpr float kNoiseHighpassHz = 500.0f;

    explicit Snare(const ModuleType& type)
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
        double phase1 = 0.0, phase2 = 0.0; // cycles in [0, 1)
        float pitch = 0.0f;                // remaining part of the pitch drop, 1 -> 0
        float body1 = 0.0f, body2 = 0.0f;  // the two modes' envelopes
        float noise = 0.0f;                // noise envelope
        float gain = 0.0f;                 // 1 + accent boost
        float accent = 0.0f;               // accent x amount, 0..1
        bool active = false;
    };

    // Audio thread. The block, with params ramping (read per sample) or steady (read once).
    template <bool Smoothing> void run(const ProcessContext& ctx) noexcept;
    void trigger(float accent) noexcept;
    float renderVoice(Voice& v, float tune, float snappy, float noise) noexcept;
    void updateCoefficients(float bodyDecay, float decay) noexcept;
    void updateFilter(float cutoff) noexcept;

    Voice m_voice;
    Voice m_tail;
    drums::TailFade m_fade;
    drums::TriggerDetector m_trigger;
    DcBlocker m_dcBlocker; // a hit's body starts at phase 0: its first half-wave leaves a DC step
    drums::NoiseSource m_noise;
    const float* m_sine = nullptr;
    double m_invSampleRate = 1.0 / 48000.0;
    float m_pitchCoeff = 0.0f, m_body1Coeff = 0.0f, m_body2Coeff = 0.0f, m_noiseCoeff = 0.0f;
    float m_coeffBodyDecay = -1.0f, m_coeffDecay = -1.0f;
    // noise low-pass (trapezoidal SVF) and one-pole high-pass
    float m_lpA1 = 0.0f, m_lpA2 = 0.0f, m_lpA3 = 0.0f;
    float m_filterCutoff = -1.0f;
    float m_ic1 = 0.0f, m_ic2 = 0.0f;
    float m_hpCoeff = 0.0f, m_hpIn = 0.0f, m_hpOut = 0.0f;
};

} // namespace chronus::engine
