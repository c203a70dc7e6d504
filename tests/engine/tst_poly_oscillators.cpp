// The polyphonic oscillators (sine, saw, square, triangle with more than one channel). Their SIMD
// kernels run another algorithm than the mono wavetables (polyBLEP / polyBLAMP, a polynomial sine),
// so each channel is checked against a plain scalar loop of that algorithm written here from its
// piecewise formulas, with both kernel copies; then the poly saw is measured: in tune and
// band-limited.

#include "EngineTestUtils.hpp"
#include "engine/ModuleRegistry.hpp"
#include "engine/OfflineRenderer.hpp"
#include "engine/Simd.hpp"
#include "support/SignalAnalysis.hpp"

#include <QObject>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace chronus::test {

using engine::OfflineRenderer;
using engine::PatchGraph;

namespace {

constexpr double kRate = 48000.0;
constexpr int kFrames = 4800;
constexpr std::size_t kChangeAt = 2400; // the reference test's live param changes

// The fm of channel c (1 unit per octave): 16 different pitches over three octaves.
float pitchOf(int c) {
    return -1.0f + static_cast<float>(c) * 0.19f;
}

std::string pitchValues(int channels) {
    std::string text;
    for (int c = 0; c < channels; ++c)
        text += std::to_string(pitchOf(c)) + " ";
    return text;
}

// ---- The scalar reference: the same algorithm, one channel, one sample at a time ----

// 1 - 2 x (residual of the step band-limited by a cubic B-spline) t samples from the step.
double stepRamp(double t) {
    if (t >= 2.0)
        return 1.0;
    if (t >= 1.0)
        return 1.0 - std::pow(2.0 - t, 4.0) / 12.0;
    return (16.0 * t - 8.0 * t * t * t + 3.0 * t * t * t * t) / 12.0;
}

// The residual of the band-limited ramp t samples from a corner.
double rampResidual(double t) {
    if (t >= 2.0)
        return 0.0;
    if (t >= 1.0)
        return std::pow(2.0 - t, 5.0) / 120.0;
    return (28.0 - 60.0 * t + 40.0 * t * t - 10.0 * std::pow(t, 4.0) + 3.0 * std::pow(t, 5.0)) / 120.0;
}

// e: phase in [-1/2, 1/2); the mono saw 2p - 1 at p = e mod 1, its jump at e = 0 smoothed.
double refSaw(double e, double inc) {
    return e >= 0.0 ? 2.0 * e - stepRamp(e / inc) : 2.0 * e + stepRamp(-e / inc);
}

double refWave(const QString& shape, double e, double inc, double width) {
    if (shape == "sine")
        return std::sin(2.0 * M_PI * e);
    if (shape == "saw")
        return refSaw(e, inc);
    if (shape == "square") {
        double shifted = e - width;
        if (shifted < -0.5)
            shifted += 1.0;
        return refSaw(shifted, inc) - refSaw(e, inc) + 2.0 * width - 1.0;
    }
    double fromPeak = e - 0.25; // triangle: +1 at phase 1/4, -1 at -1/4
    if (fromPeak < -0.5)
        fromPeak += 1.0;
    const double toPeak = std::fabs(fromPeak);
    const double toTrough = 0.5 - toPeak;
    return 1.0 - 4.0 * toPeak + 8.0 * inc * (rampResidual(toTrough / inc) - rampResidual(toPeak / inc));
}

// One channel of the poly oscillator, given its fm samples: freq 330, gain 0.7 (and width 0.3)
// until kChangeAt, where they start ramping to 440, 0.5 (and 0.6) as the module's params do. The
// phase is a float, as in the kernel (its rounding is part of the algorithm); the increment uses
// the engine's exp2 approximation (accuracy tested in tst_polyphony): a scalar std::exp2 would
// differ by 3e-7 relative and the phases would drift apart.
std::vector<float> reference(const QString& shape, const std::vector<float>& fm) {
    const float invRate = static_cast<float>(1.0 / kRate);
    engine::SmoothedValue freq, gain, width;
    const int ramp = static_cast<int>(std::lround(engine::kParamRampSeconds * kRate));
    for (engine::SmoothedValue* v : {&freq, &gain, &width})
        v->setRampLength(ramp);
    freq.reset(330.0f);
    gain.reset(0.7f);
    width.reset(0.3f);
    std::vector<float> out(fm.size());
    float e = 0.0f;
    for (std::size_t i = 0; i < fm.size(); ++i) {
        if (i == kChangeAt) {
            freq.setTarget(440.0f);
            gain.setTarget(0.5f);
            width.setTarget(0.6f);
        }
        const float f = freq.next();
        const float g = gain.next();
        const float w = width.next();
        const float x = std::clamp(fm[i], -12.0f, 12.0f);
        float lanes[engine::kPolyLanes];
        engine::simd::store(lanes, engine::simd::exp2(engine::simd::splat(x)));
        const float inc = std::min(f * invRate * lanes[0], 0.49f);
        const double y = refWave(shape, e, std::max(inc, 1e-6f), shape == "square" ? w : 0.5f);
        out[i] = static_cast<float>(static_cast<double>(g) * y);
        e += inc;
        if (e >= 0.5f)
            e -= 1.0f;
    }
    return out;
}

// Renders channel k of a `channels`-channel oscillator to the left output and its fm input to the
// right. With kVibrato, a mono sine at 5 Hz (0.05 units) is added to every channel's fm, so the
// increments change every sample (the kernels' general loop); with kSteady, they hold still; with
// kVibratoUpperGroup, only channels 9-16 move (their group takes the general loop, the other the
// steady one, which runs both groups side by side when both hold still).
enum Vibrato { kSteady, kVibrato, kVibratoUpperGroup };
struct Rendered {
    std::vector<float> osc, fm;
};
Rendered renderChannel(const QString& shape, int channels, int k, int blockSize, int vibrato) {
    OfflineRenderer r{kRate, blockSize};
    PatchGraph& g = r.graph();
    Rendered result;
    [&] {
        CHRONUS_VERIFY_OK(g.addModule("pitch", "const"));
        CHRONUS_VERIFY_OK(g.setText("pitch", "values", pitchValues(channels)));
        CHRONUS_VERIFY_OK(g.addModule("fm", "vca")); // level 1, no cv: a copy of its input
        CHRONUS_VERIFY_OK(g.connect("pitch", "fm.in"));
        if (vibrato != kSteady) {
            CHRONUS_VERIFY_OK(g.addModule("vib", "sine"));
            CHRONUS_VERIFY_OK(g.setParam("vib", "freq", 5.0).status());
            CHRONUS_VERIFY_OK(g.setParam("vib", "gain", 0.05).status());
            if (vibrato == kVibrato) {
                CHRONUS_VERIFY_OK(g.connect("vib", "fm.in"));
            } else { // the sine times 0 on channels 1-8 and 1 on 9-16
                std::string mask;
                for (int c = 0; c < channels; ++c)
                    mask += c < 8 ? "0 " : "1 ";
                CHRONUS_VERIFY_OK(g.addModule("mask", "const"));
                CHRONUS_VERIFY_OK(g.setText("mask", "values", mask));
                CHRONUS_VERIFY_OK(g.addModule("upper", "vca"));
                CHRONUS_VERIFY_OK(g.connect("vib", "upper.in"));
                CHRONUS_VERIFY_OK(g.connect("mask", "upper.cv"));
                CHRONUS_VERIFY_OK(g.connect("upper", "fm.in"));
            }
        }
        CHRONUS_VERIFY_OK(g.addModule("osc", qPrintable(shape)));
        CHRONUS_VERIFY_OK(g.setParam("osc", "freq", 330.0).status());
        CHRONUS_VERIFY_OK(g.setParam("osc", "gain", 0.7).status());
        if (shape == "square")
            CHRONUS_VERIFY_OK(g.setParam("osc", "width", 0.3).status());
        CHRONUS_VERIFY_OK(g.connect("fm", "osc.fm"));
        CHRONUS_VERIFY_OK(g.addModule("so", "split"));
        CHRONUS_VERIFY_OK(g.addModule("sf", "split"));
        CHRONUS_VERIFY_OK(g.connect("osc", "so"));
        CHRONUS_VERIFY_OK(g.connect("fm", "sf"));
        CHRONUS_VERIFY_OK(g.connect("so.out" + std::to_string(k + 1), "out.left"));
        CHRONUS_VERIFY_OK(g.connect("sf.out" + std::to_string(k + 1), "out.right"));
        const int oscChannels = g.channelLayout().outputs[static_cast<std::size_t>(g.indexOf("osc"))][0];
        QCOMPARE(oscChannels, channels);
        auto first = r.renderFrames(kChangeAt);
        CHRONUS_VERIFY_OK(first);
        // Live changes: the params ramp (the kernels' general loop) from here.
        CHRONUS_VERIFY_OK(r.setParam("osc", "freq", 440.0));
        CHRONUS_VERIFY_OK(r.setParam("osc", "gain", 0.5));
        if (shape == "square")
            CHRONUS_VERIFY_OK(r.setParam("osc", "width", 0.6));
        auto rest = r.renderFrames(kFrames - kChangeAt);
        CHRONUS_VERIFY_OK(rest);
        result.osc = first->left;
        result.fm = first->right;
        append(result.osc, rest->left);
        append(result.fm, rest->right);
    }();
    return result;
}

// Energy of everything but the harmonics of `f` (bins within `guard` of k f), relative to the
// fundamental's, in dB, counting components below `limitHz`.
double aliasEnergyDb(const std::vector<float>& x, double f, double limitHz, int guard = 6) {
    const std::vector<double> mag = magnitudeSpectrum(x);
    const double binHz = kRate / static_cast<double>(x.size());
    double fundamental = 0.0, alias = 0.0;
    for (std::size_t b = 1; b < mag.size(); ++b) {
        const double hz = static_cast<double>(b) * binHz;
        const double harmonic = std::round(hz / f);
        const bool nearHarmonic = std::fabs(hz - harmonic * f) <= guard * binHz;
        const double energy = mag[b] * mag[b];
        if (harmonic == 1.0 && nearHarmonic)
            fundamental += energy;
        else if (!nearHarmonic && hz > 20.0 && hz < limitHz)
            alias += energy;
    }
    return 10.0 * std::log10(alias / fundamental);
}

} // namespace

class TestPolyOscillators : public QObject {
    Q_OBJECT

private slots:
    void kernelsMatchTheScalarReferenceOnEveryChannel_data();
    void kernelsMatchTheScalarReferenceOnEveryChannel();
    void channelCountFollowsTheFmInput();
    void polySineMatchesTheMonoSine();
    void polySawIsInTuneAndBandLimited();
    void simdSinTurnsIsAccurate();
    void polyNoiseChannelsAreUncorrelated_data();
    void polyNoiseChannelsAreUncorrelated();
};

void TestPolyOscillators::kernelsMatchTheScalarReferenceOnEveryChannel_data() {
    QTest::addColumn<QString>("shape");
    QTest::addColumn<int>("blockSize");
    QTest::addColumn<int>("vibrato");
    for (const char* shape : {"saw", "square", "sine", "triangle"})
        for (int blockSize : {1, 37, 64})
            for (int vibrato : {kSteady, kVibrato, kVibratoUpperGroup})
                QTest::addRow("%s/%d%s", shape, blockSize,
                              vibrato == kVibrato ? "/vibrato" : vibrato == kVibratoUpperGroup ? "/vibrato 9-16" : "")
                    << QString::fromLatin1(shape) << blockSize << vibrato;
}

void TestPolyOscillators::kernelsMatchTheScalarReferenceOnEveryChannel() {
    QFETCH(QString, shape);
    QFETCH(int, blockSize);
    QFETCH(int, vibrato);
    // Tolerance: the AVX2 copy contracts a x b + c into FMAs (in exp2's polynomial, in the phase
    // and correction arithmetic), the scalar loop computes in double from float phases: they agree
    // to a few float ulps per sample, and where the increments differ in their last bit (vibrato)
    // the phases drift apart by ~1e-7 cycle per cycle, which near a jump (slope ~1 / inc) is
    // ~1e-5 here (measured: 2.5e-5 at worst).
    constexpr float kTolerance = 1e-4f;
    using engine::simd::Level;
    const bool avx2 = engine::simd::cpuHasAvx2();
    if (!avx2)
        qInfo("this CPU has no AVX2: only the portable kernel is compared");
    double worst = 0.0;
    for (Level level : {Level::Generic, Level::Avx2}) {
        if (level == Level::Avx2 && !avx2)
            continue;
        engine::simd::setLevel(level);
        for (int channels : {16, 3}) {
            for (int k : {0, 1, channels / 2, channels - 1}) {
                const Rendered got = renderChannel(shape, channels, k, blockSize, vibrato);
                QCOMPARE(got.osc.size(), std::size_t(kFrames));
                const bool moves = vibrato == kVibrato || (vibrato == kVibratoUpperGroup && k >= 8);
                QCOMPARE(got.fm[100], moves ? got.fm[100] : pitchOf(k)); // the channel fed what we think
                QVERIFY(moves == (got.fm[100] != got.fm[1000]));
                const std::vector<float> want = reference(shape, got.fm);
                float peak = 0.0f;
                for (std::size_t i = 0; i < want.size(); ++i) {
                    const double diff = std::fabs(got.osc[i] - want[i]);
                    worst = std::max(worst, diff);
                    QVERIFY2(diff < static_cast<double>(kTolerance),
                             qPrintable(QStringLiteral("channel %1 of %2, sample %3: %4 vs %5")
                                            .arg(k)
                                            .arg(channels)
                                            .arg(i)
                                            .arg(got.osc[i])
                                            .arg(want[i])));
                    peak = std::max(peak, std::fabs(got.osc[i]));
                }
                QVERIFY(peak > 0.45f); // it plays (gain 0.7, then 0.5)
            }
        }
    }
    engine::simd::setLevel(avx2 ? Level::Avx2 : Level::Generic);
    reportFigure(QStringLiteral("%1: worst difference from the scalar reference %2").arg(shape).arg(worst));
}

void TestPolyOscillators::channelCountFollowsTheFmInput() {
    for (const char* type : {"saw", "square", "sine", "triangle"}) {
        PatchGraph g;
        CHRONUS_VERIFY_OK(g.addModule("osc", type));
        const auto count = [&] {
            return g.channelLayout().outputs[static_cast<std::size_t>(g.indexOf("osc"))][0];
        };
        QCOMPARE(count(), 1); // nothing connected: mono
        CHRONUS_VERIFY_OK(g.addModule("pitch", "const"));
        CHRONUS_VERIFY_OK(g.setText("pitch", "values", "0 0.5 1"));
        CHRONUS_VERIFY_OK(g.connect("pitch", "osc.fm"));
        QCOMPARE(count(), 3);
        CHRONUS_VERIFY_OK(g.disconnect("pitch", "osc.fm"));
        QCOMPARE(count(), 1);
    }
}

void TestPolyOscillators::polySineMatchesTheMonoSine() {
    // The sine's two algorithms compute the same function: the mono table and the polynomial agree
    // to their interpolation and float-phase error (a phase error of 1e-7 cycle per cycle over 100
    // cycles is 6e-5 of a full-scale sine).
    const auto render = [](int channels) {
        OfflineRenderer r{kRate, 64};
        PatchGraph& g = r.graph();
        std::vector<float> out;
        [&] {
            CHRONUS_VERIFY_OK(g.addModule("pitch", "const"));
            CHRONUS_VERIFY_OK(g.setText("pitch", "values", pitchValues(channels)));
            CHRONUS_VERIFY_OK(g.addModule("osc", "sine"));
            CHRONUS_VERIFY_OK(g.setParam("osc", "gain", 1.0).status());
            CHRONUS_VERIFY_OK(g.connect("pitch", "osc.fm"));
            CHRONUS_VERIFY_OK(g.addModule("s", "split"));
            CHRONUS_VERIFY_OK(g.connect("osc", "s"));
            CHRONUS_VERIFY_OK(g.connect("s.out1", "out.left"));
            auto rendered = r.renderFrames(kFrames);
            CHRONUS_VERIFY_OK(rendered);
            out = rendered->left;
        }();
        return out;
    };
    const std::vector<float> mono = render(1);
    const std::vector<float> poly = render(5);
    QCOMPARE(poly.size(), mono.size());
    float worst = 0.0f;
    for (std::size_t i = 0; i < mono.size(); ++i)
        worst = std::max(worst, std::fabs(poly[i] - mono[i]));
    reportFigure(QStringLiteral("poly sine vs mono sine: worst difference %1").arg(worst));
    QVERIFY2(worst < 2e-4f, qPrintable(QString::number(worst)));
}

void TestPolyOscillators::polySawIsInTuneAndBandLimited() {
    // 2010 Hz rather than 2000: at 48 kHz a 2 kHz saw's aliases land exactly on its harmonics and
    // cannot be told apart; at 2010 Hz they fall between. The poly saw's channel 2 of 2 is measured.
    const auto render = [](double freq, std::size_t frames) {
        OfflineRenderer r{kRate, 64};
        PatchGraph& g = r.graph();
        std::vector<float> out;
        [&] {
            CHRONUS_VERIFY_OK(g.addModule("pitch", "const"));
            CHRONUS_VERIFY_OK(g.setText("pitch", "values", "1 0"));
            CHRONUS_VERIFY_OK(g.addModule("osc", "saw"));
            CHRONUS_VERIFY_OK(g.setParam("osc", "freq", freq).status());
            CHRONUS_VERIFY_OK(g.connect("pitch", "osc.fm"));
            CHRONUS_VERIFY_OK(g.addModule("s", "split"));
            CHRONUS_VERIFY_OK(g.connect("osc", "s"));
            CHRONUS_VERIFY_OK(g.connect("s.out2", "out.left"));
            auto rendered = r.renderFrames(frames);
            CHRONUS_VERIFY_OK(rendered);
            out = rendered->left;
        }();
        return out;
    };
    for (double freq : {27.5, 110.0, 1234.5, 4000.0}) {
        std::vector<float> out = render(freq, 57600);
        QVERIFY(allFinite(out));
        // The saw falls once per cycle: its negative crosses zero upward once per period.
        for (float& v : out)
            v = -v;
        const double cents = centsBetween(estimateFrequency(out, kRate), freq);
        reportFigure(QStringLiteral("poly saw %1 Hz: %2 cents").arg(freq).arg(cents));
        QVERIFY2(std::fabs(cents) < 0.1, qPrintable(QString::number(cents))); // as the mono oscillators
    }
    // The aliases in the audible band stay 40 dB under the fundamental; above 20 kHz the kernel's
    // two-sample reach lets through more (reported, and bounded near 2 kHz).
    for (double freq : {2010.0, 1990.0, 5000.0}) {
        const std::vector<float> out = render(freq, 1u << 16);
        const double audible = aliasEnergyDb(out, freq, 20000.0);
        const double all = aliasEnergyDb(out, freq, kRate / 2.0);
        const double worstComponent = inharmonicLevelDb(out, kRate, freq);
        reportFigure(
            QStringLiteral("poly saw %1 Hz: aliases below 20 kHz %2 dB, all aliases %3 dB, loudest %4 dB")
                .arg(freq)
                .arg(audible)
                .arg(all)
                .arg(worstComponent));
        QVERIFY2(audible < -40.0, qPrintable(QString::number(audible)));
        if (freq < 3000.0)
            QVERIFY2(all < -33.0, qPrintable(QString::number(all)));
    }
}

void TestPolyOscillators::simdSinTurnsIsAccurate() {
    using namespace engine::simd;
    double worst = 0.0;
    for (float x = -0.5f; x <= 0.5f; x += 0.000137f) {
        float lanes[engine::kPolyLanes];
        for (int k = 0; k < engine::kPolyLanes; ++k)
            lanes[k] = std::min(x + 0.00001f * static_cast<float>(k), 0.5f);
        float out[engine::kPolyLanes];
        store(out, sinTurns(load(lanes)));
        for (int k = 0; k < engine::kPolyLanes; ++k)
            worst = std::max(worst, std::fabs(static_cast<double>(out[k]) -
                                              std::sin(2.0 * M_PI * static_cast<double>(lanes[k]))));
    }
    reportFigure(QStringLiteral("sinTurns: worst absolute error %1").arg(worst));
    QVERIFY2(worst < 3e-7, qPrintable(QString::number(worst)));
}

void TestPolyOscillators::polyNoiseChannelsAreUncorrelated_data() {
    QTest::addColumn<bool>("pink");
    QTest::newRow("white") << false;
    QTest::newRow("pink") << true;
}

void TestPolyOscillators::polyNoiseChannelsAreUncorrelated() {
    QFETCH(bool, pink);
    // channels = 1 is the mono noise; with 16, channel 0 is that same noise (white: bit for bit;
    // pink: the AVX2 copy's FMAs in the filter move the last bits) and the other channels are
    // their own noises: the same level (within 20 %: pink's level over one second varies), correlation
    // with each other near 0 (white over 48000 samples: standard deviation 0.005; pink, more).
    const auto render = [pink](int channels, int k, int blockSize) {
        OfflineRenderer r{kRate, blockSize};
        PatchGraph& g = r.graph();
        std::vector<float> out;
        [&] {
            CHRONUS_VERIFY_OK(g.addModule("n", "noise"));
            CHRONUS_VERIFY_OK(g.setParam("n", "color", pink ? 1.0 : 0.0).status());
            CHRONUS_VERIFY_OK(g.setParam("n", "channels", channels).status());
            QCOMPARE(int(g.channelLayout().outputs[static_cast<std::size_t>(g.indexOf("n"))][0]), channels);
            CHRONUS_VERIFY_OK(g.addModule("s", "split"));
            CHRONUS_VERIFY_OK(g.connect("n", "s"));
            CHRONUS_VERIFY_OK(g.connect("s.out" + std::to_string(k + 1), "out.left"));
            auto rendered = r.renderFrames(48000);
            CHRONUS_VERIFY_OK(rendered);
            out = rendered->left;
        }();
        return out;
    };
    using engine::simd::Level;
    const bool avx2 = engine::simd::cpuHasAvx2();
    const float tolerance = pink ? 1e-6f : 0.0f;
    const std::vector<float> mono = render(1, 0, 64);
    QCOMPARE(mono.size(), std::size_t(48000));
    std::vector<std::vector<float>> channels;
    for (Level level : {Level::Generic, Level::Avx2}) {
        if (level == Level::Avx2 && !avx2)
            continue;
        engine::simd::setLevel(level);
        for (int blockSize : {1, 37, 64}) {
            const std::vector<float> first = render(16, 0, blockSize);
            QCOMPARE(first.size(), mono.size());
            for (std::size_t i = 0; i < mono.size(); ++i)
                QVERIFY2(std::fabs(first[i] - mono[i]) <= tolerance, qPrintable(QString::number(i)));
        }
        channels.clear();
        for (int k = 0; k < 16; ++k)
            channels.push_back(render(16, k, 37));
    }
    engine::simd::setLevel(avx2 ? Level::Avx2 : Level::Generic);
    const double level0 = rms(channels[0]);
    QVERIFY(level0 > 0.05);
    double worstCorrelation = 0.0;
    for (int a = 0; a < 16; ++a) {
        QVERIFY(allFinite(channels[static_cast<std::size_t>(a)]));
        const double ratio = rms(channels[static_cast<std::size_t>(a)]) / level0;
        reportFigure(QStringLiteral("channel %1: rms %2 of channel 0's").arg(a).arg(ratio));
        QVERIFY2(std::fabs(ratio - 1.0) < 0.2,
                 qPrintable(QStringLiteral("channel %1: %2").arg(a).arg(ratio)));
        for (int b = a + 1; b < 16; ++b) {
            const auto& x = channels[static_cast<std::size_t>(a)];
            const auto& y = channels[static_cast<std::size_t>(b)];
            double xy = 0.0, xx = 0.0, yy = 0.0;
            for (std::size_t i = 0; i < x.size(); ++i) {
                xy += double(x[i]) * double(y[i]);
                xx += double(x[i]) * double(x[i]);
                yy += double(y[i]) * double(y[i]);
            }
            worstCorrelation = std::max(worstCorrelation, std::fabs(xy / std::sqrt(xx * yy)));
        }
    }
    reportFigure(QStringLiteral("poly noise (%1): worst correlation between channels %2")
                     .arg(pink ? "pink" : "white")
                     .arg(worstCorrelation));
    // White: the worst of 120 pairs stays near 3 standard deviations (0.015). Pink concentrates its
    // energy below ~100 Hz, so a second holds far fewer independent samples: measured 0.14.
    QVERIFY2(worstCorrelation < (pink ? 0.25 : 0.03), qPrintable(QString::number(worstCorrelation)));
}

} // namespace chronus::test

QTEST_APPLESS_MAIN(chronus::test::TestPolyOscillators)
#include "tst_poly_oscillators.moc"
