// The acid ladder filter: self-oscillation at the cutoff, a 4-pole roll-off, passband level that
// holds as the resonance rises, a cutoff envelope that trig, gate events and accent drive, and
// stability under audio-rate modulation and absurd input.

#include "EngineTestUtils.hpp"
#include "PolyCompare.hpp"
#include "engine/ModuleRegistry.hpp"
#include "engine/OfflineRenderer.hpp"
#include "support/SignalAnalysis.hpp"

#include <QObject>
#include <QTest>

#include <cmath>
#include <limits>
#include <memory>
#include <numbers>
#include <span>
#include <vector>

namespace chronus::test {

using engine::OfflineRenderer;

namespace {

constexpr double kMaxOscillationError = 0.02;

// Gain in dB of the ladder at `freq` for a sine of amplitude `amplitude` (small: the linear
// regime), measured against the same sine on the right channel after the transient.
double ladderGainDb(double sampleRate, int blockSize, double cutoff, double resonance, double freq,
                    double amplitude = 0.05) {
    OfflineRenderer r{sampleRate, blockSize};
    engine::PatchGraph& g = r.graph();
    if (!g.addModule("tone", "sine") || !g.setParam("tone", "freq", freq) ||
        !g.setParam("tone", "gain", amplitude) || !g.addModule("filter", "ladder") ||
        !g.setParam("filter", "cutoff", cutoff) || !g.setParam("filter", "resonance", resonance) ||
        !g.connect("tone", "filter.in") || !g.connect("filter", "out.left") ||
        !g.connect("tone", "out.right"))
        return std::nan("");
    auto rendered = r.render(0.5);
    if (!rendered || !allFinite(rendered->left))
        return std::nan("");
    const std::size_t settle = static_cast<std::size_t>(0.2 * sampleRate);
    const std::span<const float> filtered = std::span<const float>(rendered->left).subspan(settle);
    const std::span<const float> input = std::span<const float>(rendered->right).subspan(settle);
    return toneLevelDb(filtered, sampleRate, freq) - toneLevelDb(input, sampleRate, freq);
}

// The linear ladder at resonance 0: four trapezoidal one-poles, each the bilinear image of
// 1 / (1 + s) with the cutoff prewarped.
double theoreticalGainDb(double sampleRate, double cutoff, double freq) {
    const double ratio =
        std::tan(std::numbers::pi * freq / sampleRate) / std::tan(std::numbers::pi * cutoff / sampleRate);
    return -40.0 * std::log10(1.0 + ratio * ratio);
}

// Level (dB) of a band of harmonics of `fundamental` in `x`: the loudest of harmonics first..last.
double harmonicBandDb(std::span<const float> x, double sampleRate, double fundamental, int first, int last) {
    double loudest = -300.0;
    for (int h = first; h <= last; ++h)
        loudest = std::max(loudest, toneLevelDb(x, sampleRate, fundamental * h));
    return loudest;
}

std::span<const float> window(const std::vector<float>& x, double sampleRate, double from, double to) {
    const std::size_t a = static_cast<std::size_t>(from * sampleRate);
    const std::size_t b = std::min(x.size(), static_cast<std::size_t>(to * sampleRate));
    return std::span<const float>(x).subspan(a, b - a);
}

// Renders `frames` samples of a ladder driven directly (no renderer, so no flush-to-zero), in
// blocks of `blockSize`, with `in` on its audio input.
std::vector<float> runDirect(engine::Module& ladder, const std::vector<float>& in, int blockSize) {
    std::vector<float> out(in.size());
    for (std::size_t done = 0; done < in.size();) {
        const int n =
            static_cast<int>(std::min<std::size_t>(in.size() - done, static_cast<std::size_t>(blockSize)));
        const float* inputs[] = {in.data() + done, nullptr, nullptr, nullptr};
        float* outputs[] = {out.data() + done};
        ladder.process({n, inputs, outputs});
        done += static_cast<std::size_t>(n);
    }
    return out;
}

} // namespace

class TestLadder : public QObject {
    Q_OBJECT

private slots:
    void selfOscillatesAtCutoff_data();
    void selfOscillatesAtCutoff();
    void fourPoleRollOffAtResonanceZero_data();
    void fourPoleRollOffAtResonanceZero();
    void passbandLevelHoldsAsResonanceRises_data();
    void passbandLevelHoldsAsResonanceRises();
    void gateEventSweepsCutoffDown();
    void trigInputRestartsEnvelopeAndAccentShortensIt();
    void audioRateCutoffModulationStaysFinite_data();
    void audioRateCutoffModulationStaysFinite();
    void absurdInputStaysFiniteAndSilenceHasNoDenormals();
    void seedNamesAreAccepted();
    void drivenResonantSawLeavesNoDc_data();
    void drivenResonantSawLeavesNoDc();
    void polyKernelsMatchTheMonoLadderPerChannel_data();
    void polyKernelsMatchTheMonoLadderPerChannel();
};

void TestLadder::selfOscillatesAtCutoff_data() {
    QTest::addColumn<double>("cutoff");
    addRateBlockColumns();
    for (double cutoff : {220.0, 1000.0, 4000.0})
        for (double sampleRate : kSampleRates)
            for (int blockSize : {37, 4096})
                QTest::addRow("%g Hz/%s", cutoff, qPrintable(rateBlockName(sampleRate, blockSize)))
                    << cutoff << sampleRate << blockSize;
}

void TestLadder::selfOscillatesAtCutoff() {
    QFETCH(double, cutoff);
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    // Nothing on the input: the oscillation builds up from the filter's own noise floor.
    OfflineRenderer r{sampleRate, blockSize};
    engine::PatchGraph& g = r.graph();
    CHRONUS_VERIFY_OK(g.addModule("filter", "ladder"));
    CHRONUS_VERIFY_OK(g.setParam("filter", "cutoff", cutoff));
    CHRONUS_VERIFY_OK(g.setParam("filter", "resonance", 1.0));
    CHRONUS_VERIFY_OK(g.connect("filter", "out"));
    auto rendered = r.render(1.5);
    CHRONUS_VERIFY_OK(rendered);
    QVERIFY(allFinite(rendered->left));
    const std::span<const float> steady = window(rendered->left, sampleRate, 1.0, 1.5);
    const double frequency = estimateFrequency(steady, sampleRate);
    const double error = frequency / cutoff - 1.0;
    reportFigure(QStringLiteral("ladder self-oscillation %1 Hz @ %2/%3: %4 Hz (%5 %), peak %6, rms %7")
                     .arg(cutoff)
                     .arg(sampleRate)
                     .arg(blockSize)
                     .arg(frequency)
                     .arg(100.0 * error)
                     .arg(peak(steady))
                     .arg(rms(steady)));
    QVERIFY2(peak(steady) > 0.1f, qPrintable(QStringLiteral("no oscillation: peak %1").arg(peak(steady))));
    QVERIFY2(peak(steady) < 1.0f, qPrintable(QStringLiteral("peak %1").arg(peak(steady))));
    QVERIFY2(
        std::fabs(error) < kMaxOscillationError,
        qPrintable(QStringLiteral("oscillates at %1 Hz for a cutoff of %2 Hz").arg(frequency).arg(cutoff)));
}

void TestLadder::fourPoleRollOffAtResonanceZero_data() {
    QTest::addColumn<double>("cutoff");
    addRateBlockColumns();
    for (double cutoff : {250.0, 1000.0})
        for (double sampleRate : kSampleRates)
            QTest::addRow("%g Hz/%s", cutoff, qPrintable(rateBlockName(sampleRate, 64)))
                << cutoff << sampleRate << 64;
}

void TestLadder::fourPoleRollOffAtResonanceZero() {
    QFETCH(double, cutoff);
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    // Four poles at the cutoff: -12 dB there, then toward -24 dB per octave.
    QString figures;
    double previous = 0.0;
    for (int octave = 0; octave <= 3; ++octave) {
        const double freq = cutoff * std::exp2(octave);
        const double gain = ladderGainDb(sampleRate, blockSize, cutoff, 0.0, freq);
        const double expected = theoreticalGainDb(sampleRate, cutoff, freq);
        figures += QStringLiteral(" %1 Hz: %2 dB (theory %3)").arg(freq).arg(gain).arg(expected);
        QVERIFY2(std::fabs(gain - expected) < 0.1,
                 qPrintable(QStringLiteral("%1 Hz: %2 dB, theory %3 dB").arg(freq).arg(gain).arg(expected)));
        if (octave >= 2) {
            const double slope = gain - previous;
            QVERIFY2(slope < -20.0 && slope > -28.0,
                     qPrintable(QStringLiteral("%1 dB/oct at %2 Hz").arg(slope).arg(freq)));
        }
        previous = gain;
    }
    reportFigure(QStringLiteral("ladder roll-off %1 Hz @ %2:%3").arg(cutoff).arg(sampleRate).arg(figures));
}

void TestLadder::passbandLevelHoldsAsResonanceRises_data() {
    QTest::addColumn<double>("resonance");
    QTest::addColumn<double>("tolerance");
    // Up to 0.8 the filter is far from oscillation; at 1 it oscillates over the tone, which
    // saturates a little.
    QTest::newRow("0.25") << 0.25 << 1.0;
    QTest::newRow("0.5") << 0.5 << 1.0;
    QTest::newRow("0.8") << 0.8 << 1.5;
    QTest::newRow("0.95") << 0.95 << 3.0;
    QTest::newRow("1") << 1.0 << 3.0;
}

void TestLadder::passbandLevelHoldsAsResonanceRises() {
    QFETCH(double, resonance);
    QFETCH(double, tolerance);
    constexpr double kCutoff = 2000.0, kTone = 100.0;
    const double open = ladderGainDb(48000.0, 64, kCutoff, 0.0, kTone, 0.2);
    const double resonant = ladderGainDb(48000.0, 64, kCutoff, resonance, kTone, 0.2);
    reportFigure(QStringLiteral("ladder passband at resonance %1: %2 dB (resonance 0: %3 dB)")
                     .arg(resonance)
                     .arg(resonant)
                     .arg(open));
    QVERIFY2(std::fabs(open) < 0.5, qPrintable(QString::number(open)));
    QVERIFY2(std::fabs(resonant - open) < tolerance,
             qPrintable(
                 QStringLiteral("%1 dB at resonance %2, %3 dB at 0").arg(resonant).arg(resonance).arg(open)));
}

void TestLadder::gateEventSweepsCutoffDown() {
    // A saw through a low cutoff: the upper harmonics are loud right after a gate event and have
    // faded once the envelope has decayed, back to where they were before the event.
    constexpr double kSr = 48000.0, kFreq = 110.0;
    OfflineRenderer r{kSr, 64};
    engine::PatchGraph& g = r.graph();
    CHRONUS_VERIFY_OK(g.addModule("saw", "saw"));
    CHRONUS_VERIFY_OK(g.setParam("saw", "freq", kFreq));
    CHRONUS_VERIFY_OK(g.addModule("filter", "acid_filter"));
    CHRONUS_VERIFY_OK(g.setParam("filter", "cutoff", 200.0));
    CHRONUS_VERIFY_OK(g.setParam("filter", "resonance", 0.3));
    CHRONUS_VERIFY_OK(g.setParam("filter", "env_amount", 4.0));
    CHRONUS_VERIFY_OK(g.setParam("filter", "decay", 600.0));
    CHRONUS_VERIFY_OK(g.connect("saw", "filter.in"));
    CHRONUS_VERIFY_OK(g.connect("filter", "out"));
    auto before = r.render(0.5);
    CHRONUS_VERIFY_OK(before);
    CHRONUS_VERIFY_OK(r.gate("filter", true));
    auto after = r.render(1.0);
    CHRONUS_VERIFY_OK(after);
    QVERIFY(allFinite(before->left) && allFinite(after->left));
    // harmonics 10..20 (1.1 - 2.2 kHz): 2.5 to 3.5 octaves above the resting cutoff
    const double resting = harmonicBandDb(window(before->left, kSr, 0.3, 0.5), kSr, kFreq, 10, 20);
    const double early = harmonicBandDb(window(after->left, kSr, 0.005, 0.055), kSr, kFreq, 10, 20);
    const double middle = harmonicBandDb(window(after->left, kSr, 0.15, 0.2), kSr, kFreq, 10, 20);
    const double late = harmonicBandDb(window(after->left, kSr, 0.8, 1.0), kSr, kFreq, 10, 20);
    reportFigure(
        QStringLiteral("ladder sweep: harmonics 10-20 at %1 dB before, %2 dB right after the gate, %3 dB at "
                       "0.175 s, %4 dB at 0.9 s")
            .arg(resting)
            .arg(early)
            .arg(middle)
            .arg(late));
    QVERIFY2(early > resting + 30.0, qPrintable(QStringLiteral("%1 dB vs %2 dB").arg(early).arg(resting)));
    QVERIFY2(middle < early - 6.0 && middle > late + 6.0,
             qPrintable(QStringLiteral("%1 / %2 / %3 dB").arg(early).arg(middle).arg(late)));
    QVERIFY2(std::fabs(late - resting) < 1.0,
             qPrintable(QStringLiteral("%1 dB vs %2 dB").arg(late).arg(resting)));
}

void TestLadder::trigInputRestartsEnvelopeAndAccentShortensIt() {
    // At full resonance and with no input the filter sings at its cutoff, so the pitch of the
    // song traces the cutoff: base x 2^(envelope x env_amount). A square LFO on `trig` rises
    // through 0.5 at 0.5 s (it starts high); `accent` is a constant from a depth-0 LFO.
    constexpr double kSr = 48000.0, kBase = 200.0, kAmount = 2.0, kDecayMs = 1000.0;
    constexpr double kTrigger = 0.75;
    auto render = [&](double accentCv) -> std::vector<float> {
        OfflineRenderer r{kSr, 37};
        engine::PatchGraph& g = r.graph();
        if (!g.addModule("clock", "lfo") || !g.setParam("clock", "shape", 2) ||
            !g.setParam("clock", "rate", 1.0) || !g.addModule("accent", "lfo") ||
            !g.setParam("accent", "depth", 0.0) || !g.setParam("accent", "offset", accentCv) ||
            !g.addModule("filter", "ladder") || !g.setParam("filter", "cutoff", kBase) ||
            !g.setParam("filter", "resonance", 1.0) || !g.setParam("filter", "env_amount", kAmount) ||
            !g.setParam("filter", "decay", kDecayMs) || !g.setParam("filter", "accent", 1.0) ||
            !g.connect("clock", "filter.trig") || !g.connect("accent", "filter.accent") ||
            !g.connect("filter", "out"))
            return {};
        auto rendered = r.render(1.5);
        return rendered ? rendered->left : std::vector<float>{};
    };
    // The pitch over [t - 5 ms, t + 5 ms] after the trigger against the envelope's law: a 2 ms
    // rise to 1 + accent, then a fall to 1 % in `decay` ms (accent 1: in 200 ms).
    struct Check {
        double accent, after;
    };
    const Check checks[] = {{0.0, 0.02}, {0.0, 0.1}, {0.0, 0.3}, {1.0, 0.015},
                            {1.0, 0.05}, {1.0, 0.1}, {1.0, 0.3}};
    for (double accent : {0.0, 1.0}) {
        const std::vector<float> out = render(accent);
        QVERIFY(!out.empty() && allFinite(out));
        const double resting = estimateFrequency(window(out, kSr, 0.4, 0.74), kSr);
        reportFigure(
            QStringLiteral("ladder trig, accent %1: %2 Hz before the trigger").arg(accent).arg(resting));
        QVERIFY2(std::fabs(resting / kBase - 1.0) < 0.02, qPrintable(QString::number(resting)));
        const double decayMs = accent > 0.0 ? 200.0 : kDecayMs;
        for (const Check& c : checks) {
            if (c.accent != accent)
                continue;
            const double measured = estimateFrequency(
                window(out, kSr, kTrigger + c.after - 0.005, kTrigger + c.after + 0.005), kSr);
            const double octaves =
                kAmount * (1.0 + accent) * std::pow(0.01, (c.after * 1000.0 - 2.0) / decayMs);
            const double expected = kBase * std::exp2(octaves);
            reportFigure(QStringLiteral("ladder trig, accent %1, %2 s after: %3 Hz (envelope law: %4 Hz)")
                             .arg(accent)
                             .arg(c.after)
                             .arg(measured)
                             .arg(expected));
            QVERIFY2(std::fabs(measured / expected - 1.0) < 0.03,
                     qPrintable(QStringLiteral("accent %1, %2 s after the trigger: %3 Hz, expected %4 Hz")
                                    .arg(accent)
                                    .arg(c.after)
                                    .arg(measured)
                                    .arg(expected)));
        }
    }
}

void TestLadder::audioRateCutoffModulationStaysFinite_data() {
    QTest::addColumn<double>("cutoff");
    QTest::addColumn<double>("resonance");
    QTest::addColumn<double>("drive");
    QTest::newRow("20 Hz, res 1") << 20.0 << 1.0 << 24.0;
    QTest::newRow("1 kHz, res 1") << 1000.0 << 1.0 << 0.0;
    QTest::newRow("20 kHz, res 1") << 20000.0 << 1.0 << 24.0;
    QTest::newRow("20 kHz, res 0") << 20000.0 << 0.0 << 0.0;
}

void TestLadder::audioRateCutoffModulationStaysFinite() {
    QFETCH(double, cutoff);
    QFETCH(double, resonance);
    QFETCH(double, drive);
    // The cutoff CV: full-scale noise, four times over (+-4 octaves per sample), and a 5 kHz sine
    // of 4 octaves; the input: a loud saw; triggers as fast as the noise flips.
    for (double sampleRate : kSampleRates) {
        OfflineRenderer r{sampleRate, 37};
        engine::PatchGraph& g = r.graph();
        CHRONUS_VERIFY_OK(g.addModule("noise", "noise"));
        CHRONUS_VERIFY_OK(g.setParam("noise", "gain", 1.0));
        CHRONUS_VERIFY_OK(g.addModule("fm", "sine"));
        CHRONUS_VERIFY_OK(g.setParam("fm", "freq", 5000.0));
        CHRONUS_VERIFY_OK(g.setParam("fm", "gain", 1.0));
        CHRONUS_VERIFY_OK(g.addModule("cv", "mixer"));
        CHRONUS_VERIFY_OK(g.setParam("cv", "level1", 2.0));
        CHRONUS_VERIFY_OK(g.setParam("cv", "level2", 2.0));
        CHRONUS_VERIFY_OK(g.setParam("cv", "level", 2.0));
        CHRONUS_VERIFY_OK(g.connect("noise", "cv.in1"));
        CHRONUS_VERIFY_OK(g.connect("fm", "cv.in2"));
        CHRONUS_VERIFY_OK(g.addModule("saw", "saw"));
        CHRONUS_VERIFY_OK(g.setParam("saw", "gain", 1.0));
        CHRONUS_VERIFY_OK(g.addModule("filter", "ladder"));
        CHRONUS_VERIFY_OK(g.setParam("filter", "cutoff", cutoff));
        CHRONUS_VERIFY_OK(g.setParam("filter", "resonance", resonance));
        CHRONUS_VERIFY_OK(g.setParam("filter", "drive", drive));
        CHRONUS_VERIFY_OK(g.setParam("filter", "env_amount", 8.0));
        CHRONUS_VERIFY_OK(g.connect("saw", "filter.in"));
        CHRONUS_VERIFY_OK(g.connect("cv", "filter.cutoff"));
        CHRONUS_VERIFY_OK(g.connect("noise", "filter.trig"));
        CHRONUS_VERIFY_OK(g.connect("noise", "filter.accent"));
        CHRONUS_VERIFY_OK(g.connect("filter", "out"));
        auto rendered = r.render(1.0);
        CHRONUS_VERIFY_OK(rendered);
        const float p = peak(rendered->left);
        reportFigure(QStringLiteral("ladder modulated %1 Hz res %2 drive %3 @ %4: peak %5, rms %6")
                         .arg(cutoff)
                         .arg(resonance)
                         .arg(drive)
                         .arg(sampleRate)
                         .arg(p)
                         .arg(rms(rendered->left)));
        QVERIFY(allFinite(rendered->left));
        QVERIFY2(p < 4.0f, qPrintable(QStringLiteral("peak %1 at %2 Hz").arg(p).arg(sampleRate)));
    }
}

void TestLadder::absurdInputStaysFiniteAndSilenceHasNoDenormals() {
    // Driven directly, without the renderer's flush-to-zero: huge, infinite and NaN input, then
    // five seconds of silence, after which no sample or state is subnormal.
    const engine::ModuleType& type = *engine::ModuleRegistry::instance().find("ladder");
    for (double resonance : {0.0, 0.7, 1.0}) {
        const std::unique_ptr<engine::Module> ladder = type.create(type);
        ladder->setParamImmediate(type.findParam("resonance"), static_cast<float>(resonance));
        ladder->setParamImmediate(type.findParam("drive"), 24.0f);
        ladder->prepare({48000.0, 64});
        std::vector<float> loud(48000);
        for (std::size_t i = 0; i < loud.size(); ++i) {
            const float values[] = {1e30f,
                                    -1e30f,
                                    std::numeric_limits<float>::infinity(),
                                    std::numeric_limits<float>::quiet_NaN(),
                                    3.0f,
                                    -1e6f};
            loud[i] = values[(i / 7) % 6];
        }
        const std::vector<float> driven = runDirect(*ladder, loud, 64);
        QVERIFY2(allFinite(driven), qPrintable(QStringLiteral("resonance %1").arg(resonance)));
        QVERIFY2(peak(driven) < 4.0f, qPrintable(QStringLiteral("peak %1").arg(peak(driven))));
        const std::vector<float> quiet = runDirect(*ladder, std::vector<float>(5 * 48000, 0.0f), 64);
        QVERIFY(allFinite(quiet));
        const std::size_t subnormals = static_cast<std::size_t>(std::count_if(
            quiet.begin(), quiet.end(), [](float v) { return std::fpclassify(v) == FP_SUBNORMAL; }));
        const std::span<const float> tail = std::span<const float>(quiet).last(4800);
        reportFigure(
            QStringLiteral("ladder resonance %1: peak %2 on absurd input, silence tail peak %3, %4 subnormal")
                .arg(resonance)
                .arg(peak(driven))
                .arg(peak(tail))
                .arg(subnormals));
        QCOMPARE(subnormals, std::size_t{0});
        if (resonance < 0.89) // below the oscillation threshold the silence is silent
            QVERIFY2(peak(tail) < 1e-5f, qPrintable(QString::number(peak(tail))));
    }
}

void TestLadder::seedNamesAreAccepted() {
    // The predecessor's `acid_filter` with `cutoff` and `q` (or `resonance`).
    OfflineRenderer r{48000.0, 64};
    engine::PatchGraph& g = r.graph();
    CHRONUS_VERIFY_OK(g.addModule("acid", "acid_filter"));
    CHRONUS_VERIFY_OK(g.setParam("acid", "cutoff", 500.0));
    CHRONUS_VERIFY_OK(g.setParam("acid", "q", 0.7));
    CHRONUS_VERIFY_OK(g.setParam("acid", "resonance", 0.6));
    const engine::ModuleType* type = engine::ModuleRegistry::instance().find("acid_filter");
    QVERIFY(type != nullptr);
    QCOMPARE(QByteArray(type->id), QByteArray("ladder"));
    QCOMPARE(type->findParam("q"), type->findParam("resonance"));
}

void TestLadder::drivenResonantSawLeavesNoDc_data() {
    QTest::addColumn<double>("freq");
    QTest::addColumn<double>("resonance");
    QTest::addColumn<double>("drive");
    QTest::addRow("dnb-175's bass, F1") << 43.65 << 0.72 << 3.0;
    QTest::addRow("A1, resonance 0.35") << 55.0 << 0.35 << 0.0;
    QTest::addRow("A2, self-oscillating, hard driven") << 110.0 << 0.9 << 12.0;
}

// The saturator rectifies an asymmetric waveform a little (the saw less the lagging feedback): the
// output's DC blocker keeps the mean at zero. Without it the mean was several percent of the level.
void TestLadder::drivenResonantSawLeavesNoDc() {
    QFETCH(double, freq);
    QFETCH(double, resonance);
    QFETCH(double, drive);
    OfflineRenderer r{48000.0, 64};
    engine::PatchGraph& g = r.graph();
    CHRONUS_VERIFY_OK(g.addModule("saw", "saw"));
    CHRONUS_VERIFY_OK(g.setParam("saw", "freq", freq));
    CHRONUS_VERIFY_OK(g.setParam("saw", "gain", 0.5));
    CHRONUS_VERIFY_OK(g.addModule("filter", "ladder"));
    CHRONUS_VERIFY_OK(g.setParam("filter", "cutoff", 320.0));
    CHRONUS_VERIFY_OK(g.setParam("filter", "resonance", resonance));
    CHRONUS_VERIFY_OK(g.setParam("filter", "drive", drive));
    CHRONUS_VERIFY_OK(g.connect("saw", "filter.in"));
    CHRONUS_VERIFY_OK(g.connect("filter", "out"));
    auto rendered = r.render(2.0);
    CHRONUS_VERIFY_OK(rendered);
    // Whole cycles of the saw after the blocker settled (0.5 s = 16 time constants).
    const std::size_t start = 24000;
    const std::size_t period = 48000.0 / freq, cycles = static_cast<std::size_t>((96000 - start) / period);
    const std::span<const float> tail =
        std::span<const float>(rendered->left).subspan(start, static_cast<std::size_t>(cycles * 48000.0 / freq));
    const double level = rms(tail), dc = mean(tail);
    reportFigure(QStringLiteral("ladder on a saw %1 Hz, resonance %2, drive %3 dB: mean %4, RMS %5")
                     .arg(freq).arg(resonance).arg(drive).arg(dc, 0, 'g', 3).arg(level, 0, 'f', 3));
    QVERIFY(level > 0.05);
    QVERIFY2(std::fabs(dc) < 0.002 * level, qPrintable(QStringLiteral("mean %1 at RMS %2").arg(dc).arg(level)));
}

namespace {

poly::Case ladderCase(const QString& mode) {
    poly::Case tc;
    tc.type = "ladder";
    tc.params = {{"cutoff", 500.0}, {"resonance", 0.6}, {"env_amount", 3.0}, {"decay", 60.0}, {"drive", 6.0}};
    tc.output = "out";
    tc.feeds.push_back({"in", false, [](engine::PatchGraph& g, int c) {
                            const std::string id = "saw" + std::to_string(c);
                            (void)g.addModule(id, "saw");
                            (void)g.setParam(id, "freq", 55.0 * std::exp2(c / 5.0));
                            return id;
                        }});
    auto squares = [](engine::PatchGraph& g, int c) {
        const std::string id = "trig" + std::to_string(c + 1);
        (void)g.addModule(id, "lfo");
        (void)g.setParam(id, "shape", 3.0); // square
        (void)g.setParam(id, "rate", 8.0 + 2.3 * c);
        return id;
    };
    if (mode == "trig per channel") {
        tc.feeds.push_back({"trig", false, squares});
        tc.feeds.push_back({"accent", false, [](engine::PatchGraph& g, int c) {
                                const std::string id = "acc" + std::to_string(c);
                                (void)g.addModule(id, "const");
                                (void)g.setText(id, "values", std::to_string(c / 15.0));
                                return id;
                            }});
        tc.feeds.push_back({"cutoff", false, [](engine::PatchGraph& g, int c) {
                                const std::string id = "lfo" + std::to_string(c);
                                (void)g.addModule(id, "lfo");
                                (void)g.setParam(id, "rate", 1.0 + 0.7 * c);
                                return id;
                            }});
    } else if (mode == "shared trig") {
        tc.feeds.push_back({"trig", true, [squares](engine::PatchGraph& g, int) { return squares(g, -1); }});
    }
    return tc;
}

} // namespace

void TestLadder::polyKernelsMatchTheMonoLadderPerChannel_data() {
    poly::addModeBlockRows({"trig per channel", "shared trig", "gate event"});
}

void TestLadder::polyKernelsMatchTheMonoLadderPerChannel() {
    // Channel k of a 16-channel ladder (16 saws, and per channel a trigger, an accent and a cutoff
    // LFO) against a mono ladder fed channel k alone, portable and AVX2 copies. The kernel runs the
    // mono code lane by lane (the envelope to the bit) but with simd::exp2 and simd::tan (relative
    // errors 3e-7 and 2e-7) for the cutoff, a dither sequence of its own per channel (-120 dBFS) and
    // fused multiply-adds in the AVX2 copy: differences of a few float roundings carried by a
    // resonant nonlinear filter, measured under 2e-6 of the peak; 2e-5 allowed, while another
    // channel's input is off by the whole signal. "gate event" triggers every channel at the middle.
    QFETCH(QString, mode);
    QFETCH(int, block);
    using engine::simd::Level;
    const poly::Case tc = ladderCase(mode);
    auto edit = [&](OfflineRenderer& r) {
        if (mode == "gate event")
            QVERIFY(r.gate("dut", true).ok());
    };
    const bool avx2 = engine::simd::cpuHasAvx2();
    constexpr std::size_t kFrames = 4800;
    for (int k : {0, 7, 8, 15}) {
        const auto mono = poly::renderChannel(tc, Level::Generic, 1, k, block, kFrames, edit);
        const auto generic = poly::renderChannel(tc, Level::Generic, 16, k, block, kFrames, edit);
        const auto wide =
            poly::renderChannel(tc, avx2 ? Level::Avx2 : Level::Generic, 16, k, block, kFrames, edit);
        QCOMPARE(mono.size(), kFrames);
        QVERIFY(peak(mono) > 0.01f);
        for (const auto* run : {&generic, &wide}) {
            const double d = poly::relativeDifference(mono, *run);
            QVERIFY2(d < 2e-5, qPrintable(QStringLiteral("channel %1: %2 of the peak").arg(k).arg(d)));
            if (k == 15)
                qInfo("channel %d, %s: %.3g of the peak", k, run == &generic ? "portable" : "avx2", d);
        }
    }
    engine::simd::setLevel(Level::Avx2);
}

} // namespace chronus::test

QTEST_APPLESS_MAIN(chronus::test::TestLadder)
#include "tst_ladder.moc"
