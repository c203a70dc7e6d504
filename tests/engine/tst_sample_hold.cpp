// Sample & hold: the output takes the input's value at the very sample of each trigger (a rising
// edge through 0.5, or a gate event at the next block's start) and holds it until the next; with
// nothing on `in` it draws seeded noise; `glide` slews to the new value in the set time.

#include "EngineTestUtils.hpp"
#include "ModuleDriver.hpp"
#include "PolyCompare.hpp"
#include "engine/OfflineRenderer.hpp"
#include "support/SignalAnalysis.hpp"

#include <QObject>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace chronus::test {

using engine::OfflineRenderer;

namespace {

// A signal that differs at every sample, so a value held off by one is caught.
std::vector<float> ramp(std::size_t frames) {
    std::vector<float> x(frames);
    for (std::size_t i = 0; i < frames; ++i)
        x[i] = -1.0f + 2.0f * static_cast<float>(i) / static_cast<float>(frames);
    return x;
}

// Trigger pulses: high (1.0) for `width` samples at each position.
std::vector<float> pulses(std::size_t frames, const std::vector<std::size_t>& at, std::size_t width) {
    std::vector<float> x(frames, 0.0f);
    for (std::size_t p : at)
        for (std::size_t i = p; i < std::min(frames, p + width); ++i)
            x[i] = 1.0f;
    return x;
}

} // namespace

class TestSampleHold : public QObject {
    Q_OBJECT

private slots:
    void samplesAtTriggerSampleAndHolds_data();
    void samplesAtTriggerSampleAndHolds();
    void gateEventSamplesAtNextBlockStart();
    void glideReachesNewValueInGlideTime();
    void unconnectedInputSamplesSeededNoise();
    void polyKernelsSampleEachChannelAsTheMonoModule_data();
    void polyKernelsSampleEachChannelAsTheMonoModule();
    void polyNoiseIsItsOwnPerChannel();
};

void TestSampleHold::samplesAtTriggerSampleAndHolds_data() {
    addRateBlockRows();
}

void TestSampleHold::samplesAtTriggerSampleAndHolds() {
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    const std::size_t frames = 20000;
    const std::vector<float> in = ramp(frames);
    // Triggers of different widths, at odd positions that straddle block boundaries; a level that
    // stays high or wobbles above 0.5 does not trigger again.
    std::vector<std::size_t> at;
    for (std::size_t p = 101; p < frames - 200; p += 997 + (p % 7) * 13)
        at.push_back(p);
    std::vector<float> trig = pulses(frames, at, 40);
    for (std::size_t p : at)
        trig[p + 10] = 0.7f; // still high: no new trigger
    ModuleDriver d("sample_hold", sampleRate, blockSize);
    QVERIFY(d.connect("in", &in));
    QVERIFY(d.connect("trig", &trig));
    const auto out = d.run(frames);
    std::size_t next = 0;
    float held = 0.0f; // nothing sampled yet
    for (std::size_t i = 0; i < frames; ++i) {
        if (next < at.size() && i == at[next]) {
            held = in[i];
            ++next;
        }
        if (out[0][i] != held)
            QFAIL(qPrintable(QStringLiteral("sample %1: %2, expected %3").arg(i).arg(out[0][i]).arg(held)));
    }
    QCOMPARE(next, at.size());
}

void TestSampleHold::gateEventSamplesAtNextBlockStart() {
    const std::size_t frames = 4000;
    const std::vector<float> in = ramp(frames);
    ModuleDriver d("sample_hold", 48000.0, 64);
    QVERIFY(d.connect("in", &in));
    QVERIFY(d.setParam("level", 2.0));
    auto first = d.run(640);
    QCOMPARE(peak(first[0]), 0.0f);
    d.gate(true);
    auto second = d.run(640);
    d.gate(false); // off does nothing
    auto third = d.run(640);
    for (float v : second[0])
        QCOMPARE(v, 2.0f * in[640]);
    for (float v : third[0])
        QCOMPARE(v, 2.0f * in[640]);
}

void TestSampleHold::glideReachesNewValueInGlideTime() {
    constexpr double kRate = 48000.0;
    constexpr double kGlideMs = 10.0;
    const std::size_t frames = 4800;
    const std::vector<float> in(frames, 0.8f);
    const std::vector<float> trig = pulses(frames, {1000}, 10);
    ModuleDriver d("sample_hold", kRate, 37);
    QVERIFY(d.setParam("glide", kGlideMs));
    QVERIFY(d.connect("in", &in));
    QVERIFY(d.connect("trig", &trig));
    const auto out = d.run(frames);
    const std::size_t glide = static_cast<std::size_t>(kGlideMs * kRate / 1000.0); // 480 samples
    QCOMPARE(out[0][999], 0.0f);
    // A straight line from 0 at the trigger to 0.8 after `glide` samples, then held.
    for (std::size_t k = 0; k < glide; ++k) {
        const float expected = 0.8f * static_cast<float>(k + 1) / static_cast<float>(glide);
        QVERIFY2(std::fabs(out[0][1000 + k] - expected) < 1e-5f, qPrintable(QString::number(k)));
    }
    for (std::size_t i = 1000 + glide - 1; i < frames; ++i)
        QCOMPARE(out[0][i], 0.8f);
}

void TestSampleHold::unconnectedInputSamplesSeededNoise() {
    // In a patch: a 10 Hz square LFO triggers, nothing on `in`: ten steps a second of noise.
    auto render = [](const char* id) {
        OfflineRenderer r{48000.0, 64};
        engine::PatchGraph& g = r.graph();
        (void)g.addModule("clk", "lfo");
        (void)g.setParam("clk", "shape", 3);
        (void)g.setParam("clk", "rate", 10.0);
        (void)g.addModule(id, "sample_hold");
        (void)g.connect("clk", std::string(id) + ".trig");
        (void)g.connect(id, "out");
        auto rendered = r.render(2.0);
        return rendered ? rendered->left : std::vector<float>{};
    };
    const std::vector<float> a = render("sh");
    QCOMPARE(a.size(), std::size_t{96000});
    std::vector<float> values{a[0]};
    std::size_t changes = 0;
    for (std::size_t i = 1; i < a.size(); ++i)
        if (a[i] != a[i - 1]) {
            ++changes;
            values.push_back(a[i]);
        }
    // The square's first rise is at sample 0 (its high half comes first), then one per cycle.
    QVERIFY2(changes >= 19 && changes <= 20, qPrintable(QString::number(changes)));
    QVERIFY(peak(a) <= 1.0f);
    double sum = 0.0, sumSq = 0.0;
    for (float v : values) {
        sum += static_cast<double>(v);
        sumSq += static_cast<double>(v) * static_cast<double>(v);
    }
    const double n = static_cast<double>(values.size());
    const double spread = std::sqrt(sumSq / n - (sum / n) * (sum / n));
    QVERIFY2(spread > 0.3, qPrintable(QString::number(spread))); // uniform on [-1, 1]: 0.58
    // Seeded: the same id renders the same sequence; another id another one.
    QVERIFY(render("sh") == a);
    QVERIFY(render("other") != a);
}

namespace {

poly::Case sampleHoldCase(const QString& mode) {
    poly::Case tc;
    tc.type = "sample_hold";
    tc.params = {{"glide", mode == "glide" ? 3.0 : 0.0}, {"level", 0.8}};
    tc.output = "out";
    auto squares = [](engine::PatchGraph& g, int c) {
        const std::string id = "trig" + std::to_string(c + 1);
        (void)g.addModule(id, "lfo");
        (void)g.setParam(id, "shape", 3.0); // square
        (void)g.setParam(id, "rate", 40.0 + 13.0 * c);
        return id;
    };
    if (mode != "noise")
        tc.feeds.push_back({"in", false, [](engine::PatchGraph& g, int c) {
                                const std::string id = "sine" + std::to_string(c);
                                (void)g.addModule(id, "sine");
                                (void)g.setParam(id, "freq", 3.0 + 2.1 * c);
                                return id;
                            }});
    if (mode == "shared trig")
        tc.feeds.push_back({"trig", true, [squares](engine::PatchGraph& g, int) { return squares(g, -1); }});
    else if (mode != "gate event")
        tc.feeds.push_back({"trig", false, squares});
    return tc;
}

} // namespace

void TestSampleHold::polyKernelsSampleEachChannelAsTheMonoModule_data() {
    poly::addModeBlockRows({"trig per channel", "glide", "shared trig", "gate event"});
}

void TestSampleHold::polyKernelsSampleEachChannelAsTheMonoModule() {
    // Channel k of a 16-channel S&H (16 sines, 16 triggers at their own rates), portable and AVX2
    // copies, against a mono S&H fed channel k alone: the same expressions lane by lane (the glide's
    // product not fused), so they agree to the bit. "gate event" triggers every channel at the middle.
    QFETCH(QString, mode);
    QFETCH(int, block);
    using engine::simd::Level;
    const poly::Case tc = sampleHoldCase(mode);
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
        QVERIFY2(generic == mono, qPrintable(QString::number(poly::relativeDifference(mono, generic))));
        QVERIFY2(wide == mono, qPrintable(QString::number(poly::relativeDifference(mono, wide))));
    }
    engine::simd::setLevel(Level::Avx2);
}

void TestSampleHold::polyNoiseIsItsOwnPerChannel() {
    // Unconnected `in`: channel 1 is the mono module's noise; the others are other sequences.
    using engine::simd::Level;
    const poly::Case tc = sampleHoldCase("noise");
    const auto mono = poly::renderChannel(tc, Level::Generic, 1, 0, 64, 4800);
    std::vector<std::vector<float>> channels;
    for (int k = 0; k < 16; k += 5)
        channels.push_back(poly::renderChannel(tc, Level::Avx2, 16, k, 64, 4800));
    QCOMPARE(mono.size(), std::size_t(4800));
    QVERIFY(peak(mono) > 0.01f);
    QVERIFY(channels[0] == mono);
    for (std::size_t a = 0; a < channels.size(); ++a)
        for (std::size_t b = a + 1; b < channels.size(); ++b)
            QVERIFY(poly::relativeDifference(channels[a], channels[b]) > 0.1);
}

} // namespace chronus::test

QTEST_APPLESS_MAIN(chronus::test::TestSampleHold)
#include "tst_sample_hold.moc"
