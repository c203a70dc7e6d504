#pragma once
#include "../Module.hpp"
#include "DcBlocker.hpp"

#include <cstdint>

namespace chronus::engine {

// The "acid" filter: a 4-pole (24 dB/oct) transistor-ladder style low-pass with a 303-style cutoff
// envelope.
//
// Four trapezoidal (zero-delay-feedback) one-pole stages with the feedback loop solved for the
// current sample (Zavalishin, "The Art of VA Filter Design", ch. 5), and a tanh-like saturator at
// the ladder's input. The loop is solved linearly and the saturator applied to the solution (the
// "cheap" nonlinear form): the stages always see an input within [-1, 1], so the filter is stable
// at every setting. The feedback k runs to kMaxFeedback, past the linear threshold of 4 (at
// resonance 0.8): there the filter oscillates at its cutoff and the saturator sets the level. The
// input is scaled by (1 + k), so the passband gain stays at unity as the resonance rises, and by
// `drive` (dB), which pushes it into the saturator.
//
// The saturator is odd, but what it sees (the input less the phase-shifted feedback) is not
// symmetric for a saw or a pulse, so it rectifies a little: a driven, resonant ladder on a saw puts
// out a DC offset of several percent of its level. A DC blocker at the output (5 Hz, the coupling
// capacitor after a hardware ladder) takes it out.
//
// Cutoff = cutoff x 2^(cv + envelope x env_amount): the `cutoff` input is exponential, one unit per
// octave. A rising edge on `trig` (through 0.5) or a gate-on event restarts the envelope: a 2 ms
// rise to its peak, then an exponential fall that reaches 1 % of the peak `decay` ms later. The
// `accent` input at the trigger sample (clamped 0..1) times the `accent` amount gives the hit's
// accent a: the peak becomes 1 + a and the decay moves toward kAccentDecayMs, as the 303's accent
// circuit raises the sweep and shortens it.
//
// Polyphonic: one ladder and one envelope per channel (a trigger, an accent and a cutoff CV per
// channel; a mono trigger cable and a gate event trigger every channel); params are shared.
class Ladder final : public Module {
public:
    enum Param : ParamIndex { Cutoff, Resonance, EnvAmount, Decay, Accent, Drive, ParamCount };
    enum Input : PortIndex { In, CutoffCv, Trig, AccentIn, InputCount };
    enum Output : PortIndex { Out, OutputCount };
    static constexpr ParamSpec kParams[] = {
        {"cutoff", "Cutoff", "Hz", 20.0f, 20000.0f, 800.0f, ParamLog},
        {"resonance", "Resonance", "", 0.0f, 1.0f, 0.5f, ParamSmooth, "q"},
        {"env_amount", "Env amount", "oct", 0.0f, 8.0f, 3.0f},
        {"decay", "Decay", "ms", 10.0f, 5000.0f, 300.0f, ParamLog},
        {"accent", "Accent", "", 0.0f, 1.0f, 0.5f},
        {"drive", "Drive", "dB", 0.0f, 24.0f, 0.0f}};
    static_assert(std::size(kParams) == ParamCount);
    static constexpr PortSpec kInputs[] = {{"in", "In", Signal::Audio},
                                           {"cutoff", "Cutoff CV (1/oct)", Signal::Cv},
                                           {"trig", "Trigger", Signal::Gate},
                                           {"accent", "Accent", Signal::Cv}};
    static_assert(std::size(kInputs) == InputCount);
    static constexpr PortSpec kOutputs[] = {{"out", "Out", Signal::Audio}};
    static_assert(std::size(kOutputs) == OutputCount);
    static const ModuleType kType;

    // Feedback gain at resonance 1. The linear ladder oscillates from k = 4 (resonance 0.8) on.
    static constexpr float kMaxFeedback = 5.0f;
    static constexpr float kAttackMs = 2.0f;
    static constexpr float kAccentDecayMs = 200.0f;

    explicit Ladder(const ModuleType& type) : Module(type) {}
    void process(const ProcessContext& ctx) noexcept override;
    void gate(bool on) noexcept override {
        if (on)
            m_pendingTrigger = true;
    }

protected:
    void onPrepare(const PrepareInfo& info) override;

private:
    enum class EnvStage : std::uint8_t { Idle, Rise, Fall };

    void trigger(float accentCv) noexcept;
    void updateDecayCoefficient() noexcept;
    void updateCutoff(float fc) noexcept;

    // The four stages' trapezoidal integrator states.
    float m_s[4] = {};
    // Coefficients for m_fc: G = g / (1 + g), g = tan(pi fc / sr).
    float m_fc = -1.0f;
    float m_G = 0.0f;
    float m_piOverSr = 0.0f;
    float m_maxCutoff = 20000.0f;
    // Drive gain for m_driveDb.
    float m_driveDb = -1.0f;
    float m_driveGain = 1.0f;

    // Envelope: 0 at rest, rises to m_envPeak, falls by m_decayCoef per sample.
    EnvStage m_stage = EnvStage::Idle;
    float m_env = 0.0f;
    float m_envPeak = 1.0f;
    float m_riseStep = 0.0f;
    float m_decayCoef = 0.0f;
    float m_hitAccent = 0.0f; // accent of the current hit, 0..1
    float m_samplesPerMs = 48.0f;
    bool m_trigHigh = false;
    bool m_pendingTrigger = false;

    // A whisper of noise (-120 dBFS) at the ladder's input, as in the analog circuit: it
    // starts self-oscillation from silence and keeps the state far from denormals.
    std::uint32_t m_noise = 1;
    DcBlocker m_dcBlocker;

public:
    // Polyphony: each channel's fields of the above, lane by lane (see Ladder.cpp).
    struct PolyState {
        alignas(32) float s[4][kMaxChannels];
        alignas(32) float env[kMaxChannels];
        alignas(32) float envPeak[kMaxChannels];
        alignas(32) float riseStep[kMaxChannels];
        alignas(32) float decayCoef[kMaxChannels];
        alignas(32) float hitAccent[kMaxChannels];
        alignas(32) std::int32_t stage[kMaxChannels];    // EnvStage
        alignas(32) std::int32_t trigHigh[kMaxChannels]; // 0 or -1
        alignas(32) std::uint32_t noise[kMaxChannels];
        alignas(32) float dcIn[kMaxChannels];
        alignas(32) float dcOut[kMaxChannels];
    };
    // The shared values of a chunk of frames, read once for every channel.
    static constexpr int kPolyChunk = 64;
    struct PolyFrames {
        float envAmount[kPolyChunk], cutoff[kPolyChunk], driveGain[kPolyChunk], k[kPolyChunk];
    };
    struct PolyArgs {
        int from = 0, to = 0; // frames of this chunk
        bool trigger = false; // a gate event: every channel at `from`
        float accent = 0.0f, decayMs = 0.0f, samplesPerMs = 48.0f;
        float piOverSr = 0.0f, maxCutoff = 0.0f, dcPole = 0.0f;
    };
    using PolyKernel = void (*)(const ProcessContext&, PolyState&, const PolyFrames&,
                                const PolyArgs&) noexcept;

private:
    PolyState m_poly{};
    PolyKernel m_polyKernel = nullptr; // 8 channels per instruction
    float m_dcPole = 0.0f;
    void processPoly(const ProcessContext& ctx) noexcept;
};

} // namespace chronus::engine
