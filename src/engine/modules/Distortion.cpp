#include "Distortion.hpp"

#include "../Denormals.hpp"

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
    for (PolyVoice& voice : m_voices) {
        voice = PolyVoice{};
        voice.dcBlocker.prepare(info.sampleRate);
    }
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
    // done once and the per-channel work once per channel, in the same expressions.
    const int channels = ctx.channels;
    const int stride = channelStride(channels);
    const float* in = ctx.inputs[In];
    float* out = ctx.outputs[Out];
    SmoothedValue& drive = param(Drive);
    SmoothedValue& toneHz = param(Tone);
    SmoothedValue& mix = param(Mix);
    SmoothedValue& level = param(Level);
    SmoothedValue& bits = param(Bits);
    SmoothedValue& downsample = param(Downsample);
    for (int i = 0; i < ctx.frames; ++i) {
        const float dB = drive.next();
        if (dB != m_driveDb) {
            m_driveDb = dB;
            m_driveGain = std::pow(10.0f, dB / 20.0f);
        }
        const float b = bits.next();
        const float hold = downsample.next();
        bool take = false; // crush: a new sample this frame
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
                take = true;
            }
        }
        const float hz = toneHz.next();
        const bool open = hz >= kToneOpen;
        if (!open && hz != m_toneHz) {
            m_toneHz = hz;
            const float g = std::tan(std::min(hz, m_maxToneHz) * m_piOverSr);
            constexpr float k = std::numbers::sqrt2_v<float>; // 1 / Q
            m_a1 = 1.0f / (1.0f + g * (g + k));
            m_a2 = g * m_a1;
            m_a3 = g * m_a2;
        }
        const float m = mix.next();
        const float l = level.next();
        const bool newShape = shape != Crush && shape != m_polyHistoryShape;
        const std::size_t frame = static_cast<std::size_t>(i) * static_cast<std::size_t>(stride);
        for (int c = 0; c < channels; ++c) {
            PolyVoice& voice = m_voices[c];
            const float dry = in ? sane(in[frame + static_cast<std::size_t>(c)]) : 0.0f;
            const double v = std::clamp(static_cast<double>(dry) * static_cast<double>(m_driveGain),
                                        -kMaxDriven, kMaxDriven);
            float wet;
            if (shape == Crush) {
                if (take) {
                    const float scaled = std::clamp(static_cast<float>(v), -1.0f, 1.0f) * m_crushSteps;
                    voice.held =
                        static_cast<float>(static_cast<int>(scaled + (scaled >= 0.0f ? 0.5f : -0.5f))) /
                        m_crushSteps;
                }
                wet = voice.held;
                voice.prevV = v;
            } else {
                if (newShape)
                    voice.prevF = antiderivativeOf(shape, voice.prevV);
                const double F = antiderivativeOf(shape, v);
                const double dv = v - voice.prevV;
                const double y = std::fabs(dv) > kAdaaMinStep ? (F - voice.prevF) / dv
                                                              : shapeOf(shape, 0.5 * (v + voice.prevV));
                voice.prevV = v;
                voice.prevF = F;
                wet = voice.dcBlocker.process(static_cast<float>(y));
            }
            if (open) {
                voice.ic1 = 0.0f;
                voice.ic2 = wet;
            } else {
                const float v3 = wet - voice.ic2;
                const float v1 = m_a1 * voice.ic1 + m_a2 * v3;
                const float v2 = voice.ic2 + m_a2 * voice.ic1 + m_a3 * v3;
                voice.ic1 = 2.0f * v1 - voice.ic1;
                voice.ic2 = 2.0f * v2 - voice.ic2;
                wet = v2;
            }
            out[frame + static_cast<std::size_t>(c)] = (1.0f - m) * dry + m * (l * wet);
        }
        for (int c = channels; c < stride; ++c) // padding lanes: silent
            out[frame + static_cast<std::size_t>(c)] = 0.0f;
        m_polyHistoryShape = shape == Crush ? -1 : shape;
    }
    for (int c = 0; c < channels; ++c) {
        m_voices[c].ic1 = zapGremlins(m_voices[c].ic1);
        m_voices[c].ic2 = zapGremlins(m_voices[c].ic2);
        m_voices[c].dcBlocker.flush();
    }
}

} // namespace chronus::engine
