#include "Snare.hpp"

#include "../Denormals.hpp"
#include "../Wavetables.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace chronus::engine {

const ModuleType Snare::kType{"snare", "Snare", "Drums", "Snare drum: tuned two-mode body and filtered noise",
                              kParams, kInputs, kOutputs, &createModule<Snare>};

namespace {
// Mode weights (the second is quieter and decays in kSecondModeDecay x `body_decay`) and the
// noise's gain: at the defaults a hit peaks near 0.8.
constexpr float kMode1Gain = 0.45f;
constexpr float kMode2Gain = 0.2f;
constexpr float kSecondModeDecay = 0.6f;
constexpr float kNoiseGain = 1.0f;
// What a full accent adds to the noise level, and the factor it raises the noise tone by.
constexpr float kAccentSnappy = 0.25f;
constexpr float kAccentTone = 0.5f;
} // namespace

void Snare::onPrepare(const PrepareInfo& info) {
    m_sine = Wavetables::instance().table(Wavetables::Sine, 0.0);
    m_invSampleRate = 1.0 / info.sampleRate;
    m_voice = {};
    m_tail = {};
    m_fade.setLength(kRetriggerFadeMs, info.sampleRate);
    m_trigger.reset();
    m_dcBlocker.prepare(info.sampleRate);
    m_noise.seed(instanceSeed());
    m_pitchCoeff = drums::timeConstantCoefficient(kBodySweepMs, info.sampleRate);
    m_coeffBodyDecay = m_coeffDecay = -1.0f;
    updateCoefficients(param(BodyDecay).current(), param(Decay).current());
    m_filterCutoff = -1.0f;
    updateFilter(param(Tone).current());
    m_hpCoeff = static_cast<float>(
        std::exp(-2.0 * std::numbers::pi * static_cast<double>(kNoiseHighpassHz) / info.sampleRate));
    m_ic1 = m_ic2 = m_hpIn = m_hpOut = 0.0f;
}

void Snare::updateCoefficients(float bodyDecay, float decay) noexcept {
    if (bodyDecay != m_coeffBodyDecay) {
        m_body1Coeff = drums::t60Coefficient(bodyDecay, sampleRate());
        m_body2Coeff = drums::t60Coefficient(bodyDecay * kSecondModeDecay, sampleRate());
        m_coeffBodyDecay = bodyDecay;
    }
    if (decay != m_coeffDecay) {
        m_noiseCoeff = drums::t60Coefficient(decay, sampleRate());
        m_coeffDecay = decay;
    }
}

void Snare::updateFilter(float cutoff) noexcept {
    if (cutoff == m_filterCutoff)
        return;
    m_filterCutoff = cutoff;
    const double fc = std::min(static_cast<double>(cutoff), 0.45 * sampleRate());
    const float g = static_cast<float>(std::tan(std::numbers::pi * fc / sampleRate()));
    constexpr float k = 1.0f / 0.7f; // Q 0.7
    m_lpA1 = 1.0f / (1.0f + g * (g + k));
    m_lpA2 = g * m_lpA1;
    m_lpA3 = g * m_lpA2;
}

void Snare::trigger(float accent) noexcept {
    if (m_voice.active) {
        m_tail = m_voice; // an older fading tail, if any, is dropped (only at triggers < 5 ms apart)
        m_fade.start();
    }
    m_voice.phase1 = m_voice.phase2 = 0.0;
    m_voice.pitch = 1.0f;
    m_voice.body1 = m_voice.body2 = m_voice.noise = 1.0f;
    m_voice.accent = accent;
    m_voice.gain = 1.0f + drums::kAccentBoost * accent;
    m_voice.active = true;
}

float Snare::renderVoice(Voice& v, float tune, float snappy, float noise) noexcept {
    const float semitones = kBodySweepSemitones * v.pitch;
    const float ratio = semitones > 1e-4f ? drums::exp2Positive(semitones * (1.0f / 12.0f)) : 1.0f;
    const double inc = static_cast<double>(tune * ratio) * m_invSampleRate;
    // advance first: the hit's first sample is one step into the cycle, so it is already non-zero
    v.phase1 += std::min(inc, 0.45);
    if (v.phase1 >= 1.0)
        v.phase1 -= 1.0;
    v.phase2 += std::min(inc * static_cast<double>(kSecondMode), 0.45);
    if (v.phase2 >= 1.0)
        v.phase2 -= 1.0;
    const float body = kMode1Gain * v.body1 * Wavetables::lookup(m_sine, v.phase1) +
                       kMode2Gain * v.body2 * Wavetables::lookup(m_sine, v.phase2);
    const float noiseLevel = std::min(snappy + kAccentSnappy * v.accent, 1.0f) * kNoiseGain;
    const float y = (body + noiseLevel * v.noise * noise) * v.gain;
    v.pitch *= m_pitchCoeff;
    v.body1 *= m_body1Coeff;
    v.body2 *= m_body2Coeff;
    v.noise *= m_noiseCoeff;
    if (v.body1 < drums::kSilentEnvelope && v.noise < drums::kSilentEnvelope)
        v.active = false;
    return y;
}

void Snare::process(const ProcessContext& ctx) noexcept {
    if (anyParamSmoothing())
        run<true>(ctx);
    else
        run<false>(ctx);
}

template <bool Smoothing> void Snare::run(const ProcessContext& ctx) noexcept {
    const float* trig = ctx.inputs[Trig];
    const float* accentIn = ctx.inputs[AccentIn];
    float* out = ctx.outputs[Out];
    SmoothedValue& level = param(Level);
    SmoothedValue& accentAmount = param(Accent);
    SmoothedValue& tune = param(Tune);
    SmoothedValue& bodyDecay = param(BodyDecay);
    SmoothedValue& snappy = param(Snappy);
    SmoothedValue& tone = param(Tone);
    SmoothedValue& decay = param(Decay);
    float lv = level.current(), amount = accentAmount.current(), tn = tune.current(),
          bd = bodyDecay.current(), sn = snappy.current(), to = tone.current(), dc = decay.current();
    if constexpr (!Smoothing)
        updateCoefficients(bd, dc);
    float ic1 = m_ic1, ic2 = m_ic2, hpIn = m_hpIn, hpOut = m_hpOut;
    for (int i = 0; i < ctx.frames; ++i) {
        if constexpr (Smoothing) {
            lv = level.next();
            amount = accentAmount.next();
            tn = tune.next();
            bd = bodyDecay.next();
            sn = snappy.next();
            to = tone.next();
            dc = decay.next();
            updateCoefficients(bd, dc);
        }
        if (m_trigger.at(trig, i)) {
            if (!m_voice.active && !m_tail.active)
                ic1 = ic2 = hpIn = hpOut = 0.0f; // from idle, the noise filters start at rest
            trigger(drums::accentAt(accentIn, i) * amount);
        }
        if (!m_voice.active && !m_tail.active) {
            // The blocker's own tail dies out, then exact zeros again.
            if (m_dcBlocker.quietBelow(drums::kSilentEnvelope * 1e-2f))
                m_dcBlocker.reset();
            out[i] = m_dcBlocker.process(0.0f);
            continue;
        }
        // the newest hit's accent sets the brightness of the noise it shares with a fading tail
        updateFilter(to * (1.0f + kAccentTone * m_voice.accent));
        const float v0 = m_noise.next();
        const float v3 = v0 - ic2;
        const float v1 = m_lpA1 * ic1 + m_lpA2 * v3;
        const float v2 = ic2 + m_lpA2 * ic1 + m_lpA3 * v3;
        ic1 = 2.0f * v1 - ic1;
        ic2 = 2.0f * v2 - ic2;
        hpOut = m_hpCoeff * (hpOut + v2 - hpIn);
        hpIn = v2;
        const float noise = hpOut;
        float y = 0.0f;
        if (m_voice.active)
            y = renderVoice(m_voice, tn, sn, noise);
        if (m_tail.active) {
            const float fade = m_fade.next();
            y += fade * renderVoice(m_tail, tn, sn, noise);
            if (!m_fade.active())
                m_tail.active = false;
        }
        out[i] = m_dcBlocker.process(lv * y);
    }
    m_dcBlocker.flush();
    m_ic1 = zapGremlins(ic1);
    m_ic2 = zapGremlins(ic2);
    m_hpIn = zapGremlins(hpIn);
    m_hpOut = zapGremlins(hpOut);
}

} // namespace chronus::engine
