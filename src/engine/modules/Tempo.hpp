#pragma once
// Musical time shared by the clock and every tempo-synced module (delay, LFO, ...).
//
// The clock's `tempo` output carries the beat rate in Hz (BPM / 60: 2.9167 at 175 BPM) on every
// sample: a CV in the usual range, harmless if patched to the output by mistake. A tempo-synced
// module has a `tempo` input (Signal::Cv, read it with bpmFromTempoCv) and a `bpm` parameter used
// when nothing is connected to it, plus a `sync` choice: off (free time in ms or Hz), or a note
// division.

#include <algorithm>

namespace chronus::engine::tempo {

inline constexpr float kMinBpm = 20.0f;
inline constexpr float kMaxBpm = 300.0f;
inline constexpr float kDefaultBpm = 120.0f;

// The `sync` choices: index 0 is off; the others are note values ("t" triplet, "." dotted).
inline constexpr const char* kSyncChoices = "off|1/1|1/2|1/4|1/8|1/16|1/32|1/2.|1/4.|1/8.|1/16.|1/4t|1/8t|1/16t";
inline constexpr int kSyncChoiceCount = 14;

// The length of sync choice `index` in beats (quarter notes); 0 for off or out of range.
constexpr double divisionBeats(int index) noexcept {
    constexpr double beats[kSyncChoiceCount] = {0.0,       4.0,       2.0,        1.0,       0.5,
                                                0.25,      0.125,     3.0,        1.5,       0.75,
                                                0.375,     2.0 / 3.0, 1.0 / 3.0,  1.0 / 6.0};
    return index > 0 && index < kSyncChoiceCount ? beats[index] : 0.0;
}

// A tempo input sample (or the module's `bpm` param) made safe to divide by.
constexpr double clampBpm(double bpm) noexcept {
    return bpm == bpm ? std::clamp(bpm, static_cast<double>(kMinBpm), static_cast<double>(kMaxBpm))
                      : static_cast<double>(kDefaultBpm);
}

// The clock's tempo CV (beats per second) to BPM, and back.
constexpr double bpmFromTempoCv(double beatsPerSecond) noexcept { return clampBpm(beatsPerSecond * 60.0); }
constexpr double tempoCvFromBpm(double bpm) noexcept { return clampBpm(bpm) / 60.0; }

// Seconds per beat at `bpm`.
constexpr double secondsPerBeat(double bpm) noexcept { return 60.0 / clampBpm(bpm); }

// Pitch CV: one unit per octave, 0 = A4 = 440 Hz (an oscillator at its default 440 Hz, fed on `fm`,
// plays the note in tune).
inline constexpr double kPitchReferenceHz = 440.0;
inline constexpr double kPitchReferenceMidi = 69.0;

} // namespace chronus::engine::tempo
