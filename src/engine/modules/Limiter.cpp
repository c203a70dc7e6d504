#include "Limiter.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "DynamicsMath.hpp"

namespace chronus::engine {

const ModuleType Limiter::kType{
    "limiter",  "Limiter",
    "Dynamics", "Stereo look-ahead peak limiter: output never above the ceiling (true peak: as libebur128 and an 8x "
                "reconstruction read it, for content up to 0.45 of the rate); latency 2 ms + 32 samples",
    kParams,    kInputs,
    kOutputs,   &createModule<Limiter>};

namespace {
using dynamics::besselI0;
using dynamics::dbToGain;
using dynamics::dot;

// Points between samples count kBetweenSamplesMarginDb higher. The gain still changes a little
// across the 32 samples a point is reconstructed from (the release recovering from a deeper
// reduction, a deeper peak nearby), which moves the output's reconstruction off the gain times the
// input's: by up to 0.035 dB on dnb-175 (release 80 ms); about three times that is the margin.
const double kBetweenSamplesMargin = std::pow(10.0, Limiter::kBetweenSamplesMarginDb / 20.0);

// A requirement slightly below ceiling / peak, so the product of a sample and its gain, rounded to
// float, still lands below the ceiling.
constexpr double kMargin = 1.0 - 1e-6;

float finiteOrZero(float x) noexcept {
    return std::isfinite(x) ? x : 0.0f;
}

int wrap(int index, int size) noexcept {
    return index >= size ? index - size : index;
}

} // namespace

int Limiter::averageLength(double sampleRate) noexcept {
    return std::max(5, static_cast<int>(std::lround(0.001 * sampleRate)) + 1);
}

int Limiter::latencyFrames(double sampleRate) noexcept {
    return 2 * averageLength(sampleRate) - 2 + 2 * kTruePeakDelay;
}

void Limiter::onPrepare(const PrepareInfo& info) {
    const int average = averageLength(info.sampleRate);
    // The hold also spans the interpolators' reach either side of a peak, and the delay half of it:
    // the gain is flat over every sample a peak's reconstruction is made of, so the reconstruction
    // of the output is the gain times that of the input, which the detector held to the ceiling.
    m_delay = 2 * average - 2 + kTruePeakDelay;
    m_hold = 2 * average - 1 + 2 * kTruePeakDelay;
    m_size = m_delay + kTruePeakDelay + 1; // the output sample ... the newest, inclusive
    m_left.assign(2 * static_cast<std::size_t>(m_size), 0.0f);
    m_right.assign(2 * static_cast<std::size_t>(m_size), 0.0f);
    m_ceilingDb = param(Ceiling).current();
    m_ceilingLin = dbToGain(m_ceilingDb);
    m_ceiling.assign(2 * static_cast<std::size_t>(m_size), m_ceilingLin);
    m_write = 0;

    m_dequeValue.assign(static_cast<std::size_t>(m_hold), 1.0);
    m_dequeIndex.assign(static_cast<std::size_t>(m_hold), 0);
    m_dequeHead = 0;
    m_dequeCount = 0;
    m_count = 0;

    m_envelope = 1.0;
    m_releaseMs = -1.0f;
    m_boxA.assign(static_cast<std::size_t>(average), 1.0);
    m_boxB.assign(static_cast<std::size_t>(average), 1.0);
    m_sumA = m_sumB = static_cast<double>(average);
    m_posA = m_posB = 0;
    m_gain = 1.0;
    m_inputDb = param(InputGain).current();
    m_inputLin = dbToGain(m_inputDb);
    m_clamped = 0;

    // The 8x reconstruction: a Kaiser-windowed sinc (beta 5) of x(m + p / 8) from the 32 samples
    // around it, each phase normalised to unity gain at DC, then all scaled up by the largest
    // shortfall of any phase's gain below 0.45 of the rate, so that it never reads low there.
    constexpr int taps = 2 * kTruePeakDelay;
    constexpr double beta = 5.0;
    constexpr double kAccurateBand = 0.45; // of the sample rate
    const double i0Beta = besselI0(beta);
    double design[kOversampling - 1][taps];
    for (int p = 0; p < kOversampling - 1; ++p) {
        const double frac = (p + 1) / static_cast<double>(kOversampling);
        double sum = 0.0;
        for (int j = 0; j < taps; ++j) {
            const double d = (j - (kTruePeakDelay - 1)) - frac; // distance of tap j from the point
            const double sinc = std::sin(std::numbers::pi * d) / (std::numbers::pi * d);
            const double r = d / kTruePeakDelay;
            design[p][j] = sinc * besselI0(beta * std::sqrt(std::max(0.0, 1.0 - r * r))) / i0Beta;
            sum += design[p][j];
        }
        for (int j = 0; j < taps; ++j)
            design[p][j] /= sum;
    }
    double lowest = 1.0;
    for (int k = 0; k <= 450; ++k) {
        const double w = 2.0 * std::numbers::pi * kAccurateBand * k / 450.0;
        for (int p = 0; p < kOversampling - 1; ++p) {
            double re = 0.0, im = 0.0;
            for (int j = 0; j < taps; ++j) {
                re += design[p][j] * std::cos(w * j);
                im -= design[p][j] * std::sin(w * j);
            }
            lowest = std::min(lowest, std::sqrt(re * re + im * im));
        }
    }
    for (int p = 0; p < kOversampling - 1; ++p)
        for (int j = 0; j < taps; ++j)
            m_taps[p][j] = static_cast<float>(design[p][j] / lowest * kBetweenSamplesMargin);

    // The true-peak meter of ITU-R BS.1770 as libebur128 builds it: a 49-tap Hann-windowed sinc
    // interpolating by F = 4 below 96 kHz, 2 below 192 kHz, not at all above. Phase f reads
    // x(m + f / F) from x[m + 24 / F - t], t = 0, 1, ...: tap f + F t of the prototype.
    constexpr int meterTaps = 49;
    const int factor = info.sampleRate < 96000.0 ? 4 : info.sampleRate < 192000.0 ? 2 : 1;
    m_meterPhases = factor - 1;
    for (auto& phase : m_meterTaps)
        std::fill(std::begin(phase), std::end(phase), 0.0f);
    for (int j = 0; j < meterTaps && factor > 1; ++j) {
        const double m = j - (meterTaps - 1) / 2.0;
        double c = m == 0.0 ? 1.0 : std::sin(m * std::numbers::pi / factor) / (m * std::numbers::pi / factor);
        c *= 0.5 * (1.0 - std::cos(2.0 * std::numbers::pi * j / (meterTaps - 1)));
        const int f = j % factor, t = j / factor;
        if (f == 0)
            continue; // the samples themselves
        m_meterTaps[f - 1][kTruePeakDelay - 1 + (meterTaps - 1) / 2 / factor - t] = static_cast<float>(c * kBetweenSamplesMargin);
    }
    m_lastPointL = m_lastPointR = 0.0f;
}

float Limiter::truePeakAfter(const float* w, float ceiling, float& lastPoint) const noexcept {
    constexpr int taps = 2 * kTruePeakDelay;
    float v[kOversampling + 1];
    v[0] = w[kTruePeakDelay - 1];
    v[kOversampling] = w[kTruePeakDelay];
    // The 4x points first. Between points 1/4 sample apart, content up to 0.45 of the rate peaks at
    // most 1 / cos(0.45 pi / 4) = 1.066 times higher than they are; with the interpolators' own error
    // and margins, 1.1. Below the ceiling by that much the interval holds no peak to read (the most
    // of the limiter's cost saved while the signal is quiet).
    constexpr float kCoarseBound = 1.1f;
    float coarse = std::max(std::fabs(v[0]), std::fabs(v[kOversampling]));
    for (int p = 2; p < kOversampling; p += 2) {
        v[p] = dot<taps>(m_taps[p - 1], w);
        coarse = std::max(coarse, std::fabs(v[p]));
    }
    if (coarse * kCoarseBound <= ceiling) {
        lastPoint = 0.0f; // no parabola into this interval from the next: it held no peak
        return coarse;
    }
    for (int p = 1; p < kOversampling; p += 2)
        v[p] = dot<taps>(m_taps[p - 1], w);
    int k = 0;
    for (int p = 1; p <= kOversampling; ++p)
        if (std::fabs(v[p]) > std::fabs(v[k]))
            k = p;
    float peak = std::fabs(v[k]);
    // Between the 8x points: the vertex of the parabola through the highest and its neighbours
    // (one of them from the previous interval at a sample; a peak at m + 1 is the next interval's).
    if (k < kOversampling) {
        const float left = k == 0 ? lastPoint : v[k - 1];
        const float right = v[k + 1];
        const float sign = v[k] < 0.0f ? -1.0f : 1.0f;
        const float a = sign * left, b = sign * v[k], c = sign * right;
        const float curvature = 2.0f * b - a - c;
        if (a > 0.0f && c > 0.0f && b >= a && b >= c && curvature > 0.0f) // the vertex lies within +-1/16
            peak = std::max(peak, b + (a - c) * (a - c) / (8.0f * curvature));
    }
    lastPoint = v[kOversampling - 1];
    for (int p = 0; p < m_meterPhases; ++p)
        peak = std::max(peak, std::fabs(dot<taps>(m_meterTaps[p], w)));
    return peak;
}

// The gain that sample m (the one kTruePeakDelay behind the newest) requires. `left`/`right` point
// at the 32 newest samples, oldest first: index kTruePeakDelay - 1 is sample m.
double Limiter::requiredGain(const float* left, const float* right, float ceiling, bool truePeak) noexcept {
    float peak = std::max(std::fabs(left[kTruePeakDelay - 1]), std::fabs(right[kTruePeakDelay - 1]));
    if (truePeak)
        peak = std::max(peak, std::max(truePeakAfter(left, ceiling, m_lastPointL), truePeakAfter(right, ceiling, m_lastPointR)));
    return peak > ceiling ? static_cast<double>(ceiling) / static_cast<double>(peak) * kMargin : 1.0;
}

double Limiter::holdMinimum(double required) noexcept {
    const int capacity = m_hold;
    // Drop the front once it leaves the window of the last H requirements (this one included).
    if (m_dequeCount > 0 && m_dequeIndex[static_cast<std::size_t>(m_dequeHead)] <= m_count - m_hold) {
        m_dequeHead = wrap(m_dequeHead + 1, capacity);
        --m_dequeCount;
    }
    // Drop queued values that can never be the minimum again (not smaller than the new one).
    while (m_dequeCount > 0) {
        const int back = wrap(m_dequeHead + m_dequeCount - 1, capacity);
        if (m_dequeValue[static_cast<std::size_t>(back)] < required)
            break;
        --m_dequeCount;
    }
    const int slot = wrap(m_dequeHead + m_dequeCount, capacity);
    m_dequeValue[static_cast<std::size_t>(slot)] = required;
    m_dequeIndex[static_cast<std::size_t>(slot)] = m_count;
    ++m_dequeCount;
    ++m_count;
    return m_dequeValue[static_cast<std::size_t>(m_dequeHead)];
}

void Limiter::process(const ProcessContext& ctx) noexcept {
    const float* inL = ctx.inputs[In];
    const float* inR = ctx.inputs[RightIn] ? ctx.inputs[RightIn] : inL;
    float* outL = ctx.outputs[Left];
    float* outR = ctx.outputs[Right];
    SmoothedValue& ceilingParam = param(Ceiling);
    SmoothedValue& inputParam = param(InputGain);
    const bool truePeak = param(TruePeak).current() >= 0.5f;

    const float releaseMs = param(Release).skip(ctx.frames);
    if (releaseMs != m_releaseMs) {
        m_releaseMs = releaseMs;
        m_releaseCoef = 1.0 - std::exp(-1000.0 / (static_cast<double>(releaseMs) * sampleRate()));
    }

    const int size = m_size;
    const int average = static_cast<int>(m_boxA.size());
    for (int i = 0; i < ctx.frames; ++i) {
        if (const float db = ceilingParam.next(); db != m_ceilingDb) {
            m_ceilingDb = db;
            m_ceilingLin = dbToGain(db);
        }
        if (const float db = inputParam.next(); db != m_inputDb) {
            m_inputDb = db;
            m_inputLin = dbToGain(db);
        }
        const float xl = inL ? finiteOrZero(inL[i] * m_inputLin) : 0.0f;
        const float xr = inR ? finiteOrZero(inR[i] * m_inputLin) : 0.0f;

        if (++m_write == size)
            m_write = 0;
        const int w = m_write;
        m_left[static_cast<std::size_t>(w)] = m_left[static_cast<std::size_t>(w + size)] = xl;
        m_right[static_cast<std::size_t>(w)] = m_right[static_cast<std::size_t>(w + size)] = xr;
        m_ceiling[static_cast<std::size_t>(w)] = m_ceiling[static_cast<std::size_t>(w + size)] = m_ceilingLin;

        // The newest 32 samples, oldest first; sample m sits kTruePeakDelay - 1 after their start.
        const std::size_t window = static_cast<std::size_t>(w + size - (2 * kTruePeakDelay - 1));
        const float ceilingM = m_ceiling[window + kTruePeakDelay - 1];
        const double required = requiredGain(&m_left[window], &m_right[window], ceilingM, truePeak);

        // Hold, then release: the envelope follows a falling hold at once and a rising one with
        // the release time constant, so it never exceeds the hold.
        const double hold = holdMinimum(required);
        m_envelope = hold < m_envelope ? hold : m_envelope + (hold - m_envelope) * m_releaseCoef;

        m_sumA += m_envelope - m_boxA[static_cast<std::size_t>(m_posA)];
        m_boxA[static_cast<std::size_t>(m_posA)] = m_envelope;
        if (++m_posA == average) {
            m_posA = 0;
            m_sumA = 0.0;
            for (double v : m_boxA)
                m_sumA += v;
        }
        const double averaged = m_sumA / static_cast<double>(average);
        m_sumB += averaged - m_boxB[static_cast<std::size_t>(m_posB)];
        m_boxB[static_cast<std::size_t>(m_posB)] = averaged;
        if (++m_posB == average) {
            m_posB = 0;
            m_sumB = 0.0;
            for (double v : m_boxB)
                m_sumB += v;
        }
        // Division rather than a product with the reciprocal, so that all ones average to exactly 1.
        const double gain = m_sumB / static_cast<double>(average);
        m_gain = gain;

        // The output sample is the oldest in the delay line: D + kTruePeakDelay behind the newest.
        const std::size_t oldest = static_cast<std::size_t>(w + 1);
        const float ceiling = m_ceiling[oldest];
        const float yl = static_cast<float>(static_cast<double>(m_left[oldest]) * gain);
        const float yr = static_cast<float>(static_cast<double>(m_right[oldest]) * gain);
        const float cl = std::clamp(yl, -ceiling, ceiling);
        const float cr = std::clamp(yr, -ceiling, ceiling);
        m_clamped += static_cast<std::uint64_t>(cl != yl) + static_cast<std::uint64_t>(cr != yr);
        outL[i] = cl;
        outR[i] = cr;
    }
}

} // namespace chronus::engine
