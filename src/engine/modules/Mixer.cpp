#include "Mixer.hpp"

namespace chronus::engine {

const ModuleType Mixer::kType{"mixer", "Mixer", "Utilities", "Four-input mixer with levels", kParams, kInputs,
                              kOutputs, &createModule<Mixer>};

void Mixer::process(const ProcessContext& ctx) noexcept {
    float* out = ctx.outputs[Out];
    SmoothedValue& master = param(Master);
    for (int i = 0; i < ctx.frames; ++i)
        out[i] = 0.0f;
    for (int ch = 0; ch < InputCount; ++ch) {
        SmoothedValue& level = param(Level1 + ch);
        const float* in = ctx.inputs[ch];
        if (!in) {
            level.skip(ctx.frames); // keep the ramp's clock running while unconnected
            continue;
        }
        for (int i = 0; i < ctx.frames; ++i)
            out[i] += in[i] * level.next();
    }
    for (int i = 0; i < ctx.frames; ++i)
        out[i] *= master.next();
}

} // namespace chronus::engine
