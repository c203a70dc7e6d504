#include "Output.hpp"

namespace chronus::engine {

const ModuleType Output::kType{"output", "Output", "Output", "Stereo output of the patch", kParams, kInputs, {},
                               &createModule<Output>};

void Output::process(const ProcessContext& ctx) noexcept {
    const float* left = ctx.inputs[Left];
    const float* right = ctx.inputs[Right];
    float* outL = ctx.outputs[0];
    float* outR = ctx.outputs[1];
    SmoothedValue& level = param(Level);
    for (int i = 0; i < ctx.frames; ++i) {
        const float l = level.next();
        outL[i] = left ? left[i] * l : 0.0f;
        outR[i] = right ? right[i] * l : 0.0f;
    }
}

} // namespace chronus::engine
