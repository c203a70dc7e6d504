#include "Distortion.hpp"

#include "../Denormals.hpp"
#include "../Simd.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace chronus::engine {

const ModuleType Distortion::kType{
    "distortion",   "Distortion",
    "Effects",      "Waveshaper (soft, hard, fold, bit-crush) with drive, tone and mix",
    kParams,        kInputs,
    kOutputs,       &createModule<Distortion>,
    nullptr,        nullptr,
    Polyphony::Poly};

namespace {

// Inputs beyond this (or NaN) are treated as silence.
constexpr float kMaxInput = 1e6f;
// The driven signal is clipped here before shaping: every shape is flat (soft, hard, crush) or
// periodic (fold) that far out, and the ADAA differences stay well conditioned.
constexpr double kMaxDriven = 1e4;
// Below this input step the ADAA quotient loses precision; the shape at the midpoint is the same
// mean to second order.
constexpr double kAdaaMinStep = 1e-6;

inline float sane(float x) noexcept {
    return std::fabs(x) <= kMaxInput ? x : 0.0f;
}

// The triangle fold's argument reduced to one period, [-1, 3): the identity on [-1, 1], falling
// on [1, 3].
inline double foldPhase(double v) noexcept {
    const double w = v + 1.0;
    // floor(w / 4) without a library call: |w| <= kMaxDriven + 1 fits an int
    const double q = w * 0.25;
    const double t = static_cast<double>(static_cast<int>(q));
    return w - 4.0 * (t > q ? t - 1.0 : t) - 1.0;
}

double shapeOf(Distortion::Shape shape, double v) noexcept {
    switch (shape) {
    case Distortion::Soft:
        return std::tanh(v);
    case Distortion::Hard:
        return std::clamp(v, -1.0, 1.0);
    case Distortion::Fold: {
        const double w = foldPhase(v);
        return w <= 1.0 ? w : 2.0 - w;
    }
    case Distortion::Crush:
        break;
    }
    return v;
}

// Antiderivatives, each continuous and zero-based at v = 0.
double antiderivativeOf(Distortion::Shape shape, double v) noexcept {
    switch (shape) {
    case Distortion::Soft: { // log cosh v, written to stay finite for large |v|
        const double a = std::fabs(v);
        return a + std::log1p(std::exp(-2.0 * a)) - std::numbers::ln2;
    }
    case Distortion::Hard: {
        const double a = std::fabs(v);
        return a <= 1.0 ? 0.5 * v * v : a - 0.5;
    }
    case Distortion::Fold: { // periodic: the triangle has zero mean over a period
        const double w = foldPhase(v);
        return w <= 1.0 ? 0.5 * w * w : 2.0 * w - 0.5 * w * w - 1.0;
    }
    case Distortion::Crush:
        break;
    }
    return 0.5 * v * v;
}

// Polyphony, hard, fold and crush: each lane the mono per-sample code in the same precision (the
// ADAA in double, as two 4-lane halves of each group), so the portable copy renders the mono
// module's samples to the bit; the AVX2 copy fuses multiply-adds.
using D4 = double __attribute__((vector_size(32)));
using F4 = float __attribute__((vector_size(16)));
using I4 = std::int32_t __attribute__((vector_size(16)));

[[gnu::always_inline]] inline D4 foldPhase4(D4 v) noexcept {
    const D4 w = v + 1.0;
    const D4 q = w * 0.25;
    const D4 t = __builtin_convertvector(__builtin_convertvector(q, I4), D4); // |w| <= kMaxDriven + 1
    return w - 4.0 * (t > q ? t - 1.0 : t) - 1.0;
}
[[gnu::always_inline]] inline D4 shape4(Distortion::Shape shape, D4 v) noexcept {
    if (shape == Distortion::Hard)
        return v < -1.0 ? D4{} - 1.0 : v > 1.0 ? D4{} + 1.0 : v;
    const D4 w = foldPhase4(v);
    return w <= 1.0 ? w : 2.0 - w;
}
[[gnu::always_inline]] inline D4 antiderivative4(Distortion::Shape shape, D4 v) noexcept {
    if (shape == Distortion::Hard) {
        const D4 a = v < 0.0 ? -v : v;
        return a <= 1.0 ? 0.5 * v * v : a - 0.5;
    }
    const D4 w = foldPhase4(v);
    return w <= 1.0 ? 0.5 * w * w : 2.0 * w - 0.5 * w * w - 1.0;
}

// One half (4 lanes) of the ADAA: the shape's mean between the previous and this driven input.
[[gnu::always_inline]] inline F4 adaa4(Distortion::Shape shape, D4 v, D4& prevV, D4& prevF, bool newShape) noexcept {
    if (newShape)
        prevF = antiderivative4(shape, prevV);
    const D4 F = antiderivative4(shape, v);
    const D4 dv = v - prevV;
    const D4 y = (dv < 0.0 ? -dv : dv) > kAdaaMinStep ? (F - prevF) / dv : shape4(shape, 0.5 * (v + prevV));
    prevV = v;
    prevF = F;
    return __builtin_convertvector(y, F4);
}

[[gnu::always_inline]] inline void distortionPoly(const ProcessContext& ctx, Distortion::PolyState& st,
                                                  const Distortion::PolyFrames& f) noexcept {
    using namespace simd;
    const int stride = channelStride(ctx.channels);
    const float* in = ctx.inputs[Distortion::In];
    float* out = ctx.outputs[Distortion::Out];
    const Distortion::Shape shape = f.shape;
    for (int g = 0; g < stride; g += kPolyLanes) {
        D4 prevV[2] = {loadAs<D4>(st.prevV + g), loadAs<D4>(st.prevV + g + 4)};
        D4 prevF[2] = {loadAs<D4>(st.prevF + g), loadAs<D4>(st.prevF + g + 4)};
        F8 held = load(st.held + g), ic1 = load(st.ic1 + g), ic2 = load(st.ic2 + g);
        F8 dcIn = load(st.dcIn + g), dcOut = load(st.dcOut + g);
        for (int i = f.from; i < f.to; ++i) {
            const int j = i - f.from;
            const std::size_t at = static_cast<std::size_t>(i * stride + g);
            F8 dry{};
            if (in) {
                const F8 x = load(in + at);
                dry = max(x, -x) <= kMaxInput ? x : F8{}; // sane
            }
            D4 v[2];
            for (int h = 0; h < 2; ++h) {
                F4 half;
                std::memcpy(&half, reinterpret_cast<const float*>(&dry) + 4 * h, sizeof half);
                const D4 driven = __builtin_convertvector(half, D4) * static_cast<double>(f.gain[j]);
                v[h] = driven < -kMaxDriven ? D4{} - kMaxDriven : driven > kMaxDriven ? D4{} + kMaxDriven : driven;
            }
            F8 wet;
            if (shape == Distortion::Crush) {
                if (f.take[j]) { // round half away from zero to `steps`, as Distortion::crush
                    F8 vf;
                    for (int h = 0; h < 2; ++h) {
                        const F4 half = __builtin_convertvector(v[h], F4);
                        std::memcpy(reinterpret_cast<float*>(&vf) + 4 * h, &half, sizeof half);
                    }
                    const F8 scaled = clamp(vf, splat(-1.0f), splat(1.0f)) * f.steps[j];
                    const F8 rounded = scaled + (scaled >= 0.0f ? splat(0.5f) : splat(-0.5f));
                    held = __builtin_convertvector(__builtin_convertvector(rounded, I8), F8) / f.steps[j];
                }
                wet = held;
                prevV[0] = v[0];
                prevV[1] = v[1];
            } else {
                const bool rebase = f.newShape && i == f.from;
                F8 y;
                for (int h = 0; h < 2; ++h) {
                    const F4 half = adaa4(shape, v[h], prevV[h], prevF[h], rebase);
                    std::memcpy(reinterpret_cast<float*>(&y) + 4 * h, &half, sizeof half);
                }
                wet = y - dcIn + f.dcPole * dcOut; // DcBlocker::process
                dcIn = y;
                dcOut = wet;
            }
            if (f.open[j]) {
                ic1 = F8{};
                ic2 = wet;
            } else {
                const F8 v3 = wet - ic2;
                const F8 v1 = f.a1[j] * ic1 + f.a2[j] * v3;
                const F8 v2 = ic2 + f.a2[j] * ic1 + f.a3[j] * v3;
                ic1 = 2.0f * v1 - ic1;
                ic2 = 2.0f * v2 - ic2;
                wet = v2;
            }
            const float m = f.mix[j];
            store(out + at, (1.0f - m) * dry + m * (f.level[j] * wet));
        }
        storeFrom(st.prevV + g, prevV[0]);
        storeFrom(st.prevV + g + 4, prevV[1]);
        storeFrom(st.prevF + g, prevF[0]);
        storeFrom(st.prevF + g + 4, prevF[1]);
        store(st.held + g, held);
        store(st.ic1 + g, ic1);
        store(st.ic2 + g, ic2);
        store(st.dcIn + g, dcIn);
        store(st.dcOut + g, dcOut);
    }
}

CHRONUS_POLY_KERNEL(distortionPoly, distortionPoly,
                    (const ProcessContext& ctx, Distortion::PolyState& st, const Distortion::PolyFrames& f),
                    (ctx, st, f))

} // namespace

void Distortion::onPrepare(const PrepareInfo& info) {
    m_piOverSr = static_cast<float>(std::numbers::pi / info.sampleRate);
    m_maxToneHz = static_cast<float>(0.45 * info.sampleRate);
    m_historyShape = -1;
    m_prevV = 0.0;
    m_prevF = 0.0;
    m_dcBlocker.prepare(info.sampleRate);
    m_held = 0.0f;
    m_crushBits = -1.0f;
    m_holdCount = kParams[Downsample].max; // the first sample is taken at once
    m_ic1 = m_ic2 = 0.0f;
    m_toneHz = -1.0f;
    m_driveDb = -1.0f;
    m_poly = PolyState{};
    m_dcPole = static_cast<float>(std::exp(-2.0 * std::numbers::pi * DcBlocker::kDefaultCornerHz / info.sampleRate));
    m_polyKernel = simd::pick(&distortionPolyGeneric, &distortionPolyAvx2);
    m_polyHistoryShape = -1;
    m_polyHoldCount = kParams[Downsample].max;
}

double Distortion::shapeAntialiased(Shape shape, double v) noexcept {
    if (shape != m_historyShape) {
        m_historyShape = shape;
        m_prevF = antiderivativeOf(shape, m_prevV);
    }
    const double F = antiderivativeOf(shape, v);
    const double dv = v - m_prevV;
    const double y = std::fabs(dv) > kAdaaMinStep ? (F - m_prevF) / dv : shapeOf(shape, 0.5 * (v + m_prevV));
    m_prevV = v;
    m_prevF = F;
    return y;
}

float Distortion::crush(float v, float bits, float hold) noexcept {
    m_holdCount += 1.0f;
    if (m_holdCount >= hold) {
        m_holdCount -= hold;
        if (m_holdCount >= hold) // the hold got shorter meanwhile
            m_holdCount = 0.0f;
        if (bits != m_crushBits) {
            m_crushBits = bits;
            m_crushSteps = std::exp2(bits - 1.0f);
        }
        // round half away from zero (|scaled| <= 2^15 fits an int), symmetric about 0
        const float scaled = std::clamp(v, -1.0f, 1.0f) * m_crushSteps;
        m_held =
            static_cast<float>(static_cast<int>(scaled + (scaled >= 0.0f ? 0.5f : -0.5f))) / m_crushSteps;
    }
    return m_held;
}

float Distortion::tone(float x, float hz) noexcept {
    if (hz >= kToneOpen) {
        // Open: pass, and keep the low-pass's state where a steady input would leave it, so that
        // closing the tone again starts without a step.
        m_ic1 = 0.0f;
        m_ic2 = x;
        return x;
    }
    if (hz != m_toneHz) {
        m_toneHz = hz;
        const float g = std::tan(std::min(hz, m_maxToneHz) * m_piOverSr);
        constexpr float k = std::numbers::sqrt2_v<float>; // 1 / Q
        m_a1 = 1.0f / (1.0f + g * (g + k));
        m_a2 = g * m_a1;
        m_a3 = g * m_a2;
    }
    const float v3 = x - m_ic2;
    const float v1 = m_a1 * m_ic1 + m_a2 * v3;
    const float v2 = m_ic2 + m_a2 * m_ic1 + m_a3 * v3;
    m_ic1 = 2.0f * v1 - m_ic1;
    m_ic2 = 2.0f * v2 - m_ic2;
    return v2;
}

void Distortion::process(const ProcessContext& ctx) noexcept {
    const float* in = ctx.inputs[In];
    float* out = ctx.outputs[Out];
    const Shape shape = static_cast<Shape>(std::clamp(static_cast<int>(param(Mode).current()), 0, 3));
    SmoothedValue& drive = param(Drive);
    SmoothedValue& toneHz = param(Tone);
    SmoothedValue& mix = param(Mix);
    SmoothedValue& level = param(Level);
    SmoothedValue& bits = param(Bits);
    SmoothedValue& downsample = param(Downsample);
    if (ctx.channels > 1) {
        processPoly(ctx, shape);
        return;
    }
    for (int i = 0; i < ctx.frames; ++i) {
        const float dry = in ? sane(in[i]) : 0.0f;
        const float dB = drive.next();
        if (dB != m_driveDb) {
            m_driveDb = dB;
            m_driveGain = std::pow(10.0f, dB / 20.0f);
        }
        const double v =
            std::clamp(static_cast<double>(dry) * static_cast<double>(m_driveGain), -kMaxDriven, kMaxDriven);
        const float b = bits.next();
        const float hold = downsample.next();
        float wet;
        if (shape == Crush) {
            wet = crush(static_cast<float>(v), b, hold);
            m_prevV = v; // the ADAA history stays current for a switch back
            m_historyShape = -1;
        } else {
            wet = m_dcBlocker.process(static_cast<float>(shapeAntialiased(shape, v)));
        }
        wet = tone(wet, toneHz.next());
        const float m = mix.next();
        out[i] = (1.0f - m) * dry + m * (level.next() * wet);
    }
    m_ic1 = zapGremlins(m_ic1);
    m_ic2 = zapGremlins(m_ic2);
    m_dcBlocker.flush();
}

void Distortion::processPoly(const ProcessContext& ctx, Shape shape) noexcept {
    // The mono loop above with the per-frame work (params, the hold count, the tone coefficients)
    // done once per frame for every channel, a chunk of frames at a time.
    SmoothedValue& drive = param(Drive);
    SmoothedValue& toneHz = param(Tone);
    SmoothedValue& mix = param(Mix);
    SmoothedValue& level = param(Level);
    SmoothedValue& bits = param(Bits);
    SmoothedValue& downsample = param(Downsample);
    PolyFrames f;
    f.shape = shape;
    f.dcPole = m_dcPole;
    for (int from = 0; from < ctx.frames; from += kPolyChunk) {
        f.from = from;
        f.to = std::min(from + kPolyChunk, ctx.frames);
        // the shape is the same all block: the ADAA history is re-based at its first frame only
        f.newShape = from == 0 && shape != Crush && shape != m_polyHistoryShape;
        for (int i = f.from; i < f.to; ++i) {
            const int j = i - f.from;
            const float dB = drive.next();
            if (dB != m_driveDb) {
                m_driveDb = dB;
                m_driveGain = std::pow(10.0f, dB / 20.0f);
            }
            f.gain[j] = m_driveGain;
            const float b = bits.next();
            const float hold = downsample.next();
            f.take[j] = false;
            if (shape == Crush) {
                m_polyHoldCount += 1.0f;
                if (m_polyHoldCount >= hold) {
                    m_polyHoldCount -= hold;
                    if (m_polyHoldCount >= hold)
                        m_polyHoldCount = 0.0f;
                    if (b != m_crushBits) {
                        m_crushBits = b;
                        m_crushSteps = std::exp2(b - 1.0f);
                    }
                    f.take[j] = true;
                }
            }
            f.steps[j] = m_crushSteps;
            const float hz = toneHz.next();
            f.open[j] = hz >= kToneOpen;
            if (!f.open[j] && hz != m_toneHz) {
                m_toneHz = hz;
                const float g = std::tan(std::min(hz, m_maxToneHz) * m_piOverSr);
                constexpr float k = std::numbers::sqrt2_v<float>; // 1 / Q
                m_a1 = 1.0f / (1.0f + g * (g + k));
                m_a2 = g * m_a1;
                m_a3 = g * m_a2;
            }
            f.a1[j] = m_a1;
            f.a2[j] = m_a2;
            f.a3[j] = m_a3;
            f.mix[j] = mix.next();
            f.level[j] = level.next();
        }
        if (shape == Soft)
            softPoly(ctx, f);
        else
            m_polyKernel(ctx, m_poly, f);
        m_polyHistoryShape = shape == Crush ? -1 : shape;
    }
    const int stride = channelStride(ctx.channels);
    for (int c = 0; c < stride; ++c) {
        m_poly.ic1[c] = zapGremlins(m_poly.ic1[c]);
        m_poly.ic2[c] = zapGremlins(m_poly.ic2[c]);
        m_poly.dcIn[c] = zapGremlins(m_poly.dcIn[c]);
        m_poly.dcOut[c] = zapGremlins(m_poly.dcOut[c]);
    }
}

void Distortion::softPoly(const ProcessContext& ctx, const PolyFrames& f) noexcept {
    // soft: the mono per-sample code channel by channel (log1p and exp in double: no vector form).
    const int stride = channelStride(ctx.channels);
    const float* in = ctx.inputs[In];
    float* out = ctx.outputs[Out];
    for (int i = f.from; i < f.to; ++i) {
        const int j = i - f.from;
        const std::size_t frame = static_cast<std::size_t>(i) * static_cast<std::size_t>(stride);
        for (int c = 0; c < stride; ++c) { // padding lanes too: finite, never heard
            const float dry = in ? sane(in[frame + static_cast<std::size_t>(c)]) : 0.0f;
            const double v =
                std::clamp(static_cast<double>(dry) * static_cast<double>(f.gain[j]), -kMaxDriven, kMaxDriven);
            double& prevV = m_poly.prevV[c];
            double& prevF = m_poly.prevF[c];
            if (f.newShape && i == f.from)
                prevF = antiderivativeOf(Soft, prevV);
            const double F = antiderivativeOf(Soft, v);
            const double dv = v - prevV;
            const double y = std::fabs(dv) > kAdaaMinStep ? (F - prevF) / dv : shapeOf(Soft, 0.5 * (v + prevV));
            prevV = v;
            prevF = F;
            const float x = static_cast<float>(y);
            float wet = x - m_poly.dcIn[c] + f.dcPole * m_poly.dcOut[c]; // DcBlocker::process
            m_poly.dcIn[c] = x;
            m_poly.dcOut[c] = wet;
            float& ic1 = m_poly.ic1[c];
            float& ic2 = m_poly.ic2[c];
            if (f.open[j]) {
                ic1 = 0.0f;
                ic2 = wet;
            } else {
                const float v3 = wet - ic2;
                const float v1 = f.a1[j] * ic1 + f.a2[j] * v3;
                const float v2 = ic2 + f.a2[j] * ic1 + f.a3[j] * v3;
                ic1 = 2.0f * v1 - ic1;
                ic2 = 2.0f * v2 - ic2;
                wet = v2;
            }
            const float m = f.mix[j];
            out[frame + static_cast<std::size_t>(c)] = (1.0f - m) * dry + m * (f.level[j] * wet);
        }
    }
}

} // namespace chronus::engine
