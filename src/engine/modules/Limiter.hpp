#pragma once
#include "../Module.hpp"

#include <cstdint>
#include <vector>

namespace chronus::engine {

// Stereo look-ahead peak limiter with linked gain. No output sample ever exceeds `ceiling`: this is
// a property of the gain computer, not a statistical one.
//
// Per sample the limiter computes the gain each input sample requires (ceiling / peak, or 1), takes
// the minimum over a window of H samples (a hold), lets it recover with the release time, and
// smooths it with two moving averages of lengths A and B before applying it to the input delayed
// by D samples. With H = A + B - 1 and D = A + B - 2, every value the two averages combine is at
// most the requirement of the delayed sample, so their mean is too: the gain reaches the
// requirement with an S-shaped ramp of about 2 ms that starts before the peak arrives, and never
// undershoots it. The hold is longer by 2 kTruePeakDelay and the delay by kTruePeakDelay, so the
// gain sits at (or below) a peak's requirement over the kTruePeakDelay samples either side of it
// too: the samples a reconstruction between them is made of. The requirement carries a margin of
// 1e-6 so that float rounding stays below the ceiling as well; a final clamp is kept as a safety
// net and counts the samples it changes (none in the tests).
//
// With `true_peak` on, the peak detector also reads the points between samples that two meters
// read: an 8x reconstruction (a Kaiser-windowed sinc of 32 taps per phase, scaled up by its largest
// shortfall below 0.45 of the rate so that it never reads low there, the peak between its points
// taken from a parabola through the highest three) and the 4x interpolator (2x from 96 kHz) of a
// BS.1770 true-peak meter as libebur128 builds it (a Hann-windowed sinc of 49 taps, which reads up
// to 0.11 dB high near a third of the rate). Both count kBetweenSamplesMarginDb higher, for the gain
// changing a little across a peak's reconstruction (release, nearby deeper peaks).
//
// What holds, and what the tests measure: the output's true peak, as libebur128 reads it and as an
// 8x or 16x reconstruction reads it, stays at or below the ceiling for content up to 0.45 of the
// rate (20 kHz at 44.1 kHz) and on the example tracks. Content between 0.45 of the rate and
// Nyquist (full-band white noise, a tone switched on at full scale) is read low by every short
// interpolator, so there the true peak can pass the ceiling by a few tenths of a dB (0.42 dB on
// full-scale white noise at 8x). Sample peaks stay strictly below the ceiling either way. The
// latency is the same with true_peak off: latencyFrames() = A + B - 2 + 2 kTruePeakDelay,
// 2 ms + 32 samples.
class Limiter final : public Module {
public:
    enum Param : ParamIndex { Ceiling, InputGain, Release, TruePeak, ParamCount };
    enum Input : PortIndex { In, RightIn, InputCount };
    enum Output : PortIndex { Left, Right, OutputCount };
    static constexpr ParamSpec kParams[] = {
        {"ceiling", "Ceiling", "dB", -24.0f, 0.0f, -0.3f},
        {"input_gain", "Input gain", "dB", 0.0f, 24.0f, 0.0f, ParamSmooth, "gain"},
        {"release", "Release", "ms", 1.0f, 2000.0f, 100.0f, ParamLog},
        {"true_peak", "True peak", "", 0.0f, 1.0f, 1.0f, ParamDiscrete, nullptr, "off|on"}};
    static_assert(std::size(kParams) == ParamCount);
    // `right` takes `in` when unconnected, so a mono source feeds both outputs.
    static constexpr PortSpec kInputs[] = {{"in", "In (left)", Signal::Audio},
                                           {"right", "Right", Signal::Audio}};
    static_assert(std::size(kInputs) == InputCount);
    static constexpr PortSpec kOutputs[] = {{"left", "Left", Signal::Audio},
                                            {"right", "Right", Signal::Audio}};
    static_assert(std::size(kOutputs) == OutputCount);
    static const ModuleType kType;

    static constexpr int kTruePeakDelay = 16; // half the interpolators' length
    static constexpr int kOversampling = 8;   // the reconstruction's points per sample interval
    static constexpr int kMaxMeterPhases = 3; // the BS.1770 meter's points between samples (4x)
    // What the detector adds to every point between samples (see Limiter.cpp).
    static constexpr double kBetweenSamplesMarginDb = 0.1;
    // Length A (= B) of each moving average: about 1 ms, so the look-ahead D is about 2 ms.
    static int averageLength(double sampleRate) noexcept;
    // Samples from input to output at `sampleRate`: 128 at 48 kHz, 224 at 96 kHz.
    static int latencyFrames(double sampleRate) noexcept;

    explicit Limiter(const ModuleType& type) : Module(type) {}
    void process(const ProcessContext& ctx) noexcept override;

    // Samples the final clamp changed since prepare (0 unless the gain computer failed). Read it
    // from the thread that renders, between blocks (tests).
    std::uint64_t clampedSamples() const noexcept { return m_clamped; }
    // The gain applied to the last output sample (1 = no reduction). Same thread rule.
    double currentGain() const noexcept { return m_gain; }

protected:
    void onPrepare(const PrepareInfo& info) override;

private:
    double requiredGain(const float* left, const float* right, float ceiling, bool truePeak) noexcept;
    // The highest |x| the two meters read in the interval after sample m (w: the 32 newest samples,
    // oldest first, m at kTruePeakDelay - 1), or a value that shows the interval is well below
    // `ceiling`. `lastPoint` carries the reconstruction's point 1/8 before m from the previous
    // interval, for a peak right at a sample.
    float truePeakAfter(const float* w, float ceiling, float& lastPoint) const noexcept;
    double holdMinimum(double required) noexcept;

    // Delay lines, written twice (at w and w + m_size) so any window of up to m_size samples ending
    // at the newest is contiguous.
    std::vector<float> m_left, m_right, m_ceiling;
    int m_size = 0;
    int m_write = 0; // index of the newest sample, in [0, m_size)
    int m_delay = 0; // D

    // Sliding minimum over the last H requirements: a monotonic deque in a ring.
    std::vector<double> m_dequeValue;
    std::vector<std::int64_t> m_dequeIndex;
    int m_dequeHead = 0, m_dequeCount = 0, m_hold = 0;
    std::int64_t m_count = 0;

    double m_envelope = 1.0; // held requirement after release
    double m_releaseCoef = 0.0;
    float m_releaseMs = -1.0f;

    // The two moving averages: rings of their last A / B inputs and running sums (re-added exactly
    // at every wrap, so rounding cannot accumulate).
    std::vector<double> m_boxA, m_boxB;
    double m_sumA = 0.0, m_sumB = 0.0;
    int m_posA = 0, m_posB = 0;
    double m_gain = 1.0;

    float m_ceilingDb = 1.0f, m_ceilingLin = 1.0f;
    float m_inputDb = -1.0f, m_inputLin = 1.0f;
    std::uint64_t m_clamped = 0;

    // Reconstruction taps: x(m + k/8), k = 1..7, from x[m - 15 .. m + 16].
    float m_taps[kOversampling - 1][2 * kTruePeakDelay] = {};
    // The BS.1770 meter's taps on the same window (zero beyond its 13 or 25 taps), and how many.
    float m_meterTaps[kMaxMeterPhases][2 * kTruePeakDelay] = {};
    int m_meterPhases = 0;
    float m_lastPointL = 0.0f, m_lastPointR = 0.0f;
};

} // namespace chronus::engine
