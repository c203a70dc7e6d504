#pragma once
#include "../Module.hpp"

namespace chronus::engine {

// State-variable filter, trapezoidal (zero-delay feedback) form after Andrew Simper's SVF paper:
// stable at any Q and under fast cutoff modulation. Outputs lp, bp (unity gain at the centre) and hp.
// The cutoff input is exponential CV, one unit per octave.
class Svf final : public Module {
public:
    enum Param : ParamIndex { Cutoff, Q, ParamCount };
    enum Input : PortIndex { In, CutoffCv, InputCount };
    enum Output : PortIndex { Lp, Bp, Hp, OutputCount };
    static constexpr ParamSpec kParams[] = {{"cutoff", "Cutoff", "Hz", 20.0f, 20000.0f, 1000.0f},
                                            {"q", "Q", "", 0.5f, 40.0f, 0.707f, ParamSmooth, "resonance"}};
    static_assert(std::size(kParams) == ParamCount);
    static constexpr PortSpec kInputs[] = {{"in", "In", Signal::Audio}, {"cutoff", "Cutoff CV (1/oct)", Signal::Cv}};
    static_assert(std::size(kInputs) == InputCount);
    static constexpr PortSpec kOutputs[] = {
        {"lp", "Low-pass", Signal::Audio}, {"bp", "Band-pass", Signal::Audio}, {"hp", "High-pass", Signal::Audio}};
    static_assert(std::size(kOutputs) == OutputCount);
    static const ModuleType kType;

    explicit Svf(const ModuleType& type) : Module(type) {}
    void process(const ProcessContext& ctx) noexcept override;

protected:
    void onPrepare(const PrepareInfo& info) override;

private:
    void updateCoefficients(float cutoffHz, float q) noexcept;

    float m_k = 1.0f, m_a1 = 0.0f, m_a2 = 0.0f, m_a3 = 0.0f;
    float m_ic1 = 0.0f, m_ic2 = 0.0f;
    float m_piOverSr = 0.0f;
    float m_maxCutoff = 20000.0f;
};

} // namespace chronus::engine
