#include "Reverb.hpp"

#include "../Denormals.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace chronus::engine {

const ModuleType Reverb::kType{
    "reverb",
    "Reverb",
    "Effects",
    "Dense stereo reverb (8-line feedback delay network): size sets the RT60 from "
    "0.25 s to 15 s (1.9 s at 0.5), damping shortens the highs, pre-delay, mix, width",
    kParams,
    kInputs,
    kOutputs,
    &createModule<Reverb>,
    nullptr,
    &Reverb::stateBytes};

namespace {

// Mean lengths of the network's lines in ms, rounded to prime sample counts at prepare: spread over
// about an octave, so that the modes of the lines interleave instead of piling up.
constexpr double kLineMs[Reverb::kLines] = {29.7, 33.7, 37.1, 41.9, 45.3, 49.9, 55.1, 60.7};
// Half the lines (two fed from each side) have their length wobble by kModulationMs at its own slow
// rate: every mode of the network drifts a few cents, which keeps long tails from ringing at fixed
// frequencies. The others are read at their whole length, without interpolation.
constexpr bool kModulated[Reverb::kLines] = {true, false, false, true, false, true, true, false};
constexpr double kModulationMs = 0.25;
constexpr double kModulationHz[Reverb::kLines] = {0.37, 0.49, 0.61, 0.71, 0.83, 0.93, 1.03, 1.13};
// Input diffusion: allpass lengths (ms) and gains, slightly different per channel.
constexpr double kDiffuserMs[2][Reverb::kDiffusers] = {{3.1, 4.3, 8.7, 11.9}, {2.9, 4.7, 9.5, 12.7}};
constexpr float kDiffuserGain[Reverb::kDiffusers] = {0.7f, 0.7f, 0.6f, 0.6f};
// Where each channel enters (the left on the even lines, the right on the odd ones).
constexpr float kInjectLeft[Reverb::kLines] = {1, 0, -1, 0, 1, 0, -1, 0};
constexpr float kInjectRight[Reverb::kLines] = {0, 1, 0, 1, 0, -1, 0, -1};
// The output taps: each side reads the lines through its own row of the Hadamard matrix (rows 4 and
// 5, negated, at the lines' ends; rows 7 and 4, both negated, inside them), so the two sides are
// orthogonal mixes of the same lines, plus kShared of their plain sum (row 0) in both. Orthogonal
// alone leaves the correlation of a steady tone to chance (a single frequency leaves the two sides
// at some fixed phase difference, anywhere from in phase to opposite), and a chord can land on
// opposite phases and nearly cancel in a mono sum; the shared part leans every frequency a little
// toward in phase: white noise correlates by 0.01 to 0.06, pink by 0.1 to 0.26 (the mono sum keeps
// -2.9 to -2 dB of the sides' energy, -3 being fully uncorrelated), like the coherence a real room
// keeps between two microphones.
// These rows were picked among the Hadamard pairs for sums that average in phase over tones
// across the spectrum at 44.1, 48 and 96 kHz and every size (measured offline on the network).
constexpr float kShared = 0.15f;
constexpr float kTapLeft[Reverb::kLines] = {1, 1, 1, 1, -1, -1, -1, -1};
constexpr float kTapRight[Reverb::kLines] = {-1, 1, -1, 1, 1, -1, 1, -1};
// Besides its end, each line is tapped for the output inside, at a fraction of its length: the
// first echoes come sooner (from 8 ms) and twice as many reach the output.
constexpr double kInnerTapFraction[Reverb::kLines] = {0.27, 0.61, 0.41, 0.19, 0.53, 0.33, 0.47, 0.23};
constexpr float kInnerLeft[Reverb::kLines] = {-1, 1, 1, -1, 1, -1, -1, 1};
constexpr float kInnerRight[Reverb::kLines] = {-1, -1, -1, -1, 1, 1, 1, 1};
constexpr float kInnerGain = 0.6f;
constexpr float kOutputGain = 0.25f;
// A long tail piles a steady input up: the network's power gain grows as 1 / (1 - g^2), g the gain of
// one pass through a line of the mean length. Above kReferenceSize the input is scaled by
// sqrt((1 - g^2) / (1 - gRef^2)), so that a larger size lengthens the tail without raising the level
// a sustained sound builds up to (at size 0.95 that is -7.5 dB); smaller sizes are left as they are.
constexpr double kReferenceSize = 0.5;
// Damping 1 makes the RT60 at kDampingHz this fraction of the low-frequency one; but the absorption
// filters' corner stays above kMinDampingCornerHz, or a short, fully damped tail would be a rumble.
constexpr double kMaxDampingRatio = 0.1;
constexpr double kMinDampingCornerHz = 1000.0;
// Every this many samples (counted across blocks, so that the output does not depend on the block
// size) the absorption filters follow `size` and `damping`, and the modulated lengths take a new
// straight segment toward the next point of their sine.
constexpr int kControlInterval = 16;

bool isPrime(std::size_t n) {
    if (n < 2)
        return false;
    for (std::size_t d = 2; d * d <= n; ++d)
        if (n % d == 0)
            return false;
    return true;
}

std::size_t nearestPrimeAbove(std::size_t n) {
    while (!isPrime(n))
        ++n;
    return n;
}

// In-place Walsh-Hadamard transform of 8 values, scaled to be orthonormal.
inline void hadamard8(float (&x)[8]) noexcept {
#pragma GCC unroll 3
    for (int span = 1; span < 8; span <<= 1)
#pragma GCC unroll 4
        for (int i = 0; i < 8; i += 2 * span)
#pragma GCC unroll 4
            for (int j = i; j < i + span; ++j) {
                const float a = x[j], b = x[j + span];
                x[j] = a + b;
                x[j + span] = a - b;
            }
    constexpr float kScale = 0.35355339059327373f; // 1 / sqrt(8)
    for (float& v : x)
        v *= kScale;
}

} // namespace

double Reverb::rt60ForSize(double size) noexcept {
    return kMinRt60 * std::pow(kMaxRt60 / kMinRt60, std::clamp(size, 0.0, 1.0));
}

// The same lengths onPrepare() allocates, summed.
std::size_t Reverb::stateBytes(double sr) {
    std::size_t bytes = 2 * DelayLine::bytesFor(static_cast<std::size_t>(static_cast<double>(kParams[Predelay].max) * 0.001 * sr) + 4);
    for (int c = 0; c < 2; ++c)
        for (int d = 0; d < kDiffusers; ++d)
            bytes += DelayLine::bytesFor(nearestPrimeAbove(static_cast<std::size_t>(kDiffuserMs[c][d] * 0.001 * sr)));
    const double modDepth = kModulationMs * 0.001 * sr;
    for (int k = 0; k < kLines; ++k)
        bytes += DelayLine::bytesFor(nearestPrimeAbove(static_cast<std::size_t>(kLineMs[k] * 0.001 * sr)) +
                                     static_cast<std::size_t>(modDepth) + 4);
    return bytes;
}

void Reverb::onPrepare(const PrepareInfo& info) {
    const double sr = info.sampleRate;
    for (DelayLine& line : m_predelay)
        line.allocate(static_cast<std::size_t>(static_cast<double>(kParams[Predelay].max) * 0.001 * sr) + 4);
    m_predelayTap.setFadeLength(static_cast<int>(std::lround(0.05 * sr)));
    m_predelayTap.reset(static_cast<double>(param(Predelay).target()) * 0.001 * sr);
    for (int c = 0; c < 2; ++c)
        for (int d = 0; d < kDiffusers; ++d) {
            Allpass& ap = m_diffuser[c][d];
            ap.length = nearestPrimeAbove(static_cast<std::size_t>(kDiffuserMs[c][d] * 0.001 * sr));
            ap.line.allocate(ap.length);
        }
    m_modDepth = kModulationMs * 0.001 * sr;
    for (int k = 0; k < kLines; ++k) {
        // The mean length is a whole prime; the modulation swings m_modDepth either side of it.
        const std::size_t length = nearestPrimeAbove(static_cast<std::size_t>(kLineMs[k] * 0.001 * sr));
        m_length[k] = length;
        m_innerTap[k] =
            static_cast<std::size_t>(std::lround(kInnerTapFraction[k] * static_cast<double>(length)));
        m_line[k].allocate(length + static_cast<std::size_t>(m_modDepth) + 4);
        const double w = 2.0 * std::numbers::pi * kModulationHz[k] * kControlInterval / sr;
        m_modCos[k] = std::cos(w);
        m_modSin[k] = std::sin(w);
        // Start the lines' LFOs at spread phases.
        const double phase = 2.0 * std::numbers::pi * k / kLines;
        m_modX[k] = std::cos(phase);
        m_modY[k] = std::sin(phase);
        m_readDelay[k] = static_cast<double>(length) + (kModulated[k] ? m_modDepth * m_modY[k] : 0.0);
        m_readStep[k] = 0.0;
        m_damp[k] = 0.0f;
    }
    m_controlCountdown = 0;
    m_decaySize = m_decayDamping = -1.0f;
    updateDecay(param(Size).current(), param(Damping).current());
}

void Reverb::updateDecay(float size, float damping) noexcept {
    if (size == m_decaySize && damping == m_decayDamping)
        return;
    m_decaySize = size;
    m_decayDamping = damping;
    const double sr = sampleRate();
    const double rt60 = rt60ForSize(size);
    const double rt60High = rt60 * std::pow(kMaxDampingRatio, static_cast<double>(damping));
    const double w = 2.0 * std::numbers::pi * std::min(kDampingHz, 0.4 * sr) / sr;
    const double cosW = std::cos(w);
    const double maxPole = std::exp(-2.0 * std::numbers::pi * kMinDampingCornerHz / sr);
    for (int k = 0; k < kLines; ++k) {
        // -60 dB after rt60 seconds: each pass through a line of m samples loses 60 m / (rt60 sr) dB.
        const double length = static_cast<double>(m_length[k]);
        const double g = std::pow(10.0, -3.0 * length / (rt60 * sr));
        const double gHigh = std::pow(10.0, -3.0 * length / (rt60High * sr));
        // One-pole y = g (1 - p) x + p y: gain g at DC; p chosen so the gain at w is gHigh, from
        // g^2 (1 - p)^2 = gHigh^2 (1 - 2 p cos w + p^2), the root inside the unit circle.
        const double a = g * g - gHigh * gHigh;
        const double b = g * g - gHigh * gHigh * cosW;
        const double p =
            std::min(a > 1e-12 ? (b - std::sqrt(std::max(b * b - a * a, 0.0))) / a : 0.0, maxPole);
        m_pole[k] = static_cast<float>(p);
        m_gain[k] = static_cast<float>(g * (1.0 - p));
    }
    double meanLength = 0.0;
    for (std::size_t length : m_length)
        meanLength += static_cast<double>(length) / kLines;
    const double g = std::pow(10.0, -3.0 * meanLength / (rt60 * sr));
    const double gRef = std::pow(10.0, -3.0 * meanLength / (rt60ForSize(kReferenceSize) * sr));
    m_inputGain = static_cast<float>(std::min(1.0, std::sqrt((1.0 - g * g) / (1.0 - gRef * gRef))));
}

void Reverb::control(float size, float damping) noexcept {
    updateDecay(size, damping);
    for (int k = 0; k < kLines; ++k) {
        if (!kModulated[k])
            continue;
        // Rotate the phasor one interval on and renormalise it (rounding would drift its radius).
        const double x = m_modX[k] * m_modCos[k] - m_modY[k] * m_modSin[k];
        const double y = m_modX[k] * m_modSin[k] + m_modY[k] * m_modCos[k];
        const double norm = 1.0 / std::sqrt(x * x + y * y);
        m_modX[k] = x * norm;
        m_modY[k] = y * norm;
        const double target = static_cast<double>(m_length[k]) + m_modDepth * m_modY[k];
        m_readStep[k] = (target - m_readDelay[k]) / kControlInterval;
    }
}

void Reverb::process(const ProcessContext& ctx) noexcept {
    const float* inL = ctx.inputs[In];
    const float* inR = ctx.inputs[RightIn] ? ctx.inputs[RightIn] : inL;
    float* outL = ctx.outputs[Left];
    float* outR = ctx.outputs[Right];
    SmoothedValue& size = param(Size);
    SmoothedValue& damping = param(Damping);
    SmoothedValue& predelay = param(Predelay);
    SmoothedValue& mix = param(Mix);
    SmoothedValue& width = param(Width);
    const double msToSamples = 0.001 * sampleRate();

    // The loop's state and coefficients in locals: the compiler cannot keep float members in
    // registers across the float stores into the delay lines, which might alias them.
    float damp[kLines], gain[kLines], pole[kLines];
    std::copy(std::begin(m_damp), std::end(m_damp), damp);
    std::copy(std::begin(m_gain), std::end(m_gain), gain);
    std::copy(std::begin(m_pole), std::end(m_pole), pole);
    float inputGain = m_inputGain;
    for (int i = 0; i < ctx.frames; ++i) {
        if (m_controlCountdown == 0) {
            control(size.skip(kControlInterval), damping.skip(kControlInterval));
            std::copy(std::begin(m_gain), std::end(m_gain), gain);
            std::copy(std::begin(m_pole), std::end(m_pole), pole);
            inputGain = m_inputGain;
            m_controlCountdown = kControlInterval;
        }
        --m_controlCountdown;
        const float dryL = inL ? inL[i] : 0.0f;
        const float dryR = inR ? inR[i] : 0.0f;

        // Pre-delay: written first, so that a delay of 0 passes the current sample; a change
        // crossfades to the new position.
        m_predelay[0].write(dryL);
        m_predelay[1].write(dryR);
        m_predelayTap.advance(static_cast<double>(predelay.next()) * msToSamples);
        float x[2] = {m_predelayTap.readLinear(m_predelay[0]), m_predelayTap.readLinear(m_predelay[1])};

        // Input diffusion: Schroeder allpasses (w = x + g w[n-M], y = w[n-M] - g w).
#pragma GCC unroll 2
        for (int c = 0; c < 2; ++c)
#pragma GCC unroll 4
            for (int d = 0; d < kDiffusers; ++d) {
                Allpass& ap = m_diffuser[c][d];
                const float g = kDiffuserGain[d];
                const float delayed = ap.line.at(ap.length - 1);
                const float w = zapGremlins(x[c] + g * delayed);
                ap.line.write(w);
                x[c] = delayed - g * w;
            }

        // The network: read each line (before this sample's write, so one sample less than its
        // length), absorb, tap, mix, write back.
        x[0] *= inputGain;
        x[1] *= inputGain;
        float f[kLines];
        float wetL = 0.0f, wetR = 0.0f, innerL = 0.0f, innerR = 0.0f, shared = 0.0f, innerShared = 0.0f;
#pragma GCC unroll 8
        for (int k = 0; k < kLines; ++k) {
            const float inner = m_line[k].at(m_innerTap[k] - 1);
            innerL += kInnerLeft[k] * inner;
            innerR += kInnerRight[k] * inner;
            innerShared += inner;
            float r;
            if (kModulated[k]) {
                r = m_line[k].hermite(m_readDelay[k] - 1.0);
                m_readDelay[k] += m_readStep[k];
            } else {
                r = m_line[k].at(m_length[k] - 1);
            }
            f[k] = damp[k] = gain[k] * r + pole[k] * damp[k];
            wetL += kTapLeft[k] * f[k];
            wetR += kTapRight[k] * f[k];
            shared += f[k];
        }
        const float common = kShared * (shared + kInnerGain * innerShared);
        wetL += kInnerGain * innerL + common;
        wetR += kInnerGain * innerR + common;
        hadamard8(f);
#pragma GCC unroll 8
        for (int k = 0; k < kLines; ++k)
            m_line[k].write(zapGremlins(f[k] + kInjectLeft[k] * x[0] + kInjectRight[k] * x[1]));

        // Width scales the side signal; mix 0 is the dry input exactly.
        const float w = width.next();
        const float mid = 0.5f * (wetL + wetR), side = 0.5f * w * (wetL - wetR);
        const float m = mix.next();
        outL[i] = (1.0f - m) * dryL + m * kOutputGain * (mid + side);
        outR[i] = (1.0f - m) * dryR + m * kOutputGain * (mid - side);
    }
    for (int k = 0; k < kLines; ++k)
        m_damp[k] = zapGremlins(damp[k]);
}

} // namespace chronus::engine
