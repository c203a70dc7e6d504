#include "Ladder.hpp"

#include "../Denormals.hpp"
#include "../Simd.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace chronus::engine {

const ModuleType Ladder::kType{"ladder",
                               "Acid ladder filter",
                               "Filters",
                               "24 dB/oct ladder low-pass with resonance to self-oscillation and a 303-style "
                               "cutoff envelope (trig, accent)",
                               kParams,
                               kInputs,
                               kOutputs,
                               &createModule<Ladder>,
                               nullptr,
                               nullptr,
                               Polyphony::Poly};

namespace {

// The envelope ends (is set to 0) below this: at 8 octaves of env_amount it is 0.05 cent of cutoff.
constexpr float kEnvFloor = 1e-4f;
// The fall reaches 1 % of the peak after `decay` ms.
constexpr float kLogDecayTarget = -4.6051702f; // ln 0.01
constexpr float kLowestCutoff = 5.0f;
// Inputs beyond this (or NaN) are treated as silence: the saturator would clip them anyway.
constexpr float kMaxInput = 1e6f;
constexpr float kNoiseLevel = 1e-6f;

// tanh within 3 %: a rational approximation that reaches +-1 with zero slope at +-3, so the
// clamp beyond is smooth. The ladder needs a soft, odd, bounded curve, not tanh to the last
// digit, and this is several times cheaper.
inline float softClip(float x) noexcept {
    const float c = std::clamp(x, -3.0f, 3.0f);
    const float c2 = c * c;
    return c * (27.0f + c2) / (27.0f + 9.0f * c2);
}

// A sample value made safe: NaN and absurd magnitudes become 0.
inline float sane(float x, float limit) noexcept {
    return std::fabs(x) <= limit ? x : 0.0f;
}

// Polyphony: each lane runs the mono per-sample code, with simd::exp2 and simd::tan in place of
// std::exp2 and std::tan for the cutoff per channel and sample, so a channel follows the mono
// module within the approximations' error. Triggers are rare: one test per sample finds whether
// any lane has one, and only then is the envelope restarted in the lanes that fire.
[[gnu::always_inline]] inline simd::F8 softClip8(simd::F8 x) noexcept {
    using namespace simd;
    const F8 c = clamp(x, splat(-3.0f), splat(3.0f));
    const F8 c2 = c * c;
    return c * (27.0f + c2) / (27.0f + 9.0f * c2);
}

// The decay coefficient of Ladder::updateDecayCoefficient in the lanes of `which`, computed as the
// mono code computes it, lane by lane with std::exp: the envelope raises it to the power of the
// samples since the peak, which would multiply an approximation's error by thousands. Once per
// block and at triggers, not per sample.
[[gnu::always_inline]] inline simd::F8 decayCoefficients(simd::F8 hitAccent, simd::I8 which, simd::F8 coef,
                                                         const Ladder::PolyArgs& a) noexcept {
    const float decay = a.decayMs;
    for (int lane = 0; lane < kPolyLanes; ++lane)
        if (which[lane]) {
            const float product =
                simd::rounded((std::min(decay, Ladder::kAccentDecayMs) - decay) * hitAccent[lane]);
            const float ms = decay + product; // the mono rounding: no fused multiply-add
            coef[lane] = std::exp(kLogDecayTarget / (ms * a.samplesPerMs));
        }
    return coef;
}

[[gnu::always_inline]] inline void ladderPoly(const ProcessContext& ctx, Ladder::PolyState& st,
                                              const Ladder::PolyFrames& f,
                                              const Ladder::PolyArgs& a) noexcept {
    using namespace simd;
    using U8 = std::uint32_t __attribute__((vector_size(32)));
    constexpr int kIdle = 0, kRise = 1, kFall = 2; // Ladder::EnvStage
    const int stride = channelStride(ctx.channels);
    const float* in = ctx.inputs[Ladder::In];
    const float* cv = ctx.inputs[Ladder::CutoffCv];
    const float* trig = ctx.inputs[Ladder::Trig];
    const float* accentIn = ctx.inputs[Ladder::AccentIn];
    float* out = ctx.outputs[Ladder::Out];
    const float riseSamples = Ladder::kAttackMs * a.samplesPerMs;
    for (int g = 0; g < stride; g += kPolyLanes) {
        F8 s1 = load(st.s[0] + g), s2 = load(st.s[1] + g), s3 = load(st.s[2] + g), s4 = load(st.s[3] + g);
        F8 env = load(st.env + g), envPeak = load(st.envPeak + g), riseStep = load(st.riseStep + g);
        F8 hitAccent = load(st.hitAccent + g);
        F8 decayCoef = decayCoefficients(hitAccent, I8{} - 1, F8{}, a); // decay and accent: once per block
        I8 stage = loadAs<I8>(st.stage + g), trigHigh = trig ? loadAs<I8>(st.trigHigh + g) : I8{};
        U8 noise = loadAs<U8>(st.noise + g);
        F8 dcIn = load(st.dcIn + g), dcOut = load(st.dcOut + g);
        for (int i = a.from; i < a.to; ++i) {
            const int j = i - a.from;
            const std::size_t at = static_cast<std::size_t>(i * stride + g);
            I8 fire = (a.trigger && i == a.from) ? I8{} - 1 : I8{};
            if (trig) {
                const I8 high = load(trig + at) > 0.5f;
                fire = fire | (high & ~trigHigh);
                trigHigh = high;
            }
            if (any(fire)) [[unlikely]] { // Ladder::trigger in the lanes that fire
                const F8 acc = accentIn ? load(accentIn + at) : F8{};
                const F8 accentCv = acc == acc ? clamp(acc, F8{}, splat(1.0f)) : F8{};
                hitAccent = fire ? accentCv * a.accent : hitAccent;
                envPeak = fire ? 1.0f + hitAccent : envPeak;
                stage = fire ? kRise : stage;
                riseStep = fire ? envPeak / riseSamples : riseStep;
                decayCoef = decayCoefficients(hitAccent, fire, decayCoef, a);
            }
            const I8 rising = stage == kRise, falling = stage == kFall;
            env = rising ? env + riseStep : falling ? env * decayCoef : env;
            const I8 peaked = rising & (env >= envPeak);
            const I8 ended = falling & (env < kEnvFloor);
            env = peaked ? envPeak : ended ? F8{} : env;
            stage = peaked ? kFall : ended ? kIdle : stage;

            F8 octaves = env * f.envAmount[j];
            if (cv) {
                const F8 c = load(cv + at);
                octaves += clamp(max(c, -c) <= 1e3f ? c : F8{}, splat(-12.0f), splat(12.0f));
            }
            const F8 base = splat(f.cutoff[j]);
            const F8 fc = octaves != 0.0f ? base * exp2(octaves) : base;
            const F8 gain = tan(clamp(fc, splat(kLowestCutoff), splat(a.maxCutoff)) * a.piOverSr);
            const F8 G = gain / (1.0f + gain);
            const float k = f.k[j];

            const F8 oneMinusG = 1.0f - G;
            const F8 b1 = oneMinusG * s1, b2 = oneMinusG * s2, b3 = oneMinusG * s3, b4 = oneMinusG * s4;
            const F8 S = G * (G * (G * b1 + b2) + b3) + b4;
            const F8 G2 = G * G;
            noise = noise * 1664525u + 1013904223u;
            const F8 dither = kNoiseLevel * (__builtin_convertvector(I8(noise), F8) * 0x1p-31f);
            F8 x{};
            if (in) {
                const F8 v = load(in + at);
                x = max(v, -v) <= kMaxInput ? v : F8{};
            }
            x = x * f.driveGain[j] * (1.0f + k) + dither;
            const F8 u = softClip8((x - k * S) / (1.0f + k * G2 * G2));
            const F8 y1 = G * u + b1;
            const F8 y2 = G * y1 + b2;
            const F8 y3 = G * y2 + b3;
            const F8 y4 = G * y3 + b4;
            s1 = 2.0f * y1 - s1;
            s2 = 2.0f * y2 - s2;
            s3 = 2.0f * y3 - s3;
            s4 = 2.0f * y4 - s4;
            const F8 y = y4 - dcIn + a.dcPole * dcOut; // DcBlocker::process
            dcIn = y4;
            dcOut = y;
            store(out + at, y);
        }
        auto zap = [](F8 v) noexcept {
            const F8 m = max(v, -v);
            return (m > 1e-15f && m < 1e15f) ? v : F8{};
        };
        store(st.s[0] + g, zap(s1));
        store(st.s[1] + g, zap(s2));
        store(st.s[2] + g, zap(s3));
        store(st.s[3] + g, zap(s4));
        store(st.env + g, env);
        store(st.envPeak + g, envPeak);
        store(st.riseStep + g, riseStep);
        store(st.hitAccent + g, hitAccent);
        storeFrom(st.stage + g, stage);
        storeFrom(st.trigHigh + g, trigHigh);
        storeFrom(st.noise + g, noise);
        store(st.dcIn + g, zap(dcIn));
        store(st.dcOut + g, zap(dcOut));
    }
}

CHRONUS_POLY_KERNEL(ladderPoly, ladderPoly,
                    (const ProcessContext& ctx, Ladder::PolyState& st, const Ladder::PolyFrames& f,
                     const Ladder::PolyArgs& a),
                    (ctx, st, f, a))

} // namespace

void Ladder::processPoly(const ProcessContext& ctx) noexcept {
    SmoothedValue& cutoff = param(Cutoff);
    SmoothedValue& resonance = param(Resonance);
    SmoothedValue& envAmount = param(EnvAmount);
    SmoothedValue& drive = param(Drive);
    PolyArgs args;
    args.trigger = m_pendingTrigger;
    m_pendingTrigger = false;
    args.accent = param(Accent).current();
    args.decayMs = param(Decay).current();
    args.samplesPerMs = m_samplesPerMs;
    args.piOverSr = m_piOverSr;
    args.maxCutoff = m_maxCutoff;
    args.dcPole = m_dcPole;
    PolyFrames frames;
    for (int from = 0; from < ctx.frames; from += kPolyChunk) {
        const int to = std::min(from + kPolyChunk, ctx.frames);
        for (int i = from; i < to; ++i) { // in the mono loop's order of reads
            const int j = i - from;
            frames.envAmount[j] = envAmount.next();
            frames.cutoff[j] = cutoff.next();
            const float dB = drive.next();
            if (dB != m_driveDb) {
                m_driveDb = dB;
                m_driveGain = std::pow(10.0f, dB / 20.0f);
            }
            frames.driveGain[j] = m_driveGain;
            frames.k[j] = kMaxFeedback * resonance.next();
        }
        args.from = from;
        args.to = to;
        m_polyKernel(ctx, m_poly, frames, args);
        args.trigger = false;
    }
    param(Decay).skip(ctx.frames);
    param(Accent).skip(ctx.frames);
}

void Ladder::onPrepare(const PrepareInfo& info) {
    m_piOverSr = static_cast<float>(std::numbers::pi / info.sampleRate);
    m_maxCutoff = static_cast<float>(0.45 * info.sampleRate);
    m_samplesPerMs = static_cast<float>(info.sampleRate / 1000.0);
    std::fill(std::begin(m_s), std::end(m_s), 0.0f);
    m_fc = -1.0f;
    updateCutoff(param(Cutoff).current());
    m_driveDb = -1.0f;
    m_stage = EnvStage::Idle;
    m_env = 0.0f;
    m_envPeak = 1.0f;
    m_hitAccent = 0.0f;
    m_riseStep = 1.0f / (kAttackMs * m_samplesPerMs);
    updateDecayCoefficient();
    m_trigHigh = false;
    m_pendingTrigger = false;
    m_noise = instanceSeed() | 1u;
    m_dcBlocker.prepare(info.sampleRate);
    m_dcPole =
        static_cast<float>(std::exp(-2.0 * std::numbers::pi * DcBlocker::kDefaultCornerHz / info.sampleRate));
    m_poly = PolyState{};
    for (int c = 0; c < kMaxChannels; ++c) {
        m_poly.envPeak[c] = 1.0f;
        m_poly.riseStep[c] = m_riseStep;
        m_poly.noise[c] =
            (instanceSeed() + 2u * static_cast<std::uint32_t>(c)) | 1u; // channel 1: the mono noise
    }
    m_polyKernel = simd::pick(&ladderPolyGeneric, &ladderPolyAvx2);
}

void Ladder::updateCutoff(float fc) noexcept {
    m_fc = fc;
    const float g = std::tan(std::clamp(fc, kLowestCutoff, m_maxCutoff) * m_piOverSr);
    m_G = g / (1.0f + g);
}

void Ladder::updateDecayCoefficient() noexcept {
    const float decay = param(Decay).current();
    const float ms = decay + (std::min(decay, kAccentDecayMs) - decay) * m_hitAccent;
    m_decayCoef = std::exp(kLogDecayTarget / (ms * m_samplesPerMs));
}

void Ladder::trigger(float accentCv) noexcept {
    const float cv = accentCv == accentCv ? std::clamp(accentCv, 0.0f, 1.0f) : 0.0f;
    m_hitAccent = cv * param(Accent).current();
    m_envPeak = 1.0f + m_hitAccent;
    // the rise starts where the envelope is, so a retrigger does not jump
    m_stage = EnvStage::Rise;
    m_riseStep = m_envPeak / (kAttackMs * m_samplesPerMs);
    updateDecayCoefficient();
}

void Ladder::process(const ProcessContext& ctx) noexcept {
    const float* in = ctx.inputs[In];
    const float* cv = ctx.inputs[CutoffCv];
    const float* trig = ctx.inputs[Trig];
    const float* accentIn = ctx.inputs[AccentIn];
    float* out = ctx.outputs[Out];
    SmoothedValue& cutoff = param(Cutoff);
    SmoothedValue& resonance = param(Resonance);
    SmoothedValue& envAmount = param(EnvAmount);
    SmoothedValue& drive = param(Drive);
    if (ctx.channels > 1) {
        processPoly(ctx);
        return;
    }

    // Decay and accent are read at triggers and once per block.
    updateDecayCoefficient();

    if (m_pendingTrigger) {
        m_pendingTrigger = false;
        trigger(accentIn ? accentIn[0] : 0.0f);
    }
    if (!trig)
        m_trigHigh = false;

    float s1 = m_s[0], s2 = m_s[1], s3 = m_s[2], s4 = m_s[3];
    std::uint32_t noise = m_noise;
    DcBlocker dcBlocker = m_dcBlocker;
    for (int i = 0; i < ctx.frames; ++i) {
        if (trig) {
            const bool high = trig[i] > 0.5f;
            if (high && !m_trigHigh)
                trigger(accentIn ? accentIn[i] : 0.0f);
            m_trigHigh = high;
        }
        switch (m_stage) {
        case EnvStage::Idle:
            break;
        case EnvStage::Rise:
            m_env += m_riseStep;
            if (m_env >= m_envPeak) {
                m_env = m_envPeak;
                m_stage = EnvStage::Fall;
            }
            break;
        case EnvStage::Fall:
            m_env *= m_decayCoef;
            if (m_env < kEnvFloor) {
                m_env = 0.0f;
                m_stage = EnvStage::Idle;
            }
            break;
        }

        float octaves = m_env * envAmount.next();
        if (cv)
            octaves += std::clamp(sane(cv[i], 1e3f), -12.0f, 12.0f);
        const float base = cutoff.next();
        const float fc = octaves != 0.0f ? base * std::exp2(octaves) : base;
        if (fc != m_fc)
            updateCutoff(fc);
        const float dB = drive.next();
        if (dB != m_driveDb) {
            m_driveDb = dB;
            m_driveGain = std::pow(10.0f, dB / 20.0f);
        }
        const float k = kMaxFeedback * resonance.next();

        // y_n = G x_n + (1 - G) s_n per stage, so the last stage is y4 = G^4 u + S with S from the
        // states alone: solve u = x - k y4 for u, then saturate it.
        const float G = m_G;
        const float oneMinusG = 1.0f - G;
        const float b1 = oneMinusG * s1, b2 = oneMinusG * s2, b3 = oneMinusG * s3, b4 = oneMinusG * s4;
        const float S = G * (G * (G * b1 + b2) + b3) + b4;
        const float G2 = G * G;
        noise = noise * 1664525u + 1013904223u;
        const float dither = kNoiseLevel * (static_cast<float>(static_cast<std::int32_t>(noise)) * 0x1p-31f);
        const float x = (in ? sane(in[i], kMaxInput) : 0.0f) * m_driveGain * (1.0f + k) + dither;
        const float u = softClip((x - k * S) / (1.0f + k * G2 * G2));
        const float y1 = G * u + b1;
        const float y2 = G * y1 + b2;
        const float y3 = G * y2 + b3;
        const float y4 = G * y3 + b4;
        s1 = 2.0f * y1 - s1;
        s2 = 2.0f * y2 - s2;
        s3 = 2.0f * y3 - s3;
        s4 = 2.0f * y4 - s4;
        out[i] = dcBlocker.process(y4);
    }
    dcBlocker.flush();
    m_dcBlocker = dcBlocker;
    m_s[0] = zapGremlins(s1);
    m_s[1] = zapGremlins(s2);
    m_s[2] = zapGremlins(s3);
    m_s[3] = zapGremlins(s4);
    m_noise = noise;
    param(Decay).skip(ctx.frames);
    param(Accent).skip(ctx.frames);
}

} // namespace chronus::engine
