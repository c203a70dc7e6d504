#pragma once
#include "../Module.hpp"
#include "DelayLine.hpp"

#include <cstddef>

namespace chronus::engine {

// Algorithmic stereo reverb: a feedback delay network of kLines delay lines (30 to 61 ms, prime
// lengths) mixed by an orthonormal Hadamard matrix, so the loop is lossless but for the per-line
// gains that set the decay. Each line has a one-pole low-pass that loses highs faster (Jot's
// absorption filters: at low frequencies the RT60 is the one `size` asks for, at kDampingHz it is
// shorter by `damping`), and a slow, small modulation of its length against metallic ringing. The
// input passes a pre-delay and a chain of allpass diffusers per channel; left and right enter
// different lines and leave through orthogonal Hadamard taps (at each line's end and inside it) plus a
// small shared part, so the two sides are decorrelated but never lean to anti-phase (a mono sum keeps
// its energy). Sizes above 0.5 scale the input down so a sustained sound does not pile up louder than
// at 0.5. The loop's gain stays below 1 at every setting, and its state is flushed of
// denormals. `size` 0..1 sets the RT60 from kMinRt60 to kMaxRt60 (exponentially, 1.9 s at 0.5);
// `width` 0 folds the tail to mono. `right` takes `in` when unconnected.
class Reverb final : public Module {
public:
    enum Param : ParamIndex { Size, Damping, Predelay, Mix, Width, ParamCount };
    enum Input : PortIndex { In, RightIn, InputCount };
    enum Output : PortIndex { Left, Right, OutputCount };
    static constexpr double kMinRt60 = 0.25;
    static constexpr double kMaxRt60 = 15.0;
    static constexpr double kDampingHz = 5000.0;
    static constexpr int kLines = 8;
    static constexpr int kDiffusers = 4;
    static constexpr ParamSpec kParams[] = {{"size", "Size (decay)", "", 0.0f, 1.0f, 0.5f},
                                            {"damping", "Damping", "", 0.0f, 1.0f, 0.5f},
                                            {"predelay", "Pre-delay", "ms", 0.0f, 200.0f, 10.0f, ParamLog},
                                            {"mix", "Mix", "", 0.0f, 1.0f, 0.3f},
                                            {"width", "Width", "", 0.0f, 1.0f, 1.0f}};
    static_assert(std::size(kParams) == ParamCount);
    static constexpr PortSpec kInputs[] = {{"in", "In (left or mono)", Signal::Audio},
                                           {"right", "Right in", Signal::Audio}};
    static_assert(std::size(kInputs) == InputCount);
    static constexpr PortSpec kOutputs[] = {{"left", "Left", Signal::Audio},
                                            {"right", "Right", Signal::Audio}};
    static_assert(std::size(kOutputs) == OutputCount);
    static const ModuleType kType;
    // What onPrepare() allocates at `sampleRate` (ModuleType::stateBytes).
    static std::size_t stateBytes(double sampleRate);

    explicit Reverb(const ModuleType& type)
        : Module(type) {}
    void process(const ProcessContext& ctx) noexcept override;

    // The RT60 in seconds (below kDampingHz) that `size` gives.
    static double rt60ForSize(double size) noexcept;

protected:
    void onPrepare(const PrepareInfo& info) override;

private:
    void updateDecay(float size, float damping) noexcept;
    // Once per kControlInterval samples: decay coefficients and the next modulation segment.
    void control(float size, float damping) noexcept;

    struct Allpass {
        DelayLine line;
        std::size_t length = 1;
    };

    DelayLine m_predelay[2];
    TapCrossfade m_predelayTap;
    Allpass m_diffuser[2][kDiffusers];
    DelayLine m_line[kLines];
    std::size_t m_length[kLines] = {};                        // mean loop delay per line, samples (prime)
    std::size_t m_innerTap[kLines] = {};                      // output tap inside each line, samples
    double m_modDepth = 0.0;                                  // samples
    double m_modCos[kLines] = {}, m_modSin[kLines] = {};      // LFO rotation per control interval
    double m_modX[kLines] = {}, m_modY[kLines] = {};          // LFO phasor
    double m_readDelay[kLines] = {}, m_readStep[kLines] = {}; // modulated read position and its slope
    int m_controlCountdown = 0;                               // samples until the next control()
    float m_gain[kLines] = {};                                // absorption filter: y = gain x + pole y
    float m_pole[kLines] = {};
    float m_inputGain = 1.0f;                          // into the network: keeps long tails from piling up
    float m_damp[kLines] = {};                         // absorption filter state
    float m_decaySize = -1.0f, m_decayDamping = -1.0f; // what m_gain and m_pole were computed for
};

} // namespace chronus::engine
