#pragma once
// Pieces shared by the drum voices (kick, snare, hi-hat): trigger detection, accent, exponential
// decays, a seeded noise source, soft saturation and the fade that lets a retriggered voice's tail
// die out without a click. Everything here is RT-safe.

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

namespace chronus::engine::drums {

// The gain of a fully accented hit at accent amount 1, relative to a normal hit (+6 dB).
inline constexpr float kAccentBoost = 1.0f;
// Below this an envelope counts as finished (-100 dB): dropping it then is far below hearing.
inline constexpr float kSilentEnvelope = 1e-5f;

// Rising edges of a trigger input through 0.5, per sample, plus gate events (which trigger at the
// first sample of the next block). One per trigger input.
class TriggerDetector {
public:
    void reset() noexcept {
        m_prev = 0.0f;
        m_event = false;
    }
    // RT-safe. A gate(true) event: the next block triggers at its first sample.
    void event() noexcept { m_event = true; }

    // RT-safe. Whether sample i of `in` (nullptr when unconnected) triggers. Call for every sample
    // of the block in order.
    bool at(const float* in, int i) noexcept {
        const float now = in ? in[i] : 0.0f;
        const bool edge = m_prev <= 0.5f && now > 0.5f; // NaN compares false: neither edge nor level
        m_prev = now;
        if (m_event && i == 0) {
            m_event = false;
            return true;
        }
        return edge;
    }
    // The last sample seen is above 0.5 (a gate held high).
    bool high() const noexcept { return m_prev > 0.5f; }

private:
    float m_prev = 0.0f;
    bool m_event = false;
};

// The accent input's value at sample i, clamped to 0..1 (0 when unconnected or NaN).
inline float accentAt(const float* in, int i) noexcept {
    const float a = in ? in[i] : 0.0f;
    return a > 0.0f ? std::min(a, 1.0f) : 0.0f;
}

// Per-sample multiplier of an exponential decay that falls by 60 dB in `ms` milliseconds.
inline float t60Coefficient(float ms, double sampleRate) noexcept {
    const double samples = std::max(static_cast<double>(ms), 0.01) * 0.001 * sampleRate;
    return static_cast<float>(std::exp(-6.907755278982137 / samples));
}

// Per-sample multiplier of an exponential decay with time constant `ms` (falls to 1/e).
inline float timeConstantCoefficient(float ms, double sampleRate) noexcept {
    const double samples = std::max(static_cast<double>(ms), 0.01) * 0.001 * sampleRate;
    return static_cast<float>(std::exp(-1.0 / samples));
}

// A rational approximation of tanh (within 3 %), exact at 0 and reaching +-1 at +-3 with zero
// slope there, so it saturates smoothly. Far cheaper than std::tanh per sample.
inline float softClip(float x) noexcept {
    const float c = std::clamp(x, -3.0f, 3.0f);
    const float c2 = c * c;
    return c * (27.0f + c2) / (27.0f + 9.0f * c2);
}

// Soft saturation whose full-scale input stays at full scale: drive 0 is the identity, drive 1 is
// close to a square for signals near full scale (and lifts quiet tails by up to 10x). Keeps the
// normalisation for the last drive it saw, so a steady drive costs only the curve's own division.
class Saturator {
public:
    float process(float x, float drive) noexcept {
        if (drive != m_drive) {
            m_drive = drive;
            m_gain = 1.0f + 9.0f * drive;
            m_wet = drive / softClip(m_gain);
        }
        return (1.0f - drive) * x + m_wet * softClip(m_gain * x);
    }

private:
    float m_drive = 0.0f, m_gain = 1.0f, m_wet = 0.0f;
};

// 2^x for x in [0, 64): the integer part by the exponent bits, the fraction by the Taylor series
// to the sixth power (relative error below 2e-5, 0.03 cents as a pitch ratio). A fraction of the
// cost of std::exp2 per sample.
inline float exp2Positive(float x) noexcept {
    const int n = static_cast<int>(x);
    const float f = x - static_cast<float>(n);
    const float p =
        1.0f +
        f * (0.69314718f +
             f * (0.24022651f + f * (0.05550411f + f * (0.00961813f + f * (0.00133336f + f * 0.00015404f)))));
    return p * std::bit_cast<float>(static_cast<std::uint32_t>(n + 127) << 23);
}

// A seed scrambled (murmur3 finaliser) so that similar instance seeds start far apart; never zero.
inline std::uint32_t scrambleSeed(std::uint32_t s) noexcept {
    s ^= s >> 16;
    s *= 0x85EBCA6Bu;
    s ^= s >> 13;
    s *= 0xC2B2AE35u;
    s ^= s >> 16;
    return s | 1u;
}

inline float noiseFromBits(std::uint32_t s) noexcept {
    return static_cast<float>(static_cast<std::int32_t>(s)) * (1.0f / 2147483648.0f);
}

// White noise in [-1, 1): xorshift32 from the module's instance seed, as the noise module makes it.
class NoiseSource {
public:
    void seed(std::uint32_t s) noexcept { m_state = scrambleSeed(s); }
    float next() noexcept {
        std::uint32_t s = m_state;
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        m_state = s;
        return noiseFromBits(s);
    }

private:
    std::uint32_t m_state = 1;
};

// White noise in [-1, 1) as a function of the sample index: an integer hash (Wellons' lowbias32) of
// the index and a seed, so it can skip ahead for free.
inline float hashNoise(std::uint32_t index, std::uint32_t seed) noexcept {
    std::uint32_t x = index * 0x9E3779B9u + seed;
    x ^= x >> 16;
    x *= 0x7FEB352Du;
    x ^= x >> 15;
    x *= 0x846CA68Bu;
    x ^= x >> 16;
    return noiseFromBits(x);
}

// A linear fade from 1 to 0 over a fixed number of samples: the tail of a voice cut by a new hit.
class TailFade {
public:
    void setLength(double ms, double sampleRate) noexcept {
        m_step = static_cast<float>(1.0 / std::max(1.0, ms * 0.001 * sampleRate));
        m_gain = 0.0f;
    }
    void start() noexcept { m_gain = 1.0f; }
    void stop() noexcept { m_gain = 0.0f; }
    bool active() const noexcept { return m_gain > 0.0f; }
    // The gain for the next sample (the first sample after start() is one step down).
    float next() noexcept {
        m_gain = std::max(m_gain - m_step, 0.0f);
        return m_gain;
    }

private:
    float m_gain = 0.0f;
    float m_step = 1.0f;
};

} // namespace chronus::engine::drums
