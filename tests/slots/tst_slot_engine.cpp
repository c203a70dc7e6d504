// The dual-slot engine as it plays: routing by role across swaps (the predecessor's bug), prime,
// commit, abort, undo, the fade (no click, steady loudness), 200 commits in a row, the hot mirror
// in step, failover on a stall, a NaN and an exception, rollback of an unhealthy commit. Played
// through the clock-paced null driver at 64-frame blocks; assertions are on the recorded signal
// and on the engine's counters, synchronised on the engine's own events.

#include "SlotRig.hpp"
#include "engine/EngineTestUtils.hpp"
#include "support/Sanitized.hpp"
#include "support/SignalAnalysis.hpp"

#include <QTest>

#include <algorithm>
#include <cmath>
#include <atomic>
#include <functional>
#include <mutex>
#include <thread>
#include <memory>
#include <string>

using namespace chronus;
using namespace chronus::engine;
using chronus::test::disturbed;
using chronus::test::leftChannel;
using chronus::test::recordUndisturbed;
using chronus::test::largestStep;
using chronus::test::sinePatch;
using chronus::test::SlotRig;
using chronus::test::waitStats;
using chronus::test::totalNoneReads;

namespace {
constexpr double kRate = 48000.0;

EngineConfig testConfig() {
    EngineConfig c;
    c.sampleRate = kRate;
    c.blockSize = 64;
    c.ringTargetBlocks = 6;
    c.healthWindowMs = 20.0;
    return c;
}

double rmsDb(const std::vector<float>& x, std::size_t from, std::size_t n) {
    double sum = 0.0;
    for (std::size_t i = from; i < from + n; ++i)
        sum += static_cast<double>(x[i]) * static_cast<double>(x[i]);
    return 10.0 * std::log10(sum / static_cast<double>(n) + 1e-30);
}

#define VERIFY_NO_NONE_READS(stats) CHRONUS_VERIFY_NO_NONE_READS(totalNoneReads(stats))

// Records `seconds` of output (left channel), again if the machine disturbed it (SlotRig.hpp).
std::vector<float> record(SlotRig& rig, double seconds) {
    return recordUndisturbed(rig.engine, rig.recorder, static_cast<std::size_t>(seconds * kRate));
}
// A fault injected into the active slot of a fresh engine playing a 440 Hz sine (its mirror in
// step), recorded from `before` frames ahead of it to `after` frames past it. If this shared
// machine starved the mirror's worker too (none-reads), or a worker's control thread so long that a
// live change reached one slot after the block of its stamp (late: the slots then differ by the
// change's effect over the blocks between), the run proves nothing about the failover: it runs
// again on a fresh engine, at most 3 times in all (a failover that is not seamless fails every time).
std::uint64_t lateLiveChanges(const EngineStats& s) { return s.slot[0].lateLiveChanges + s.slot[1].lateLiveChanges; }

struct FaultRun {
    std::unique_ptr<SlotRig> rig;
    std::vector<float> x;
    EngineStats stats;
    int active = 0;
};
// `prepare`, if given, runs on each fresh engine right after its commit.
void runFault(FaultRun& run, Fault fault, double stallMs, std::size_t before, std::size_t after,
              const std::function<void(SlotRig&)>& prepare = {}) {
    for (int attempt = 0;; ++attempt) {
        run.rig = std::make_unique<SlotRig>(testConfig());
        SlotRig& r = *run.rig;
        CHRONUS_VERIFY_OK(r.start());
        CHRONUS_VERIFY_OK(r.engine.loadPending(sinePatch(440.0)));
        CHRONUS_VERIFY_OK(r.engine.commit());
        if (prepare) {
            prepare(r);
            if (QTest::currentTestFailed())
                return;
        }
        const int active = r.engine.activeSlot();
        run.active = active;
        QVERIFY(waitStats(r.engine, [&](const EngineStats& st) { return st.slot[1 - active].inStep; }));
        r.recorder.arm();
        QVERIFY(r.recorder.waitFrames(before));
        r.engine.injectFault(active, fault, stallMs);
        QVERIFY(r.recorder.waitFrames(before + after));
        run.x = leftChannel(r.recorder.take());
        run.stats = r.engine.stats();
        if ((totalNoneReads(run.stats) == 0 && lateLiveChanges(run.stats) == 0) || attempt == 2)
            return;
        qWarning("the machine starved the mirror too (%llu none-reads, %llu late live changes): once more on a "
                 "fresh engine",
                 static_cast<unsigned long long>(totalNoneReads(run.stats)),
                 static_cast<unsigned long long>(lateLiveChanges(run.stats)));
    }
}
} // namespace

class TestSlotEngine : public QObject {
    Q_OBJECT

private slots:
    void editsReachOnlyTheStandbyAcrossSwaps();
    void primeReportsTimeAndCommitSwitchesFrequency();
    void silenceIsAValidPatch();
    void abortLeavesTheCommittedPatchPlaying();
    void undoCommitBringsThePreviousPatchBack();
    void commitHasNoClick();
    void newPatchStartsOnItsFirstBeat();
    void fadeKeepsLoudnessSteady_data();
    void fadeKeepsLoudnessSteady();
    void twoHundredCommitsInARow();
    void liveChangesReachBothSlotsAtTheSameSample();
    void liveChangesAndEditsDoNotWaitForACommitsFade();
    void operationsReportTheirOutcomesInOrder();
    void operationsOutcomesSayWhatWentWrong();
    void stallFailsOverToTheMirrorSeamlessly();
    void mirrorFollowsEditsPrimedInPlace();
    void nanNeverReachesTheOutput();
    void workerExceptionFailsOverAndRebuilds();
    void unhealthyCommitRollsBack_data();
    void unhealthyCommitRollsBack();
    void coldMirrorDoesNotRender();
    void commitWithoutAudioTimesOutAndSwitchesNothing();
};

void TestSlotEngine::editsReachOnlyTheStandbyAcrossSwaps() {
    SlotRig rig(testConfig());
    CHRONUS_VERIFY_OK(rig.start());
    for (int swap = 0; swap < 6; ++swap) {
        const int active = rig.engine.activeSlot();
        const int standby = 1 - active;
        QCOMPARE(rig.engine.stats().activeSlot, active);
        // The old active re-syncs in the background after a commit (its own rebuild edits): wait
        // for it to be the in-step mirror before counting.
        QVERIFY(waitStats(rig.engine, [&](const EngineStats& s) { return s.slot[standby].inStep; }));
        const EngineStats before = rig.engine.stats();
        const std::string id = "m" + std::to_string(swap);
        CHRONUS_VERIFY_OK(rig.engine.addModule(id, "sine"));
        CHRONUS_VERIFY_OK(rig.engine.connect(id, "out"));
        CHRONUS_VERIFY_OK(rig.engine.setPending(id, "freq", 200.0 + 50.0 * swap));
        CHRONUS_VERIFY_OK(rig.engine.setPending(id, "gain", 0.1));
        // The standby applies all four; the active's queue never sees one.
        QVERIFY(waitStats(rig.engine, [&](const EngineStats& s) {
            return s.slot[standby].editsApplied == before.slot[standby].editsApplied + 4;
        }));
        std::this_thread::sleep_for(std::chrono::milliseconds(20)); // give a misrouted edit time to show
        const EngineStats after = rig.engine.stats();
        // (editsApplied counts patch edits only: the active's own bookkeeping after the last
        // commit may still be arriving.)
        QCOMPARE(after.slot[active].editsApplied, before.slot[active].editsApplied);
        QCOMPARE(after.slot[standby].editErrors, before.slot[standby].editErrors);
        auto report = rig.engine.commit();
        CHRONUS_VERIFY_OK(report);
        QCOMPARE(report.value().slot, standby);
        QCOMPARE(rig.engine.activeSlot(), standby);
        QCOMPARE(rig.engine.stats().activeSlot, standby);
        QCOMPARE(rig.engine.stats().commits, static_cast<std::uint64_t>(swap + 1));
    }
    // Every module committed is playing: the last one's frequency is in the output.
    QCOMPARE(rig.engine.committed().nodes().size(), std::size_t{7});
    VERIFY_NO_NONE_READS(rig.engine.stats());
}

void TestSlotEngine::primeReportsTimeAndCommitSwitchesFrequency() {
    SlotRig rig(testConfig());
    CHRONUS_VERIFY_OK(rig.start());
    CHRONUS_VERIFY_OK(rig.engine.loadPending(sinePatch(440.0)));
    auto primed = rig.engine.prime();
    CHRONUS_VERIFY_OK(primed);
    QVERIFY(primed.value() > 0.0);
    const int standby = rig.engine.standbySlot();
    QVERIFY(rig.engine.stats().slot[standby].primeReady);
    QCOMPARE(rig.engine.stats().slot[standby].state, SlotState::Primed);
    QVERIFY(rig.engine.stats().lastPrimeMs > 0.0);
    auto first = rig.engine.commit();
    CHRONUS_VERIFY_OK(first);
    QCOMPARE(first.value().primeMs, 0.0); // already primed
    QVERIFY(first.value().commitMs >= 0.0);
    std::vector<float> a = record(rig, 0.5);
    QVERIFY(!a.empty());
    QVERIFY(std::fabs(test::estimateFrequency(a, kRate) - 440.0) < 0.5);

    // A commit that primes on its own. A busy machine can starve or stall a worker during it, which
    // proves nothing about the engine: then commit another frequency (at most 3 more times).
    for (int attempt = 0;; ++attempt) {
        const double target = attempt % 2 == 0 ? 660.0 : 550.0;
        const EngineStats before = rig.engine.stats();
        const int standbyBefore = rig.engine.standbySlot();
        CHRONUS_VERIFY_OK(rig.engine.setPending("osc", "freq", target));
        auto second = rig.engine.commit(); // primes on its own
        CHRONUS_VERIFY_OK(second);
        std::vector<float> b = record(rig, 0.5);
        const EngineStats after = rig.engine.stats();
        if (disturbed(before, after) && attempt < 3) {
            qWarning("the machine starved or stalled a worker during the commit: committing again");
            continue;
        }
        QVERIFY(second.value().primeMs > 0.0);
        QCOMPARE(second.value().slot, standbyBefore);
        QCOMPARE(after.activeSlot, standbyBefore);
        const double fb = test::estimateFrequency(b, kRate);
        QVERIFY2(std::fabs(fb - target) < 0.5,
                 qPrintable(QString("measured %1 Hz, expected %2; largest step %3")
                                .arg(fb)
                                .arg(target)
                                .arg(double(largestStep(b, 0, b.size())))));
        QCOMPARE(totalNoneReads(after), totalNoneReads(before));
        break;
    }
}

void TestSlotEngine::silenceIsAValidPatch() {
    SlotRig rig(testConfig());
    CHRONUS_VERIFY_OK(rig.start());
    CHRONUS_VERIFY_OK(rig.engine.loadPending(sinePatch(440.0)));
    CHRONUS_VERIFY_OK(rig.engine.commit());
    CHRONUS_VERIFY_OK(rig.engine.removeModule("osc")); // nothing reaches the output any more
    CHRONUS_VERIFY_OK(rig.engine.commit());
    std::vector<float> x = record(rig, 0.2);
    QVERIFY(!x.empty());
    QCOMPARE(test::peak(x), 0.0f);
}

void TestSlotEngine::abortLeavesTheCommittedPatchPlaying() {
    SlotRig rig(testConfig());
    CHRONUS_VERIFY_OK(rig.start());
    CHRONUS_VERIFY_OK(rig.engine.loadPending(sinePatch(440.0)));
    CHRONUS_VERIFY_OK(rig.engine.commit());
    CHRONUS_VERIFY_OK(rig.engine.setPending("osc", "freq", 880.0));
    CHRONUS_VERIFY_OK(rig.engine.prime());
    const int standby = rig.engine.standbySlot();
    CHRONUS_VERIFY_OK(rig.engine.abort());
    QVERIFY(rig.engine.pending() == rig.engine.committed());
    const EngineStats s = rig.engine.stats();
    QVERIFY(!s.slot[standby].primeReady);
    QCOMPARE(s.slot[standby].state, SlotState::Mirror);
    QVERIFY(s.slot[standby].inStep); // the standby plays the committed patch again, sample for sample
    std::vector<float> x = record(rig, 0.5);
    QVERIFY(std::fabs(test::estimateFrequency(x, kRate) - 440.0) < 0.5);
    // The next commit (nothing pending) changes nothing audible.
    CHRONUS_VERIFY_OK(rig.engine.commit());
    QCOMPARE(rig.engine.stats().lastFadeCorrelation, 1.0);
}

void TestSlotEngine::undoCommitBringsThePreviousPatchBack() {
    SlotRig rig(testConfig());
    CHRONUS_VERIFY_OK(rig.start());
    QVERIFY(!rig.engine.canUndoCommit());
    CHRONUS_VERIFY_OK(rig.engine.loadPending(sinePatch(440.0)));
    CHRONUS_VERIFY_OK(rig.engine.commit());
    CHRONUS_VERIFY_OK(rig.engine.setPending("osc", "freq", 660.0));
    CHRONUS_VERIFY_OK(rig.engine.commit());
    {
        const double f = test::estimateFrequency(record(rig, 0.3), kRate);
        QVERIFY2(std::fabs(f - 660.0) < 0.5, qPrintable(QString("measured %1 Hz").arg(f)));
    }
    QVERIFY(rig.engine.canUndoCommit());
    auto undone = rig.engine.undoCommit();
    CHRONUS_VERIFY_OK(undone);
    QVERIFY(std::fabs(test::estimateFrequency(record(rig, 0.3), kRate) - 440.0) < 0.5);
    QVERIFY(rig.engine.committed() == sinePatch(440.0));
}

// A committed groove is heard from its first beat: the warm-up that settles filters and
// envelopes does not eat the first step. The clock's step gate (half a step long) into `out`, from
// silence: the first run of signal after the commit lasts the whole half step.
void TestSlotEngine::newPatchStartsOnItsFirstBeat() {
    // A run in which this shared machine starved or stalled a worker (a block of silence cuts a
    // gate in two; a failover mid-fade) says nothing about where the new patch starts: it runs
    // again on a fresh engine, 3 times at most (a patch that starts late fails every time).
    for (int attempt = 0;; ++attempt) {
        SlotRig rig(testConfig());
        CHRONUS_VERIFY_OK(rig.start());
        PatchGraph groove;
        QVERIFY(groove.addModule("clock", "clock").ok());
        QVERIFY(groove.setParam("clock", "bpm", 175.0).ok());
        QVERIFY(groove.addModule("seq", "sequencer").ok());
        QVERIFY(groove.setText("seq", "pattern", "x...").ok());
        QVERIFY(groove.connect("clock.step", "seq.clock").ok());
        QVERIFY(groove.connect("seq.gate", "out").ok());
        CHRONUS_VERIFY_OK(rig.engine.loadPending(groove));
        CHRONUS_VERIFY_OK(rig.engine.prime());
        rig.recorder.arm();
        QVERIFY(rig.recorder.waitFrames(4800));
        CHRONUS_VERIFY_OK(rig.engine.commit(5.0));
        QVERIFY(rig.recorder.waitFrames(4800 + 48000));
        const std::vector<float> x = leftChannel(rig.recorder.take());
        const EngineStats s = rig.engine.stats();
        if ((totalNoneReads(s) != 0 || s.failovers != 0) && attempt < 2) {
            qWarning("the machine starved or stalled a worker (none-reads %llu, failovers %llu): once more "
                     "on a fresh engine",
                     static_cast<unsigned long long>(totalNoneReads(s)),
                     static_cast<unsigned long long>(s.failovers));
            continue;
        }
        VERIFY_NO_NONE_READS(s);
        if (test::kSanitized && (totalNoneReads(s) != 0 || s.failovers != 0))
            break; // starved three times in a row under a sanitizer: the timing says nothing
        const double step = 60.0 / 175.0 / 4.0 * kRate; // 4114.3 frames
        // Hits on steps 1, 5, 9...: gate high for half a step (the sequencer's default), every hit.
        std::vector<std::size_t> starts, lengths;
        for (std::size_t i = 1; i < x.size(); ++i) {
            if (x[i] != 0.0f && x[i - 1] == 0.0f) {
                std::size_t n = 0;
                while (i + n < x.size() && x[i + n] != 0.0f)
                    ++n;
                starts.push_back(i);
                lengths.push_back(n);
            }
        }
        QVERIFY(starts.size() >= 3);
        qInfo("first hit after the commit: %zu frames of signal, the next %zu (half a step is %.0f)",
              lengths[0], lengths[1], step / 2.0);
        // The first gate starts on the commit's first faded sample and lasts like the others (the
        // sequencer's first gate uses its default step until it has measured the clock: 0.125 s / 2).
        QVERIFY2(std::fabs(static_cast<double>(lengths[1]) - step / 2.0) <= 2.0,
                 "the second hit is not half a step");
        QVERIFY2(
            static_cast<double>(lengths[0]) >= 0.5 * 0.125 * kRate - 2.0,
            qPrintable(QStringLiteral("the first hit lasts %1 frames: its start was lost").arg(lengths[0])));
        QVERIFY(std::fabs(static_cast<double>(starts[1] - starts[0]) - 4.0 * step) <= 1.0);
        break;
    }
}

void TestSlotEngine::commitHasNoClick() {
    // Two sines of different frequency and (arbitrary) phase: the largest sample-to-sample step
    // across the commit is no larger than the largest step within either signal alone.
    SlotRig rig(testConfig());
    CHRONUS_VERIFY_OK(rig.start());
    CHRONUS_VERIFY_OK(rig.engine.loadPending(sinePatch(440.0)));
    CHRONUS_VERIFY_OK(rig.engine.commit());
    // Another oscillator (a new patch, compiled fresh: its own phase), not a glide of the old one.
    CHRONUS_VERIFY_OK(rig.engine.loadPending(sinePatch(660.0, 0.5, "osc2")));
    CHRONUS_VERIFY_OK(rig.engine.prime());
    rig.recorder.arm();
    QVERIFY(rig.recorder.waitFrames(4800));
    auto report = rig.engine.commit(20.0);
    CHRONUS_VERIFY_OK(report);
    QVERIFY(rig.recorder.waitFrames(4800 + 19200));
    std::vector<float> x = leftChannel(rig.recorder.take());
    QVERIFY(test::allFinite(x));
    const float within440 = largestStep(x, 0, 2400);
    const float within660 = largestStep(x, x.size() - 4800, x.size());
    const float across = largestStep(x, 0, x.size());
    qInfo("largest step: 440 Hz alone %.5f, 660 Hz alone %.5f, whole recording across the commit %.5f "
          "(fade correlation %.3f)",
          double(within440), double(within660), double(across), report.value().fadeCorrelation);
    // A constant-power fade of two unrelated signals has gains cos and sin; where both signals'
    // steepest slopes coincide the mix's step is cos·a + sin·b, up to sqrt(a² + b²) (here 1.2 times
    // the larger one). That is the physical bound for any fade that keeps loudness (equal gain stays
    // under max(a, b) but dips 3 dB); the correlation make-up of the adaptive law may add a few
    // percent. A click, a jump between the two waveforms, is a step of up to a + b's amplitudes
    // (here 1.0, twenty times this bound).
    const float bound = std::hypot(within440, within660) * 1.05f;
    QVERIFY(across <= bound);
    VERIFY_NO_NONE_READS(rig.engine.stats());
}

void TestSlotEngine::fadeKeepsLoudnessSteady_data() {
    QTest::addColumn<double>("fromFreq");
    QTest::addColumn<double>("toFreq");
    QTest::addColumn<double>("toGain");
    QTest::addColumn<bool>("sameTimeline");
    QTest::addColumn<int>("law");
    QTest::addColumn<bool>("steady");
    const int adaptive = int(FadeLaw::Adaptive);
    QTest::newRow("identical patch (the in-step mirror)")
        << 440.0 << 440.0 << 0.5 << true << adaptive << true;
    QTest::newRow("small edit (same tone, -0.2 dB)") << 440.0 << 440.0 << 0.49 << false << adaptive << true;
    QTest::newRow("unrelated patch (another tone)") << 440.0 << 587.33 << 0.5 << false << adaptive << true;
    // The measurement catches the fixed laws where they fail:
    QTest::newRow("equal-power on an identical patch bumps")
        << 440.0 << 440.0 << 0.5 << true << int(FadeLaw::EqualPower) << false;
    QTest::newRow("equal-gain on an unrelated patch dips")
        << 440.0 << 587.33 << 0.5 << false << int(FadeLaw::EqualGain) << false;
}

void TestSlotEngine::fadeKeepsLoudnessSteady() {
    QFETCH(double, fromFreq);
    QFETCH(double, toFreq);
    QFETCH(double, toGain);
    QFETCH(bool, sameTimeline);
    QFETCH(int, law);
    QFETCH(bool, steady);
    EngineConfig config = testConfig();
    config.fadeLaw = static_cast<FadeLaw>(law);
    SlotRig rig(config);
    CHRONUS_VERIFY_OK(rig.start());
    CHRONUS_VERIFY_OK(rig.engine.loadPending(sinePatch(fromFreq)));
    CHRONUS_VERIFY_OK(rig.engine.commit());
    // Several commits back and forth, primed at different moments (a freshly compiled patch starts
    // its tone at its own phase; a parameter edit keeps the running one's).
    int attempts = sameTimeline || !steady ? 1 : 8;
    int starved = 0; // measurements spoiled by an empty ring (the machine was too busy), redone
    for (int attempt = 0; attempt < attempts; ++attempt) {
        if (!sameTimeline) {
            CHRONUS_VERIFY_OK(rig.engine.setPending("osc", "freq", attempt % 2 ? fromFreq : toFreq));
            CHRONUS_VERIFY_OK(rig.engine.setPending("osc", "gain", attempt % 2 ? 0.5 : toGain));
        }
        rig.recorder.waitCalls(1 + static_cast<std::uint64_t>(attempt) * 3);
        std::this_thread::sleep_for(std::chrono::microseconds(280 * attempt));
        CHRONUS_VERIFY_OK(rig.engine.prime());
        const std::uint64_t noneBefore = totalNoneReads(rig.engine.stats());
        rig.recorder.arm();
        QVERIFY(rig.recorder.waitFrames(9600));
        auto report = rig.engine.commit(20.0);
        CHRONUS_VERIFY_OK(report);
        QVERIFY(rig.recorder.waitFrames(9600 + 24000));
        std::vector<float> x = leftChannel(rig.recorder.take());
        if (totalNoneReads(rig.engine.stats()) != noneBefore && starved < 3) {
            // A block of silence from a starved ring reads as a level dip that says nothing about
            // the fade law: measure this commit again (none-reads have tests of their own).
            qWarning("none-reads during the measurement (a busy machine): one more commit");
            ++starved;
            ++attempts;
            continue;
        }
        // RMS over the fade: every window as long as the fade (20 ms), slid in 2.5 ms steps over
        // the whole recording, so one of them lies on the fade. An equal-power fade of identical
        // signals would read +2.1 dB there, an equal-gain fade of unrelated ones -1.8 dB.
        const std::size_t window = 960;
        const double steadyBefore = rmsDb(x, 0, 4800);
        const double steadyAfter = rmsDb(x, x.size() - 4800, 4800);
        double worst = 0.0;
        for (std::size_t at = 0; at + window <= x.size(); at += window / 8) {
            const double level = rmsDb(x, at, window);
            const double low = std::min(steadyBefore, steadyAfter),
                         high = std::max(steadyBefore, steadyAfter);
            worst = std::max({worst, low - level, level - high});
        }
        qInfo("steady %.2f dB -> %.2f dB; worst 20 ms window outside that range by %.3f dB; fade correlation "
              "%.3f",
              steadyBefore, steadyAfter, worst, report.value().fadeCorrelation);
        if (!steady) {
            QVERIFY(worst > 1.0);
            return;
        }
        QVERIFY(worst < 0.5);
        if (sameTimeline)
            QCOMPARE(report.value().fadeCorrelation, 1.0);
    }
}

void TestSlotEngine::twoHundredCommitsInARow() {
    EngineConfig config = testConfig();
    config.fadeMs = 5.0;
    config.healthWindowMs = 5.0;
    const double freqs[] = {440.0, 660.0, 880.0};
    // Ten seconds of commits on a shared 2-core VM: a run in which the machine starved or stalled a
    // worker proves nothing about the commits; it runs again on a fresh engine (3 runs at most; an
    // engine that runs dry on its commits fails every time).
    for (int attempt = 0;; ++attempt) {
        SlotRig rig(config);
        CHRONUS_VERIFY_OK(rig.start());
        CHRONUS_VERIFY_OK(rig.engine.loadPending(sinePatch(440.0)));
        CHRONUS_VERIFY_OK(rig.engine.commit());
        const std::uint64_t commitsBefore = rig.engine.stats().commits;
        for (int i = 1; i <= 200; ++i) {
            CHRONUS_VERIFY_OK(rig.engine.setPending("osc", "freq", freqs[i % 3]));
            const int standby = rig.engine.standbySlot();
            auto report = rig.engine.commit();
            CHRONUS_VERIFY_OK(report);
            QCOMPARE(report.value().slot, standby); // to the standby, which becomes the active
            QCOMPARE(rig.engine.stats().commits,
                     commitsBefore + static_cast<std::uint64_t>(i)); // in order, one each
            QCOMPARE(rig.engine.committed().find("osc")->params[0], freqs[i % 3]);
        }
        const EngineStats s = rig.engine.stats();
        qInfo("200 commits: last prime %.2f ms, last commit latency %.2f ms, none-reads %llu, failovers %llu",
              s.lastPrimeMs, s.lastCommitMs, static_cast<unsigned long long>(totalNoneReads(s)),
              static_cast<unsigned long long>(s.failovers));
        if ((totalNoneReads(s) != 0 || s.failovers != 0) && attempt < 2) {
            qWarning(
                "the machine starved or stalled a worker during the commits: once more on a fresh engine");
            continue;
        }
        VERIFY_NO_NONE_READS(s);
        QVERIFY(std::fabs(test::estimateFrequency(record(rig, 0.3), kRate) - freqs[200 % 3]) < 0.5);
        break;
    }
}

void TestSlotEngine::liveChangesReachBothSlotsAtTheSameSample() {
    // Live changes are stamped with one plan frame for both slots: after a burst of them, the
    // mirror still plays exactly what the active plays, so a failover is sample-exact.
    FaultRun run;
    runFault(run, Fault::Stall, 200.0, 4800, 24000, [](SlotRig& rig) {
        for (int i = 0; i < 100; ++i) {
            CHRONUS_VERIFY_OK(rig.engine.setLive("osc", "freq", 440.0 + 2.0 * (i % 20)));
            std::this_thread::sleep_for(std::chrono::microseconds(500));
        }
        CHRONUS_VERIFY_OK(rig.engine.setLive("osc", "freq", 500.0));
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        const int active = rig.engine.activeSlot();
        QVERIFY(waitStats(rig.engine, [&](const EngineStats& st) { return st.slot[1 - active].inStep; }));
    });
    if (QTest::currentTestFailed())
        return;
    const std::vector<float>& x = run.x;
    const EngineStats& s = run.stats;
    // At least the injected stall; this shared machine may add real ones (each one a failover too).
    QVERIFY(s.failovers >= 1);
    VERIFY_NO_NONE_READS(s);
    const std::uint64_t starved = totalNoneReads(s);
    const std::uint64_t late = lateLiveChanges(s);
    const float steady = largestStep(x, 0, 4800);
    const float whole = largestStep(x, 0, x.size());
    qInfo("largest step: before the stall %.5f, whole recording %.5f; failovers %llu, none-reads %llu, late live "
          "changes %llu, chunks the in-step mirror differed from the active %llu (first at plan frame %lld)",
          static_cast<double>(steady), static_cast<double>(whole), static_cast<unsigned long long>(s.failovers),
          static_cast<unsigned long long>(starved), static_cast<unsigned long long>(late),
          static_cast<unsigned long long>(s.mirrorMismatches), static_cast<long long>(s.firstMirrorMismatchFrame));
    // Every change landed at its stamp in both slots (the plain build; a sanitized one, several
    // times slower, reports it, and runFault tried three fresh engines before giving up).
    if (!test::kSanitized)
        QCOMPARE(late, std::uint64_t{0});
    // The two slots' blocks compared where the callback read both in step: the same samples, bit
    // for bit, after every change (two or three of the burst's changes share a block: they land in
    // the order they were sent in both slots).
    if (late == 0)
        QCOMPARE(s.mirrorMismatches, std::uint64_t{0});
    // So the failover keeps to the steady sine's own largest step: a sample-exact cut changes
    // nothing. (A 2-Hz difference for a block shifts one slot's 500-Hz sine by a fraction of a
    // sample: 1.0003 times the steady step after the switch, as sanitized runs measured.)
    if (starved == 0 && late == 0) // starved or late three times in a row under a sanitizer: the steps say nothing
        QVERIFY2(whole <= steady * 1.0001f, "the failover was not sample-exact");
    QVERIFY(std::fabs(test::estimateFrequency(x, kRate) - 500.0) < 0.5);
    QCOMPARE(run.rig->engine.committed().find("osc")->params[0], 500.0);
}

void TestSlotEngine::stallFailsOverToTheMirrorSeamlessly() {
    FaultRun run;
    runFault(run, Fault::Stall, 300.0, 4800, 24000);
    if (QTest::currentTestFailed())
        return;
    SlotRig& rig = *run.rig;
    const std::vector<float>& x = run.x;
    const EngineStats& s = run.stats;
    qInfo("stall: failovers %llu, stalls seen by the supervisor %llu, none-reads %llu",
          static_cast<unsigned long long>(s.failovers), static_cast<unsigned long long>(s.stalls),
          static_cast<unsigned long long>(totalNoneReads(s)));
    QVERIFY(s.failovers >= 1); // the injected stall; the machine may add real ones
    QVERIFY(s.failovers <= s.stalls + s.unhealthyBlocks);
    VERIFY_NO_NONE_READS(s);
    QVERIFY(test::allFinite(x));
    const float steady = largestStep(x, 0, 4800);
    QVERIFY2(largestStep(x, 0, x.size()) <= steady * 1.0001f, "discontinuity at the failover");
    QVERIFY(std::fabs(test::estimateFrequency(x, kRate) - 440.0) < 0.5);
    // The stalled slot is rebuilt in the background as the new mirror, in step again.
    QVERIFY(waitStats(rig.engine, [&](const EngineStats& st) { return st.slot[1 - st.activeSlot].inStep; }));
    QVERIFY(rig.engine.stats().rebuilds >= 1);
    // And editing goes on, to the new standby.
    const int standby = rig.engine.standbySlot();
    QCOMPARE(rig.engine.stats().activeSlot, 1 - standby);
    CHRONUS_VERIFY_OK(rig.engine.setPending("osc", "freq", 660.0));
    auto report = rig.engine.commit();
    CHRONUS_VERIFY_OK(report);
    QCOMPARE(report.value().slot, standby);
}

void TestSlotEngine::mirrorFollowsEditsPrimedInPlace() {
    // Parameter-only edits are primed into the running plan (no restart); a mirror rebuilt after
    // the commit replays them at the same sample, so a failover afterwards is still sample-exact.
    // Twice: on the committed timeline, and on a fresh one (a new module, then a parameter edit).
    SlotRig rig(testConfig());
    CHRONUS_VERIFY_OK(rig.start());
    CHRONUS_VERIFY_OK(rig.engine.loadPending(sinePatch(440.0)));
    CHRONUS_VERIFY_OK(rig.engine.commit());
    for (int round = 0; round < 2; ++round) {
        if (round == 1) {
            CHRONUS_VERIFY_OK(rig.engine.addModule("sub", "sine"));
            CHRONUS_VERIFY_OK(rig.engine.setPending("sub", "freq", 220.0));
            CHRONUS_VERIFY_OK(rig.engine.setPending("sub", "gain", 0.1));
            CHRONUS_VERIFY_OK(rig.engine.connect("sub", "out"));
            CHRONUS_VERIFY_OK(rig.engine.prime()); // compiled afresh
        }
        CHRONUS_VERIFY_OK(rig.engine.setPending("osc", "freq", round ? 550.0 : 495.0));
        CHRONUS_VERIFY_OK(rig.engine.prime()); // in place
        CHRONUS_VERIFY_OK(rig.engine.setPending("osc", "gain", 0.4));
        CHRONUS_VERIFY_OK(rig.engine.commit()); // in place again, then the commit
        const int active = rig.engine.activeSlot();
        QVERIFY(waitStats(rig.engine, [&](const EngineStats& st) { return st.slot[1 - active].inStep; }));
        const std::uint64_t failovers = rig.engine.stats().failovers;
        rig.recorder.arm();
        QVERIFY(rig.recorder.waitFrames(4800));
        rig.engine.injectFault(active, Fault::Stall, 150.0);
        QVERIFY(rig.recorder.waitFrames(4800 + 14400));
        std::vector<float> x = leftChannel(rig.recorder.take());
        QVERIFY(rig.engine.stats().failovers >= failovers + 1);
        const float steady = largestStep(x, 0, 4800);
        if (largestStep(x, 0, x.size()) > steady * 1.0001f && qEnvironmentVariableIsSet("CHRONUS_DUMP")) {
            FILE* f = std::fopen(qPrintable(QString("/tmp/fail-round%1.raw").arg(round)), "wb");
            std::fwrite(x.data(), sizeof(float), x.size(), f);
            std::fclose(f);
        }
        QVERIFY2(
            largestStep(x, 0, x.size()) <= steady * 1.0001f,
            qPrintable(
                QString("round %1: the mirror was not in step after an in-place edit (step %2, steady %3; "
                        "failovers %4 -> %5, stalls %6, late live changes %7, unhealthy %8)")
                    .arg(round)
                    .arg(double(largestStep(x, 0, x.size())))
                    .arg(double(steady))
                    .arg(failovers)
                    .arg(rig.engine.stats().failovers)
                    .arg(rig.engine.stats().stalls)
                    .arg(rig.engine.stats().slot[0].lateLiveChanges +
                         rig.engine.stats().slot[1].lateLiveChanges)
                    .arg(rig.engine.stats().unhealthyBlocks)));
        QVERIFY(
            waitStats(rig.engine, [&](const EngineStats& st) { return st.slot[1 - st.activeSlot].inStep; }));
    }
}

void TestSlotEngine::nanNeverReachesTheOutput() {
    SlotRig rig(testConfig());
    CHRONUS_VERIFY_OK(rig.start());
    CHRONUS_VERIFY_OK(rig.engine.loadPending(sinePatch(440.0)));
    CHRONUS_VERIFY_OK(rig.engine.commit());
    const int active = rig.engine.activeSlot();
    rig.recorder.arm();
    QVERIFY(rig.recorder.waitFrames(2400));
    rig.engine.injectFault(active, Fault::NaN);
    QVERIFY(rig.recorder.waitFrames(2400 + 9600));
    std::vector<float> x = leftChannel(rig.recorder.take());
    QVERIFY(test::allFinite(x));
    const EngineStats s = rig.engine.stats();
    QVERIFY(s.failovers >= 1);
    QVERIFY(s.unhealthyBlocks >= 1);
    QCOMPARE(s.mutedChunks, std::uint64_t{0});
    QVERIFY2(largestStep(x, 0, x.size()) <= largestStep(x, 0, 2400) * 1.0001f,
             "discontinuity at the failover");
    QVERIFY(waitStats(rig.engine, [&](const EngineStats& st) { return st.slot[1 - st.activeSlot].inStep; }));
}

void TestSlotEngine::workerExceptionFailsOverAndRebuilds() {
    FaultRun run;
    runFault(run, Fault::Exception, 0.0, 2400, 9600);
    if (QTest::currentTestFailed())
        return;
    SlotRig& rig = *run.rig;
    const std::vector<float>& x = run.x;
    const EngineStats& s = run.stats;
    const int active = run.active;
    QCOMPARE(s.slot[active].workerExceptions, std::uint64_t{1});
    QVERIFY(s.failovers >= 1);
    VERIFY_NO_NONE_READS(s);
    QVERIFY2(largestStep(x, 0, x.size()) <= largestStep(x, 0, 2400) * 1.0001f,
             "discontinuity at the failover");
    // Rebuilt: back in step as the mirror (or, if the machine stalled the other one since, active).
    QVERIFY(waitStats(rig.engine, [&](const EngineStats& st) {
        return st.slot[1 - st.activeSlot].inStep && st.slot[active].state != SlotState::Failed;
    }));
}

void TestSlotEngine::unhealthyCommitRollsBack_data() {
    QTest::addColumn<bool>("nan");
    QTest::newRow("runaway level") << false;
    QTest::newRow("NaN") << true;
}

void TestSlotEngine::unhealthyCommitRollsBack() {
    QFETCH(bool, nan);
    EngineConfig config = testConfig();
    config.runawayLevel = 1.5; // so a loud sine counts as a runaway
    SlotRig rig(config);
    CHRONUS_VERIFY_OK(rig.start());
    CHRONUS_VERIFY_OK(rig.engine.loadPending(sinePatch(440.0)));
    CHRONUS_VERIFY_OK(rig.engine.commit());
    const int active = rig.engine.activeSlot();
    if (nan) {
        CHRONUS_VERIFY_OK(rig.engine.setPending("osc", "freq", 660.0));
        CHRONUS_VERIFY_OK(rig.engine.prime());
        rig.engine.injectFault(1 - active, Fault::NaN); // its next block, heard during the fade
    } else {
        CHRONUS_VERIFY_OK(rig.engine.setPending("osc", "gain", 1.0));
        CHRONUS_VERIFY_OK(rig.engine.setPending("out", "level", 2.0)); // peak 2 > 1.5
    }
    rig.recorder.arm();
    auto report = rig.engine.commit();
    QVERIFY(!report.ok());
    QCOMPARE(report.status().code(), ErrorCode::RolledBack);
    qInfo("%s", report.status().message().c_str());
    QVERIFY(rig.recorder.waitFrames(9600));
    std::vector<float> x = leftChannel(rig.recorder.take());
    QVERIFY(test::allFinite(x));
    // Nothing above the runaway level was heard: the new patch's level ramps up (its parameters
    // changed in place) and the first block above the level ends the fade; the NaN comes mid-fade.
    QVERIFY(test::peak(x) <= 1.5f);
    const EngineStats s = rig.engine.stats();
    QCOMPARE(s.rollbacks, std::uint64_t{1});
    QCOMPARE(s.activeSlot, active);
    QCOMPARE(rig.engine.activeSlot(), active);
    QVERIFY(rig.engine.committed() == sinePatch(440.0));        // untouched
    QVERIFY(!(rig.engine.pending() == rig.engine.committed())); // the edit stays pending, to fix
    QVERIFY(std::fabs(test::estimateFrequency(record(rig, 0.3), kRate) - 440.0) < 0.5);
    // Fixing the pending patch and committing works.
    CHRONUS_VERIFY_OK(rig.engine.abort());
    CHRONUS_VERIFY_OK(rig.engine.setPending("osc", "freq", 660.0));
    CHRONUS_VERIFY_OK(rig.engine.commit());
    QVERIFY(std::fabs(test::estimateFrequency(record(rig, 0.3), kRate) - 660.0) < 0.5);
}

void TestSlotEngine::coldMirrorDoesNotRender() {
    SlotRig rig(testConfig());
    CHRONUS_VERIFY_OK(rig.start());
    CHRONUS_VERIFY_OK(rig.engine.loadPending(sinePatch(440.0)));
    CHRONUS_VERIFY_OK(rig.engine.commit());
    const int standby = rig.engine.standbySlot();
    // The old active becomes a mirror in the background (compile, replay, catch up with the
    // output): those renders are the re-sync's, not the hot mirror's. Wait until it is in step.
    QVERIFY(waitStats(
        rig.engine, [&](const EngineStats& s) { return s.slot[standby].inStep; }, 20000));
    const auto rendered = [&] { return rig.engine.stats().slot[standby].blocksRendered; };
    std::uint64_t before = rendered();
    rig.recorder.waitCalls(100);
    QVERIFY(rendered() > before + 50); // hot: the mirror renders along
    rig.engine.setHotMirror(false);
    rig.recorder.waitCalls(4);
    // Cold: it keeps its ring and renders nothing, unless the active ran dry or stalled in the
    // meantime (a busy or sanitized machine): then the callback reads the mirror as its failover
    // target, by design, and may make it the active (see disturbed()). Such a window proves nothing either
    // way; look again at whichever slot is the standby then (at most 3 times).
    int mirror = standby;
    for (int look = 0;; ++look) {
        const EngineStats s0 = rig.engine.stats();
        mirror = 1 - s0.activeSlot;
        before = s0.slot[mirror].blocksRendered;
        rig.recorder.waitCalls(100);
        const EngineStats s1 = rig.engine.stats();
        const bool quiet = !disturbed(s0, s1) && s1.activeSlot == s0.activeSlot;
        if (quiet || look == 3) {
            QCOMPARE(s1.slot[mirror].blocksRendered, before);
            break;
        }
        qWarning("the active ran dry or failed over during the cold window (a busy machine): looking again");
        // A failover rebuilds the other slot; let it settle before the next look.
        waitStats(
            rig.engine, [&](const EngineStats& s) { return s.slot[1 - s.activeSlot].inStep; }, 20000);
    }
    QVERIFY(!rig.engine.stats().hotMirror);
    rig.engine.setHotMirror(true);
    rig.recorder.waitCalls(100);
    QVERIFY(rig.engine.stats().slot[mirror].blocksRendered > before);
}

void TestSlotEngine::commitWithoutAudioTimesOutAndSwitchesNothing() {
    SlotEngine engine(testConfig());
    CHRONUS_VERIFY_OK(engine.start()); // no driver: nobody calls process()
    CHRONUS_VERIFY_OK(engine.loadPending(sinePatch(440.0)));
    auto report = engine.commit(-1.0, std::chrono::milliseconds(200));
    QVERIFY(!report.ok());
    QCOMPARE(report.status().code(), ErrorCode::Timeout);
    QVERIFY(report.status().message().find("nothing switched") != std::string::npos);
    QCOMPARE(engine.activeSlot(), 0);
    QCOMPARE(engine.stats().commits, std::uint64_t{0});
    QVERIFY(engine.committed() == PatchGraph{});
    engine.stop();
}

void TestSlotEngine::liveChangesAndEditsDoNotWaitForACommitsFade() {
    // A knob turned while a commit fades (a 2 s fade here) moves the sound at once, and edits made
    // meanwhile do not wait either: each call returns while the commit still fades. The live change
    // is in what plays after the commit; the edits are pending and reach the new standby, so the
    // next commit plays them.
    SlotRig rig(testConfig());
    CHRONUS_VERIFY_OK(rig.start());
    CHRONUS_VERIFY_OK(rig.engine.loadPending(sinePatch(440.0)));
    CHRONUS_VERIFY_OK(rig.engine.commit());
    CHRONUS_VERIFY_OK(rig.engine.setPending("osc", "freq", 660.0));
    CHRONUS_VERIFY_OK(rig.engine.prime());
    std::atomic<bool> reported{false};
    OperationEvent outcome;
    const std::uint64_t ticket = rig.engine.submit(SlotOperation::Commit, [&](const OperationEvent& e) {
        outcome = e;
        reported.store(true, std::memory_order_release);
    }, 2000.0);
    QVERIFY(ticket != 0);
    QVERIFY(waitStats(rig.engine, [](const EngineStats& st) { return st.fading; }));
    const auto duringTheFade = [&] { return !reported.load(std::memory_order_acquire) && rig.engine.stats().fading; };
    auto live = rig.engine.setLive("osc", "freq", 770.0);
    const bool liveReturnedDuringTheFade = duringTheFade();
    CHRONUS_VERIFY_OK(live);
    CHRONUS_VERIFY_OK(rig.engine.setPending("osc", "gain", 0.25));
    CHRONUS_VERIFY_OK(rig.engine.addModule("sub", "sine"));
    CHRONUS_VERIFY_OK(rig.engine.setPending("sub", "freq", 110.0));
    CHRONUS_VERIFY_OK(rig.engine.connect("sub", "out"));
    const bool editsReturnedDuringTheFade = duringTheFade();
    QVERIFY(!rig.engine.connect("sub", "out")); // validated at once, like any edit
    rig.engine.waitForOperations();
    QVERIFY2(liveReturnedDuringTheFade, "setLive waited for the commit's fade");
    QVERIFY2(editsReturnedDuringTheFade, "an edit waited for the commit's fade");
    QVERIFY(reported.load());
    QCOMPARE(outcome.ticket, ticket);
    QCOMPARE(outcome.operation, SlotOperation::Commit);
    QCOMPARE(outcome.outcome, OperationOutcome::Done);
    QCOMPARE(outcome.report.slot, rig.engine.activeSlot());
    // What the commit took: the patch as it was when it began, with the live change made meanwhile.
    QCOMPARE(rig.engine.committed().find("osc")->params[0], 770.0);
    QCOMPARE(rig.engine.committed().find("osc")->params[1], 0.5);
    QVERIFY(!rig.engine.committed().find("sub"));
    const std::vector<float> x = record(rig, 0.2);
    QVERIFY(std::fabs(test::estimateFrequency(x, kRate) - 770.0) < 0.5);
    QCOMPARE(rig.engine.pending().find("osc")->params[1], 0.25);
    QVERIFY(rig.engine.pending().find("sub"));
    // The new standby got those edits: committing them plays the 110 Hz sub and the quieter osc.
    QVERIFY(test::toneLevelDb(x, kRate, 110.0) < -60.0);
    const double oscBefore = test::toneLevelDb(x, kRate, 770.0);
    CHRONUS_VERIFY_OK(rig.engine.commit());
    QVERIFY(rig.engine.committed() == rig.engine.pending());
    const std::vector<float> y = record(rig, 0.3);
    QVERIFY(test::toneLevelDb(y, kRate, 110.0) > -30.0);
    QVERIFY(std::fabs(test::toneLevelDb(y, kRate, 770.0) - (oscBefore - 6.02)) < 0.5); // gain 0.5 -> 0.25
    const EngineStats s = rig.engine.stats();
    QCOMPARE(s.slot[rig.engine.activeSlot()].editErrors, std::uint64_t{0});
    VERIFY_NO_NONE_READS(s);
}

void TestSlotEngine::operationsReportTheirOutcomesInOrder() {
    // Submitted operations return at once and run one after another; each outcome is an event.
    SlotRig rig(testConfig());
    CHRONUS_VERIFY_OK(rig.start());
    std::mutex mutex;
    std::vector<OperationEvent> events;
    const auto collect = [&](const OperationEvent& e) {
        std::lock_guard lock(mutex);
        events.push_back(e);
    };
    CHRONUS_VERIFY_OK(rig.engine.loadPending(sinePatch(440.0)));
    std::vector<std::uint64_t> tickets;
    tickets.push_back(rig.engine.submit(SlotOperation::UndoCommit, collect)); // nothing to undo yet
    tickets.push_back(rig.engine.submit(SlotOperation::Prime, collect));
    tickets.push_back(rig.engine.submit(SlotOperation::Commit, collect));
    tickets.push_back(rig.engine.submit(SlotOperation::UndoCommit, collect));
    tickets.push_back(rig.engine.submit(SlotOperation::Abort, collect));
    rig.engine.waitForOperations();
    std::lock_guard lock(mutex);
    QCOMPARE(events.size(), std::size_t{5});
    for (std::size_t i = 0; i < events.size(); ++i)
        QCOMPARE(events[i].ticket, tickets[i]);
    QCOMPARE(events[0].outcome, OperationOutcome::Refused);
    QVERIFY(events[0].status.message().find("nothing to undo") != std::string::npos);
    QCOMPARE(events[1].outcome, OperationOutcome::Done);
    QVERIFY(events[1].primeMs > 0.0);
    QCOMPARE(events[2].outcome, OperationOutcome::Done);
    QCOMPARE(events[2].operation, SlotOperation::Commit);
    QCOMPARE(events[3].outcome, OperationOutcome::Done); // back to the empty patch
    QCOMPARE(events[3].report.slot, 1 - events[2].report.slot);
    QCOMPARE(events[4].outcome, OperationOutcome::Done);
    QVERIFY(rig.engine.committed() == PatchGraph{});
    QCOMPARE(rig.engine.stats().commits, std::uint64_t{2});
}

void TestSlotEngine::operationsOutcomesSayWhatWentWrong() {
    // No audio callback: a commit times out and switches nothing; stop() refuses what is queued.
    SlotEngine engine(testConfig());
    CHRONUS_VERIFY_OK(engine.start()); // no driver: nobody calls process()
    CHRONUS_VERIFY_OK(engine.loadPending(sinePatch(440.0)));
    std::mutex mutex;
    std::vector<OperationEvent> events;
    const auto collect = [&](const OperationEvent& e) {
        std::lock_guard lock(mutex);
        events.push_back(e);
    };
    engine.submit(SlotOperation::Commit, collect, -1.0, std::chrono::milliseconds(200));
    engine.waitForOperations();
    {
        std::lock_guard lock(mutex);
        QCOMPARE(events.size(), std::size_t{1});
        QCOMPARE(events[0].outcome, OperationOutcome::TimedOut);
        QVERIFY(events[0].status.message().find("nothing switched") != std::string::npos);
    }
    // Nothing switched, nothing was lost: the pending patch still edits and primes.
    CHRONUS_VERIFY_OK(engine.setPending("osc", "freq", 220.0));
    CHRONUS_VERIFY_OK(engine.prime());
    for (int i = 0; i < 3; ++i)
        engine.submit(SlotOperation::Commit, collect, -1.0, std::chrono::milliseconds(300));
    engine.stop();
    engine.waitForOperations();
    std::lock_guard lock(mutex);
    QCOMPARE(events.size(), std::size_t{4});
    // The one running when stop() came (if one had started) times out; those behind it are refused.
    QVERIFY(events[1].outcome == OperationOutcome::TimedOut || events[1].outcome == OperationOutcome::Refused);
    for (std::size_t i = 2; i < 4; ++i) {
        QCOMPARE(events[i].outcome, OperationOutcome::Refused);
        QCOMPARE(events[i].status.code(), ErrorCode::NotRunning);
    }
    QVERIFY(engine.committed() == PatchGraph{});
}

QTEST_GUILESS_MAIN(TestSlotEngine)
#include "tst_slot_engine.moc"
