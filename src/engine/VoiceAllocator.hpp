#pragma once
// Turns a MIDI note stream into voices: which channel plays which key, with what gate, velocity and
// aftertouch, plus the controllers every voice shares (pitch bend, mod wheel, sustain pedal). The
// midi_in module owns one and reads its state after each event; a plain value with fixed storage,
// so the render thread can feed it (RT-safe: no allocation, no locks).
//
// Poly (up to kMaxVoices channels), a new key takes:
//   Rotate: the next free channel after the one used last (round robin); with none free, the next
//           channel after the one used last is taken over.
//   Reuse:  the channel that played the same key last, if there is one; else as Rotate.
//   Reset:  the lowest free channel; with none free, the channel of the oldest key is taken over.
// Mono (channel 0 only), the key that sounds among those held: the last pressed, the lowest or the
// highest. Without legato every change of the sounding key while the gate stays high retriggers
// (a one-sample gap in the gate, see Voice::retrigger); with legato only a key pressed while none
// was held starts the gate.
//
// Sustain pedal (CC 64 >= 64): a key released while it is down keeps sounding until the pedal comes
// up. A note-off for a key that is not held is ignored. CC 120 (all sound off) and 123 (all notes
// off) release every voice, sustained or not; CC 121 (reset all controllers) centres the bend and
// zeroes mod wheel, sustain and aftertouch. Events of every MIDI channel are taken (omni).

#include "rt/MidiEvent.hpp"

#include <array>
#include <cstdint>

namespace chronus::engine {

enum class PolyMode : std::uint8_t { Rotate, Reuse, Reset };
enum class MonoPriority : std::uint8_t { Last, Low, High };

class VoiceAllocator {
public:
    static constexpr int kMaxVoices = 16;

    struct Voice {
        int note = -1;          // the key it plays or played last (-1: none yet)
        bool gate = false;      // key held, or released with the sustain pedal down
        bool sustained = false; // released while the pedal was down: stops at pedal up
        float velocity = 0.0f;  // 0..1, of the note-on
        float aftertouch = 0.0f; // 0..1: poly aftertouch of its key, or the channel aftertouch
        // Set when the voice got a new key while its gate was high: its envelope should start again
        // (the module drops the gate for a sample). The reader clears it.
        bool retrigger = false;
    };

    // Control or render thread. Everything off and at rest; keeps the configuration.
    void reset() noexcept;
    // Poly with `voices` channels (1..kMaxVoices) and `mode`. Releases every voice.
    void setPoly(int voices, PolyMode mode) noexcept;
    // Mono (channel 0) with `priority`, legato or not. Releases every voice.
    void setMono(MonoPriority priority, bool legato) noexcept;
    // Semitones at full pitch bend, up or down (0..48).
    void setBendRange(float semitones) noexcept { m_bendRange = semitones; }

    // RT-safe. One MIDI message.
    void handle(const MidiEvent& event) noexcept;

    bool mono() const noexcept { return m_mono; }
    int voices() const noexcept { return m_mono ? 1 : m_voices; }
    const Voice& voice(int channel) const noexcept { return m_voice[static_cast<std::size_t>(channel)]; }
    void clearRetrigger(int channel) noexcept { m_voice[static_cast<std::size_t>(channel)].retrigger = false; }
    // 1 V/oct: 0 at C4 (MIDI key 60), with the pitch bend added.
    float pitch(int channel) const noexcept;
    float bend() const noexcept { return m_bend; } // -1..1
    float mod() const noexcept { return m_mod; }   // 0..1, mod wheel (CC 1)
    bool sustain() const noexcept { return m_sustain; }

private:
    void noteOn(int note, int velocity) noexcept;
    void noteOff(int note) noexcept;
    void releaseAll() noexcept;
    void sustainUp() noexcept;
    int pickChannel(int note) noexcept;
    void monoUpdate(bool newKey) noexcept;
    int monoSounding() const noexcept; // the key mono plays among the held ones, -1 when none

    std::array<Voice, kMaxVoices> m_voice{};
    std::array<std::uint32_t, kMaxVoices> m_age{}; // when its key was pressed (m_clock)
    std::uint32_t m_clock = 0;
    int m_voices = 1;
    PolyMode m_mode = PolyMode::Rotate;
    int m_last = -1; // the channel a key went to last (Rotate, Reuse)

    bool m_mono = false;
    MonoPriority m_priority = MonoPriority::Last;
    bool m_legato = false;
    // Mono: the keys held down, in the order they were pressed (oldest first), and whether each
    // released key is still held by the pedal.
    std::array<std::uint8_t, 128> m_held{};
    int m_heldCount = 0;
    std::array<std::uint8_t, 128> m_heldVelocity{};
    std::array<bool, 128> m_pedalHeld{};

    float m_bendRange = 2.0f;
    float m_bend = 0.0f;
    float m_mod = 0.0f;
    bool m_sustain = false;
};

} // namespace chronus::engine
