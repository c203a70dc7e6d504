#pragma once
// The other way round from VoiceAllocator: voltages into MIDI, for a module that plays other gear
// (the coming `midi_out`). A plain value with fixed storage that the render thread feeds sample by
// sample (RT-safe: no allocation, no locks); the events it makes carry their frame in the block
// (MidiEvent::offset) and go into a fixed-size MidiOutBlock.
//
// Notes: cable channel c plays MIDI channel c (one voice per MIDI channel, up to 16). A gate's
// rising edge (through 0.5) sends a note-on of the key its pitch is on (1 V/oct, 0 V = C4 = note
// 60, like midi_in's pitch; rounded to the nearest key, clamped to 0..127) at velocity
// round(velocity x 127), at least 1 (a note-on at 0 would be a note-off); the falling edge sends
// the note-off of that key. A pitch that moves to another key while the gate stays high ends the old
// note and starts the new one at that sample (note-off, then note-on, at the held velocity): a
// sequencer's slide is heard as a new note on gear that cannot know the CV. The key changes only
// once the pitch is more than 0.6 semitone from the one sounding, so a pitch resting near a half
// step does not flutter between two keys. allNotesOff() ends every sounding note: for a patch that
// stops being heard.
//
// Clock (MidiClockOut): 24 timing clocks a beat at a tempo given in beats per second (the clock
// module's `tempo` output), each on the first sample at or after its exact time, over long runs too. A run gate's rising edge sends start
// and the first tick at that sample; its falling edge sends stop. No ticks while stopped.

#include "rt/MidiEvent.hpp"

#include <array>
#include <cstdint>

namespace chronus::engine {

// The MIDI events one block made, in order. RT-safe; events beyond the capacity are counted and lost.
struct MidiOutBlock {
    static constexpr int kCapacity = 256;
    std::array<MidiEvent, kCapacity> events{};
    int count = 0;
    std::uint32_t dropped = 0;
    void clear() noexcept { count = 0; }
    void add(std::uint8_t status, std::uint8_t data1, std::uint8_t data2, int offset) noexcept {
        if (count == kCapacity) {
            ++dropped;
            return;
        }
        MidiEvent& e = events[static_cast<std::size_t>(count++)];
        e = MidiEvent{};
        e.status = status;
        e.data1 = data1;
        e.data2 = data2;
        e.offset = static_cast<std::uint16_t>(offset);
    }
};

class MidiOutVoices {
public:
    static constexpr int kChannels = 16;
    static constexpr float kKeyHysteresis = 0.6f; // semitones from the sounding key before it changes

    // RT-safe. One sample of cable channel `channel` (0..15) at frame `offset` of the block.
    void step(int channel, float pitch, float gate, float velocity, int offset, MidiOutBlock& out) noexcept;
    // RT-safe. A note-off for every sounding note, at `offset`.
    void allNotesOff(int offset, MidiOutBlock& out) noexcept;

    // The key channel `channel` sounds, -1 when none.
    int sounding(int channel) const noexcept { return m_voice[static_cast<std::size_t>(channel)].note; }

    // The key of a pitch (1 V/oct, 0 = C4), unrounded, in MIDI note numbers.
    static float semitones(float pitch) noexcept { return 60.0f + 12.0f * pitch; }

private:
    struct Voice {
        bool gate = false;
        int note = -1; // sounding
        std::uint8_t velocity = 0;
    };
    std::array<Voice, kChannels> m_voice{};
};

class MidiClockOut {
public:
    static constexpr int kTicksPerBeat = 24;

    // RT-safe. One sample at frame `offset`: the tempo (beats per second; clamped to 20..300 BPM)
    // and whether the transport runs (a gate, through 0.5).
    void step(double beatsPerSecond, float run, double sampleRate, int offset, MidiOutBlock& out) noexcept;
    bool running() const noexcept { return m_running; }

private:
    bool m_running = false;
    // Where the transport stands, in ticks since the start: the position when the tempo last
    // changed plus the samples since times the rate, so a steady tempo keeps exact time over hours
    // (a running sum of per-sample increments drifts by a sample within minutes).
    double m_segmentTicks = 0.0;
    std::int64_t m_segmentSamples = 0;
    double m_rate = 0.0;     // ticks per sample since then
    std::int64_t m_next = 0; // the next tick to send
};

} // namespace chronus::engine
