#include "Vca.hpp"

#include <algorithm>

namespace chronus::engine {

const ModuleType Vca::kType{"vca", "VCA", "Utilities", "Amplifier controlled by a CV (negative CV is silence)",
                            kParams, kInputs, kOutputs, &createModule<Vca>};

void Vca::process(const ProcessContext& ctx) noexcept {
    const float* in = ctx.inputs[In];
    const float* cv = ctx.inputs[Cv];
    float* out = ctx.outputs[Out];
    SmoothedValue& level = param(Level);
    for (int i = 0; i < ctx.frames; ++i) {
        const float l = level.next();
        const float x = in ? in[i] : 0.0f;
        out[i] = cv ? x * l * std::max(cv[i], 0.0f) : x * l;
    }
}

} // namespace chronus::engine
