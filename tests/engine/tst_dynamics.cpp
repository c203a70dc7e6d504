// The master dynamics: the limiter's output never exceeds its ceiling, whatever it is fed (+20 dB
// sines up to Nyquist, noise, impulses, square bursts, at three rates and four block sizes), passes
// quieter signals untouched after its look-ahead, recovers with its release time and ramps its gain
// down without a click; the clipper stays within its ceiling, leaves small signals as they were and
// aliases less than its curve would without oversampling.

#include "EngineTestUtils.hpp"
#include "ModuleDriver.hpp"
#include "engine/OfflineRenderer.hpp"
#include "engine/modules/Clipper.hpp"
#include "engine/modules/Limiter.hpp"
#include "support/SignalAnalysis.hpp"

#include <QObject>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numbers>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace chronus::test {

using engine::Clipper;
using engine::Limiter;
using engine::OfflineRenderer;

namespace {

constexpr double kTwoPi = 2.0 * std::numbers::pi;

// The ceiling as the modules compute it from dB.
float ceilingFromDb(double db) {
    return std::pow(10.0f, static_cast<float>(db) / 20.0f);
}

std::vector<float> sine(double frequency, double amplitude, double sampleRate, std::size_t frames,
                        double phase = 0.0) {
    std::vector<float> x(frames);
    for (std::size_t i = 0; i < frames; ++i)
        x[i] = static_cast<float>(amplitude *
                                  std::sin(kTwoPi * frequency * static_cast<double>(i) / sampleRate + phase));
    return x;
}

// A named test signal of peak about 1, scaled by the caller.
struct TestSignal {
    std::string name;
    std::function<std::vector<float>(double sampleRate, std::size_t frames)> make;
};

std::vector<TestSignal> testSignals() {
    std::vector<TestSignal> s;
    for (double f : {50.0, 997.0, 5000.0})
        s.push_back({"sine " + std::to_string(static_cast<int>(f)) + " Hz",
                     [f](double sr, std::size_t n) { return sine(f, 1.0, sr, n, 0.3); }});
    // Near Nyquist the samples miss the waveform's peaks by a varying amount, and at a quarter of
    // the rate with a 45 degree phase every sample sits 3 dB below the true peak.
    s.push_back({"sine 0.45 fs", [](double sr, std::size_t n) { return sine(0.45 * sr, 1.0, sr, n); }});
    s.push_back({"sine 0.499 fs", [](double sr, std::size_t n) { return sine(0.499 * sr, 1.0, sr, n); }});
    s.push_back({"sine fs/4 at 45 deg", [](double sr, std::size_t n) {
                     return sine(0.25 * sr, 1.0, sr, n, std::numbers::pi / 4.0);
                 }});
    s.push_back({"white noise", [](double, std::size_t n) {
                     std::mt19937 rng(1234);
                     std::uniform_real_distribution<float> d(-1.0f, 1.0f);
                     std::vector<float> x(n);
                     for (float& v : x)
                         v = d(rng);
                     return x;
                 }});
    s.push_back({"impulses", [](double, std::size_t n) {
                     // Single samples and pairs of either sign, 1 to 2000 samples apart: each one
                     // after silence asks for the full reduction within the look-ahead.
                     std::mt19937 rng(99);
                     std::uniform_int_distribution<int> gap(1, 2000);
                     std::vector<float> x(n, 0.0f);
                     float sign = 1.0f;
                     for (std::size_t i = 100; i < n; i += static_cast<std::size_t>(gap(rng))) {
                         x[i] = sign;
                         if (i + 1 < n && gap(rng) < 500)
                             x[i + 1] = -sign;
                         sign = -sign;
                     }
                     return x;
                 }});
    s.push_back({"square bursts", [](double sr, std::size_t n) {
                     // A naive (aliased) 110 Hz square, 40 ms on and 60 ms off.
                     std::vector<float> x(n, 0.0f);
                     for (std::size_t i = 0; i < n; ++i) {
                         const double t = static_cast<double>(i) / sr;
                         if (std::fmod(t, 0.1) < 0.04)
                             x[i] = std::fmod(t * 110.0, 1.0) < 0.5 ? 1.0f : -1.0f;
                     }
                     return x;
                 }});
    s.push_back({"noise bursts of random level", [](double sr, std::size_t n) {
                     // Level jumps between -40 and 0 dB every 1 to 50 ms: attack and release overlap.
                     std::mt19937 rng(7);
                     std::uniform_real_distribution<float> d(-1.0f, 1.0f);
                     std::uniform_real_distribution<double> levelDb(-40.0, 0.0);
                     std::uniform_real_distribution<double> length(0.001, 0.05);
                     std::vector<float> x(n);
                     float level = 1.0f;
                     std::size_t next = 0;
                     for (std::size_t i = 0; i < n; ++i) {
                         if (i == next) {
                             level = static_cast<float>(std::pow(10.0, levelDb(rng) / 20.0));
                             next = i + static_cast<std::size_t>(length(rng) * sr);
                         }
                         x[i] = level * d(rng);
                     }
                     return x;
                 }});
    return s;
}

// The strongest component below `maxHz` that is not a harmonic of `fundamental`, in dB relative to
// the fundamental (inharmonicLevelDb over a part of the band).
double aliasLevelDb(std::span<const float> x, double sampleRate, double fundamental, double maxHz) {
    const std::vector<double> mag = magnitudeSpectrum(x);
    const double binHz = sampleRate / static_cast<double>(x.size());
    const double guardHz = 8.0 * binHz;
    double fundamentalMag = 0.0, worst = 0.0;
    for (std::size_t k = 1; k < mag.size() && static_cast<double>(k) * binHz <= maxHz; ++k) {
        const double f = static_cast<double>(k) * binHz;
        if (std::fabs(f - fundamental) <= guardHz)
            fundamentalMag = std::max(fundamentalMag, mag[k]);
        if (std::fabs(f - std::round(f / fundamental) * fundamental) > guardHz)
            worst = std::max(worst, mag[k]);
    }
    return 20.0 * std::log10(std::max(worst, 1e-300) / std::max(fundamentalMag, 1e-300));
}

void scale(std::vector<float>& x, float gain) {
    for (float& v : x)
        v *= gain;
}

} // namespace

class TestDynamics : public QObject {
    Q_OBJECT

private slots:
    void limiterNeverExceedsCeiling_data();
    void limiterNeverExceedsCeiling();
    void limiterInPatchHoldsCeilingAt20dBInputGain_data();
    void limiterInPatchHoldsCeilingAt20dBInputGain();
    void limiterPassesQuietSignalsUnchangedAfterLookahead_data();
    void limiterPassesQuietSignalsUnchangedAfterLookahead();
    void limiterRecoversWithReleaseTime_data();
    void limiterRecoversWithReleaseTime();
    void limiterRampsGainDownWithoutClick_data();
    void limiterRampsGainDownWithoutClick();
    void limiterMonoInputFeedsBothOutputs();
    void limiterTruePeakHoldsPeaksBetweenSamples_data();
    void limiterTruePeakHoldsPeaksBetweenSamples();
    void limiterTruePeakNeverExceedsCeilingOversampled_data();
    void limiterTruePeakNeverExceedsCeilingOversampled();

    void clipperNeverExceedsCeiling_data();
    void clipperNeverExceedsCeiling();
    void clipperLeavesSmallSignalsUnchanged_data();
    void clipperLeavesSmallSignalsUnchanged();
    void clipperOversamplingReducesAliasing_data();
    void clipperOversamplingReducesAliasing();
};

// ---------------------------------------------------------------------------------------------------
// Limiter

void TestDynamics::limiterNeverExceedsCeiling_data() {
    addRateBlockRows();
}

void TestDynamics::limiterNeverExceedsCeiling() {
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    const std::size_t frames = static_cast<std::size_t>(0.3 * sampleRate);
    const std::vector<TestSignal> sources = testSignals();
    double worstRatio = 0.0;
    for (std::size_t k = 0; k < sources.size(); ++k) {
        // +20 dB: ten times full scale, on the left; the next signal on the right, so the linked
        // gain has to serve two different demands.
        std::vector<float> left = sources[k].make(sampleRate, frames);
        std::vector<float> right = sources[(k + 1) % sources.size()].make(sampleRate, frames);
        scale(left, 10.0f);
        scale(right, 10.0f);
        for (double ceilingDb : {-0.3, -6.0})
            for (int truePeak : {0, 1}) {
                const QString what = QStringLiteral("%1, ceiling %2 dB, true peak %3")
                                         .arg(QString::fromStdString(sources[k].name))
                                         .arg(ceilingDb)
                                         .arg(truePeak);
                ModuleDriver d("limiter", sampleRate, blockSize);
                QVERIFY(d.valid());
                QVERIFY(d.setParam("ceiling", ceilingDb));
                QVERIFY(d.setParam("true_peak", truePeak));
                QVERIFY(d.connect("in", &left));
                QVERIFY(d.connect("right", &right));
                const auto out = d.run(frames);
                const float ceiling = ceilingFromDb(ceilingDb);
                float loudest = 0.0f;
                for (const std::vector<float>& ch : out) {
                    QVERIFY2(allFinite(ch), qPrintable(what));
                    const float p = peak(ch);
                    loudest = std::max(loudest, p);
                    worstRatio = std::max(worstRatio, static_cast<double>(p) / static_cast<double>(ceiling));
                    QVERIFY2(p <= ceiling, qPrintable(QStringLiteral("%1: peak %2 above %3")
                                                          .arg(what)
                                                          .arg(static_cast<double>(p), 0, 'g', 9)
                                                          .arg(static_cast<double>(ceiling), 0, 'g', 9)));
                }
                // Not vacuous: the limiter brings the louder side up to its ceiling, it does not mute
                // it (with true peaks on, the samples of a signal may stay below by its crest between
                // samples: 3 dB for the quarter-rate sine at 45 degrees).
                QVERIFY2(loudest > 0.6f * ceiling,
                         qPrintable(QStringLiteral("%1: peak only %2").arg(what).arg(loudest)));
                // The gain computer alone keeps the ceiling: the safety clamp never had to act.
                QVERIFY2(d.as<Limiter>().clampedSamples() == 0,
                         qPrintable(QStringLiteral("%1: clamp engaged %2 times")
                                        .arg(what)
                                        .arg(d.as<Limiter>().clampedSamples())));
            }
    }
    reportFigure(QStringLiteral("limiter @ %1/%2: highest peak / ceiling over all signals %3")
                     .arg(sampleRate)
                     .arg(blockSize)
                     .arg(worstRatio, 0, 'f', 9));
}

void TestDynamics::limiterInPatchHoldsCeilingAt20dBInputGain_data() {
    addRateBlockRows();
}

void TestDynamics::limiterInPatchHoldsCeilingAt20dBInputGain() {
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    struct Source {
        const char* type;
        double freq;
    };
    // Full-scale oscillators into the limiter's +20 dB input gain, in a patch as a user builds it.
    const Source sources[] = {
        {"sine", 19000.0}, {"sine", 60.0}, {"saw", 110.0}, {"square", 1234.0}, {"noise", 0.0}};
    const float ceiling = ceilingFromDb(-0.3);
    for (const Source& s : sources) {
        OfflineRenderer r{sampleRate, blockSize};
        engine::PatchGraph& g = r.graph();
        CHRONUS_VERIFY_OK(g.addModule("src", s.type));
        CHRONUS_VERIFY_OK(g.setParam("src", "gain", 1.0));
        if (s.freq > 0.0)
            CHRONUS_VERIFY_OK(g.setParam("src", "freq", s.freq));
        CHRONUS_VERIFY_OK(g.addModule("lim", "limiter"));
        CHRONUS_VERIFY_OK(g.setParam("lim", "input_gain", 20.0));
        CHRONUS_VERIFY_OK(g.connect("src", "lim.in"));
        CHRONUS_VERIFY_OK(g.connect("lim.left", "out.left"));
        CHRONUS_VERIFY_OK(g.connect("lim.right", "out.right"));
        auto rendered = r.render(0.5);
        CHRONUS_VERIFY_OK(rendered);
        const QString what = QStringLiteral("%1 %2 Hz").arg(s.type).arg(s.freq);
        QVERIFY2(allFinite(rendered->left) && allFinite(rendered->right), qPrintable(what));
        const float pl = peak(rendered->left), pr = peak(rendered->right);
        QVERIFY2(pl <= ceiling && pr <= ceiling,
                 qPrintable(QStringLiteral("%1: peaks %2 %3").arg(what).arg(pl).arg(pr)));
        QVERIFY2(pl > 0.6f * ceiling, qPrintable(QStringLiteral("%1: peak only %2").arg(what).arg(pl)));
    }
}

void TestDynamics::limiterPassesQuietSignalsUnchangedAfterLookahead_data() {
    addRateBlockRows();
}

void TestDynamics::limiterPassesQuietSignalsUnchangedAfterLookahead() {
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    const std::size_t frames = static_cast<std::size_t>(0.5 * sampleRate);
    // Peaks (true peaks too) below the -6 dB ceiling: 0.45 and 0.3 plus a little noise.
    std::vector<float> left = sine(997.0, 0.45, sampleRate, frames);
    std::vector<float> right = sine(3001.0, 0.3, sampleRate, frames, 1.0);
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> d(-0.02f, 0.02f);
    for (float& v : right)
        v += d(rng);
    const std::size_t latency = static_cast<std::size_t>(Limiter::latencyFrames(sampleRate));
    reportFigure(QStringLiteral("limiter latency @ %1: %2 samples = %3 ms")
                     .arg(sampleRate)
                     .arg(latency)
                     .arg(1000.0 * static_cast<double>(latency) / sampleRate));
    QVERIFY(latency > static_cast<std::size_t>(0.002 * sampleRate) &&
            latency < static_cast<std::size_t>(0.003 * sampleRate)); // 2 ms + 32 samples
    ModuleDriver dr("limiter", sampleRate, blockSize);
    QVERIFY(dr.setParam("ceiling", -6.0));
    QVERIFY(dr.connect("in", &left));
    QVERIFY(dr.connect("right", &right));
    const auto out = dr.run(frames);
    for (std::size_t i = 0; i < latency; ++i)
        QCOMPARE(out[0][i], 0.0f);
    // Unity gain exactly: the output is the input, bit for bit, `latency` samples later.
    for (std::size_t i = latency; i < frames; ++i) {
        if (out[0][i] != left[i - latency] || out[1][i] != right[i - latency])
            QFAIL(qPrintable(
                QStringLiteral("sample %1 differs: %2 vs %3").arg(i).arg(out[0][i]).arg(left[i - latency])));
    }
    QCOMPARE(dr.as<Limiter>().currentGain(), 1.0);
}

void TestDynamics::limiterRecoversWithReleaseTime_data() {
    QTest::addColumn<double>("sampleRate");
    QTest::addColumn<double>("releaseMs");
    for (double sampleRate : kSampleRates)
        for (double releaseMs : {30.0, 100.0, 400.0})
            QTest::addRow("%gk/%g ms", sampleRate / 1000.0, releaseMs) << sampleRate << releaseMs;
}

void TestDynamics::limiterRecoversWithReleaseTime() {
    QFETCH(double, sampleRate);
    QFETCH(double, releaseMs);
    // Left: a steady 0.25, so that left out / 0.25 is the limiter's gain. Right: a 1 kHz burst at
    // +12 dB from 0.1 s to 0.2 s, then silence.
    const std::size_t burstStart = static_cast<std::size_t>(0.1 * sampleRate);
    const std::size_t burstEnd = static_cast<std::size_t>(0.2 * sampleRate);
    const std::size_t frames = burstEnd + static_cast<std::size_t>(8.0 * releaseMs / 1000.0 * sampleRate);
    std::vector<float> left(frames, 0.25f);
    std::vector<float> right(frames, 0.0f);
    const std::vector<float> burst = sine(1000.0, 4.0, sampleRate, frames);
    std::copy(burst.begin() + static_cast<std::ptrdiff_t>(burstStart),
              burst.begin() + static_cast<std::ptrdiff_t>(burstEnd),
              right.begin() + static_cast<std::ptrdiff_t>(burstStart));
    ModuleDriver d("limiter", sampleRate, 64);
    QVERIFY(d.setParam("release", releaseMs));
    QVERIFY(d.connect("in", &left));
    QVERIFY(d.connect("right", &right));
    const auto out = d.run(frames);
    const std::size_t latency = static_cast<std::size_t>(Limiter::latencyFrames(sampleRate));
    std::vector<double> gain(frames);
    for (std::size_t i = 0; i < frames; ++i)
        gain[i] = static_cast<double>(out[0][i]) / 0.25;
    // During the burst the gain sits at ceiling / 4 (true peak of the burst, read with the
    // detector's margin between samples), no lower but for the ringing of the burst's abrupt end
    // between samples (0.5 %).
    const double required = static_cast<double>(ceilingFromDb(-0.3)) / 4.0;
    const double margin = std::pow(10.0, Limiter::kBetweenSamplesMarginDb / 20.0);
    const double least = *std::min_element(gain.begin() + static_cast<std::ptrdiff_t>(latency), gain.end());
    QVERIFY2(least <= required && least > 0.99 * required / margin, qPrintable(QString::number(least)));
    // After the last loud sample leaves, the gain climbs back: 1 - 1/e of the way in `release` ms
    // (plus about 1 ms through the gain smoother), and all the way in the end.
    const std::size_t end = burstEnd + latency;
    const double target = 1.0 - (1.0 - least) / std::numbers::e;
    std::size_t reached = end;
    while (reached < frames && gain[reached] < target)
        ++reached;
    QVERIFY(reached < frames);
    const double measuredMs = 1000.0 * static_cast<double>(reached - end) / sampleRate;
    reportFigure(
        QStringLiteral("limiter @ %1, release %2 ms: gain %3 during the burst, 63 % recovery after %4 ms")
            .arg(sampleRate)
            .arg(releaseMs)
            .arg(least, 0, 'f', 5)
            .arg(measuredMs, 0, 'f', 3));
    QVERIFY2(std::fabs(measuredMs - releaseMs) < 0.02 * releaseMs + 2.0,
             qPrintable(QString::number(measuredMs)));
    QVERIFY2(gain.back() > 0.999, qPrintable(QString::number(gain.back())));
    // The recovery is monotonic: no pumping once the signal is gone.
    for (std::size_t i = end + 1; i < frames; ++i)
        QVERIFY2(gain[i] >= gain[i - 1], qPrintable(QString::number(i)));
}

void TestDynamics::limiterRampsGainDownWithoutClick_data() {
    addRateBlockRows();
}

void TestDynamics::limiterRampsGainDownWithoutClick() {
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    // A 200 Hz sine at 0.5 on the left; on the right a single +20 dB impulse out of silence, which
    // asks for the deepest reduction at once (gain 0.0966). The look-ahead lets the gain glide down
    // before the impulse arrives, so the left channel dips smoothly instead of stepping.
    const std::size_t frames = static_cast<std::size_t>(0.5 * sampleRate);
    const std::size_t impulseAt = static_cast<std::size_t>(0.25 * sampleRate) + 17;
    const std::vector<float> left = sine(200.0, 0.5, sampleRate, frames);
    std::vector<float> right(frames, 0.0f);
    right[impulseAt] = 10.0f;
    ModuleDriver d("limiter", sampleRate, blockSize);
    QVERIFY(d.connect("in", &left));
    QVERIFY(d.connect("right", &right));
    const auto out = d.run(frames);
    const std::size_t latency = static_cast<std::size_t>(Limiter::latencyFrames(sampleRate));
    const float ceiling = ceilingFromDb(-0.3);
    QVERIFY(std::fabs(out[1][impulseAt + latency]) <= ceiling);
    QVERIFY(std::fabs(out[1][impulseAt + latency]) > 0.99f * ceiling);
    // The sine was reduced around the impulse, to the impulse's gain at its sample.
    const double gainAtImpulse =
        static_cast<double>(out[0][impulseAt + latency]) / static_cast<double>(left[impulseAt]);
    QVERIFY2(std::fabs(gainAtImpulse - 0.0966) < 0.001, qPrintable(QString::number(gainAtImpulse)));
    // Largest step: the sine's own steepest step plus at most 0.5 x the gain's largest move per
    // sample, which the look-ahead spreads over about 1 ms (averageLength samples). A hard switch
    // would step by up to 0.5 x 0.9.
    const double sineStep = kTwoPi * 200.0 * 0.5 / sampleRate;
    const double averaging = static_cast<double>(Limiter::averageLength(sampleRate));
    const double bound = sineStep + 0.5 * 1.01 * (1.0 - 0.0966) / averaging;
    const double step = static_cast<double>(largestStep(out[0]));
    reportFigure(QStringLiteral("limiter @ %1/%2: largest step %3 (sine alone %4, hard switch up to %5)")
                     .arg(sampleRate)
                     .arg(blockSize)
                     .arg(step, 0, 'f', 5)
                     .arg(sineStep, 0, 'f', 5)
                     .arg(0.5 * (1.0 - 0.0966), 0, 'f', 5));
    QVERIFY2(step <= bound, qPrintable(QStringLiteral("step %1 above %2").arg(step).arg(bound)));
    QVERIFY2(step < 0.03, qPrintable(QString::number(step)));
    // The dip starts before the impulse: the gain is already below 0.5 one third of the look-ahead
    // ahead of it.
    const std::size_t before = impulseAt + latency - static_cast<std::size_t>(averaging / 3.0);
    const double earlyGain =
        static_cast<double>(out[0][before]) / static_cast<double>(left[before - latency]);
    QVERIFY2(earlyGain < 0.5, qPrintable(QString::number(earlyGain)));
}

void TestDynamics::limiterMonoInputFeedsBothOutputs() {
    OfflineRenderer r{48000.0, 64};
    engine::PatchGraph& g = r.graph();
    CHRONUS_VERIFY_OK(g.addModule("src", "saw"));
    CHRONUS_VERIFY_OK(g.setParam("src", "gain", 1.0));
    CHRONUS_VERIFY_OK(g.addModule("lim", "limiter"));
    CHRONUS_VERIFY_OK(g.setParam("lim", "gain", 12.0)); // the alias of input_gain
    CHRONUS_VERIFY_OK(g.connect("src", "lim.in"));
    CHRONUS_VERIFY_OK(g.connect("lim.left", "out.left"));
    CHRONUS_VERIFY_OK(g.connect("lim.right", "out.right"));
    auto rendered = r.render(0.3);
    CHRONUS_VERIFY_OK(rendered);
    QVERIFY(rendered->left == rendered->right);
    QVERIFY(peak(rendered->left) > 0.9f);
    QVERIFY(peak(rendered->left) <= ceilingFromDb(-0.3));
}

void TestDynamics::limiterTruePeakHoldsPeaksBetweenSamples_data() {
    QTest::addColumn<double>("sampleRate");
    QTest::addColumn<double>("relativeFrequency");
    QTest::addColumn<double>("phase");
    for (double sampleRate : {44100.0, 96000.0}) {
        QTest::addRow("%gk/fs4 at 45 deg", sampleRate / 1000.0)
            << sampleRate << 0.25 << std::numbers::pi / 4.0;
        QTest::addRow("%gk/0.3 fs", sampleRate / 1000.0) << sampleRate << 0.3 << 0.1;
        QTest::addRow("%gk/997 Hz", sampleRate / 1000.0) << sampleRate << 997.0 / sampleRate << 0.5;
    }
}

void TestDynamics::limiterTruePeakHoldsPeaksBetweenSamples() {
    QFETCH(double, sampleRate);
    QFETCH(double, relativeFrequency);
    QFETCH(double, phase);
    // A steady +20 dB sine: once the gain has settled the output is a pure sine, whose amplitude
    // (its true peak, between the samples) the Goertzel level measures.
    const double frequency = relativeFrequency * sampleRate;
    const std::size_t frames = static_cast<std::size_t>(0.5 * sampleRate);
    const std::vector<float> in = sine(frequency, 10.0, sampleRate, frames, phase);
    const double ceilingDb = -1.0;
    double levels[2] = {};
    for (int truePeak : {0, 1}) {
        ModuleDriver d("limiter", sampleRate, 64);
        QVERIFY(d.setParam("ceiling", ceilingDb));
        QVERIFY(d.setParam("true_peak", truePeak));
        QVERIFY(d.connect("in", &in));
        const auto out = d.run(frames);
        QVERIFY(peak(out[0]) <= ceilingFromDb(ceilingDb));
        levels[truePeak] =
            toneLevelDb(std::span<const float>(out[0]).subspan(frames / 2), sampleRate, frequency);
    }
    reportFigure(
        QStringLiteral("limiter @ %1, %2 Hz: true peak %3 dB with true-peak detection, %4 dB without "
                       "(ceiling %5 dB)")
            .arg(sampleRate)
            .arg(frequency)
            .arg(levels[1], 0, 'f', 3)
            .arg(levels[0], 0, 'f', 3)
            .arg(ceilingDb));
    // With detection between samples the reconstructed peak stays within 0.3 dB of the ceiling
    // (the 4x interpolator can miss a peak between its points by that much at 0.3 x the rate).
    QVERIFY2(levels[1] < ceilingDb + 0.3 && levels[1] > ceilingDb - 0.5,
             qPrintable(QString::number(levels[1])));
    // Without it only the samples are held: at a quarter of the rate and 45 degrees they sit 3 dB
    // below the waveform's peaks, which then pass 3 dB over the ceiling.
    QVERIFY(levels[0] >= levels[1] - 0.01);
    if (relativeFrequency == 0.25)
        QVERIFY2(std::fabs(levels[0] - (ceilingDb + 3.01)) < 0.05, qPrintable(QString::number(levels[0])));
}

namespace {
// `x` low-passed at 0.44 of the rate (a Kaiser-windowed sinc of 255 taps, beta 9: -90 dB from 0.45
// on): noise whose content stays in the band the limiter's true-peak guarantee covers.
std::vector<float> bandLimited(const std::vector<float>& x) {
    constexpr int kHalf = 127;
    std::vector<double> h(2 * kHalf + 1);
    double sum = 0.0;
    for (int j = -kHalf; j <= kHalf; ++j) {
        const double sinc = j == 0 ? 1.0 : std::sin(std::numbers::pi * 0.88 * j) / (std::numbers::pi * 0.88 * j);
        const double r = static_cast<double>(j) / (kHalf + 1);
        h[static_cast<std::size_t>(j + kHalf)] = sinc * std::cyl_bessel_i(0.0, 9.0 * std::sqrt(1.0 - r * r));
        sum += h[static_cast<std::size_t>(j + kHalf)];
    }
    std::vector<float> y(x.size(), 0.0f);
    for (std::size_t i = 0; i < x.size(); ++i) {
        double acc = 0.0;
        for (int j = -kHalf; j <= kHalf; ++j) {
            const auto k = static_cast<std::ptrdiff_t>(i) - j;
            if (k >= 0 && k < static_cast<std::ptrdiff_t>(x.size()))
                acc += h[static_cast<std::size_t>(j + kHalf)] / sum * static_cast<double>(x[static_cast<std::size_t>(k)]);
        }
        y[i] = static_cast<float>(acc);
    }
    return y;
}
} // namespace

void TestDynamics::limiterTruePeakNeverExceedsCeilingOversampled_data() {
    QTest::addColumn<double>("sampleRate");
    QTest::addColumn<double>("inputDb");
    // CHRONUS_QUICK_SWEEP (the ASan stage): each rate and each level once.
    const bool quick = quickSweep();
    const double rates[] = {44100.0, 48000.0, 96000.0}, levels[] = {0.0, 6.0, 20.0};
    for (int r = 0; r < 3; ++r)
        for (int l = 0; l < 3; ++l)
            if (!quick || r == 2 - l)
                QTest::addRow("%gk/+%g dB", rates[r] / 1000.0, levels[l]) << rates[r] << levels[l];
}

// With true_peak on, the output's true peak stays at or below the ceiling, measured by libebur128's
// meter (4x) and by the 8x and 16x reference interpolation of the test support, on the hostile set
// (full-scale naive squares, fs/4 at 45 degrees, sines up to 0.499 fs, impulses, noise), at 0, +6
// and +20 dB, each channel a different signal so the linked gain serves two demands.
void TestDynamics::limiterTruePeakNeverExceedsCeilingOversampled() {
    QFETCH(double, sampleRate);
    QFETCH(double, inputDb);
    const std::size_t frames = static_cast<std::size_t>(0.4 * sampleRate);
    // The noises band-limited to 0.44 of the rate: content between 0.45 of the rate and Nyquist is
    // read low by any short interpolator (the limiter's), so the guarantee does not cover it.
    std::vector<TestSignal> sources = testSignals();
    for (TestSignal& s : sources)
        if (s.name.find("noise") != std::string::npos) {
            const auto make = s.make;
            s.name += ", band-limited";
            s.make = [make](double sr, std::size_t n) { return bandLimited(make(sr, n)); };
        }
    const float gain = static_cast<float>(std::pow(10.0, inputDb / 20.0));
    double worst[3] = {};
    QString worstName[3];
    for (std::size_t k = 0; k < sources.size(); ++k) {
        std::vector<float> left = sources[k].make(sampleRate, frames);
        std::vector<float> right = sources[(k + 3) % sources.size()].make(sampleRate, frames);
        scale(left, gain);
        scale(right, gain);
        // A 5 ms fade-in: a 0.45 fs tone switched on at full scale spreads its first cycles up to
        // Nyquist, past the band the guarantee covers.
        const std::size_t fade = static_cast<std::size_t>(0.005 * sampleRate);
        for (std::size_t i = 0; i < fade; ++i) {
            const float g = static_cast<float>(0.5 - 0.5 * std::cos(std::numbers::pi * static_cast<double>(i) / static_cast<double>(fade)));
            left[i] *= g;
            right[i] *= g;
        }
        for (double ceilingDb : {-0.3, -1.0}) {
            ModuleDriver d("limiter", sampleRate, 64);
            QVERIFY(d.valid());
            QVERIFY(d.setParam("ceiling", ceilingDb));
            QVERIFY(d.setParam("true_peak", 1));
            QVERIFY(d.connect("in", &left));
            QVERIFY(d.connect("right", &right));
            const auto out = d.run(frames);
            const double ceiling = ceilingFromDb(ceilingDb);
            const double measured[3] = {ebur128TruePeak(out[0], out[1], sampleRate),
                                        std::max(truePeak(out[0], 8), truePeak(out[1], 8)),
                                        std::max(truePeak(out[0], 16), truePeak(out[1], 16))};
            for (int m = 0; m < 3; ++m) {
                const double overDb = 20.0 * std::log10(measured[m] / ceiling);
                if (overDb > worst[m] || worstName[m].isEmpty()) {
                    worst[m] = overDb;
                    worstName[m] = QString::fromStdString(sources[k].name) + QStringLiteral(" at %1 dB").arg(ceilingDb);
                }
            }
        }
    }
    reportFigure(QStringLiteral("limiter true peak @ %1, +%2 dB: highest over the ceiling, dB: libebur128 %3 (%4), "
                                "8x %5 (%6), 16x %7 (%8)")
                     .arg(sampleRate).arg(inputDb)
                     .arg(worst[0], 0, 'f', 4).arg(worstName[0])
                     .arg(worst[1], 0, 'f', 4).arg(worstName[1])
                     .arg(worst[2], 0, 'f', 4).arg(worstName[2]));
    for (int m = 0; m < 3; ++m)
        QVERIFY2(worst[m] <= 0.0, qPrintable(QStringLiteral("%1 dB over the ceiling (%2)").arg(worst[m]).arg(worstName[m])));
}

// ---------------------------------------------------------------------------------------------------
// Clipper

void TestDynamics::clipperNeverExceedsCeiling_data() {
    addRateBlockRows();
}

void TestDynamics::clipperNeverExceedsCeiling() {
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    const std::size_t frames = static_cast<std::size_t>(0.2 * sampleRate);
    const std::vector<TestSignal> sources = testSignals();
    std::uint64_t clamped = 0, total = 0;
    for (std::size_t k = 0; k < sources.size(); ++k) {
        std::vector<float> left = sources[k].make(sampleRate, frames);
        std::vector<float> right = sources[(k + 1) % sources.size()].make(sampleRate, frames);
        scale(left, 10.0f);
        scale(right, 10.0f);
        for (double ceilingDb : {-0.3, -6.0})
            for (double knee : {0.0, 0.5, 1.0}) {
                const QString what = QStringLiteral("%1, ceiling %2 dB, knee %3")
                                         .arg(QString::fromStdString(sources[k].name))
                                         .arg(ceilingDb)
                                         .arg(knee);
                ModuleDriver d("clipper", sampleRate, blockSize);
                QVERIFY(d.setParam("ceiling", ceilingDb));
                QVERIFY(d.setParam("knee", knee));
                QVERIFY(d.setParam("drive", 6.0));
                QVERIFY(d.connect("in", &left));
                QVERIFY(d.connect("right", &right));
                const auto out = d.run(frames);
                const float ceiling = ceilingFromDb(ceilingDb);
                float loudest = 0.0f;
                for (const std::vector<float>& ch : out) {
                    QVERIFY2(allFinite(ch), qPrintable(what));
                    QVERIFY2(peak(ch) <= ceiling,
                             qPrintable(QStringLiteral("%1: peak %2").arg(what).arg(peak(ch))));
                    loudest = std::max(loudest, peak(ch));
                }
                // Not muted (near Nyquist the halfband filters take up to half of it away).
                QVERIFY2(loudest > 0.45f * ceiling,
                         qPrintable(QStringLiteral("%1: peak %2").arg(what).arg(loudest)));
                clamped += d.as<Clipper>().clampedSamples();
                total += 2 * frames;
            }
    }
    reportFigure(QStringLiteral("clipper @ %1/%2: final clamp changed %3 of %4 samples (%5 %)")
                     .arg(sampleRate)
                     .arg(blockSize)
                     .arg(clamped)
                     .arg(total)
                     .arg(100.0 * static_cast<double>(clamped) / static_cast<double>(total), 0, 'f', 3));
}

void TestDynamics::clipperLeavesSmallSignalsUnchanged_data() {
    QTest::addColumn<double>("sampleRate");
    QTest::addColumn<double>("frequency");
    for (double sampleRate : kSampleRates)
        for (double f : {40.0, 1000.0, 10000.0, 0.4 * sampleRate})
            QTest::addRow("%gk/%g Hz", sampleRate / 1000.0, f) << sampleRate << f;
}

void TestDynamics::clipperLeavesSmallSignalsUnchanged() {
    QFETCH(double, sampleRate);
    QFETCH(double, frequency);
    // -12 dBFS stays under the default threshold (ceiling -1 dB x (1 - softness 0.5) = -7 dB):
    // the clipper is then only its two filters, which leave the band up to 0.4 x the rate flat.
    const std::size_t frames = static_cast<std::size_t>(0.5 * sampleRate);
    const double amplitude = std::pow(10.0, -12.0 / 20.0);
    const std::vector<float> in = sine(frequency, amplitude, sampleRate, frames, 0.7);
    ModuleDriver d("clipper", sampleRate, 64);
    QVERIFY(d.connect("in", &in));
    const auto out = d.run(frames);
    QVERIFY(out[0] == out[1]);
    const std::size_t latency = Clipper::kLatencyFrames;
    double worst = 0.0;
    for (std::size_t i = 1000; i < frames; ++i)
        worst =
            std::max(worst, std::fabs(static_cast<double>(out[0][i]) - static_cast<double>(in[i - latency])));
    const double errorDb = 20.0 * std::log10(std::max(worst, 1e-12) / amplitude);
    reportFigure(QStringLiteral("clipper @ %1, %2 Hz at -12 dB: output minus delayed input at most %3 dB")
                     .arg(sampleRate)
                     .arg(frequency)
                     .arg(errorDb, 0, 'f', 1));
    // Within 0.01 dB of the input in level and phase (an error 60 dB down is 0.009 dB at worst).
    QVERIFY2(errorDb < -60.0, qPrintable(QString::number(errorDb)));
    QCOMPARE(d.as<Clipper>().clampedSamples(), std::uint64_t{0});
}

void TestDynamics::clipperOversamplingReducesAliasing_data() {
    QTest::addColumn<double>("driveDb");
    QTest::addColumn<double>("knee");
    QTest::addColumn<double>("minGainDb");
    // Heavier clipping makes more harmonics above twice the rate, which 2x oversampling folds back
    // too, so the gain shrinks as the drive grows and the knee hardens.
    QTest::addRow("+6 dB, knee 0.5") << 6.0 << 0.5 << 20.0;
    QTest::addRow("+6 dB, knee 1") << 6.0 << 1.0 << 20.0;
    QTest::addRow("+12 dB, knee 0.3") << 12.0 << 0.3 << 6.0;
    QTest::addRow("+12 dB, knee 0 (hard)") << 12.0 << 0.0 << 6.0;
}

void TestDynamics::clipperOversamplingReducesAliasing() {
    QFETCH(double, driveDb);
    QFETCH(double, knee);
    QFETCH(double, minGainDb);
    constexpr double kRate = 48000.0;
    constexpr double kFreq = 4567.0; // the rate is no multiple of it: aliases fall between harmonics
    const std::size_t frames = 1 << 16;
    const std::vector<float> in = sine(kFreq, 0.9, kRate, frames);
    ModuleDriver d("clipper", kRate, 64);
    QVERIFY(d.setParam("drive", driveDb));
    QVERIFY(d.setParam("knee", knee));
    QVERIFY(d.connect("in", &in));
    const auto out = d.run(frames);
    // The same curve applied at the base rate, without oversampling.
    const float ceiling = ceilingFromDb(-1.0);
    const float drive = std::pow(10.0f, static_cast<float>(driveDb) / 20.0f);
    std::vector<float> naive(frames);
    for (std::size_t i = 0; i < frames; ++i)
        naive[i] = Clipper::curve(in[i] * drive, ceiling * (1.0f - static_cast<float>(knee)), ceiling);
    const std::span<const float> steady = std::span<const float>(out[0]).subspan(4096);
    const std::span<const float> naiveSteady = std::span<const float>(naive).subspan(4096);
    // Up to 16 kHz: the halfband filters' transition band (0.4 to 0.6 x the rate) lets some
    // aliasing through into the top octave, where it is hard to hear.
    const double oversampled = aliasLevelDb(steady, kRate, kFreq, 16000.0);
    const double plain = aliasLevelDb(naiveSteady, kRate, kFreq, 16000.0);
    const double all = aliasLevelDb(steady, kRate, kFreq, kRate / 2.0);
    reportFigure(QStringLiteral("clipper, 4567 Hz, drive %1 dB, knee %2: strongest alias below 16 kHz %3 dB "
                                "(the curve at 1x: %4 dB); up to Nyquist %5 dB")
                     .arg(driveDb)
                     .arg(knee)
                     .arg(oversampled, 0, 'f', 1)
                     .arg(plain, 0, 'f', 1)
                     .arg(all, 0, 'f', 1));
    QVERIFY2(oversampled < plain - minGainDb,
             qPrintable(QStringLiteral("%1 vs %2").arg(oversampled).arg(plain)));
    QVERIFY(peak(out[0]) <= ceiling);
}

} // namespace chronus::test

QTEST_APPLESS_MAIN(chronus::test::TestDynamics)
#include "tst_dynamics.moc"
