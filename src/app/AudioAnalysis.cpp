#include "AudioAnalysis.hpp"

#include <aubio/aubio.h>
#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace chronus::app {

using engine::ErrorCode;
using engine::Status;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kPi = 3.14159265358979323846;

constexpr double kLowestPitchHz = 40.0;
constexpr unsigned kPitchHop = 512;
constexpr unsigned kOnsetWindow = 512, kOnsetHop = 64;
constexpr unsigned kFftSize = 4096, kFftHop = 2048;
constexpr double kPitchSureConfidence = 0.85;
// The mono mix of the last this many samples stays at hand to place aubio's onsets on a sample.
constexpr std::size_t kHistory = 1 << 15;

double db(double power) { return power > 0.0 ? 10.0 * std::log10(power) : -kInf; }
double dbAmplitude(double a) { return a > 0.0 ? 20.0 * std::log10(a) : -kInf; }

template <class T, void (*Del)(T*)> struct AubioPtr {
    T* p = nullptr;
    AubioPtr() = default;
    explicit AubioPtr(T* q) : p(q) {}
    AubioPtr(const AubioPtr&) = delete;
    AubioPtr& operator=(const AubioPtr&) = delete;
    ~AubioPtr() {
        if (p)
            Del(p);
    }
};

// The pitch frames in bins of one cent from 20 Hz to 20 kHz, so that a day's rendering takes no
// more memory than a second's: the median is the mean of the frames in the median bin.
struct PitchHistogram {
    static constexpr double kLowHz = 20.0;
    static constexpr std::size_t kBins = 12000; // ten octaves
    std::vector<std::uint32_t> count = std::vector<std::uint32_t>(kBins);
    std::vector<double> sumHz = std::vector<double>(kBins);
    std::uint64_t frames = 0;
    double sumConfidence = 0.0;

    void add(double hz, double confidence) {
        const double cents = 1200.0 * std::log2(hz / kLowHz);
        if (!(cents >= 0.0) || cents >= static_cast<double>(kBins))
            return;
        const auto bin = static_cast<std::size_t>(cents);
        ++count[bin];
        sumHz[bin] += hz;
        ++frames;
        sumConfidence += confidence;
    }
    double medianHz() const {
        std::uint64_t seen = 0;
        for (std::size_t bin = 0; bin < kBins; ++bin) {
            seen += count[bin];
            if (count[bin] > 0 && 2 * seen >= frames)
                return sumHz[bin] / count[bin];
        }
        return 0.0;
    }
};

} // namespace

struct AudioAnalyzer::State {
    double rate = 48000.0;
    LoudnessMeter loudness;
    std::uint64_t frames = 0;
    std::uint64_t framesToPoll = 0; // until the next 100 ms read of the short-term and momentary loudness
    double shortTermMax = -kInf, momentaryMax = -kInf;

    double sumL = 0, sumR = 0, sumLL = 0, sumRR = 0, sumLR = 0, peak = 0;
    std::uint64_t clipped = 0;

    // Silence, in windows of 10 ms.
    std::uint64_t windowFrames = 480, windowFill = 0, windows = 0, silentWindows = 0;
    double windowSquares = 0;
    std::int64_t firstAudibleWindow = -1, lastAudibleWindow = -1;

    // aubio, each fed the mono mix hop by hop.
    AubioPtr<aubio_pitch_t, del_aubio_pitch> pitch;
    AubioPtr<aubio_onset_t, del_aubio_onset> onset;
    AubioPtr<fvec_t, del_fvec> pitchIn, pitchOut, onsetIn, onsetOut;
    unsigned pitchFill = 0, onsetFill = 0;
    PitchHistogram pitches; // the hops with sound that aubio is sure of
    std::size_t pitchFramesAudible = 0;
    double hopSquares = 0;
    std::vector<double> onsets; // refined, seconds
    std::vector<double> onsetStrengths; // each onset's rise in peak level, linear
    std::size_t onsetCount = 0;

    std::vector<float> history = std::vector<float>(kHistory); // mono, ring by absolute frame

    // Averaged power spectrum of the mono mix.
    float* fftIn = nullptr;
    fftwf_complex* fftOut = nullptr;
    fftwf_plan plan = nullptr;
    std::vector<float> window, fftBuffer;
    unsigned fftFill = 0;
    std::vector<double> power;
    std::size_t spectra = 0;

    ~State() {
        if (plan)
            fftwf_destroy_plan(plan);
        fftwf_free(fftIn);
        fftwf_free(fftOut);
    }

    float mono(std::uint64_t frame) const { return history[frame % kHistory]; }

    float peakBetween(std::uint64_t from, std::uint64_t to) const {
        float top = 0.0f;
        for (std::uint64_t f = from; f < to; ++f)
            top = std::max(top, std::fabs(mono(f)));
        return top;
    }

    // aubio reports an onset a little late and on its hop grid: put it on the first sample that
    // reaches a fifth of the hit's peak, looking 10 ms either side of aubio's frame. A hit is a rise:
    // its peak in the 10 ms from there is at least 1 dB over the 20 ms before, else what aubio heard
    // was a change inside a sound already there (a kick's pitch sweep), not a new one: -1.
    double refineOnset(std::uint64_t aubioFrame, double* strength) const {
        const auto span = static_cast<std::uint64_t>(0.010 * rate);
        const std::uint64_t lo = aubioFrame > span ? aubioFrame - span : 0;
        const std::uint64_t hi = std::min(aubioFrame + span, frames);
        if (hi <= lo || frames - lo + 2 * span > kHistory)
            return -1.0;
        const float top = peakBetween(lo, hi);
        if (!(top > 0.0f))
            return -1.0;
        std::uint64_t at = lo;
        while (at < hi && std::fabs(mono(at)) < 0.2f * top)
            ++at;
        const std::uint64_t before = at > 2 * span ? at - 2 * span : 0;
        const float after = peakBetween(at, std::min(at + span, frames)), earlier = peakBetween(before, at);
        if (after < 1.12f * earlier)
            return -1.0;
        *strength = static_cast<double>(after - earlier);
        return static_cast<double>(at) / rate;
    }

    void addMono(float x) {
        history[frames % kHistory] = x;
        pitchIn.p->data[pitchFill] = x; // the pitch hop: pitchIn is one hop (aubio keeps the window)
        hopSquares += static_cast<double>(x) * static_cast<double>(x);
        if (++pitchFill == kPitchHop) {
            pitchFill = 0;
            aubio_pitch_do(pitch.p, pitchIn.p, pitchOut.p);
            const double hopRms = std::sqrt(hopSquares / kPitchHop);
            hopSquares = 0;
            if (dbAmplitude(hopRms) > AnalysisSummary::kSilenceThresholdDbfs) {
                ++pitchFramesAudible;
                const double hz = pitchOut.p->data[0];
                const double c = aubio_pitch_get_confidence(pitch.p);
                if (hz > 0.0 && c >= kPitchSureConfidence) {
                    pitches.add(hz, c);
                }
            }
        }
        onsetIn.p->data[onsetFill] = x;
        if (++onsetFill == kOnsetHop) {
            onsetFill = 0;
            aubio_onset_do(onset.p, onsetIn.p, onsetOut.p);
            if (onsetOut.p->data[0] != 0.0f)
                pendingOnsets.push_back(aubio_onset_get_last(onset.p));
        }
        fftBuffer[fftFill] = x;
        if (++fftFill == kFftSize) {
            for (unsigned i = 0; i < kFftSize; ++i)
                fftIn[i] = fftBuffer[i] * window[i];
            fftwf_execute(plan);
            for (unsigned k = 0; k <= kFftSize / 2; ++k) {
                const double re = fftOut[k][0], im = fftOut[k][1];
                power[k] += re * re + im * im;
            }
            ++spectra;
            std::copy(fftBuffer.begin() + kFftHop, fftBuffer.end(), fftBuffer.begin());
            fftFill = kFftSize - kFftHop;
        }
        ++frames;
        // Onsets are placed once 10 ms after them have been heard.
        while (!pendingOnsets.empty() && pendingOnsets.front() + static_cast<std::uint64_t>(0.020 * rate) <= frames) {
            double strength = 0.0;
            if (const double t = refineOnset(pendingOnsets.front(), &strength); t >= 0.0) {
                ++onsetCount;
                if (onsets.size() < AnalysisSummary::kMaxOnsets) {
                    onsets.push_back(t);
                    onsetStrengths.push_back(strength);
                }
            }
            pendingOnsets.erase(pendingOnsets.begin());
        }
    }
    std::vector<std::uint64_t> pendingOnsets;
};

AudioAnalyzer::AudioAnalyzer() = default;
AudioAnalyzer::~AudioAnalyzer() = default;

Status AudioAnalyzer::open(double sampleRate) {
    if (!(sampleRate >= 8000.0 && sampleRate <= 192000.0))
        return Status::error(ErrorCode::InvalidArgument, "analysis: sample rate " + std::to_string(sampleRate) +
                                                             " Hz is not from 8000 to 192000");
    auto s = std::make_unique<State>();
    s->rate = sampleRate;
    if (auto st = s->loudness.open(sampleRate); !st)
        return st;
    const auto sr = static_cast<uint_t>(sampleRate);
    // YIN finds periods up to half its window: three periods of the lowest pitch, rounded up to a
    // power of two for its FFTs (4096 at 44.1 and 48 kHz, 8192 at 96 kHz).
    unsigned pitchWindow = 1024;
    while (pitchWindow < 3.0 * sampleRate / kLowestPitchHz)
        pitchWindow *= 2;
    s->pitch.p = new_aubio_pitch("yinfast", pitchWindow, kPitchHop, sr);
    s->onset.p = new_aubio_onset("specflux", kOnsetWindow, kOnsetHop, sr);
    s->pitchIn.p = new_fvec(kPitchHop);
    s->pitchOut.p = new_fvec(1);
    s->onsetIn.p = new_fvec(kOnsetHop);
    s->onsetOut.p = new_fvec(1);
    if (!s->pitch.p || !s->onset.p || !s->pitchIn.p || !s->pitchOut.p || !s->onsetIn.p || !s->onsetOut.p)
        return Status::error(ErrorCode::InvalidArgument, "analysis: aubio refused " + std::to_string(sampleRate) + " Hz");
    aubio_pitch_set_unit(s->pitch.p, "Hz");
    aubio_pitch_set_silence(s->pitch.p, static_cast<smpl_t>(AnalysisSummary::kSilenceThresholdDbfs));
    // Hits of the same drum closer than 20 ms are one hit (a 16th at 300 BPM is 50 ms).
    aubio_onset_set_minioi_ms(s->onset.p, 20.0f);
    s->windowFrames = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::llround(0.010 * sampleRate)));
    s->framesToPoll = static_cast<std::uint64_t>(std::llround(0.1 * sampleRate));

    s->fftIn = static_cast<float*>(fftwf_malloc(sizeof(float) * kFftSize));
    s->fftOut = static_cast<fftwf_complex*>(fftwf_malloc(sizeof(fftwf_complex) * (kFftSize / 2 + 1)));
    if (!s->fftIn || !s->fftOut)
        return Status::error(ErrorCode::InvalidArgument, "analysis: out of memory");
    s->plan = fftwf_plan_dft_r2c_1d(kFftSize, s->fftIn, s->fftOut, FFTW_ESTIMATE);
    s->window.resize(kFftSize);
    for (unsigned i = 0; i < kFftSize; ++i)
        s->window[i] = static_cast<float>(0.5 - 0.5 * std::cos(2.0 * kPi * i / kFftSize));
    s->fftBuffer.assign(kFftSize, 0.0f);
    s->power.assign(kFftSize / 2 + 1, 0.0);
    m_state = std::move(s);
    return {};
}

Status AudioAnalyzer::addInterleaved(const float* interleaved, std::size_t frames) {
    if (!m_state)
        return Status::error(ErrorCode::InvalidArgument, "analysis: not open");
    State& s = *m_state;
    const auto pollFrames = static_cast<std::uint64_t>(std::llround(0.1 * s.rate));
    std::size_t done = 0;
    while (done < frames) {
        // Up to the next 100 ms mark, so the short-term and momentary maxima are read on it.
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(frames - done, s.framesToPoll));
        const float* p = interleaved + 2 * done;
        if (auto st = s.loudness.addInterleaved(p, n); !st)
            return st;
        for (std::size_t i = 0; i < n; ++i) {
            const double l = p[2 * i], r = p[2 * i + 1];
            s.sumL += l;
            s.sumR += r;
            s.sumLL += l * l;
            s.sumRR += r * r;
            s.sumLR += l * r;
            const double al = std::fabs(l), ar = std::fabs(r);
            s.peak = std::max({s.peak, al, ar});
            s.clipped += (al >= 1.0 ? 1 : 0) + (ar >= 1.0 ? 1 : 0);
            s.windowSquares += l * l + r * r;
            if (++s.windowFill == s.windowFrames) {
                const bool quiet = db(s.windowSquares / (2.0 * static_cast<double>(s.windowFrames))) <
                                   AnalysisSummary::kSilenceThresholdDbfs;
                if (quiet) {
                    ++s.silentWindows;
                } else {
                    if (s.firstAudibleWindow < 0)
                        s.firstAudibleWindow = static_cast<std::int64_t>(s.windows);
                    s.lastAudibleWindow = static_cast<std::int64_t>(s.windows);
                }
                ++s.windows;
                s.windowFill = 0;
                s.windowSquares = 0;
            }
            s.addMono(static_cast<float>(0.5 * (l + r)));
        }
        done += n;
        s.framesToPoll -= n;
        if (s.framesToPoll == 0) {
            s.framesToPoll = pollFrames;
            s.shortTermMax = std::max(s.shortTermMax, s.loudness.shortTermLufs());
            s.momentaryMax = std::max(s.momentaryMax, s.loudness.momentaryLufs());
        }
    }
    return {};
}

namespace {

// How well a beat of `bpm` explains the onsets: the length of the mean of their phases on that
// beat, each weighted by its strength (1: every onset on a beat, 0: none related to it).
double beatCoherence(const std::vector<double>& onsets, const std::vector<double>& strengths, double bpm) {
    double re = 0.0, im = 0.0, total = 0.0;
    const double w = 2.0 * kPi * bpm / 60.0;
    for (std::size_t i = 0; i < onsets.size(); ++i) {
        re += strengths[i] * std::cos(w * onsets[i]);
        im += strengths[i] * std::sin(w * onsets[i]);
        total += strengths[i];
    }
    return total > 0.0 ? std::hypot(re, im) / total : 0.0;
}

// The tempo from kMinBpm to kMaxBpm whose beat the onsets fall on best: a scan in steps of a
// tenth of the peak's width (60 / duration BPM), then a finer one around the best.
struct Tempo {
    double bpm = 0.0, coherence = 0.0;
};
Tempo findTempo(const std::vector<double>& onsets, const std::vector<double>& strengths, double durationS) {
    constexpr double kMinBpm = 60.0, kMaxBpm = 200.0;
    constexpr std::size_t kMinOnsets = 24;
    if (onsets.size() < kMinOnsets || !(durationS > 2.0))
        return {};
    const double coarse = std::min(0.5, 6.0 / durationS);
    const auto refine = [&](Tempo best) {
        for (double step = coarse / 10.0; step > 1e-4; step /= 10.0) {
            const double centre = best.bpm;
            for (int k = -10; k <= 10; ++k)
                if (const double c = beatCoherence(onsets, strengths, centre + k * step); c > best.coherence)
                    best = {centre + k * step, c};
        }
        return best;
    };
    Tempo best;
    for (double bpm = kMinBpm; bpm <= kMaxBpm; bpm += coarse)
        if (const double c = beatCoherence(onsets, strengths, bpm); c > best.coherence)
            best = {bpm, c};
    best = refine(best);
    // Half the beat explains the onsets as well when the backbeat is weak in them (a kick on 1 and 3,
    // a snare on 2 and 4 at half its level): the faster one is the tempo unless its beat explains
    // them much worse (the slow tempo's off-beats then land on it).
    if (2.0 * best.bpm <= kMaxBpm) {
        Tempo twice{2.0 * best.bpm, beatCoherence(onsets, strengths, 2.0 * best.bpm)};
        for (double bpm = twice.bpm - 10.0 * coarse; bpm <= twice.bpm + 10.0 * coarse; bpm += coarse / 10.0)
            if (const double c = beatCoherence(onsets, strengths, bpm); c > twice.coherence)
                twice = {bpm, c};
        twice = refine(twice);
        if (twice.coherence >= 0.5 * best.coherence)
            best = twice;
    }
    // The beat's place among the onsets is pulled by those off it (a kick on the and of 2): where
    // most of them are on a grid of sixteenths, that grid, four times as fine, says the tempo more
    // precisely (dnb-175 over 16 s: 173.9 BPM from its beat, 175.0 from its sixteenths).
    Tempo sixteenths{4.0 * best.bpm, beatCoherence(onsets, strengths, 4.0 * best.bpm)};
    for (double bpm = 0.99 * sixteenths.bpm; bpm <= 1.01 * sixteenths.bpm; bpm += coarse / 10.0)
        if (const double c = beatCoherence(onsets, strengths, bpm); c > sixteenths.coherence)
            sixteenths = {bpm, c};
    sixteenths = refine(sixteenths);
    // A handful of onsets falls on some beat by chance (13 echoed bells over 30 s of the ambient
    // example lined up at 117.9 BPM, 0.68): a tempo needs many onsets, most on its sixteenths.
    if (onsets.size() < kMinOnsets || sixteenths.coherence < 0.5)
        return {};
    best.bpm = sixteenths.bpm / 4.0;
    return best;
}

} // namespace

AnalysisSummary AudioAnalyzer::summary() const {
    AnalysisSummary a;
    if (!m_state)
        return a;
    const State& s = *m_state;
    a.sampleRateHz = s.rate;
    a.durationS = static_cast<double>(s.frames) / s.rate;
    a.integratedLufs = s.loudness.integratedLufs();
    a.shortTermLufs = s.loudness.shortTermLufs();
    a.momentaryLufs = s.loudness.momentaryLufs();
    a.shortTermMaxLufs = std::max(s.shortTermMax, a.shortTermLufs);
    a.momentaryMaxLufs = std::max(s.momentaryMax, a.momentaryLufs);
    a.loudnessRangeLu = s.loudness.loudnessRangeLu();
    a.truePeakDbtp = dbAmplitude(s.loudness.truePeak());
    a.samplePeakDbfs = dbAmplitude(s.peak);
    a.clippedSamples = s.clipped;
    const double n = static_cast<double>(s.frames);
    if (s.frames > 0) {
        a.rmsDbfs = db((s.sumLL + s.sumRR) / (2.0 * n));
        a.dcLeft = s.sumL / n;
        a.dcRight = s.sumR / n;
        const double vl = s.sumLL - s.sumL * s.sumL / n, vr = s.sumRR - s.sumR * s.sumR / n;
        const double cov = s.sumLR - s.sumL * s.sumR / n;
        a.stereoCorrelation = (vl > 0.0 && vr > 0.0) ? std::clamp(cov / std::sqrt(vl * vr), -1.0, 1.0) : 0.0;
        const double mid = 0.25 * (s.sumLL + s.sumRR + 2.0 * s.sumLR), side = 0.25 * (s.sumLL + s.sumRR - 2.0 * s.sumLR);
        a.stereoWidth = (mid + side) > 0.0 ? std::clamp(side / (mid + side), 0.0, 1.0) : 0.0;
    } else {
        a.rmsDbfs = -kInf;
    }

    if (s.pitches.frames > 0 && s.pitchFramesAudible > 0) {
        a.pitchHz = s.pitches.medianHz();
        a.pitchConfidence = std::min(1.0, static_cast<double>(s.pitches.frames) / static_cast<double>(s.pitchFramesAudible)) *
                            s.pitches.sumConfidence / static_cast<double>(s.pitches.frames);
        a.pitchNote = noteName(a.pitchHz, &a.pitchCents);
    }

    // The spectrum: bins are rate / size apart; a Hann window's power sums to 3/8 of size per
    // sample squared, and a full-scale sine's mean square is 1/2.
    double total = 0.0, weighted = 0.0;
    for (std::size_t k = 1; k < s.power.size(); ++k) {
        total += s.power[k];
        weighted += s.power[k] * static_cast<double>(k) * s.rate / kFftSize;
    }
    a.octaveBandsDb.fill(-kInf);
    if (s.spectra > 0 && total > 0.0) {
        a.spectralCentroidHz = weighted / total;
        double acc = 0.0;
        for (std::size_t k = 1; k < s.power.size(); ++k) {
            acc += s.power[k];
            if (acc >= 0.85 * total) {
                a.spectralRolloffHz = static_cast<double>(k) * s.rate / kFftSize;
                break;
            }
        }
        // Power per bin to mean square of the signal: sum |X|^2 over both halves = N * sum (w x)^2,
        // with sum w^2 = 3N/8; one side holds half of it.
        const double toMeanSquare = 2.0 / (static_cast<double>(s.spectra) * kFftSize * (3.0 * kFftSize / 8.0));
        for (std::size_t b = 0; b < a.octaveBandsDb.size(); ++b) {
            const double lo = AnalysisSummary::kOctaveCentresHz[b] / std::sqrt(2.0);
            const double hi = AnalysisSummary::kOctaveCentresHz[b] * std::sqrt(2.0);
            double p = 0.0;
            for (std::size_t k = 1; k < s.power.size(); ++k) {
                const double f = static_cast<double>(k) * s.rate / kFftSize;
                if (f >= lo && f < hi)
                    p += s.power[k];
            }
            a.octaveBandsDb[b] = db(p * toMeanSquare / 0.5);
        }
    }

    a.onsetsS = s.onsets;
    a.onsetCount = s.onsetCount;
    const Tempo tempo = findTempo(s.onsets, s.onsetStrengths, a.durationS);
    if (tempo.bpm > 0.0) {
        a.tempoBpm = tempo.bpm;
        a.tempoConfidence = tempo.coherence;
    }

    const double windowS = static_cast<double>(s.windowFrames) / s.rate;
    a.silenceS = static_cast<double>(s.silentWindows) * windowS;
    a.silent = s.firstAudibleWindow < 0;
    if (a.silent) {
        a.leadingSilenceS = a.trailingSilenceS = static_cast<double>(s.windows) * windowS;
    } else {
        a.leadingSilenceS = static_cast<double>(s.firstAudibleWindow) * windowS;
        a.trailingSilenceS = static_cast<double>(static_cast<std::int64_t>(s.windows) - 1 - s.lastAudibleWindow) * windowS;
    }
    return a;
}

std::string noteName(double hz, double* cents) {
    if (!(hz > 0.0) || !std::isfinite(hz)) {
        if (cents)
            *cents = 0.0;
        return {};
    }
    static const char* const names[] = {"C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"};
    const double midi = 69.0 + 12.0 * std::log2(hz / 440.0);
    const long nearest = std::lround(midi);
    if (cents)
        *cents = 100.0 * (midi - static_cast<double>(nearest));
    const long pc = ((nearest % 12) + 12) % 12;
    const long octave = (nearest - pc) / 12 - 1; // MIDI 60 = C4
    return std::string(names[pc]) + std::to_string(octave);
}

namespace {

std::string number(double v, int decimals) {
    if (!std::isfinite(v))
        return "null";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

std::string text(double v, int decimals) { return std::isfinite(v) ? number(v, decimals) : (v < 0 ? "-inf" : "inf"); }

} // namespace

std::string toJson(const AnalysisSummary& a) {
    std::string j = "{";
    auto field = [&](const char* name, const std::string& value) {
        if (j.size() > 1)
            j += ", ";
        j += '"';
        j += name;
        j += "\": ";
        j += value;
    };
    field("duration_s", number(a.durationS, 6));
    field("sample_rate_hz", number(a.sampleRateHz, 0));
    field("integrated_lufs", number(a.integratedLufs, 2));
    field("short_term_lufs", number(a.shortTermLufs, 2));
    field("short_term_max_lufs", number(a.shortTermMaxLufs, 2));
    field("momentary_lufs", number(a.momentaryLufs, 2));
    field("momentary_max_lufs", number(a.momentaryMaxLufs, 2));
    field("loudness_range_lu", number(a.loudnessRangeLu, 2));
    field("true_peak_dbtp", number(a.truePeakDbtp, 2));
    field("sample_peak_dbfs", number(a.samplePeakDbfs, 2));
    field("rms_dbfs", number(a.rmsDbfs, 2));
    field("clipped_samples", std::to_string(a.clippedSamples));
    field("dc_left", number(a.dcLeft, 6));
    field("dc_right", number(a.dcRight, 6));
    field("stereo_correlation", number(a.stereoCorrelation, 4));
    field("stereo_width", number(a.stereoWidth, 4));
    field("pitch_hz", number(a.pitchHz, 3));
    field("pitch_confidence", number(a.pitchConfidence, 3));
    field("pitch_note", a.pitchNote.empty() ? std::string("null") : '"' + a.pitchNote + '"');
    field("pitch_cents", number(a.pitchCents, 1));
    field("spectral_centroid_hz", number(a.spectralCentroidHz, 1));
    field("spectral_rolloff_hz", number(a.spectralRolloffHz, 1));
    std::string bands = "{";
    for (std::size_t b = 0; b < a.octaveBandsDb.size(); ++b) {
        if (b)
            bands += ", ";
        bands += '"';
        bands += number(AnalysisSummary::kOctaveCentresHz[b], AnalysisSummary::kOctaveCentresHz[b] < 32 ? 1 : 0);
        bands += "\": ";
        bands += number(a.octaveBandsDb[b], 2);
    }
    field("octave_bands_db", bands + "}");
    std::string onsets = "[";
    for (std::size_t i = 0; i < a.onsetsS.size(); ++i)
        onsets += (i ? ", " : "") + number(a.onsetsS[i], 5);
    field("onsets_s", onsets + "]");
    field("onset_count", std::to_string(a.onsetCount));
    field("tempo_bpm", number(a.tempoBpm, 2));
    field("tempo_confidence", number(a.tempoConfidence, 3));
    field("silence_s", number(a.silenceS, 3));
    field("leading_silence_s", number(a.leadingSilenceS, 3));
    field("trailing_silence_s", number(a.trailingSilenceS, 3));
    field("silence_threshold_dbfs", number(AnalysisSummary::kSilenceThresholdDbfs, 1));
    field("silent", a.silent ? "true" : "false");
    return j + "}";
}

std::string describe(const AnalysisSummary& a) {
    std::string p = number(a.durationS, 2) + " s at " + number(a.sampleRateHz, 0) + " Hz";
    if (a.silent)
        return p + ": silent (every 10 ms below " + number(AnalysisSummary::kSilenceThresholdDbfs, 0) + " dBFS).";
    p += ": " + text(a.integratedLufs, 1) + " LUFS integrated (short-term max " + text(a.shortTermMaxLufs, 1) +
         ", momentary max " + text(a.momentaryMaxLufs, 1) + ", range " + number(a.loudnessRangeLu, 1) + " LU), true peak " +
         text(a.truePeakDbtp, 1) + " dBTP, ";
    p += a.clippedSamples ? std::to_string(a.clippedSamples) + " samples clipped" : std::string("no clipping");
    const double dc = std::max(std::fabs(a.dcLeft), std::fabs(a.dcRight));
    p += dc >= 0.001 ? ", DC " + number(100.0 * dc, 1) + " % of full scale. " : ". ";
    p += "Stereo correlation " + number(a.stereoCorrelation, 2) + ", width " + number(a.stereoWidth, 2) + ". ";
    if (a.pitchHz > 0.0)
        p += "Pitch " + number(a.pitchHz, 1) + " Hz (" + a.pitchNote + (a.pitchCents >= 0 ? " +" : " ") +
             number(a.pitchCents, 0) + " cents, confidence " + number(a.pitchConfidence, 2) + "). ";
    else
        p += "No clear pitch. ";
    std::size_t loudest = 0;
    for (std::size_t b = 1; b < a.octaveBandsDb.size(); ++b)
        if (a.octaveBandsDb[b] > a.octaveBandsDb[loudest])
            loudest = b;
    p += "Spectral centroid " + number(a.spectralCentroidHz, 0) + " Hz, 85 % roll-off " + number(a.spectralRolloffHz, 0) +
         " Hz, loudest octave " + number(AnalysisSummary::kOctaveCentresHz[loudest], loudest ? 0 : 1) + " Hz. ";
    p += std::to_string(a.onsetCount) + " onsets";
    p += a.tempoBpm > 0.0 ? ", tempo " + number(a.tempoBpm, 1) + " BPM (confidence " + number(a.tempoConfidence, 2) + ")"
                          : ", no steady tempo";
    p += a.silenceS > 0.0 ? "; " + number(a.silenceS, 2) + " s of silence (" + number(a.leadingSilenceS, 2) +
                                " s at the start, " + number(a.trailingSilenceS, 2) + " s at the end)."
                          : "; no silence.";
    return p;
}

} // namespace chronus::app
