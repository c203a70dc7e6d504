#pragma once
#include "../Module.hpp"

#include <array>
#include <optional>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace chronus::engine {

// A step sequencer of up to 64 steps, advanced by rising edges on `clock` (a Clock's `step`
// output). Each step is a rest, a hit or an accented hit, and has a note. Outputs:
//   gate    high from the clock edge of a hit for `gate` x one step (measured from the clock), and
//           always low for at least one sample before the next hit, so every hit is an edge
//   pitch   1 unit per octave, 0 = A4 (440 Hz): into an oscillator's `fm` at 440 Hz it plays the note;
//           set at each hit, held through rests
//   accent  1 through an accented step, else 0
// A rising edge on `reset` makes the next clock edge play step 1. Several sequencers of different
// lengths on one clock are polymetric tracks.
//
// The steps are parameters (`step1`..`step64`: 0 rest, 1 hit, 2 accent; `note1`..`note64`: MIDI
// note numbers, fractional for tunings in Hz; `spell1`..`spell64`: how each note was written), so
// they change live like any knob, identically in both slots. People and agents set them through the
// text forms:
//   pattern  "x..Xx.x." (x hit, X accent, . or - rest; spaces and | are ignored; sets `length`)
//   notes    "C2 C2 D#2 Ab1" or MIDI numbers "36 48" or Hz "55hz": one per step, repeated to fill.
//            Each note reads back as it was written (Ab1 stays Ab1, not G#1; 36 stays 36; 55hz stays
//            55hz), with the letter in upper case and `s` for sharp written `#`.
class Sequencer final : public Module {
public:
    static constexpr int kMaxSteps = 64;
    enum Param : ParamIndex { Length, GateLength, Transpose, FirstStep, FirstNote = FirstStep + kMaxSteps,
                              FirstSpelling = FirstNote + kMaxSteps, ParamCount = FirstSpelling + kMaxSteps };
    enum Input : PortIndex { ClockIn, ResetIn, InputCount };
    enum Output : PortIndex { GateOut, PitchOut, AccentOut, OutputCount };
    enum StepKind { Rest = 0, Hit = 1, Accent = 2 };
    // How a note was written: a name as the sharps-first table gives it (C, C#, D, ...), a name
    // with # or with b (E#, Cb, Ab), a MIDI number, a frequency in Hz. The audio never reads it.
    enum Spelling { SpellName = 0, SpellSharp, SpellFlat, SpellMidi, SpellHz };
    struct Note {
        double midi;
        Spelling spelling;
    };
    enum Text { Pattern, Notes, TextCount };
    static constexpr float kDefaultNote = 69.0f; // A4: pitch 0, an unchanged oscillator

    static const std::array<ParamSpec, ParamCount> kParams;
    static constexpr PortSpec kInputs[] = {{"clock", "Clock", Signal::Gate}, {"reset", "Reset", Signal::Gate}};
    static_assert(std::size(kInputs) == InputCount);
    static constexpr PortSpec kOutputs[] = {
        {"gate", "Gate", Signal::Gate}, {"pitch", "Pitch (1/oct)", Signal::Cv}, {"accent", "Accent", Signal::Cv}};
    static_assert(std::size(kOutputs) == OutputCount);
    static constexpr TextParamSpec kTexts[] = {
        {"pattern", "Pattern", "steps: x hit, X accent, . rest (1 to 64 steps; sets length)"},
        {"notes", "Notes", "one per step, repeated: note names (C2, D#2, Eb1), MIDI numbers or Hz (55hz)"}};
    static_assert(std::size(kTexts) == TextCount);
    static const TextForm kTextForm;
    static const ModuleType kType;

    explicit Sequencer(const ModuleType& type) : Module(type) {}
    void process(const ProcessContext& ctx) noexcept override;
    // Before step 1, gate low, waiting for the clock's first edge (the measured step is kept).
    void restartTransport() noexcept override;

    // Control thread. The text forms (see above).
    static Status parsePattern(std::string_view text, std::vector<ParamValue>& out);
    static Status parseNotes(std::string_view text, std::vector<ParamValue>& out);
    static std::string formatPattern(std::span<const double> params);
    static std::string formatNotes(std::span<const double> params);
    // "C2" → 36, "A4" → 69, "55hz" → 33, "36" → 36; nullopt when it is none of these.
    static std::optional<double> parseNote(std::string_view token);
    // The same, with how the note was written.
    static std::optional<Note> parseSpelledNote(std::string_view token);
    // The text of a note, spelled as asked where that spelling can write it (B#3 is 60, but no
    // single sharp writes 62), else as SpellName does; it always reads back as `midi`.
    static std::string noteName(double midi, Spelling spelling = SpellName);

protected:
    void onPrepare(const PrepareInfo& info) override;

private:
    void startStep() noexcept;

    int m_step = -1;                 // the step playing; -1: the next edge plays step 1
    std::int64_t m_sinceEdge = 0;    // samples since the last clock edge
    std::int64_t m_interval = 0;     // samples per step, measured over the last two edges
    std::int64_t m_previousInterval = 0;
    std::int64_t m_defaultInterval = 6000; // before two edges: a 16th at 120 BPM
    std::int64_t m_gateLeft = 0;     // samples the gate stays high
    bool m_gateHigh = false;
    bool m_restartNext = false;
    bool m_lastOut = false; // the gate output of the previous sample
    bool m_seenEdge = false;
    float m_pitch = 0.0f;
    float m_accent = 0.0f;
    float m_prevClock = 0.0f, m_prevReset = 0.0f;
    bool m_resetPending = false;
};

} // namespace chronus::engine
