// Polyphony's channel rules, through the same Plan the engine runs: how many channels each cable
// carries, what a mono-only input hears of a poly cable, what a poly module hears of a mono one,
// the utilities that make and take apart poly cables, and the SIMD kernels against the portable ones.

#include "EngineTestUtils.hpp"

#include "engine/ModuleRegistry.hpp"
#include "engine/Simd.hpp"

#include <QTest>

#include <cmath>

using namespace chronus;
using engine::OfflineRenderer;
using engine::PatchGraph;

namespace {

int channelsOf(const PatchGraph& graph, const char* id, int port = 0) {
    return graph.channelLayout().outputs[static_cast<std::size_t>(graph.indexOf(id))][static_cast<std::size_t>(port)];
}

// The left output of a patch rendered for `frames` at 48 kHz, blocks of 64.
std::vector<float> renderLeft(OfflineRenderer& r, std::size_t frames) {
    auto out = r.renderFrames(frames);
    if (!out)
        return {};
    return out->left;
}

} // namespace

class TestPolyphony : public QObject {
    Q_OBJECT

private slots:
    void constCarriesOneChannelPerValue();
    void outAndMonoOnlyInputsHearTheSumOfTheChannels();
    void aMonoCableFeedsEveryChannelOfAPolyModule();
    void splitAndMergeTakeChannelsApartAndPutThemTogether();
    void cablesIntoOneInputAddChannelByChannel();
    void aChannelCountIsNotChangedLive();
    void constHoldsItsValuesInBlocksOfAnySize();
    void polyVcaKernelsAgreeWithEachOtherAndTheMonoPath();
    void simdExp2IsAccurate();
};

void TestPolyphony::constCarriesOneChannelPerValue() {
    PatchGraph g;
    CHRONUS_VERIFY_OK(g.addModule("c", "const"));
    CHRONUS_VERIFY_OK(g.setText("c", "values", "0.1, 0.2 0.3"));
    QCOMPARE(channelsOf(g, "c"), 3);
    QCOMPARE(PatchGraph::valueText(*g.find("c"), "values"), std::string("0.1 0.2 0.3"));
    QVERIFY(!g.setText("c", "values", "").ok());
    QVERIFY(!g.setText("c", "values", "1 two").ok());
    QVERIFY(!g.setText("c", "values", "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17").ok());
    QCOMPARE(PatchGraph::valueText(*g.find("c"), "values"), std::string("0.1 0.2 0.3")); // a refusal changes nothing
    CHRONUS_VERIFY_OK(g.setText("c", "values", "1 2 3 4 5 6 7 8 9 10 -1 -2 -3 -4 -5 -6"));
    QCOMPARE(channelsOf(g, "c"), 16);
}

void TestPolyphony::outAndMonoOnlyInputsHearTheSumOfTheChannels() {
    OfflineRenderer r{48000.0, 64};
    PatchGraph& g = r.graph();
    CHRONUS_VERIFY_OK(g.addModule("c", "const"));
    CHRONUS_VERIFY_OK(g.setText("c", "values", "0.1 0.2 0.3"));
    CHRONUS_VERIFY_OK(g.connect("c", "out.left"));
    CHRONUS_VERIFY_OK(g.addModule("s", "sum")); // a mono-only module: its input hears the sum
    CHRONUS_VERIFY_OK(g.connect("c", "s"));
    CHRONUS_VERIFY_OK(g.setParam("s", "level", 2.0).status());
    CHRONUS_VERIFY_OK(g.connect("s", "out.right"));
    QCOMPARE(channelsOf(g, "s"), 1);
    auto out = r.renderFrames(256);
    CHRONUS_VERIFY_OK(out);
    QCOMPARE(out->left[200], 0.6f);
    QVERIFY(std::fabs(out->right[200] - 1.2f) < 1e-6f);
}

void TestPolyphony::aMonoCableFeedsEveryChannelOfAPolyModule() {
    OfflineRenderer r{48000.0, 37};
    PatchGraph& g = r.graph();
    CHRONUS_VERIFY_OK(g.addModule("osc", "sine"));
    CHRONUS_VERIFY_OK(g.addModule("levels", "const"));
    CHRONUS_VERIFY_OK(g.setText("levels", "values", "1 0.5 0.25"));
    CHRONUS_VERIFY_OK(g.addModule("amp", "vca"));
    CHRONUS_VERIFY_OK(g.connect("osc", "amp.in"));
    CHRONUS_VERIFY_OK(g.connect("levels", "amp.cv"));
    CHRONUS_VERIFY_OK(g.addModule("split", "split"));
    CHRONUS_VERIFY_OK(g.connect("amp", "split"));
    CHRONUS_VERIFY_OK(g.connect("split.out1", "out.left"));
    CHRONUS_VERIFY_OK(g.connect("split.out3", "out.right"));
    QCOMPARE(channelsOf(g, "osc"), 1);
    QCOMPARE(channelsOf(g, "amp"), 3);
    auto out = r.renderFrames(4800);
    CHRONUS_VERIFY_OK(out);
    // Channel 3 is channel 1 at a quarter of the level, sample by sample: the same sine fed both.
    double peak = 0.0;
    for (std::size_t i = 0; i < out->left.size(); ++i) {
        QVERIFY2(std::fabs(out->right[i] - 0.25f * out->left[i]) < 1e-6f, qPrintable(QString::number(i)));
        peak = std::max(peak, double(std::fabs(out->left[i])));
    }
    QVERIFY(peak > 0.45); // the sine's gain 0.5
}

void TestPolyphony::splitAndMergeTakeChannelsApartAndPutThemTogether() {
    OfflineRenderer r{48000.0, 64};
    PatchGraph& g = r.graph();
    CHRONUS_VERIFY_OK(g.addModule("a", "const"));
    CHRONUS_VERIFY_OK(g.setText("a", "values", "0.5"));
    CHRONUS_VERIFY_OK(g.addModule("b", "const"));
    CHRONUS_VERIFY_OK(g.setText("b", "values", "0.25 4")); // a poly cable into merge: its sum
    CHRONUS_VERIFY_OK(g.addModule("m", "merge"));
    CHRONUS_VERIFY_OK(g.connect("a", "m.in1"));
    CHRONUS_VERIFY_OK(g.connect("b", "m.in3"));
    QCOMPARE(channelsOf(g, "m"), 3); // the highest connected input
    CHRONUS_VERIFY_OK(g.addModule("s", "split"));
    CHRONUS_VERIFY_OK(g.connect("m", "s"));
    CHRONUS_VERIFY_OK(g.connect("s.out3", "out.left"));
    CHRONUS_VERIFY_OK(g.connect("s.out2", "out.right"));
    auto out = r.renderFrames(128);
    CHRONUS_VERIFY_OK(out);
    QCOMPARE(out->left[100], 4.25f);
    QCOMPARE(out->right[100], 0.0f); // an unconnected input below the count is a silent channel
    // `channels` sets the count: past the inputs, silent channels.
    CHRONUS_VERIFY_OK(g.setParam("m", "channels", 12).status());
    QCOMPARE(channelsOf(g, "m"), 12);
    CHRONUS_VERIFY_OK(g.disconnect("s.out2", "out.right"));
    CHRONUS_VERIFY_OK(g.connect("s.out12", "out.right"));
    CHRONUS_VERIFY_OK(g.disconnect("s.out3", "out.left"));
    CHRONUS_VERIFY_OK(g.connect("s.out1", "out.left"));
    out = r.renderFrames(128);
    CHRONUS_VERIFY_OK(out);
    QCOMPARE(out->left[100], 0.5f);
    QCOMPARE(out->right[100], 0.0f);
}

void TestPolyphony::cablesIntoOneInputAddChannelByChannel() {
    OfflineRenderer r{48000.0, 64};
    PatchGraph& g = r.graph();
    CHRONUS_VERIFY_OK(g.addModule("wide", "const"));
    CHRONUS_VERIFY_OK(g.setText("wide", "values", "1 2 3 4 5 6 7 8 9 10"));
    CHRONUS_VERIFY_OK(g.addModule("mono", "const"));
    CHRONUS_VERIFY_OK(g.setText("mono", "values", "0.5"));
    CHRONUS_VERIFY_OK(g.addModule("two", "const"));
    CHRONUS_VERIFY_OK(g.setText("two", "values", "-1 -2"));
    CHRONUS_VERIFY_OK(g.addModule("amp", "vca"));
    for (const char* from : {"wide", "mono", "two"})
        CHRONUS_VERIFY_OK(g.connect(from, "amp.in"));
    QCOMPARE(channelsOf(g, "amp"), 10);
    CHRONUS_VERIFY_OK(g.addModule("s", "split"));
    CHRONUS_VERIFY_OK(g.connect("amp", "s"));
    CHRONUS_VERIFY_OK(g.connect("s.out2", "out.left"));  // 2 + 0.5 - 2
    CHRONUS_VERIFY_OK(g.connect("s.out10", "out.right")); // 10 + 0.5: the mono cable feeds every channel
    auto out = r.renderFrames(128);
    CHRONUS_VERIFY_OK(out);
    QCOMPARE(out->left[100], 0.5f);
    QCOMPARE(out->right[100], 10.5f);
}

void TestPolyphony::aChannelCountIsNotChangedLive() {
    // Offline a channel count change compiles a new plan at the next render (as a commit does);
    // the values of the same count change live, ramped.
    OfflineRenderer r{48000.0, 64};
    PatchGraph& g = r.graph();
    CHRONUS_VERIFY_OK(g.addModule("c", "const"));
    CHRONUS_VERIFY_OK(g.setText("c", "values", "1 1"));
    CHRONUS_VERIFY_OK(g.connect("c", "out.left"));
    auto out = r.renderFrames(64);
    CHRONUS_VERIFY_OK(out);
    QCOMPARE(out->left[63], 2.0f);
    CHRONUS_VERIFY_OK(r.setParam("c", "v2", 3.0)); // live, ramped over 10 ms
    out = r.renderFrames(960);
    CHRONUS_VERIFY_OK(out);
    QVERIFY(out->left[0] > 2.0f && out->left[0] < 2.1f);
    QCOMPARE(out->left[959], 4.0f);
    CHRONUS_VERIFY_OK(r.setParam("c", "channels", 3)); // v3 is 0: a third, silent channel
    QCOMPARE(channelsOf(g, "c"), 3);
    out = r.renderFrames(64);
    CHRONUS_VERIFY_OK(out);
    QCOMPARE(out->left[0], 4.0f);
}

void TestPolyphony::constHoldsItsValuesInBlocksOfAnySize() {
    // A const writes its buffer only when its values or the block grow past what the buffer holds:
    // after a ramp, a short block and then a long one must both carry the new values in every frame.
    OfflineRenderer r{48000.0, 64};
    PatchGraph& g = r.graph();
    CHRONUS_VERIFY_OK(g.addModule("c", "const"));
    CHRONUS_VERIFY_OK(g.setText("c", "values", "1 2 0.5 0.25 0.125 1 1 1 1")); // 9 channels: two groups
    CHRONUS_VERIFY_OK(g.connect("c", "out.left"));
    auto expectEvery = [&](int frames, float value) {
        auto out = r.renderFrames(static_cast<std::size_t>(frames));
        QVERIFY(out.ok());
        QCOMPARE(out->left.size(), static_cast<std::size_t>(frames));
        for (int i = 0; i < frames; ++i)
            if (out->left[static_cast<std::size_t>(i)] != value)
                QFAIL(qPrintable(QStringLiteral("frame %1 of %2: %3, not %4")
                                     .arg(i)
                                     .arg(frames)
                                     .arg(out->left[static_cast<std::size_t>(i)])
                                     .arg(value)));
    };
    expectEvery(64, 7.875f);
    expectEvery(10, 7.875f);
    expectEvery(64, 7.875f);
    CHRONUS_VERIFY_OK(r.setParam("c", "v2", 4.0)); // ramped over 10 ms: 480 frames, the last block 32
    auto ramp = r.renderFrames(480);
    CHRONUS_VERIFY_OK(ramp);
    QCOMPARE(ramp->left[479], 9.875f);
    QVERIFY(ramp->left[400] < 9.8f);
    expectEvery(10, 9.875f);
    expectEvery(64, 9.875f);
    expectEvery(3, 9.875f);
    CHRONUS_VERIFY_OK(r.setParam("c", "v9", 0.0));
    CHRONUS_VERIFY_OK(r.renderFrames(480));
    expectEvery(64, 8.875f);
}

void TestPolyphony::polyVcaKernelsAgreeWithEachOtherAndTheMonoPath() {
    // 16 sines at different pitches times 16 CVs through one poly VCA, rendered with the AVX2 copy
    // of its kernel and with the portable copy; channel k must also equal a mono VCA fed channel k
    // alone (the mono path is the scalar reference).
    auto render = [](engine::simd::Level level, bool poly, int k) {
        engine::simd::setLevel(level);
        OfflineRenderer r{48000.0, 37};
        PatchGraph& g = r.graph();
        std::string pitches, cvs;
        for (int c = 0; c < 16; ++c)
            if (poly || c == k) {
                pitches += std::to_string(c / 12.0) + " ";
                cvs += std::to_string(1.0 - c / 20.0) + " ";
            }
        [&] {
            CHRONUS_VERIFY_OK(g.addModule("pitch", "const"));
            CHRONUS_VERIFY_OK(g.addModule("cv", "const"));
            CHRONUS_VERIFY_OK(g.setText("pitch", "values", pitches));
            CHRONUS_VERIFY_OK(g.setText("cv", "values", cvs));
            // One sine per channel, put together with merge.
            CHRONUS_VERIFY_OK(g.addModule("m", "merge"));
            CHRONUS_VERIFY_OK(g.addModule("ps", "split"));
            CHRONUS_VERIFY_OK(g.connect("pitch", "ps"));
            for (int c = 0; c < (poly ? 16 : 1); ++c) {
                const std::string osc = "osc" + std::to_string(c);
                CHRONUS_VERIFY_OK(g.addModule(osc, "sine"));
                CHRONUS_VERIFY_OK(g.connect("ps.out" + std::to_string(c + 1), osc + ".fm"));
                CHRONUS_VERIFY_OK(g.connect(osc, "m.in" + std::to_string(c + 1)));
            }
            CHRONUS_VERIFY_OK(g.addModule("amp", "vca"));
            CHRONUS_VERIFY_OK(g.setParam("amp", "level", 1.5).status());
            CHRONUS_VERIFY_OK(g.connect("m", "amp.in"));
            CHRONUS_VERIFY_OK(g.connect("cv", "amp.cv"));
            CHRONUS_VERIFY_OK(g.addModule("s", "split"));
            CHRONUS_VERIFY_OK(g.connect("amp", "s"));
            CHRONUS_VERIFY_OK(g.connect("s.out" + std::to_string(poly ? k + 1 : 1), "out.left"));
        }();
        if (poly)
            [&] { QCOMPARE(channelsOf(g, "amp"), 16); }();
        return renderLeft(r, 2000);
    };
    const bool avx2 = engine::simd::cpuHasAvx2();
    if (!avx2)
        qInfo("this CPU has no AVX2: the portable kernel is compared with the mono path only");
    using engine::simd::Level;
    for (int k : {0, 7, 8, 15}) {
        const std::vector<float> mono = render(Level::Generic, false, k);
        const std::vector<float> generic = render(Level::Generic, true, k);
        const std::vector<float> wide = render(avx2 ? Level::Avx2 : Level::Generic, true, k);
        QCOMPARE(mono.size(), std::size_t(2000));
        QCOMPARE(generic, mono);
        QCOMPARE(wide, mono);
        float peak = 0.0f;
        for (float v : mono)
            peak = std::max(peak, std::fabs(v));
        const float expected = 0.5f * 1.5f * (1.0f - static_cast<float>(k) / 20.0f); // sine gain x level x CV
        QVERIFY2(std::fabs(peak - expected) < 0.02f * expected, qPrintable(QString::number(peak)));
    }
    engine::simd::setLevel(avx2 ? Level::Avx2 : Level::Generic);
}

void TestPolyphony::simdExp2IsAccurate() {
    using namespace engine::simd;
    double worst = 0.0;
    for (float x = -20.0f; x <= 20.0f; x += 0.0137f) {
        float lanes[engine::kPolyLanes];
        for (int k = 0; k < engine::kPolyLanes; ++k)
            lanes[k] = x + 0.001f * static_cast<float>(k);
        float out[engine::kPolyLanes];
        store(out, exp2(load(lanes)));
        for (int k = 0; k < engine::kPolyLanes; ++k) {
            const double exact = std::exp2(static_cast<double>(lanes[k]));
            worst = std::max(worst, std::fabs(out[k] / exact - 1.0));
        }
    }
    QVERIFY2(worst < 5e-7, qPrintable(QString::number(worst)));
}

QTEST_APPLESS_MAIN(TestPolyphony)
#include "tst_polyphony.moc"
