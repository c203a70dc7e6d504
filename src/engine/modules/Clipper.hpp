#pragma once
#include "../Module.hpp"

#include <cstdint>

namespace chronus::engine {

// Stereo soft clipper for the master bus. The input, raised by `drive`, passes unchanged up to a
// threshold T = ceiling x (1 - knee) and bends above it along T + (ceiling - T) tanh((|x| - T) /
// (ceiling - T)): continuous in value and slope, never reaching the ceiling (knee 0 is a hard clip,
// knee 1 a tanh curve). The curve runs at twice the sample rate between two linear-phase halfband
// filters (63 taps, Kaiser), which keeps most of its harmonics above the original Nyquist out of
// the audio band (aliases below 16 kHz 9 to 44 dB lower than the curve at the base rate, see
// tst_dynamics), and leaves small signals as they were, delayed by kLatencyFrames (the difference
// from the delayed input is below -78 dB up to 0.4 x the sample rate). Driven hard, the clipped
// waveform's flat tops make the decimation filter ring (Gibbs) a few percent above the ceiling: a
// final clamp keeps the output within it, and counts the samples it trims (about one in five on a
// signal driven 26 dB into the curve, none below the threshold).
class Clipper final : public Module {
public:
    enum Param : ParamIndex { Drive, Ceiling, Knee, ParamCount };
    enum Input : PortIndex { In, RightIn, InputCount };
    enum Output : PortIndex { Left, Right, OutputCount };
    static constexpr ParamSpec kParams[] = {{"drive", "Drive", "dB", 0.0f, 24.0f, 0.0f},
                                            {"ceiling", "Ceiling", "dB", -24.0f, 0.0f, -1.0f},
                                            {"knee", "Softness", "", 0.0f, 1.0f, 0.5f}};
    static_assert(std::size(kParams) == ParamCount);
    // `right` takes `in` when unconnected, so a mono source feeds both outputs.
    static constexpr PortSpec kInputs[] = {{"in", "In (left)", Signal::Audio},
                                           {"right", "Right", Signal::Audio}};
    static_assert(std::size(kInputs) == InputCount);
    static constexpr PortSpec kOutputs[] = {{"left", "Left", Signal::Audio},
                                            {"right", "Right", Signal::Audio}};
    static_assert(std::size(kOutputs) == OutputCount);
    static const ModuleType kType;

    // Halfband filter: 4K - 1 taps centred on tap 2K - 1; the even taps are the only non-zero ones
    // besides the centre (0.5).
    static constexpr int kHalfbandK = 16;
    static constexpr int kEvenTaps = 2 * kHalfbandK;
    // Input to output, in samples at the module's rate (the two filters' group delays).
    static constexpr int kLatencyFrames = 2 * kHalfbandK - 1;

    // The static curve (no oversampling), for tests and documentation. RT-safe.
    static float curve(float x, float threshold, float ceiling) noexcept;

    explicit Clipper(const ModuleType& type) : Module(type) {}
    void process(const ProcessContext& ctx) noexcept override;

    // Samples the final clamp changed since prepare. Read between blocks from the rendering thread.
    std::uint64_t clampedSamples() const noexcept { return m_clamped; }

protected:
    void onPrepare(const PrepareInfo& info) override;

private:
    // One channel's filter histories, each written twice (at i and i + kEvenTaps) so the newest
    // kEvenTaps values are contiguous.
    struct Channel {
        float input[2 * kEvenTaps] = {};       // x at the base rate
        float clippedEven[2 * kEvenTaps] = {}; // the curve's output at even 2x instants
        float clippedOdd[2 * kEvenTaps] = {};  // ... and at odd ones
    };
    float processSample(Channel& ch, float x, float threshold, float ceiling) noexcept;

    Channel m_channels[2];
    int m_write = 0;
    float m_even[kEvenTaps] = {}; // h[2j] reversed for the newest-last histories (x2 for upsampling)
    float m_driveDb = -1.0f, m_driveLin = 1.0f;
    float m_ceilingDb = 1.0f, m_ceilingLin = 1.0f;
    std::uint64_t m_clamped = 0;
};

} // namespace chronus::engine
