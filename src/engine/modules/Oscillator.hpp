#pragma once
// Shared machinery of the band-limited oscillators (sine, saw, square, triangle): double-precision
// phase, exponential FM (one unit per octave), per-sample freq and gain ramps, table selection.
//
// Polyphonic (more than one channel), they run another algorithm, 8 channels per instruction: a
// table lookup per lane would cost about ten scalar instructions per voice-sample. The poly saw,
// square and triangle are the naive waveforms corrected at each discontinuity (polyBLEP) or corner
// (polyBLAMP) with the residual of a cubic B-spline kernel spanning two samples on each side, which
// keeps the aliases of a 2 kHz saw at 48 kHz below -40 dB in the audible band; the poly sine is a
// polynomial. The phase is a float per lane in [-1/2, 1/2), wrapped each cycle: its rounding moves
// the pitch by under 1e-4 relative at 20 Hz and less above. The increment (freq x 2^fm) is recomputed
// only when the freq param or a lane's fm input changes, so a held pitch costs no exp2.

#include "../Module.hpp"
#include "../Simd.hpp"
#include "../Wavetables.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace chronus::engine {

class Oscillator : public Module {
public:
    enum Param : ParamIndex { Freq, Gain, CommonParamCount };
    enum Input : PortIndex { Fm, InputCount };
    enum Output : PortIndex { Out, OutputCount };

    // `frequency` is what the predecessor's clients send (/mod/osc1/frequency).
    static constexpr ParamSpec kFreq{"freq", "Frequency", "Hz", 0.0f, 20000.0f, 440.0f, ParamLog, "frequency"};
    static constexpr ParamSpec kGain{"gain", "Gain", "", 0.0f, 1.0f, 0.5f};
    static constexpr PortSpec kInputs[] = {{"fm", "FM (1/oct)", Signal::Cv}};
    static constexpr PortSpec kOutputs[] = {{"out", "Out", Signal::Audio}};

    explicit Oscillator(const ModuleType& type) : Module(type) {}

protected:
    void onPrepare(const PrepareInfo& info) override {
        m_tables = &Wavetables::instance();
        m_invSampleRate = 1.0 / info.sampleRate;
        m_phase = 0.0;
        m_poly.reset(static_cast<float>(m_invSampleRate));
    }

    // Runs the phase loop; `wave(table, phase, inc)` returns one sample of the waveform.
    template <class Wave>
    void run(const ProcessContext& ctx, Wavetables::Shape shape, Wave&& wave) noexcept {
        const float* fm = ctx.inputs[Fm];
        float* out = ctx.outputs[Out];
        SmoothedValue& freq = param(Freq);
        SmoothedValue& gain = param(Gain);
        double phase = m_phase;
        if (!fm && !freq.isSmoothing()) {
            const double inc = clampInc(static_cast<double>(freq.current()) * m_invSampleRate);
            const float* table = m_tables->table(shape, inc);
            if (!gain.isSmoothing()) {
                const float g = gain.current();
                for (int i = 0; i < ctx.frames; ++i) {
                    out[i] = g * wave(table, phase, inc);
                    phase += inc;
                    if (phase >= 1.0)
                        phase -= 1.0;
                }
            } else {
                for (int i = 0; i < ctx.frames; ++i) {
                    out[i] = gain.next() * wave(table, phase, inc);
                    phase += inc;
                    if (phase >= 1.0)
                        phase -= 1.0;
                }
            }
        } else {
            for (int i = 0; i < ctx.frames; ++i) {
                double f = static_cast<double>(freq.next());
                if (fm)
                    f *= static_cast<double>(std::exp2(std::clamp(fm[i], -12.0f, 12.0f)));
                const double inc = clampInc(f * m_invSampleRate);
                out[i] = gain.next() * wave(m_tables->table(shape, inc), phase, inc);
                phase += inc;
                if (phase >= 1.0)
                    phase -= 1.0;
            }
        }
        m_phase = phase;
    }

    // Runs an oscillator whose waveform is the table itself (lookup at the phase). Constant
    // frequency and gain without FM, the usual case, is one call to Wavetables::play; anything
    // else takes the general per-sample loop.
    void runTable(const ProcessContext& ctx, Wavetables::Shape shape) noexcept {
        SmoothedValue& freq = param(Freq);
        SmoothedValue& gain = param(Gain);
        if (ctx.inputs[Fm] || freq.isSmoothing() || gain.isSmoothing()) {
            run(ctx, shape, [](const float* table, double phase, double) noexcept {
                return Wavetables::lookup(table, phase);
            });
            return;
        }
        const double inc = clampInc(static_cast<double>(freq.current()) * m_invSampleRate);
        m_phase = Wavetables::play(m_tables->table(shape, inc), m_phase, inc, gain.current(), ctx.outputs[Out],
                                   ctx.frames);
    }

    // NaN (from an FM input carrying NaN) plays as 0 Hz rather than reading outside the table.
    static double clampInc(double inc) noexcept { return inc > 0.0 ? std::min(inc, 0.49) : 0.0; }

public:
    // The poly oscillators' per-channel state (audio thread, after prepare).
    struct PolyState {
        alignas(32) float phase[kMaxChannels] = {};  // cycles in [-1/2, 1/2) (the mono phase mod 1)
        alignas(32) float fm[kMaxChannels] = {};     // the fm input the increments were computed for
        alignas(32) float inc[kMaxChannels] = {};    // cycles per sample, [0, 0.49]
        alignas(32) float invInc[kMaxChannels] = {}; // 1 / max(inc, kMinInc)
        float freq[kMaxChannels / kPolyLanes] = {};  // per group: the freq param they were computed for
        float invSampleRate = 1.0f / 48000.0f;
        void reset(float invSr) noexcept {
            *this = PolyState{};
            invSampleRate = invSr;
            for (float& f : freq)
                f = -1.0f; // no freq param is negative: the first frame computes the increments
        }
    };

    using PolyKernel = void (*)(const ProcessContext&, PolyState&, SmoothedValue& freq, SmoothedValue& gain,
                                SmoothedValue* shape) noexcept;

protected:
    // Runs the poly kernel the type picked in its onPrepare; `shape` is its extra param, if any.
    void runPoly(const ProcessContext& ctx, SmoothedValue* shape = nullptr) noexcept {
        m_polyKernel(ctx, m_poly, param(Freq), param(Gain), shape);
    }

    PolyKernel m_polyKernel = nullptr; // 8 channels per instruction
    const Wavetables* m_tables = nullptr;
    double m_invSampleRate = 1.0 / 48000.0;
    double m_phase = 0.0; // cycles in [0, 1)
    PolyState m_poly;
};

// ---- The poly kernels' building blocks (see the comment at the top) ----
namespace polyosc {

using simd::F8;

// An increment below this plays as this in the corrections' 1 / inc (keeps it finite at 0 Hz).
inline constexpr float kMinInc = 1e-6f;

// The band-limited corrections use a cubic B-spline kernel spanning two samples each side of a
// discontinuity. The phases are kept in [-1/2, 1/2) (the wrap of a saw is at 0, away from the
// phase's own wrap), so the distance to the nearest wrap is |phase| / inc samples. Only the nearest
// wrap is corrected, which is exact up to inc = 1/4 (12 kHz at 48 kHz): above, the other wrap is
// also within two samples and its small correction is left out.

// 1 - 2 x (the residual of the band-limited step) at t >= 0 samples from the step, given 2 - t:
// 0 at the step, 1 from t = 2 on; the residual is the integrated cubic B-spline minus the step.
[[gnu::always_inline]] inline F8 blepRamp(F8 twoMinusT) noexcept {
    const F8 u = simd::max(twoMinusT, F8{});
    const F8 v = simd::max(u - 1.0f, F8{});
    const F8 u2 = u * u;
    const F8 v2 = v * v;
    return 1.0f - (u2 * u2 - 4.0f * (v2 * v2)) * (1.0f / 12.0f);
}

// The residual of the band-limited ramp at t >= 0 samples from a corner (the integral of the step's
// residual, the same on both sides): a slope change of s per sample adds s x blamp(t).
[[gnu::always_inline]] inline F8 blamp(F8 t) noexcept {
    const F8 u = simd::max(2.0f - t, F8{});
    const F8 v = simd::max(u - 1.0f, F8{});
    const F8 u2 = u * u;
    const F8 v2 = v * v;
    return (u2 * u2 * u - 4.0f * (v2 * v2 * v)) * (1.0f / 120.0f);
}

// Band-limited rising saw at phase e in [-1/2, 1/2) (2e - 1 from 0 to 1/2, 2e + 1 below 0, the
// mono saw 2p - 1 at p = e mod 1): its jump of -2 at e = 0, smoothed. Most samples of most lanes
// are two samples or more from the jump, where the correction is 0 (blepRamp is 1 exactly): when
// all 8 are, the naive saw alone, the same values. The test reads the sign bits of t - 2 (t the
// samples from the jump): negative within two samples of it; a -0 or a NaN takes the exact path.
// `jumpsDense`: a lane is fast enough that most samples of the 8 have one near a jump, where the
// test would be taken unpredictably and cost more than it saves: the exact path always.
// t is rounded before 2 - t (never fused), so every path and both copies round it alike.
[[gnu::always_inline]] inline F8 saw(F8 e, F8 invInc, bool jumpsDense = false) noexcept {
    const F8 t = simd::rounded(simd::abs(e) * invInc);
    if (!jumpsDense) {
        const F8 tMinusTwo = t - 2.0f;
        simd::I8 signs;
        std::memcpy(&signs, &tMinusTwo, sizeof signs);
        if (!simd::any(signs)) [[likely]]
            return 2.0f * e - simd::withSignOf(simd::splat(1.0f), e);
    }
    return 2.0f * e - simd::withSignOf(blepRamp(2.0f - t), e);
}

// Band-limited triangle peaking at +1 at phase 1/4 and -1 at -1/4 (the mono table's phase).
[[gnu::always_inline]] inline F8 triangle(F8 e, F8 inc, F8 invInc) noexcept {
    F8 fromPeak = e - 0.25f; // [-3/4, 1/4) -> [-1/2, 1/2)
    fromPeak = fromPeak < -0.5f ? fromPeak + 1.0f : fromPeak;
    const F8 toPeak = simd::abs(fromPeak);
    const F8 toTrough = 0.5f - toPeak;
    // The slope turns by -8 inc per sample at the peak and by +8 inc at the trough.
    return 1.0f - 4.0f * toPeak + 8.0f * inc * (blamp(toTrough * invInc) - blamp(toPeak * invInc));
}

// Advances phases in [-1/2, 1/2) by inc in [0, 1/2).
[[gnu::always_inline]] inline F8 advance(F8 e, F8 inc) noexcept {
    e += inc;
    return e >= 0.5f ? e - 1.0f : e;
}

// The increments for the freq param value f and the fm lanes x (1 unit per octave).
[[gnu::always_inline]] inline void increments(float f, F8 x, float invSampleRate, F8& inc,
                                              F8& invInc) noexcept {
    using namespace simd;
    inc = splat(f * invSampleRate) * exp2(clamp(x, splat(-12.0f), splat(12.0f)));
    inc = min(x == x ? inc : F8{}, splat(0.49f)); // NaN plays as 0 Hz, as in the mono path
    invInc = 1.0f / max(inc, splat(kMinInc));
}

// The steady loop of run() for Groups groups of 8 lanes from lane g, side by side (each group's
// phase is a chain of dependent operations from sample to sample; two chains keep the core busier
// than one). A group whose fm lanes all held still over the block keeps its samples and state and
// is marked in `done`; the others are left to the general loop, from their state as it was.
template <int Groups, bool HasShape, class Wave>
[[gnu::always_inline]] inline void runSteady(const ProcessContext& ctx, Oscillator::PolyState& st, int g,
                                             float f, float gain, float shapeValue, Wave& wave,
                                             bool* done) noexcept {
    using namespace simd;
    const int stride = channelStride(ctx.channels);
    const float* fmIn = ctx.inputs[Oscillator::Fm];
    float* out = ctx.outputs[Oscillator::Out];
    F8 first[Groups], e[Groups], inc[Groups], invInc[Groups];
    I8 firstBits[Groups], moved[Groups];
    for (int n = 0; n < Groups; ++n) {
        const int at = g + n * kPolyLanes;
        first[n] = fmIn ? load(fmIn + at) : F8{};
        e[n] = load(st.phase + at);
        inc[n] = load(st.inc + at);
        invInc[n] = load(st.invInc + at);
        if (f != st.freq[at / kPolyLanes] || !sameBits(first[n], load(st.fm + at)))
            increments(f, first[n], st.invSampleRate, inc[n], invInc[n]);
        std::memcpy(&firstBits[n], &first[n], sizeof firstBits[n]);
        moved[n] = I8{};
    }
    const F8 gv = splat(gain);
    auto render = [&](const auto& w) __attribute__((always_inline)) {
        for (int i = 0; i < ctx.frames; ++i) {
            for (int n = 0; n < Groups; ++n) {
                const std::size_t at = static_cast<std::size_t>(i * stride + g + n * kPolyLanes);
                if (fmIn) {
                    I8 bits;
                    std::memcpy(&bits, fmIn + at, sizeof bits);
                    moved[n] |= bits ^ firstBits[n];
                }
                store(out + at, gv * w(e[n], inc[n], invInc[n], shapeValue));
                e[n] = advance(e[n], inc[n]);
            }
        }
    };
    if constexpr (requires { typename Wave::Dense; }) {
        // A lane above 1/128 cycle per sample (375 Hz at 48 kHz) puts a jump within two samples
        // of one of 8 lanes about a quarter of the time or more: Wave::Dense, without the test.
        I8 fast{};
        for (int n = 0; n < Groups; ++n)
            fast |= inc[n] > 1.0f / 128.0f;
        if (any(fast))
            render(typename Wave::Dense{});
        else
            render(wave);
    } else {
        render(wave);
    }
    const I8 none{};
    for (int n = 0; n < Groups; ++n) {
        if (std::memcmp(&moved[n], &none, sizeof none) != 0)
            continue;
        const int at = g + n * kPolyLanes;
        store(st.phase + at, e[n]);
        store(st.fm + at, first[n]);
        store(st.inc + at, inc[n]);
        store(st.invInc + at, invInc[n]);
        st.freq[at / kPolyLanes] = f;
        done[at / kPolyLanes] = true;
    }
}

// Runs `ctx.channels` channels of an oscillator. `wave(phase, inc, invInc, shapeValue)` gives one
// sample of 8 lanes; shapeValue is the value of `shape` (a param such as the pulse width) when
// HasShape. Params ramp per frame, the same values for every group. A group whose fm input holds
// still for the block while no param ramps (the usual case: a held pitch) takes a loop with the
// increments in registers; its results are those of the general loop, bit for bit.
template <bool HasShape, class Wave>
[[gnu::always_inline]] inline void run(const ProcessContext& ctx, Oscillator::PolyState& st,
                                       SmoothedValue& freqParam, SmoothedValue& gainParam,
                                       SmoothedValue* shapeParam, Wave wave) noexcept {
    using namespace simd;
    const int stride = channelStride(ctx.channels);
    const int frames = ctx.frames;
    const float* fmIn = ctx.inputs[Oscillator::Fm];
    float* out = ctx.outputs[Oscillator::Out];
    bool paramsSteady = !freqParam.isSmoothing() && !gainParam.isSmoothing();
    if constexpr (HasShape)
        paramsSteady = paramsSteady && !shapeParam->isSmoothing();
    // Optimistically the steady loop, which also notes whether any fm lane moved during the block;
    // a group where one did runs the general loop below from the same state.
    bool done[kMaxChannels / kPolyLanes] = {};
    if (paramsSteady) {
        const float f = freqParam.current(), gv = gainParam.current();
        const float shapeValue = HasShape ? shapeParam->current() : 0.0f;
        int g = 0;
        for (; g + 2 * kPolyLanes <= stride; g += 2 * kPolyLanes)
            runSteady<2, HasShape>(ctx, st, g, f, gv, shapeValue, wave, done);
        for (; g < stride; g += kPolyLanes)
            runSteady<1, HasShape>(ctx, st, g, f, gv, shapeValue, wave, done);
    }
    SmoothedValue freq = freqParam, gain = gainParam, shape;
    for (int g = 0; g < stride; g += kPolyLanes) {
        if (done[g / kPolyLanes])
            continue;
        F8 phase = load(st.phase + g);
        F8 fm = load(st.fm + g);
        F8 inc = load(st.inc + g);
        F8 invInc = load(st.invInc + g);
        float& lastFreq = st.freq[g / kPolyLanes];
        freq = freqParam; // every group sees the same ramps: each starts from the block's start
        gain = gainParam;
        if constexpr (HasShape)
            shape = *shapeParam;
        for (int i = 0; i < frames; ++i) {
            const std::size_t at = static_cast<std::size_t>(i * stride + g);
            const float f = freq.next();
            const F8 x = fmIn ? load(fmIn + at) : F8{};
            if (f != lastFreq || !sameBits(x, fm)) {
                lastFreq = f;
                fm = x;
                increments(f, x, st.invSampleRate, inc, invInc);
            }
            const float gv = gain.next();
            const float shapeValue = HasShape ? shape.next() : 0.0f;
            store(out + at, gv * wave(phase, inc, invInc, shapeValue));
            phase = advance(phase, inc);
        }
        store(st.phase + g, phase);
        store(st.fm + g, fm);
        store(st.inc + g, inc);
        store(st.invInc + g, invInc);
    }
    if (!paramsSteady) { // the ramps advance by the block (a steady param's next() changes nothing)
        freqParam = freq;
        gainParam = gain;
        if constexpr (HasShape)
            *shapeParam = shape;
    }
}

} // namespace polyosc

} // namespace chronus::engine
