#include "Adsr.hpp"

#include "../Simd.hpp"

#include <algorithm>
#include <climits>
#include <cmath>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace chronus::engine {

const ModuleType Adsr::kType{
    "adsr",  "ADSR",  "Envelopes",    "Attack-decay-sustain-release envelope; multiplies `in` when connected",
    kParams, kInputs, kOutputs,       &createModule<Adsr>,
    nullptr, nullptr, Polyphony::Poly};

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

// Polyphony: 8 envelopes per instruction, each lane the mono envelope of Adsr::processSmoothing with
// the same expressions in the same order, so every channel renders the mono module's samples to the
// bit. Lanes in Idle or Sustain hold a flat segment (slope 0, starting at their level), so every
// lane evaluates segStart + slope x count every sample and no stage needs a branch. A lane keeps its
// segment multiplied by `sign` (-1 while falling; exact, as is every product with it), so "rises
// to" and "falls to" are both env x sign >= target x sign, one comparison (target +inf: never).
// Gate edges and segment ends are rare: a chunk is first rendered without the stage logic, noting
// whether any lane had one (a chunk where every lane is flat costs a multiply per sample); only if
// one did is the chunk rendered again, one test per sample finding the samples where the stages
// are worked out.
// The count is a float: exact up to 2^24 samples, longer than any segment that moves (20 s at
// 192 kHz is under 4e6); a flat one does not depend on it.
constexpr int kPolyChunk = 64; // frames whose ramping sustain and level are read once for every group
constexpr float kNever = __builtin_inff();

template <bool Smoothing, bool HasIn, bool HasGate>
[[gnu::always_inline]] inline void adsrRun(const ProcessContext& ctx, Adsr::PolyState& st,
                                           const Adsr::PolyArgs& a, SmoothedValue& sustain,
                                           SmoothedValue& level) noexcept {
    using namespace simd;
    using V = F8;
    using M = I8;
    constexpr int kLanes = kPolyLanes;
    constexpr int kIdle = int(Adsr::Stage::Idle), kAttack = int(Adsr::Stage::Attack);
    constexpr int kDecay = int(Adsr::Stage::Decay), kSustain = int(Adsr::Stage::Sustain);
    constexpr int kRelease = int(Adsr::Stage::Release);
    const int stride = channelStride(ctx.channels);
    const float* in = ctx.inputs[Adsr::In];
    const float* gate = ctx.inputs[Adsr::GateIn];
    const M gateAlways = a.eventGate ? M{} - 1 : M{};
    float* out = ctx.outputs[Adsr::Out];
    const float s0 = sustain.current(), l0 = level.current();
    for (int base = 0; base < ctx.frames; base += kPolyChunk) {
        const int n = std::min(kPolyChunk, ctx.frames - base);
        float sv[Smoothing ? kPolyChunk : 1], lv[Smoothing ? kPolyChunk : 1];
        if constexpr (Smoothing)
            for (int j = 0; j < n; ++j) {
                sv[j] = sustain.next();
                lv[j] = level.next();
            }
        for (int g = 0; g < stride; g += kLanes) {
            M stage = loadAs<M>(st.stage + g), gateHigh = loadAs<M>(st.gateHigh + g);
            V env = loadAs<V>(st.env + g), segStart = loadAs<V>(st.segStart + g),
              slope = loadAs<V>(st.slope + g);
            V count = loadAs<V>(st.count + g), sign = loadAs<V>(st.sign + g),
              target = loadAs<V>(st.target + g);
            V signLevel = sign * l0; // e = env x level, the mono product: (env x sign) x (sign x level)
            if constexpr (!Smoothing) {
                // Optimistically the chunk without gate edges or segment ends (most chunks): the
                // same expressions without the stage logic, noting whether any lane had an event;
                // if one did, the loop below renders the chunk again from the same state.
                V quietCount = count, quietEnv = env;
                M events = HasGate ? M{} : gateAlways ^ gateHigh;
                if (!any(M(slope != 0.0f))) {
                    // Every lane flat (sustain or idle): the level is the same every sample (slope x
                    // count is a zero for any count), and the count stops at 2^24 as += 1 does.
                    quietEnv = segStart + rounded(slope * (count + 1.0f));
                    events |= M(quietEnv >= target);
                    quietCount = min(count + float(n), splat(16777216.0f));
                    const V e = quietEnv * signLevel;
#pragma GCC unroll 4
                    for (int j = 0; j < n; ++j) {
                        const std::size_t at = static_cast<std::size_t>((base + j) * stride + g);
                        if constexpr (HasGate)
                            events |= M(loadAs<V>(gate + at) > 0.5f) ^ gateHigh;
                        storeFrom(out + at, HasIn ? loadAs<V>(in + at) * e : e);
                    }
                } else {
#pragma GCC unroll 4
                    for (int j = 0; j < n; ++j) {
                        const std::size_t at = static_cast<std::size_t>((base + j) * stride + g);
                        if constexpr (HasGate)
                            events |= M(loadAs<V>(gate + at) > 0.5f) ^ gateHigh;
                        quietCount += 1.0f;
                        quietEnv = segStart + rounded(slope * quietCount);
                        events |= M(quietEnv >= target);
                        const V e = quietEnv * signLevel;
                        storeFrom(out + at, HasIn ? loadAs<V>(in + at) * e : e);
                    }
                }
                if (!any(events)) {
                    storeFrom(st.env + g, quietEnv);
                    storeFrom(st.count + g, quietCount);
                    continue;
                }
            }
            for (int j = 0; j < n; ++j) {
                const std::size_t at = static_cast<std::size_t>((base + j) * stride + g);
                const float s = Smoothing ? sv[j] : s0;
                const float l = Smoothing ? lv[j] : l0;
                if constexpr (Smoothing) { // the sustain level and a decay's target follow the param
                    segStart = stage == kSustain ? splat(s) : segStart;
                    target = stage == kDecay ? splat(-s) : target;
                    signLevel = sign * l;
                }
                const M high = HasGate ? M(loadAs<V>(gate + at) > 0.5f) : gateAlways;
                const M edge = high ^ gateHigh;
                const V last = env; // x sign: the last sample's level, where a gate edge starts from
                count += 1.0f;
                env = segStart + rounded(slope * count); // the mono code's rounding, no FMA
                M ended = env >= target;
                if (any(edge | ended)) [[unlikely]] {
                    if (any(edge)) {
                        const V level0 = last * sign;
                        const M on = edge & high;
                        const M off = edge & ~high & (stage != kIdle);
                        gateHigh = high;
                        // on: attack from the current level; off: release from it, lasting `release`
                        stage = on ? kAttack : off ? kRelease : stage;
                        sign = on ? splat(1.0f) : off ? splat(-1.0f) : sign;
                        segStart = on ? level0 : off ? -level0 : segStart;
                        slope = on ? splat(a.attackSlope) : off ? level0 / a.releaseTime : slope;
                        count = (on | off) ? splat(1.0f) : count; // the new segment's first sample
                        target = on ? splat(1.0f) : off ? splat(-0.0f) : target;
                        signLevel = sign * l;
                        env = segStart + rounded(slope * count);
                        ended = env >= target;
                    }
                    if (any(ended)) {
                        const M attack = ended & (stage == kAttack);
                        const M decay = ended & (stage == kDecay);
                        // attack: decay from 1 toward s; decay: sustain at s; release: idle at 0
                        stage = attack ? kDecay : decay ? kSustain : ended ? kIdle : stage;
                        sign = attack ? splat(-1.0f) : ended ? splat(1.0f) : sign;
                        env = attack ? splat(-1.0f) : decay ? splat(s) : ended ? V{} : env;
                        segStart = ended ? env : segStart;
                        slope = attack ? splat((1.0f - s) / a.decayTime) : ended ? V{} : slope;
                        count = ended ? V{} : count;
                        target = attack ? splat(-s) : ended ? splat(kNever) : target;
                        signLevel = sign * l;
                    }
                }
                const V e = env * signLevel;
                storeFrom(out + at, HasIn ? loadAs<V>(in + at) * e : e);
            }
            storeFrom(st.stage + g, stage);
            storeFrom(st.gateHigh + g, gateHigh);
            storeFrom(st.env + g, env);
            storeFrom(st.segStart + g, segStart);
            storeFrom(st.slope + g, slope);
            storeFrom(st.count + g, count);
            storeFrom(st.sign + g, sign);
            storeFrom(st.target + g, target);
        }
    }
}

// One copy of the loop per connected pair of inputs, so none is tested per sample.
template <bool Smoothing>
[[gnu::always_inline]] inline void adsrPoly(const ProcessContext& ctx, Adsr::PolyState& st,
                                            const Adsr::PolyArgs& a, SmoothedValue& sustain,
                                            SmoothedValue& level) noexcept {
    const bool hasIn = ctx.inputs[Adsr::In] != nullptr;
    const bool hasGate = !a.eventGate && ctx.inputs[Adsr::GateIn] != nullptr;
    if (hasIn)
        hasGate ? adsrRun<Smoothing, true, true>(ctx, st, a, sustain, level)
                : adsrRun<Smoothing, true, false>(ctx, st, a, sustain, level);
    else
        hasGate ? adsrRun<Smoothing, false, true>(ctx, st, a, sustain, level)
                : adsrRun<Smoothing, false, false>(ctx, st, a, sustain, level);
}

#define ADSR_POLY_PARAMS                                                                                     \
    (const ProcessContext& ctx, Adsr::PolyState& st, const Adsr::PolyArgs& a, SmoothedValue& sustain,        \
     SmoothedValue& level)
CHRONUS_POLY_KERNEL(adsrPolyConstant, adsrPoly<false>, ADSR_POLY_PARAMS, (ctx, st, a, sustain, level))
CHRONUS_POLY_KERNEL(adsrPolySmoothing, adsrPoly<true>, ADSR_POLY_PARAMS, (ctx, st, a, sustain, level))
#undef ADSR_POLY_PARAMS

} // namespace

void Adsr::onPrepare(const PrepareInfo& info) {
    m_samplesPerMs = static_cast<float>(info.sampleRate / 1000.0);
    m_stage = Stage::Idle;
    m_env = 0.0f;
    m_segStart = 0.0f;
    m_slope = 0.0f;
    m_count = 0;
    m_gateHigh = false;
    m_poly = PolyState{};
    for (int c = 0; c < kMaxChannels; ++c) {
        m_poly.stage[c] = static_cast<std::int32_t>(Stage::Idle);
        m_poly.sign[c] = 1.0f;
        m_poly.target[c] = kNever;
    }
    m_polyConstant = simd::pick(&adsrPolyConstantGeneric, &adsrPolyConstantAvx2);
    m_polySmoothing = simd::pick(&adsrPolySmoothingGeneric, &adsrPolySmoothingAvx2);
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
    if (ctx.channels > 1) {
        const PolyArgs args{m_eventGate, stepFor(Attack, 1.0f),
                            std::max(param(Decay).target(), kMinSegmentMs) * m_samplesPerMs,
                            std::max(param(Release).target(), kMinSegmentMs) * m_samplesPerMs};
        const bool smoothing = param(Sustain).isSmoothing() || param(Level).isSmoothing();
        (smoothing ? m_polySmoothing : m_polyConstant)(ctx, m_poly, args, param(Sustain), param(Level));
        return;
    }
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
