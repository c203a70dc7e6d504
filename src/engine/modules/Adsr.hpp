#pragma once
#include "../Module.hpp"

namespace chronus::engine {

// Linear ADSR envelope. Output = in x envelope x level, or the envelope x level when `in` is not
// connected. The gate is high while the `gate` input is above 0.5 or a gate event says on.
// Every segment lasts at least kMinSegmentMs, so no gate edge makes a step larger than
// 1 / (kMinSegmentMs * sampleRate); a retrigger starts the attack from the current level.
// Polyphonic: one envelope per channel, each gated by its channel of `gate` (a mono gate cable and
// a gate event gate every channel); the params are shared.
class Adsr final : public Module {
public:
    enum Param : ParamIndex { Attack, Decay, Sustain, Release, Level, ParamCount };
    enum Input : PortIndex { In, GateIn, InputCount };
    enum Output : PortIndex { Out, OutputCount };
    static constexpr float kMinSegmentMs = 1.0f;
    static constexpr ParamSpec kParams[] = {
        {"attack", "Attack", "ms", kMinSegmentMs, 20000.0f, 10.0f, ParamLog},
        {"decay", "Decay", "ms", kMinSegmentMs, 20000.0f, 100.0f, ParamLog},
        {"sustain", "Sustain", "", 0.0f, 1.0f, 0.7f},
        {"release", "Release", "ms", kMinSegmentMs, 20000.0f, 200.0f, ParamLog},
        {"level", "Level", "", 0.0f, 1.0f, 1.0f}};
    static_assert(std::size(kParams) == ParamCount);
    static constexpr PortSpec kInputs[] = {{"in", "In", Signal::Audio}, {"gate", "Gate", Signal::Gate}};
    static_assert(std::size(kInputs) == InputCount);
    static constexpr PortSpec kOutputs[] = {{"out", "Out", Signal::Audio}};
    static const ModuleType kType;

    enum class Stage { Idle, Attack, Decay, Sustain, Release };

    explicit Adsr(const ModuleType& type) : Module(type) {}
    void process(const ProcessContext& ctx) noexcept override;
    void gate(bool on) noexcept override { m_eventGate = on; }

    Stage stage() const noexcept { return m_stage; }
    float envelope() const noexcept { return m_env; }

protected:
    void onPrepare(const PrepareInfo& info) override;

private:
    float stepFor(Param timeParam, float distance) const noexcept;
    void gateOn() noexcept;
    void gateOff() noexcept;
    void startSegment(Stage stage, float slope) noexcept;
    // The envelope `count` samples into the current segment. Both render paths evaluate segments
    // through this one expression, so they agree to the bit and may alternate block by block.
    float segmentValue(int count) const noexcept { return m_segStart + m_slope * static_cast<float>(count); }
    int advance() noexcept { return m_count < kMaxCount ? ++m_count : m_count; }
    // The first count > m_count at which the current ramp reaches `target` (INT_MAX: never).
    int segmentEnd(float target) const noexcept;
    // Audio thread. Per sample; any param may be ramping.
    void processSmoothing(const float* in, const float* gateIn, float* out, int frames) noexcept;
    // Audio thread. Sustain and level constant: the block is cut into runs of constant gate and
    // stage, each rendered by a branch-free loop.
    void processRuns(const float* in, const float* gateIn, float* out, int frames) noexcept;

    // Segments never get this long (20 s at 192 kHz is under 4e6 samples); a ramp that would is
    // treated as never ending, and its sample count stops growing there.
    static constexpr int kMaxCount = 1 << 30;

    Stage m_stage = Stage::Idle;
    float m_env = 0.0f;      // the level of the last sample rendered
    float m_segStart = 0.0f; // level where the current attack, decay or release began
    float m_slope = 0.0f;    // per sample, signed
    int m_count = 0;         // samples rendered in the current segment
    bool m_eventGate = false;
    bool m_gateHigh = false;
    float m_samplesPerMs = 48.0f;

public:
    // Polyphony: each channel's envelope, the mono one's fields lane by lane, kept multiplied by
    // `sign` (see Adsr.cpp).
    struct PolyState {
        alignas(32) std::int32_t stage[kMaxChannels];    // Stage
        alignas(32) std::int32_t gateHigh[kMaxChannels]; // 0 or -1
        alignas(32) float env[kMaxChannels];             // the last sample's level x sign
        alignas(32) float segStart[kMaxChannels];        // x sign
        alignas(32) float slope[kMaxChannels];           // x sign
        alignas(32) float count[kMaxChannels];
        alignas(32) float sign[kMaxChannels];   // +1 while rising toward the target, else -1
        alignas(32) float target[kMaxChannels]; // the segment's target x sign; +inf: none
    };
    // What the kernel needs of the module, read once per block.
    struct PolyArgs {
        bool eventGate;
        float attackSlope; // per sample, from 0 to 1
        float decayTime;   // samples
        float releaseTime; // samples
    };
    using PolyKernel = void (*)(const ProcessContext&, PolyState&, const PolyArgs&, SmoothedValue& sustain,
                                SmoothedValue& level) noexcept;

private:
    PolyState m_poly{};
    PolyKernel m_polyConstant = nullptr;  // sustain and level constant
    PolyKernel m_polySmoothing = nullptr; // either ramping
};

} // namespace chronus::engine
