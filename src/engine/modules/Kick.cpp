#include "Kick.hpp"

#include "../Denormals.hpp"
#include "../Wavetables.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace chronus::engine {

const ModuleType Kick::kType{"kick", "Kick", "Drums",
                             "Kick drum: sine body with pitch and amplitude envelopes, click and drive",
                             kParams, kInputs, kOutputs, &createModule<Kick>};

namespace {
// The click's noise, band-passed, peaks near +-1 after this gain.
constexpr float kClickGain = 2.0f;
// How much a full accent adds to drive and click.
constexpr float kAccentDrive = 0.3f;
constexpr float kAccentClick = 0.3f;
} // namespace

void Kick::onPrepare(const PrepareInfo& info) {
    m_sine = Wavetables::instance().table(Wavetables::Sine, 0.0);
    m_invSampleRate = 1.0 / info.sampleRate;
    m_voice = {};
    m_tail = {};
    m_fade.setLength(kRetriggerFadeMs, info.sampleRate);
    m_trigger.reset();
    m_dcBlocker.prepare(info.sampleRate);
    m_noise.seed(instanceSeed());
    m_coeffPitchDecay = m_coeffDecay = -1.0f;
    updateCoefficients(param(PitchDecay).current(), param(Decay).current());
    m_clickCoeff = drums::t60Coefficient(kClickDecayMs, info.sampleRate);
    // Trapezoidal SVF band-pass at kClickHz, Q 0.7 (as in Svf.cpp).
    const float g =
        static_cast<float>(std::tan(std::numbers::pi * static_cast<double>(kClickHz) / info.sampleRate));
    m_bpK = 1.0f / 0.7f;
    m_bpA1 = 1.0f / (1.0f + g * (g + m_bpK));
    m_bpA2 = g * m_bpA1;
    m_bpA3 = g * m_bpA2;
    m_ic1 = m_ic2 = 0.0f;
}

void Kick::updateCoefficients(float pitchDecay, float decay) noexcept {
    if (pitchDecay != m_coeffPitchDecay) {
        m_pitchCoeff = drums::timeConstantCoefficient(pitchDecay, sampleRate());
        m_coeffPitchDecay = pitchDecay;
    }
    if (decay != m_coeffDecay) {
        m_ampCoeff = drums::t60Coefficient(decay, sampleRate());
        m_coeffDecay = decay;
    }
}

void Kick::trigger(float accent) noexcept {
    if (m_voice.active) {
        m_tail = m_voice; // an older fading tail, if any, is dropped (only at triggers < 5 ms apart)
        m_fade.start();
    }
    m_voice.phase = 0.0;
    m_voice.pitch = 1.0f;
    m_voice.amp = 1.0f;
    m_voice.click = 1.0f;
    m_voice.accent = accent;
    m_voice.gain = 1.0f + drums::kAccentBoost * accent;
    m_voice.active = true;
}

float Kick::renderVoice(Voice& v, float tune, float sweep, float click, float drive,
                        float clickNoise) noexcept {
    const float semitones = sweep * v.pitch;
    const float ratio = semitones > 1e-4f ? drums::exp2Positive(semitones * (1.0f / 12.0f)) : 1.0f;
    const double inc = std::min(static_cast<double>(tune * ratio) * m_invSampleRate, 0.45);
    // advance first: the hit's first sample is one step into the cycle, so it is already non-zero
    v.phase += inc;
    if (v.phase >= 1.0)
        v.phase -= 1.0;
    const float body = Wavetables::lookup(m_sine, v.phase) * v.amp;
    const float clickAmount = std::min(click + kAccentClick * v.accent, 1.0f);
    const float x = body + clickAmount * v.click * clickNoise;
    const float y = v.saturator.process(x, std::min(drive + kAccentDrive * v.accent, 1.0f)) * v.gain;
    v.pitch *= m_pitchCoeff;
    v.amp *= m_ampCoeff;
    v.click *= m_clickCoeff;
    if (v.amp < drums::kSilentEnvelope) // the click (8 ms) has long gone by then
        v.active = false;
    return y;
}

void Kick::process(const ProcessContext& ctx) noexcept {
    if (anyParamSmoothing())
        run<true>(ctx);
    else
        run<false>(ctx);
}

template <bool Smoothing> void Kick::run(const ProcessContext& ctx) noexcept {
    const float* trig = ctx.inputs[Trig];
    const float* accentIn = ctx.inputs[AccentIn];
    float* out = ctx.outputs[Out];
    SmoothedValue& level = param(Level);
    SmoothedValue& accentAmount = param(Accent);
    SmoothedValue& tune = param(Tune);
    SmoothedValue& sweep = param(Sweep);
    SmoothedValue& pitchDecay = param(PitchDecay);
    SmoothedValue& decay = param(Decay);
    SmoothedValue& click = param(Click);
    SmoothedValue& drive = param(Drive);
    float lv = level.current(), amount = accentAmount.current(), tn = tune.current(), sw = sweep.current(),
          pd = pitchDecay.current(), dc = decay.current(), cl = click.current(), dr = drive.current();
    if constexpr (!Smoothing)
        updateCoefficients(pd, dc);
    const float a1 = m_bpA1, a2 = m_bpA2, a3 = m_bpA3, k = m_bpK;
    float ic1 = m_ic1, ic2 = m_ic2;
    for (int i = 0; i < ctx.frames; ++i) {
        if constexpr (Smoothing) {
            lv = level.next();
            amount = accentAmount.next();
            tn = tune.next();
            sw = sweep.next();
            pd = pitchDecay.next();
            dc = decay.next();
            cl = click.next();
            dr = drive.next();
            updateCoefficients(pd, dc);
        }
        if (m_trigger.at(trig, i)) {
            if (!m_voice.active && !m_tail.active)
                ic1 = ic2 = 0.0f; // from idle, the click filter starts at rest
            trigger(drums::accentAt(accentIn, i) * amount);
        }
        if (!m_voice.active && !m_tail.active) {
            // The blocker's own tail dies out, then exact zeros again.
            if (m_dcBlocker.quietBelow(drums::kSilentEnvelope * 1e-2f))
                m_dcBlocker.reset();
            out[i] = m_dcBlocker.process(0.0f);
            continue;
        }
        // the click's noise band, shared by the hit and the fading tail
        float clickNoise = 0.0f;
        if (m_voice.click > drums::kSilentEnvelope ||
            (m_tail.active && m_tail.click > drums::kSilentEnvelope)) {
            const float v0 = m_noise.next();
            const float v3 = v0 - ic2;
            const float v1 = a1 * ic1 + a2 * v3;
            const float v2 = ic2 + a2 * ic1 + a3 * v3;
            ic1 = 2.0f * v1 - ic1;
            ic2 = 2.0f * v2 - ic2;
            clickNoise = kClickGain * k * v1;
        }
        float y = 0.0f;
        if (m_voice.active)
            y = renderVoice(m_voice, tn, sw, cl, dr, clickNoise);
        if (m_tail.active) {
            const float fade = m_fade.next();
            y += fade * renderVoice(m_tail, tn, sw, cl, dr, clickNoise);
            if (!m_fade.active())
                m_tail.active = false;
        }
        out[i] = m_dcBlocker.process(lv * y);
    }
    m_dcBlocker.flush();
    m_ic1 = zapGremlins(ic1);
    m_ic2 = zapGremlins(ic2);
}

} // namespace chronus::engine
