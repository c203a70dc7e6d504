#pragma once
// Measurements the tests assert on: finiteness, level, frequency, spectra, steps.

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

} // namespace chronus::test
