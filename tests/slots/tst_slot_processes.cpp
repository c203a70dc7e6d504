// Slot workers in processes of their own (WorkerMode::Processes): a worker that dies — killed,
// crashed in a module, aborted, hung in an endless loop, out of memory — costs its slot, not the
// music. The callback fails over to the mirror without a gap or a click, the supervisor starts a
// new worker, which rebuilds the committed patch and becomes an in-step mirror again, and the stats
// say who died, how, and in which module. Played through the clock-paced null driver; the same
// faults on a JACK server are in tst_slot_jack.

#include "SlotRig.hpp"
#include "engine/EngineTestUtils.hpp"
#include "support/Sanitized.hpp"
#include "support/SignalAnalysis.hpp"

#include <QTest>

#include <csignal>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <sys/types.h>
#include <unistd.h>

#if defined(__SANITIZE_THREAD__)
// The engine starts its workers with posix_spawn (clone(CLONE_VM | CLONE_VFORK), then exec), which
// ThreadSanitizer takes for a fork of a multi-threaded process; it is not one.
extern "C" const char* __tsan_default_options() { return "die_after_fork=0"; }
#endif

using namespace chronus;
using namespace chronus::engine;
using chronus::test::leftChannel;
using chronus::test::largestStep;
using chronus::test::sinePatch;
using chronus::test::SlotRig;
using chronus::test::waitStats;
using chronus::test::totalNoneReads;

namespace {
constexpr double kRate = 48000.0;

EngineConfig processConfig() {
    EngineConfig c;
    c.sampleRate = kRate;
    c.blockSize = 64;
    c.ringTargetBlocks = 6;
    c.healthWindowMs = 20.0;
    c.workers = WorkerMode::Processes;
    c.workerMemoryLimitBytes = std::size_t{384} << 20; // the Exhaust fault stops here
    c.hangKillMs = 300.0;
    return c;
}

bool processExists(int pid) { return pid > 0 && ::kill(pid, 0) == 0; }

// The lines of /proc/PID/maps (PID "self" for this process) that map the wavetables' shared object.
std::vector<std::string> wavetableMappings(const std::string& pid) {
    std::ifstream maps("/proc/" + pid + "/maps");
    std::vector<std::string> found;
    for (std::string line; std::getline(maps, line);)
        if (line.find("memfd:chronus-wavetables") != std::string::npos)
            found.push_back(line);
    return found;
}

// "r--s 00000000 00:01 36794": permissions, offset, device and inode of a maps line.
std::string mappedObject(const std::string& line) {
    std::istringstream in(line);
    std::string range, perms, offset, device, inode;
    in >> range >> perms >> offset >> device >> inode;
    return perms + " " + offset + " " + device + " " + inode;
}

// How a fault is made: a signal from outside, or a test hook inside the worker.
enum class How { Kill9, Crash, Abort, Hang, Exhaust };
} // namespace

class TestSlotProcesses : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void workersAreProcesses();
    void workersReadTheEnginesWavetables();
    void activeWorkerDiesWithoutAGap_data();
    void activeWorkerDiesWithoutAGap();
    void mirrorWorkerDiesUnheard();
    void pendingEditsSurviveTheStandbysDeath();
    void workersDieWithTheEngine();
    void twentyKillsInARow();
    void aWorkerThatKeepsDyingIsRestartedWithBackoff();
    void aMirrorsSuccessorIsInStepHoweverLongThePatchPlayed();
};

void TestSlotProcesses::initTestCase() {
    qputenv("CHRONUS_SLOT_WORKER", CHRONUS_SLOT_WORKER_BINARY);
}

void TestSlotProcesses::workersAreProcesses() {
    SlotRig rig(processConfig());
    CHRONUS_VERIFY_OK(rig.start());
    const EngineStats s = rig.engine.stats();
    QCOMPARE(s.workers, WorkerMode::Processes);
    for (const SlotStats& slot : s.slot) {
        QVERIFY(slot.pid > 0);
        QVERIFY(slot.pid != ::getpid());
        QVERIFY(processExists(slot.pid));
        // The worker is our child, in a process group of its own (Ctrl+C is the engine's to handle).
        std::ifstream stat("/proc/" + std::to_string(slot.pid) + "/stat");
        std::string pid, comm, state;
        long ppid = 0, pgrp = 0;
        stat >> pid >> comm >> state >> ppid >> pgrp;
        QCOMPARE(ppid, static_cast<long>(::getpid()));
        QCOMPARE(pgrp, static_cast<long>(slot.pid));
    }
    QVERIFY(s.slot[0].pid != s.slot[1].pid);
}

void TestSlotProcesses::workersReadTheEnginesWavetables() {
    // Both workers' oscillators read the engine's one copy of the wavetables (a worker thread reads
    // its process's): two private copies made a worker process render slower than a thread.
    // Mapped read-only from a sealed object, so no worker can change what the other reads.
    SlotRig rig(processConfig());
    CHRONUS_VERIFY_OK(rig.start());
    CHRONUS_VERIFY_OK(rig.engine.loadPending(sinePatch(440.0)));
    CHRONUS_VERIFY_OK(rig.engine.commit());
    QVERIFY(waitStats(rig.engine, [](const EngineStats& st) { return st.slot[1 - st.activeSlot].inStep; }, 8000));
    const std::vector<std::string> engine = wavetableMappings("self");
    QCOMPARE(engine.size(), std::size_t{1});
    const std::string object = mappedObject(engine.front());
    QVERIFY2(object.starts_with("r--s "), engine.front().c_str());
    for (const SlotStats& slot : rig.engine.stats().slot) {
        const std::vector<std::string> worker = wavetableMappings(std::to_string(slot.pid));
        QCOMPARE(worker.size(), std::size_t{1});
        QCOMPARE(mappedObject(worker.front()), object);
    }
    const std::vector<float> y = test::recordUndisturbed(rig.engine, rig.recorder, 9600);
    QVERIFY(std::fabs(test::estimateFrequency(y, kRate) - 440.0) < 0.5);
}

void TestSlotProcesses::activeWorkerDiesWithoutAGap_data() {
    QTest::addColumn<How>("how");
    QTest::addColumn<QString>("reason");
    QTest::newRow("kill -9") << How::Kill9 << "killed by SIGKILL (signal 9)";
    QTest::newRow("segfault in a module") << How::Crash << "killed by SIGSEGV (signal 11)";
    QTest::newRow("abort") << How::Abort << "killed by SIGABRT (signal 6)";
    QTest::newRow("endless loop") << How::Hang << "hung (rendered nothing for 300 ms) and was killed";
    QTest::newRow("out of memory") << How::Exhaust << "";
}

void TestSlotProcesses::activeWorkerDiesWithoutAGap() {
    QFETCH(How, how);
    QFETCH(QString, reason);
    if (how == How::Exhaust && test::kSanitized)
        QSKIP("a sanitizer's shadow memory is more address space than any limit: no memory limit to reach");
    for (int attempt = 0;; ++attempt) {
        SlotRig rig(processConfig());
        CHRONUS_VERIFY_OK(rig.start());
        CHRONUS_VERIFY_OK(rig.engine.loadPending(sinePatch(440.0)));
        CHRONUS_VERIFY_OK(rig.engine.commit());
        const int active = rig.engine.activeSlot();
        QVERIFY(waitStats(rig.engine, [&](const EngineStats& st) { return st.slot[1 - active].inStep; }));
        const int victim = rig.engine.stats().slot[static_cast<std::size_t>(active)].pid;
        rig.recorder.arm();
        QVERIFY(rig.recorder.waitFrames(4800));
        switch (how) {
        case How::Kill9: ::kill(victim, SIGKILL); break;
        case How::Crash: rig.engine.injectFault(active, Fault::Crash, 0.0, "osc"); break;
        case How::Abort: rig.engine.injectFault(active, Fault::Abort, 0.0, "osc"); break;
        case How::Hang: rig.engine.injectFault(active, Fault::Hang, 0.0, "osc"); break;
        case How::Exhaust: rig.engine.injectFault(active, Fault::Exhaust, 0.0, "osc"); break;
        }
        QVERIFY(rig.recorder.waitFrames(4800 + 24000));
        const std::vector<float> x = leftChannel(rig.recorder.take());
        const EngineStats s = rig.engine.stats();
        if (totalNoneReads(s) != 0 && attempt < 2) {
            qWarning("the machine starved the mirror too (none-reads): once more on a fresh engine");
            continue;
        }
        qInfo("failovers %llu, none-reads %llu, largest step %.5f (steady %.5f)",
              static_cast<unsigned long long>(s.failovers), static_cast<unsigned long long>(totalNoneReads(s)),
              double(largestStep(x, 0, x.size())), double(largestStep(x, 0, 4800)));
        QVERIFY(s.failovers >= 1);
        CHRONUS_VERIFY_NO_NONE_READS(totalNoneReads(s));
        QVERIFY(test::allFinite(x));
        QVERIFY2(largestStep(x, 0, x.size()) <= largestStep(x, 0, 4800) * 1.0001f, "discontinuity at the failover");
        QVERIFY(std::fabs(test::estimateFrequency(x, kRate) - 440.0) < 0.5);
        // The mirror plays now; the dead slot comes back as its in-step mirror, in a new process
        // (out of memory: the allocation failed inside the worker, which lives and rebuilds). A
        // stall the loaded machine causes may swap the roles once more meanwhile: whichever plays,
        // the other is an in-step mirror again.
        QVERIFY(waitStats(rig.engine, [&](const EngineStats& st) {
            const SlotStats& d = st.slot[static_cast<std::size_t>(active)];
            return (how == How::Exhaust ? d.workerExceptions >= 1 : d.restarts == 1) && st.slot[1 - st.activeSlot].inStep;
        }));
        const SlotStats dead = rig.engine.stats().slot[static_cast<std::size_t>(active)];
        if (how == How::Exhaust) {
            QCOMPARE(dead.pid, victim);
        } else {
            QVERIFY(dead.pid > 0 && dead.pid != victim);
            QVERIFY(!processExists(victim));
            if (how == How::Crash && test::kSanitized) // AddressSanitizer reports the SIGSEGV and exits 1
                QVERIFY(!dead.lastExit.empty());
            else
                QCOMPARE(QString::fromStdString(dead.lastExit), reason);
            if (how != How::Kill9)
                QCOMPARE(QString::fromStdString(dead.lastExitModule), QStringLiteral("osc (sine)"));
        }
        // Editing goes on, through whichever slot is standby now.
        const int standby = rig.engine.standbySlot();
        CHRONUS_VERIFY_OK(rig.engine.setPending("osc", "freq", 660.0));
        auto report = rig.engine.commit();
        CHRONUS_VERIFY_OK(report);
        QCOMPARE(report.value().slot, standby);
        const std::vector<float> y = test::recordUndisturbed(rig.engine, rig.recorder, 9600);
        QVERIFY(std::fabs(test::estimateFrequency(y, kRate) - 660.0) < 0.5);
        return;
    }
}

void TestSlotProcesses::mirrorWorkerDiesUnheard() {
    SlotRig rig(processConfig());
    CHRONUS_VERIFY_OK(rig.start());
    CHRONUS_VERIFY_OK(rig.engine.loadPending(sinePatch(440.0)));
    CHRONUS_VERIFY_OK(rig.engine.commit());
    const int active = rig.engine.activeSlot();
    QVERIFY(waitStats(rig.engine, [&](const EngineStats& st) { return st.slot[1 - active].inStep; }));
    const EngineStats before = rig.engine.stats();
    rig.recorder.arm();
    QVERIFY(rig.recorder.waitFrames(4800));
    ::kill(before.slot[static_cast<std::size_t>(1 - active)].pid, SIGKILL);
    QVERIFY(rig.recorder.waitFrames(4800 + 14400));
    const std::vector<float> x = leftChannel(rig.recorder.take());
    QVERIFY(waitStats(rig.engine, [&](const EngineStats& st) {
        return st.slot[static_cast<std::size_t>(1 - active)].restarts == 1 && st.slot[1 - active].inStep;
    }));
    const EngineStats s = rig.engine.stats();
    QCOMPARE(s.activeSlot, active);
    QCOMPARE(s.failovers, before.failovers);
    CHRONUS_VERIFY_NO_NONE_READS(totalNoneReads(s));
    QVERIFY(largestStep(x, 0, x.size()) <= largestStep(x, 0, 4800) * 1.0001f);
}

void TestSlotProcesses::pendingEditsSurviveTheStandbysDeath() {
    // The standby holds edits nobody committed yet: its worker dies; the new worker gets them
    // again from the controller, and the commit plays them.
    SlotRig rig(processConfig());
    CHRONUS_VERIFY_OK(rig.start());
    CHRONUS_VERIFY_OK(rig.engine.loadPending(sinePatch(440.0)));
    CHRONUS_VERIFY_OK(rig.engine.commit());
    CHRONUS_VERIFY_OK(rig.engine.addModule("sub", "sine"));
    CHRONUS_VERIFY_OK(rig.engine.setPending("sub", "freq", 1000.0));
    CHRONUS_VERIFY_OK(rig.engine.connect("sub", "out"));
    CHRONUS_VERIFY_OK(rig.engine.setPending("osc", "gain", 0.0));
    const int standby = rig.engine.standbySlot();
    ::kill(rig.engine.stats().slot[static_cast<std::size_t>(standby)].pid, SIGKILL);
    QVERIFY(waitStats(rig.engine, [&](const EngineStats& st) {
        return st.slot[static_cast<std::size_t>(standby)].restarts == 1 && st.slot[static_cast<std::size_t>(standby)].pid > 0;
    }));
    auto report = rig.engine.commit();
    CHRONUS_VERIFY_OK(report);
    const std::vector<float> y = test::recordUndisturbed(rig.engine, rig.recorder, 9600);
    QVERIFY(std::fabs(test::estimateFrequency(y, kRate) - 1000.0) < 1.0);
}

void TestSlotProcesses::workersDieWithTheEngine() {
    std::array<int, 2> pids{};
    {
        SlotRig rig(processConfig());
        CHRONUS_VERIFY_OK(rig.start());
        for (int i = 0; i < 2; ++i)
            pids[static_cast<std::size_t>(i)] = rig.engine.stats().slot[static_cast<std::size_t>(i)].pid;
    }
    for (int pid : pids)
        QVERIFY(!processExists(pid)); // stopped and reaped
}

void TestSlotProcesses::twentyKillsInARow() {
    // Kill whichever worker plays, twenty times, each as soon as the other is an in-step mirror
    // again: every one fails over without a none-read or a click.
    SlotRig rig(processConfig(), 60);
    CHRONUS_VERIFY_OK(rig.start());
    CHRONUS_VERIFY_OK(rig.engine.loadPending(sinePatch(440.0)));
    CHRONUS_VERIFY_OK(rig.engine.commit());
    QVERIFY(waitStats(rig.engine, [&](const EngineStats& st) { return st.slot[1 - st.activeSlot].inStep; }));
    rig.recorder.arm();
    QVERIFY(rig.recorder.waitFrames(4800));
    const EngineStats before = rig.engine.stats();
    for (int kill = 0; kill < 20; ++kill) {
        const EngineStats s = rig.engine.stats();
        ::kill(s.slot[static_cast<std::size_t>(s.activeSlot)].pid, SIGKILL);
        QVERIFY2(waitStats(rig.engine, [&](const EngineStats& st) {
                     return st.activeSlot != s.activeSlot && st.slot[static_cast<std::size_t>(s.activeSlot)].inStep;
                 }),
                 qPrintable(QStringLiteral("kill %1: no in-step mirror again").arg(kill)));
    }
    const std::vector<float> x = leftChannel(rig.recorder.take());
    const EngineStats s = rig.engine.stats();
    qInfo("20 kills: %zu frames recorded, failovers %llu, restarts %llu, none-reads %llu", x.size(),
          static_cast<unsigned long long>(s.failovers - before.failovers),
          static_cast<unsigned long long>(s.workerRestarts), static_cast<unsigned long long>(totalNoneReads(s)));
    QCOMPARE(s.workerRestarts, std::uint64_t{20});
    CHRONUS_VERIFY_NO_NONE_READS(totalNoneReads(s));
    QVERIFY(test::allFinite(x));
    QVERIFY(largestStep(x, 0, x.size()) <= largestStep(x, 0, 4800) * 1.0001f);
}

void TestSlotProcesses::aWorkerThatKeepsDyingIsRestartedWithBackoff() {
    // A worker that dies before it ever plays is in a crash loop: restarts come 0, 0, 0.1, 0.2,
    // 0.4 ... 5 s apart, not as fast as the machine can fork. Made deterministic by pointing the
    // engine at a "worker" that exits at once (/bin/false) for a while.
    SlotRig rig(processConfig());
    CHRONUS_VERIFY_OK(rig.start());
    CHRONUS_VERIFY_OK(rig.engine.loadPending(sinePatch(440.0)));
    CHRONUS_VERIFY_OK(rig.engine.commit());
    const int active = rig.engine.activeSlot();
    QVERIFY(waitStats(rig.engine, [&](const EngineStats& st) { return st.slot[1 - active].inStep; }));
    // The standby holds an edit: its successor is a fresh process (a mirror's would be a copy of
    // the playing worker, which /bin/false does not affect).
    CHRONUS_VERIFY_OK(rig.engine.setPending("osc", "freq", 550.0));
    qputenv("CHRONUS_SLOT_WORKER", "/bin/false");
    ::kill(rig.engine.stats().slot[static_cast<std::size_t>(1 - active)].pid, SIGKILL);
    QTest::qWait(2000);
    const EngineStats looping = rig.engine.stats();
    const SlotStats& dying = looping.slot[static_cast<std::size_t>(1 - active)];
    qInfo("restarts in 2 s of a crash loop: %llu, last exit: %s", static_cast<unsigned long long>(dying.restarts),
          dying.lastExit.c_str());
    QVERIFY(dying.restarts >= 3);
    QVERIFY(dying.restarts <= 8); // 0 + 0 + 0.1 + 0.2 + 0.4 + 0.8 s: 6 restarts fit in 2 s
    QCOMPARE(QString::fromStdString(dying.lastExit), QStringLiteral("exited with code 1"));
    QCOMPARE(looping.activeSlot, active); // the music never moved
    qputenv("CHRONUS_SLOT_WORKER", CHRONUS_SLOT_WORKER_BINARY);
    // The next restart (at most 5 s away) gets a real worker again, which gets the edit back.
    QVERIFY(waitStats(rig.engine, [&](const EngineStats& st) { return st.slot[1 - active].pid > 0; }, 8000));
    auto report = rig.engine.commit();
    CHRONUS_VERIFY_OK(report);
    const std::vector<float> y = test::recordUndisturbed(rig.engine, rig.recorder, 9600);
    QVERIFY(std::fabs(test::estimateFrequency(y, kRate) - 550.0) < 0.5);
    CHRONUS_VERIFY_NO_NONE_READS(totalNoneReads(rig.engine.stats()));
}

void TestSlotProcesses::aMirrorsSuccessorIsInStepHoweverLongThePatchPlayed() {
    // A fresh worker would have to replay everything since the commit to be in step (and gives up
    // past maxCatchUpSeconds); the successor of a mirror is a copy of the playing worker instead,
    // in step at once. Here the patch plays 4x longer than a replay may be.
    EngineConfig config = processConfig();
    config.maxCatchUpSeconds = 0.5;
    SlotRig rig(config);
    CHRONUS_VERIFY_OK(rig.start());
    CHRONUS_VERIFY_OK(rig.engine.loadPending(sinePatch(440.0)));
    CHRONUS_VERIFY_OK(rig.engine.commit());
    CHRONUS_VERIFY_OK(rig.engine.setLive("osc", "freq", 441.0)); // history to replay
    const int active = rig.engine.activeSlot();
    rig.recorder.arm();
    QVERIFY(rig.recorder.waitFrames(static_cast<std::size_t>(2.0 * kRate)));
    for (int round = 0; round < 3; ++round) {
        const EngineStats s = rig.engine.stats();
        ::kill(s.slot[static_cast<std::size_t>(1 - s.activeSlot)].pid, SIGKILL); // the mirror
        QVERIFY(waitStats(rig.engine, [&](const EngineStats& st) {
            return st.workerRestarts == s.workerRestarts + 1 && st.slot[1 - st.activeSlot].inStep;
        }, 3000));
        ::kill(rig.engine.stats().slot[static_cast<std::size_t>(rig.engine.stats().activeSlot)].pid, SIGKILL); // and the one that plays
        const bool back = waitStats(rig.engine, [&](const EngineStats& st) {
            return st.workerRestarts == s.workerRestarts + 2 && st.slot[1 - st.activeSlot].inStep;
        }, 3000);
        if (!back) {
            const EngineStats st = rig.engine.stats();
            qInfo("round %d: active %d, states %s/%s, pids %d/%d, in step %d/%d, restarts %llu, last exits '%s' '%s'", round,
                  st.activeSlot, slotStateName(st.slot[0].state), slotStateName(st.slot[1].state), st.slot[0].pid,
                  st.slot[1].pid, st.slot[0].inStep, st.slot[1].inStep, static_cast<unsigned long long>(st.workerRestarts),
                  st.slot[0].lastExit.c_str(), st.slot[1].lastExit.c_str());
        }
        QVERIFY(back);
    }
    const std::vector<float> x = leftChannel(rig.recorder.take());
    const EngineStats s = rig.engine.stats();
    qInfo("6 deaths after 2 s of play (replay limit 0.5 s): failovers %llu, none-reads %llu, largest step %.5f (steady %.5f)",
          static_cast<unsigned long long>(s.failovers), static_cast<unsigned long long>(totalNoneReads(s)),
          double(largestStep(x, 0, x.size())), double(largestStep(x, 0, 4800)));
    QVERIFY(s.failovers >= 3);
    CHRONUS_VERIFY_NO_NONE_READS(totalNoneReads(s));
    QVERIFY(largestStep(x, 0, x.size()) <= largestStep(x, 0, 4800) * 1.0001f);
    QVERIFY(std::fabs(test::estimateFrequency(x, kRate) - 441.0) < 0.5);
    Q_UNUSED(active);
}

QTEST_GUILESS_MAIN(TestSlotProcesses)
#include "tst_slot_processes.moc"
