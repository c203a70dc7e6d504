#include "Svf.hpp"

#include "../Denormals.hpp"
#include "../Simd.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

// Runtime dispatch to AVX2 + FMA (GCC/Clang function multiversioning) on x86-64; the default
// version runs on any x86-64 and is the only one elsewhere.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(CHRONUS_NO_SIMD_DISPATCH)
#define CHRONUS_SVF_DISPATCH 1
#endif

namespace chronus::engine {

const ModuleType Svf::kType{
    "svf",          "State-variable filter",
    "Filters",      "12 dB/oct state-variable filter with low-, band- and high-pass outputs",
    kParams,        kInputs,
    kOutputs,       &createModule<Svf>,
    nullptr,        nullptr,
    Polyphony::Poly};

namespace {

// With constant coefficients the filter of Svf::processPerSample is a linear system with state
// s = (ic1, ic2), written out from its equations:
//   s' = A s + B x,   lp = Clp s + Dlp x,   bp = Cbp s + Dbp x,   hp = x - bp - lp.
// Unrolling it W samples ahead gives each block of W outputs as a few vector multiply-adds of the
// state at the block's start and the block's inputs, and the state after the block likewise. Same
// response, computed in a different order: the loop-carried dependency is one step per W samples
// instead of a chain of about five dependent operations per sample, which is what limited the
// per-sample form.
struct StateSpace {
    double a[2][2], b[2], cLp[2], dLp, cBp[2], dBp;
};

StateSpace stateSpaceOf(float a1f, float a2f, float a3f, float kf) noexcept {
    const double a1 = a1f, a2 = a2f, a3 = a3f, k = kf;
    // v1 = a1 ic1 - a2 ic2 + a2 x;  v2 = a2 ic1 + (1 - a3) ic2 + a3 x;  ic1' = 2 v1 - ic1;  ic2' = 2 v2 - ic2
    return {{{2.0 * a1 - 1.0, -2.0 * a2}, {2.0 * a2, 1.0 - 2.0 * a3}},
            {2.0 * a2, 2.0 * a3},
            {a2, 1.0 - a3},
            a3,
            {k * a1, -k * a2},
            k * a2};
}

template <int W>
void computeBlock(const StateSpace& m, Svf::BlockCoefficients& c) noexcept {
    // p[j] = A^j, pb[j] = A^j B
    double p[W + 1][2][2];
    double pb[W + 1][2];
    p[0][0][0] = p[0][1][1] = 1.0;
    p[0][0][1] = p[0][1][0] = 0.0;
    for (int j = 0; j < W; ++j)
        for (int r = 0; r < 2; ++r)
            for (int col = 0; col < 2; ++col)
                p[j + 1][r][col] = m.a[r][0] * p[j][0][col] + m.a[r][1] * p[j][1][col];
    for (int j = 0; j <= W; ++j)
        for (int r = 0; r < 2; ++r)
            pb[j][r] = p[j][r][0] * m.b[0] + p[j][r][1] * m.b[1];

    c = Svf::BlockCoefficients{};
    auto output = [&](const double (&cRow)[2], double d, float (&state)[2][Svf::kMaxBlockWidth],
                      float (&input)[Svf::kMaxBlockWidth][Svf::kMaxBlockWidth]) {
        for (int j = 0; j < W; ++j) {
            for (int col = 0; col < 2; ++col)
                state[col][j] = static_cast<float>(cRow[0] * p[j][0][col] + cRow[1] * p[j][1][col]);
            for (int i = 0; i < j; ++i) // the input at step i reaches step j through A^(j-1-i) B
                input[i][j] = static_cast<float>(cRow[0] * pb[j - 1 - i][0] + cRow[1] * pb[j - 1 - i][1]);
            input[j][j] = static_cast<float>(d);
        }
    };
    output(m.cLp, m.dLp, c.lpState, c.lpInput);
    output(m.cBp, m.dBp, c.bpState, c.bpInput);
    for (int r = 0; r < 2; ++r) {
        for (int col = 0; col < 2; ++col)
            c.nextState[col][r] = static_cast<float>(p[W][r][col]);
        for (int i = 0; i < W; ++i)
            c.nextInput[i][r] = static_cast<float>(pb[W - 1 - i][r]);
    }
    c.width = W;
}

// GCC/Clang vector extensions: plain SSE on any x86-64, AVX in the x86-64-v3 version. `Unaligned`
// reads and writes the audio buffers and the coefficient rows in place.
template <int W>
struct VectorOf;
template <>
struct VectorOf<4> {
    typedef float Type __attribute__((vector_size(16)));
    typedef float Unaligned __attribute__((vector_size(16), aligned(4), may_alias));
};
template <>
struct VectorOf<8> {
    typedef float Type __attribute__((vector_size(32)));
    typedef float Unaligned __attribute__((vector_size(32), aligned(4), may_alias));
};

// Renders whole blocks of W samples from `in`; returns the number of samples rendered.
template <int W>
[[gnu::always_inline]] inline int runBlocks(const Svf::BlockCoefficients& c, const float* in, float* lp, float* bp,
                                            float* hp, int frames, float& ic1, float& ic2) noexcept {
    using V = typename VectorOf<W>::Type;
    using U = typename VectorOf<W>::Unaligned;
    auto row = [](const float* p) noexcept -> const U& { return *reinterpret_cast<const U*>(p); };
    // vector x scalar multiplies every lane by the scalar (GCC/Clang vector extensions)
    float s1 = ic1, s2 = ic2;
    int i = 0;
    for (; i + W <= frames; i += W) {
        const float* x = in + i;
        // input terms first: they do not wait for the state
        V l = row(c.lpInput[0]) * x[0];
        V b = row(c.bpInput[0]) * x[0];
        V n = row(c.nextInput[0]) * x[0];
#pragma GCC unroll 8
        for (int m = 1; m < W; ++m) {
            l += row(c.lpInput[m]) * x[m];
            b += row(c.bpInput[m]) * x[m];
            n += row(c.nextInput[m]) * x[m];
        }
        l += row(c.lpState[1]) * s2 + row(c.lpState[0]) * s1;
        b += row(c.bpState[1]) * s2 + row(c.bpState[0]) * s1;
        n += row(c.nextState[1]) * s2 + row(c.nextState[0]) * s1;
        *reinterpret_cast<U*>(lp + i) = l;
        *reinterpret_cast<U*>(bp + i) = b;
        *reinterpret_cast<U*>(hp + i) = (row(x) - b) - l;
        s1 = n[0];
        s2 = n[1];
    }
    ic1 = s1;
    ic2 = s2;
    return i;
}

// The four coefficients of the per-sample form, in its order: a1, a2, a3, k.
struct Coefficients {
    float a1, a2, a3, k;
};

template <int W>
[[gnu::always_inline]] inline int blocksOfWidth(Svf::BlockCoefficients& c, const Coefficients& k, const float* in,
                                                float* lp, float* bp, float* hp, int frames, float& ic1,
                                                float& ic2) noexcept {
    if (c.width != W)
        computeBlock<W>(stateSpaceOf(k.a1, k.a2, k.a3, k.k), c);
    return runBlocks<W>(c, in, lp, bp, hp, frames, ic1, ic2);
}

#ifdef CHRONUS_SVF_DISPATCH
__attribute__((target("default"))) int renderBlocks(Svf::BlockCoefficients& c, const Coefficients& m, const float* in,
                                                    float* lp, float* bp, float* hp, int frames, float& ic1,
                                                    float& ic2) noexcept {
    return blocksOfWidth<4>(c, m, in, lp, bp, hp, frames, ic1, ic2);
}
__attribute__((target("arch=x86-64-v3"))) int renderBlocks(Svf::BlockCoefficients& c, const Coefficients& m,
                                                           const float* in, float* lp, float* bp, float* hp,
                                                           int frames, float& ic1, float& ic2) noexcept {
    return blocksOfWidth<8>(c, m, in, lp, bp, hp, frames, ic1, ic2);
}
#else
int renderBlocks(Svf::BlockCoefficients& c, const Coefficients& m, const float* in, float* lp, float* bp, float* hp,
                 int frames, float& ic1, float& ic2) noexcept {
    return blocksOfWidth<4>(c, m, in, lp, bp, hp, frames, ic1, ic2);
}
#endif

// Polyphony. Each group of 8 channels runs the per-sample form of Svf::processPerSample with the
// same expressions, its state in registers over the block. The shared cutoff and Q are read once
// per frame, a chunk of frames at a time, and broadcast to every group.
constexpr int kPolyChunk = 64;

[[gnu::always_inline]] inline simd::F8 zapGremlins8(simd::F8 x) noexcept {
    const simd::F8 a = simd::max(x, -x);
    return (a > 1e-15f && a < 1e15f) ? x : simd::F8{}; // NaN fails both comparisons
}

// One sample of 8 filters: the mono per-sample form.
struct PolyOutputs {
    float* lp;
    float* bp;
    float* hp;
};
// Bp and Hp: whether those outputs are written (a cable reads them).
template <bool Bp = true, bool Hp = true>
[[gnu::always_inline]] inline void svfStep8(simd::F8 v0, simd::F8 a1, simd::F8 a2, simd::F8 a3, simd::F8 k,
                                            simd::F8& ic1, simd::F8& ic2, const PolyOutputs& o,
                                            std::size_t at) noexcept {
    using namespace simd;
    const F8 v3 = v0 - ic2;
    const F8 v1 = a1 * ic1 + a2 * v3;
    const F8 v2 = ic2 + a2 * ic1 + a3 * v3;
    ic1 = 2.0f * v1 - ic1;
    ic2 = 2.0f * v2 - ic2;
    store(o.lp + at, v2);
    if constexpr (Bp)
        store(o.bp + at, k * v1);
    if constexpr (Hp) // k v1 rounded, as the band-pass output stores it: hp is the same with or without bp
        store(o.hp + at, v0 - rounded(k * v1) - v2);
}

// Cutoff and Q constant and no cutoff CV: the coefficients are shared by every channel. Only the
// outputs a cable reads are computed (most patches use one of the three).
template <bool Bp, bool Hp>
[[gnu::always_inline]] inline void svfPolyFixedOutputs(const ProcessContext& ctx, Svf::PolyState& st,
                                                       const Svf::PolyArgs& c) noexcept {
    using namespace simd;
    const int stride = channelStride(ctx.channels);
    const float* in = ctx.inputs[Svf::In];
    const PolyOutputs o{ctx.outputs[Svf::Lp], ctx.outputs[Svf::Bp], ctx.outputs[Svf::Hp]};
    const F8 a1 = splat(c.a1), a2 = splat(c.a2), a3 = splat(c.a3), k = splat(c.k);
    int g = 0;
    // Two groups side by side in one loop: a sample's state depends on the last through a chain of
    // about four dependent operations, so one group alone leaves the core waiting on it.
    for (; g + 2 * kPolyLanes <= stride; g += 2 * kPolyLanes) {
        const int h = g + kPolyLanes;
        F8 ic1 = load(st.ic1 + g), ic2 = load(st.ic2 + g);
        F8 jc1 = load(st.ic1 + h), jc2 = load(st.ic2 + h);
        for (int i = 0; i < ctx.frames; ++i) {
            const std::size_t at = static_cast<std::size_t>(i * stride + g);
            svfStep8<Bp, Hp>(in ? load(in + at) : F8{}, a1, a2, a3, k, ic1, ic2, o, at);
            svfStep8<Bp, Hp>(in ? load(in + at + kPolyLanes) : F8{}, a1, a2, a3, k, jc1, jc2, o, at + kPolyLanes);
        }
        store(st.ic1 + g, zapGremlins8(ic1));
        store(st.ic2 + g, zapGremlins8(ic2));
        store(st.ic1 + h, zapGremlins8(jc1));
        store(st.ic2 + h, zapGremlins8(jc2));
    }
    for (; g < stride; g += kPolyLanes) {
        F8 ic1 = load(st.ic1 + g), ic2 = load(st.ic2 + g);
        for (int i = 0; i < ctx.frames; ++i) {
            const std::size_t at = static_cast<std::size_t>(i * stride + g);
            svfStep8<Bp, Hp>(in ? load(in + at) : F8{}, a1, a2, a3, k, ic1, ic2, o, at);
        }
        store(st.ic1 + g, zapGremlins8(ic1));
        store(st.ic2 + g, zapGremlins8(ic2));
    }
}

[[gnu::always_inline]] inline void svfPolyFixed(const ProcessContext& ctx, Svf::PolyState& st,
                                                const Svf::PolyArgs& c, SmoothedValue&, SmoothedValue&) noexcept {
    const bool bp = !(ctx.unreadOutputs & (1u << Svf::Bp)), hp = !(ctx.unreadOutputs & (1u << Svf::Hp));
    if (bp)
        hp ? svfPolyFixedOutputs<true, true>(ctx, st, c) : svfPolyFixedOutputs<true, false>(ctx, st, c);
    else
        hp ? svfPolyFixedOutputs<false, true>(ctx, st, c) : svfPolyFixedOutputs<false, false>(ctx, st, c);
}

// Cutoff CV or a ramping param: every channel's coefficients per sample, as Svf::updateCoefficients
// computes them, with simd::exp2 and simd::tan in place of std::exp2 and std::tan.
[[gnu::always_inline]] inline void svfPolyModulated(const ProcessContext& ctx, Svf::PolyState& st,
                                                    const Svf::PolyArgs& c, SmoothedValue& cutoff,
                                                    SmoothedValue& q) noexcept {
    using namespace simd;
    const int stride = channelStride(ctx.channels);
    const float* in = ctx.inputs[Svf::In];
    const float* cv = ctx.inputs[Svf::CutoffCv];
    const PolyOutputs o{ctx.outputs[Svf::Lp], ctx.outputs[Svf::Bp], ctx.outputs[Svf::Hp]};
    for (int base = 0; base < ctx.frames; base += kPolyChunk) {
        const int n = std::min(kPolyChunk, ctx.frames - base);
        float fcs[kPolyChunk], ks[kPolyChunk];
        for (int j = 0; j < n; ++j) {
            fcs[j] = cutoff.next();
            ks[j] = 1.0f / q.next();
        }
        for (int g = 0; g < stride; g += kPolyLanes) {
            F8 ic1 = load(st.ic1 + g), ic2 = load(st.ic2 + g);
            for (int j = 0; j < n; ++j) {
                const std::size_t at = static_cast<std::size_t>((base + j) * stride + g);
                F8 fc = splat(fcs[j]);
                if (cv)
                    fc = fc * exp2(clamp(load(cv + at), splat(-12.0f), splat(12.0f)));
                const F8 gain = tan(clamp(fc, splat(1.0f), splat(c.maxCutoff)) * c.piOverSr);
                const F8 k = splat(ks[j]);
                const F8 a1 = 1.0f / (1.0f + gain * (gain + k));
                const F8 a2 = gain * a1;
                const F8 a3 = gain * a2;
                svfStep8(in ? load(in + at) : F8{}, a1, a2, a3, k, ic1, ic2, o, at);
            }
            store(st.ic1 + g, zapGremlins8(ic1));
            store(st.ic2 + g, zapGremlins8(ic2));
        }
    }
}

#define SVF_POLY_PARAMS                                                                                      \
    (const ProcessContext& ctx, Svf::PolyState& st, const Svf::PolyArgs& c, SmoothedValue& cutoff,           \
     SmoothedValue& q)
CHRONUS_POLY_KERNEL(svfPolyFixed, svfPolyFixed, SVF_POLY_PARAMS, (ctx, st, c, cutoff, q))
CHRONUS_POLY_KERNEL(svfPolyModulated, svfPolyModulated, SVF_POLY_PARAMS, (ctx, st, c, cutoff, q))
#undef SVF_POLY_PARAMS

} // namespace

void Svf::onPrepare(const PrepareInfo& info) {
    m_piOverSr = static_cast<float>(std::numbers::pi / info.sampleRate);
    m_maxCutoff = static_cast<float>(0.48 * info.sampleRate);
    m_ic1 = m_ic2 = 0.0f;
    m_coeffCutoff = m_coeffQ = -1.0f;
    updateCoefficients(param(Cutoff).current(), param(Q).current());
    m_poly = PolyState{};
    m_polyFixed = simd::pick(&svfPolyFixedGeneric, &svfPolyFixedAvx2);
    m_polyModulated = simd::pick(&svfPolyModulatedGeneric, &svfPolyModulatedAvx2);
}

void Svf::updateCoefficients(float cutoffHz, float q) noexcept {
    const float fc = std::clamp(cutoffHz, 1.0f, m_maxCutoff);
    const float g = std::tan(fc * m_piOverSr);
    m_k = 1.0f / q;
    m_a1 = 1.0f / (1.0f + g * (g + m_k));
    m_a2 = g * m_a1;
    m_a3 = g * m_a2;
}

void Svf::process(const ProcessContext& ctx) noexcept {
    const float* in = ctx.inputs[In];
    const float* cv = ctx.inputs[CutoffCv];
    float* lp = ctx.outputs[Lp];
    float* bp = ctx.outputs[Bp];
    float* hp = ctx.outputs[Hp];
    SmoothedValue& cutoff = param(Cutoff);
    SmoothedValue& q = param(Q);
    if (ctx.channels > 1) {
        if (cv || cutoff.isSmoothing() || q.isSmoothing()) {
            m_polyModulated(ctx, m_poly, {0.0f, 0.0f, 0.0f, 0.0f, m_piOverSr, m_maxCutoff}, cutoff, q);
            m_coeffCutoff = m_coeffQ = -1.0f;
            return;
        }
        if (cutoff.current() != m_coeffCutoff || q.current() != m_coeffQ) {
            updateCoefficients(cutoff.current(), q.current());
            m_coeffCutoff = cutoff.current();
            m_coeffQ = q.current();
            m_block.width = 0;
        }
        m_polyFixed(ctx, m_poly, {m_a1, m_a2, m_a3, m_k, m_piOverSr, m_maxCutoff}, cutoff, q);
        return;
    }
    if (cv || cutoff.isSmoothing() || q.isSmoothing()) {
        processPerSample(in, cv, lp, bp, hp, 0, ctx.frames, true);
        m_coeffCutoff = m_coeffQ = -1.0f; // the coefficients now belong to the last sample
        return;
    }
    if (cutoff.current() != m_coeffCutoff || q.current() != m_coeffQ) {
        updateCoefficients(cutoff.current(), q.current());
        m_coeffCutoff = cutoff.current();
        m_coeffQ = q.current();
        m_block.width = 0;
    }
    int done = 0;
    if (in) {
        float ic1 = m_ic1, ic2 = m_ic2;
        done = renderBlocks(m_block, {m_a1, m_a2, m_a3, m_k}, in, lp, bp, hp, ctx.frames, ic1, ic2);
        m_ic1 = ic1;
        m_ic2 = ic2;
    }
    processPerSample(in, nullptr, lp, bp, hp, done, ctx.frames, false);
}

void Svf::processPerSample(const float* in, const float* cv, float* lp, float* bp, float* hp, int from, int to,
                           bool modulated) noexcept {
    SmoothedValue& cutoff = param(Cutoff);
    SmoothedValue& q = param(Q);
    float ic1 = m_ic1, ic2 = m_ic2;
    for (int i = from; i < to; ++i) {
        if (modulated) {
            float fc = cutoff.next();
            if (cv)
                fc *= std::exp2(std::clamp(cv[i], -12.0f, 12.0f));
            updateCoefficients(fc, q.next());
        }
        const float a1 = m_a1, a2 = m_a2, a3 = m_a3, k = m_k;
        const float v0 = in ? in[i] : 0.0f;
        const float v3 = v0 - ic2;
        const float v1 = a1 * ic1 + a2 * v3;
        const float v2 = ic2 + a2 * ic1 + a3 * v3;
        ic1 = 2.0f * v1 - ic1;
        ic2 = 2.0f * v2 - ic2;
        lp[i] = v2;
        bp[i] = k * v1;
        hp[i] = v0 - k * v1 - v2;
    }
    m_ic1 = zapGremlins(ic1);
    m_ic2 = zapGremlins(ic2);
}

} // namespace chronus::engine
