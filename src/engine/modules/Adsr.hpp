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
        {"attack", "Attack", "ms", kMinSegmentMs, 20000.0f, 10.0f},
        {"decay", "Decay", "ms", kMinSegmentMs, 20000.0f, 100.0f},
        {"sustain", "Sustain", "", 0.0f, 1.0f, 0.7f},
        {"release", "Release", "ms", kMinSegmentMs, 20000.0f, 200.0f},
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

    Stage m_stage = Stage::Idle;
    float m_env = 0.0f;
    float m_step = 0.0f;
    bool m_eventGate = false;
    bool m_gateHigh = false;
    float m_samplesPerMs = 48.0f;
};

} // namespace chronus::engine
