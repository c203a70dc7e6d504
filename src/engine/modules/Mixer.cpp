#include "Mixer.hpp"

#include "../Simd.hpp"

namespace chronus::engine {

const ModuleType Mixer::kType{"mixer", "Mixer", "Utilities",    "Four-input mixer with levels and a send bus",
                              kParams, kInputs, kOutputs,       &createModule<Mixer>,
                              nullptr, nullptr, Polyphony::Poly};

namespace {

// Each channel mixed as the mono path mixes its one: inputs in order, each product rounded before
// it is added (no fused multiply-add), the master level last, so a channel renders the mono mix's
// samples to the bit. The shared levels are read once per frame for every group.
[[gnu::always_inline]] inline void mixerPoly(const ProcessContext& ctx, const Mixer::PolyArgs& a) noexcept {
    using namespace simd;
    const int stride = channelStride(ctx.channels);
    float* out = ctx.outputs[Mixer::Out];
    float* send = ctx.outputs[Mixer::Send];
    for (int i = 0; i < ctx.frames; ++i) {
        float levels[Mixer::InputCount], sends[Mixer::InputCount];
        for (int k = 0; k < a.inputs; ++k) {
            levels[k] = a.level[k]->next();
            sends[k] = a.send[k] ? a.send[k]->next() : 0.0f;
        }
        const float master = a.master->next();
        for (int g = 0; g < stride; g += kPolyLanes) {
            const std::size_t at = static_cast<std::size_t>(i * stride + g);
            F8 sum{}, sendSum{};
            for (int k = 0; k < a.inputs; ++k) {
                const F8 v = load(a.in[k] + at) * levels[k];
                sum = sum + rounded(v);
                if (a.send[k])
                    sendSum = sendSum + rounded(v * sends[k]);
            }
            store(out + at, sum * master);
            store(send + at, sendSum);
        }
    }
}

CHRONUS_POLY_KERNEL(mixerPoly, mixerPoly, (const ProcessContext& ctx, const Mixer::PolyArgs& a), (ctx, a))

} // namespace

void Mixer::onPrepare(const PrepareInfo&) {
    m_poly = simd::pick(&mixerPolyGeneric, &mixerPolyAvx2);
}

void Mixer::process(const ProcessContext& ctx) noexcept {
    float* out = ctx.outputs[Out];
    float* send = ctx.outputs[Send];
    SmoothedValue& master = param(Master);
    if (ctx.channels > 1) {
        PolyArgs args{};
        for (int ch = 0; ch < InputCount; ++ch) {
            SmoothedValue& level = param(Level1 + ch);
            SmoothedValue& sendLevel = param(Send1 + ch);
            if (!ctx.inputs[ch]) {
                level.skip(ctx.frames);
                sendLevel.skip(ctx.frames);
                continue;
            }
            const bool sendOff = !sendLevel.isSmoothing() && sendLevel.current() == 0.0f;
            args.in[args.inputs] = ctx.inputs[ch];
            args.level[args.inputs] = &level;
            args.send[args.inputs] = sendOff ? nullptr : &sendLevel;
            ++args.inputs;
        }
        args.master = &master;
        m_poly(ctx, args);
        return;
    }
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
