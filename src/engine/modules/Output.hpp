#pragma once
#include "../Module.hpp"

namespace chronus::engine {

// The patch's output, id `out`, present in every patch. Inputs `left` and `right`; a cable to bare
// `out` feeds both. It has no ports to patch from: the plan hands it the two master buffers.
class Output final : public Module {
public:
    enum Param : ParamIndex { Level, ParamCount };
    enum Input : PortIndex { Left, Right, InputCount };
    static constexpr ParamSpec kParams[] = {{"level", "Level", "", 0.0f, 2.0f, 1.0f}};
    static_assert(std::size(kParams) == ParamCount);
    static constexpr PortSpec kInputs[] = {{"left", "Left", Signal::Audio}, {"right", "Right", Signal::Audio}};
    static_assert(std::size(kInputs) == InputCount);
    static const ModuleType kType;

    explicit Output(const ModuleType& type) : Module(type) {}
    // ctx.outputs[0] and [1] are the master left and right buffers.
    void process(const ProcessContext& ctx) noexcept override;

protected:
    void onPrepare(const PrepareInfo&) override {}
};

} // namespace chronus::engine
