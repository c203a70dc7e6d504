#include "Noise.hpp"

#include "../Simd.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace chronus::engine {

namespace {

void noiseChannels(std::span<const std::uint8_t>, std::span<const double> params,
                   std::span<std::uint8_t> outputs) {
    outputs[Noise::Out] =
        static_cast<std::uint8_t>(std::clamp<long>(std::lround(params[Noise::Channels]), 1, kMaxChannels));
}

// Scrambles a seed (a murmur3 finaliser) so similar ids start far apart; never zero.
std::uint32_t scramble(std::uint32_t s) noexcept {
    s ^= s >> 16;
    s *= 0x85EBCA6Bu;
    s ^= s >> 13;
    s *= 0xC2B2AE35u;
    s ^= s >> 16;
    return s | 1u;
}

using U8 = std::uint32_t __attribute__((vector_size(32)));

// The mono loop, 8 channels per instruction.
[[gnu::always_inline]] inline void noisePoly(const ProcessContext& ctx, Noise::PolyState& st,
                                             SmoothedValue& gainParam, bool pink) noexcept {
    using namespace simd;
    const int stride = channelStride(ctx.outputChannels[Noise::Out]);
    float* out = ctx.outputs[Noise::Out];
    SmoothedValue gain = gainParam;
    for (int g = 0; g < stride; g += kPolyLanes) {
        gain = gainParam; // every group runs the block's ramp from its start
        U8 s;
        std::memcpy(&s, st.state + g, sizeof s);
        F8 b[7];
        for (int k = 0; k < 7; ++k)
            b[k] = load(st.b[k] + g);
        for (int i = 0; i < ctx.frames; ++i) {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            I8 signedBits;
            std::memcpy(&signedBits, &s, sizeof signedBits);
            const F8 white = __builtin_convertvector(signedBits, F8) * (1.0f / 2147483648.0f);
            F8 v = white;
            if (pink) {
                b[0] = 0.99886f * b[0] + white * 0.0555179f;
                b[1] = 0.99332f * b[1] + white * 0.0750759f;
                b[2] = 0.96900f * b[2] + white * 0.1538520f;
                b[3] = 0.86650f * b[3] + white * 0.3104856f;
                b[4] = 0.55000f * b[4] + white * 0.5329522f;
                b[5] = -0.7616f * b[5] - white * 0.0168980f;
                v = (b[0] + b[1] + b[2] + b[3] + b[4] + b[5] + b[6] + white * 0.5362f) * 0.11f;
                b[6] = white * 0.115926f;
            }
            store(out + static_cast<std::size_t>(i * stride + g), gain.next() * v);
        }
        std::memcpy(st.state + g, &s, sizeof s);
        for (int k = 0; k < 7; ++k)
            store(st.b[k] + g, b[k]);
    }
    gainParam = gain;
}

CHRONUS_POLY_KERNEL(noisePoly, noisePoly,
                    (const ProcessContext& ctx, Noise::PolyState& st, SmoothedValue& gain, bool pink),
                    (ctx, st, gain, pink))

} // namespace

const ModuleType Noise::kType{"noise", "Noise", "Oscillators",     "White or pink noise",
                              kParams, {},      kOutputs,          &createModule<Noise>,
                              nullptr, nullptr, Polyphony::Custom, &noiseChannels};

Noise::Noise(const ModuleType& type)
    : Module(type) {}

void Noise::onPrepare(const PrepareInfo&) {
    m_state = scramble(instanceSeed());
    for (float& b : m_b)
        b = 0.0f;
    m_poly = PolyState{};
    for (int c = 0; c < kMaxChannels; ++c)
        m_poly.state[c] =
            c == 0 ? m_state : scramble(instanceSeed() + 0x9E3779B9u * static_cast<std::uint32_t>(c));
    m_polyKernel = simd::pick(&noisePolyGeneric, &noisePolyAvx2);
}

void Noise::process(const ProcessContext& ctx) noexcept {
    float* out = ctx.outputs[Out];
    SmoothedValue& gain = param(Gain);
    const bool pink = param(Color).current() >= 0.5f;
    if (ctx.outputChannels[Out] > 1) {
        m_polyKernel(ctx, m_poly, gain, pink);
        return;
    }
    std::uint32_t s = m_state;
    for (int i = 0; i < ctx.frames; ++i) {
        // xorshift32: cheap, full period, good enough for audio noise.
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        const float white = static_cast<float>(static_cast<std::int32_t>(s)) * (1.0f / 2147483648.0f);
        float v = white;
        if (pink) {
            // Paul Kellet's refined pink filter (-3 dB/octave within 0.05 dB above 9 Hz at 44.1 kHz).
            m_b[0] = 0.99886f * m_b[0] + white * 0.0555179f;
            m_b[1] = 0.99332f * m_b[1] + white * 0.0750759f;
            m_b[2] = 0.96900f * m_b[2] + white * 0.1538520f;
            m_b[3] = 0.86650f * m_b[3] + white * 0.3104856f;
            m_b[4] = 0.55000f * m_b[4] + white * 0.5329522f;
            m_b[5] = -0.7616f * m_b[5] - white * 0.0168980f;
            v = (m_b[0] + m_b[1] + m_b[2] + m_b[3] + m_b[4] + m_b[5] + m_b[6] + white * 0.5362f) * 0.11f;
            m_b[6] = white * 0.115926f;
        }
        out[i] = gain.next() * v;
    }
    m_state = s;
}

} // namespace chronus::engine
