#pragma once
#include "../Module.hpp"

namespace chronus::engine {

// Voltage-controlled amplifier: out = in x level x max(cv, 0), or in x level when cv is not connected.
// Polyphonic: channel c of the output is channel c of `in` times channel c of `cv`.
class Vca final : public Module {
public:
    enum Param : ParamIndex { Level, ParamCount };
    enum Input : PortIndex { In, Cv, InputCount };
    enum Output : PortIndex { Out, OutputCount };
    static constexpr ParamSpec kParams[] = {{"level", "Level", "", 0.0f, 2.0f, 1.0f}};
    static_assert(std::size(kParams) == ParamCount);
    static constexpr PortSpec kInputs[] = {{"in", "In", Signal::Audio}, {"cv", "CV", Signal::Cv}};
    static_assert(std::size(kInputs) == InputCount);
    static constexpr PortSpec kOutputs[] = {{"out", "Out", Signal::Audio}};
    static const ModuleType kType;

    explicit Vca(const ModuleType& type) : Module(type) {}
    void process(const ProcessContext& ctx) noexcept override;

protected:
    void onPrepare(const PrepareInfo&) override;

private:
    void (*m_poly)(const ProcessContext&, SmoothedValue&) noexcept = nullptr; // 8 channels per instruction
};

} // namespace chronus::engine
