#include "Lfo.hpp"

#include "../Simd.hpp"
#include "../Wavetables.hpp"

namespace chronus::engine {

const ModuleType Lfo::kType{
    "lfo",          "LFO",
    "Modulation",   "Low-frequency oscillator: sine, triangle, saw, square, s&h; free or tempo-synced",
    kParams,        kInputs,
    kOutputs,       &createModule<Lfo>,
    nullptr,        nullptr,
    Polyphony::Poly};

namespace {

// murmur3's finaliser: similar seeds start far apart.
std::uint32_t scramble(std::uint32_t s) noexcept {
    s ^= s >> 16;
    s *= 0x85EBCA6Bu;
    s ^= s >> 13;
    s *= 0xC2B2AE35u;
    s ^= s >> 16;
    return s;
}

using simd::F8;
using simd::I8;
using U8 = std::uint32_t __attribute__((vector_size(32)));
using D4 = double __attribute__((vector_size(32)));
using L4 = std::int64_t __attribute__((vector_size(32)));
using I4 = std::int32_t __attribute__((vector_size(16)));
using F4 = float __attribute__((vector_size(16)));

template <class To, class From> [[gnu::always_inline]] inline To bitsOf(From x) noexcept {
    static_assert(sizeof(To) == sizeof(From));
    To t;
    std::memcpy(&t, &x, sizeof t);
    return t;
}

// xorshift32 on every lane; the lanes in `mask` take the new state, the others keep theirs.
[[gnu::always_inline]] inline U8 xorshift(U8 s) noexcept {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    return s;
}
[[gnu::always_inline]] inline F8 noiseValue(U8 s) noexcept {
    return __builtin_convertvector(bitsOf<I8>(s), F8) * (1.0f / 2147483648.0f);
}

} // namespace

// The poly kernel: the mono loop of process(), 8 channels per instruction, frame by frame per group
// of channels (each group runs the block's param ramps from their start).
struct LfoKernel {
    [[gnu::always_inline]] static void run(const ProcessContext& ctx, Lfo& lfo) noexcept {
        using namespace simd;
        Lfo::PolyState& st = lfo.m_poly;
        const int stride = channelStride(ctx.channels);
        const int frames = ctx.frames;
        float* out = ctx.outputs[Lfo::Out];
        const float* tempoIn = ctx.inputs[Lfo::Tempo];
        const float* resetIn = ctx.inputs[Lfo::Reset];
        const int shape = static_cast<int>(lfo.param(Lfo::Shape).current());
        const double beats = tempo::divisionBeats(static_cast<int>(lfo.param(Lfo::Sync).current()));
        const double cyclesPerBeatSecond = beats > 0.0 ? 1.0 / (60.0 * beats) : 0.0;
        const bool pending = lfo.m_pendingReset;
        lfo.m_pendingReset = false;
        SmoothedValue rate, width, depth, offset, bpm;
        for (int g = 0; g < stride; g += kPolyLanes) {
            rate = lfo.param(Lfo::Rate);
            width = lfo.param(Lfo::Width);
            depth = lfo.param(Lfo::Depth);
            offset = lfo.param(Lfo::Offset);
            bpm = lfo.param(Lfo::Bpm);
            D4 lo, hi;
            std::memcpy(&lo, st.phase + g, sizeof lo);
            std::memcpy(&hi, st.phase + g + 4, sizeof hi);
            F8 held = load(st.held + g);
            U8 noise;
            std::memcpy(&noise, st.noise + g, sizeof noise);
            I8 high;
            std::memcpy(&high, st.resetHigh + g, sizeof high);
            for (int i = 0; i < frames; ++i) {
                const std::size_t at = static_cast<std::size_t>(i * stride + g);
                I8 reset = (pending && i == 0) ? I8{} - 1 : I8{};
                if (resetIn) {
                    const I8 h = load(resetIn + at) > 0.5f;
                    reset |= h & ~high;
                    high = h;
                }
                // The lane mask as two masks of 4 doubles.
                const L4 rlo = __builtin_convertvector(__builtin_shufflevector(reset, reset, 0, 1, 2, 3), L4);
                const L4 rhi = __builtin_convertvector(__builtin_shufflevector(reset, reset, 4, 5, 6, 7), L4);
                lo = rlo ? D4{} : lo;
                hi = rhi ? D4{} : hi;
                U8 next = xorshift(noise);
                noise = reset ? next : noise;
                held = reset ? noiseValue(next) : held;

                const F8 w = splat(width.next());
                const F4 plo = __builtin_convertvector(lo, F4);
                const F4 phi = __builtin_convertvector(hi, F4);
                const F8 p = __builtin_shufflevector(plo, phi, 0, 1, 2, 3, 4, 5, 6, 7);
                F8 wave;
                switch (shape) {
                case Lfo::Triangle:
                    wave = p < w ? -1.0f + 2.0f * p / w : 1.0f - 2.0f * (p - w) / (1.0f - w);
                    break;
                case Lfo::Saw:
                    wave = 2.0f * p - 1.0f;
                    break;
                case Lfo::Square:
                    wave = p < w ? splat(1.0f) : splat(-1.0f);
                    break;
                case Lfo::SampleHold:
                    wave = held;
                    break;
                default:
                    wave = sinTurns(p >= 0.5f ? p - 1.0f : p);
                    break;
                }
                const float off = offset.next();
                store(out + at, off + depth.next() * wave);
                const float freeRate = rate.next();
                const float tempoBpm = bpm.next();
                D4 hzLo, hzHi;
                if (cyclesPerBeatSecond > 0.0 && tempoIn) {
                    // tempo::bpmFromTempoCv per lane: beats per second x 60, NaN as the default.
                    const F8 t = load(tempoIn + at);
                    const F4 tlo = __builtin_shufflevector(t, t, 0, 1, 2, 3);
                    const F4 thi = __builtin_shufflevector(t, t, 4, 5, 6, 7);
                    hzLo = bpmFromTempoCv(__builtin_convertvector(tlo, D4)) * cyclesPerBeatSecond;
                    hzHi = bpmFromTempoCv(__builtin_convertvector(thi, D4)) * cyclesPerBeatSecond;
                } else {
                    const double hz =
                        cyclesPerBeatSecond > 0.0
                            ? tempo::clampBpm(static_cast<double>(tempoBpm)) * cyclesPerBeatSecond
                            : static_cast<double>(freeRate);
                    hzLo = hzHi = D4{} + hz;
                }
                lo += hzLo * st.invSampleRate;
                hi += hzHi * st.invSampleRate;
                const L4 wlo = lo >= 1.0, whi = hi >= 1.0;
                lo = wlo ? lo - 1.0 : lo;
                hi = whi ? hi - 1.0 : hi;
                const I8 wrapped =
                    __builtin_shufflevector(__builtin_convertvector(wlo, I4),
                                            __builtin_convertvector(whi, I4), 0, 1, 2, 3, 4, 5, 6, 7);
                next = xorshift(noise);
                noise = wrapped ? next : noise;
                held = wrapped ? noiseValue(next) : held;
            }
            std::memcpy(st.phase + g, &lo, sizeof lo);
            std::memcpy(st.phase + g + 4, &hi, sizeof hi);
            store(st.held + g, held);
            std::memcpy(st.noise + g, &noise, sizeof noise);
            std::memcpy(st.resetHigh + g, &high, sizeof high);
        }
        lfo.param(Lfo::Rate) = rate;
        lfo.param(Lfo::Width) = width;
        lfo.param(Lfo::Depth) = depth;
        lfo.param(Lfo::Offset) = offset;
        lfo.param(Lfo::Bpm) = bpm;
    }

    [[gnu::always_inline]] static D4 bpmFromTempoCv(D4 beatsPerSecond) noexcept {
        const D4 bpm = beatsPerSecond * 60.0;
        D4 clamped =
            bpm < static_cast<double>(tempo::kMinBpm) ? D4{} + static_cast<double>(tempo::kMinBpm) : bpm;
        clamped = clamped > static_cast<double>(tempo::kMaxBpm) ? D4{} + static_cast<double>(tempo::kMaxBpm)
                                                                : clamped;
        return bpm == bpm ? clamped : D4{} + static_cast<double>(tempo::kDefaultBpm);
    }
};

namespace {

CHRONUS_POLY_KERNEL(lfoPoly, LfoKernel::run, (const ProcessContext& ctx, Lfo& lfo), (ctx, lfo))

} // namespace

void Lfo::onPrepare(const PrepareInfo& info) {
    m_invSampleRate = 1.0 / info.sampleRate;
    m_phase = 0.0;
    m_sine = Wavetables::instance().table(Wavetables::Sine, 0.0);
    // The id's hash scrambled (murmur3 finaliser), as the noise module does; never zero.
    m_noise = scramble(instanceSeed()) | 1u;
    // Poly channel c > 0: its own seed, from the id's hash and c.
    m_poly = PolyState{};
    m_poly.invSampleRate = m_invSampleRate;
    for (int c = 0; c < kMaxChannels; ++c) {
        m_poly.noise[c] =
            c == 0 ? m_noise : scramble(instanceSeed() + 0x9E3779B9u * static_cast<std::uint32_t>(c)) | 1u;
        std::uint32_t x = m_poly.noise[c]; // the first held value, as the mono path's nextNoise()
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        m_poly.noise[c] = x;
        m_poly.held[c] = static_cast<float>(static_cast<std::int32_t>(x)) * (1.0f / 2147483648.0f);
    }
    m_polyKernel = simd::pick(&lfoPolyGeneric, &lfoPolyAvx2);
    m_held = nextNoise();
    m_resetHigh = false;
    m_pendingReset = false;
}

float Lfo::nextNoise() noexcept {
    std::uint32_t s = m_noise; // xorshift32
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    m_noise = s;
    return static_cast<float>(static_cast<std::int32_t>(s)) * (1.0f / 2147483648.0f);
}

void Lfo::process(const ProcessContext& ctx) noexcept {
    if (ctx.channels > 1) {
        m_polyKernel(ctx, *this);
        return;
    }
    float* out = ctx.outputs[Out];
    const float* tempoIn = ctx.inputs[Tempo];
    const float* resetIn = ctx.inputs[Reset];
    const int shape = static_cast<int>(param(Shape).current());
    // Cycles per beat when synced (0 = free running at `rate`).
    const double beats = tempo::divisionBeats(static_cast<int>(param(Sync).current()));
    const double cyclesPerBeatSecond = beats > 0.0 ? 1.0 / (60.0 * beats) : 0.0; // Hz per BPM
    SmoothedValue& rate = param(Rate);
    SmoothedValue& width = param(Width);
    SmoothedValue& depth = param(Depth);
    SmoothedValue& offset = param(Offset);
    SmoothedValue& bpm = param(Bpm);
    double phase = m_phase;
    for (int i = 0; i < ctx.frames; ++i) {
        bool reset = m_pendingReset;
        m_pendingReset = false;
        if (resetIn) {
            const bool high = resetIn[i] > 0.5f;
            reset = reset || (high && !m_resetHigh);
            m_resetHigh = high;
        }
        if (reset) {
            phase = 0.0;
            m_held = nextNoise();
        }
        const float w = width.next();
        const float p = static_cast<float>(phase);
        float wave;
        switch (shape) {
        case Triangle:
            wave = p < w ? -1.0f + 2.0f * p / w : 1.0f - 2.0f * (p - w) / (1.0f - w);
            break;
        case Saw:
            wave = 2.0f * p - 1.0f;
            break;
        case Square:
            wave = p < w ? 1.0f : -1.0f;
            break;
        case SampleHold:
            wave = m_held;
            break;
        default:
            wave = Wavetables::lookup(m_sine, phase);
            break;
        }
        out[i] = offset.next() + depth.next() * wave;
        const float freeRate = rate.next();
        const float tempoBpm = bpm.next();
        double hz = static_cast<double>(freeRate);
        if (cyclesPerBeatSecond > 0.0)
            hz = (tempoIn ? tempo::bpmFromTempoCv(static_cast<double>(tempoIn[i]))
                          : tempo::clampBpm(static_cast<double>(tempoBpm))) *
                 cyclesPerBeatSecond;
        phase += hz * m_invSampleRate;
        if (phase >= 1.0) {
            phase -= 1.0;
            m_held = nextNoise();
        }
    }
    m_phase = phase;
}

} // namespace chronus::engine
