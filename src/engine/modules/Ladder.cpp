#include "Ladder.hpp"

#include "../Denormals.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace chronus::engine {

const ModuleType Ladder::kType{"ladder", "Acid ladder filter", "Filters",
                               "24 dB/oct ladder low-pass with resonance to self-oscillation and a 303-style "
                               "cutoff envelope (trig, accent)",
                               kParams, kInputs, kOutputs, &createModule<Ladder>};

namespace {

// The envelope ends (is set to 0) below this: at 8 octaves of env_amount it is 0.05 cent of cutoff.
constexpr float kEnvFloor = 1e-4f;
// The fall reaches 1 % of the peak after `decay` ms.
constexpr float kLogDecayTarget = -4.6051702f; // ln 0.01
constexpr float kLowestCutoff = 5.0f;
// Inputs beyond this (or NaN) are treated as silence: the saturator would clip them anyway.
constexpr float kMaxInput = 1e6f;
constexpr float kNoiseLevel = 1e-6f;

// tanh within 3 %: a rational approximation that reaches +-1 with zero slope at +-3, so the
// clamp beyond is smooth. The ladder needs a soft, odd, bounded curve, not tanh to the last
// digit, and this is several times cheaper.
inline float softClip(float x) noexcept {
    const float c = std::clamp(x, -3.0f, 3.0f);
    const float c2 = c * c;
    return c * (27.0f + c2) / (27.0f + 9.0f * c2);
}

// A sample value made safe: NaN and absurd magnitudes become 0.
inline float sane(float x, float limit) noexcept {
    return std::fabs(x) <= limit ? x : 0.0f;
}

} // namespace

void Ladder::onPrepare(const PrepareInfo& info) {
    m_piOverSr = static_cast<float>(std::numbers::pi / info.sampleRate);
    m_maxCutoff = static_cast<float>(0.45 * info.sampleRate);
    m_samplesPerMs = static_cast<float>(info.sampleRate / 1000.0);
    std::fill(std::begin(m_s), std::end(m_s), 0.0f);
    m_fc = -1.0f;
    updateCutoff(param(Cutoff).current());
    m_driveDb = -1.0f;
    m_stage = EnvStage::Idle;
    m_env = 0.0f;
    m_envPeak = 1.0f;
    m_hitAccent = 0.0f;
    m_riseStep = 1.0f / (kAttackMs * m_samplesPerMs);
    updateDecayCoefficient();
    m_trigHigh = false;
    m_pendingTrigger = false;
    m_noise = instanceSeed() | 1u;
    m_dcBlocker.prepare(info.sampleRate);
}

void Ladder::updateCutoff(float fc) noexcept {
    m_fc = fc;
    const float g = std::tan(std::clamp(fc, kLowestCutoff, m_maxCutoff) * m_piOverSr);
    m_G = g / (1.0f + g);
}

void Ladder::updateDecayCoefficient() noexcept {
    const float decay = param(Decay).current();
    const float ms = decay + (std::min(decay, kAccentDecayMs) - decay) * m_hitAccent;
    m_decayCoef = std::exp(kLogDecayTarget / (ms * m_samplesPerMs));
}

void Ladder::trigger(float accentCv) noexcept {
    const float cv = accentCv == accentCv ? std::clamp(accentCv, 0.0f, 1.0f) : 0.0f;
    m_hitAccent = cv * param(Accent).current();
    m_envPeak = 1.0f + m_hitAccent;
    // the rise starts where the envelope is, so a retrigger does not jump
    m_stage = EnvStage::Rise;
    m_riseStep = m_envPeak / (kAttackMs * m_samplesPerMs);
    updateDecayCoefficient();
}

void Ladder::process(const ProcessContext& ctx) noexcept {
    const float* in = ctx.inputs[In];
    const float* cv = ctx.inputs[CutoffCv];
    const float* trig = ctx.inputs[Trig];
    const float* accentIn = ctx.inputs[AccentIn];
    float* out = ctx.outputs[Out];
    SmoothedValue& cutoff = param(Cutoff);
    SmoothedValue& resonance = param(Resonance);
    SmoothedValue& envAmount = param(EnvAmount);
    SmoothedValue& drive = param(Drive);

    // Decay and accent are read at triggers and once per block.
    updateDecayCoefficient();

    if (m_pendingTrigger) {
        m_pendingTrigger = false;
        trigger(accentIn ? accentIn[0] : 0.0f);
    }
    if (!trig)
        m_trigHigh = false;

    float s1 = m_s[0], s2 = m_s[1], s3 = m_s[2], s4 = m_s[3];
    std::uint32_t noise = m_noise;
    DcBlocker dcBlocker = m_dcBlocker;
    for (int i = 0; i < ctx.frames; ++i) {
        if (trig) {
            const bool high = trig[i] > 0.5f;
            if (high && !m_trigHigh)
                trigger(accentIn ? accentIn[i] : 0.0f);
            m_trigHigh = high;
        }
        switch (m_stage) {
        case EnvStage::Idle:
            break;
        case EnvStage::Rise:
            m_env += m_riseStep;
            if (m_env >= m_envPeak) {
                m_env = m_envPeak;
                m_stage = EnvStage::Fall;
            }
            break;
        case EnvStage::Fall:
            m_env *= m_decayCoef;
            if (m_env < kEnvFloor) {
                m_env = 0.0f;
                m_stage = EnvStage::Idle;
            }
            break;
        }

        float octaves = m_env * envAmount.next();
        if (cv)
            octaves += std::clamp(sane(cv[i], 1e3f), -12.0f, 12.0f);
        const float base = cutoff.next();
        const float fc = octaves != 0.0f ? base * std::exp2(octaves) : base;
        if (fc != m_fc)
            updateCutoff(fc);
        const float dB = drive.next();
        if (dB != m_driveDb) {
            m_driveDb = dB;
            m_driveGain = std::pow(10.0f, dB / 20.0f);
        }
        const float k = kMaxFeedback * resonance.next();

        // y_n = G x_n + (1 - G) s_n per stage, so the last stage is y4 = G^4 u + S with S from the
        // states alone: solve u = x - k y4 for u, then saturate it.
        const float G = m_G;
        const float oneMinusG = 1.0f - G;
        const float b1 = oneMinusG * s1, b2 = oneMinusG * s2, b3 = oneMinusG * s3, b4 = oneMinusG * s4;
        const float S = G * (G * (G * b1 + b2) + b3) + b4;
        const float G2 = G * G;
        noise = noise * 1664525u + 1013904223u;
        const float dither = kNoiseLevel * (static_cast<float>(static_cast<std::int32_t>(noise)) * 0x1p-31f);
        const float x = (in ? sane(in[i], kMaxInput) : 0.0f) * m_driveGain * (1.0f + k) + dither;
        const float u = softClip((x - k * S) / (1.0f + k * G2 * G2));
        const float y1 = G * u + b1;
        const float y2 = G * y1 + b2;
        const float y3 = G * y2 + b3;
        const float y4 = G * y3 + b4;
        s1 = 2.0f * y1 - s1;
        s2 = 2.0f * y2 - s2;
        s3 = 2.0f * y3 - s3;
        s4 = 2.0f * y4 - s4;
        out[i] = dcBlocker.process(y4);
    }
    dcBlocker.flush();
    m_dcBlocker = dcBlocker;
    m_s[0] = zapGremlins(s1);
    m_s[1] = zapGremlins(s2);
    m_s[2] = zapGremlins(s3);
    m_s[3] = zapGremlins(s4);
    m_noise = noise;
    param(Decay).skip(ctx.frames);
    param(Accent).skip(ctx.frames);
}

} // namespace chronus::engine
