#pragma once
// One MIDI controller (CC) as a voltage: `value` goes from `min` (CC value 0) to `max` (127) at the
// very sample the message happened (Module::midi gives the frame), slewing over `smooth` ms so a
// 7-bit knob does not step audibly. A controller below 32 whose partner n + 32 (its LSB) arrives
// too is read as one 14-bit value, as the MIDI spec pairs them; without an LSB it stays 7-bit, so
// 127 still reaches `max`.

#include "../Module.hpp"

#include <array>

namespace chronus::engine {

class MidiCc final : public Module {
public:
    enum Param : ParamIndex { Cc, Channel, Min, Max, Smooth, ParamCount };
    enum Output : PortIndex { Value, OutputCount };

    static constexpr ParamSpec kParams[] = {
        {"cc", "Controller", "", 0.0f, 127.0f, 1.0f, ParamDiscrete},
        {"channel", "MIDI channel (0 = any)", "", 0.0f, 16.0f, 0.0f, ParamDiscrete},
        {"min", "Value at 0", "", -10.0f, 10.0f, 0.0f},
        {"max", "Value at 127", "", -10.0f, 10.0f, 1.0f},
        {"smooth", "Smoothing", "ms", 0.0f, 1000.0f, 5.0f},
    };
    static constexpr PortSpec kOutputs[] = {{"value", "Value", Signal::Cv}};
    static_assert(std::size(kParams) == ParamCount);
    static_assert(std::size(kOutputs) == OutputCount);
    static const ModuleType kType;

    explicit MidiCc(const ModuleType& type) : Module(type) {}
    void midi(const MidiEvent& event) noexcept override;
    void process(const ProcessContext& ctx) noexcept override;

protected:
    void onPrepare(const PrepareInfo& info) override;

private:
    // Takes one event of the block (when it is ours): the controller's new position, 0..1.
    void take(const MidiEvent& event) noexcept;
    // From the position now, the ramp toward it over `smooth` ms.
    void retarget() noexcept;

    static constexpr int kBlockEvents = 256;
    std::array<MidiEvent, kBlockEvents> m_events{};
    int m_eventCount = 0;
    int m_msb = 0, m_lsb = 0;
    bool m_fine = false;     // an LSB arrived since the last MSB: read 14 bits
    double m_position = 0.0; // the controller, 0..1
    double m_current = 0.0;  // 0..1, slewing toward m_position
    double m_step = 0.0;
    int m_remaining = 0;
};

} // namespace chronus::engine
