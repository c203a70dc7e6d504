// The LFO: out = offset + depth x wave. Depth 0 and offset 0 must leave a target untouched, bit for
// bit, and each shape has its rate, its range and its width; synced, one cycle lasts the chosen note
// value at the tempo; s&h holds one noise value per cycle; `reset` restarts the cycle.

#include "EngineTestUtils.hpp"
#include "ModuleDriver.hpp"
#include "engine/OfflineRenderer.hpp"
#include "engine/Simd.hpp"
#include "engine/modules/Tempo.hpp"
#include "support/SignalAnalysis.hpp"

#include <QObject>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <span>
#include <string>
#include <vector>

namespace chronus::test {

using engine::OfflineRenderer;

namespace {

const char* const kShapeNames[] = {"sine", "triangle", "saw", "square", "s&h"};
constexpr int kSampleHoldShape = 4;

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

void addShapeRows(int shapes) {
    QTest::addColumn<int>("shape");
    addRateBlockColumns();
    for (int shape = 0; shape < shapes; ++shape)
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
    void zeroDepthIsNeutralWhenSyncedAndReset();
    void syncedCycleLastsTheDivision_data();
    void syncedCycleLastsTheDivision();
    void syncedRateFollowsTempoInput();
    void clockDrivesSyncedCyclesLockedToBars();
    void sampleHoldHoldsOneNoiseValuePerCycle();
    void resetRestartsTheCycle();
    void polyKernelsMatchTheMonoPathOnEveryChannel_data();
    void polyKernelsMatchTheMonoPathOnEveryChannel();
    void polyChannelCountFollowsTheInputs();
};

void TestLfo::zeroDepthAndOffsetLeaveTargetUnchanged_data() {
    addShapeRows(5);
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
    // Bit for bit: depth 0 is exactly offset 0, and an FM input of 0 is exactly a factor of 1.
    QVERIFY(rendered->left == rendered->right);

    // Turning the depth up must change the pitch: the comparison above is not vacuous.
    CHRONUS_VERIFY_OK(r.setParam("lfo", "depth", 0.5));
    auto modulated = r.render(0.5);
    CHRONUS_VERIFY_OK(modulated);
    QVERIFY(modulated->left != modulated->right);
}

void TestLfo::shapesHaveRateRangeAndWidth_data() {
    addShapeRows(4); // s&h: see sampleHoldHoldsOneNoiseValuePerCycle
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

void TestLfo::zeroDepthIsNeutralWhenSyncedAndReset() {
    // The same as above with everything new in play: synced to a tempo input, reset by a pulse,
    // s&h shape. The FM'd oscillator still plays exactly what the plain one does.
    OfflineRenderer r{48000.0, 37};
    engine::PatchGraph& g = r.graph();
    CHRONUS_VERIFY_OK(g.addModule("plain", "sine"));
    CHRONUS_VERIFY_OK(g.addModule("modulated", "sine"));
    CHRONUS_VERIFY_OK(g.addModule("lfo", "lfo"));
    CHRONUS_VERIFY_OK(g.addModule("tempo", "lfo")); // a wobbling tempo, clamped to 20..300 BPM
    CHRONUS_VERIFY_OK(g.addModule("pulse", "lfo"));
    CHRONUS_VERIFY_OK(g.setParam("lfo", "shape", kSampleHoldShape));
    CHRONUS_VERIFY_OK(g.setParam("lfo", "sync", 5)); // 1/16
    CHRONUS_VERIFY_OK(g.setParam("lfo", "depth", 0.0));
    CHRONUS_VERIFY_OK(g.setParam("tempo", "depth", 5.0));
    CHRONUS_VERIFY_OK(g.setParam("pulse", "shape", 3));
    CHRONUS_VERIFY_OK(g.setParam("pulse", "rate", 3.0));
    CHRONUS_VERIFY_OK(g.connect("tempo", "lfo.tempo"));
    CHRONUS_VERIFY_OK(g.connect("pulse", "lfo.reset"));
    CHRONUS_VERIFY_OK(g.connect("lfo", "modulated.fm"));
    CHRONUS_VERIFY_OK(g.connect("plain", "out.left"));
    CHRONUS_VERIFY_OK(g.connect("modulated", "out.right"));
    auto rendered = r.render(1.0);
    CHRONUS_VERIFY_OK(rendered);
    QVERIFY(rendered->left == rendered->right);
    CHRONUS_VERIFY_OK(r.setParam("lfo", "depth", 0.5));
    auto modulated = r.render(0.5);
    CHRONUS_VERIFY_OK(modulated);
    QVERIFY(modulated->left != modulated->right);
}

void TestLfo::syncedCycleLastsTheDivision_data() {
    QTest::addColumn<int>("sync");
    QTest::addColumn<double>("bpm");
    QTest::addColumn<double>("hz");
    // One cycle per division: bpm / 60 beats a second, `beats` per cycle.
    QTest::addRow("1/4 at 150") << 3 << 150.0 << 2.5;
    QTest::addRow("1/1 at 120") << 1 << 120.0 << 0.5;
    QTest::addRow("1/16 at 175") << 5 << 175.0 << 175.0 / 60.0 * 4.0;
    QTest::addRow("1/8t at 90") << 12 << 90.0 << 4.5;
    QTest::addRow("1/4. at 100") << 8 << 100.0 << 100.0 / 60.0 / 1.5;
}

void TestLfo::syncedCycleLastsTheDivision() {
    QFETCH(int, sync);
    QFETCH(double, bpm);
    QFETCH(double, hz);
    constexpr double kRate = 48000.0;
    OfflineRenderer r{kRate, 64};
    engine::PatchGraph& g = r.graph();
    CHRONUS_VERIFY_OK(g.addModule("lfo", "lfo"));
    CHRONUS_VERIFY_OK(g.setParam("lfo", "rate", 7.0)); // ignored while synced
    CHRONUS_VERIFY_OK(g.setParam("lfo", "sync", sync));
    CHRONUS_VERIFY_OK(g.setParam("lfo", "bpm", bpm));
    CHRONUS_VERIFY_OK(g.connect("lfo", "out"));
    auto rendered = r.render(8.0);
    CHRONUS_VERIFY_OK(rendered);
    const double measured = estimateFrequency(rendered->left, kRate);
    QVERIFY2(std::fabs(measured / hz - 1.0) < 1e-4, qPrintable(QString::number(measured)));

    // Sync off again: back to `rate`.
    CHRONUS_VERIFY_OK(r.setParam("lfo", "sync", 0));
    auto free = r.render(2.0);
    CHRONUS_VERIFY_OK(free);
    const double freeHz = estimateFrequency(free->left, kRate);
    QVERIFY2(std::fabs(freeHz / 7.0 - 1.0) < 1e-3, qPrintable(QString::number(freeHz)));
}

void TestLfo::syncedRateFollowsTempoInput() {
    // A clock's `tempo` output carries beats per second on every sample: 175 BPM, then 140. 1/16
    // notes: 11.67 Hz, then 9.33 Hz, following the input sample by sample (`bpm` is ignored).
    constexpr double kRate = 44100.0;
    const std::size_t half = static_cast<std::size_t>(3.0 * kRate);
    std::vector<float> tempo(2 * half, static_cast<float>(engine::tempo::tempoCvFromBpm(175.0)));
    std::fill(tempo.begin() + static_cast<std::ptrdiff_t>(half), tempo.end(),
              static_cast<float>(engine::tempo::tempoCvFromBpm(140.0)));
    ModuleDriver d("lfo", kRate, 37);
    QVERIFY(d.setParam("sync", 5));
    QVERIFY(d.setParam("bpm", 60.0));
    QVERIFY(d.connect("tempo", &tempo));
    const auto out = d.run(2 * half);
    const std::span<const float> all(out[0]);
    const double first = estimateFrequency(all.first(half), kRate);
    const double second = estimateFrequency(all.subspan(half + 4410), kRate);
    QVERIFY2(std::fabs(first / (175.0 / 15.0) - 1.0) < 1e-4, qPrintable(QString::number(first)));
    QVERIFY2(std::fabs(second / (140.0 / 15.0) - 1.0) < 1e-4, qPrintable(QString::number(second)));
    // The tempo change bends the phase, it does not jump: no step beyond the sine's own.
    QVERIFY(static_cast<double>(largestStep(all)) < 2.0 * std::numbers::pi * 12.0 / kRate * 1.01);
}

void TestLfo::clockDrivesSyncedCyclesLockedToBars() {
    // A clock at 175 BPM: its tempo sets a 1/1 saw's rate (one cycle per 4/4 bar) and its bar gate
    // resets the saw, so each cycle starts exactly on a bar's first sample; a 1/4 sine beside it
    // runs at the beat rate.
    constexpr double kRate = 48000.0, kBpm = 175.0;
    OfflineRenderer r{kRate, 37};
    engine::PatchGraph& g = r.graph();
    CHRONUS_VERIFY_OK(g.addModule("clk", "clock"));
    CHRONUS_VERIFY_OK(g.setParam("clk", "bpm", kBpm));
    CHRONUS_VERIFY_OK(g.addModule("bars", "lfo"));
    CHRONUS_VERIFY_OK(g.setParam("bars", "shape", 2));
    CHRONUS_VERIFY_OK(g.setParam("bars", "sync", 1)); // 1/1
    CHRONUS_VERIFY_OK(g.addModule("beats", "lfo"));
    CHRONUS_VERIFY_OK(g.setParam("beats", "sync", 3)); // 1/4
    CHRONUS_VERIFY_OK(g.connect("clk.tempo", "bars.tempo"));
    CHRONUS_VERIFY_OK(g.connect("clk.bar", "bars.reset"));
    CHRONUS_VERIFY_OK(g.connect("clk.tempo", "beats.tempo"));
    CHRONUS_VERIFY_OK(g.connect("bars", "out.left"));
    CHRONUS_VERIFY_OK(g.connect("beats", "out.right"));
    auto rendered = r.render(8.0);
    CHRONUS_VERIFY_OK(rendered);
    const double beatHz = kBpm / 60.0;
    const double measured = estimateFrequency(rendered->right, kRate);
    QVERIFY2(std::fabs(measured / beatHz - 1.0) < 1e-4, qPrintable(QString::number(measured)));
    // Bars start on the first sample at or after k x 4 beats: the saw is at -1 there.
    const double barSamples = 4.0 * 60.0 / kBpm * kRate;
    for (int bar = 0; bar < 5; ++bar) {
        const std::size_t onset = static_cast<std::size_t>(std::ceil(bar * barSamples - 1e-6));
        QCOMPARE(rendered->left[onset], -1.0f);
        QVERIFY(rendered->left[onset + 100] > -1.0f);
        if (onset > 0)
            QVERIFY2(rendered->left[onset - 1] > 0.99f,
                     qPrintable(QString::number(rendered->left[onset - 1])));
    }
}

void TestLfo::sampleHoldHoldsOneNoiseValuePerCycle() {
    constexpr double kRate = 48000.0, kHz = 10.0, kDepth = 0.8, kOffset = 0.1;
    auto render = [&](const char* id) {
        OfflineRenderer r{kRate, 37};
        engine::PatchGraph& g = r.graph();
        (void)g.addModule(id, "lfo");
        (void)g.setParam(id, "shape", kSampleHoldShape);
        (void)g.setParam(id, "rate", kHz);
        (void)g.setParam(id, "depth", kDepth);
        (void)g.setParam(id, "offset", kOffset);
        (void)g.connect(id, "out");
        auto rendered = r.render(2.0);
        return rendered ? rendered->left : std::vector<float>{};
    };
    const std::vector<float> out = render("lfo");
    QCOMPARE(out.size(), std::size_t{96000});
    // Steps exactly at the cycle boundaries (every 4800 samples), flat in between.
    std::vector<float> values{out[0]};
    for (std::size_t i = 1; i < out.size(); ++i) {
        const bool boundary = i % 4800 == 0;
        if (boundary)
            values.push_back(out[i]);
        else if (out[i] != out[i - 1])
            QFAIL(qPrintable(QStringLiteral("changed at sample %1").arg(i)));
    }
    QCOMPARE(values.size(), std::size_t{20});
    double sum = 0.0, sumSq = 0.0;
    for (float v : values) {
        QVERIFY(std::fabs(static_cast<double>(v) - kOffset) <= kDepth + 1e-6);
        sum += static_cast<double>(v);
        sumSq += static_cast<double>(v) * static_cast<double>(v);
    }
    const double n = static_cast<double>(values.size());
    const double spread = std::sqrt(sumSq / n - (sum / n) * (sum / n));
    QVERIFY2(spread > 0.2, qPrintable(QString::number(spread))); // uniform: 0.8 x 0.58
    QVERIFY(render("lfo") == out);  // seeded from the id
    QVERIFY(render("lfo2") != out); // and from nothing else
}

void TestLfo::resetRestartsTheCycle() {
    constexpr double kRate = 48000.0;
    const std::size_t frames = 48000;
    const std::size_t resetAt = 12345;
    std::vector<float> reset(frames + 64, 0.0f); // and the block after
    std::fill(reset.begin() + resetAt, reset.begin() + resetAt + 200, 1.0f);
    ModuleDriver d("lfo", kRate, 64);
    QVERIFY(d.setParam("shape", 2)); // saw: -1 at the start of a cycle
    QVERIFY(d.setParam("rate", 3.0));
    QVERIFY(d.connect("reset", &reset));
    const auto out = d.run(frames);
    // 3 Hz: at 12345 samples the cycle is 77 % through; the reset sample starts a new one.
    QVERIFY(out[0][resetAt - 1] > 0.5f);
    QCOMPARE(out[0][resetAt], -1.0f);
    QVERIFY(std::fabs(out[0][resetAt + 8000] - (-1.0f + 2.0f * 8000.0f * 3.0f / 48000.0f)) < 1e-4f);
    // A gate event on restarts it at the start of the next block.
    d.gate(true);
    const auto next = d.run(64);
    QCOMPARE(next[0][0], -1.0f);
}

void TestLfo::polyKernelsMatchTheMonoPathOnEveryChannel_data() {
    QTest::addColumn<int>("shape");
    QTest::addColumn<int>("blockSize");
    QTest::addColumn<bool>("synced");
    for (int shape = 0; shape < 5; ++shape)
        for (int blockSize : {1, 37, 64})
            for (bool synced : {false, true})
                QTest::addRow("%s/%d%s", kShapeNames[shape], blockSize, synced ? "/synced" : "")
                    << shape << blockSize << synced;
}

void TestLfo::polyKernelsMatchTheMonoPathOnEveryChannel() {
    // Channel k of a poly LFO and a mono LFO fed channel k of the same inputs, in one patch: 16
    // channels of tempo CV (synced: each channel its own rate) and 16 reset gates at different
    // rates (poly square oscillators), with width and depth ramping at the start. Tolerance: the
    // AVX2 copy contracts offset + depth x wave into an FMA (one float rounding, ~1e-7 here), and
    // the poly sine is a polynomial where the mono one reads a table (measured under 1e-6).
    QFETCH(int, shape);
    QFETCH(int, blockSize);
    QFETCH(bool, synced);
    using engine::simd::Level;
    const bool avx2 = engine::simd::cpuHasAvx2();
    double worst = 0.0;
    for (Level level : {Level::Generic, Level::Avx2}) {
        if (level == Level::Avx2 && !avx2)
            continue;
        engine::simd::setLevel(level);
        for (int k : {0, 5, 8, 15}) {
            OfflineRenderer r{48000.0, blockSize};
            engine::PatchGraph& g = r.graph();
            std::string tempos, pitches;
            for (int c = 0; c < 16; ++c) {
                tempos += std::to_string(1.5 + 0.37 * c) + " ";
                pitches += std::to_string(0.1 * c) + " ";
            }
            std::vector<float> poly, mono;
            [&] {
                CHRONUS_VERIFY_OK(g.addModule("tempo", "const"));
                CHRONUS_VERIFY_OK(g.setText("tempo", "values", tempos));
                CHRONUS_VERIFY_OK(g.addModule("pitch", "const"));
                CHRONUS_VERIFY_OK(g.setText("pitch", "values", pitches));
                CHRONUS_VERIFY_OK(g.addModule("gates", "square"));
                CHRONUS_VERIFY_OK(g.setParam("gates", "freq", 7.0).status());
                CHRONUS_VERIFY_OK(g.setParam("gates", "gain", 1.0).status());
                CHRONUS_VERIFY_OK(g.connect("pitch", "gates.fm"));
                for (const char* id : {"lp", "lm"}) {
                    CHRONUS_VERIFY_OK(g.addModule(id, "lfo"));
                    CHRONUS_VERIFY_OK(g.setParam(id, "shape", shape).status());
                    CHRONUS_VERIFY_OK(g.setParam(id, "rate", 13.0).status());
                    CHRONUS_VERIFY_OK(g.setParam(id, "sync", synced ? 4.0 : 0.0).status()); // 1/8
                }
                CHRONUS_VERIFY_OK(g.addModule("ts", "split"));
                CHRONUS_VERIFY_OK(g.addModule("rs", "split"));
                CHRONUS_VERIFY_OK(g.addModule("ls", "split"));
                CHRONUS_VERIFY_OK(g.connect("tempo", "ts"));
                CHRONUS_VERIFY_OK(g.connect("gates", "rs"));
                CHRONUS_VERIFY_OK(g.connect("tempo", "lp.tempo"));
                CHRONUS_VERIFY_OK(g.connect("gates", "lp.reset"));
                const std::string out = ".out" + std::to_string(k + 1);
                CHRONUS_VERIFY_OK(g.connect("ts" + out, "lm.tempo"));
                CHRONUS_VERIFY_OK(g.connect("rs" + out, "lm.reset"));
                CHRONUS_VERIFY_OK(g.connect("lp", "ls"));
                CHRONUS_VERIFY_OK(g.connect("ls" + out, "out.left"));
                CHRONUS_VERIFY_OK(g.connect("lm", "out.right"));
                QCOMPARE(int(g.channelLayout().outputs[static_cast<std::size_t>(g.indexOf("lp"))][0]), 16);
                CHRONUS_VERIFY_OK(r.renderFrames(64)); // then ramps, from the defaults
                for (const char* id : {"lp", "lm"}) {
                    CHRONUS_VERIFY_OK(g.setParam(id, "width", 0.3).status());
                    CHRONUS_VERIFY_OK(g.setParam(id, "depth", 0.8).status());
                }
                auto rendered = r.renderFrames(9600);
                CHRONUS_VERIFY_OK(rendered);
                poly = rendered->left;
                mono = rendered->right;
            }();
            QCOMPARE(poly.size(), std::size_t(9600));
            if (shape == kSampleHoldShape) {
                // Each channel its own noise: the values differ from the mono LFO's (another id,
                // another seed), the steps fall on the same samples.
                int steps = 0, sameValues = 0;
                for (std::size_t i = 1; i < poly.size(); ++i) {
                    const bool polyStep = poly[i] != poly[i - 1];
                    QCOMPARE(polyStep, mono[i] != mono[i - 1]);
                    steps += polyStep ? 1 : 0;
                    sameValues += poly[i] == mono[i] ? 1 : 0;
                }
                QVERIFY(steps >= 2);
                QVERIFY(sameValues < 10);
                continue;
            }
            float peak = 0.0f;
            for (std::size_t i = 0; i < poly.size(); ++i) {
                const double diff = std::fabs(static_cast<double>(poly[i]) - static_cast<double>(mono[i]));
                worst = std::max(worst, diff);
                QVERIFY2(diff < 2e-6, qPrintable(QStringLiteral("channel %1, sample %2: %3 vs %4")
                                                     .arg(k)
                                                     .arg(i)
                                                     .arg(poly[i])
                                                     .arg(mono[i])));
                peak = std::max(peak, std::fabs(poly[i]));
            }
            QVERIFY(peak > 0.7f);
        }
    }
    engine::simd::setLevel(avx2 ? Level::Avx2 : Level::Generic);
    reportFigure(QStringLiteral("poly lfo %1: worst difference from the mono path %2").arg(shape).arg(worst));
}

void TestLfo::polyChannelCountFollowsTheInputs() {
    engine::PatchGraph g;
    CHRONUS_VERIFY_OK(g.addModule("l", "lfo"));
    const auto count = [&] {
        return int(g.channelLayout().outputs[static_cast<std::size_t>(g.indexOf("l"))][0]);
    };
    QCOMPARE(count(), 1);
    CHRONUS_VERIFY_OK(g.addModule("gates", "const"));
    CHRONUS_VERIFY_OK(g.setText("gates", "values", "0 1 0 1 0"));
    CHRONUS_VERIFY_OK(g.connect("gates", "l.reset"));
    QCOMPARE(count(), 5);
    CHRONUS_VERIFY_OK(g.addModule("tempo", "const"));
    CHRONUS_VERIFY_OK(g.setText("tempo", "values", "1 2 3 4 5 6 7 8 9"));
    CHRONUS_VERIFY_OK(g.connect("tempo", "l.tempo"));
    QCOMPARE(count(), 9);
}

} // namespace chronus::test

QTEST_APPLESS_MAIN(chronus::test::TestLfo)
#include "tst_lfo.moc"
