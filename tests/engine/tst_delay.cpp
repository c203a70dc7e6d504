// The delay: an impulse comes back at the set time to the sample, free or synced to a tempo; each
// repeat is the feedback factor quieter; ping-pong alternates the channels; mix 0 is the dry signal
// exactly; a time change mid-render does not click; the loop at full feedback dies away.

#include "EngineTestUtils.hpp"
#include "engine/ModuleRegistry.hpp"
#include "engine/OfflineRenderer.hpp"
#include "engine/modules/Tempo.hpp"
#include "support/SignalAnalysis.hpp"

#include <QObject>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <numbers>
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

// No module makes a one-sample impulse or a constant tempo CV, so these drive the delay directly,
// block by block, the way a plan does. `inputs` follows the module's input order; nullptr is an
// unconnected input. `beforeBlock`, when given, runs before each block with the frames done so far.
Stereo runDelay(const ParamList& params, double sampleRate, int blockSize, std::size_t frames,
                std::vector<const std::vector<float>*> inputs,
                const std::function<void(engine::Module&, std::size_t)>& beforeBlock = {}) {
    const engine::ModuleType& type = *engine::ModuleRegistry::instance().find("delay");
    const std::unique_ptr<engine::Module> delay = type.create(type);
    for (const auto& [id, value] : params)
        delay->setParamImmediate(type.findParam(id), static_cast<float>(value));
    delay->prepare({sampleRate, blockSize});
    inputs.resize(type.inputs.size(), nullptr);
    Stereo out{std::vector<float>(frames), std::vector<float>(frames)};
    for (std::size_t done = 0; done < frames;) {
        const int n =
            static_cast<int>(std::min<std::size_t>(frames - done, static_cast<std::size_t>(blockSize)));
        std::vector<const float*> in;
        for (const std::vector<float>* input : inputs)
            in.push_back(input ? input->data() + done : nullptr);
        float* outputs[] = {out.left.data() + done, out.right.data() + done};
        if (beforeBlock)
            beforeBlock(*delay, done);
        delay->process({n, in.data(), outputs});
        done += static_cast<std::size_t>(n);
    }
    return out;
}

std::vector<float> impulse(std::size_t frames) {
    std::vector<float> x(frames, 0.0f);
    x[0] = 1.0f;
    return x;
}

std::size_t loudestIndex(std::span<const float> x) {
    return static_cast<std::size_t>(
        std::max_element(x.begin(), x.end(), [](float a, float b) { return std::fabs(a) < std::fabs(b); }) -
        x.begin());
}

double energy(std::span<const float> x) {
    double e = 0.0;
    for (float v : x)
        e += static_cast<double>(v) * static_cast<double>(v);
    return e;
}

} // namespace

class TestDelay : public QObject {
    Q_OBJECT

private slots:
    void impulseReturnsAtSetTime_data();
    void impulseReturnsAtSetTime();
    void syncedTimeIsDivisionAtTempo_data();
    void syncedTimeIsDivisionAtTempo();
    void repeatsDecayByFeedbackFactor_data();
    void repeatsDecayByFeedbackFactor();
    void pingPongAlternatesChannels();
    void mixZeroPassesDrySignalExactly_data();
    void mixZeroPassesDrySignalExactly();
    void timeChangeDoesNotClick_data();
    void timeChangeDoesNotClick();
    void liveTimeChangeTakesEffect();
    void fullFeedbackDiesAway();
};

void TestDelay::impulseReturnsAtSetTime_data() {
    QTest::addColumn<double>("timeMs");
    addRateBlockColumns();
    for (double timeMs : {1.0, 250.0, 1234.5, 2000.0})
        for (double sampleRate : kSampleRates)
            for (int blockSize : kBlockSizes)
                QTest::addRow("%g ms/%s", timeMs, qPrintable(rateBlockName(sampleRate, blockSize)))
                    << timeMs << sampleRate << blockSize;
}

void TestDelay::impulseReturnsAtSetTime() {
    QFETCH(double, timeMs);
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    const double delaySamples = timeMs * 0.001 * sampleRate;
    const std::size_t expected = static_cast<std::size_t>(std::lround(delaySamples));
    const std::size_t frames = expected + static_cast<std::size_t>(0.05 * sampleRate);
    const std::vector<float> in = impulse(frames);
    // The right input unconnected: the right channel takes `in` too.
    const Stereo out = runDelay({{"time", timeMs}, {"feedback", 0.0}, {"tone", 20000.0}, {"mix", 1.0}},
                                sampleRate, blockSize, frames, {&in});
    for (const std::vector<float>* channel : {&out.left, &out.right}) {
        const std::span<const float> y(*channel);
        QVERIFY(allFinite(y));
        const std::size_t at = loudestIndex(y);
        reportFigure(QStringLiteral("delay %1 ms @ %2/%3: impulse back at %4 (expected %5), %6")
                         .arg(timeMs)
                         .arg(sampleRate)
                         .arg(blockSize)
                         .arg(at)
                         .arg(delaySamples)
                         .arg(y[at]));
        QCOMPARE(at, expected);
        QVERIFY2(y[at] > 0.5f, qPrintable(QString::number(y[at])));
        // Nothing before it: mix 1 is all wet.
        QCOMPARE(peak(y.first(expected - 2)), 0.0f);
    }
}

void TestDelay::syncedTimeIsDivisionAtTempo_data() {
    QTest::addColumn<int>("sync");
    QTest::addColumn<double>("bpm");
    QTest::addColumn<bool>("fromInput");
    addRateBlockColumns();
    // 1/4, 1/8., 1/16t and 1/2 (the longest that fits the 2 s line at 175 BPM)
    for (int sync : {3, 9, 13, 2})
        for (double bpm : {175.0, 97.0})
            for (bool fromInput : {false, true})
                for (int blockSize : {37, 4096})
                    QTest::addRow("sync %d/%g bpm/%s/%d", sync, bpm, fromInput ? "tempo input" : "bpm param",
                                  blockSize)
                        << sync << bpm << fromInput << 48000.0 << blockSize;
}

void TestDelay::syncedTimeIsDivisionAtTempo() {
    QFETCH(int, sync);
    QFETCH(double, bpm);
    QFETCH(bool, fromInput);
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    const double beats = engine::tempo::divisionBeats(sync);
    const double seconds = std::min(beats * 60.0 / bpm, 2.0);
    const std::size_t expected = static_cast<std::size_t>(std::lround(seconds * sampleRate));
    const std::size_t frames = expected + static_cast<std::size_t>(0.05 * sampleRate);
    const std::vector<float> in = impulse(frames);
    // The tempo CV as the clock sends it, beats per second; the bpm param then disagrees on purpose.
    const std::vector<float> tempoCv(frames, static_cast<float>(engine::tempo::tempoCvFromBpm(bpm)));
    const ParamList params{{"sync", sync},    {"bpm", fromInput ? 60.0 : bpm},
                           {"time", 100.0},   {"feedback", 0.0},
                           {"tone", 20000.0}, {"mix", 1.0}};
    const Stereo out =
        runDelay(params, sampleRate, blockSize, frames, {&in, nullptr, fromInput ? &tempoCv : nullptr});
    const std::span<const float> y(out.left);
    QVERIFY(allFinite(y));
    const std::size_t at = loudestIndex(y);
    reportFigure(QStringLiteral("delay sync %1 at %2 bpm: back at %3, expected %4")
                     .arg(sync)
                     .arg(bpm)
                     .arg(at)
                     .arg(expected));
    QCOMPARE(at, expected);
    QVERIFY(y[at] > 0.5f);
}

void TestDelay::repeatsDecayByFeedbackFactor_data() {
    QTest::addColumn<double>("feedback");
    addRateBlockColumns();
    for (double feedback : {0.3, 0.6, 0.95})
        for (double sampleRate : kSampleRates)
            QTest::addRow("feedback %g/%s", feedback, qPrintable(rateBlockName(sampleRate, 64)))
                << feedback << sampleRate << 64;
}

void TestDelay::repeatsDecayByFeedbackFactor() {
    QFETCH(double, feedback);
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    // A 10 ms Hann-windowed 1 kHz burst: well inside the loop's pass band with the tone open (the
    // 20 kHz low-pass and the 20 Hz high-pass together lose about 0.1 % at 1 kHz).
    constexpr double kTimeMs = 100.0;
    const std::size_t period = static_cast<std::size_t>(std::lround(kTimeMs * 0.001 * sampleRate));
    constexpr int kRepeats = 6;
    const std::size_t frames = period * (kRepeats + 1);
    std::vector<float> in(frames, 0.0f);
    const std::size_t burst = static_cast<std::size_t>(0.01 * sampleRate);
    for (std::size_t i = 0; i < burst; ++i) {
        const double t = static_cast<double>(i) / static_cast<double>(burst);
        in[i] = static_cast<float>(
            0.5 * (1.0 - std::cos(2.0 * std::numbers::pi * t)) *
            std::sin(2.0 * std::numbers::pi * 1000.0 * static_cast<double>(i) / sampleRate));
    }
    const Stereo out = runDelay({{"time", kTimeMs}, {"feedback", feedback}, {"tone", 20000.0}, {"mix", 1.0}},
                                sampleRate, blockSize, frames, {&in});
    const std::span<const float> y(out.left);
    QVERIFY(allFinite(y));
    double previous = std::sqrt(energy(y.subspan(period, period)));
    QVERIFY(previous > 0.1);
    for (int k = 2; k <= kRepeats; ++k) {
        const double level = std::sqrt(energy(y.subspan(period * static_cast<std::size_t>(k), period)));
        const double ratio = level / previous;
        reportFigure(QStringLiteral("delay feedback %1 @ %2: repeat %3 / repeat %4 = %5")
                         .arg(feedback)
                         .arg(sampleRate)
                         .arg(k)
                         .arg(k - 1)
                         .arg(ratio, 0, 'f', 5));
        QVERIFY2(std::fabs(ratio / feedback - 1.0) < 0.01,
                 qPrintable(
                     QStringLiteral("repeat %1: ratio %2 for feedback %3").arg(k).arg(ratio).arg(feedback)));
        previous = level;
    }
}

void TestDelay::pingPongAlternatesChannels() {
    constexpr double kSampleRate = 48000.0, kTimeMs = 150.0;
    const std::size_t period = static_cast<std::size_t>(kTimeMs * 0.001 * kSampleRate);
    const std::size_t frames = period * 7;
    const std::vector<float> in = impulse(frames);
    // Mono in (right unconnected): full ping-pong starts on the left and crosses at every repeat.
    const Stereo out =
        runDelay({{"time", kTimeMs}, {"feedback", 0.5}, {"tone", 20000.0}, {"pingpong", 1.0}, {"mix", 1.0}},
                 kSampleRate, 64, frames, {&in});
    QVERIFY(allFinite(out.left) && allFinite(out.right));
    for (std::size_t k = 1; k <= 6; ++k) {
        // The window holds the k-th repeat and the start of the low-cut's tail. That tail (20 Hz, a
        // time constant of 8 ms) reaches into the next window, on the other side, at about -90 dB.
        const std::size_t from = k * period - period / 2;
        const double left = energy(std::span<const float>(out.left).subspan(from, period));
        const double right = energy(std::span<const float>(out.right).subspan(from, period));
        const bool onLeft = k % 2 == 1;
        reportFigure(
            QStringLiteral("delay ping-pong repeat %1: left %2, right %3").arg(k).arg(left).arg(right));
        const double loud = onLeft ? left : right, quiet = onLeft ? right : left;
        QVERIFY2(loud > 1e-5, qPrintable(QStringLiteral("repeat %1 missing").arg(k)));
        QVERIFY2(
            quiet < 1e-6 * loud,
            qPrintable(QStringLiteral("repeat %1 on both sides: %2 and %3").arg(k).arg(left).arg(right)));
    }
    // Without ping-pong both channels repeat the mono input alike.
    const Stereo plain = runDelay({{"time", kTimeMs}, {"feedback", 0.5}, {"pingpong", 0.0}, {"mix", 1.0}},
                                  kSampleRate, 64, frames, {&in});
    QCOMPARE(plain.left, plain.right);
    QVERIFY(peak(plain.left) > 0.1f);
}

void TestDelay::mixZeroPassesDrySignalExactly_data() {
    QTest::addColumn<bool>("rightSide");
    addRateBlockColumns();
    for (bool rightSide : {false, true})
        for (int blockSize : {1, 37, 4096})
            QTest::addRow("%s/%d", rightSide ? "right" : "left", blockSize)
                << rightSide << 44100.0 << blockSize;
}

void TestDelay::mixZeroPassesDrySignalExactly() {
    QFETCH(bool, rightSide);
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    // Two uncorrelated noises in, a loop full of repeats, mix 0: one side of the delay against its
    // own dry input, sample for sample. Then mix up: the comparison is not vacuous.
    OfflineRenderer r{sampleRate, blockSize};
    engine::PatchGraph& g = r.graph();
    CHRONUS_VERIFY_OK(g.addModule("noiseL", "noise"));
    CHRONUS_VERIFY_OK(g.addModule("noiseR", "noise"));
    CHRONUS_VERIFY_OK(g.addModule("delay", "delay"));
    CHRONUS_VERIFY_OK(g.setParam("delay", "time", 50.0));
    CHRONUS_VERIFY_OK(g.setParam("delay", "feedback", 0.9));
    CHRONUS_VERIFY_OK(g.setParam("delay", "pingpong", 0.5));
    CHRONUS_VERIFY_OK(g.setParam("delay", "mix", 0.0));
    CHRONUS_VERIFY_OK(g.connect("noiseL", "delay.in"));
    CHRONUS_VERIFY_OK(g.connect("noiseR", "delay.right"));
    CHRONUS_VERIFY_OK(g.connect(rightSide ? "delay.right" : "delay.left", "out.left"));
    CHRONUS_VERIFY_OK(g.connect(rightSide ? "noiseR" : "noiseL", "out.right"));
    auto rendered = r.render(0.5);
    CHRONUS_VERIFY_OK(rendered);
    QVERIFY(peak(rendered->right) > 0.1f);
    QCOMPARE(rendered->left, rendered->right);
    CHRONUS_VERIFY_OK(r.setParam("delay", "mix", 0.5));
    auto mixed = r.render(0.2);
    CHRONUS_VERIFY_OK(mixed);
    QVERIFY(mixed->left != mixed->right);
}

void TestDelay::timeChangeDoesNotClick_data() {
    QTest::addColumn<bool>("synced");
    QTest::addColumn<double>("mix");
    addRateBlockColumns();
    for (bool synced : {false, true})
        for (double mix : {1.0, 0.5})
            for (int blockSize : {1, 64, 4096})
                QTest::addRow("%s/mix %g/%d", synced ? "sync" : "ms", mix, blockSize)
                    << synced << mix << 48000.0 << blockSize;
}

void TestDelay::timeChangeDoesNotClick() {
    QFETCH(bool, synced);
    QFETCH(double, mix);
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    // A 200 Hz sine (amplitude 0.5) through the delay with feedback 0.5; the time jumps from 300 ms
    // to 537 ms (free) or from 1/4 to 1/8. at 120 BPM (500 to 375 ms): the old and the new repeats
    // are far out of phase, so a read head that jumped would step by a good part of the amplitude.
    constexpr double kFreq = 200.0, kAmplitude = 0.5, kFeedback = 0.5;
    OfflineRenderer r{sampleRate, blockSize};
    engine::PatchGraph& g = r.graph();
    CHRONUS_VERIFY_OK(g.addModule("tone", "sine"));
    CHRONUS_VERIFY_OK(g.setParam("tone", "freq", kFreq));
    CHRONUS_VERIFY_OK(g.setParam("tone", "gain", kAmplitude));
    CHRONUS_VERIFY_OK(g.addModule("delay", "delay"));
    CHRONUS_VERIFY_OK(g.setParam("delay", "time", 300.0));
    CHRONUS_VERIFY_OK(g.setParam("delay", "sync", synced ? 3 : 0));
    CHRONUS_VERIFY_OK(g.setParam("delay", "feedback", kFeedback));
    CHRONUS_VERIFY_OK(g.setParam("delay", "tone", 20000.0));
    CHRONUS_VERIFY_OK(g.setParam("delay", "mix", mix));
    CHRONUS_VERIFY_OK(g.connect("tone", "delay.in"));
    CHRONUS_VERIFY_OK(g.connect("delay.left", "out.left"));
    auto before = r.renderFrames(static_cast<std::size_t>(1.5 * sampleRate) + 17);
    CHRONUS_VERIFY_OK(before);
    CHRONUS_VERIFY_OK(synced ? r.setParam("delay", "sync", 9) : r.setParam("delay", "time", 537.0));
    auto after = r.renderFrames(static_cast<std::size_t>(1.5 * sampleRate));
    CHRONUS_VERIFY_OK(after);
    const std::size_t changeAt = before->left.size();
    std::vector<float> out = std::move(before->left);
    append(out, after->left);
    QVERIFY(allFinite(out));
    // The repeats sum to at most amplitude / (1 - feedback): a sine of that amplitude steps by at
    // most 2 pi f A / sr per sample. The wet and the dry parts together stay within it, crossfade
    // or not; a jump of the read position would not.
    const double bound = 2.0 * std::numbers::pi * kFreq * kAmplitude / (1.0 - kFeedback) / sampleRate;
    const float stepBefore = largestStep(std::span<const float>(out).first(changeAt));
    const float step = largestStep(out);
    reportFigure(
        QStringLiteral("delay time change (%1, mix %2, block %3): largest step %4 (before the change %5, "
                       "bound %6)")
            .arg(synced ? "sync" : "ms")
            .arg(mix)
            .arg(blockSize)
            .arg(step)
            .arg(stepBefore)
            .arg(bound));
    QVERIFY2(static_cast<double>(step) < 1.05 * bound, qPrintable(QString::number(step)));
}

void TestDelay::liveTimeChangeTakesEffect() {
    // Set live (ramped, as a knob) to 200 ms half a second in, then an impulse at 1 s: it comes
    // back 200 ms later, once the crossfade to the new time is over.
    constexpr double kSampleRate = 44100.0;
    const std::size_t change = 22050, hit = 44100, expected = hit + 8820;
    const std::size_t frames = expected + 4410;
    std::vector<float> in(frames, 0.0f);
    in[hit] = 1.0f;
    const engine::ModuleType& type = *engine::ModuleRegistry::instance().find("delay");
    bool changed = false;
    const Stereo out = runDelay({{"time", 700.0}, {"feedback", 0.0}, {"tone", 20000.0}, {"mix", 1.0}},
                                kSampleRate, 37, frames, {&in}, [&](engine::Module& delay, std::size_t done) {
                                    if (!changed && done >= change) {
                                        delay.setParam(type.findParam("time"), 200.0f);
                                        changed = true;
                                    }
                                });
    QVERIFY(allFinite(out.left));
    QCOMPARE(loudestIndex(out.left), expected);
    QVERIFY(out.left[expected] > 0.5f);
}

void TestDelay::fullFeedbackDiesAway() {
    // The loop at its limits (feedback 0.95, tone open, half ping-pong): repeats of an impulse
    // shrink; after 20 s (about 130 repeats of 150 ms) they are 60 dB down and more.
    constexpr double kSampleRate = 48000.0;
    const std::size_t frames = static_cast<std::size_t>(20.0 * kSampleRate);
    const std::vector<float> in = impulse(frames);
    const Stereo out =
        runDelay({{"time", 150.0}, {"feedback", 0.95}, {"tone", 20000.0}, {"pingpong", 0.5}, {"mix", 1.0}},
                 kSampleRate, 64, frames, {&in});
    QVERIFY(allFinite(out.left) && allFinite(out.right));
    const std::size_t second = static_cast<std::size_t>(kSampleRate);
    const double first = std::sqrt(energy(std::span<const float>(out.left).first(second)));
    const double last = std::sqrt(energy(std::span<const float>(out.left).last(second)));
    reportFigure(QStringLiteral("delay feedback 0.95: first second %1, last second %2").arg(first).arg(last));
    QVERIFY(first > 0.5);
    QVERIFY2(last < 1e-3 * first, qPrintable(QString::number(last / first)));
    QVERIFY(peak(out.left) <= 1.0f && peak(out.right) <= 1.0f);
}

} // namespace chronus::test

QTEST_APPLESS_MAIN(chronus::test::TestDelay)
#include "tst_delay.moc"
