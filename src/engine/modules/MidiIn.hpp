#pragma once
// MIDI notes and controllers as voltages: the keys a keyboard plays, allocated to up to 16 channels
// (VoiceAllocator), at the very sample each event happened (Module::midi gives the frame). Every
// MIDI event the engine receives reaches every midi_in module of the patch, in both slots alike.

#include "../Module.hpp"
#include "../VoiceAllocator.hpp"

#include <array>

namespace chronus::engine {

class MidiIn final : public Module {
public:
    enum Param : ParamIndex { Voices, Mode, Priority, Bend, ParamCount };
    enum Output : PortIndex { Pitch, Gate, Velocity, Aftertouch, BendOut, Mod, Sustain, OutputCount };
    // `mode` values: the poly modes, then the two mono ones.
    enum ModeValue { Rotate, Reuse, Reset, Mono, Legato };

    static constexpr ParamSpec kParams[] = {
        {"voices", "Voices", "", 1.0f, 16.0f, 8.0f, ParamDiscrete | ParamStructural},
        {"mode", "Mode", "", 0.0f, 4.0f, 0.0f, ParamDiscrete | ParamStructural, nullptr,
         "rotate|reuse|reset|mono|legato"},
        {"priority", "Mono priority", "", 0.0f, 2.0f, 0.0f, ParamDiscrete, nullptr, "last|low|high"},
        {"bend", "Bend range", "st", 0.0f, 48.0f, 2.0f, ParamDiscrete},
    };
    static constexpr PortSpec kOutputs[] = {
        {"pitch", "Pitch (1/oct, 0 = C4)", Signal::Cv}, {"gate", "Gate", Signal::Gate},
        {"velocity", "Velocity", Signal::Cv},           {"aftertouch", "Aftertouch", Signal::Cv},
        {"bend", "Pitch bend", Signal::Cv},             {"mod", "Mod wheel", Signal::Cv},
        {"sustain", "Sustain pedal", Signal::Gate}};
    static_assert(std::size(kParams) == ParamCount);
    static_assert(std::size(kOutputs) == OutputCount);
    static const ModuleType kType;

    // The channels of pitch, gate, velocity and aftertouch: `voices` in the poly modes, 1 in the mono ones.
    static int channelsFor(double voices, double mode) noexcept;

    explicit MidiIn(const ModuleType& type) : Module(type) {}
    void midi(const MidiEvent& event) noexcept override;
    void process(const ProcessContext& ctx) noexcept override;

protected:
    void onPrepare(const PrepareInfo& info) override;

private:
    void configure() noexcept;
    void writeFrames(const ProcessContext& ctx, int from, int to) noexcept;

    // The events of the block being rendered, in order (midi() is called before process()).
    static constexpr int kBlockEvents = 256;
    std::array<MidiEvent, kBlockEvents> m_events{};
    int m_eventCount = 0;
    VoiceAllocator m_voices;
    int m_channels = 1;
    int m_mode = -1, m_priority = -1;
    // Per channel: frames its gate stays low before it rises again (a retrigger).
    std::array<int, VoiceAllocator::kMaxVoices> m_gateLow{};
};

} // namespace chronus::engine
