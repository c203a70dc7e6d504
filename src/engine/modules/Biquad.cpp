#include "Biquad.hpp"

#include "../Denormals.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace chronus::engine {

const ModuleType Biquad::kType{"biquad", "Biquad filter", "Filters",
                               "Second-order low-, high- or band-pass filter", kParams, kInputs, kOutputs,
                               &createModule<Biquad>};

void Biquad::onPrepare(const PrepareInfo& info) {
    m_sampleRate = info.sampleRate;
    m_z1 = m_z2 = 0.0f;
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
