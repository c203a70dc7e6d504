#include "Limiter.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "DynamicsMath.hpp"

namespace chronus::engine {

const ModuleType Limiter::kType{
    "limiter",  "Limiter",
    "Dynamics", "Stereo look-ahead peak limiter: output never above the ceiling; latency 2 ms + 8 samples",
    kParams,    kInputs,
    kOutputs,   &createModule<Limiter>};

namespace {
using dynamics::besselI0;
using dynamics::dbToGain;
using dynamics::dot;

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
    return 2 * averageLength(sampleRate) - 2 + kTruePeakDelay;
}

void Limiter::onPrepare(const PrepareInfo& info) {
    const int average = averageLength(info.sampleRate);
    m_delay = 2 * average - 2;
    m_hold = 2 * average - 1;
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

    // Windowed-sinc interpolation (Kaiser, beta 6) of x(m + phase / 4) from the 16 samples around it,
    // each phase normalised to unity gain at DC.
    constexpr int taps = 2 * kTruePeakDelay;
    constexpr double beta = 6.0;
    const double i0Beta = besselI0(beta);
    for (int p = 0; p < kTruePeakPhases; ++p) {
        const double frac = (p + 1) / 4.0;
        double sum = 0.0;
        double h[taps];
        for (int j = 0; j < taps; ++j) {
            const double d = (j - (kTruePeakDelay - 1)) - frac; // distance of tap j from the point
            const double sinc = std::sin(std::numbers::pi * d) / (std::numbers::pi * d);
            const double r = d / kTruePeakDelay;
            const double window = besselI0(beta * std::sqrt(std::max(0.0, 1.0 - r * r))) / i0Beta;
            h[j] = sinc * window;
            sum += h[j];
        }
        for (int j = 0; j < taps; ++j)
            m_taps[p][j] = static_cast<float>(h[j] / sum);
    }
}

// The gain that sample m (the one kTruePeakDelay behind the newest) requires. `left`/`right` point
// at the 16 newest samples, oldest first: index kTruePeakDelay - 1 is sample m.
double Limiter::requiredGain(const float* left, const float* right, float ceiling,
                             bool truePeak) const noexcept {
    constexpr int taps = 2 * kTruePeakDelay;
    float peak = std::max(std::fabs(left[kTruePeakDelay - 1]), std::fabs(right[kTruePeakDelay - 1]));
    if (truePeak) {
        for (int p = 0; p < kTruePeakPhases; ++p) {
            const float l = dot<taps>(m_taps[p], left);
            const float r = dot<taps>(m_taps[p], right);
            peak = std::max(peak, std::max(std::fabs(l), std::fabs(r)));
        }
    }
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

        // The newest 16 samples, oldest first; sample m sits kTruePeakDelay - 1 after their start.
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
