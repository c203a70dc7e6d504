#include "Adsr.hpp"

#include <algorithm>
#include <climits>
#include <cmath>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace chronus::engine {

const ModuleType Adsr::kType{"adsr", "ADSR", "Envelopes",
                             "Attack-decay-sustain-release envelope; multiplies `in` when connected",
                             kParams, kInputs, kOutputs, &createModule<Adsr>};

namespace {

// The first index in [from, to) whose gate state (above 0.5) differs from `high`, or `to`.
// A gate is usually shared by many envelopes and changes rarely, so this scans 16 samples a step.
template <bool High>
int gateRunEnd(const float* gate, int from, int to) noexcept {
    int i = from;
#if defined(__SSE2__)
    const __m128 threshold = _mm_set1_ps(0.5f);
    auto above = [&](int at) noexcept { return _mm_cmpgt_ps(_mm_loadu_ps(gate + at), threshold); };
    for (; i + 16 <= to; i += 16) {
        if constexpr (High) {
            const __m128 all = _mm_and_ps(_mm_and_ps(above(i), above(i + 4)), _mm_and_ps(above(i + 8), above(i + 12)));
            if (_mm_movemask_ps(all) != 0xF)
                break;
        } else {
            const __m128 any = _mm_or_ps(_mm_or_ps(above(i), above(i + 4)), _mm_or_ps(above(i + 8), above(i + 12)));
            if (_mm_movemask_ps(any) != 0)
                break;
        }
    }
    for (; i + 4 <= to; i += 4)
        if (_mm_movemask_ps(above(i)) != (High ? 0xF : 0))
            break;
#endif
    for (; i < to; ++i)
        if ((gate[i] > 0.5f) != High)
            break;
    return i;
}

// out = in x e, or e when `in` is not connected, over [from, to).
void renderConstant(const float* __restrict in, float* __restrict out, int from, int to, float e) noexcept {
    if (in) {
        for (int i = from; i < to; ++i)
            out[i] = in[i] * e;
    } else {
        std::fill(out + from, out + to, e);
    }
}

// A linear segment over [from, to): the envelope at sample i is start + slope x (firstCount + i - from),
// the same expression Adsr::segmentValue evaluates, times level (and times `in` when connected).
void renderRamp(const float* __restrict in, float* __restrict out, int from, int to, float start, float slope,
                int firstCount, float level) noexcept {
    const int offset = firstCount - from;
    if (in) {
        for (int i = from; i < to; ++i)
            out[i] = in[i] * ((start + slope * static_cast<float>(offset + i)) * level);
    } else {
        for (int i = from; i < to; ++i)
            out[i] = (start + slope * static_cast<float>(offset + i)) * level;
    }
}

} // namespace

void Adsr::onPrepare(const PrepareInfo& info) {
    m_samplesPerMs = static_cast<float>(info.sampleRate / 1000.0);
    m_stage = Stage::Idle;
    m_env = 0.0f;
    m_segStart = 0.0f;
    m_slope = 0.0f;
    m_count = 0;
    m_gateHigh = false;
}

float Adsr::stepFor(Param timeParam, float distance) const noexcept {
    const float ms = std::max(param(timeParam).target(), kMinSegmentMs);
    return distance / (ms * m_samplesPerMs);
}

void Adsr::startSegment(Stage stage, float slope) noexcept {
    m_stage = stage;
    m_segStart = m_env;
    m_slope = slope;
    m_count = 0;
}

void Adsr::gateOn() noexcept {
    // constant slope: a retrigger from level x takes (1 - x) * attack
    startSegment(Stage::Attack, stepFor(Attack, 1.0f));
}

void Adsr::gateOff() noexcept {
    if (m_stage == Stage::Idle)
        return;
    // release lasts `release` ms from whatever level it starts at
    startSegment(Stage::Release, -stepFor(Release, m_env));
}

int Adsr::segmentEnd(float target) const noexcept {
    // segmentValue is monotonic in the count (rounding is monotonic), so the crossing is found
    // from an estimate, checked against the exact expression and corrected by a bounded search.
    const bool rising = m_stage == Stage::Attack;
    auto reached = [&](int count) noexcept {
        const float v = segmentValue(count);
        return rising ? v >= target : v <= target;
    };
    const int first = m_count + 1;
    if (reached(first))
        return first;
    if (m_slope == 0.0f || (m_slope > 0.0f) != rising || first >= kMaxCount)
        return INT_MAX; // never (in practice only a release so quiet that its slope flushed to zero)
    const double estimate = std::ceil((static_cast<double>(target) - static_cast<double>(m_segStart)) /
                                      static_cast<double>(m_slope));
    int lo = first; // not reached
    int hi;         // reached
    int guess = estimate > static_cast<double>(first) ? static_cast<int>(std::min(estimate, double{kMaxCount})) : first + 1;
    if (reached(guess)) {
        if (!reached(guess - 1))
            return guess; // the usual case
        hi = guess - 1;
        for (int step = 1; hi - step > lo; step *= 2) { // walk down until not reached
            if (!reached(hi - step)) {
                lo = hi - step;
                break;
            }
            hi -= step;
        }
    } else {
        lo = guess;
        for (int step = 1;; step *= 2) { // walk up until reached
            if (lo >= kMaxCount)
                return INT_MAX;
            const int next = static_cast<int>(std::min<long long>(static_cast<long long>(lo) + step, kMaxCount));
            if (reached(next)) {
                hi = next;
                break;
            }
            lo = next;
        }
    }
    while (hi - lo > 1) { // lo not reached, hi reached
        const int mid = lo + (hi - lo) / 2;
        (reached(mid) ? hi : lo) = mid;
    }
    return hi;
}

void Adsr::process(const ProcessContext& ctx) noexcept {
    const float* in = ctx.inputs[In];
    const float* gateIn = ctx.inputs[GateIn];
    float* out = ctx.outputs[Out];
    if (param(Sustain).isSmoothing() || param(Level).isSmoothing())
        processSmoothing(in, gateIn, out, ctx.frames);
    else
        processRuns(in, gateIn, out, ctx.frames);
}

void Adsr::processSmoothing(const float* in, const float* gateIn, float* out, int frames) noexcept {
    SmoothedValue& sustain = param(Sustain);
    SmoothedValue& level = param(Level);
    for (int i = 0; i < frames; ++i) {
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
            m_env = segmentValue(advance());
            if (m_env >= 1.0f) {
                m_env = 1.0f;
                startSegment(Stage::Decay, -stepFor(Decay, 1.0f - s));
            }
            break;
        case Stage::Decay:
            m_env = segmentValue(advance());
            if (m_env <= s) {
                m_env = s;
                m_stage = Stage::Sustain;
            }
            break;
        case Stage::Sustain:
            m_env = s; // the sustain param ramps per sample, so following it is smooth
            break;
        case Stage::Release:
            m_env = segmentValue(advance());
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

void Adsr::processRuns(const float* in, const float* gateIn, float* out, int frames) noexcept {
    const float s = param(Sustain).current();
    const float level = param(Level).current();
    for (int i = 0; i < frames;) {
        const bool high = m_eventGate || (gateIn && gateIn[i] > 0.5f);
        if (high != m_gateHigh) {
            m_gateHigh = high;
            high ? gateOn() : gateOff();
        }
        // [i, end): samples with the same gate state as sample i (the scan starts at i itself,
        // which matches, so that whole blocks scan in aligned steps)
        int end = frames;
        if (!m_eventGate && gateIn)
            end = high ? gateRunEnd<true>(gateIn, i, frames) : gateRunEnd<false>(gateIn, i, frames);
        while (i < end) {
            if (m_stage == Stage::Idle || m_stage == Stage::Sustain) {
                if (m_stage == Stage::Sustain)
                    m_env = s;
                renderConstant(in, out, i, end, m_env * level);
                i = end;
                continue;
            }
            const float target = m_stage == Stage::Attack ? 1.0f : m_stage == Stage::Decay ? s : 0.0f;
            const int crossing = segmentEnd(target);
            const long long untilCrossing = static_cast<long long>(crossing) - m_count; // >= 1
            if (untilCrossing > end - i) { // the segment goes on past this run
                const int n = end - i;
                renderRamp(in, out, i, end, m_segStart, m_slope, m_count + 1, level);
                m_count = std::min(m_count + n, kMaxCount);
                m_env = segmentValue(m_count);
                i = end;
                continue;
            }
            const int last = i + static_cast<int>(untilCrossing) - 1; // the sample that reaches the target
            renderRamp(in, out, i, last, m_segStart, m_slope, m_count + 1, level);
            m_env = target;
            const float e = target * level;
            out[last] = in ? in[last] * e : e;
            switch (m_stage) {
            case Stage::Attack:
                startSegment(Stage::Decay, -stepFor(Decay, 1.0f - s));
                break;
            case Stage::Decay:
                m_stage = Stage::Sustain;
                break;
            default:
                m_stage = Stage::Idle;
                break;
            }
            i = last + 1;
        }
    }
}

} // namespace chronus::engine
