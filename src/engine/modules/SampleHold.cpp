#include "SampleHold.hpp"

#include "../Simd.hpp"

#include <algorithm>

#include <cmath>

namespace chronus::engine {

const ModuleType SampleHold::kType{
    "sample_hold",  "Sample & hold",
    "Modulation",   "Samples `in` (or its own noise) at each trigger and holds it, with glide",
    kParams,        kInputs,
    kOutputs,       &createModule<SampleHold>,
    nullptr,        nullptr,
    Polyphony::Poly};

namespace {

std::uint32_t scrambled(std::uint32_t s) noexcept { // murmur3's finaliser; never zero
    s ^= s >> 16;
    s *= 0x85EBCA6Bu;
    s ^= s >> 13;
    s *= 0xC2B2AE35u;
    s ^= s >> 16;
    return s | 1u;
}

// Each lane is the mono module's per-sample code with the same expressions (the glide's product
// kept from fusing), so a channel renders the mono module's samples to the bit. Triggers are rare:
// one test per sample finds whether any lane fires.
[[gnu::always_inline]] inline void sampleHoldPoly(const ProcessContext& ctx, SampleHold::PolyState& st,
                                                  bool trigger, int glideSamples,
                                                  SmoothedValue& level) noexcept {
    using namespace simd;
    using U8 = std::uint32_t __attribute__((vector_size(32)));
    constexpr int kChunk = 64; // frames whose shared level is read once for every group
    const int stride = channelStride(ctx.channels);
    const float* in = ctx.inputs[SampleHold::In];
    const float* trig = ctx.inputs[SampleHold::Trig];
    float* out = ctx.outputs[SampleHold::Out];
    float levels[kChunk];
    for (int from = 0; from < ctx.frames; from += kChunk) {
        const int to = std::min(from + kChunk, ctx.frames);
        for (int i = from; i < to; ++i)
            levels[i - from] = level.next();
        for (int g = 0; g < stride; g += kPolyLanes) {
            I8 trigHigh = loadAs<I8>(st.trigHigh + g), remaining = loadAs<I8>(st.remaining + g);
            F8 value = load(st.value + g), target = load(st.target + g), step = load(st.step + g);
            bool gliding = any(remaining > 0); // some lane: tested per sample only while true
            for (int i = from; i < to; ++i) {
                const std::size_t at = static_cast<std::size_t>(i * stride + g);
                I8 fire = (trigger && i == 0) ? I8{} - 1 : I8{};
                if (trig) {
                    const I8 high = load(trig + at) > 0.5f;
                    fire = fire | (high & ~trigHigh);
                    trigHigh = high;
                }
                if (any(fire)) [[unlikely]] {
                    F8 x;
                    if (in) {
                        x = load(in + at);
                    } else { // xorshift32 in the lanes that fire
                        U8 s = loadAs<U8>(st.noise + g);
                        const U8 old = s;
                        s ^= s << 13;
                        s ^= s >> 17;
                        s ^= s << 5;
                        s = fire ? s : old;
                        storeFrom(st.noise + g, s);
                        x = __builtin_convertvector(I8(s), F8) * (1.0f / 2147483648.0f);
                    }
                    target = fire ? ((x - x) == 0.0f ? x : F8{}) : target; // not finite: 0
                    if (glideSamples <= 1) {
                        value = fire ? target : value;
                        remaining = fire ? I8{} : remaining;
                    } else {
                        remaining = fire ? I8{} + glideSamples : remaining;
                        step = fire ? (target - value) / static_cast<float>(glideSamples) : step;
                        gliding = true;
                    }
                }
                if (gliding) { // from the target back, so the line ends on it exactly
                    const I8 lanes = remaining > 0;
                    remaining = lanes ? remaining - 1 : remaining;
                    const F8 line = target - rounded(step * __builtin_convertvector(remaining, F8));
                    value = lanes ? line : value;
                    gliding = any(remaining > 0);
                }
                store(out + at, levels[i - from] * value);
            }
            storeFrom(st.trigHigh + g, trigHigh);
            storeFrom(st.remaining + g, remaining);
            store(st.value + g, value);
            store(st.target + g, target);
            store(st.step + g, step);
        }
    }
}

CHRONUS_POLY_KERNEL(sampleHoldPoly, sampleHoldPoly,
                    (const ProcessContext& ctx, SampleHold::PolyState& st, bool trigger, int glideSamples,
                     SmoothedValue& level),
                    (ctx, st, trigger, glideSamples, level))

} // namespace

void SampleHold::onPrepare(const PrepareInfo& info) {
    m_samplesPerMs = static_cast<float>(info.sampleRate / 1000.0);
    // The id's hash scrambled (murmur3 finaliser), as the noise module does; never zero. Channel c
    // of a poly module scrambles the hash plus c, so channel 1 is the mono module's sequence.
    m_noise = scrambled(instanceSeed());
    m_poly = PolyState{};
    for (int c = 0; c < kMaxChannels; ++c)
        m_poly.noise[c] = scrambled(instanceSeed() + static_cast<std::uint32_t>(c));
    m_polyKernel = simd::pick(&sampleHoldPolyGeneric, &sampleHoldPolyAvx2);
    m_value = m_target = m_step = 0.0f;
    m_remaining = 0;
    m_trigHigh = false;
    m_pendingTrigger = false;
}

float SampleHold::nextNoise() noexcept {
    std::uint32_t s = m_noise; // xorshift32
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    m_noise = s;
    return static_cast<float>(static_cast<std::int32_t>(s)) * (1.0f / 2147483648.0f);
}

void SampleHold::sample(float value) noexcept {
    m_target = std::isfinite(value) ? value : 0.0f;
    const int samples = static_cast<int>(param(Glide).current() * m_samplesPerMs);
    if (samples <= 1) {
        m_value = m_target;
        m_remaining = 0;
        return;
    }
    m_remaining = samples;
    m_step = (m_target - m_value) / static_cast<float>(samples);
}

void SampleHold::process(const ProcessContext& ctx) noexcept {
    const float* in = ctx.inputs[In];
    const float* trig = ctx.inputs[Trig];
    float* out = ctx.outputs[Out];
    SmoothedValue& level = param(Level);
    param(Glide).skip(ctx.frames); // read at each trigger
    if (ctx.channels > 1) {
        const int glideSamples = static_cast<int>(param(Glide).current() * m_samplesPerMs);
        m_polyKernel(ctx, m_poly, m_pendingTrigger, glideSamples, level);
        m_pendingTrigger = false;
        return;
    }
    for (int i = 0; i < ctx.frames; ++i) {
        bool fire = false;
        if (m_pendingTrigger) {
            m_pendingTrigger = false;
            fire = true;
        }
        if (trig) {
            const bool high = trig[i] > 0.5f;
            fire = fire || (high && !m_trigHigh);
            m_trigHigh = high;
        }
        if (fire)
            sample(in ? in[i] : nextNoise());
        if (m_remaining > 0) // from the target back, so the line ends on it exactly
            m_value = m_target - m_step * static_cast<float>(--m_remaining);
        out[i] = level.next() * m_value;
    }
}

} // namespace chronus::engine
