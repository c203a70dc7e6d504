#pragma once
#include "../Module.hpp"

namespace chronus::engine {

// Linear ADSR envelope. Output = in x envelope x level, or the envelope x level when `in` is not
// connected. The gate is high while the `gate` input is above 0.5 or a gate event says on.
// Every segment lasts at least kMinSegmentMs, so no gate edge makes a step larger than
// 1 / (kMinSegmentMs * sampleRate); a retrigger starts the attack from the current level.
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
};

} // namespace chronus::engine
