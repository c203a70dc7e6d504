#include "Svf.hpp"

#include "../Denormals.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace chronus::engine {

const ModuleType Svf::kType{"svf", "State-variable filter", "Filters",
                            "12 dB/oct state-variable filter with low-, band- and high-pass outputs", kParams,
                            kInputs, kOutputs, &createModule<Svf>};

void Svf::onPrepare(const PrepareInfo& info) {
    m_piOverSr = static_cast<float>(std::numbers::pi / info.sampleRate);
    m_maxCutoff = static_cast<float>(0.48 * info.sampleRate);
    m_ic1 = m_ic2 = 0.0f;
    updateCoefficients(param(Cutoff).current(), param(Q).current());
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
    const bool modulated = cv || cutoff.isSmoothing() || q.isSmoothing();
    if (!modulated)
        updateCoefficients(cutoff.current(), q.current());
    float ic1 = m_ic1, ic2 = m_ic2;
    for (int i = 0; i < ctx.frames; ++i) {
        if (modulated) {
            float fc = cutoff.next();
            if (cv)
                fc *= std::exp2(std::clamp(cv[i], -12.0f, 12.0f));
            updateCoefficients(fc, q.next());
        }
        const float v0 = in ? in[i] : 0.0f;
        const float v3 = v0 - ic2;
        const float v1 = m_a1 * ic1 + m_a2 * v3;
        const float v2 = ic2 + m_a2 * ic1 + m_a3 * v3;
        ic1 = 2.0f * v1 - ic1;
        ic2 = 2.0f * v2 - ic2;
        lp[i] = v2;
        bp[i] = m_k * v1;
        hp[i] = v0 - m_k * v1 - v2;
    }
    m_ic1 = zapGremlins(ic1);
    m_ic2 = zapGremlins(ic2);
}

} // namespace chronus::engine
