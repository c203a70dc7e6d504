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
// smooths it with two moving averages of lengths A and B (H = A + B - 1) before applying it to the
// input delayed by D = A + B - 2 samples. Every value the two averages combine is at most the
// requirement of the delayed sample, so their mean is too: the gain reaches the requirement with an
// S-shaped ramp of about 2 ms that starts before the peak arrives, and never undershoots it. The
// requirement carries a margin of 1e-6 so that float rounding stays below the ceiling as well; a
// final clamp is kept as a safety net and counts the samples it changes (none in the tests).
//
// With `true_peak` on, the peak detector also looks between samples (4x oversampled by a windowed
// sinc interpolator, 16 taps), so reconstructed peaks are held near the ceiling too (approximately:
// the interpolator is an estimate); sample peaks stay strictly below it either way. The interpolator
// adds kTruePeakDelay samples of latency in both modes, so the latency never changes with the
// switch: latencyFrames() = D + kTruePeakDelay, 2 ms + 8 samples.
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

    static constexpr int kTruePeakDelay = 8;  // half the interpolator's length
    static constexpr int kTruePeakPhases = 3; // interpolated points per sample interval (1/4, 1/2, 3/4)
    // Length A (= B) of each moving average: about 1 ms, so the look-ahead D is about 2 ms.
    static int averageLength(double sampleRate) noexcept;
    // Samples from input to output at `sampleRate`: 96 at 48 kHz, 200 at 96 kHz.
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
    double requiredGain(const float* left, const float* right, float ceiling, bool truePeak) const noexcept;
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

    // Interpolator taps: x(m + k/4) from x[m - 7 .. m + 8].
    float m_taps[kTruePeakPhases][2 * kTruePeakDelay] = {};
};

} // namespace chronus::engine
