#include "Vca.hpp"

#include "../Simd.hpp"

#include <algorithm>

namespace chronus::engine {

const ModuleType Vca::kType{"vca",      "VCA",   "Utilities", "Amplifier controlled by a CV (negative CV is silence)",
                            kParams,    kInputs, kOutputs,    &createModule<Vca>,
                            nullptr,    nullptr, Polyphony::Poly};

namespace {

[[gnu::always_inline]] inline void vcaPoly(const ProcessContext& ctx, SmoothedValue& level) noexcept {
    using namespace simd;
    const int stride = channelStride(ctx.channels);
    const float* in = ctx.inputs[Vca::In];
    const float* cv = ctx.inputs[Vca::Cv];
    float* out = ctx.outputs[Vca::Out];
    for (int i = 0; i < ctx.frames; ++i) {
        const F8 l = splat(level.next());
        for (int g = 0; g < stride; g += kPolyLanes) {
            const std::size_t at = static_cast<std::size_t>(i * stride + g);
            const F8 x = in ? load(in + at) * l : F8{};
            store(out + at, cv ? x * max(load(cv + at), F8{}) : x);
        }
    }
}

CHRONUS_POLY_KERNEL(vcaPoly, vcaPoly, (const ProcessContext& ctx, SmoothedValue& level), (ctx, level))

} // namespace

void Vca::onPrepare(const PrepareInfo&) { m_poly = simd::pick(&vcaPolyGeneric, &vcaPolyAvx2); }

void Vca::process(const ProcessContext& ctx) noexcept {
    if (ctx.channels > 1) {
        m_poly(ctx, param(Level));
        return;
    }
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
