// The ADSR envelope: segment times as set, driven by gate events or by a gate signal, and never a
// step steeper than the minimum segment allows, whatever the gate does.

#include "EngineTestUtils.hpp"
#include "PolyCompare.hpp"
#include "engine/OfflineRenderer.hpp"
#include "engine/modules/Adsr.hpp"
#include "support/SignalAnalysis.hpp"

#include <QObject>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <span>
#include <vector>

namespace chronus::test {

using engine::Adsr;
using engine::OfflineRenderer;

namespace {

constexpr double kMaxTimingErrorMs = 1.0;
// A level reached or left: the envelope ends its segments on exact values, so a hair is enough.
constexpr float kLevelEpsilon = 1e-5f;

struct Envelope {
    double attackMs, decayMs, sustain, releaseMs;
};

// An ADSR `env` with no input (so the output is the envelope itself) on the left channel.
class AdsrRig {
public:
    AdsrRig(double sampleRate, int blockSize, const Envelope& e)
        : m_renderer(sampleRate, blockSize) {
        engine::PatchGraph& g = m_renderer.graph();
        m_ok = g.addModule("env", "adsr") && g.setParam("env", "attack", e.attackMs) &&
               g.setParam("env", "decay", e.decayMs) && g.setParam("env", "sustain", e.sustain) &&
               g.setParam("env", "release", e.releaseMs) && g.connect("env", "out.left");
    }

    bool ok() const { return m_ok; }
    std::size_t frames(double ms) const {
        return static_cast<std::size_t>(std::llround(ms * m_renderer.sampleRate() / 1000.0));
    }

    // Renders `ms` milliseconds onto the recording; false on an engine error.
    bool render(double ms) {
        auto rendered = m_renderer.renderFrames(frames(ms));
        if (!rendered)
            return false;
        append(m_out, rendered->left);
        return true;
    }
    bool gate(bool on) { return m_renderer.gate("env", on).ok(); }

    const std::vector<float>& out() const { return m_out; }
    std::size_t position() const { return m_out.size(); }
    double toMs(std::size_t samples) const {
        return static_cast<double>(samples) * 1000.0 / m_renderer.sampleRate();
    }

private:
    OfflineRenderer m_renderer;
    std::vector<float> m_out;
    bool m_ok = false;
};

// The largest step the envelope may take per sample: a full-scale segment in kMinSegmentMs.
float maxEdgeStep(double sampleRate) {
    return static_cast<float>(1.0 / (static_cast<double>(Adsr::kMinSegmentMs) * sampleRate / 1000.0)) + 1e-6f;
}

void addEnvelopeRows(std::initializer_list<std::pair<const char*, Envelope>> envelopes) {
    QTest::addColumn<double>("attackMs");
    QTest::addColumn<double>("decayMs");
    QTest::addColumn<double>("sustain");
    QTest::addColumn<double>("releaseMs");
    addRateBlockColumns();
    for (const auto& [name, e] : envelopes)
        for (double sampleRate : kSampleRates)
            for (int blockSize : kBlockSizes)
                QTest::addRow("%s/%s", name, qPrintable(rateBlockName(sampleRate, blockSize)))
                    << e.attackMs << e.decayMs << e.sustain << e.releaseMs << sampleRate << blockSize;
}

} // namespace

class TestAdsr : public QObject {
    Q_OBJECT

private:
    // Renders gate-on, hold, gate-off from the current data row and checks each segment's time.
    void verifySegmentTimes();

private slots:
    void segmentTimesWithinOneMs_data();
    void segmentTimesWithinOneMs();
    void longSegmentsKeepTheirTimes_data();
    void longSegmentsKeepTheirTimes();
    void gateSignalEdgesTimeTheSegments_data();
    void gateSignalEdgesTimeTheSegments();
    void gateEdgesNeverStepFasterThanMinimumSegment_data();
    void gateEdgesNeverStepFasterThanMinimumSegment();
    void retriggerDuringReleaseStartsFromCurrentLevel_data();
    void retriggerDuringReleaseStartsFromCurrentLevel();
    void liveSustainAndLevelChangesRampSmoothly_data();
    void liveSustainAndLevelChangesRampSmoothly();
    void polyKernelsRenderTheMonoEnvelopePerChannel_data();
    void polyKernelsRenderTheMonoEnvelopePerChannel();
    void polyChannelCountFollowsTheInputs();
};

void TestAdsr::segmentTimesWithinOneMs_data() {
    addEnvelopeRows({{"minimum", {1.0, 1.0, 0.5, 1.0}},
                     {"default", {10.0, 100.0, 0.7, 200.0}},
                     {"medium", {250.0, 400.0, 0.3, 800.0}}});
}

void TestAdsr::verifySegmentTimes() {
    QFETCH(double, attackMs);
    QFETCH(double, decayMs);
    QFETCH(double, sustain);
    QFETCH(double, releaseMs);
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    AdsrRig rig{sampleRate, blockSize, {attackMs, decayMs, sustain, releaseMs}};
    QVERIFY(rig.ok());
    // Odd lengths put the gate events inside blocks, not only on their boundaries.
    QVERIFY(rig.render(10.3));
    const std::size_t gateOn = rig.position();
    QVERIFY(rig.gate(true));
    QVERIFY(rig.render(attackMs + decayMs + 20.7));
    const std::size_t gateOff = rig.position();
    QVERIFY(rig.gate(false));
    QVERIFY(rig.render(releaseMs + 20.0));
    const std::span<const float> out(rig.out());
    QVERIFY(allFinite(out));
    QCOMPARE(peak(out.first(gateOn)), 0.0f);

    // The first sample after the event is already one step along, so a segment of n samples ends
    // on sample start + n - 1.
    const std::size_t peakAt = firstIndexAtLeast(out, gateOn, 1.0f - kLevelEpsilon);
    QVERIFY2(peakAt < gateOff, "the attack never reached the peak");
    const std::size_t sustainAt = firstIndexAtMost(out, peakAt, static_cast<float>(sustain) + kLevelEpsilon);
    QVERIFY2(sustainAt < gateOff, "the decay never reached the sustain level");
    const std::size_t zeroAt = firstIndexAtMost(out, gateOff, 0.0f);
    QVERIFY2(zeroAt < out.size(), "the release never reached zero");

    const double attackError = rig.toMs(peakAt + 1 - gateOn) - attackMs;
    const double decayError = rig.toMs(sustainAt - peakAt) - decayMs;
    const double releaseError = rig.toMs(zeroAt + 1 - gateOff) - releaseMs;
    reportFigure(QStringLiteral("adsr %1/%2/%3/%4 @ %5/%6: errors attack %7 ms, decay %8 ms, release %9 ms")
                     .arg(attackMs)
                     .arg(decayMs)
                     .arg(sustain)
                     .arg(releaseMs)
                     .arg(sampleRate)
                     .arg(blockSize)
                     .arg(attackError)
                     .arg(decayError)
                     .arg(releaseError));
    QVERIFY2(std::fabs(attackError) <= kMaxTimingErrorMs,
             qPrintable(QStringLiteral("attack off by %1 ms").arg(attackError)));
    QVERIFY2(std::fabs(decayError) <= kMaxTimingErrorMs,
             qPrintable(QStringLiteral("decay off by %1 ms").arg(decayError)));
    QVERIFY2(std::fabs(releaseError) <= kMaxTimingErrorMs,
             qPrintable(QStringLiteral("release off by %1 ms").arg(releaseError)));
    // Sustain holds its level between the decay and the gate-off.
    const std::span<const float> held = out.subspan(sustainAt, gateOff - sustainAt);
    QVERIFY(std::fabs(peak(held) - static_cast<float>(sustain)) < kLevelEpsilon);
}

void TestAdsr::segmentTimesWithinOneMs() {
    verifySegmentTimes();
}

void TestAdsr::longSegmentsKeepTheirTimes_data() {
    addEnvelopeRows({{"slow", {1500.0, 2500.0, 0.5, 3000.0}},
                     {"very slow", {4000.0, 6000.0, 0.4, 8000.0}},
                     {"maximum", {20000.0, 20000.0, 0.4, 20000.0}}});
}

void TestAdsr::longSegmentsKeepTheirTimes() {
    verifySegmentTimes();
}

void TestAdsr::gateSignalEdgesTimeTheSegments_data() {
    addRateBlockRows();
}

void TestAdsr::gateSignalEdgesTimeTheSegments() {
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    constexpr Envelope kEnv{20.0, 30.0, 0.5, 60.0};
    // A 4 Hz square LFO is the gate: 125 ms high, 125 ms low, long enough for every segment. It
    // goes to the right channel so the test sees the exact edges.
    OfflineRenderer r{sampleRate, blockSize};
    engine::PatchGraph& g = r.graph();
    CHRONUS_VERIFY_OK(g.addModule("clock", "lfo"));
    CHRONUS_VERIFY_OK(g.setParam("clock", "shape", 3));
    CHRONUS_VERIFY_OK(g.setParam("clock", "rate", 4.0));
    CHRONUS_VERIFY_OK(g.addModule("env", "adsr"));
    CHRONUS_VERIFY_OK(g.setParam("env", "attack", kEnv.attackMs));
    CHRONUS_VERIFY_OK(g.setParam("env", "decay", kEnv.decayMs));
    CHRONUS_VERIFY_OK(g.setParam("env", "sustain", kEnv.sustain));
    CHRONUS_VERIFY_OK(g.setParam("env", "release", kEnv.releaseMs));
    CHRONUS_VERIFY_OK(g.connect("clock", "env.gate"));
    CHRONUS_VERIFY_OK(g.connect("env", "out.left"));
    CHRONUS_VERIFY_OK(g.connect("clock", "out.right"));
    auto rendered = r.render(1.1);
    CHRONUS_VERIFY_OK(rendered);
    const std::span<const float> env(rendered->left);
    const std::span<const float> gate(rendered->right);
    QVERIFY(allFinite(env));
    const double msPerSample = 1000.0 / sampleRate;

    int rising = 0, falling = 0;
    for (std::size_t i = 0; i < gate.size(); ++i) {
        const bool high = gate[i] > 0.5f;
        const bool wasHigh = i > 0 && gate[i - 1] > 0.5f;
        if (high && !wasHigh) {
            const std::size_t peakAt = firstIndexAtLeast(env, i, 1.0f - kLevelEpsilon);
            if (peakAt == env.size())
                continue; // the render ends inside this attack
            const std::size_t sustainAt =
                firstIndexAtMost(env, peakAt, static_cast<float>(kEnv.sustain) + kLevelEpsilon);
            const double attackError = static_cast<double>(peakAt + 1 - i) * msPerSample - kEnv.attackMs;
            const double decayError = static_cast<double>(sustainAt - peakAt) * msPerSample - kEnv.decayMs;
            QVERIFY2(std::fabs(attackError) <= kMaxTimingErrorMs,
                     qPrintable(QStringLiteral("attack at sample %1 off by %2 ms").arg(i).arg(attackError)));
            QVERIFY2(std::fabs(decayError) <= kMaxTimingErrorMs,
                     qPrintable(QStringLiteral("decay at sample %1 off by %2 ms").arg(i).arg(decayError)));
            ++rising;
        } else if (!high && wasHigh) {
            const std::size_t zeroAt = firstIndexAtMost(env, i, 0.0f);
            if (zeroAt == env.size())
                continue;
            const double releaseError = static_cast<double>(zeroAt + 1 - i) * msPerSample - kEnv.releaseMs;
            QVERIFY2(
                std::fabs(releaseError) <= kMaxTimingErrorMs,
                qPrintable(QStringLiteral("release at sample %1 off by %2 ms").arg(i).arg(releaseError)));
            ++falling;
        }
    }
    // 1.1 s of a 4 Hz gate: five attacks and four releases, every one measured.
    QCOMPARE(rising, 5);
    QCOMPARE(falling, 4);
}

void TestAdsr::gateEdgesNeverStepFasterThanMinimumSegment_data() {
    QTest::addColumn<double>("sustain");
    addRateBlockColumns();
    for (double sustain : {0.0, 0.5, 1.0})
        for (double sampleRate : kSampleRates)
            for (int blockSize : kBlockSizes)
                QTest::addRow("sustain %g/%s", sustain, qPrintable(rateBlockName(sampleRate, blockSize)))
                    << sustain << sampleRate << blockSize;
}

void TestAdsr::gateEdgesNeverStepFasterThanMinimumSegment() {
    QFETCH(double, sustain);
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    // Every segment at its minimum, and gate events at irregular intervals shorter and longer than a
    // segment: they land mid-attack, mid-decay, mid-release and on a resting envelope.
    AdsrRig rig{sampleRate, blockSize, {1.0, 1.0, sustain, 1.0}};
    QVERIFY(rig.ok());
    constexpr double kIntervalsMs[] = {0.3, 0.45, 2.0, 0.7,  5.0, 0.2,  0.9,
                                       3.3, 0.55, 1.1, 0.05, 4.0, 0.35, 7.0};
    QVERIFY(rig.render(3.0));
    bool on = false;
    for (int round = 0; round < 3; ++round)
        for (double ms : kIntervalsMs) {
            on = !on;
            QVERIFY(rig.gate(on));
            QVERIFY(rig.render(ms));
        }
    QVERIFY(rig.gate(false));
    QVERIFY(rig.render(5.0));
    const std::span<const float> out(rig.out());
    QVERIFY(allFinite(out));
    QVERIFY2(peak(out) > 0.9f, "the envelope never opened: nothing was tested");
    QCOMPARE(out.back(), 0.0f);
    const float step = largestStep(out);
    const float limit = maxEdgeStep(sampleRate);
    reportFigure(QStringLiteral("adsr min segments, sustain %1 @ %2/%3: largest step %4, limit %5")
                     .arg(sustain)
                     .arg(sampleRate)
                     .arg(blockSize)
                     .arg(step)
                     .arg(limit));
    QVERIFY2(step <= limit, qPrintable(QStringLiteral("step %1 > limit %2").arg(step).arg(limit)));

    // The same through the gate input, driven by a 150 Hz square: edges every 3.3 ms.
    OfflineRenderer r{sampleRate, blockSize};
    engine::PatchGraph& g = r.graph();
    CHRONUS_VERIFY_OK(g.addModule("clock", "lfo"));
    CHRONUS_VERIFY_OK(g.setParam("clock", "shape", 3));
    CHRONUS_VERIFY_OK(g.setParam("clock", "rate", 150.0));
    CHRONUS_VERIFY_OK(g.setParam("clock", "width", 0.3));
    CHRONUS_VERIFY_OK(g.addModule("env", "adsr"));
    for (const char* segment : {"attack", "decay", "release"})
        CHRONUS_VERIFY_OK(g.setParam("env", segment, 0.0)); // clamps to the minimum
    CHRONUS_VERIFY_OK(g.setParam("env", "sustain", sustain));
    CHRONUS_VERIFY_OK(g.connect("clock", "env.gate"));
    CHRONUS_VERIFY_OK(g.connect("env", "out.left"));
    auto rendered = r.render(0.2);
    CHRONUS_VERIFY_OK(rendered);
    QVERIFY(allFinite(rendered->left));
    QVERIFY(peak(rendered->left) > 0.9f);
    const float gateStep = largestStep(rendered->left);
    QVERIFY2(gateStep <= limit,
             qPrintable(QStringLiteral("gate input: step %1 > limit %2").arg(gateStep).arg(limit)));
}

void TestAdsr::retriggerDuringReleaseStartsFromCurrentLevel_data() {
    addRateBlockRows();
}

void TestAdsr::retriggerDuringReleaseStartsFromCurrentLevel() {
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    constexpr Envelope kEnv{50.0, 50.0, 0.6, 400.0};
    AdsrRig rig{sampleRate, blockSize, kEnv};
    QVERIFY(rig.ok());
    QVERIFY(rig.gate(true));
    QVERIFY(rig.render(200.0));
    QVERIFY(rig.gate(false));
    QVERIFY(rig.render(150.3));
    const std::size_t retrigger = rig.position();
    QVERIFY(rig.gate(true));
    QVERIFY(rig.render(100.0));
    const std::span<const float> out(rig.out());
    QVERIFY(allFinite(out));

    // Mid-release the level is about 0.6 * (1 - 150/400); the attack continues from there at its
    // constant slope (full scale per attack time), so it reaches the peak after (1 - level) * attack.
    const float level = out[retrigger - 1];
    QVERIFY2(level > 0.3f && level < 0.45f, qPrintable(QStringLiteral("release level %1").arg(level)));
    const float attackStep = static_cast<float>(1000.0 / (kEnv.attackMs * sampleRate));
    const float jump = out[retrigger] - level;
    QVERIFY2(
        jump > 0.0f && jump <= attackStep * 1.01f,
        qPrintable(QStringLiteral("retrigger moved by %1, one attack step is %2").arg(jump).arg(attackStep)));
    const std::size_t peakAt = firstIndexAtLeast(out, retrigger, 1.0f - kLevelEpsilon);
    QVERIFY(peakAt < out.size());
    const double expectedMs = (1.0 - static_cast<double>(level)) * kEnv.attackMs;
    const double error = rig.toMs(peakAt + 1 - retrigger) - expectedMs;
    QVERIFY2(std::fabs(error) <= kMaxTimingErrorMs,
             qPrintable(QStringLiteral("retriggered attack off by %1 ms").arg(error)));
    // No step anywhere is steeper than the attack slope, the steepest segment of this envelope.
    QVERIFY(largestStep(out) <= attackStep + 1e-6f);
}

void TestAdsr::liveSustainAndLevelChangesRampSmoothly_data() {
    addRateBlockRows();
}

void TestAdsr::liveSustainAndLevelChangesRampSmoothly() {
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    // Knob turns while the envelope holds, decays and releases: each moves the output along the
    // parameter ramp (10 ms), never in a step, and lands where the knob says.
    constexpr Envelope kEnv{5.0, 80.0, 0.7, 60.0};
    OfflineRenderer r{sampleRate, blockSize};
    engine::PatchGraph& g = r.graph();
    CHRONUS_VERIFY_OK(g.addModule("env", "adsr"));
    CHRONUS_VERIFY_OK(g.setParam("env", "attack", kEnv.attackMs));
    CHRONUS_VERIFY_OK(g.setParam("env", "decay", kEnv.decayMs));
    CHRONUS_VERIFY_OK(g.setParam("env", "sustain", kEnv.sustain));
    CHRONUS_VERIFY_OK(g.setParam("env", "release", kEnv.releaseMs));
    CHRONUS_VERIFY_OK(g.connect("env", "out.left"));
    std::vector<float> out;
    auto run = [&](double ms) {
        auto rendered = r.renderFrames(static_cast<std::size_t>(ms * sampleRate / 1000.0));
        if (rendered)
            append(out, rendered->left);
        return rendered.ok();
    };
    CHRONUS_VERIFY_OK(r.gate("env", true));
    QVERIFY(run(40.3)); // mid-decay
    CHRONUS_VERIFY_OK(r.setParam("env", "level", 0.5));
    QVERIFY(run(150.0)); // sustaining at 0.7 x 0.5
    const float held = out.back();
    CHRONUS_VERIFY_OK(r.setParam("env", "sustain", 0.2));
    QVERIFY(run(30.7));
    const float lowered = out.back();
    CHRONUS_VERIFY_OK(r.setParam("env", "level", 1.0));
    CHRONUS_VERIFY_OK(r.setParam("env", "sustain", 0.9));
    QVERIFY(run(30.0));
    const float raised = out.back();
    CHRONUS_VERIFY_OK(r.gate("env", false));
    CHRONUS_VERIFY_OK(r.setParam("env", "level", 0.3)); // during the release
    QVERIFY(run(80.0));
    QVERIFY(allFinite(out));
    QVERIFY2(std::fabs(held - 0.35f) < kLevelEpsilon, qPrintable(QString::number(held)));
    QVERIFY2(std::fabs(lowered - 0.1f) < kLevelEpsilon, qPrintable(QString::number(lowered)));
    QVERIFY2(std::fabs(raised - 0.9f) < kLevelEpsilon, qPrintable(QString::number(raised)));
    QCOMPARE(out.back(), 0.0f);
    // The steepest legitimate move: the attack (full scale in 5 ms) or a 0.7 sustain ramp in 10 ms.
    const float limit = static_cast<float>(1000.0 / (kEnv.attackMs * sampleRate)) + 1e-6f;
    QVERIFY2(largestStep(out) <= limit,
             qPrintable(QStringLiteral("step %1 > %2").arg(largestStep(out)).arg(limit)));
}

namespace {

// Per mode, what gates the envelopes and what they multiply. Short segments, so that within 200 ms
// every channel goes through attack, decay, sustain and release several times, and retriggers
// during its release or attack where its gate is faster than its segments.
poly::Case adsrCase(const QString& mode) {
    poly::Case tc;
    tc.type = "adsr";
    tc.params = {{"attack", 4.0}, {"decay", 9.0}, {"sustain", 0.6}, {"release", 13.0}, {"level", 0.9}};
    tc.output = "out";
    auto saws = [](engine::PatchGraph& g, int c) {
        const std::string id = "saw" + std::to_string(c);
        (void)g.addModule(id, "saw");
        (void)g.setParam(id, "freq", 55.0 * std::exp2(c / 5.0));
        return id;
    };
    auto squares = [](engine::PatchGraph& g, int c) {
        const std::string id = "gate" + std::to_string(c);
        (void)g.addModule(id, "lfo");
        (void)g.setParam(id, "shape", 3.0); // square
        (void)g.setParam(id, "rate", 11.0 + 6.3 * c);
        (void)g.setParam(id, "width", 0.2 + 0.04 * c);
        return id;
    };
    if (mode == "gate per channel" || mode == "ramped") {
        tc.feeds.push_back({"gate", false, squares});
    } else if (mode == "shared gate") {
        tc.feeds.push_back({"in", false, saws});
        tc.feeds.push_back({"gate", true, [squares](engine::PatchGraph& g, int) { return squares(g, 3); }});
    } else { // gate event: no gate cable
        tc.feeds.push_back({"in", false, saws});
    }
    return tc;
}

} // namespace

void TestAdsr::polyKernelsRenderTheMonoEnvelopePerChannel_data() {
    poly::addModeBlockRows({"gate per channel", "shared gate", "gate event", "ramped"});
}

void TestAdsr::polyKernelsRenderTheMonoEnvelopePerChannel() {
    // Channel k of a 16-channel adsr, with the portable and the AVX2 copy of its kernel, against a
    // mono adsr fed channel k alone. Each lane evaluates the mono envelope's expressions in its order
    // (the AVX2 copy is kept from fusing the segment's multiply-add), so they agree to the bit:
    // segment ends, retriggers and gate edges at the same samples. "gate event" sends gate on at
    // the middle of the render, "ramped" moves sustain and level there (the ramping kernel).
    QFETCH(QString, mode);
    QFETCH(int, block);
    using engine::simd::Level;
    const poly::Case tc = adsrCase(mode);
    auto edit = [&](OfflineRenderer& r) {
        if (mode == "gate event")
            QVERIFY(r.gate("dut", true).ok());
        if (mode == "ramped") {
            QVERIFY(r.setParam("dut", "sustain", 0.2).ok());
            QVERIFY(r.setParam("dut", "level", 0.5).ok());
        }
    };
    const bool avx2 = engine::simd::cpuHasAvx2();
    constexpr std::size_t kFrames = 9600;
    for (int k : {0, 7, 8, 15}) {
        const auto mono = poly::renderChannel(tc, Level::Generic, 1, k, block, kFrames, edit);
        const auto generic = poly::renderChannel(tc, Level::Generic, 16, k, block, kFrames, edit);
        const auto wide =
            poly::renderChannel(tc, avx2 ? Level::Avx2 : Level::Generic, 16, k, block, kFrames, edit);
        QCOMPARE(mono.size(), kFrames);
        QVERIFY(peak(mono) > 0.1f);
        QVERIFY2(generic == mono, qPrintable(QStringLiteral("channel %1: %2 of the peak")
                                                 .arg(k)
                                                 .arg(poly::relativeDifference(mono, generic))));
        QVERIFY2(wide == mono, qPrintable(QStringLiteral("channel %1: %2 of the peak")
                                              .arg(k)
                                              .arg(poly::relativeDifference(mono, wide))));
    }
    engine::simd::setLevel(Level::Avx2);
}

void TestAdsr::polyChannelCountFollowsTheInputs() {
    // 5 gates make 5 envelopes (a stride of 8 with 3 padding lanes), 9 make 9 (two groups).
    const poly::Case tc = adsrCase("gate per channel");
    for (int channels : {5, 9}) {
        const auto mono = poly::renderChannel(tc, engine::simd::Level::Generic, 1, channels - 1, 64, 4800);
        const auto poly =
            poly::renderChannel(tc, engine::simd::Level::Generic, channels, channels - 1, 64, 4800);
        QCOMPARE(poly.size(), std::size_t(4800)); // renderChannel checks channelsOf("dut")
        QVERIFY(peak(mono) > 0.1f);
        QVERIFY(poly == mono);
    }
    OfflineRenderer r{48000.0, 64};
    engine::PatchGraph& g = r.graph();
    CHRONUS_VERIFY_OK(g.addModule("env", "adsr"));
    CHRONUS_VERIFY_OK(g.addModule("a", "const"));
    CHRONUS_VERIFY_OK(g.setText("a", "values", "1 2 3"));
    QCOMPARE(poly::channelsOf(g, "env"), 1);
    CHRONUS_VERIFY_OK(g.connect("a", "env.in"));
    QCOMPARE(poly::channelsOf(g, "env"), 3);
}

} // namespace chronus::test

QTEST_APPLESS_MAIN(chronus::test::TestAdsr)
#include "tst_adsr.moc"
