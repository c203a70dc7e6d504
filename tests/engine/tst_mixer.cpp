// The mixer: `out` is the sum of the inputs times their levels times the master level; `send` is
// the sum of the inputs times their levels times their send levels, before the master level.

#include "EngineTestUtils.hpp"
#include "ModuleDriver.hpp"
#include "PolyCompare.hpp"
#include "engine/OfflineRenderer.hpp"
#include "engine/modules/Mixer.hpp"
#include "support/SignalAnalysis.hpp"

#include <QObject>
#include <QTest>

#include <cmath>
#include <random>
#include <vector>

namespace chronus::test {

using engine::OfflineRenderer;

class TestMixer : public QObject {
    Q_OBJECT

private slots:
    void sendsSumInputsTimesLevelsTimesSends_data();
    void sendsSumInputsTimesLevelsTimesSends();
    void sendsInPatchFeedTheSendOutput();
    void sendsAreSilentByDefault();
    void polyKernelsMixEachChannelAsTheMonoMixer_data();
    void polyKernelsMixEachChannelAsTheMonoMixer();
    void polyChannelCountIsTheWidestInput();
};

void TestMixer::sendsSumInputsTimesLevelsTimesSends_data() {
    addRateBlockRows();
}

void TestMixer::sendsSumInputsTimesLevelsTimesSends() {
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    const std::size_t frames = 5000;
    std::mt19937 rng(42);
    std::uniform_real_distribution<float> d(-1.0f, 1.0f);
    std::vector<std::vector<float>> in(4, std::vector<float>(frames));
    for (auto& ch : in)
        for (float& v : ch)
            v = d(rng);
    const double levels[] = {1.0, 0.5, 2.0, 0.25};
    const double sends[] = {0.0, 1.0, 0.3, 0.75};
    ModuleDriver m("mixer", sampleRate, blockSize);
    for (int k = 0; k < 4; ++k) {
        QVERIFY(m.setParam(QStringLiteral("level%1").arg(k + 1).toStdString(), levels[k]));
        QVERIFY(m.setParam(QStringLiteral("send%1").arg(k + 1).toStdString(), sends[k]));
        QVERIFY(m.connect(QStringLiteral("in%1").arg(k + 1).toStdString(), &in[static_cast<std::size_t>(k)]));
    }
    QVERIFY(m.setParam("level", 0.5)); // master: out only
    const auto out = m.run(frames);
    double worstOut = 0.0, worstSend = 0.0;
    for (std::size_t i = 0; i < frames; ++i) {
        double sum = 0.0, send = 0.0;
        for (std::size_t k = 0; k < 4; ++k) {
            sum += static_cast<double>(in[k][i]) * levels[k];
            send += static_cast<double>(in[k][i]) * levels[k] * sends[k];
        }
        worstOut = std::max(worstOut, std::fabs(static_cast<double>(out[0][i]) - 0.5 * sum));
        worstSend = std::max(worstSend, std::fabs(static_cast<double>(out[1][i]) - send));
    }
    QVERIFY2(worstOut < 1e-6, qPrintable(QString::number(worstOut)));
    QVERIFY2(worstSend < 1e-6, qPrintable(QString::number(worstSend)));
}

void TestMixer::sendsInPatchFeedTheSendOutput() {
    // Steady sources (LFOs at depth 0 are exactly their offset) into a mixer in a patch; `out` on
    // the left, `send` on the right; then a send level turned live, ramped without a step.
    OfflineRenderer r{48000.0, 37};
    engine::PatchGraph& g = r.graph();
    const double offsets[] = {0.1, 0.2, -0.3, 0.4};
    const double sends[] = {1.0, 0.5, 0.0, 0.25};
    CHRONUS_VERIFY_OK(g.addModule("mix", "mixer"));
    for (int k = 0; k < 4; ++k) {
        const std::string src = "dc" + std::to_string(k + 1);
        CHRONUS_VERIFY_OK(g.addModule(src, "lfo"));
        CHRONUS_VERIFY_OK(g.setParam(src, "depth", 0.0));
        CHRONUS_VERIFY_OK(g.setParam(src, "offset", offsets[k]));
        CHRONUS_VERIFY_OK(g.connect(src, "mix.in" + std::to_string(k + 1)));
        CHRONUS_VERIFY_OK(g.setParam("mix", "send" + std::to_string(k + 1), sends[k]));
    }
    CHRONUS_VERIFY_OK(g.setParam("mix", "level2", 2.0));
    CHRONUS_VERIFY_OK(g.connect("mix.out", "out.left"));
    CHRONUS_VERIFY_OK(g.connect("mix.send", "out.right"));
    auto rendered = r.render(0.1);
    CHRONUS_VERIFY_OK(rendered);
    const float expectedSend = 0.1f * 1.0f + 0.2f * 2.0f * 0.5f + 0.4f * 0.25f; // 0.4
    const float expectedOut = 0.1f + 0.2f * 2.0f - 0.3f + 0.4f;                 // 0.6
    QVERIFY(std::fabs(rendered->right.back() - expectedSend) < 1e-6f);
    QVERIFY(std::fabs(rendered->left.back() - expectedOut) < 1e-6f);
    CHRONUS_VERIFY_OK(r.setParam("mix", "send3", 1.0)); // adds -0.3 over the 10 ms ramp
    auto after = r.render(0.1);
    CHRONUS_VERIFY_OK(after);
    QVERIFY(std::fabs(after->right.back() - (expectedSend - 0.3f)) < 1e-6f);
    QVERIFY(largestStep(after->right) < 0.3f / 400.0f);           // 480 ramp samples
    QVERIFY(std::fabs(after->left.back() - expectedOut) < 1e-6f); // sends leave `out` alone
}

void TestMixer::sendsAreSilentByDefault() {
    OfflineRenderer r{48000.0, 64};
    engine::PatchGraph& g = r.graph();
    CHRONUS_VERIFY_OK(g.addModule("osc", "saw"));
    CHRONUS_VERIFY_OK(g.addModule("mix", "mixer"));
    CHRONUS_VERIFY_OK(g.connect("osc", "mix")); // bare ids: first output to first input
    CHRONUS_VERIFY_OK(g.connect("mix", "out.left"));
    CHRONUS_VERIFY_OK(g.connect("mix.send", "out.right"));
    auto rendered = r.render(0.1);
    CHRONUS_VERIFY_OK(rendered);
    QVERIFY(peak(rendered->left) > 0.3f);
    QCOMPARE(peak(rendered->right), 0.0f);
}

namespace {

// in1 and in3: a saw per channel; in2: one mono sine shared by every channel; in4 unconnected.
poly::Case mixerCase(const char* output) {
    poly::Case tc;
    tc.type = "mixer";
    tc.params = {{"level1", 0.8}, {"level2", 0.5}, {"level3", 1.3},
                 {"level", 0.9},  {"send1", 0.5},  {"send2", 0.25}};
    tc.output = output;
    auto saws = [](double base) {
        return [base](engine::PatchGraph& g, int c) {
            const std::string id = "saw" + std::to_string(int(base)) + "_" + std::to_string(c);
            (void)g.addModule(id, "saw");
            (void)g.setParam(id, "freq", base * std::exp2(c / 7.0));
            return id;
        };
    };
    tc.feeds.push_back({"in1", false, saws(55.0)});
    tc.feeds.push_back({"in2", true, [](engine::PatchGraph& g, int) {
                            (void)g.addModule("sine", "sine");
                            (void)g.setParam("sine", "freq", 331.0);
                            return std::string("sine");
                        }});
    tc.feeds.push_back({"in3", false, saws(97.0)});
    return tc;
}

} // namespace

void TestMixer::polyKernelsMixEachChannelAsTheMonoMixer_data() {
    QTest::addColumn<QString>("output");
    QTest::addColumn<bool>("ramped");
    QTest::addColumn<int>("block");
    for (const char* output : {"out", "send"})
        for (bool ramped : {false, true})
            for (int block : {1, 37, 64})
                QTest::newRow(qPrintable(QStringLiteral("%1%2, block %3")
                                             .arg(QLatin1String(output), ramped ? " ramped" : "")
                                             .arg(block)))
                    << QString::fromLatin1(output) << ramped << block;
}

void TestMixer::polyKernelsMixEachChannelAsTheMonoMixer() {
    // Channel k of a 16-channel mix, portable and AVX2 copies, against a mono mixer fed channel k
    // alone: the kernel adds the same rounded products in the same order, so they agree to the bit.
    // "ramped" moves a level, a send (from 0: the send starts mid-render) and the master there.
    QFETCH(QString, output);
    QFETCH(bool, ramped);
    QFETCH(int, block);
    using engine::simd::Level;
    const poly::Case tc = mixerCase(output == "out" ? "out" : "send");
    auto edit = [&](OfflineRenderer& r) {
        if (ramped) {
            QVERIFY(r.setParam("dut", "level1", 0.3).ok());
            QVERIFY(r.setParam("dut", "send3", 0.7).ok());
            QVERIFY(r.setParam("dut", "level", 1.4).ok());
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
        QVERIFY(peak(mono) > 0.1f);
        QVERIFY2(generic == mono, qPrintable(QString::number(poly::relativeDifference(mono, generic))));
        QVERIFY2(wide == mono, qPrintable(QString::number(poly::relativeDifference(mono, wide))));
    }
    engine::simd::setLevel(Level::Avx2);
}

void TestMixer::polyChannelCountIsTheWidestInput() {
    OfflineRenderer r{48000.0, 64};
    engine::PatchGraph& g = r.graph();
    CHRONUS_VERIFY_OK(g.addModule("mix", "mixer"));
    CHRONUS_VERIFY_OK(g.addModule("a", "const"));
    CHRONUS_VERIFY_OK(g.setText("a", "values", "1 2 3"));
    CHRONUS_VERIFY_OK(g.addModule("b", "const"));
    CHRONUS_VERIFY_OK(g.setText("b", "values", "1 2 3 4 5 6 7 8 9 9.25"));
    CHRONUS_VERIFY_OK(g.addModule("m", "const"));
    CHRONUS_VERIFY_OK(g.setText("m", "values", "0.5"));
    CHRONUS_VERIFY_OK(g.connect("m", "mix.in1"));
    QCOMPARE(poly::channelsOf(g, "mix"), 1);
    CHRONUS_VERIFY_OK(g.connect("a", "mix.in2"));
    QCOMPARE(poly::channelsOf(g, "mix", engine::Mixer::Out), 3);
    QCOMPARE(poly::channelsOf(g, "mix", engine::Mixer::Send), 3);
    CHRONUS_VERIFY_OK(g.connect("b", "mix.in4"));
    QCOMPARE(poly::channelsOf(g, "mix"), 10);
    // Channel 10: the mono 0.5 (fed to every channel) plus b's 9.25; a has no channel 10.
    CHRONUS_VERIFY_OK(g.addModule("s", "split"));
    CHRONUS_VERIFY_OK(g.connect("mix", "s"));
    CHRONUS_VERIFY_OK(g.connect("s.out10", "out.left"));
    CHRONUS_VERIFY_OK(g.connect("s.out2", "out.right"));
    auto out = r.renderFrames(128);
    CHRONUS_VERIFY_OK(out);
    QCOMPARE(out->left[100], 9.75f);
    QCOMPARE(out->right[100], 4.5f);
}

} // namespace chronus::test

QTEST_APPLESS_MAIN(chronus::test::TestMixer)
#include "tst_mixer.moc"
