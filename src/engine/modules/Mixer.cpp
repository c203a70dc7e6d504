#include "Mixer.hpp"

#include "../Simd.hpp"

#include <algorithm>

namespace chronus::engine {

const ModuleType Mixer::kType{"mixer", "Mixer", "Utilities",    "Four-input mixer with levels and a send bus",
                              kParams, kInputs, kOutputs,       &createModule<Mixer>,
                              nullptr, nullptr, Polyphony::Poly};

namespace {

// Each channel mixed as the mono path mixes its one: inputs in order, each product rounded before
// it is added (no fused multiply-add), the master level last, so a channel renders the mono mix's
// samples to the bit. The shared levels are read once per frame, a chunk of frames at a time, and
// broadcast to every group; each group runs the chunk with its sums in registers.
constexpr int kPolyChunk = 64;

template <int Inputs, bool Sends>
[[gnu::always_inline]] inline void mixerChunk(const ProcessContext& ctx, const Mixer::PolyArgs& a, int from,
                                              int to, const float (&levels)[Mixer::InputCount][kPolyChunk],
                                              const float (&sends)[Mixer::InputCount][kPolyChunk],
                                              const float (&master)[kPolyChunk]) noexcept {
    using namespace simd;
    const int stride = channelStride(ctx.channels);
    float* out = ctx.outputs[Mixer::Out];
    float* send = ctx.outputs[Mixer::Send];
    for (int g = 0; g < stride; g += kPolyLanes) {
        for (int i = from; i < to; ++i) {
            const int j = i - from;
            const std::size_t at = static_cast<std::size_t>(i * stride + g);
            F8 sum{}, sendSum{};
#pragma GCC unroll 4
            for (int k = 0; k < Inputs; ++k) {
                const F8 v = load(a.in[k] + at) * levels[k][j];
                sum = sum + rounded(v);
                if (Sends && a.send[k])
                    sendSum = sendSum + rounded(v * sends[k][j]);
            }
            store(out + at, sum * master[j]);
            store(send + at, sendSum);
        }
    }
}

[[gnu::always_inline]] inline void mixerPoly(const ProcessContext& ctx, const Mixer::PolyArgs& a) noexcept {
    float levels[Mixer::InputCount][kPolyChunk], sends[Mixer::InputCount][kPolyChunk], master[kPolyChunk];
    bool anySend = false;
    for (int k = 0; k < a.inputs; ++k)
        anySend = anySend || a.send[k];
    // A param that is not ramping gives the same value every frame: filled, not stepped.
    auto fill = [](SmoothedValue& p, float (&dst)[kPolyChunk], int n) noexcept {
        if (p.isSmoothing()) {
            for (int j = 0; j < n; ++j)
                dst[j] = p.next();
        } else {
            const float v = p.current();
            for (int j = 0; j < kPolyChunk; ++j)
                dst[j] = v;
        }
    };
    for (int from = 0; from < ctx.frames; from += kPolyChunk) {
        const int to = std::min(from + kPolyChunk, ctx.frames);
        for (int k = 0; k < a.inputs; ++k) {
            fill(*a.level[k], levels[k], to - from);
            if (a.send[k])
                fill(*a.send[k], sends[k], to - from);
        }
        fill(*a.master, master, to - from);
        switch (a.inputs * 2 + (anySend ? 1 : 0)) {
#define CHRONUS_MIXER_CASE(N)                                                                                \
    case 2 * (N):                                                                                            \
        mixerChunk<N, false>(ctx, a, from, to, levels, sends, master);                                       \
        break;                                                                                               \
    case 2 * (N) + 1:                                                                                        \
        mixerChunk<N, true>(ctx, a, from, to, levels, sends, master);                                        \
        break;
            CHRONUS_MIXER_CASE(0)
            CHRONUS_MIXER_CASE(1)
            CHRONUS_MIXER_CASE(2)
            CHRONUS_MIXER_CASE(3)
            CHRONUS_MIXER_CASE(4)
#undef CHRONUS_MIXER_CASE
        default:
            break;
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
