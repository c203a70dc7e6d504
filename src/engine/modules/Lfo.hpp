#pragma once
#include "../Module.hpp"

namespace chronus::engine {

// Low-frequency oscillator: out = offset + depth x wave, wave in [-1, 1]. With depth 0 and offset 0
// it outputs 0, which leaves any exponential or additive target unchanged. `width` is the square's
// duty cycle (the high part first) and the triangle's rise fraction.
class Lfo final : public Module {
public:
    enum Param : ParamIndex { Shape, Rate, Width, Depth, Offset, ParamCount };
    enum Output : PortIndex { Out, OutputCount };
    enum WaveShape { Sine, Triangle, Saw, Square };
    static constexpr ParamSpec kParams[] = {
        {"shape", "Shape", "", 0.0f, 3.0f, 0.0f, ParamDiscrete, nullptr, "sine|triangle|saw|square"},
        {"rate", "Rate", "Hz", 0.01f, 200.0f, 1.0f},
        {"width", "Width", "", 0.01f, 0.99f, 0.5f},
        {"depth", "Depth", "", 0.0f, 5.0f, 1.0f},
        {"offset", "Offset", "", -5.0f, 5.0f, 0.0f}};
    static_assert(std::size(kParams) == ParamCount);
    static constexpr PortSpec kOutputs[] = {{"out", "Out", Signal::Cv}};
    static const ModuleType kType;

    explicit Lfo(const ModuleType& type) : Module(type) {}
    void process(const ProcessContext& ctx) noexcept override;

protected:
    void onPrepare(const PrepareInfo& info) override;

private:
    double m_phase = 0.0;
    double m_invSampleRate = 1.0 / 48000.0;
    const float* m_sine = nullptr;
};

} // namespace chronus::engine
