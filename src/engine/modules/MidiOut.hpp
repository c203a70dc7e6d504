#pragma once
// Voltages into MIDI, to play other gear: the other way round from midi_in. Cable channel c of
// pitch/gate/velocity plays MIDI channel c (up to 16: MidiOutVoices says how a gate and a pitch
// become note-on and note-off); with `clock` on, 24 timing clocks a beat at the tempo input's rate
// (the clock module's `tempo`, beats per second; the `bpm` param when nothing is connected) and
// start/stop from the `run` gate (running when nothing is connected), as MidiClockOut makes them.
// The events come out at the sample they happened through Module::midiOut; the engine sends those of
// the slot that is heard to the MIDI output port.

#include "../MidiOutVoices.hpp"
#include "../Module.hpp"

namespace chronus::engine {

class MidiOut final : public Module {
public:
    enum Param : ParamIndex { Clock, Bpm, ParamCount };
    enum Input : PortIndex { Pitch, Gate, Velocity, Tempo, Run, InputCount };

    static constexpr ParamSpec kParams[] = {
        {"clock", "MIDI clock", "", 0.0f, 1.0f, 0.0f, ParamDiscrete, nullptr, "off|on"},
        {"bpm", "Tempo", "BPM", 20.0f, 300.0f, 120.0f, ParamDiscrete},
    };
    static constexpr PortSpec kInputs[] = {
        {"pitch", "Pitch (1/oct, 0 = C4)", Signal::Cv}, {"gate", "Gate", Signal::Gate},
        {"velocity", "Velocity (0..1)", Signal::Cv},     {"tempo", "Tempo (beats/s)", Signal::Cv},
        {"run", "Run", Signal::Gate}};
    static_assert(std::size(kParams) == ParamCount);
    static_assert(std::size(kInputs) == InputCount);
    static const ModuleType kType;

    // The velocity of a note when nothing is connected to `velocity`: 100 of 127, as most keyboards send.
    static constexpr float kDefaultVelocity = 100.0f / 127.0f;

    explicit MidiOut(const ModuleType& type) : Module(type) {}
    void process(const ProcessContext& ctx) noexcept override;
    void midiOut(MidiOutBlock& out, int frameBase) noexcept override;
    // A new patch's transport starts at its first heard sample: the clock sends start there, and a
    // gate held through the warm-up sends its note-on there (the warm-up's events are never sent).
    void restartTransport() noexcept override {
        m_voices = {};
        m_clock = {};
    }

protected:
    void onPrepare(const PrepareInfo& info) override;

private:
    MidiOutVoices m_voices;
    MidiClockOut m_clock;
    MidiOutBlock m_block; // the events of the block just processed
};

} // namespace chronus::engine
