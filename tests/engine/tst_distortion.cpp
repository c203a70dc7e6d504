// The distortion: every shape finite and bounded, mix 0 is a bypass, drive adds harmonics, crush
// lands on its bit depth's steps and holds for `downsample` samples, the antialiasing beats plain
// waveshaping of the same input, and the tone control is a low-pass.

#include "EngineTestUtils.hpp"
#include "PolyCompare.hpp"
#include "engine/ModuleRegistry.hpp"
#include "engine/OfflineRenderer.hpp"
#include "support/SignalAnalysis.hpp"

#include <QObject>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <set>
#include <span>
#include <vector>

namespace chronus::test {

using engine::OfflineRenderer;

namespace {

const char* const kModes[] = {"soft", "hard", "fold", "crush"};
enum { Soft, Hard, Fold, Crush };

struct Settings {
    int mode = Soft;
    double drive = 0.0;
    double tone = 20000.0;
    double mix = 1.0;
    double level = 1.0;
    double bits = 8.0;
    double downsample = 1.0;
};

bool addDistortion(engine::PatchGraph& g, const char* id, const Settings& s) {
    return g.addModule(id, "distortion") && g.setParam(id, "mode", s.mode) &&
           g.setParam(id, "drive", s.drive) && g.setParam(id, "tone", s.tone) &&
           g.setParam(id, "mix", s.mix) && g.setParam(id, "level", s.level) &&
           g.setParam(id, "bits", s.bits) && g.setParam(id, "downsample", s.downsample);
}

// A sine of `freq` and `amplitude` through the distortion to the left channel, the same sine
// alone to the right.
engine::Result<engine::StereoBuffer> renderSine(double sampleRate, int blockSize, const Settings& s,
                                                double freq, double amplitude, double seconds) {
    OfflineRenderer r{sampleRate, blockSize};
    engine::PatchGraph& g = r.graph();
    if (!g.addModule("tone", "sine") || !g.setParam("tone", "freq", freq) ||
        !g.setParam("tone", "gain", amplitude) || !addDistortion(g, "dist", s) ||
        !g.connect("tone", "dist.in") || !g.connect("dist", "out.left") || !g.connect("tone", "out.right"))
        return engine::Status::error(engine::ErrorCode::InvalidArgument, "could not build the test patch");
    return r.render(seconds);
}

// Total harmonic distortion in dB: harmonics 2..15 (below Nyquist) against the fundamental.
double thdDb(std::span<const float> x, double sampleRate, double fundamental) {
    double power = 0.0;
    for (int h = 2; h <= 15 && h * fundamental < 0.45 * sampleRate; ++h)
        power += std::pow(10.0, toneLevelDb(x, sampleRate, h * fundamental) / 10.0);
    return 10.0 * std::log10(std::max(power, 1e-30)) - toneLevelDb(x, sampleRate, fundamental);
}

// Power of everything that is not a harmonic of `fundamental` (more than `guardBins` bins from
// every k x fundamental), in dB relative to the fundamental: the aliasing's total, where
// inharmonicLevelDb gives its strongest component.
double inharmonicPowerDb(std::span<const float> x, double sampleRate, double fundamental, int guardBins = 8) {
    const std::vector<double> mag = magnitudeSpectrum(x);
    const double binHz = sampleRate / static_cast<double>(x.size());
    double fundamentalMag = 0.0, power = 0.0;
    for (std::size_t k = 1; k < mag.size(); ++k) {
        const double f = static_cast<double>(k) * binHz;
        if (std::fabs(f - fundamental) <= guardBins * binHz)
            fundamentalMag = std::max(fundamentalMag, mag[k]);
        if (std::fabs(f - std::round(f / fundamental) * fundamental) > guardBins * binHz)
            power += mag[k] * mag[k];
    }
    return 10.0 * std::log10(std::max(power, 1e-300)) - 20.0 * std::log10(std::max(fundamentalMag, 1e-300));
}

} // namespace

class TestDistortion : public QObject {
    Q_OBJECT

private slots:
    void everyModeFiniteAndBounded_data();
    void everyModeFiniteAndBounded();
    void mixZeroPassesInputUnchanged_data();
    void mixZeroPassesInputUnchanged();
    void driveRaisesHarmonics_data();
    void driveRaisesHarmonics();
    void crushQuantisesToBitsAndHolds_data();
    void crushQuantisesToBitsAndHolds();
    void antialiasingBeatsPlainWaveshaping_data();
    void antialiasingBeatsPlainWaveshaping();
    void toneIsALowPass();
    void seedNameAndParamsWork();
    void polyChannelsAreTheMonoDistortionPerChannel_data();
    void polyChannelsAreTheMonoDistortionPerChannel();
};

void TestDistortion::everyModeFiniteAndBounded_data() {
    QTest::addColumn<int>("mode");
    addRateBlockColumns();
    for (int mode = 0; mode < 4; ++mode)
        for (double sampleRate : kSampleRates)
            for (int blockSize : {1, 37, 4096})
                QTest::addRow("%s/%s", kModes[mode], qPrintable(rateBlockName(sampleRate, blockSize)))
                    << mode << sampleRate << blockSize;
}

void TestDistortion::everyModeFiniteAndBounded() {
    QFETCH(int, mode);
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    // Full-scale noise, doubled by a mixer, at the lowest and highest drive; the tone open (the
    // shapes' own bound, 1, plus for soft, hard and fold the slow mean their DC blocker takes out:
    // for this noise a random walk of a few percent) and closed (a 12 dB/oct low-pass may overshoot
    // a little).
    for (double drive : {0.0, 48.0})
        for (double tone : {20000.0, 200.0}) {
            OfflineRenderer r{sampleRate, blockSize};
            engine::PatchGraph& g = r.graph();
            CHRONUS_VERIFY_OK(g.addModule("noise", "noise"));
            CHRONUS_VERIFY_OK(g.setParam("noise", "gain", 1.0));
            CHRONUS_VERIFY_OK(g.addModule("loud", "vca"));
            CHRONUS_VERIFY_OK(g.setParam("loud", "level", 2.0));
            CHRONUS_VERIFY_OK(g.connect("noise", "loud.in"));
            Settings s;
            s.mode = mode;
            s.drive = drive;
            s.tone = tone;
            s.bits = 3.0;
            s.downsample = 3.5;
            QVERIFY(addDistortion(g, "dist", s));
            CHRONUS_VERIFY_OK(g.connect("loud", "dist.in"));
            CHRONUS_VERIFY_OK(g.connect("dist", "out"));
            auto rendered = r.render(0.5);
            CHRONUS_VERIFY_OK(rendered);
            QVERIFY(allFinite(rendered->left));
            const float p = peak(rendered->left);
            const float bound = tone >= 20000.0 ? (mode == 3 ? 1.0f + 1e-6f : 1.1f) : 1.25f;
            reportFigure(QStringLiteral("distortion %1 drive %2 tone %3 @ %4/%5: peak %6, mean %7")
                             .arg(kModes[mode])
                             .arg(drive)
                             .arg(tone)
                             .arg(sampleRate)
                             .arg(blockSize)
                             .arg(p)
                             .arg(mean(rendered->left)));
            QVERIFY2(p <= bound,
                     qPrintable(QStringLiteral("drive %1 tone %2: peak %3").arg(drive).arg(tone).arg(p)));
            QVERIFY2(p > 0.002f, "silent: nothing was tested");
            // the shapes are odd: no DC beyond the random walk of the noise's own mean
            QVERIFY2(std::fabs(mean(rendered->left)) < 0.05,
                     qPrintable(QString::number(mean(rendered->left))));
        }
}

void TestDistortion::mixZeroPassesInputUnchanged_data() {
    QTest::addColumn<int>("mode");
    for (int mode = 0; mode < 4; ++mode)
        QTest::newRow(kModes[mode]) << mode;
}

void TestDistortion::mixZeroPassesInputUnchanged() {
    QFETCH(int, mode);
    OfflineRenderer r{48000.0, 37};
    engine::PatchGraph& g = r.graph();
    CHRONUS_VERIFY_OK(g.addModule("noise", "noise"));
    CHRONUS_VERIFY_OK(g.setParam("noise", "gain", 1.0));
    Settings s;
    s.mode = mode;
    s.drive = 36.0;
    s.tone = 1000.0;
    s.mix = 0.0;
    s.level = 2.0;
    s.bits = 2.0;
    s.downsample = 8.0;
    QVERIFY(addDistortion(g, "dist", s));
    CHRONUS_VERIFY_OK(g.connect("noise", "dist.in"));
    CHRONUS_VERIFY_OK(g.connect("dist", "out.left"));
    CHRONUS_VERIFY_OK(g.connect("noise", "out.right"));
    auto rendered = r.render(0.5);
    CHRONUS_VERIFY_OK(rendered);
    QVERIFY(peak(rendered->right) > 0.1f);
    for (std::size_t i = 0; i < rendered->frames(); ++i)
        if (rendered->left[i] != rendered->right[i])
            QFAIL(qPrintable(
                QStringLiteral("sample %1: %2 != %3").arg(i).arg(rendered->left[i]).arg(rendered->right[i])));
}

void TestDistortion::driveRaisesHarmonics_data() {
    QTest::addColumn<int>("mode");
    for (int mode : {Soft, Hard, Fold})
        QTest::newRow(kModes[mode]) << mode;
}

void TestDistortion::driveRaisesHarmonics() {
    QFETCH(int, mode);
    constexpr double kSr = 48000.0, kFreq = 220.0, kAmplitude = 0.7;
    QString figures;
    double previous = -1000.0;
    double first = 0.0;
    for (double drive : {0.0, 6.0, 12.0, 24.0}) {
        Settings s;
        s.mode = mode;
        s.drive = drive;
        auto rendered = renderSine(kSr, 64, s, kFreq, kAmplitude, 0.5);
        CHRONUS_VERIFY_OK(rendered);
        QVERIFY(allFinite(rendered->left));
        const std::span<const float> steady = std::span<const float>(rendered->left).subspan(4800);
        const double thd = thdDb(steady, kSr, kFreq);
        figures += QStringLiteral(" %1 dB: THD %2 dB;").arg(drive).arg(thd);
        if (drive == 0.0)
            first = thd;
        else if (drive <= 12.0) // beyond, the fold's harmonics climb past the 15th: counted ones level off
            QVERIFY2(
                thd > previous + 3.0,
                qPrintable(
                    QStringLiteral("drive %1 dB: THD %2 dB after %3 dB").arg(drive).arg(thd).arg(previous)));
        previous = thd;
    }
    reportFigure(QStringLiteral("distortion %1 at %2 Hz, amplitude %3:%4")
                     .arg(kModes[mode])
                     .arg(kFreq)
                     .arg(kAmplitude)
                     .arg(figures));
    QVERIFY2(previous > -10.0, qPrintable(QStringLiteral("THD at 24 dB drive only %1 dB").arg(previous)));
    if (mode != Soft) // below the clip and fold points (0.7 < 1) the shape is the identity
        QVERIFY2(first < -80.0, qPrintable(QStringLiteral("THD at 0 dB drive %1 dB").arg(first)));
}

void TestDistortion::crushQuantisesToBitsAndHolds_data() {
    QTest::addColumn<double>("bits");
    QTest::addColumn<double>("downsample");
    QTest::newRow("1 bit") << 1.0 << 1.0;
    QTest::newRow("4 bits") << 4.0 << 1.0;
    QTest::newRow("8 bits") << 8.0 << 1.0;
    QTest::newRow("12 bits") << 12.0 << 1.0;
    QTest::newRow("6 bits, hold 4") << 6.0 << 4.0;
    QTest::newRow("8 bits, hold 2.5") << 8.0 << 2.5;
}

void TestDistortion::crushQuantisesToBitsAndHolds() {
    QFETCH(double, bits);
    QFETCH(double, downsample);
    Settings s;
    s.mode = Crush;
    s.bits = bits;
    s.downsample = downsample;
    auto rendered = renderSine(48000.0, 37, s, 441.0, 0.9, 0.5);
    CHRONUS_VERIFY_OK(rendered);
    const std::vector<float>& y = rendered->left;
    const double steps = std::exp2(bits - 1.0);
    std::set<float> values;
    double worstOffGrid = 0.0;
    double worstError = 0.0;
    for (std::size_t i = 0; i < y.size(); ++i) {
        const double scaled = static_cast<double>(y[i]) * steps;
        worstOffGrid = std::max(worstOffGrid, std::fabs(scaled - std::round(scaled)));
        values.insert(y[i]);
    }
    // Each held value is the input at the sample it was taken, rounded: the run of equal samples
    // starting there is the hold, at most ceil(downsample) long (the last one may be cut short).
    std::size_t longestRun = 0, run = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
        run = (i > 0 && y[i] == y[i - 1]) ? run + 1 : 1;
        if (run == 1)
            worstError = std::max(
                worstError, std::fabs(static_cast<double>(y[i]) - static_cast<double>(rendered->right[i])));
        longestRun = std::max(longestRun, run);
    }
    reportFigure(
        QStringLiteral("crush %1 bits hold %2: %3 distinct values, off grid by %4 steps, error %5 at "
                       "the sample taken, longest run %6")
            .arg(bits)
            .arg(downsample)
            .arg(values.size())
            .arg(worstOffGrid)
            .arg(worstError)
            .arg(longestRun));
    QVERIFY2(worstOffGrid < 1e-3, qPrintable(QString::number(worstOffGrid)));
    // a 0.9 sine covers 90 % of the 2^bits + 1 steps in [-1, 1]
    const double levels = 2.0 * steps + 1.0;
    QVERIFY2(values.size() <= static_cast<std::size_t>(levels), qPrintable(QString::number(values.size())));
    QVERIFY2(static_cast<double>(values.size()) >= 0.85 * levels,
             qPrintable(QStringLiteral("%1 of %2 levels").arg(values.size()).arg(levels)));
    QVERIFY2(worstError <= 0.5 / steps + 1e-6, qPrintable(QString::number(worstError)));
    if (downsample > 1.0) {
        // a run may join two holds that rounded alike, but never shorter holds than the factor
        std::size_t shortest = y.size();
        run = 1;
        for (std::size_t i = 1; i + 1 < y.size(); ++i) {
            if (y[i] != y[i - 1]) {
                if (i > run) // not the first run
                    shortest = std::min(shortest, run);
                run = 1;
            } else {
                ++run;
            }
        }
        QVERIFY2(shortest >= static_cast<std::size_t>(std::floor(downsample)),
                 qPrintable(QStringLiteral("a hold of %1 samples").arg(shortest)));
    }
}

void TestDistortion::antialiasingBeatsPlainWaveshaping_data() {
    QTest::addColumn<int>("mode");
    QTest::addColumn<double>("drive");
    QTest::newRow("soft 24 dB") << int(Soft) << 24.0;
    QTest::newRow("hard 24 dB") << int(Hard) << 24.0;
    QTest::newRow("fold 12 dB") << int(Fold) << 12.0;
}

void TestDistortion::antialiasingBeatsPlainWaveshaping() {
    QFETCH(int, mode);
    QFETCH(double, drive);
    // A 1234.5 Hz sine at 44.1 kHz: its harmonics fold back between the harmonics. The module's
    // output against the same shape applied sample by sample (here, in double) to the same input.
    constexpr double kSr = 44100.0, kFreq = 1234.5;
    Settings s;
    s.mode = mode;
    s.drive = drive;
    auto rendered = renderSine(kSr, 64, s, kFreq, 0.5, 1.0);
    CHRONUS_VERIFY_OK(rendered);
    const double gain = std::pow(10.0, drive / 20.0);
    std::vector<float> plain(rendered->frames());
    for (std::size_t i = 0; i < plain.size(); ++i) {
        const double v = gain * static_cast<double>(rendered->right[i]);
        double y = 0.0;
        if (mode == Soft) {
            y = std::tanh(v);
        } else if (mode == Hard) {
            y = std::clamp(v, -1.0, 1.0);
        } else {
            const double w = v + 1.0 - 4.0 * std::floor((v + 1.0) / 4.0) - 1.0;
            y = w <= 1.0 ? w : 2.0 - w;
        }
        plain[i] = static_cast<float>(y);
    }
    const std::span<const float> module = std::span<const float>(rendered->left).last(32768);
    const std::span<const float> reference = std::span<const float>(plain).last(32768);
    const double aliasModule = inharmonicLevelDb(module, kSr, kFreq);
    const double aliasPlain = inharmonicLevelDb(reference, kSr, kFreq);
    const double totalModule = inharmonicPowerDb(module, kSr, kFreq);
    const double totalPlain = inharmonicPowerDb(reference, kSr, kFreq);
    // The shape itself is the same: the harmonics well below Nyquist agree.
    const double thirdModule = toneLevelDb(module, kSr, 3 * kFreq),
                 thirdPlain = toneLevelDb(reference, kSr, 3 * kFreq);
    reportFigure(
        QStringLiteral("distortion %1 %2 dB at %3 Hz: strongest alias %4 dB (plain %5 dB), all aliases %6 dB "
                       "(plain %7 dB), 3rd harmonic %8 dB (plain %9 dB)")
            .arg(kModes[mode])
            .arg(drive)
            .arg(kFreq)
            .arg(aliasModule)
            .arg(aliasPlain)
            .arg(totalModule)
            .arg(totalPlain)
            .arg(thirdModule)
            .arg(thirdPlain));
    // First-order ADAA: measured 4.5 to 6 dB off the strongest alias and 5.5 to 7.5 dB off their
    // total here (more at lower notes, where the aliases come from higher harmonics).
    QVERIFY2(aliasModule < aliasPlain - 3.0,
             qPrintable(QStringLiteral("%1 vs %2 dB").arg(aliasModule).arg(aliasPlain)));
    QVERIFY2(totalModule < totalPlain - 4.5,
             qPrintable(QStringLiteral("%1 vs %2 dB").arg(totalModule).arg(totalPlain)));
    QVERIFY2(std::fabs(thirdModule - thirdPlain) < 1.0,
             qPrintable(QStringLiteral("%1 vs %2 dB").arg(thirdModule).arg(thirdPlain)));
}

void TestDistortion::toneIsALowPass() {
    // Drive 0 soft shaping of a small sine is nearly linear: the tone control's response alone.
    constexpr double kSr = 48000.0, kTone = 1000.0;
    auto gainAt = [&](double freq) {
        Settings s;
        s.tone = kTone;
        auto rendered = renderSine(kSr, 64, s, freq, 0.02, 0.3);
        if (!rendered)
            return std::nan("");
        const std::span<const float> wet = std::span<const float>(rendered->left).subspan(4800);
        const std::span<const float> dry = std::span<const float>(rendered->right).subspan(4800);
        return toneLevelDb(wet, kSr, freq) - toneLevelDb(dry, kSr, freq);
    };
    const double pass = gainAt(100.0), corner = gainAt(kTone), stop = gainAt(4.0 * kTone);
    reportFigure(
        QStringLiteral("distortion tone %1 Hz: %2 dB at 100 Hz, %3 dB at the corner, %4 dB two octaves up")
            .arg(kTone)
            .arg(pass)
            .arg(corner)
            .arg(stop));
    QVERIFY2(std::fabs(pass) < 0.2, qPrintable(QString::number(pass)));
    QVERIFY2(std::fabs(corner + 3.0) < 0.5, qPrintable(QString::number(corner)));
    QVERIFY2(stop < -22.0 && stop > -27.0, qPrintable(QString::number(stop)));
}

void TestDistortion::seedNameAndParamsWork() {
    const engine::ModuleType* type = engine::ModuleRegistry::instance().find("distortion");
    QVERIFY(type != nullptr);
    QCOMPARE(QByteArray(type->id), QByteArray("distortion"));
    OfflineRenderer r{48000.0, 64};
    engine::PatchGraph& g = r.graph();
    CHRONUS_VERIFY_OK(g.addModule("d", "distortion"));
    CHRONUS_VERIFY_OK(g.setParam("d", "mode", 2));
    CHRONUS_VERIFY_OK(g.setParam("d", "drive", 20.0));
}

void TestDistortion::polyChannelsAreTheMonoDistortionPerChannel_data() {
    QTest::addColumn<int>("mode");
    QTest::addColumn<bool>("edited");
    QTest::addColumn<int>("block");
    for (int mode : {0, 1, 2, 3})
        for (bool edited : {false, true})
            for (int block : {1, 37, 64})
                QTest::newRow(qPrintable(
                    QStringLiteral("mode %1%2, block %3").arg(mode).arg(edited ? " edited" : "").arg(block)))
                    << mode << edited << block;
}

void TestDistortion::polyChannelsAreTheMonoDistortionPerChannel() {
    // Channel k of a 16-channel distortion on 16 saws against a mono distortion fed channel k
    // alone: the poly path runs the mono per-sample code per channel (hard, fold and crush 8 lanes
    // at a time, in the same precision), so the portable copy agrees to the bit. The AVX2 copy fuses
    // multiply-adds (the ADAA's antiderivatives, the tone filter): 1e-5 of the peak allowed.
    // "edited" switches the mode (to the next one), closes the tone and ramps the drive at the
    // middle, so ADAA history, hold count and tone coefficients carry across a change.
    QFETCH(int, mode);
    QFETCH(bool, edited);
    QFETCH(int, block);
    poly::Case tc;
    tc.type = "distortion";
    tc.params = {{"mode", double(mode)}, {"drive", 18.0}, {"bits", 4.0}, {"downsample", 3.0}, {"mix", 0.8}};
    tc.output = "out";
    tc.feeds.push_back({"in", false, [](engine::PatchGraph& g, int c) {
                            const std::string id = "saw" + std::to_string(c);
                            (void)g.addModule(id, "saw");
                            (void)g.setParam(id, "freq", 55.0 * std::exp2(c / 5.0));
                            return id;
                        }});
    auto edit = [&](OfflineRenderer& r) {
        if (edited) {
            QVERIFY(r.setParam("dut", "mode", double((mode + 1) % 4)).ok());
            QVERIFY(r.setParam("dut", "tone", 3000.0).ok());
            QVERIFY(r.setParam("dut", "drive", 30.0).ok());
        }
    };
    constexpr std::size_t kFrames = 4800;
    using engine::simd::Level;
    const bool avx2 = engine::simd::cpuHasAvx2();
    for (int k : {0, 7, 8, 15}) {
        const auto mono = poly::renderChannel(tc, Level::Generic, 1, k, block, kFrames, edit);
        const auto poly = poly::renderChannel(tc, Level::Generic, 16, k, block, kFrames, edit);
        const auto wide = poly::renderChannel(tc, avx2 ? Level::Avx2 : Level::Generic, 16, k, block, kFrames, edit);
        QCOMPARE(mono.size(), kFrames);
        QVERIFY(peak(mono) > 0.01f);
        QVERIFY2(poly == mono, qPrintable(QString::number(poly::relativeDifference(mono, poly))));
        const double d = poly::relativeDifference(mono, wide);
        QVERIFY2(d < 1e-5, qPrintable(QStringLiteral("channel %1: %2 of the peak").arg(k).arg(d)));
        if (k == 15)
            qInfo("channel %d, avx2: %.3g of the peak", k, d);
    }
    engine::simd::setLevel(Level::Avx2);
    const auto three = poly::renderChannel(tc, engine::simd::Level::Generic, 3, 2, block, kFrames, edit);
    QCOMPARE(three, poly::renderChannel(tc, engine::simd::Level::Generic, 1, 2, block, kFrames, edit));
}

} // namespace chronus::test

QTEST_APPLESS_MAIN(chronus::test::TestDistortion)
#include "tst_distortion.moc"
