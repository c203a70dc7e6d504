#pragma once
// Measurements the tests assert on: finiteness, level, frequency, spectra, steps.

#include <cstddef>
#include <span>
#include <vector>

namespace chronus::test {

bool allFinite(std::span<const float> x);
float peak(std::span<const float> x);
double rms(std::span<const float> x);
double mean(std::span<const float> x);
// Largest |x[i] - x[i-1]|.
float largestStep(std::span<const float> x);

// Fundamental frequency from rising zero crossings (interpolated), by a least-squares fit of
// crossing times: precise to far below 0.1 cent on a second of a periodic signal whose waveform
// crosses zero upward once per period. Returns 0 when fewer than two crossings.
double estimateFrequency(std::span<const float> x, double sampleRate);

// Magnitude spectrum (linear, |X[k]|) of a Blackman-Harris windowed frame of size x.size(),
// computed with FFTW. Bin k is k * sampleRate / x.size() Hz.
std::vector<double> magnitudeSpectrum(std::span<const float> x);

// Level in dB of a pure sine component at `frequency` (Goertzel on a Hann window), relative to a
// full-scale sine (0 dB = amplitude 1).
double toneLevelDb(std::span<const float> x, double sampleRate, double frequency);

// Signed distance from `reference` to `frequency` in cents (1/1200 octave).
double centsBetween(double frequency, double reference);

// The strongest spectral component that is not a harmonic of `fundamental` (not within
// `guardBins` bins of k * fundamental, k = 0, 1, 2, ...), in dB relative to the fundamental.
// Measured on magnitudeSpectrum(x): use a few ten thousand samples of a steady tone. Aliasing
// of a periodic waveform lands between the harmonics whenever sampleRate / fundamental is not
// an integer, so this is its level.
double inharmonicLevelDb(std::span<const float> x, double sampleRate, double fundamental, int guardBins = 8);

// Index of the first sample at or after `from` with value >= threshold (AtLeast) or
// <= threshold (AtMost); x.size() when there is none.
std::size_t firstIndexAtLeast(std::span<const float> x, std::size_t from, float threshold);
std::size_t firstIndexAtMost(std::span<const float> x, std::size_t from, float threshold);

// The rhythm of a track: the lag (ms) at which the envelope (mean |x| per 1 ms frame, mean
// removed) correlates best with itself, searched between minMs and maxMs. A groove at B BPM
// repeats on whole steps: the lag is a multiple of 60000 / B / 4 ms.
int strongestRepetitionMs(std::span<const float> x, double sampleRate, int minMs, int maxMs);

// The true peak of `x`: the largest |x| between and at the samples, with x upsampled `factor`
// times (2 to 32) by a Kaiser-windowed sinc (beta 9) of 128 taps per phase. Far longer than any
// real-time detector's interpolator, so it is the reference such a detector is checked against.
// Accurate to about 0.01 dB up to 0.45 of the rate; above, the band edge attenuates. Between the
// samples it looks only where its 128 taps lie inside x: the first and last 64 intervals count by
// their samples alone.
double truePeak(std::span<const float> x, int factor);

// libebur128's true peak of a stereo signal (the larger channel, linear): 4x oversampled below
// 96 kHz, as ITU-R BS.1770 specifies for a true-peak meter.
double ebur128TruePeak(std::span<const float> left, std::span<const float> right, double sampleRate);

} // namespace chronus::test
