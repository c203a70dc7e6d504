#include "SignalAnalysis.hpp"

#include <ebur128.h>
#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <numbers>

namespace chronus::test {

bool allFinite(std::span<const float> x) {
    return std::all_of(x.begin(), x.end(), [](float v) { return std::isfinite(v); });
}

float peak(std::span<const float> x) {
    float p = 0.0f;
    for (float v : x)
        p = std::max(p, std::fabs(v));
    return p;
}

double rms(std::span<const float> x) {
    if (x.empty())
        return 0.0;
    double s = 0.0;
    for (float v : x)
        s += static_cast<double>(v) * static_cast<double>(v);
    return std::sqrt(s / static_cast<double>(x.size()));
}

double mean(std::span<const float> x) {
    if (x.empty())
        return 0.0;
    double s = 0.0;
    for (float v : x)
        s += static_cast<double>(v);
    return s / static_cast<double>(x.size());
}

float largestStep(std::span<const float> x) {
    float step = 0.0f;
    for (std::size_t i = 1; i < x.size(); ++i)
        step = std::max(step, std::fabs(x[i] - x[i - 1]));
    return step;
}

double estimateFrequency(std::span<const float> x, double sampleRate) {
    const double m = mean(x);
    std::vector<double> crossings;
    for (std::size_t i = 1; i < x.size(); ++i) {
        const double a = static_cast<double>(x[i - 1]) - m;
        const double b = static_cast<double>(x[i]) - m;
        if (a < 0.0 && b >= 0.0)
            crossings.push_back(static_cast<double>(i - 1) + a / (a - b));
    }
    if (crossings.size() < 2)
        return 0.0;
    // Least-squares slope of crossing time against crossing index = period in samples.
    const double n = static_cast<double>(crossings.size());
    double sumK = 0.0, sumT = 0.0, sumKK = 0.0, sumKT = 0.0;
    for (std::size_t k = 0; k < crossings.size(); ++k) {
        const double kk = static_cast<double>(k);
        sumK += kk;
        sumT += crossings[k];
        sumKK += kk * kk;
        sumKT += kk * crossings[k];
    }
    const double period = (n * sumKT - sumK * sumT) / (n * sumKK - sumK * sumK);
    return period > 0.0 ? sampleRate / period : 0.0;
}

std::vector<double> magnitudeSpectrum(std::span<const float> x) {
    const int n = static_cast<int>(x.size());
    std::vector<float> in(x.size());
    constexpr double pi = std::numbers::pi;
    for (int i = 0; i < n; ++i) {
        const double t = 2.0 * pi * i / n;
        const double w = 0.35875 - 0.48829 * std::cos(t) + 0.14128 * std::cos(2 * t) - 0.01168 * std::cos(3 * t);
        in[static_cast<std::size_t>(i)] = static_cast<float>(static_cast<double>(x[static_cast<std::size_t>(i)]) * w);
    }
    auto* out = static_cast<fftwf_complex*>(fftwf_malloc(sizeof(fftwf_complex) * static_cast<std::size_t>(n / 2 + 1)));
    fftwf_plan plan = fftwf_plan_dft_r2c_1d(n, in.data(), out, FFTW_ESTIMATE);
    fftwf_execute(plan);
    std::vector<double> mag(static_cast<std::size_t>(n / 2 + 1));
    for (int k = 0; k <= n / 2; ++k)
        mag[static_cast<std::size_t>(k)] = std::hypot(static_cast<double>(out[k][0]), static_cast<double>(out[k][1]));
    fftwf_destroy_plan(plan);
    fftwf_free(out);
    return mag;
}

double toneLevelDb(std::span<const float> x, double sampleRate, double frequency) {
    const std::size_t n = x.size();
    constexpr double pi = std::numbers::pi;
    double re = 0.0, im = 0.0, wsum = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        const double w = 0.5 - 0.5 * std::cos(2.0 * pi * static_cast<double>(i) / static_cast<double>(n));
        const double phase = 2.0 * pi * frequency * static_cast<double>(i) / sampleRate;
        re += w * static_cast<double>(x[i]) * std::cos(phase);
        im -= w * static_cast<double>(x[i]) * std::sin(phase);
        wsum += w;
    }
    const double amplitude = 2.0 * std::hypot(re, im) / wsum;
    return 20.0 * std::log10(std::max(amplitude, 1e-12));
}

double centsBetween(double frequency, double reference) {
    return 1200.0 * std::log2(frequency / reference);
}

double inharmonicLevelDb(std::span<const float> x, double sampleRate, double fundamental, int guardBins) {
    const std::vector<double> mag = magnitudeSpectrum(x);
    const double binHz = sampleRate / static_cast<double>(x.size());
    const double guardHz = guardBins * binHz;
    double fundamentalMag = 0.0;
    double worst = 0.0;
    for (std::size_t k = 1; k < mag.size(); ++k) {
        const double f = static_cast<double>(k) * binHz;
        const double harmonic = std::round(f / fundamental) * fundamental;
        if (std::fabs(f - fundamental) <= guardHz)
            fundamentalMag = std::max(fundamentalMag, mag[k]);
        if (std::fabs(f - harmonic) > guardHz)
            worst = std::max(worst, mag[k]);
    }
    return 20.0 * std::log10(std::max(worst, 1e-300) / std::max(fundamentalMag, 1e-300));
}

std::size_t firstIndexAtLeast(std::span<const float> x, std::size_t from, float threshold) {
    for (std::size_t i = from; i < x.size(); ++i)
        if (x[i] >= threshold)
            return i;
    return x.size();
}

std::size_t firstIndexAtMost(std::span<const float> x, std::size_t from, float threshold) {
    for (std::size_t i = from; i < x.size(); ++i)
        if (x[i] <= threshold)
            return i;
    return x.size();
}

int strongestRepetitionMs(std::span<const float> x, double sampleRate, int minMs, int maxMs) {
    const auto hop = static_cast<std::size_t>(sampleRate / 1000.0);
    std::vector<double> envelope;
    for (std::size_t i = 0; i + hop <= x.size(); i += hop) {
        double e = 0.0;
        for (std::size_t k = 0; k < hop; ++k)
            e += std::fabs(static_cast<double>(x[i + k]));
        envelope.push_back(e / static_cast<double>(hop));
    }
    double average = 0.0;
    for (double e : envelope)
        average += e;
    average /= static_cast<double>(std::max<std::size_t>(envelope.size(), 1));
    for (double& e : envelope)
        e -= average;
    int bestLag = minMs;
    double best = -1e300;
    for (int lag = minMs; lag <= maxMs; ++lag) {
        double c = 0.0;
        for (std::size_t i = 0; i + static_cast<std::size_t>(lag) < envelope.size(); ++i)
            c += envelope[i] * envelope[i + static_cast<std::size_t>(lag)];
        if (c > best) {
            best = c;
            bestLag = lag;
        }
    }
    return bestLag;
}

double truePeak(std::span<const float> x, int factor) {
    constexpr int kHalf = 64; // taps either side of the point
    constexpr double kBeta = 9.0;
    const auto besselI0 = [](double v) {
        double sum = 1.0, term = 1.0;
        for (int k = 1; k < 60; ++k) {
            term *= (v / (2.0 * k)) * (v / (2.0 * k));
            sum += term;
        }
        return sum;
    };
    factor = std::clamp(factor, 2, 32);
    // Phase p of `factor`: x(m + p / factor) from x[m - kHalf + 1 .. m + kHalf].
    std::vector<std::vector<float>> taps(static_cast<std::size_t>(factor));
    for (int p = 1; p < factor; ++p) {
        const double frac = static_cast<double>(p) / factor;
        std::vector<double> h(2 * kHalf);
        double sum = 0.0;
        for (int j = 0; j < 2 * kHalf; ++j) {
            const double d = (j - (kHalf - 1)) - frac;
            const double sinc = std::sin(std::numbers::pi * d) / (std::numbers::pi * d);
            const double r = d / kHalf;
            h[static_cast<std::size_t>(j)] = sinc * besselI0(kBeta * std::sqrt(std::max(0.0, 1.0 - r * r))) / besselI0(kBeta);
            sum += h[static_cast<std::size_t>(j)];
        }
        for (double v : h)
            taps[static_cast<std::size_t>(p)].push_back(static_cast<float>(v / sum));
    }
    // Between the samples only where the interpolator's whole support lies inside x: nothing is
    // assumed about the signal beyond its ends (a cut there would ring like any step).
    double best = 0.0;
    for (float v : x)
        best = std::max(best, static_cast<double>(std::fabs(v)));
    for (std::size_t m = 0; m + 2 * kHalf <= x.size(); ++m) {
        const float* window = x.data() + m; // x[m + kHalf - 1] is the sample left of the points
        for (int p = 1; p < factor; ++p) {
            const float* h = taps[static_cast<std::size_t>(p)].data();
            float acc[8] = {};
            for (int j = 0; j < 2 * kHalf; j += 8)
                for (int k = 0; k < 8; ++k)
                    acc[k] += h[j + k] * window[j + k];
            double v = 0.0;
            for (float a : acc)
                v += static_cast<double>(a);
            best = std::max(best, std::fabs(v));
        }
    }
    return best;
}

double ebur128TruePeak(std::span<const float> left, std::span<const float> right, double sampleRate) {
    ebur128_state* st = ebur128_init(2, static_cast<unsigned long>(sampleRate), EBUR128_MODE_TRUE_PEAK);
    if (!st)
        return std::nan("");
    std::vector<float> interleaved(2 * std::min(left.size(), right.size()));
    for (std::size_t i = 0; i < interleaved.size() / 2; ++i) {
        interleaved[2 * i] = left[i];
        interleaved[2 * i + 1] = right[i];
    }
    double peak = 0.0;
    if (ebur128_add_frames_float(st, interleaved.data(), interleaved.size() / 2) == EBUR128_SUCCESS)
        for (unsigned c = 0; c < 2; ++c) {
            double p = 0.0;
            if (ebur128_true_peak(st, c, &p) == EBUR128_SUCCESS)
                peak = std::max(peak, p);
        }
    ebur128_destroy(&st);
    return peak;
}

} // namespace chronus::test
