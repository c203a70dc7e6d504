// The drum voices (kick, snare, hi-hat): silent until a trigger, sounding from exactly the trigger
// sample (gate events and rising edges on `trig`), finite, decaying to silence; the kick's pitch
// sweeping down to `tune`; accent making a hit louder; retriggers and the hi-hat's choke leaving
// the old hit without a click; the noise seeded by the module's id.

#include "EngineTestUtils.hpp"
#include "engine/OfflineRenderer.hpp"
#include "engine/modules/HiHat.hpp"
#include "engine/modules/DcBlocker.hpp"
#include "engine/modules/Kick.hpp"
#include "engine/modules/Snare.hpp"
#include "support/SignalAnalysis.hpp"

#include <QObject>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace chronus::test {

using engine::OfflineRenderer;

namespace {

const char* const kDrums[] = {"kick", "snare", "hihat"};

using ParamList = std::vector<std::pair<const char*, double>>;

std::size_t framesOf(double ms, double sampleRate) {
    return static_cast<std::size_t>(std::llround(ms * sampleRate / 1000.0));
}

// Index of the first sample that is not exactly zero, or x.size().
std::size_t firstNonZero(std::span<const float> x) {
    return static_cast<std::size_t>(std::find_if(x.begin(), x.end(), [](float v) { return v != 0.0f; }) -
                                    x.begin());
}

// One drum `dut` of `type` on the left channel, hit by gate events between renders.
class DrumRig {
public:
    DrumRig(double sampleRate, int blockSize, const char* type, const ParamList& params = {})
        : m_renderer(sampleRate, blockSize) {
        engine::PatchGraph& g = m_renderer.graph();
        m_ok = g.addModule("dut", type).ok() && g.connect("dut.out", "out.left").ok();
        for (const auto& [id, value] : params)
            m_ok = m_ok && g.setParam("dut", id, value).ok();
    }

    // A constant on the input `port` (an LFO at depth 0 with that offset).
    bool feedConstant(const char* port, double value) {
        engine::PatchGraph& g = m_renderer.graph();
        const std::string id = std::string("const_") + port;
        return g.addModule(id, "lfo").ok() && g.setParam(id, "depth", 0.0).ok() &&
               g.setParam(id, "offset", value).ok() && g.connect(id, std::string("dut.") + port).ok();
    }

    OfflineRenderer& renderer() { return m_renderer; }
    bool ok() const { return m_ok; }
    std::size_t frames(double ms) const { return framesOf(ms, m_renderer.sampleRate()); }

    bool render(double ms) { return renderFrames(frames(ms)); }
    bool renderFrames(std::size_t n) {
        auto rendered = m_renderer.renderFrames(n);
        if (!rendered)
            return false;
        append(m_out, rendered->left);
        append(m_right, rendered->right);
        return true;
    }
    bool gate(bool on) { return m_renderer.gate("dut", on).ok(); }

    const std::vector<float>& out() const { return m_out; }
    const std::vector<float>& right() const { return m_right; }
    std::size_t position() const { return m_out.size(); }

private:
    OfflineRenderer m_renderer;
    std::vector<float> m_out, m_right;
    bool m_ok = false;
};

void addDrumRateBlockRows(std::span<const char* const> drums, std::span<const int> blockSizes) {
    QTest::addColumn<QString>("type");
    addRateBlockColumns();
    for (const char* drum : drums)
        for (double sampleRate : kSampleRates)
            for (int blockSize : blockSizes)
                QTest::addRow("%s/%s", drum, qPrintable(rateBlockName(sampleRate, blockSize)))
                    << QString::fromLatin1(drum) << sampleRate << blockSize;
}

// A single hit by a gate event `atMs` into the render, `totalMs` long in all.
std::vector<float> renderHit(double sampleRate, int blockSize, const char* type, const ParamList& params,
                             double atMs, double totalMs, bool accented = false) {
    DrumRig rig{sampleRate, blockSize, type, params};
    if (!rig.ok() || (accented && !rig.feedConstant("accent", 1.0)))
        return {};
    if (!rig.render(atMs) || !rig.gate(true) || !rig.render(totalMs - atMs))
        return {};
    return rig.out();
}

// Frequencies of the successive cycles of a decaying tone, from its rising zero crossings
// (interpolated), with the time of each cycle's middle in samples.
std::vector<std::pair<double, double>> cycleFrequencies(std::span<const float> x, double sampleRate) {
    std::vector<double> crossings;
    for (std::size_t i = 1; i < x.size(); ++i) {
        const double a = static_cast<double>(x[i - 1]);
        const double b = static_cast<double>(x[i]);
        if (a < 0.0 && b >= 0.0)
            crossings.push_back(static_cast<double>(i - 1) + a / (a - b));
    }
    std::vector<std::pair<double, double>> cycles;
    for (std::size_t k = 1; k < crossings.size(); ++k)
        cycles.emplace_back(0.5 * (crossings[k] + crossings[k - 1]),
                            sampleRate / (crossings[k] - crossings[k - 1]));
    return cycles;
}

} // namespace

class TestDrums : public QObject {
    Q_OBJECT

private slots:
    void gateEventHitsAtItsSampleThenDecaysToSilence_data();
    void gateEventHitsAtItsSampleThenDecaysToSilence();
    void risingEdgeOnTrigHitsAtThatSample_data();
    void risingEdgeOnTrigHitsAtThatSample();
    void kickPitchSweepsDownToTune_data();
    void kickPitchSweepsDownToTune();
    void accentMakesTheHitLouder_data();
    void accentMakesTheHitLouder();
    void retriggerMakesNoClick_data();
    void retriggerMakesNoClick();
    void closedHatChokesOpenHatWithoutClick_data();
    void closedHatChokesOpenHatWithoutClick();
    void hatHitIsOpenWhileOpenIsHigh_data();
    void hatHitIsOpenWhileOpenIsHigh();
    void noiseIsSeededByModuleId_data();
    void noiseIsSeededByModuleId();
};

void TestDrums::gateEventHitsAtItsSampleThenDecaysToSilence_data() {
    addDrumRateBlockRows(kDrums, kBlockSizes);
}

void TestDrums::gateEventHitsAtItsSampleThenDecaysToSilence() {
    QFETCH(QString, type);
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    DrumRig rig{sampleRate, blockSize, qPrintable(type)};
    QVERIFY(rig.ok());
    // an odd count puts the event inside a block of the fixed size grid
    QVERIFY(rig.renderFrames(4321));
    const std::size_t hitAt = rig.position();
    QVERIFY(rig.gate(true));
    QVERIFY(rig.render(2000.0));
    QVERIFY(rig.gate(false)); // a gate-off event is no hit
    QVERIFY(rig.render(100.0));
    const std::span<const float> out(rig.out());
    QVERIFY(allFinite(out));
    QCOMPARE(firstNonZero(out), hitAt);
    const float hitPeak = peak(out.subspan(hitAt, rig.frames(50.0)));
    QVERIFY2(hitPeak > 0.3f && hitPeak < 1.0f, qPrintable(QStringLiteral("peak %1").arg(hitPeak)));
    // 2 s on, every default decay has passed -80 dB, and nothing sounds after the gate-off
    const float tailPeak = peak(out.last(rig.frames(600.0)));
    QVERIFY2(tailPeak < 1e-4f * hitPeak, qPrintable(QStringLiteral("tail %1").arg(tailPeak)));
    reportFigure(QStringLiteral("%1 @ %2/%3: peak %4, rms over 100 ms %5")
                     .arg(type)
                     .arg(sampleRate)
                     .arg(blockSize)
                     .arg(hitPeak)
                     .arg(rms(out.subspan(hitAt, rig.frames(100.0)))));
}

void TestDrums::risingEdgeOnTrigHitsAtThatSample_data() {
    addDrumRateBlockRows(kDrums, kBlockSizes);
}

void TestDrums::risingEdgeOnTrigHitsAtThatSample() {
    QFETCH(QString, type);
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    // An LFO saw from -1 rises through 0.5 three quarters into its first cycle, at a sample that
    // falls inside a block; the right channel records it.
    DrumRig rig{sampleRate, blockSize, qPrintable(type)};
    QVERIFY(rig.ok());
    engine::PatchGraph& g = rig.renderer().graph();
    CHRONUS_VERIFY_OK(g.addModule("clock", "lfo"));
    CHRONUS_VERIFY_OK(g.setParam("clock", "shape", 2.0)); // saw
    CHRONUS_VERIFY_OK(g.setParam("clock", "rate", 3.1));
    CHRONUS_VERIFY_OK(g.connect("clock", "dut.trig"));
    CHRONUS_VERIFY_OK(g.connect("clock", "out.right"));
    QVERIFY(rig.render(300.0));
    const std::span<const float> trig(rig.right());
    std::size_t edge = 0;
    while (edge < trig.size() && !(trig[edge] > 0.5f && (edge == 0 || trig[edge - 1] <= 0.5f)))
        ++edge;
    QVERIFY2(edge > 0 && edge < trig.size(), "the trigger signal has no rising edge");
    const std::span<const float> out(rig.out());
    QVERIFY(allFinite(out));
    QCOMPARE(firstNonZero(out), edge);
    QVERIFY(peak(out.subspan(edge)) > 0.3f);
}

void TestDrums::kickPitchSweepsDownToTune_data() {
    QTest::addColumn<double>("tune");
    QTest::addColumn<double>("sweep");
    addRateBlockColumns();
    for (const auto& [tune, sweep] : {std::pair{50.0, 36.0}, std::pair{43.0, 24.0}, std::pair{65.0, 48.0}})
        for (double sampleRate : kSampleRates)
            for (int blockSize : {37, 64})
                QTest::addRow("%g Hz +%g st/%s", tune, sweep,
                              qPrintable(rateBlockName(sampleRate, blockSize)))
                    << tune << sweep << sampleRate << blockSize;
}

void TestDrums::kickPitchSweepsDownToTune() {
    QFETCH(double, tune);
    QFETCH(double, sweep);
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    // no click or drive: the zero crossings are the body's own
    const std::vector<float> out = renderHit(sampleRate, blockSize, "kick",
                                             {{"tune", tune},
                                              {"sweep", sweep},
                                              {"pitch_decay", 25.0},
                                              {"decay", 1500.0},
                                              {"click", 0.0},
                                              {"drive", 0.0}},
                                             10.0, 700.0);
    QVERIFY(!out.empty());
    QVERIFY(allFinite(out));
    const std::size_t hitAt = firstNonZero(out);
    const std::span<const float> hit = std::span<const float>(out).subspan(hitAt);
    const auto cycles = cycleFrequencies(hit, sampleRate);
    QVERIFY(cycles.size() > 10);
    const double startHz = tune * std::exp2(sweep / 12.0);
    // The first whole cycle is well up the sweep, below its start; each cycle is no higher than the
    // one before (a hair for interpolation).
    const double firstHz = cycles.front().second;
    QVERIFY2(firstHz > 2.0 * tune && firstHz <= startHz,
             qPrintable(QStringLiteral("first cycle %1 Hz, sweep from %2 Hz").arg(firstHz).arg(startHz)));
    for (std::size_t k = 1; k < cycles.size(); ++k)
        QVERIFY2(cycles[k].second <= cycles[k - 1].second * 1.001,
                 qPrintable(QStringLiteral("cycle %1 at %2 Hz after %3 Hz")
                                .arg(k)
                                .arg(cycles[k].second)
                                .arg(cycles[k - 1].second)));
    // Every cycle follows the sweep as documented: tune x 2^(sweep x e^(-t / pitch_decay) / 12).
    // A cycle's frequency is the mean over it (one turn of phase); the phase after sample n has
    // summed the frequency up to n + 1/2.
    auto sweepHz = [&](double samples) {
        return tune * std::exp2(sweep * std::exp(-samples / (0.025 * sampleRate)) / 12.0);
    };
    double worst = 0.0;
    for (std::size_t k = 0; k < cycles.size(); ++k) {
        const double period = sampleRate / cycles[k].second;
        const double from = cycles[k].first - 0.5 * period + 0.5;
        constexpr int kSteps = 64;
        double sum = 0.0;
        for (int j = 0; j < kSteps; ++j)
            sum += sweepHz(from + (j + 0.5) * period / kSteps);
        const double error = cycles[k].second / (sum / kSteps) - 1.0;
        worst = std::max(worst, std::fabs(error));
        QVERIFY2(std::fabs(error) < 0.01, qPrintable(QStringLiteral("cycle %1 at %2 Hz, the sweep says %3 Hz")
                                                         .arg(k)
                                                         .arg(cycles[k].second)
                                                         .arg(sum / kSteps)));
    }
    // The body ends at `tune`.
    const double endHz =
        estimateFrequency(hit.subspan(framesOf(300.0, sampleRate), framesOf(350.0, sampleRate)), sampleRate);
    QVERIFY2(std::fabs(endHz / tune - 1.0) < 0.03, qPrintable(QStringLiteral("ends at %1 Hz").arg(endHz)));
    reportFigure(
        QStringLiteral("kick %1 Hz +%2 st @ %3/%4: first cycle %5 Hz, worst cycle off the sweep by %6 %, "
                       "end %7 Hz (%8 cents)")
            .arg(tune)
            .arg(sweep)
            .arg(sampleRate)
            .arg(blockSize)
            .arg(firstHz)
            .arg(100.0 * worst)
            .arg(endHz)
            .arg(centsBetween(endHz, tune)));
}

void TestDrums::accentMakesTheHitLouder_data() {
    addDrumRateBlockRows(kDrums, std::initializer_list<int>{64});
}

void TestDrums::accentMakesTheHitLouder() {
    QFETCH(QString, type);
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    const QByteArray drum = type.toLatin1();
    auto level = [&](double amount, bool accented) {
        const std::vector<float> out =
            renderHit(sampleRate, blockSize, drum.constData(), {{"accent", amount}}, 10.3, 120.0, accented);
        return out.empty() ? 0.0 : rms(std::span<const float>(out).subspan(framesOf(10.3, sampleRate)));
    };
    const double normal = level(0.5, false);
    const double accented = level(0.5, true);
    const double full = level(1.0, true);
    const double ignored = level(0.0, true);
    QVERIFY(normal > 0.0);
    const double accentDb = 20.0 * std::log10(accented / normal);
    const double fullDb = 20.0 * std::log10(full / normal);
    // The gain alone adds 3.5 dB at amount 0.5 and 6 dB at amount 1; the kick's extra drive and the
    // snare's extra noise add a little more. Amount 0 ignores the accent input.
    QVERIFY2(accentDb > 2.0 && accentDb < 6.0, qPrintable(QStringLiteral("accent +%1 dB").arg(accentDb)));
    QVERIFY2(fullDb > accentDb + 1.0 && fullDb < 10.0,
             qPrintable(QStringLiteral("full accent +%1 dB").arg(fullDb)));
    QVERIFY2(std::fabs(ignored / normal - 1.0) < 1e-6, "accent amount 0 changed the hit");
    reportFigure(QStringLiteral("%1 @ %2: accent 0.5 +%3 dB, accent 1 +%4 dB")
                     .arg(type)
                     .arg(sampleRate)
                     .arg(accentDb)
                     .arg(fullDb));
}

void TestDrums::retriggerMakesNoClick_data() {
    QTest::addColumn<QString>("type");
    QTest::addColumn<double>("retriggerMs");
    addRateBlockColumns();
    for (const char* drum : {"kick", "snare"})
        for (double retriggerMs : {3.1, 20.3, 47.9, 83.7, 151.3})
            for (double sampleRate : kSampleRates)
                for (int blockSize : {1, 37, 64})
                    QTest::addRow("%s/%g ms/%s", drum, retriggerMs,
                                  qPrintable(rateBlockName(sampleRate, blockSize)))
                        << QString::fromLatin1(drum) << retriggerMs << sampleRate << blockSize;
}

void TestDrums::retriggerMakesNoClick() {
    QFETCH(QString, type);
    QFETCH(double, retriggerMs);
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    // The tonal parts only (no click, no snare noise): a jump in the body would stand out from them.
    const ParamList params = type == QLatin1String("kick") ? ParamList{{"click", 0.0}, {"drive", 0.0}}
                                                           : ParamList{{"snappy", 0.0}};
    const QByteArray drum = type.toLatin1();
    const double fadeMs =
        type == QLatin1String("kick") ? engine::Kick::kRetriggerFadeMs : engine::Snare::kRetriggerFadeMs;
    constexpr double kHitMs = 5.0;
    const std::vector<float> single =
        renderHit(sampleRate, blockSize, drum.constData(), params, kHitMs, 400.0);
    QVERIFY(!single.empty());

    DrumRig rig{sampleRate, blockSize, drum.constData(), params};
    QVERIFY(rig.ok());
    QVERIFY(rig.render(kHitMs));
    QVERIFY(rig.gate(true));
    QVERIFY(rig.render(retriggerMs));
    const std::size_t retriggerAt = rig.position();
    QVERIFY(rig.gate(true));
    QVERIFY(rig.render(400.0 - kHitMs - retriggerMs));
    const std::span<const float> out(rig.out());
    QVERIFY(allFinite(out));

    // Superposed, the new hit and the fading tail step by at most the new hit's steepest step, the
    // tail's own and the fade's (the tail's level over the fade's length). A restart that dropped
    // the tail would jump by the tail's whole value instead (up to 0.6).
    const std::size_t hitAt = framesOf(kHitMs, sampleRate);
    const std::span<const float> alone(single);
    const std::size_t window = rig.frames(20.0), fadeFrames = rig.frames(fadeMs);
    const float freshStep = largestStep(alone.subspan(hitAt - 1, window));
    const float tailStep = largestStep(alone.subspan(retriggerAt - 1, fadeFrames + 2));
    const float tailLevel = peak(alone.subspan(retriggerAt - 1, fadeFrames + 2));
    const float bound = freshStep + tailStep + 2.0f * tailLevel / static_cast<float>(fadeFrames);
    const float retriggerStep = largestStep(out.subspan(retriggerAt - 1, window));
    QVERIFY2(retriggerStep <= bound,
             qPrintable(QStringLiteral("step %1 at the retrigger, bound %2 (fresh hit %3, tail %4 at %5)")
                            .arg(retriggerStep)
                            .arg(bound)
                            .arg(freshStep)
                            .arg(tailStep)
                            .arg(tailLevel)));
    // The retrigger is a whole new hit: once the tail has faded, it is the single hit again, but for
    // what the output's DC blocker still holds of the first hit, which only decays (d[i] = R d[i-1]).
    const std::size_t settled = retriggerAt + rig.frames(fadeMs + 1.0);
    const std::size_t compare = rig.frames(100.0);
    const double pole = std::exp(-2.0 * std::numbers::pi * engine::DcBlocker::kDefaultCornerHz / sampleRate);
    const auto difference = [&](std::size_t i) {
        return static_cast<double>(out[settled + i]) - static_cast<double>(single[settled - retriggerAt + hitAt + i]);
    };
    double diff = 0.0;
    for (std::size_t i = 1; i < compare; ++i)
        diff = std::max(diff, std::fabs(difference(i) - pole * difference(i - 1)));
    QVERIFY2(diff < 1e-4, qPrintable(QStringLiteral("differs from a fresh hit by %1").arg(diff)));
    reportFigure(QStringLiteral("%1 retrigger at %2 ms @ %3/%4: step %5 (fresh hit %6), tail level %7")
                     .arg(type)
                     .arg(retriggerMs)
                     .arg(sampleRate)
                     .arg(blockSize)
                     .arg(retriggerStep)
                     .arg(freshStep)
                     .arg(tailLevel));
}

void TestDrums::closedHatChokesOpenHatWithoutClick_data() {
    addRateBlockColumns();
    for (double sampleRate : kSampleRates)
        for (int blockSize : {1, 37, 64, 4096})
            QTest::newRow(qPrintable(rateBlockName(sampleRate, blockSize))) << sampleRate << blockSize;
}

void TestDrums::closedHatChokesOpenHatWithoutClick() {
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    constexpr double kChokeMs = 100.0;
    constexpr double kTotalMs = 1500.0;
    // The open hit comes from an LFO square on `open`, high for the first 20 ms (its rising edge at
    // sample 0); the closed hit from a gate event at kChokeMs. The source runs regardless of hits,
    // so the renders add up: choked - closed alone = the open hit's part of the choked render.
    auto render = [&](bool openHit, bool closedHit) {
        DrumRig rig{sampleRate, blockSize, "hihat"};
        engine::PatchGraph& g = rig.renderer().graph();
        if (!rig.ok() || !g.addModule("opener", "lfo") || !g.setParam("opener", "shape", 3.0) ||
            !g.setParam("opener", "rate", 0.5) || !g.setParam("opener", "width", 0.01) ||
            !g.setParam("opener", "depth", openHit ? 1.0 : 0.0) || !g.connect("opener", "dut.open"))
            return std::vector<float>{};
        if (!rig.render(kChokeMs))
            return std::vector<float>{};
        if (closedHit && !rig.gate(true))
            return std::vector<float>{};
        if (!rig.render(kTotalMs - kChokeMs))
            return std::vector<float>{};
        return rig.out();
    };
    const std::vector<float> choked = render(true, true);
    const std::vector<float> open = render(true, false);
    const std::vector<float> closed = render(false, true);
    QVERIFY(!choked.empty() && !open.empty() && !closed.empty());
    QVERIFY(allFinite(choked) && allFinite(open) && allFinite(closed));
    QCOMPARE(firstNonZero(open), std::size_t{0});
    const std::size_t chokeAt = framesOf(kChokeMs, sampleRate);
    QCOMPARE(firstNonZero(closed), chokeAt);
    auto ms = [&](double t) { return framesOf(t, sampleRate); };
    const std::span<const float> o(open), c(choked);

    // The open hit rings on long after a closed one has gone; the choke cuts it.
    const double openLate = rms(o.subspan(chokeAt + ms(150.0), ms(300.0)));
    const double chokedLate = rms(c.subspan(chokeAt + ms(150.0), ms(300.0)));
    QVERIFY2(openLate > 1e-3, qPrintable(QStringLiteral("open hit at %1 rms after 250 ms").arg(openLate)));
    QVERIFY2(chokedLate < 1e-3 * openLate,
             qPrintable(QStringLiteral("after the choke %1 rms, %2 without").arg(chokedLate).arg(openLate)));
    QVERIFY(peak(o.last(ms(300.0))) < 1e-4f); // and it too dies away

    // The open hit's part of the choked render fades over kChokeFadeMs: millisecond by millisecond
    // it follows the linear fade (a cut would drop it at once), then it is gone.
    std::vector<float> openPart(choked.size());
    for (std::size_t i = 0; i < choked.size(); ++i)
        openPart[i] = choked[i] - closed[i];
    const std::span<const float> d(openPart);
    const double fadeMs = engine::HiHat::kChokeFadeMs;
    for (int k = 0; k < static_cast<int>(fadeMs); ++k) {
        const double expected = 1.0 - (k + 0.5) / fadeMs;
        const double ratio =
            rms(d.subspan(chokeAt + ms(k), ms(1.0))) / rms(o.subspan(chokeAt + ms(k), ms(1.0)));
        QVERIFY2(std::fabs(ratio - expected) < 0.15,
                 qPrintable(QStringLiteral("ms %1 of the fade: %2 of the open hit, expected %3")
                                .arg(k)
                                .arg(ratio)
                                .arg(expected)));
    }
    const double left = rms(d.subspan(chokeAt + ms(fadeMs + 1.0), ms(30.0)));
    const double wouldBe = rms(o.subspan(chokeAt + ms(fadeMs + 1.0), ms(30.0)));
    QVERIFY2(left < 1e-3 * wouldBe,
             qPrintable(QStringLiteral("open hit at %1 after the fade").arg(left / wouldBe)));
    // No step at the choke beyond what the two hits make on their own.
    const std::size_t from = chokeAt - ms(1.0), span = ms(fadeMs + 2.0);
    const float chokeStep = largestStep(c.subspan(from, span));
    const float ownSteps =
        largestStep(o.subspan(from, span)) + largestStep(std::span<const float>(closed).subspan(from, span));
    QVERIFY2(chokeStep <= ownSteps,
             qPrintable(QStringLiteral("step %1 at the choke, %2 of the hits").arg(chokeStep).arg(ownSteps)));
    reportFigure(QStringLiteral("hihat choke @ %1/%2: open after 250 ms %3 rms, choked %4; step %5 (hits %6)")
                     .arg(sampleRate)
                     .arg(blockSize)
                     .arg(openLate)
                     .arg(chokedLate)
                     .arg(chokeStep)
                     .arg(ownSteps));
}

void TestDrums::hatHitIsOpenWhileOpenIsHigh_data() {
    addRateBlockColumns();
    for (double sampleRate : kSampleRates)
        QTest::newRow(qPrintable(rateBlockName(sampleRate, 64))) << sampleRate << 64;
}

void TestDrums::hatHitIsOpenWhileOpenIsHigh() {
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    // A gate event hits closed, or open while `open` is high (held from the start: its rising edge
    // at sample 0 is an open hit of its own, which the gate event's hit chokes).
    auto levelAfter = [&](bool openHeld) {
        DrumRig rig{sampleRate, blockSize, "hihat"};
        if (!rig.ok() || (openHeld && !rig.feedConstant("open", 1.0)) || !rig.render(50.0) ||
            !rig.gate(true) || !rig.render(400.0))
            return -1.0;
        return rms(std::span<const float>(rig.out()).subspan(rig.frames(200.0), rig.frames(100.0)));
    };
    const double closed = levelAfter(false);
    const double open = levelAfter(true);
    QVERIFY(closed >= 0.0 && open >= 0.0);
    // 150 ms after the hit: a closed hit (60 ms to -60 dB) is gone, an open one (450 ms) rings
    QVERIFY2(closed < 1e-6, qPrintable(QStringLiteral("closed hit at %1 rms").arg(closed)));
    QVERIFY2(open > 0.005, qPrintable(QStringLiteral("open hit at %1 rms").arg(open)));
}

void TestDrums::noiseIsSeededByModuleId_data() {
    QTest::addColumn<QString>("type");
    QTest::newRow("snare") << QStringLiteral("snare");
    QTest::newRow("hihat") << QStringLiteral("hihat");
    QTest::newRow("kick") << QStringLiteral("kick"); // the click
}

void TestDrums::noiseIsSeededByModuleId() {
    QFETCH(QString, type);
    // Two drums of a type, left and right, hit together: different ids, different noise; the same
    // patch again, the same samples.
    auto render = [&] {
        OfflineRenderer r{48000.0, 64};
        engine::PatchGraph& g = r.graph();
        if (!g.addModule("a", type.toStdString()) || !g.addModule("b", type.toStdString()) ||
            !g.connect("a", "out.left") || !g.connect("b", "out.right") || !g.setParam("a", "level", 1.0) ||
            !g.setParam("b", "level", 1.0))
            return engine::StereoBuffer{};
        if (!r.renderFrames(100) || !r.gate("a", true) || !r.gate("b", true))
            return engine::StereoBuffer{};
        auto rendered = r.renderFrames(4800);
        return rendered ? std::move(rendered).value() : engine::StereoBuffer{};
    };
    const engine::StereoBuffer first = render();
    const engine::StereoBuffer again = render();
    QCOMPARE(first.frames(), std::size_t{4800});
    QVERIFY(first.left == again.left && first.right == again.right);
    double diff = 0.0;
    for (std::size_t i = 0; i < first.frames(); ++i)
        diff = std::max(diff, static_cast<double>(std::fabs(first.left[i] - first.right[i])));
    QVERIFY2(diff > 0.01, qPrintable(QStringLiteral("two ids differ by only %1").arg(diff)));
}

} // namespace chronus::test

QTEST_APPLESS_MAIN(chronus::test::TestDrums)
#include "tst_drums.moc"
