// The biquad (the predecessor's `biquad_filter`): low-, high- and band-pass responses by mode.

#include "EngineTestUtils.hpp"
#include "PolyCompare.hpp"
#include "engine/OfflineRenderer.hpp"
#include "support/SignalAnalysis.hpp"

#include <QObject>
#include <QTest>

#include <cmath>
#include <span>

namespace chronus::test {

using engine::OfflineRenderer;

namespace {

constexpr double kCutoff = 1000.0;

// Gain in dB of a biquad (made through its alias) on a sine at `freq`: output level minus input
// level, both measured after the transient.
double biquadGainDb(double sampleRate, int blockSize, int mode, double q, double freq) {
    OfflineRenderer r{sampleRate, blockSize};
    engine::PatchGraph& g = r.graph();
    if (!g.addModule("tone", "sine") || !g.setParam("tone", "freq", freq) ||
        !g.addModule("filter", "biquad_filter") || !g.setParam("filter", "cutoff", kCutoff) ||
        !g.setParam("filter", "resonance", q) || !g.setParam("filter", "mode", mode) ||
        !g.connect("tone", "filter") || !g.connect("filter", "out.left") || !g.connect("tone", "out.right"))
        return std::nan("");
    auto rendered = r.render(0.3);
    if (!rendered || !allFinite(rendered->left))
        return std::nan("");
    const std::size_t settle = static_cast<std::size_t>(0.1 * sampleRate);
    return toneLevelDb(std::span<const float>(rendered->left).subspan(settle), sampleRate, freq) -
           toneLevelDb(std::span<const float>(rendered->right).subspan(settle), sampleRate, freq);
}

} // namespace

class TestBiquad : public QObject {
    Q_OBJECT

private slots:
    void modesHaveTheirResponses_data();
    void modesHaveTheirResponses();
    void resonancePeaksAtCutoff_data();
    void resonancePeaksAtCutoff();
    void polyKernelsMatchTheMonoFilterPerChannel_data();
    void polyKernelsMatchTheMonoFilterPerChannel();
};

void TestBiquad::modesHaveTheirResponses_data() {
    QTest::addColumn<int>("mode");
    addRateBlockColumns();
    for (int mode : {0, 1, 2})
        for (double sampleRate : kSampleRates)
            for (int blockSize : kBlockSizes)
                QTest::addRow("%s/%s",
                              mode == 0   ? "lowpass"
                              : mode == 1 ? "highpass"
                                          : "bandpass",
                              qPrintable(rateBlockName(sampleRate, blockSize)))
                    << mode << sampleRate << blockSize;
}

void TestBiquad::modesHaveTheirResponses() {
    QFETCH(int, mode);
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    constexpr double kButterworthQ = 0.70710678;
    const double low = biquadGainDb(sampleRate, blockSize, mode, kButterworthQ, kCutoff / 10.0);
    const double at = biquadGainDb(sampleRate, blockSize, mode, kButterworthQ, kCutoff);
    const double high = biquadGainDb(sampleRate, blockSize, mode, kButterworthQ, kCutoff * 10.0);
    reportFigure(QStringLiteral("biquad mode %1 @ %2/%3: %4 / %5 / %6 dB at fc/10, fc, 10 fc")
                     .arg(mode)
                     .arg(sampleRate)
                     .arg(blockSize)
                     .arg(low)
                     .arg(at)
                     .arg(high));
    QVERIFY(std::isfinite(low) && std::isfinite(at) && std::isfinite(high));
    switch (mode) {
    case 0: // low-pass: flat below, -3 dB at the cutoff, 40 dB per decade above
        QVERIFY2(std::fabs(low) < 0.1, qPrintable(QString::number(low)));
        QVERIFY2(std::fabs(at + 3.0103) < 0.1, qPrintable(QString::number(at)));
        QVERIFY2(high < -38.0, qPrintable(QString::number(high)));
        break;
    case 1: // high-pass: the mirror image
        QVERIFY2(low < -38.0, qPrintable(QString::number(low)));
        QVERIFY2(std::fabs(at + 3.0103) < 0.1, qPrintable(QString::number(at)));
        QVERIFY2(std::fabs(high) < 0.1, qPrintable(QString::number(high)));
        break;
    default: // band-pass with 0 dB peak: 20 dB per decade on both sides (-17 dB a decade out at this Q)
        QVERIFY2(std::fabs(at) < 0.1, qPrintable(QString::number(at)));
        QVERIFY2(low < -15.0 && low > -19.0, qPrintable(QString::number(low)));
        QVERIFY2(high < -15.0, qPrintable(QString::number(high)));
        break;
    }
}

void TestBiquad::resonancePeaksAtCutoff_data() {
    addRateBlockRows();
}

void TestBiquad::resonancePeaksAtCutoff() {
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    // A resonant low-pass has gain Q at its cutoff: `resonance` (the predecessor's name for q) of
    // 10 gives +20 dB.
    const double at = biquadGainDb(sampleRate, blockSize, 0, 10.0, kCutoff);
    QVERIFY2(std::fabs(at - 20.0) < 0.2, qPrintable(QString::number(at)));
}

void TestBiquad::polyKernelsMatchTheMonoFilterPerChannel_data() {
    QTest::addColumn<int>("mode");
    QTest::addColumn<bool>("ramped");
    QTest::addColumn<int>("block");
    for (int mode : {0, 1, 2})
        for (bool ramped : {false, true})
            for (int block : {1, 37, 64})
                QTest::newRow(qPrintable(
                    QStringLiteral("mode %1%2, block %3").arg(mode).arg(ramped ? " ramped" : "").arg(block)))
                    << mode << ramped << block;
}

void TestBiquad::polyKernelsMatchTheMonoFilterPerChannel() {
    // Channel k of a 16-channel biquad on 16 saws, portable and AVX2 copies, against a mono biquad
    // fed channel k alone. The kernel runs the mono recurrence with the same coefficients, so the
    // portable copy agrees to the bit; the AVX2 copy fuses its multiply-adds, and the recurrence's
    // poles near the unit circle carry those last-bit differences along: measured under 5e-6 of the
    // peak (Q 3), 5e-5 allowed, while another channel's saw is off by the whole signal. "ramped"
    // moves cutoff and Q at the middle (coefficients per frame).
    QFETCH(int, mode);
    QFETCH(bool, ramped);
    QFETCH(int, block);
    using engine::simd::Level;
    poly::Case tc;
    tc.type = "biquad";
    tc.params = {{"cutoff", 900.0}, {"q", 3.0}, {"mode", double(mode)}};
    tc.output = "out";
    tc.feeds.push_back({"in", false, [](engine::PatchGraph& g, int c) {
                            const std::string id = "saw" + std::to_string(c);
                            (void)g.addModule(id, "saw");
                            (void)g.setParam(id, "freq", 55.0 * std::exp2(c / 5.0));
                            return id;
                        }});
    auto edit = [&](OfflineRenderer& r) {
        if (ramped) {
            QVERIFY(r.setParam("dut", "cutoff", 2500.0).ok());
            QVERIFY(r.setParam("dut", "q", 0.9).ok());
        }
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
        QVERIFY2(generic == mono, qPrintable(QString::number(poly::relativeDifference(mono, generic))));
        const double d = poly::relativeDifference(mono, wide);
        QVERIFY2(d < 5e-5, qPrintable(QStringLiteral("channel %1: %2 of the peak").arg(k).arg(d)));
        if (k == 15)
            qInfo("channel %d, avx2: %.3g of the peak", k, d);
    }
    engine::simd::setLevel(Level::Avx2);
}

} // namespace chronus::test

QTEST_APPLESS_MAIN(chronus::test::TestBiquad)
#include "tst_biquad.moc"
