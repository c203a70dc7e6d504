// The LFO: out = offset + depth x wave. Depth 0 and offset 0 must leave a target untouched, and each
// shape has its rate, its range and its width.

#include "EngineTestUtils.hpp"
#include "engine/OfflineRenderer.hpp"
#include "support/SignalAnalysis.hpp"

#include <QObject>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <span>
#include <vector>

namespace chronus::test {

using engine::OfflineRenderer;

namespace {

const char* const kShapeNames[] = {"sine", "triangle", "saw", "square"};

// Fraction of samples at which the signal rises.
double risingFraction(std::span<const float> x) {
    std::size_t rising = 0;
    for (std::size_t i = 1; i < x.size(); ++i)
        rising += x[i] > x[i - 1] ? 1 : 0;
    return static_cast<double>(rising) / static_cast<double>(x.size() - 1);
}

double fractionAbove(std::span<const float> x, float level) {
    return static_cast<double>(std::count_if(x.begin(), x.end(), [&](float v) { return v > level; })) /
           static_cast<double>(x.size());
}

void addShapeRows() {
    QTest::addColumn<int>("shape");
    addRateBlockColumns();
    for (int shape = 0; shape < 4; ++shape)
        for (double sampleRate : kSampleRates)
            for (int blockSize : kBlockSizes)
                QTest::addRow("%s/%s", kShapeNames[shape], qPrintable(rateBlockName(sampleRate, blockSize)))
                    << shape << sampleRate << blockSize;
}

} // namespace

class TestLfo : public QObject {
    Q_OBJECT

private slots:
    void zeroDepthAndOffsetLeaveTargetUnchanged_data();
    void zeroDepthAndOffsetLeaveTargetUnchanged();
    void shapesHaveRateRangeAndWidth_data();
    void shapesHaveRateRangeAndWidth();
};

void TestLfo::zeroDepthAndOffsetLeaveTargetUnchanged_data() {
    addShapeRows();
}

void TestLfo::zeroDepthAndOffsetLeaveTargetUnchanged() {
    QFETCH(int, shape);
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    constexpr double kFreq = 440.0;
    // The same sine twice: alone on the left, FM'd by a silent LFO on the right.
    OfflineRenderer r{sampleRate, blockSize};
    engine::PatchGraph& g = r.graph();
    CHRONUS_VERIFY_OK(g.addModule("plain", "sine"));
    CHRONUS_VERIFY_OK(g.addModule("modulated", "sine"));
    CHRONUS_VERIFY_OK(g.addModule("lfo", "lfo"));
    CHRONUS_VERIFY_OK(g.setParam("plain", "freq", kFreq));
    CHRONUS_VERIFY_OK(g.setParam("modulated", "freq", kFreq));
    CHRONUS_VERIFY_OK(g.setParam("lfo", "shape", shape));
    CHRONUS_VERIFY_OK(g.setParam("lfo", "rate", 5.0));
    CHRONUS_VERIFY_OK(g.setParam("lfo", "depth", 0.0));
    CHRONUS_VERIFY_OK(g.setParam("lfo", "offset", 0.0));
    CHRONUS_VERIFY_OK(g.connect("lfo", "modulated.fm"));
    CHRONUS_VERIFY_OK(g.connect("plain", "out.left"));
    CHRONUS_VERIFY_OK(g.connect("modulated", "out.right"));
    auto rendered = r.render(1.2);
    CHRONUS_VERIFY_OK(rendered);
    QVERIFY(allFinite(rendered->right));
    const double measured = estimateFrequency(rendered->right, sampleRate);
    QVERIFY2(std::fabs(centsBetween(measured, kFreq)) < 0.1, qPrintable(QString::number(measured, 'f', 5)));
    float worst = 0.0f;
    for (std::size_t i = 0; i < rendered->frames(); ++i)
        worst = std::max(worst, std::fabs(rendered->left[i] - rendered->right[i]));
    QVERIFY2(worst < 1e-6f, qPrintable(QStringLiteral("modulated sine differs by %1").arg(worst)));

    // Turning the depth up must change the pitch: the comparison above is not vacuous.
    CHRONUS_VERIFY_OK(r.setParam("lfo", "depth", 0.5));
    auto modulated = r.render(0.5);
    CHRONUS_VERIFY_OK(modulated);
    QVERIFY(modulated->left != modulated->right);
}

void TestLfo::shapesHaveRateRangeAndWidth_data() {
    addShapeRows();
}

void TestLfo::shapesHaveRateRangeAndWidth() {
    QFETCH(int, shape);
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    constexpr double kRate = 50.0, kDepth = 0.8, kOffset = 0.1, kWidth = 0.3;
    OfflineRenderer r{sampleRate, blockSize};
    engine::PatchGraph& g = r.graph();
    CHRONUS_VERIFY_OK(g.addModule("lfo", "lfo"));
    CHRONUS_VERIFY_OK(g.setParam("lfo", "shape", shape));
    CHRONUS_VERIFY_OK(g.setParam("lfo", "rate", kRate));
    CHRONUS_VERIFY_OK(g.setParam("lfo", "depth", kDepth));
    CHRONUS_VERIFY_OK(g.setParam("lfo", "offset", kOffset));
    CHRONUS_VERIFY_OK(g.setParam("lfo", "width", kWidth));
    CHRONUS_VERIFY_OK(g.connect("lfo", "out"));
    auto rendered = r.render(2.0);
    CHRONUS_VERIFY_OK(rendered);
    const std::span<const float> out(rendered->left);
    QVERIFY(allFinite(out));

    const double measured = estimateFrequency(out, sampleRate);
    QVERIFY2(std::fabs(measured / kRate - 1.0) < 1e-3, qPrintable(QString::number(measured)));
    // The extremes are offset +- depth, give or take one sample's move on the steepest slope
    // (the triangle's shorter side).
    const double slack = 2.0 * kDepth * kRate / (std::min(kWidth, 1.0 - kWidth) * sampleRate) + 1e-4;
    const auto [lo, hi] = std::minmax_element(out.begin(), out.end());
    QVERIFY2(std::fabs(static_cast<double>(*hi) - (kOffset + kDepth)) < slack,
             qPrintable(QString::number(*hi)));
    QVERIFY2(std::fabs(static_cast<double>(*lo) - (kOffset - kDepth)) < slack,
             qPrintable(QString::number(*lo)));

    const double rising = risingFraction(out);
    const double above = fractionAbove(out, static_cast<float>(kOffset));
    switch (shape) {
    case 0: // sine: half rising, half above the centre
        QVERIFY2(std::fabs(rising - 0.5) < 0.01, qPrintable(QString::number(rising)));
        QVERIFY2(std::fabs(above - 0.5) < 0.01, qPrintable(QString::number(above)));
        break;
    case 1: // triangle: rises for `width` of the cycle
        QVERIFY2(std::fabs(rising - kWidth) < 0.01, qPrintable(QString::number(rising)));
        break;
    case 2: // saw: rises all the time but at the wrap
        QVERIFY2(rising > 0.99, qPrintable(QString::number(rising)));
        QVERIFY2(std::fabs(above - 0.5) < 0.01, qPrintable(QString::number(above)));
        break;
    default: // square: high for `width` of the cycle
        QVERIFY2(std::fabs(above - kWidth) < 0.01, qPrintable(QString::number(above)));
        break;
    }
}

} // namespace chronus::test

QTEST_APPLESS_MAIN(chronus::test::TestLfo)
#include "tst_lfo.moc"
