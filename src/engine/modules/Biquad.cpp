#include "Biquad.hpp"

#include "../Denormals.hpp"
#include "../Simd.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace chronus::engine {

const ModuleType Biquad::kType{
    "biquad", "Biquad filter", "Filters",      "Second-order low-, high- or band-pass filter",
    kParams,  kInputs,         kOutputs,       &createModule<Biquad>,
    nullptr,  nullptr,         Polyphony::Poly};

namespace {

// 8 filters per instruction, the mono transposed direct form II, each group's state in registers
// over frames [from, to); coefficients c[(i - from) x cStride] (cStride 0: the same all along).
[[gnu::always_inline]] inline void biquadPoly(const ProcessContext& ctx, Biquad::PolyState& st,
                                              const Biquad::Coefficients* c, int cStride, int from,
                                              int to) noexcept {
    using namespace simd;
    const int stride = channelStride(ctx.channels);
    const float* in = ctx.inputs[Biquad::In];
    float* out = ctx.outputs[Biquad::Out];
    for (int g = 0; g < stride; g += kPolyLanes) {
        F8 z1 = load(st.z1 + g), z2 = load(st.z2 + g);
        for (int i = from; i < to; ++i) {
            const Biquad::Coefficients& k = c[(i - from) * cStride];
            const std::size_t at = static_cast<std::size_t>(i * stride + g);
            const F8 x = in ? load(in + at) : F8{};
            const F8 y = k.b0 * x + z1;
            z1 = k.b1 * x - k.a1 * y + z2;
            z2 = k.b2 * x - k.a2 * y;
            store(out + at, y);
        }
        const F8 a1 = max(z1, -z1), a2 = max(z2, -z2); // zapGremlins, lane by lane
        store(st.z1 + g, (a1 > 1e-15f && a1 < 1e15f) ? z1 : F8{});
        store(st.z2 + g, (a2 > 1e-15f && a2 < 1e15f) ? z2 : F8{});
    }
}

CHRONUS_POLY_KERNEL(biquadPoly, biquadPoly,
                    (const ProcessContext& ctx, Biquad::PolyState& st, const Biquad::Coefficients* c,
                     int cStride, int from, int to),
                    (ctx, st, c, cStride, from, to))

} // namespace

void Biquad::onPrepare(const PrepareInfo& info) {
    m_sampleRate = info.sampleRate;
    m_z1 = m_z2 = 0.0f;
    m_poly = PolyState{};
    m_polyKernel = simd::pick(&biquadPolyGeneric, &biquadPolyAvx2);
    updateCoefficients(param(Cutoff).current(), param(Q).current(), static_cast<int>(param(Mode).current()));
}

void Biquad::updateCoefficients(float cutoffHz, float q, int mode) noexcept {
    const double fc = std::clamp(static_cast<double>(cutoffHz), 1.0, 0.48 * m_sampleRate);
    const double w0 = 2.0 * std::numbers::pi * fc / m_sampleRate;
    const double cosw = std::cos(w0);
    const double alpha = std::sin(w0) / (2.0 * static_cast<double>(q));
    const double a0 = 1.0 + alpha;
    double b0, b1, b2;
    switch (mode) {
    case HighPass:
        b0 = (1.0 + cosw) / 2.0;
        b1 = -(1.0 + cosw);
        b2 = b0;
        break;
    case BandPass:
        b0 = alpha;
        b1 = 0.0;
        b2 = -alpha;
        break;
    default:
        b0 = (1.0 - cosw) / 2.0;
        b1 = 1.0 - cosw;
        b2 = b0;
        break;
    }
    m_b0 = static_cast<float>(b0 / a0);
    m_b1 = static_cast<float>(b1 / a0);
    m_b2 = static_cast<float>(b2 / a0);
    m_a1 = static_cast<float>(-2.0 * cosw / a0);
    m_a2 = static_cast<float>((1.0 - alpha) / a0);
}

void Biquad::process(const ProcessContext& ctx) noexcept {
    const float* in = ctx.inputs[In];
    float* out = ctx.outputs[Out];
    SmoothedValue& cutoff = param(Cutoff);
    SmoothedValue& q = param(Q);
    const int mode = static_cast<int>(param(Mode).current());
    const bool modulated = cutoff.isSmoothing() || q.isSmoothing();
    if (!modulated)
        updateCoefficients(cutoff.current(), q.current(), mode);
    if (ctx.channels > 1) {
        if (!modulated) {
            const Coefficients c{m_b0, m_b1, m_b2, m_a1, m_a2};
            m_polyKernel(ctx, m_poly, &c, 0, 0, ctx.frames);
            return;
        }
        // Ramping: the shared coefficients of each frame (libm, once per frame for every channel),
        // a chunk at a time.
        constexpr int kChunk = 64;
        Coefficients c[kChunk];
        for (int from = 0; from < ctx.frames; from += kChunk) {
            const int to = std::min(from + kChunk, ctx.frames);
            for (int i = from; i < to; ++i) {
                updateCoefficients(cutoff.next(), q.next(), mode);
                c[i - from] = {m_b0, m_b1, m_b2, m_a1, m_a2};
            }
            m_polyKernel(ctx, m_poly, c, 1, from, to);
        }
        return;
    }
    float z1 = m_z1, z2 = m_z2;
    for (int i = 0; i < ctx.frames; ++i) {
        if (modulated)
            updateCoefficients(cutoff.next(), q.next(), mode);
        const float x = in ? in[i] : 0.0f;
        const float y = m_b0 * x + z1; // transposed direct form II
        z1 = m_b1 * x - m_a1 * y + z2;
        z2 = m_b2 * x - m_a2 * y;
        out[i] = y;
    }
    m_z1 = zapGremlins(z1);
    m_z2 = zapGremlins(z2);
}

} // namespace chronus::engine
