#include "HiHat.hpp"

#include "../Denormals.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace chronus::engine {

const ModuleType HiHat::kType{"hihat", "Hi-hat", "Drums",
                              "Hi-hat: six-oscillator metallic noise, closed and open hits, choke", kParams,
                              kInputs, kOutputs, &createModule<HiHat>};

namespace {
// Square amplitudes, slightly unequal so that their sum is never exactly zero, normalised to +-1.
constexpr float kSquareWeights[HiHat::kOscillators] = {1.0f, 0.93f, 0.87f, 0.81f, 0.76f, 0.7f};
constexpr float kSquareNorm = 1.0f / (1.0f + 0.93f + 0.87f + 0.81f + 0.76f + 0.7f);
// White noise has far more energy above the filter than the squares (whose harmonics fall off):
// this scale gives both about the same there, so `metal` changes the colour, not the level.
constexpr float kNoiseScale = 0.15f;
// At the defaults a hit peaks near 0.6.
constexpr float kOutputGain = 5.5f;
constexpr float kFilterQ = 1.2f;
// A full accent raises the tone by a quarter of an octave.
constexpr float kAccentToneOctaves = 0.25f;
} // namespace

void HiHat::onPrepare(const PrepareInfo& info) {
    m_voice = {};
    m_tail = {};
    m_fade.setLength(kChokeFadeMs, info.sampleRate);
    m_trigger.reset();
    m_open.reset();
    m_time = 0;
    m_seed = drums::scrambleSeed(instanceSeed());
    for (int j = 0; j < kOscillators; ++j) {
        m_start[j] = drums::scrambleSeed(m_seed + static_cast<std::uint32_t>(j));
        m_inc[j] =
            static_cast<std::uint32_t>(std::llround(kOscillatorHz[j] / info.sampleRate * 4294967296.0));
        m_invInc[j] = static_cast<float>(1.0 / static_cast<double>(m_inc[j]));
    }
    m_coeffDecay = m_coeffOpenDecay = -1.0f;
    m_filterCutoff = -1.0f;
    updateFilter(param(Tone).current());
    m_ic1 = m_ic2 = 0.0f;
    m_warmUp = static_cast<std::uint32_t>(std::ceil(kWarmUpMs * 0.001 * info.sampleRate));
}

void HiHat::updateFilter(float cutoff) noexcept {
    if (cutoff == m_filterCutoff)
        return;
    m_filterCutoff = cutoff;
    const double fc = std::min(static_cast<double>(cutoff), 0.45 * sampleRate());
    const float g = static_cast<float>(std::tan(std::numbers::pi * fc / sampleRate()));
    m_k = 1.0f / kFilterQ;
    m_a1 = 1.0f / (1.0f + g * (g + m_k));
    m_a2 = g * m_a1;
    m_a3 = g * m_a2;
}

namespace {
// A band-limited square (polyBLEP): +-1, its edges at phase 0 and 1/2 rounded off over the two
// samples around them, so that they neither alias much nor spike through the high-pass. `phase` and
// `inc` in 1/2^32 cycles. Away from an edge (all but two samples in each half cycle) it costs two
// integer compares.
inline float blepSquare(std::uint32_t phase, std::uint32_t inc, float invInc) noexcept {
    const std::uint32_t sinceEdge = phase & 0x7FFFFFFFu;
    const std::uint32_t toEdge = 0x80000000u - sinceEdge;
    float m = 1.0f;
    if (sinceEdge < inc) {
        const float x = static_cast<float>(static_cast<std::int32_t>(sinceEdge)) * invInc;
        m += x + x - x * x - 1.0f;
    } else if (toEdge < inc) {
        const float x = -static_cast<float>(static_cast<std::int32_t>(toEdge)) * invInc;
        m -= x * x + x + x + 1.0f;
    }
    return phase < 0x80000000u ? m : -m;
}
} // namespace

float HiHat::sourceAt(std::uint32_t time, float metal) const noexcept {
    float squares = 0.0f;
#pragma GCC unroll 6
    for (int j = 0; j < kOscillators; ++j)
        squares += kSquareWeights[j] * blepSquare(m_start[j] + m_inc[j] * time, m_inc[j], m_invInc[j]);
    return metal * kSquareNorm * squares + (1.0f - metal) * kNoiseScale * drums::hashNoise(time, m_seed);
}

float HiHat::filtered(std::uint32_t time, float metal, float& ic1, float& ic2) const noexcept {
    const float v0 = sourceAt(time, metal);
    const float v3 = v0 - ic2;
    const float v1 = m_a1 * ic1 + m_a2 * v3;
    const float v2 = ic2 + m_a2 * ic1 + m_a3 * v3;
    ic1 = 2.0f * v1 - ic1;
    ic2 = 2.0f * v2 - ic2;
    return v0 - m_k * v1 - v2;
}

void HiHat::trigger(bool open, float accent) noexcept {
    if (m_voice.active) {
        m_tail = m_voice; // the choke; an older fading tail, if any, is dropped (hits < 4 ms apart)
        m_fade.start();
    }
    m_voice.env = 1.0f;
    m_voice.open = open;
    m_voice.accent = accent;
    m_voice.bright = std::exp2(kAccentToneOctaves * accent);
    m_voice.gain = 1.0f + drums::kAccentBoost * accent;
    m_voice.active = true;
}

void HiHat::updateDecays(float decay, float openDecay) noexcept {
    if (decay != m_coeffDecay) {
        m_closedCoeff = drums::t60Coefficient(decay, sampleRate());
        m_coeffDecay = decay;
    }
    if (openDecay != m_coeffOpenDecay) {
        m_openCoeff = drums::t60Coefficient(openDecay, sampleRate());
        m_coeffOpenDecay = openDecay;
    }
}

void HiHat::process(const ProcessContext& ctx) noexcept {
    if (anyParamSmoothing())
        run<true>(ctx);
    else
        run<false>(ctx);
}

template <bool Smoothing> void HiHat::run(const ProcessContext& ctx) noexcept {
    const float* trig = ctx.inputs[Trig];
    const float* accentIn = ctx.inputs[AccentIn];
    const float* openIn = ctx.inputs[OpenIn];
    float* out = ctx.outputs[Out];
    SmoothedValue& level = param(Level);
    SmoothedValue& accentAmount = param(Accent);
    SmoothedValue& tone = param(Tone);
    SmoothedValue& decay = param(Decay);
    SmoothedValue& openDecay = param(OpenDecay);
    SmoothedValue& metal = param(Metal);
    float lv = level.current(), amount = accentAmount.current(), to = tone.current(), dc = decay.current(),
          od = openDecay.current(), mt = metal.current();
    if constexpr (!Smoothing)
        updateDecays(dc, od);
    float ic1 = m_ic1, ic2 = m_ic2;
    for (int i = 0; i < ctx.frames; ++i) {
        if constexpr (Smoothing) {
            lv = level.next();
            amount = accentAmount.next();
            to = tone.next();
            dc = decay.next();
            od = openDecay.next();
            mt = metal.next();
            updateDecays(dc, od);
        }

        const bool openEdge = m_open.at(openIn, i);
        if (m_trigger.at(trig, i) || openEdge) {
            const bool wasIdle = !m_voice.active && !m_tail.active;
            trigger(openEdge || m_open.high(), drums::accentAt(accentIn, i) * amount);
            if (wasIdle) {
                // the filter skipped the source while idle: bring it up to date over the last
                // kWarmUpMs, so the hit starts on the filtered source as if it had run all along
                updateFilter(to * m_voice.bright);
                ic1 = ic2 = 0.0f;
                const std::uint32_t now = m_time + static_cast<std::uint32_t>(i);
                for (std::uint32_t t = now - m_warmUp; t != now; ++t)
                    filtered(t, mt, ic1, ic2);
            }
        }
        if (!m_voice.active && !m_tail.active) {
            out[i] = 0.0f;
            continue;
        }

        float env = 0.0f;
        if (m_voice.active) {
            env = m_voice.gain * m_voice.env;
            m_voice.env *= m_voice.open ? m_openCoeff : m_closedCoeff;
            m_voice.active = m_voice.env >= drums::kSilentEnvelope;
        }
        if (m_tail.active) {
            env += m_fade.next() * m_tail.gain * m_tail.env;
            m_tail.env *= m_tail.open ? m_openCoeff : m_closedCoeff;
            m_tail.active = m_fade.active() && m_tail.env >= drums::kSilentEnvelope;
        }
        // the newest hit's accent sets the brightness of the filter it shares with a fading tail
        updateFilter(to * m_voice.bright);
        out[i] = lv * kOutputGain * env * filtered(m_time + static_cast<std::uint32_t>(i), mt, ic1, ic2);
    }
    m_ic1 = zapGremlins(ic1);
    m_ic2 = zapGremlins(ic2);
    m_time += static_cast<std::uint32_t>(ctx.frames);
}

} // namespace chronus::engine
