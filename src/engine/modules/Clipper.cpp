#include "Clipper.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "DynamicsMath.hpp"

namespace chronus::engine {

const ModuleType Clipper::kType{
    "clipper",  "Clipper",
    "Dynamics", "Stereo soft clipper, 2x oversampled: drive, ceiling, softness; latency 31 samples",
    kParams,    kInputs,
    kOutputs,   &createModule<Clipper>};

namespace {
using dynamics::besselI0;
using dynamics::dbToGain;
using dynamics::dot;

// tanh for x >= 0 through one exp (cheaper than tanhf); never above 1, also when exp overflows.
float tanhPositive(float x) noexcept {
    return 1.0f - 2.0f / (std::exp(2.0f * x) + 1.0f);
}

} // namespace

float Clipper::curve(float x, float threshold, float ceiling) noexcept {
    const float a = std::fabs(x);
    if (a <= threshold)
        return x;
    const float range = ceiling - threshold;
    const float bent = range > 1e-6f ? threshold + range * tanhPositive((a - threshold) / range) : ceiling;
    return std::copysign(std::min(bent, ceiling), x);
}

void Clipper::onPrepare(const PrepareInfo&) {
    // Halfband lowpass at a quarter of the doubled rate: h[i] = sinc((i - C) / 2) / 2 x Kaiser(beta 8),
    // C = 2K - 1. Only the even taps and the centre (1/2) are non-zero; the even taps are
    // normalised to sum to 1/2 so both polyphase branches have unity gain at DC.
    constexpr int taps = 4 * kHalfbandK - 1;
    constexpr double centre = 2 * kHalfbandK - 1;
    constexpr double beta = 8.0;
    const double i0Beta = besselI0(beta);
    double even[kEvenTaps];
    double sum = 0.0;
    for (int j = 0; j < kEvenTaps; ++j) {
        const double d = (2 * j - centre) / 2.0; // never 0: 2j is even, the centre odd
        const double sinc = std::sin(std::numbers::pi * d) / (std::numbers::pi * d);
        const double r = (2 * j - centre) / ((taps - 1) / 2.0);
        even[j] = 0.5 * sinc * besselI0(beta * std::sqrt(std::max(0.0, 1.0 - r * r))) / i0Beta;
        sum += even[j];
    }
    for (int j = 0; j < kEvenTaps; ++j)
        m_even[j] = static_cast<float>(even[j] / sum); // sums to 1: h[2j] x 2
    for (Channel& ch : m_channels)
        ch = Channel{};
    m_write = 0;
    m_driveDb = param(Drive).current();
    m_driveLin = dbToGain(m_driveDb);
    m_ceilingDb = param(Ceiling).current();
    m_ceilingLin = dbToGain(m_ceilingDb);
    m_clamped = 0;
}

float Clipper::processSample(Channel& ch, float x, float threshold, float ceiling) noexcept {
    constexpr int n = kEvenTaps;
    const int w = m_write;
    ch.input[w] = ch.input[w + n] = x;
    // Histories oldest first: [w + 1, w + n].
    const float* in = ch.input + w + 1;
    const float up = dot<n>(m_even, in);
    const float clippedEven = curve(up, threshold, ceiling);
    const float clippedOdd = curve(in[kHalfbandK], threshold, ceiling); // the odd branch is a pure delay
    ch.clippedEven[w] = ch.clippedEven[w + n] = clippedEven;
    ch.clippedOdd[w] = ch.clippedOdd[w + n] = clippedOdd;
    const float* even = ch.clippedEven + w + 1;
    const float down = dot<n>(m_even, even);
    return 0.5f * down + 0.5f * ch.clippedOdd[w + 1 + kHalfbandK - 1];
}

void Clipper::process(const ProcessContext& ctx) noexcept {
    const float* inL = ctx.inputs[In];
    const float* inR = ctx.inputs[RightIn] ? ctx.inputs[RightIn] : inL;
    float* outL = ctx.outputs[Left];
    float* outR = ctx.outputs[Right];
    SmoothedValue& drive = param(Drive);
    SmoothedValue& ceilingParam = param(Ceiling);
    SmoothedValue& knee = param(Knee);
    for (int i = 0; i < ctx.frames; ++i) {
        if (const float db = drive.next(); db != m_driveDb) {
            m_driveDb = db;
            m_driveLin = dbToGain(db);
        }
        if (const float db = ceilingParam.next(); db != m_ceilingDb) {
            m_ceilingDb = db;
            m_ceilingLin = dbToGain(db);
        }
        const float ceiling = m_ceilingLin;
        const float threshold = ceiling * (1.0f - knee.next());
        float xl = inL ? inL[i] * m_driveLin : 0.0f;
        float xr = inR ? inR[i] * m_driveLin : 0.0f;
        xl = std::isfinite(xl) ? xl : 0.0f;
        xr = std::isfinite(xr) ? xr : 0.0f;
        if (++m_write == kEvenTaps)
            m_write = 0;
        const float yl = processSample(m_channels[0], xl, threshold, ceiling);
        const float yr = processSample(m_channels[1], xr, threshold, ceiling);
        const float cl = std::clamp(yl, -ceiling, ceiling);
        const float cr = std::clamp(yr, -ceiling, ceiling);
        m_clamped += static_cast<std::uint64_t>(cl != yl) + static_cast<std::uint64_t>(cr != yr);
        outL[i] = cl;
        outR[i] = cr;
    }
}

} // namespace chronus::engine
