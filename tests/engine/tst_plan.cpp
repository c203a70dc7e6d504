// The compiled plan: any block size from 1 to 4096 and any rate from 22050 to 192000 Hz, the same
// samples whatever the block size, and a clear refusal outside those limits.

#include "EngineTestUtils.hpp"
#include "engine/OfflineRenderer.hpp"
#include "engine/Plan.hpp"
#include "support/SignalAnalysis.hpp"

#include <QObject>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <vector>

namespace chronus::test {

using engine::OfflineRenderer;
using engine::PatchGraph;

namespace {

// Every kind of module except noise (whose seed differs per instance, so two renders of it never
// match), with per-sample modulation, fan-in and fan-out. One filter is CV-modulated, the other
// static, so that both the per-sample and the block-wise paths of a module are exercised.
bool buildRichPatch(PatchGraph& g) {
    struct Param {
        const char* id;
        const char* param;
        double value;
    };
    const std::pair<const char*, const char*> modules[] = {
        {"wobble", "lfo"}, {"vib", "lfo"},     {"saw", "saw"},  {"pulse", "square"}, {"tri", "triangle"},
        {"sine", "sine"},  {"env", "adsr"},    {"amp", "vca"},  {"svf", "svf"},      {"mix", "mixer"},
        {"eq", "biquad"},  {"gateclk", "lfo"}, {"body", "svf"},
    };
    const Param params[] = {
        {"wobble", "rate", 3.0},   {"wobble", "depth", 1.5}, {"vib", "shape", 1},
        {"vib", "rate", 5.5},      {"vib", "depth", 0.05},   {"saw", "freq", 110.0},
        {"pulse", "freq", 220.0},  {"pulse", "width", 0.3},  {"tri", "freq", 331.0},
        {"sine", "freq", 997.0},   {"env", "attack", 3.0},   {"env", "decay", 40.0},
        {"env", "sustain", 0.5},   {"env", "release", 25.0}, {"svf", "cutoff", 800.0},
        {"svf", "q", 4.0},         {"eq", "mode", 2},        {"eq", "cutoff", 1500.0},
        {"gateclk", "shape", 3},   {"gateclk", "rate", 7.0}, {"mix", "level3", 0.5},
        {"body", "cutoff", 300.0}, {"body", "q", 8.0},
    };
    const std::pair<const char*, const char*> cables[] = {
        {"saw", "svf"},      {"wobble", "svf.cutoff"}, {"svf.lp", "amp"},       {"env", "amp.cv"},
        {"vib", "pulse.fm"}, {"vib", "tri.fm"},        {"amp", "mix.in1"},      {"pulse", "mix.in2"},
        {"tri", "mix.in3"},  {"sine", "mix.in3"},      {"body.bp", "mix.in4"},  {"mix", "eq"},
        {"eq", "out.left"},  {"mix", "out.right"},     {"gateclk", "env.gate"}, {"saw", "body"},
        {"svf.hp", "body"},
    };
    for (const auto& [id, type] : modules)
        if (!g.addModule(id, type))
            return false;
    for (const Param& p : params)
        if (!g.setParam(p.id, p.param, p.value))
            return false;
    for (const auto& [from, to] : cables)
        if (!g.connect(from, to))
            return false;
    return true;
}

// Renders the rich patch with live changes and gate events at fixed sample positions (never on a
// block boundary of the sizes tested), returning both channels one after the other.
std::vector<float> renderScript(double sampleRate, int blockSize) {
    OfflineRenderer r{sampleRate, blockSize};
    if (!buildRichPatch(r.graph()))
        return {};
    std::vector<float> left, right;
    auto run = [&](std::size_t frames) {
        auto rendered = r.renderFrames(frames);
        if (!rendered)
            return false;
        append(left, rendered->left);
        append(right, rendered->right);
        return true;
    };
    auto at = [&](double ms) { return static_cast<std::size_t>(ms * sampleRate / 1000.0) + 3; };
    // Ramps start and end inside blocks and overlap segments of the envelope: each module switches
    // between its ramping and its steady path at block-size dependent points.
    const bool ok =
        run(at(7)) && r.gate("env", true).ok() && run(at(31)) && r.setParam("saw", "freq", 220.0).ok() &&
        r.setParam("eq", "cutoff", 3000.0).ok() && r.setParam("env", "sustain", 0.8).ok() && run(at(23)) &&
        r.gate("env", false).ok() && r.setParam("eq", "mode", 1).ok() &&
        r.setParam("svf", "resonance", 12.0).ok() && r.setParam("body", "cutoff", 2000.0).ok() &&
        r.setParam("env", "level", 0.6).ok() && run(at(45)) && r.gate("env", true).ok() &&
        r.setParam("mix", "level", 0.7).ok() && r.setParam("body", "q", 0.6).ok() &&
        r.setParam("env", "sustain", 0.2).ok() && run(at(60)) && r.setParam("env", "sustain", 0.5).ok() &&
        r.setParam("env", "level", 1.0).ok() && run(at(3)) && r.gate("env", false).ok() && run(at(40));
    if (!ok)
        return {};
    append(left, right);
    return left;
}

} // namespace

class TestPlan : public QObject {
    Q_OBJECT

private slots:
    void sameSamplesAtEveryBlockSize_data();
    void sameSamplesAtEveryBlockSize();
    void processSplitsLongRequestsIntoBlocks();
    void compileRefusesRatesAndBlocksOutsideLimits_data();
    void compileRefusesRatesAndBlocksOutsideLimits();
    void renderRefusesInvalidDurations();
    void noiseIsRepeatableAndUncorrelatedAcrossModules();
};

void TestPlan::noiseIsRepeatableAndUncorrelatedAcrossModules() {
    // Two noise modules of one patch must be uncorrelated; the same patch rendered twice (as the two
    // slots of the live engine will) must give the same samples.
    auto renderTwoNoises = [] {
        OfflineRenderer r{48000.0, 64};
        engine::PatchGraph& g = r.graph();
        if (!g.addModule("hiss1", "noise") || !g.addModule("hiss2", "noise") || !g.connect("hiss1", "out.left") ||
            !g.connect("hiss2", "out.right"))
            return engine::StereoBuffer{};
        auto rendered = r.render(1.0);
        return rendered ? std::move(rendered).value() : engine::StereoBuffer{};
    };
    const engine::StereoBuffer a = renderTwoNoises();
    const engine::StereoBuffer b = renderTwoNoises();
    QCOMPARE(a.frames(), std::size_t(48000));
    QVERIFY(a.left == b.left && a.right == b.right);
    double dot = 0.0;
    for (std::size_t i = 0; i < a.frames(); ++i)
        dot += static_cast<double>(a.left[i]) * static_cast<double>(a.right[i]);
    const double correlation = dot / (static_cast<double>(a.frames()) * rms(a.left) * rms(a.right));
    QVERIFY2(std::fabs(correlation) < 0.02, qPrintable(QString::number(correlation)));
}

void TestPlan::sameSamplesAtEveryBlockSize_data() {
    addRateBlockColumns();
    for (double sampleRate : {22050.0, 44100.0, 48000.0, 88200.0, 96000.0, 192000.0})
        for (int blockSize : {1, 2, 3, 37, 64, 127, 1000, 4095})
            QTest::newRow(qPrintable(rateBlockName(sampleRate, blockSize))) << sampleRate << blockSize;
}

void TestPlan::sameSamplesAtEveryBlockSize() {
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    const std::vector<float> reference = renderScript(sampleRate, engine::kMaxBlock);
    const std::vector<float> out = renderScript(sampleRate, blockSize);
    QVERIFY(!reference.empty());
    QCOMPARE(out.size(), reference.size());
    QVERIFY(allFinite(out));
    QVERIFY2(peak(out) > 0.1f && peak(out) < 8.0f, qPrintable(QString::number(peak(out))));
    float worst = 0.0f;
    std::size_t worstAt = 0;
    for (std::size_t i = 0; i < out.size(); ++i)
        if (const float d = std::fabs(out[i] - reference[i]); d > worst) {
            worst = d;
            worstAt = i;
        }
    reportFigure(QStringLiteral("plan %1/%2: largest difference to block 4096: %3")
                     .arg(sampleRate)
                     .arg(blockSize)
                     .arg(worst));
    // Float tolerance: -94 dB re the signal. Paths that vectorise whole sub-blocks round differently
    // from per-sample ones; a sample lost or repeated at a block boundary is orders of magnitude more.
    const float tolerance = 2e-5f * std::max(1.0f, peak(reference));
    QVERIFY2(worst <= tolerance,
             qPrintable(QStringLiteral("differs by %1 at sample %2").arg(worst).arg(worstAt)));
}

void TestPlan::processSplitsLongRequestsIntoBlocks() {
    // Plan::process takes any frame count and splits it into blocks of at most maxBlock itself.
    PatchGraph g;
    QVERIFY(buildRichPatch(g));
    constexpr int kMaxBlock = 64, kFrames = 10007;
    auto whole = engine::Plan::compile(g, {48000.0, kMaxBlock});
    auto pieces = engine::Plan::compile(g, {48000.0, kMaxBlock});
    CHRONUS_VERIFY_OK(whole);
    CHRONUS_VERIFY_OK(pieces);
    std::vector<float> l1(kFrames), r1(kFrames), l2(kFrames), r2(kFrames);
    whole.value()->process(l1.data(), r1.data(), kFrames);
    for (int done = 0; done < kFrames; done += kMaxBlock) {
        const int n = std::min(kMaxBlock, kFrames - done);
        pieces.value()->process(l2.data() + done, r2.data() + done, n);
    }
    QVERIFY(allFinite(l1) && allFinite(r1));
    QVERIFY(peak(r1) > 0.1f);
    QVERIFY(l1 == l2);
    QVERIFY(r1 == r2);
}

void TestPlan::compileRefusesRatesAndBlocksOutsideLimits_data() {
    QTest::addColumn<double>("sampleRate");
    QTest::addColumn<int>("blockSize");
    QTest::addColumn<bool>("accepted");
    QTest::newRow("lowest rate, block 1") << 22050.0 << 1 << true;
    QTest::newRow("highest rate, largest block") << 192000.0 << 4096 << true;
    QTest::newRow("rate just below") << 22049.0 << 64 << false;
    QTest::newRow("rate just above") << 192001.0 << 64 << false;
    QTest::newRow("zero rate") << 0.0 << 64 << false;
    QTest::newRow("negative rate") << -48000.0 << 64 << false;
    QTest::newRow("NaN rate") << std::numeric_limits<double>::quiet_NaN() << 64 << false;
    QTest::newRow("infinite rate") << std::numeric_limits<double>::infinity() << 64 << false;
    QTest::newRow("block 0") << 48000.0 << 0 << false;
    QTest::newRow("negative block") << 48000.0 << -1 << false;
    QTest::newRow("block 4097") << 48000.0 << 4097 << false;
}

void TestPlan::compileRefusesRatesAndBlocksOutsideLimits() {
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    QFETCH(bool, accepted);
    PatchGraph g;
    QVERIFY(buildRichPatch(g));
    auto plan = engine::Plan::compile(g, {sampleRate, blockSize});
    QCOMPARE(plan.ok(), accepted);
    OfflineRenderer r{sampleRate, blockSize};
    r.setGraph(g);
    auto rendered = r.render(0.01);
    QCOMPARE(rendered.ok(), accepted);
    if (accepted) {
        QVERIFY(allFinite(rendered->left) && allFinite(rendered->right));
        QVERIFY(peak(rendered->right) > 0.0f);
        return;
    }
    QCOMPARE(plan.status().code(), engine::ErrorCode::InvalidArgument);
    const QString message = QString::fromStdString(plan.status().message());
    QVERIFY2(message.contains(blockSize >= 1 && blockSize <= 4096 ? "sample rate" : "block size"),
             qPrintable(message));
    QCOMPARE(QString::fromStdString(rendered.status().message()), message);
}

void TestPlan::renderRefusesInvalidDurations() {
    OfflineRenderer r{48000.0, 64};
    QVERIFY(buildRichPatch(r.graph()));
    for (double seconds :
         {-1.0, std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(), 1e12}) {
        auto rendered = r.render(seconds);
        QVERIFY2(!rendered.ok(), qPrintable(QString::number(seconds)));
        QCOMPARE(rendered.status().code(), engine::ErrorCode::InvalidArgument);
    }
    auto empty = r.render(0.0);
    CHRONUS_VERIFY_OK(empty);
    QCOMPARE(empty->frames(), std::size_t{0});
}

} // namespace chronus::test

QTEST_APPLESS_MAIN(chronus::test::TestPlan)
#include "tst_plan.moc"
