#include "Mixer.hpp"

namespace chronus::engine {

const ModuleType Mixer::kType{"mixer", "Mixer", "Utilities", "Four-input mixer with levels and a send bus",
                              kParams, kInputs, kOutputs, &createModule<Mixer>};

void Mixer::process(const ProcessContext& ctx) noexcept {
    float* out = ctx.outputs[Out];
    float* send = ctx.outputs[Send];
    SmoothedValue& master = param(Master);
    for (int i = 0; i < ctx.frames; ++i)
        out[i] = send[i] = 0.0f;
    for (int ch = 0; ch < InputCount; ++ch) {
        SmoothedValue& level = param(Level1 + ch);
        SmoothedValue& sendLevel = param(Send1 + ch);
        const float* in = ctx.inputs[ch];
        if (!in) {
            level.skip(ctx.frames); // keep the ramps' clocks running while unconnected
            sendLevel.skip(ctx.frames);
            continue;
        }
        if (!sendLevel.isSmoothing() && sendLevel.current() == 0.0f) {
            for (int i = 0; i < ctx.frames; ++i)
                out[i] += in[i] * level.next();
            continue;
        }
        for (int i = 0; i < ctx.frames; ++i) {
            const float v = in[i] * level.next();
            out[i] += v;
            send[i] += v * sendLevel.next();
        }
    }
    for (int i = 0; i < ctx.frames; ++i)
        out[i] *= master.next();
}

} // namespace chronus::engine
