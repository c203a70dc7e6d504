// The band-limited oscillators (sine, saw, square, triangle): exact pitch, no aliasing, continuous
// phase through frequency changes, exponential FM of one unit per octave.

#include "EngineTestUtils.hpp"
#include "engine/OfflineRenderer.hpp"
#include "support/SignalAnalysis.hpp"

#include <QObject>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <span>
#include <vector>

namespace chronus::test {

using engine::OfflineRenderer;

namespace {

constexpr double kMaxCentsError = 0.1;

// Renders `type` at `freq` (straight to both outputs) and returns the left channel.
std::vector<float> renderOscillator(OfflineRenderer& r, const char* type, double freq, std::size_t frames) {
    engine::PatchGraph& g = r.graph();
    if (!g.addModule("osc", type) || !g.setParam("osc", "freq", freq) || !g.connect("osc", "out"))
        return {};
    auto rendered = r.renderFrames(frames);
    return rendered ? rendered->left : std::vector<float>{};
}

void addShapeRateBlockRows(std::initializer_list<const char*> shapes) {
    QTest::addColumn<QString>("shape");
    addRateBlockColumns();
    for (const char* shape : shapes)
        for (double sampleRate : kSampleRates)
            for (int blockSize : kBlockSizes)
                QTest::addRow("%s/%s", shape, qPrintable(rateBlockName(sampleRate, blockSize)))
                    << QString::fromLatin1(shape) << sampleRate << blockSize;
}

} // namespace

class TestOscillators : public QObject {
    Q_OBJECT

private slots:
    void measuredFrequencyWithinTenthOfCent_data();
    void measuredFrequencyWithinTenthOfCent();
    void aliasingBelowMinus40dB_data();
    void aliasingBelowMinus40dB();
    void sinePhaseContinuousAcrossFrequencyChange_data();
    void sinePhaseContinuousAcrossFrequencyChange();
    void fmOfPlusOneDoublesFrequency_data();
    void fmOfPlusOneDoublesFrequency();
};

void TestOscillators::measuredFrequencyWithinTenthOfCent_data() {
    addShapeRateBlockRows({"sine", "saw", "square", "triangle"});
}

void TestOscillators::measuredFrequencyWithinTenthOfCent() {
    QFETCH(QString, shape);
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    // Low, middle, an awkward non-integer and a high pitch with only a few harmonics left.
    for (double freq : {27.5, 440.0, 1234.5, 4000.0}) {
        OfflineRenderer r{sampleRate, blockSize};
        const std::vector<float> out =
            renderOscillator(r, qPrintable(shape), freq, static_cast<std::size_t>(1.2 * sampleRate));
        QVERIFY(!out.empty());
        QVERIFY(allFinite(out));
        const double measured = estimateFrequency(out, sampleRate);
        const double cents = centsBetween(measured, freq);
        reportFigure(
            QStringLiteral("%1 %2 Hz @ %3: %4 cents").arg(shape).arg(freq).arg(sampleRate).arg(cents));
        QVERIFY2(std::fabs(cents) < kMaxCentsError,
                 qPrintable(QStringLiteral("%1 Hz measured as %2 Hz (%3 cents)")
                                .arg(freq)
                                .arg(measured, 0, 'f', 6)
                                .arg(cents)));
    }
}

void TestOscillators::aliasingBelowMinus40dB_data() {
    addShapeRateBlockRows({"saw", "square", "triangle"});
}

void TestOscillators::aliasingBelowMinus40dB() {
    QFETCH(QString, shape);
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    // 5 kHz is the acceptance figure; the others put the highest harmonic close to Nyquist, where a
    // table chosen one level too rich would alias first.
    for (double freq : {5000.0, 3100.0, 7300.0, 10100.0}) {
        OfflineRenderer r{sampleRate, blockSize};
        const std::vector<float> out = renderOscillator(r, qPrintable(shape), freq, 1u << 16);
        QVERIFY(!out.empty());
        QVERIFY(allFinite(out));
        const double alias = inharmonicLevelDb(out, sampleRate, freq);
        reportFigure(QStringLiteral("%1 %2 Hz @ %3: worst inharmonic %4 dB")
                         .arg(shape)
                         .arg(freq)
                         .arg(sampleRate)
                         .arg(alias));
        QVERIFY2(
            alias < -40.0,
            qPrintable(
                QStringLiteral("%1 Hz: inharmonic component at %2 dB re fundamental").arg(freq).arg(alias)));
    }
}

void TestOscillators::sinePhaseContinuousAcrossFrequencyChange_data() {
    QTest::addColumn<double>("fromHz");
    QTest::addColumn<double>("toHz");
    addRateBlockColumns();
    for (double sampleRate : kSampleRates)
        for (int blockSize : kBlockSizes) {
            QTest::addRow("up/%s", qPrintable(rateBlockName(sampleRate, blockSize)))
                << 440.0 << 1760.0 << sampleRate << blockSize;
            QTest::addRow("down/%s", qPrintable(rateBlockName(sampleRate, blockSize)))
                << 1760.0 << 440.0 << sampleRate << blockSize;
        }
}

void TestOscillators::sinePhaseContinuousAcrossFrequencyChange() {
    QFETCH(double, fromHz);
    QFETCH(double, toHz);
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    OfflineRenderer r{sampleRate, blockSize};
    // An odd length puts the change in the middle of a block for most block sizes.
    const std::size_t before = static_cast<std::size_t>(0.2 * sampleRate) + 17;
    std::vector<float> out = renderOscillator(r, "sine", fromHz, before);
    QCOMPARE(out.size(), before);
    CHRONUS_VERIFY_OK(r.setParam("osc", "freq", toHz));
    auto after = r.render(0.2);
    CHRONUS_VERIFY_OK(after);
    append(out, after->left);
    QVERIFY(allFinite(out));

    // The steepest a continuous sine gets is its slope at the higher frequency: measure it on a
    // steady stretch at that frequency, then require the change and its 10 ms ramp to stay below.
    // A phase reset or jump would step by up to the full amplitude.
    const std::size_t tenMs = static_cast<std::size_t>(0.01 * sampleRate);
    const std::span<const float> all(out);
    const std::span<const float> steadyHigh =
        fromHz > toHz ? all.subspan(tenMs, before - 2 * tenMs) : all.subspan(out.size() - 8 * tenMs);
    const std::span<const float> change = all.subspan(before - 1, tenMs + 2);
    const float steadyStep = largestStep(steadyHigh);
    const float changeStep = largestStep(change);
    reportFigure(QStringLiteral("sine %1->%2 @ %3/%4: step at change %5, steady %6")
                     .arg(fromHz)
                     .arg(toHz)
                     .arg(sampleRate)
                     .arg(blockSize)
                     .arg(changeStep)
                     .arg(steadyStep));
    QVERIFY(steadyStep > 0.0f);
    QVERIFY2(
        changeStep <= steadyStep * 1.001f + 1e-6f,
        qPrintable(QStringLiteral("step %1 at the change, steady-state %2").arg(changeStep).arg(steadyStep)));
}

void TestOscillators::fmOfPlusOneDoublesFrequency_data() {
    addShapeRateBlockRows({"sine", "saw", "square", "triangle"});
}

void TestOscillators::fmOfPlusOneDoublesFrequency() {
    QFETCH(QString, shape);
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    constexpr double kFreq = 330.0;
    // An LFO with depth 0 is a constant `offset`: one unit per octave up, then down.
    for (double octaves : {1.0, -1.0, 2.0}) {
        OfflineRenderer r{sampleRate, blockSize};
        engine::PatchGraph& g = r.graph();
        CHRONUS_VERIFY_OK(g.addModule("osc", qPrintable(shape)));
        CHRONUS_VERIFY_OK(g.addModule("mod", "lfo"));
        CHRONUS_VERIFY_OK(g.setParam("osc", "freq", kFreq));
        CHRONUS_VERIFY_OK(g.setParam("mod", "depth", 0.0));
        CHRONUS_VERIFY_OK(g.setParam("mod", "offset", octaves));
        CHRONUS_VERIFY_OK(g.connect("mod", "osc.fm"));
        CHRONUS_VERIFY_OK(g.connect("osc", "out"));
        auto rendered = r.render(1.2);
        CHRONUS_VERIFY_OK(rendered);
        QVERIFY(allFinite(rendered->left));
        const double expected = kFreq * std::exp2(octaves);
        const double measured = estimateFrequency(rendered->left, sampleRate);
        const double cents = centsBetween(measured, expected);
        QVERIFY2(std::fabs(cents) < kMaxCentsError,
                 qPrintable(QStringLiteral("fm %1: expected %2 Hz, measured %3 Hz (%4 cents)")
                                .arg(octaves)
                                .arg(expected)
                                .arg(measured, 0, 'f', 5)
                                .arg(cents)));
    }
}

} // namespace chronus::test

QTEST_APPLESS_MAIN(chronus::test::TestOscillators)
#include "tst_oscillators.moc"
