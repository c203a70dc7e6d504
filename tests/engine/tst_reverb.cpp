// The reverb: an impulse leaves a tail that decays with an RT60 growing with `size` (and still
// decaying at the largest size), the echoes thicken into noise, left and right are decorrelated,
// damping takes the highs out of the tail, no single resonance stands out of it, the pre-delay
// delays it, and mix 0 is the dry signal exactly.

#include "EngineTestUtils.hpp"
#include "engine/ModuleRegistry.hpp"
#include "engine/OfflineRenderer.hpp"
#include "engine/modules/Reverb.hpp"
#include "support/SignalAnalysis.hpp"

#include <QObject>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <memory>
#include <span>
#include <utility>
#include <vector>

namespace chronus::test {

using engine::OfflineRenderer;

namespace {

using ParamList = std::vector<std::pair<const char*, double>>;

struct Stereo {
    std::vector<float> left, right;
};

// No module makes a one-sample impulse, so this drives the reverb directly, block by block, the way
// a plan does, with a unit impulse on `in` (right unconnected: it takes `in`).
Stereo impulseResponse(const ParamList& params, double sampleRate, int blockSize, double seconds) {
    const engine::ModuleType& type = *engine::ModuleRegistry::instance().find("reverb");
    const std::unique_ptr<engine::Module> reverb = type.create(type);
    for (const auto& [id, value] : params)
        reverb->setParamImmediate(type.findParam(id), static_cast<float>(value));
    reverb->prepare({sampleRate, blockSize});
    const std::size_t frames = static_cast<std::size_t>(seconds * sampleRate);
    std::vector<float> in(frames, 0.0f);
    in[0] = 1.0f;
    Stereo out{std::vector<float>(frames), std::vector<float>(frames)};
    for (std::size_t done = 0; done < frames;) {
        const int n =
            static_cast<int>(std::min<std::size_t>(frames - done, static_cast<std::size_t>(blockSize)));
        const float* inputs[] = {in.data() + done, nullptr};
        float* outputs[] = {out.left.data() + done, out.right.data() + done};
        reverb->process({n, inputs, outputs});
        done += static_cast<std::size_t>(n);
    }
    return out;
}

// RT60 from Schroeder's backward integration of the energy of both channels: the slope of a
// least-squares line through the decay curve between -5 and -25 dB, extrapolated to -60 dB (T20).
// 0 when the curve never falls that far.
double measureRt60(const Stereo& ir, double sampleRate) {
    const std::size_t n = ir.left.size();
    std::vector<double> edc(n);
    double sum = 0.0;
    for (std::size_t i = n; i-- > 0;) {
        const double l = ir.left[i], r = ir.right[i];
        sum += l * l + r * r;
        edc[i] = sum;
    }
    if (sum <= 0.0)
        return 0.0;
    double st = 0.0, sd = 0.0, stt = 0.0, std_ = 0.0, count = 0.0;
    bool reached = false;
    for (std::size_t i = 0; i < n; ++i) {
        const double db = 10.0 * std::log10(edc[i] / edc[0]);
        if (db > -5.0)
            continue;
        if (db < -25.0) {
            reached = true;
            break;
        }
        const double t = static_cast<double>(i) / sampleRate;
        st += t;
        sd += db;
        stt += t * t;
        std_ += t * db;
        count += 1.0;
    }
    if (!reached || count < 2.0)
        return 0.0;
    const double slope = (count * std_ - st * sd) / (count * stt - st * st); // dB per second
    return slope < 0.0 ? -60.0 / slope : 0.0;
}

// Normalised echo density (Abel and Huang): the fraction of samples in the window farther than one
// standard deviation from zero, over the fraction a Gaussian noise would have (0.3173). Near 0 for
// a few sparse echoes, about 1 once they have thickened into noise.
double echoDensity(std::span<const float> x) {
    const double sigma = rms(x);
    const auto outside =
        std::count_if(x.begin(), x.end(), [&](float v) { return std::fabs(static_cast<double>(v)) > sigma; });
    return static_cast<double>(outside) / static_cast<double>(x.size()) / std::erfc(1.0 / std::sqrt(2.0));
}

double correlation(std::span<const float> a, std::span<const float> b) {
    double ab = 0.0, aa = 0.0, bb = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double x = a[i], y = b[i];
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    return ab / std::sqrt(aa * bb);
}

// The wet output of the reverb (given params) fed by a mono source module (`in` only), over
// kSteadySeconds after kSettleSeconds of build-up.
constexpr double kSettleSeconds = 3.0;
constexpr double kSteadySeconds = 10.0;
Stereo steadyWet(const char* source, const ParamList& sourceParams, const ParamList& reverbParams,
                 double sampleRate) {
    OfflineRenderer r{sampleRate, 64};
    engine::PatchGraph& g = r.graph();
    [&] {
        CHRONUS_VERIFY_OK(g.addModule("src", source));
        for (const auto& [id, value] : sourceParams)
            CHRONUS_VERIFY_OK(g.setParam("src", id, value));
        CHRONUS_VERIFY_OK(g.addModule("reverb", "reverb"));
        for (const auto& [id, value] : reverbParams)
            CHRONUS_VERIFY_OK(g.setParam("reverb", id, value));
        CHRONUS_VERIFY_OK(g.connect("src", "reverb.in"));
        CHRONUS_VERIFY_OK(g.connect("reverb.left", "out.left"));
        CHRONUS_VERIFY_OK(g.connect("reverb.right", "out.right"));
    }();
    auto settled = r.render(kSettleSeconds);
    auto rendered = r.render(kSteadySeconds);
    if (!settled.ok() || !rendered.ok())
        return {};
    return {std::move(rendered->left), std::move(rendered->right)};
}

// The energy of the mono sum (L + R) / 2 over the mean energy of the sides, dB: 0 for equal sides,
// -3 for uncorrelated ones of equal level, down to -inf for negated ones.
double monoSumDb(const Stereo& s) {
    double mono = 0.0, sides = 0.0;
    for (std::size_t i = 0; i < s.left.size(); ++i) {
        const double l = s.left[i], r = s.right[i];
        mono += 0.25 * (l + r) * (l + r);
        sides += 0.5 * (l * l + r * r);
    }
    return 10.0 * std::log10(mono / sides);
}

// Share of the energy above `hz`, from the magnitude spectrum of the whole span.
double energyAbove(std::span<const float> x, double sampleRate, double hz) {
    const std::vector<double> mag = magnitudeSpectrum(x);
    double high = 0.0, total = 0.0;
    for (std::size_t k = 1; k < mag.size(); ++k) {
        const double e = mag[k] * mag[k];
        total += e;
        if (static_cast<double>(k) * sampleRate / static_cast<double>(x.size()) >= hz)
            high += e;
    }
    return high / total;
}

// The strongest narrow peak of the tail's spectrum between 200 Hz and 8 kHz, in dB over its
// neighbourhood (a sixth of an octave either side). Each frame's power spectrum is divided by its own
// local median, so that loud early frames and quiet late ones count alike, and these are averaged
// over the frames: the random ups and downs of a dense tail average out, a resonance stays put and
// stands out.
double strongestResonanceDb(std::span<const float> x, double sampleRate) {
    std::size_t frame = 1024;
    while (static_cast<double>(frame) < 0.085 * sampleRate)
        frame *= 2;
    const double binHz = sampleRate / static_cast<double>(frame);
    const std::size_t first = static_cast<std::size_t>(200.0 / binHz),
                      last = static_cast<std::size_t>(8000.0 / binHz);
    const double spread = std::pow(2.0, 1.0 / 6.0);
    // The local median of `v` around bin k.
    std::vector<double> around;
    auto localMedian = [&](const std::vector<double>& v, std::size_t k) {
        const std::size_t lo = static_cast<std::size_t>(static_cast<double>(k) / spread);
        const std::size_t hi =
            std::min(v.size() - 1, static_cast<std::size_t>(static_cast<double>(k) * spread));
        around.assign(v.begin() + static_cast<std::ptrdiff_t>(lo),
                      v.begin() + static_cast<std::ptrdiff_t>(hi) + 1);
        const auto middle = around.begin() + static_cast<std::ptrdiff_t>(around.size() / 2);
        std::nth_element(around.begin(), middle, around.end());
        return *middle;
    };
    std::vector<double> relative(last, 0.0);
    for (std::size_t start = 0; start + frame <= x.size(); start += frame / 2) {
        std::vector<double> power = magnitudeSpectrum(x.subspan(start, frame));
        for (double& p : power)
            p *= p;
        for (std::size_t k = first; k < last; ++k)
            relative[k] += power[k] / localMedian(power, k);
    }
    double worst = -100.0;
    for (std::size_t k = first; k < last; ++k)
        worst = std::max(worst, 10.0 * std::log10(relative[k] / localMedian(relative, k)));
    return worst;
}

} // namespace

class TestReverb : public QObject {
    Q_OBJECT

private slots:
    void tailDecaysWithRt60GrowingWithSize_data();
    void tailDecaysWithRt60GrowingWithSize();
    void largestSizeStillDecays();
    void echoDensityBuildsUp();
    void leftAndRightAreDecorrelated_data();
    void leftAndRightAreDecorrelated();
    void widthZeroIsMono();
    void dampingTakesHighsOutOfTail();
    void tailHasNoIsolatedResonance();
    void predelayDelaysTail();
    void mixZeroPassesDrySignalExactly_data();
    void mixZeroPassesDrySignalExactly();
};

void TestReverb::tailDecaysWithRt60GrowingWithSize_data() {
    addRateBlockColumns();
    for (double sampleRate : kSampleRates)
        for (int blockSize : {37, 4096})
            QTest::newRow(qPrintable(rateBlockName(sampleRate, blockSize))) << sampleRate << blockSize;
}

void TestReverb::tailDecaysWithRt60GrowingWithSize() {
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    double previous = 0.0;
    for (double size : {0.0, 0.25, 0.5, 0.75}) {
        const double nominal = engine::Reverb::rt60ForSize(size);
        // Without damping the RT60 is the nominal one at every frequency (but for the small loss of
        // the modulated reads' interpolation at the top).
        const Stereo ir = impulseResponse({{"size", size}, {"damping", 0.0}, {"predelay", 0.0}, {"mix", 1.0}},
                                          sampleRate, blockSize, 0.5 + nominal);
        QVERIFY(allFinite(ir.left) && allFinite(ir.right));
        const double rt60 = measureRt60(ir, sampleRate);
        reportFigure(QStringLiteral("reverb size %1 @ %2/%3: RT60 %4 s (nominal %5 s), peak %6")
                         .arg(size)
                         .arg(sampleRate)
                         .arg(blockSize)
                         .arg(rt60)
                         .arg(nominal)
                         .arg(std::max(peak(ir.left), peak(ir.right))));
        QVERIFY2(
            std::fabs(rt60 / nominal - 1.0) < 0.2,
            qPrintable(QStringLiteral("size %1: RT60 %2 s, nominal %3 s").arg(size).arg(rt60).arg(nominal)));
        QVERIFY(rt60 > previous * 1.5);
        previous = rt60;
    }
}

void TestReverb::largestSizeStillDecays() {
    // Size 1 at the least damping for 20 s: finite, bounded, and the tail falls second by second.
    constexpr double kSampleRate = 48000.0;
    const Stereo ir = impulseResponse({{"size", 1.0}, {"damping", 0.0}, {"predelay", 0.0}, {"mix", 1.0}},
                                      kSampleRate, 64, 20.0);
    QVERIFY(allFinite(ir.left) && allFinite(ir.right));
    const double rt60 = measureRt60(ir, kSampleRate);
    const std::size_t second = static_cast<std::size_t>(kSampleRate);
    const double first = rms(std::span<const float>(ir.left).first(second));
    const double last = rms(std::span<const float>(ir.left).last(second));
    reportFigure(QStringLiteral("reverb size 1: RT60 %1 s, first second rms %2, last second rms %3 (%4 dB)")
                     .arg(rt60)
                     .arg(first)
                     .arg(last)
                     .arg(20.0 * std::log10(last / first)));
    QVERIFY(std::isfinite(rt60) && rt60 > 10.0 && rt60 < 20.0);
    // 19 s at an RT60 of 15 s: 76 dB down; more than 60 in any case.
    QVERIFY2(last < 1e-3 * first, qPrintable(QString::number(last / first)));
    QVERIFY(peak(ir.left) < 1.0f && peak(ir.right) < 1.0f);
    for (std::size_t s = 1; s < 20; ++s) {
        const double now = rms(std::span<const float>(ir.left).subspan(s * second, second));
        const double before = rms(std::span<const float>(ir.left).subspan((s - 1) * second, second));
        QVERIFY2(now < before,
                 qPrintable(QStringLiteral("second %1: %2 after %3").arg(s).arg(now).arg(before)));
    }
}

void TestReverb::echoDensityBuildsUp() {
    // Defaults but no pre-delay: the first echoes are few and sparse; within 50 ms every sample
    // carries some, and a hundred milliseconds in they have thickened into noise.
    constexpr double kSampleRate = 48000.0;
    const Stereo ir = impulseResponse({{"predelay", 0.0}, {"mix", 1.0}}, kSampleRate, 64, 0.5);
    const std::span<const float> y(ir.left);
    const std::size_t arrival = std::min(firstIndexAtLeast(y, 0, 1e-6f), firstIndexAtMost(y, 0, -1e-6f));
    const std::size_t ms10 = static_cast<std::size_t>(0.01 * kSampleRate);
    // Share of the samples in the 10 ms from `from` that carry something (above -100 dB of the peak).
    const float floor = 1e-5f * peak(y);
    auto busy = [&](std::size_t from) {
        return static_cast<double>(std::count_if(y.begin() + static_cast<std::ptrdiff_t>(from),
                                                 y.begin() + static_cast<std::ptrdiff_t>(from + ms10),
                                                 [&](float v) { return std::fabs(v) > floor; })) /
               static_cast<double>(ms10);
    };
    const double busyFirst = busy(arrival), busyLater = busy(arrival + 4 * ms10);
    const double early = echoDensity(y.subspan(arrival, 2 * ms10));
    const double later = echoDensity(y.subspan(arrival + 10 * ms10, 2 * ms10));
    reportFigure(
        QStringLiteral("reverb echo density: first echo at %1 ms; %2 of the samples nonzero in the first "
                       "10 ms, %3 40 ms later; normalised echo density %4 in the first 20 ms, %5 100 ms "
                       "later")
            .arg(1000.0 * static_cast<double>(arrival) / kSampleRate)
            .arg(busyFirst)
            .arg(busyLater)
            .arg(early)
            .arg(later));
    QVERIFY(arrival < static_cast<std::size_t>(0.03 * kSampleRate));
    QVERIFY2(busyFirst < 0.5 && busyLater > 0.95,
             qPrintable(QStringLiteral("%1 then %2 of the samples nonzero").arg(busyFirst).arg(busyLater)));
    QVERIFY2(early < 0.6 && later > 0.85,
             qPrintable(QStringLiteral("density %1 then %2").arg(early).arg(later)));
}

void TestReverb::leftAndRightAreDecorrelated_data() {
    QTest::addColumn<double>("size");
    QTest::addColumn<double>("damping");
    for (double size : {0.1, 0.5, 0.95})
        for (double damping : {0.0, 0.5, 1.0})
            QTest::addRow("size %g/damping %g", size, damping) << size << damping;
}

void TestReverb::leftAndRightAreDecorrelated() {
    QFETCH(double, size);
    QFETCH(double, damping);
    // The steady state of the wet output (mix 1) for a mono source (right unconnected), long renders
    // after the tail has built up: the zero-lag correlation of the two sides. Decorrelated is near 0;
    // negated sides (-1) would cancel in a mono sum, so the mono sum must keep its energy too.
    constexpr double kSampleRate = 48000.0;
    const ParamList reverb{{"size", size}, {"damping", damping}, {"mix", 1.0}};
    for (const char* color : {"white", "pink"}) {
        const Stereo wet =
            steadyWet("noise", {{"color", color == std::string("white") ? 0.0 : 1.0}}, reverb, kSampleRate);
        QVERIFY(!wet.left.empty() && allFinite(wet.left) && allFinite(wet.right));
        const double c = correlation(wet.left, wet.right);
        const double monoDb = monoSumDb(wet);
        reportFigure(QStringLiteral("reverb size %1 damping %2, %3 noise: L/R correlation %4, mono sum %5 dB")
                         .arg(size)
                         .arg(damping)
                         .arg(color)
                         .arg(c, 0, 'f', 3)
                         .arg(monoDb, 0, 'f', 2));
        QVERIFY2(std::fabs(c) <= 0.3, qPrintable(QStringLiteral("%1 noise: %2").arg(color).arg(c)));
        QVERIFY2(monoDb >= -4.0,
                 qPrintable(QStringLiteral("%1 noise: mono sum %2 dB").arg(color).arg(monoDb)));
    }
    // Sustained tones: each lands on its own phase difference between the sides, anywhere from -1 to
    // 1, but over the set they must not lean to anti-phase.
    QString figures;
    double sum = 0.0;
    constexpr double kTones[] = {60.0, 110.0, 220.0, 440.0, 1000.0};
    for (double hz : kTones) {
        const Stereo wet = steadyWet("triangle", {{"freq", hz}, {"gain", 0.3}}, reverb, kSampleRate);
        QVERIFY(!wet.left.empty() && allFinite(wet.left) && allFinite(wet.right));
        const double c = correlation(wet.left, wet.right);
        figures += QStringLiteral(" %1 Hz %2").arg(hz).arg(c, 0, 'f', 2);
        sum += c;
    }
    const double mean = sum / static_cast<double>(std::size(kTones));
    reportFigure(QStringLiteral("reverb size %1 damping %2, tones: L/R correlation%3; mean %4")
                     .arg(size)
                     .arg(damping)
                     .arg(figures)
                     .arg(mean, 0, 'f', 3));
    QVERIFY2(mean >= -0.3, qPrintable(QStringLiteral("tones:%1; mean %2").arg(figures).arg(mean)));
}

void TestReverb::widthZeroIsMono() {
    // Width 0 folds the wet output to mono: the two sides are equal.
    OfflineRenderer r{48000.0, 64};
    engine::PatchGraph& g = r.graph();
    CHRONUS_VERIFY_OK(g.addModule("noise", "noise"));
    CHRONUS_VERIFY_OK(g.addModule("reverb", "reverb"));
    CHRONUS_VERIFY_OK(g.setParam("reverb", "mix", 1.0));
    CHRONUS_VERIFY_OK(g.setParam("reverb", "width", 0.0));
    CHRONUS_VERIFY_OK(g.connect("noise", "reverb.in"));
    CHRONUS_VERIFY_OK(g.connect("reverb.left", "out.left"));
    CHRONUS_VERIFY_OK(g.connect("reverb.right", "out.right"));
    auto rendered = r.render(1.0);
    CHRONUS_VERIFY_OK(rendered);
    QVERIFY(rms(rendered->left) > 0.05);
    for (std::size_t i = 0; i < rendered->frames(); ++i)
        QVERIFY(std::fabs(rendered->left[i] - rendered->right[i]) <=
                1e-6f * (1.0f + std::fabs(rendered->left[i])));
}

void TestReverb::dampingTakesHighsOutOfTail() {
    // The share of the tail's energy above 4 kHz, from 0.1 to 0.8 s, at increasing damping.
    constexpr double kSampleRate = 48000.0;
    double previous = 2.0; // no share can be half of it
    for (double damping : {0.0, 0.5, 1.0}) {
        const Stereo ir = impulseResponse(
            {{"size", 0.6}, {"damping", damping}, {"predelay", 0.0}, {"mix", 1.0}}, kSampleRate, 64, 0.8);
        const std::span<const float> tail =
            std::span<const float>(ir.left).subspan(static_cast<std::size_t>(0.1 * kSampleRate));
        const double high = energyAbove(tail, kSampleRate, 4000.0);
        reportFigure(
            QStringLiteral("reverb damping %1: %2 of the tail's energy above 4 kHz").arg(damping).arg(high));
        QVERIFY2(
            high < 0.5 * previous,
            qPrintable(QStringLiteral("damping %1: %2, %3 before").arg(damping).arg(high).arg(previous)));
        previous = high;
    }
}

void TestReverb::tailHasNoIsolatedResonance() {
    // Defaults, on an impulse: the averaged spectrum of the tail is smooth, no single mode rings out
    // (a dense tail measures 3 to 6 dB here, the same network without its length modulation up to
    // 7). It guards against a lone resonance; the regular ripple of a few parallel combs spreads
    // over many bins and is not what this measures.
    for (double sampleRate : {44100.0, 48000.0, 96000.0}) {
        const Stereo ir = impulseResponse({{"predelay", 0.0}, {"mix", 1.0}}, sampleRate, 64, 1.5);
        const std::span<const float> tail =
            std::span<const float>(ir.left).subspan(static_cast<std::size_t>(0.1 * sampleRate));
        const double resonance = strongestResonanceDb(tail, sampleRate);
        reportFigure(QStringLiteral("reverb @ %1: strongest resonance %2 dB over its neighbourhood")
                         .arg(sampleRate)
                         .arg(resonance));
        QVERIFY2(resonance < 8.0, qPrintable(QString::number(resonance)));
    }
}

void TestReverb::predelayDelaysTail() {
    // The first echo comes the pre-delay later.
    constexpr double kSampleRate = 48000.0;
    auto arrival = [&](double predelayMs) {
        const Stereo ir = impulseResponse({{"predelay", predelayMs}, {"mix", 1.0}}, kSampleRate, 64, 0.5);
        const std::span<const float> y(ir.left);
        return std::min(firstIndexAtLeast(y, 0, 1e-6f), firstIndexAtMost(y, 0, -1e-6f));
    };
    const std::size_t none = arrival(0.0);
    const std::size_t late = arrival(150.0);
    // Give or take the lines' length modulation, which is at another phase when the echo arrives.
    const double shift = static_cast<double>(late) - static_cast<double>(none);
    QVERIFY2(std::fabs(shift - 0.15 * kSampleRate) <= 0.00025 * kSampleRate + 1.0,
             qPrintable(QString::number(shift)));
}

void TestReverb::mixZeroPassesDrySignalExactly_data() {
    QTest::addColumn<bool>("rightSide");
    addRateBlockColumns();
    for (bool rightSide : {false, true})
        for (int blockSize : {1, 37, 4096})
            QTest::addRow("%s/%d", rightSide ? "right" : "left", blockSize)
                << rightSide << 96000.0 << blockSize;
}

void TestReverb::mixZeroPassesDrySignalExactly() {
    QFETCH(bool, rightSide);
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    // Two uncorrelated noises in, a full tail, mix 0: one side against its own dry input, sample
    // for sample. Then mix up: the comparison is not vacuous.
    OfflineRenderer r{sampleRate, blockSize};
    engine::PatchGraph& g = r.graph();
    CHRONUS_VERIFY_OK(g.addModule("noiseL", "noise"));
    CHRONUS_VERIFY_OK(g.addModule("noiseR", "noise"));
    CHRONUS_VERIFY_OK(g.addModule("reverb", "reverb"));
    CHRONUS_VERIFY_OK(g.setParam("reverb", "size", 1.0));
    CHRONUS_VERIFY_OK(g.setParam("reverb", "mix", 0.0));
    CHRONUS_VERIFY_OK(g.connect("noiseL", "reverb.in"));
    CHRONUS_VERIFY_OK(g.connect("noiseR", "reverb.right"));
    CHRONUS_VERIFY_OK(g.connect(rightSide ? "reverb.right" : "reverb.left", "out.left"));
    CHRONUS_VERIFY_OK(g.connect(rightSide ? "noiseR" : "noiseL", "out.right"));
    auto rendered = r.render(0.5);
    CHRONUS_VERIFY_OK(rendered);
    QVERIFY(peak(rendered->right) > 0.1f);
    QCOMPARE(rendered->left, rendered->right);
    CHRONUS_VERIFY_OK(r.setParam("reverb", "mix", 0.5));
    auto mixed = r.render(0.2);
    CHRONUS_VERIFY_OK(mixed);
    QVERIFY(mixed->left != mixed->right);
}

} // namespace chronus::test

QTEST_APPLESS_MAIN(chronus::test::TestReverb)
#include "tst_reverb.moc"
