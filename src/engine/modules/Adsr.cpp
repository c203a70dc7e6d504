#include "Adsr.hpp"

#include <algorithm>

namespace chronus::engine {

const ModuleType Adsr::kType{"adsr", "ADSR", "Envelopes",
                             "Attack-decay-sustain-release envelope; multiplies `in` when connected",
                             kParams, kInputs, kOutputs, &createModule<Adsr>};

void Adsr::onPrepare(const PrepareInfo& info) {
    m_samplesPerMs = static_cast<float>(info.sampleRate / 1000.0);
    m_stage = Stage::Idle;
    m_env = 0.0f;
    m_step = 0.0f;
    m_gateHigh = false;
}

float Adsr::stepFor(Param timeParam, float distance) const noexcept {
    const float ms = std::max(param(timeParam).target(), kMinSegmentMs);
    return distance / (ms * m_samplesPerMs);
}

void Adsr::gateOn() noexcept {
    m_stage = Stage::Attack;
    m_step = stepFor(Attack, 1.0f); // constant slope: a retrigger from level x takes (1 - x) * attack
}

void Adsr::gateOff() noexcept {
    if (m_stage == Stage::Idle)
        return;
    m_stage = Stage::Release;
    m_step = stepFor(Release, m_env); // release lasts `release` ms from whatever level it starts at
}

void Adsr::process(const ProcessContext& ctx) noexcept {
    const float* in = ctx.inputs[In];
    const float* gateIn = ctx.inputs[GateIn];
    float* out = ctx.outputs[Out];
    SmoothedValue& sustain = param(Sustain);
    SmoothedValue& level = param(Level);
    for (int i = 0; i < ctx.frames; ++i) {
        const bool high = m_eventGate || (gateIn && gateIn[i] > 0.5f);
        if (high != m_gateHigh) {
            m_gateHigh = high;
            high ? gateOn() : gateOff();
        }
        const float s = sustain.next();
        switch (m_stage) {
        case Stage::Idle:
            break;
        case Stage::Attack:
            m_env += m_step;
            if (m_env >= 1.0f) {
                m_env = 1.0f;
                m_stage = Stage::Decay;
                m_step = stepFor(Decay, 1.0f - s);
            }
            break;
        case Stage::Decay:
            m_env -= m_step;
            if (m_env <= s) {
                m_env = s;
                m_stage = Stage::Sustain;
            }
            break;
        case Stage::Sustain:
            m_env = s; // the sustain param ramps per sample, so following it is smooth
            break;
        case Stage::Release:
            m_env -= m_step;
            if (m_env <= 0.0f) {
                m_env = 0.0f;
                m_stage = Stage::Idle;
            }
            break;
        }
        const float e = m_env * level.next();
        out[i] = in ? in[i] * e : e;
    }
}

} // namespace chronus::engine
