#pragma once
// Integrated, short-term and momentary loudness (EBU R128 / ITU-R BS.1770, LUFS), loudness range and
// true peak of a stereo stream, measured by libebur128. `chronus render` feeds it every frame it
// writes; the analysis (AudioAnalyzer) reads its windows as it goes. Control or writer thread only; one
// thread at a time.

#include "engine/Status.hpp"

#include <cstddef>
#include <memory>

namespace chronus::app {

class LoudnessMeter {
public:
    LoudnessMeter();
    ~LoudnessMeter();
    LoudnessMeter(const LoudnessMeter&) = delete;
    LoudnessMeter& operator=(const LoudnessMeter&) = delete;

    // Stereo at `sampleRate` Hz; starts a new measurement.
    engine::Status open(double sampleRate);
    engine::Status addInterleaved(const float* interleaved, std::size_t frames);
    // Integrated loudness of everything added, in LUFS: -inf for silence (below the absolute gate).
    double integratedLufs() const;
    // Loudness of the last 3 s (short-term) and the last 400 ms (momentary) added, in LUFS: -inf for
    // silence or before a window has been filled.
    double shortTermLufs() const;
    double momentaryLufs() const;
    // EBU Tech 3342 loudness range of everything added, in LU (0 for too little or silence).
    double loudnessRangeLu() const;
    // The highest true peak of either channel, linear (1 = 0 dBTP). libebur128 oversamples 4x below
    // 96 kHz, 2x below 192 kHz.
    double truePeak() const;

private:
    struct State; // libebur128's state (a typedef'd anonymous struct: it cannot be declared here)
    std::unique_ptr<State> m_state;
};

} // namespace chronus::app
