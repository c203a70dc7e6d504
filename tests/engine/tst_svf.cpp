// The state-variable filter: the low-pass corner where the cutoff says, sane high- and band-pass
// responses, and stability at the highest Q on noise and on an impulse.

#include "EngineTestUtils.hpp"
#include "PolyCompare.hpp"
#include "engine/ModuleRegistry.hpp"
#include "engine/OfflineRenderer.hpp"
#include "engine/modules/Svf.hpp"
#include "support/SignalAnalysis.hpp"

#include <QObject>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <memory>
#include <numbers>
#include <span>
#include <vector>

namespace chronus::test {

using engine::OfflineRenderer;

namespace {

// A Butterworth (Q = 1/sqrt 2) low-pass is 3.0103 dB down at its cutoff.
constexpr double kCornerDb = -3.0103;
constexpr double kMaxCutoffError = 0.02;

// Gain in dB of one output of a filter `type` on a sine at `freq`. The sine also goes to the right
// channel: the gain is output level minus input level, measured the same way, after the transient.
double filterGainDb(double sampleRate, int blockSize, const char* type, const char* output, double cutoff,
                    double q, double freq, int mode = -1) {
    OfflineRenderer r{sampleRate, blockSize};
    engine::PatchGraph& g = r.graph();
    const QByteArray filterOut = QByteArray("filter.") + output;
    if (!g.addModule("tone", "sine") || !g.setParam("tone", "freq", freq) || !g.addModule("filter", type) ||
        !g.setParam("filter", "cutoff", cutoff) || !g.setParam("filter", "q", q) ||
        (mode >= 0 && !g.setParam("filter", "mode", mode)) || !g.connect("tone", "filter.in") ||
        !g.connect(filterOut.constData(), "out.left") || !g.connect("tone", "out.right"))
        return std::nan("");
    auto rendered = r.render(0.3);
    if (!rendered || !allFinite(rendered->left))
        return std::nan("");
    const std::size_t settle = static_cast<std::size_t>(0.1 * sampleRate);
    const std::span<const float> filtered = std::span<const float>(rendered->left).subspan(settle);
    const std::span<const float> input = std::span<const float>(rendered->right).subspan(settle);
    return toneLevelDb(filtered, sampleRate, freq) - toneLevelDb(input, sampleRate, freq);
}

// Time constant of the resonance's decay. The filter integrates by the trapezoidal rule with a
// prewarped gain g = tan(pi fc / sr), so its poles are the bilinear images of the analog ones:
// near Nyquist they sit closer to the unit circle than Q / (pi fc) suggests, and ring longer.
double ringTimeConstantSeconds(double cutoff, double q, double sampleRate) {
    const double fc = std::min(cutoff, 0.48 * sampleRate);
    const double g = std::tan(std::numbers::pi * fc / sampleRate);
    const double re = g / (2.0 * q), im = g * std::sqrt(1.0 - 1.0 / (4.0 * q * q));
    const double radius2 = ((1.0 - re) * (1.0 - re) + im * im) / ((1.0 + re) * (1.0 + re) + im * im);
    return -1.0 / (0.5 * std::log(radius2)) / sampleRate;
}

// The frequency where the gain crosses `db`, interpolated on a log-frequency axis between two
// measured points that bracket it.
double crossing(double f1, double db1, double f2, double db2, double db) {
    const double t = (db - db1) / (db2 - db1);
    return f1 * std::pow(f2 / f1, t);
}

void addCutoffRows() {
    QTest::addColumn<double>("cutoff");
    addRateBlockColumns();
    for (double cutoff : {100.0, 1000.0, 5000.0, 15000.0})
        for (double sampleRate : kSampleRates)
            for (int blockSize : kBlockSizes)
                QTest::addRow("%g Hz/%s", cutoff, qPrintable(rateBlockName(sampleRate, blockSize)))
                    << cutoff << sampleRate << blockSize;
}

} // namespace

class TestSvf : public QObject {
    Q_OBJECT

private slots:
    void lowPassMinus3dBWithinTwoPercentOfCutoff_data();
    void lowPassMinus3dBWithinTwoPercentOfCutoff();
    void highPassAndBandPassShapes_data();
    void highPassAndBandPassShapes();
    void maximumQStaysBoundedOnNoiseAndRingsDown_data();
    void maximumQStaysBoundedOnNoiseAndRingsDown();
    void maximumQImpulseResponseRingsDown_data();
    void maximumQImpulseResponseRingsDown();
    void blockPathMatchesPerSamplePath_data();
    void blockPathMatchesPerSamplePath();
    void simdTanIsAccurate();
    void polyKernelsMatchTheMonoFilterPerChannel_data();
    void polyKernelsMatchTheMonoFilterPerChannel();
    void polyChannelCountFollowsTheInputs();
    void polyFilterComputesOnlyTheOutputsThatAreReadAndTheSameValues();
};

void TestSvf::lowPassMinus3dBWithinTwoPercentOfCutoff_data() {
    addCutoffRows();
}

void TestSvf::lowPassMinus3dBWithinTwoPercentOfCutoff() {
    QFETCH(double, cutoff);
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    // The -3 dB point lies within 2 % of the cutoff exactly when the gain 2 % below the cutoff is
    // above -3.01 dB and the gain 2 % above is below it (the low-pass falls monotonically).
    const double below = cutoff * (1.0 - kMaxCutoffError);
    const double above = cutoff * (1.0 + kMaxCutoffError);
    const double gainBelow = filterGainDb(sampleRate, blockSize, "svf", "lp", cutoff, 0.707, below);
    const double gainAt = filterGainDb(sampleRate, blockSize, "svf", "lp", cutoff, 0.707, cutoff);
    const double gainAbove = filterGainDb(sampleRate, blockSize, "svf", "lp", cutoff, 0.707, above);
    QVERIFY(std::isfinite(gainBelow) && std::isfinite(gainAt) && std::isfinite(gainAbove));
    const double corner = gainAt > kCornerDb ? crossing(cutoff, gainAt, above, gainAbove, kCornerDb)
                                             : crossing(below, gainBelow, cutoff, gainAt, kCornerDb);
    const double error = corner / cutoff - 1.0;
    reportFigure(QStringLiteral("svf lp %1 Hz @ %2/%3: gain at cutoff %4 dB, -3 dB at %5 Hz (%6 %)")
                     .arg(cutoff)
                     .arg(sampleRate)
                     .arg(blockSize)
                     .arg(gainAt)
                     .arg(corner)
                     .arg(100.0 * error));
    QVERIFY2(gainBelow > kCornerDb && gainAbove < kCornerDb,
             qPrintable(QStringLiteral("gain %1 dB at -2 %, %2 dB at +2 %: -3 dB point at %3 Hz")
                            .arg(gainBelow)
                            .arg(gainAbove)
                            .arg(corner)));
    QVERIFY(std::fabs(error) < kMaxCutoffError);
}

void TestSvf::highPassAndBandPassShapes_data() {
    addRateBlockRows();
}

void TestSvf::highPassAndBandPassShapes() {
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    constexpr double kCutoff = 1000.0, kQ = 0.707;
    auto gain = [&](const char* output, double freq) {
        return filterGainDb(sampleRate, blockSize, "svf", output, kCutoff, kQ, freq);
    };
    // Second order: 40 dB per decade outside the passband for low- and high-pass, 20 dB for the
    // band-pass, which has unity gain at its centre.
    const double lpPass = gain("lp", kCutoff / 10.0), lpStop = gain("lp", kCutoff * 10.0);
    const double hpPass = gain("hp", kCutoff * 10.0), hpCorner = gain("hp", kCutoff),
                 hpStop = gain("hp", kCutoff / 10.0);
    const double bpCentre = gain("bp", kCutoff), bpLow = gain("bp", kCutoff / 10.0),
                 bpHigh = gain("bp", kCutoff * 10.0);
    reportFigure(QStringLiteral("svf @ %1/%2: lp %3/%4, hp %5/%6/%7, bp %8/%9/%10 dB")
                     .arg(sampleRate)
                     .arg(blockSize)
                     .arg(lpPass)
                     .arg(lpStop)
                     .arg(hpPass)
                     .arg(hpCorner)
                     .arg(hpStop)
                     .arg(bpCentre)
                     .arg(bpLow)
                     .arg(bpHigh));
    QVERIFY2(std::fabs(lpPass) < 0.1, qPrintable(QString::number(lpPass)));
    QVERIFY2(lpStop < -38.0, qPrintable(QString::number(lpStop)));
    QVERIFY2(std::fabs(hpPass) < 0.1, qPrintable(QString::number(hpPass)));
    QVERIFY2(std::fabs(hpCorner - kCornerDb) < 0.1, qPrintable(QString::number(hpCorner)));
    QVERIFY2(hpStop < -38.0, qPrintable(QString::number(hpStop)));
    QVERIFY2(std::fabs(bpCentre) < 0.1, qPrintable(QString::number(bpCentre)));
    QVERIFY2(bpLow < -15.0 && bpLow > -19.0, qPrintable(QString::number(bpLow)));
    QVERIFY2(bpHigh < -15.0, qPrintable(QString::number(bpHigh)));
}

void TestSvf::maximumQStaysBoundedOnNoiseAndRingsDown_data() {
    QTest::addColumn<double>("cutoff");
    addRateBlockColumns();
    for (double cutoff : {20.0, 1000.0, 20000.0})
        for (double sampleRate : kSampleRates)
            for (int blockSize : kBlockSizes)
                QTest::addRow("%g Hz/%s", cutoff, qPrintable(rateBlockName(sampleRate, blockSize)))
                    << cutoff << sampleRate << blockSize;
}

void TestSvf::maximumQStaysBoundedOnNoiseAndRingsDown() {
    QFETCH(double, cutoff);
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    const double maxQ = static_cast<double>(engine::ModuleRegistry::instance().find("svf")->params[1].max);
    for (const char* output : {"lp", "bp", "hp"}) {
        OfflineRenderer r{sampleRate, blockSize};
        engine::PatchGraph& g = r.graph();
        CHRONUS_VERIFY_OK(g.addModule("noise", "noise"));
        CHRONUS_VERIFY_OK(g.setParam("noise", "gain", 1.0));
        CHRONUS_VERIFY_OK(g.addModule("filter", "svf"));
        CHRONUS_VERIFY_OK(g.setParam("filter", "cutoff", cutoff));
        CHRONUS_VERIFY_OK(g.setParam("filter", "resonance", maxQ));
        CHRONUS_VERIFY_OK(g.connect("noise", "filter.in"));
        CHRONUS_VERIFY_OK(g.connect(qPrintable(QStringLiteral("filter.%1").arg(output)), "out"));
        auto driven = r.render(0.5);
        CHRONUS_VERIFY_OK(driven);
        // Then silence, for ten time constants of the resonance.
        CHRONUS_VERIFY_OK(r.setParam("noise", "gain", 0.0));
        const double tau = ringTimeConstantSeconds(cutoff, maxQ, sampleRate);
        auto decayed = r.render(10.0 * tau + 0.02);
        CHRONUS_VERIFY_OK(decayed);
        QVERIFY(allFinite(driven->left) && allFinite(decayed->left));
        // White noise of peak 1 through a resonance of gain Q: loud, but bounded.
        const float drivenPeak = peak(driven->left);
        const double drivenRms = rms(driven->left);
        const std::span<const float> tail =
            std::span<const float>(decayed->left).last(decayed->frames() / 20);
        reportFigure(QStringLiteral("svf %1 Q %2 %3 Hz @ %4/%5: noise peak %6 rms %7, tail rms %8")
                         .arg(output)
                         .arg(maxQ)
                         .arg(cutoff)
                         .arg(sampleRate)
                         .arg(blockSize)
                         .arg(drivenPeak)
                         .arg(drivenRms)
                         .arg(rms(tail)));
        QVERIFY2(drivenPeak < 64.0f,
                 qPrintable(QStringLiteral("%1: peak %2 on noise").arg(output).arg(drivenPeak)));
        QVERIFY2(drivenRms > 1e-5, "the filter passed nothing: nothing was tested");
        QVERIFY2(rms(tail) < 1e-3 * drivenRms,
                 qPrintable(
                     QStringLiteral("%1: still %2 rms after ten time constants").arg(output).arg(rms(tail))));
    }
}

void TestSvf::maximumQImpulseResponseRingsDown_data() {
    QTest::addColumn<double>("cutoff");
    addRateBlockColumns();
    for (double cutoff : {200.0, 2000.0, 19000.0})
        for (double sampleRate : kSampleRates)
            for (int blockSize : kBlockSizes)
                QTest::addRow("%g Hz/%s", cutoff, qPrintable(rateBlockName(sampleRate, blockSize)))
                    << cutoff << sampleRate << blockSize;
}

void TestSvf::maximumQImpulseResponseRingsDown() {
    QFETCH(double, cutoff);
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    // No module makes a one-sample impulse, so this drives the module directly, block by block, the
    // way a plan does.
    const engine::ModuleType& type = *engine::ModuleRegistry::instance().find("svf");
    const std::unique_ptr<engine::Module> svf = type.create(type);
    const engine::ParamIndex cutoffParam = type.findParam("cutoff"), qParam = type.findParam("q");
    const float maxQ = type.params[static_cast<std::size_t>(qParam)].max;
    svf->setParamImmediate(cutoffParam, static_cast<float>(cutoff));
    svf->setParamImmediate(qParam, maxQ);
    svf->prepare({sampleRate, blockSize});

    const double tau = ringTimeConstantSeconds(cutoff, static_cast<double>(maxQ), sampleRate);
    const std::size_t frames = static_cast<std::size_t>((16.0 * tau + 0.01) * sampleRate);
    std::vector<float> in(frames, 0.0f);
    in[0] = 1.0f;
    std::vector<float> lp(frames), bp(frames), hp(frames);
    for (std::size_t done = 0; done < frames;) {
        const int n =
            static_cast<int>(std::min<std::size_t>(frames - done, static_cast<std::size_t>(blockSize)));
        const float* inputs[] = {in.data() + done, nullptr};
        float* outputs[] = {lp.data() + done, bp.data() + done, hp.data() + done};
        svf->process({n, inputs, outputs});
        done += static_cast<std::size_t>(n);
    }
    for (const auto& [name, out] : {std::pair{"lp", &lp}, std::pair{"bp", &bp}, std::pair{"hp", &hp}}) {
        const std::span<const float> y(*out);
        QVERIFY2(allFinite(y), name);
        const double head = rms(y.first(frames / 10));
        const double tail = rms(y.last(frames / 10));
        reportFigure(QStringLiteral("svf impulse %1 %2 Hz @ %3/%4: peak %5, head rms %6, tail rms %7")
                         .arg(name)
                         .arg(cutoff)
                         .arg(sampleRate)
                         .arg(blockSize)
                         .arg(peak(y))
                         .arg(head)
                         .arg(tail));
        QVERIFY2(peak(y) <= 2.0f,
                 qPrintable(QStringLiteral("%1: impulse response peaks at %2").arg(name).arg(peak(y))));
        QVERIFY2(head > 1e-5, qPrintable(QStringLiteral("%1: no response to the impulse").arg(name)));
        // Sixteen time constants: the tail is e^-15 of the head (-130 dB); allow a wide margin.
        QVERIFY2(tail < 1e-4 * head,
                 qPrintable(QStringLiteral("%1: tail rms %2 vs head %3").arg(name).arg(tail).arg(head)));
    }
}

void TestSvf::blockPathMatchesPerSamplePath_data() {
    QTest::addColumn<QString>("output");
    QTest::addColumn<double>("q");
    for (const char* output : {"lp", "bp", "hp"})
        for (double q : {0.707, 4.0, 40.0})
            QTest::newRow(qPrintable(QStringLiteral("%1 Q %2").arg(QLatin1String(output)).arg(q))) << QString::fromLatin1(output) << q;
}

void TestSvf::blockPathMatchesPerSamplePath() {
    // A constant cutoff takes the vectorised block path; a connected cutoff CV (here a constant 0,
    // so the same cutoff) takes the per-sample path. Both must be the same filter.
    QFETCH(QString, output);
    QFETCH(double, q);
    OfflineRenderer r{48000.0, 64};
    engine::PatchGraph& g = r.graph();
    CHRONUS_VERIFY_OK(g.addModule("noise", "noise"));
    CHRONUS_VERIFY_OK(g.addModule("zero", "lfo"));
    CHRONUS_VERIFY_OK(g.setParam("zero", "depth", 0.0));
    for (const char* id : {"block", "perSample"}) {
        CHRONUS_VERIFY_OK(g.addModule(id, "svf"));
        CHRONUS_VERIFY_OK(g.setParam(id, "cutoff", 1234.0));
        CHRONUS_VERIFY_OK(g.setParam(id, "q", q));
        CHRONUS_VERIFY_OK(g.connect("noise", std::string(id) + ".in"));
    }
    CHRONUS_VERIFY_OK(g.connect("zero", "perSample.cutoff"));
    CHRONUS_VERIFY_OK(g.connect("block." + output.toStdString(), "out.left"));
    CHRONUS_VERIFY_OK(g.connect("perSample." + output.toStdString(), "out.right"));
    auto rendered = r.render(1.0);
    CHRONUS_VERIFY_OK(rendered);
    float largestDifference = 0.0f;
    for (std::size_t i = 0; i < rendered->frames(); ++i)
        largestDifference = std::max(largestDifference, std::fabs(rendered->left[i] - rendered->right[i]));
    const float level = peak(rendered->right);
    QVERIFY(level > 0.01f);
    QVERIFY2(largestDifference <= 1e-4f * level,
             qPrintable(QStringLiteral("difference %1 at peak %2").arg(largestDifference).arg(level)));
}

void TestSvf::simdTanIsAccurate() {
    // Every argument the filter can ask for: pi fc / sr from 1 Hz at 192 kHz to 0.48 sr (the
    // clamp), on a dense grid, against double tan of the same float argument.
    using engine::simd::F8;
    double worst = 0.0, worstAt = 0.0;
    const double lo = std::numbers::pi * 1.0 / 192000.0, hi = std::numbers::pi * 0.48;
    constexpr int kPoints = 1 << 18;
    for (int i = 0; i < kPoints; i += 8) {
        F8 x;
        for (int lane = 0; lane < 8; ++lane)
            x[lane] = static_cast<float>(lo * std::pow(hi / lo, double(i + lane) / (kPoints - 1)));
        const F8 t = engine::simd::tan(x);
        for (int lane = 0; lane < 8; ++lane) {
            const double exact = std::tan(double(x[lane]));
            const double err = std::abs(double(t[lane]) - exact) / exact;
            if (err > worst) {
                worst = err;
                worstAt = x[lane];
            }
        }
    }
    qInfo("simd::tan: largest relative error %.3g at %.6f", worst, worstAt);
    QVERIFY2(worst < 1e-6, qPrintable(QString::number(worst)));
}

namespace {

// 16 saws at different pitches through the filter; per mode, what modulates it.
poly::Case svfCase(const QString& mode) {
    poly::Case tc;
    tc.type = "svf";
    tc.params = {{"cutoff", 800.0}, {"q", 2.0}};
    tc.output = mode == "cv" || mode == "constant bp" ? "bp" : mode == "ramped" || mode == "constant hp" ? "hp" : "lp";
    tc.feeds.push_back({"in", false, [](engine::PatchGraph& g, int c) {
                            const std::string id = "saw" + std::to_string(c);
                            (void)g.addModule(id, "saw");
                            (void)g.setParam(id, "freq", 55.0 * std::exp2(c / 5.0));
                            return id;
                        }});
    if (mode == "cv") // each channel's own cutoff sweep: +-3 octaves at its own rate
        tc.feeds.push_back({"cutoff", false, [](engine::PatchGraph& g, int c) {
                                const std::string id = "lfo" + std::to_string(c);
                                (void)g.addModule(id, "lfo");
                                (void)g.setParam(id, "rate", 3.0 + 1.7 * c);
                                (void)g.setParam(id, "depth", 3.0);
                                (void)g.setParam(id, "offset", 0.25 * (c % 4));
                                return id;
                            }});
    if (mode == "shared cv") // one mono cable sweeps every channel's cutoff
        tc.feeds.push_back({"cutoff", true, [](engine::PatchGraph& g, int) {
                                (void)g.addModule("lfo", "lfo");
                                (void)g.setParam("lfo", "rate", 7.0);
                                (void)g.setParam("lfo", "depth", 2.0);
                                return std::string("lfo");
                            }});
    return tc;
}

} // namespace

void TestSvf::polyKernelsMatchTheMonoFilterPerChannel_data() {
    poly::addModeBlockRows({"constant", "constant bp", "constant hp", "ramped", "cv", "shared cv"});
}

void TestSvf::polyKernelsMatchTheMonoFilterPerChannel() {
    // Channel k of a 16-channel svf against a mono svf fed channel k alone, with the portable and the
    // AVX2 copy of the kernel. The AVX2 copy fuses multiply-adds, so the copies differ in the last
    // bits. Against the mono module: with a constant cutoff the mono filter runs its block form (the
    // poly kernel the per-sample form), a different rounding order; with modulation the poly
    // kernel's exp2 and tan are approximations (relative 3e-7 and 2e-7, simdTanIsAccurate) of
    // std::exp2 and std::tan. Each is a few float roundings of the signal, and Q 2 barely amplifies
    // coefficient errors: measured under 7e-7 of the peak on every row; 1e-5 allows 15x that, while a
    // channel fed another channel's saw or cutoff is off by the whole signal.
    QFETCH(QString, mode);
    QFETCH(int, block);
    using engine::simd::Level;
    const poly::Case tc = svfCase(mode);
    const bool avx2 = engine::simd::cpuHasAvx2();
    auto edit = [&](engine::OfflineRenderer& r) {
        if (mode == "ramped") {
            QVERIFY(r.setParam("dut", "cutoff", 3000.0).ok());
            QVERIFY(r.setParam("dut", "q", 6.0).ok());
        }
    };
    constexpr std::size_t kFrames = 4800;
    for (int k : {0, 7, 8, 15}) {
        const auto mono = poly::renderChannel(tc, Level::Generic, 1, k, block, kFrames, edit);
        const auto generic = poly::renderChannel(tc, Level::Generic, 16, k, block, kFrames, edit);
        const auto wide =
            poly::renderChannel(tc, avx2 ? Level::Avx2 : Level::Generic, 16, k, block, kFrames, edit);
        QCOMPARE(mono.size(), kFrames);
        QCOMPARE(generic.size(), kFrames);
        QVERIFY(peak(mono) > 0.01f);
        for (const auto* run : {&generic, &wide}) {
            const double d = poly::relativeDifference(mono, *run);
            QVERIFY2(d < 1e-5, qPrintable(QStringLiteral("channel %1: %2 of the peak").arg(k).arg(d)));
            if (k == 15)
                qInfo("channel %d, %s: poly vs mono %.3g of the peak", k,
                      run == &generic ? "portable" : "avx2", d);
        }
        QVERIFY(poly::relativeDifference(generic, wide) < 1e-5);
    }
    engine::simd::setLevel(Level::Avx2);
}

void TestSvf::polyChannelCountFollowsTheInputs() {
    // 3 channels on `in` make 3 (a stride of 8 with 5 padding lanes); the cutoff CV's 5 make 5.
    poly::Case tc = svfCase("cv");
    for (int channels : {3, 9}) {
        const auto mono = poly::renderChannel(tc, engine::simd::Level::Generic, 1, channels - 1, 64, 960);
        const auto poly =
            poly::renderChannel(tc, engine::simd::Level::Generic, channels, channels - 1, 64, 960);
        QCOMPARE(poly.size(), std::size_t(960)); // renderChannel checks channelsOf("dut")
        QVERIFY(poly::relativeDifference(mono, poly) < 1e-5);
    }
    engine::OfflineRenderer r{48000.0, 64};
    engine::PatchGraph& g = r.graph();
    CHRONUS_VERIFY_OK(g.addModule("f", "svf"));
    CHRONUS_VERIFY_OK(g.addModule("a", "const"));
    CHRONUS_VERIFY_OK(g.setText("a", "values", "1 2 3"));
    CHRONUS_VERIFY_OK(g.addModule("b", "const"));
    CHRONUS_VERIFY_OK(g.setText("b", "values", "0 1 0 1 0"));
    QCOMPARE(poly::channelsOf(g, "f"), 1);
    CHRONUS_VERIFY_OK(g.connect("a", "f.in"));
    QCOMPARE(poly::channelsOf(g, "f", engine::Svf::Lp), 3);
    QCOMPARE(poly::channelsOf(g, "f", engine::Svf::Hp), 3);
    CHRONUS_VERIFY_OK(g.connect("b", "f.cutoff"));
    QCOMPARE(poly::channelsOf(g, "f"), 5);
}

void TestSvf::polyFilterComputesOnlyTheOutputsThatAreReadAndTheSameValues() {
    // With a constant cutoff the poly kernel skips the band- and high-pass outputs no cable reads;
    // each output read alone must hold the same samples as when all three are read.
    using engine::simd::Level;
    for (Level level : {Level::Generic, Level::Avx2}) {
        // Channel 10 of the outputs in `read` (0 lp, 1 bp, 2 hp) each into a split; `left` and
        // `right` are the ones heard.
        auto render = [&](std::initializer_list<int> read, int left, int right) {
            engine::simd::setLevel(level);
            engine::OfflineRenderer r{48000.0, 64};
            engine::PatchGraph& g = r.graph();
            bool ok = g.addModule("pitch", "const").ok() &&
                      g.setText("pitch", "values", "0 0.1 0.2 0.3 0.4 0.5 0.6 0.7 0.8 0.9 1 1.1").ok() &&
                      g.addModule("osc", "saw").ok() && g.setParam("osc", "freq", 110.0).status().ok() &&
                      g.connect("pitch", "osc.fm").ok() && g.addModule("f", "svf").ok() &&
                      g.setParam("f", "cutoff", 900.0).status().ok() && g.setParam("f", "q", 3.0).status().ok() &&
                      g.connect("osc", "f.in").ok();
            for (int port : read) {
                const std::string split = "split" + std::to_string(port);
                const char* names[] = {"lp", "bp", "hp"};
                ok = ok && g.addModule(split, "split").ok() && g.connect(std::string("f.") + names[port], split).ok();
                if (port == left)
                    ok = ok && g.connect(split + ".out10", "out.left").ok();
                if (port == right)
                    ok = ok && g.connect(split + ".out10", "out.right").ok();
            }
            std::vector<std::vector<float>> outs;
            auto out = r.renderFrames(4800);
            if (ok && out)
                outs = {out->left, out->right};
            return outs;
        };
        const auto all = render({0, 1, 2}, 0, 1);
        const auto allHp = render({0, 1, 2}, 0, 2);
        const auto lpAlone = render({0}, 0, -1);
        const auto bpAlone = render({1}, -1, 1);
        const auto hpAlone = render({2}, -1, 2);
        const auto lpHp = render({0, 2}, 0, 2);
        for (const auto* run : {&all, &allHp, &lpAlone, &bpAlone, &hpAlone, &lpHp})
            QCOMPARE(run->size(), std::size_t(2));
        QVERIFY(peak(all[0]) > 0.05f && peak(all[1]) > 0.05f && peak(allHp[1]) > 0.05f);
        QVERIFY(all[0] == allHp[0]);
        QVERIFY(lpAlone[0] == all[0]);
        QVERIFY(bpAlone[1] == all[1]);
        QVERIFY(hpAlone[1] == allHp[1]);
        QVERIFY(lpHp[0] == all[0] && lpHp[1] == allHp[1]);
        QVERIFY(all[1] != allHp[1]); // bp and hp are different outputs
    }
    engine::simd::setLevel(Level::Avx2);
}

} // namespace chronus::test

QTEST_APPLESS_MAIN(chronus::test::TestSvf)
#include "tst_svf.moc"
