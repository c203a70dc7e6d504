#pragma once
#include "../Module.hpp"

namespace chronus::engine {

// State-variable filter, trapezoidal (zero-delay feedback) form after Andrew Simper's SVF paper:
// stable at any Q and under fast cutoff modulation. Outputs lp, bp (unity gain at the centre) and hp.
// The cutoff input is exponential CV, one unit per octave. With constant cutoff and Q it renders
// blocks of samples through the same filter's state-space form (see Svf.cpp).
// Polyphonic: each channel is its own filter with its own cutoff CV; cutoff and Q are shared.
class Svf final : public Module {
public:
    enum Param : ParamIndex { Cutoff, Q, ParamCount };
    enum Input : PortIndex { In, CutoffCv, InputCount };
    enum Output : PortIndex { Lp, Bp, Hp, OutputCount };
    static constexpr ParamSpec kParams[] = {{"cutoff", "Cutoff", "Hz", 20.0f, 20000.0f, 1000.0f, ParamLog},
                                            {"q", "Q", "", 0.5f, 40.0f, 0.707f, ParamLog, "resonance"}};
    static_assert(std::size(kParams) == ParamCount);
    static constexpr PortSpec kInputs[] = {{"in", "In", Signal::Audio}, {"cutoff", "Cutoff CV (1/oct)", Signal::Cv}};
    static_assert(std::size(kInputs) == InputCount);
    static constexpr PortSpec kOutputs[] = {
        {"lp", "Low-pass", Signal::Audio}, {"bp", "Band-pass", Signal::Audio}, {"hp", "High-pass", Signal::Audio}};
    static_assert(std::size(kOutputs) == OutputCount);
    static const ModuleType kType;

    explicit Svf(const ModuleType& type) : Module(type) {}
    void process(const ProcessContext& ctx) noexcept override;

    // Samples per step of the block form (see Svf.cpp): 8 with AVX2 and FMA, else 4.
    static constexpr int kMaxBlockWidth = 8;
    // The block form's constants for the current coefficients; `width` 0 until computed.
    // Audio thread only (the renderer's own copy).
    struct BlockCoefficients {
        alignas(32) float lpState[2][kMaxBlockWidth];  // lp at step j from the state at step 0
        float lpInput[kMaxBlockWidth][kMaxBlockWidth]; // lp at step j from the input at step m
        float bpState[2][kMaxBlockWidth];
        float bpInput[kMaxBlockWidth][kMaxBlockWidth];
        float nextState[2][kMaxBlockWidth]; // lanes 0 and 1: the state after `width` steps
        float nextInput[kMaxBlockWidth][kMaxBlockWidth];
        int width = 0;
    };

protected:
    void onPrepare(const PrepareInfo& info) override;

private:
    void updateCoefficients(float cutoffHz, float q) noexcept;
    void processPerSample(const float* in, const float* cv, float* lp, float* bp, float* hp, int from, int to,
                          bool modulated) noexcept;

    float m_k = 1.0f, m_a1 = 0.0f, m_a2 = 0.0f, m_a3 = 0.0f;
    float m_ic1 = 0.0f, m_ic2 = 0.0f;
    float m_piOverSr = 0.0f;
    float m_maxCutoff = 20000.0f;
    // The cutoff and Q the coefficients were computed for; -1 after per-sample modulation.
    float m_coeffCutoff = -1.0f, m_coeffQ = -1.0f;
    BlockCoefficients m_block;

public:
    // Polyphony: 8 channels per instruction (see Svf.cpp). Each channel's filter state.
    struct PolyState {
        alignas(32) float ic1[kMaxChannels];
        alignas(32) float ic2[kMaxChannels];
    };
    // The constant coefficients shared by every channel and the values that modulate them.
    struct PolyArgs {
        float a1, a2, a3, k;
        float piOverSr, maxCutoff;
    };
    using PolyKernel = void (*)(const ProcessContext&, PolyState&, const PolyArgs&, SmoothedValue& cutoff,
                                SmoothedValue& q) noexcept;

private:
    PolyState m_poly{};
    PolyKernel m_polyFixed = nullptr;     // cutoff and Q constant, no cutoff CV
    PolyKernel m_polyModulated = nullptr; // coefficients per channel and sample
};

} // namespace chronus::engine
