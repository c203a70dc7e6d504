#pragma once
// What a stretch of stereo audio sounds like, in numbers an agent can act on: loudness (EBU R128,
// libebur128), peaks, clipping, DC, stereo image, pitch, spectral shape, onsets, tempo and silence.
// Plain C++ (no Qt): `chronus render --analyze` feeds it the rendering as it writes it, and a live
// tap can feed it the same way. Control or worker thread only, one thread at a time; it allocates,
// so never from the audio callback. open() plans FFTs (ours and aubio's) and FFTW's planner is not
// thread-safe: open it where no other FFTW plan is made at the same time (chronus render opens it
// before the engine starts, which plans its wavetables).
//
// Who measures what, and why:
// - loudness and true peak: libebur128 (LoudnessMeter), the reference meter.
// - pitch: aubio's yinfast (YIN computed with FFTs) on the mono mix, windows of three periods of
//   40 Hz or more (4096 samples at 48 kHz) every 512; the summary is the median of the frames aubio
//   is sure of (to a cent, then their mean).
//   Measured (tst_audio_analysis): sines and the engine's saw from 40 Hz to 4 kHz within 0.4 % (the worst
//   at 4 kHz and 44.1 kHz, a period of 11 samples; 0.06 % up to 1 kHz).
//   aubio's yinfft, its default, read no pitch at all on sines below 2 kHz (confidence 0).
// - onsets: aubio's spectral-flux detector every 64 samples; each onset it reports is then placed on
//   the first sample that reaches a fifth of the hit's peak, and dropped unless the level rises
//   there. aubio alone reported a kick's pitch sweep as two more onsets 30 and 60 ms into each hit;
//   refined, the sequencer's kicks land within 0.12 ms of their scheduled samples, none extra.
// - tempo: our own, from the onsets (weighted by their rise). The tempo from 60 to 200 BPM whose
//   beat they fall on best, twice that if its beat explains them at least half as well, then made
//   precise on its grid of sixteenths. No tempo from fewer than 24 onsets or when most are off that
//   grid (triplets are not read). Measured on 8 to 60 s of the examples: dnb-175 175.00-175.07,
//   techno-130 130.00 BPM; aubio's beat tracker read 88.2 and 131.6 on 20 s. The ambient example
//   (70 BPM, echoed bells over a pad) gives too few onsets: no tempo.
// - spectrum (centroid, roll-off, octave bands): FFTW, the power spectrum of 4096-sample Hann
//   windows (half overlapping) averaged over the whole stretch: definitions, not estimates.

#include "LoudnessMeter.hpp"
#include "engine/Status.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace chronus::app {

// Field names are those of the JSON (toJson); units are in the names. Levels of nothing at all are
// -inf in C++ and null in JSON.
struct AnalysisSummary {
    double durationS = 0.0;
    double sampleRateHz = 0.0;
    // EBU R128 (libebur128): integrated over the whole stretch (gated), short-term = the last 3 s,
    // momentary = the last 400 ms; the *_max are the highest short-term / momentary values seen,
    // read every 100 ms. loudness_range_lu is EBU Tech 3342's LRA.
    double integratedLufs = 0.0;
    double shortTermLufs = 0.0;
    double shortTermMaxLufs = 0.0;
    double momentaryLufs = 0.0;
    double momentaryMaxLufs = 0.0;
    double loudnessRangeLu = 0.0;
    double truePeakDbtp = 0.0;   // the higher channel, libebur128's 4x oversampled true peak
    double samplePeakDbfs = 0.0; // the largest sample of either channel
    double rmsDbfs = 0.0;        // both channels
    // Samples (either channel, each counted) at or over full scale: |x| >= 1, which a fixed-point
    // file or a DAC clips.
    std::uint64_t clippedSamples = 0;
    double dcLeft = 0.0; // the mean of each channel, linear full scale (1 = all of it)
    double dcRight = 0.0;
    // Pearson correlation of left and right: 1 mono, 0 unrelated, -1 out of phase (0 for silence).
    double stereoCorrelation = 0.0;
    // Side energy over mid plus side energy, M = (L+R)/2, S = (L-R)/2: 0 mono, 0.5 two unrelated
    // channels of equal level, 1 out of phase.
    double stereoWidth = 0.0;
    // Fundamental: 0 Hz and an empty note when nothing pitched is heard. Confidence 0..1: the share of
    // the audible analysis frames aubio's yinfast is sure of (its own confidence >= 0.85) times their
    // mean confidence. The note is the nearest of equal temperament at A4 = 440 Hz ("F#2"), cents the
    // distance from it (-50..50).
    double pitchHz = 0.0;
    double pitchConfidence = 0.0;
    std::string pitchNote;
    double pitchCents = 0.0;
    // Of the spectrum averaged over the whole stretch (mono mix): the power-weighted mean frequency,
    // and the frequency below which 85 % of the power lies. 0 for silence and for less than one
    // window (4096 samples).
    double spectralCentroidHz = 0.0;
    double spectralRolloffHz = 0.0;
    // Power in the ten octave bands centred on 31.5, 63, 125 ... 16000 Hz (edges at the centre /
    // and * sqrt 2), mono mix, dB relative to a full-scale sine: a full-scale sine inside one band
    // reads 0 dB there.
    static constexpr std::array<double, 10> kOctaveCentresHz = {31.5, 63, 125, 250, 500, 1000, 2000, 4000, 8000, 16000};
    std::array<double, 10> octaveBandsDb{};
    // Onset times in seconds from the first frame added (at most kMaxOnsets; onsetCount counts all).
    static constexpr std::size_t kMaxOnsets = 4096;
    std::vector<double> onsetsS;
    std::size_t onsetCount = 0;
    // Beats per minute, 0 when no steady beat is found; confidence 0..1: how much of the onsets'
    // strength falls on that beat (the length of their weighted mean phase on it).
    double tempoBpm = 0.0;
    double tempoConfidence = 0.0;
    // Windows of 10 ms whose RMS (both channels) is below silenceThresholdDbfs: their total, and the
    // stretch at the start and at the end before/after the first/last audible window. silent: all.
    static constexpr double kSilenceThresholdDbfs = -60.0;
    double silenceS = 0.0;
    double leadingSilenceS = 0.0;
    double trailingSilenceS = 0.0;
    bool silent = true;
};

class AudioAnalyzer {
public:
    AudioAnalyzer();
    ~AudioAnalyzer();
    AudioAnalyzer(const AudioAnalyzer&) = delete;
    AudioAnalyzer& operator=(const AudioAnalyzer&) = delete;

    // Starts a new analysis of stereo audio at `sampleRate` Hz (8000-192000).
    engine::Status open(double sampleRate);
    // Interleaved stereo frames, in order; any number at a time.
    engine::Status addInterleaved(const float* interleaved, std::size_t frames);
    // The summary of everything added so far (more may be added after).
    AnalysisSummary summary() const;

private:
    struct State;
    std::unique_ptr<State> m_state;
};

// The summary as one JSON object, fields as named in AnalysisSummary (snake_case), on one line.
std::string toJson(const AnalysisSummary& summary);
// The summary as one paragraph for a person.
std::string describe(const AnalysisSummary& summary);
// "A4", "F#2": the nearest equal-tempered note to `hz` (A4 = 440 Hz); `cents` gets the distance.
std::string noteName(double hz, double* cents = nullptr);

} // namespace chronus::app
