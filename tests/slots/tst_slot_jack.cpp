// The dual-slot engine in real time on a real audio server. The fixture starts
// `jackd -d dummy -r 48000 -p 64` under a server name of its own; the engine plays through RtAudio's
// JACK API (openDriver("jack"), EngineCallback) for CHRONUS_JACK_SECONDS seconds (default 20) while
// one control thread, paced by steady_clock deadlines, commits twice a second (a pending frequency
// change, every other time a structural one as well) and makes 100 live parameter changes a second
// on the committed patch. Asserted: no none-read in either slot over the whole run, every commit and
// live change accepted and counted, no unhealthy block, rollback or muted chunk, no failover other
// than one answering a worker stall, the output finite and audible. Xruns, stalls, real-time
// scheduling, occupancy, DSP load and prime/commit times are reported, not asserted: the machine
// is shared.

#include "audio/EngineCallback.hpp"
#include "audio/OpenDriver.hpp"
#include "engine/EngineTestUtils.hpp"
#include "engine/SlotEngine.hpp"
#include "SlotRig.hpp"
#include "app/PatchFile.hpp"
#include "support/JackCapture.hpp"
#include "support/Sanitized.hpp"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QProcess>
#include <QTest>

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <fstream>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <memory>
#include <string>
#include <thread>

#if defined(__SANITIZE_THREAD__)
// QProcess (Qt 6.4) starts jackd through clone(CLONE_VM | CLONE_VFORK): the child runs in this
// process's memory until it execs, and ThreadSanitizer then takes this process for a child of a
// multi-threaded fork and dies at its next thread. It is not one; carry on.
extern "C" const char* __tsan_default_options() { return "die_after_fork=0"; }
#endif

using namespace chronus;
using namespace chronus::engine;
using Clock = std::chrono::steady_clock;
using chronus::test::waitStats;

namespace {

constexpr double kRate = 48000.0;
constexpr int kPeriod = 64;
constexpr auto kCommitInterval = std::chrono::milliseconds(500); // 2 commits/s
constexpr auto kLiveInterval = std::chrono::milliseconds(10);    // 100 live changes/s

// The run length: CHRONUS_JACK_SECONDS, else 20 s.
double runSeconds() {
    bool ok = false;
    const double seconds = qEnvironmentVariable("CHRONUS_JACK_SECONDS").toDouble(&ok);
    return ok && seconds >= 1.0 ? seconds : 20.0;
}

// Enough DSP that the workers do real work: a saw through a state-variable filter swept by an LFO,
// an envelope gated by a second (square) LFO, a VCA, and a sine layered on top.
PatchGraph loadPatch() {
    PatchGraph g;
    (void)g.addModule("osc", "saw");
    (void)g.setParam("osc", "freq", 110.0);
    (void)g.setParam("osc", "gain", 0.5);
    (void)g.addModule("sweep", "lfo");
    (void)g.setParam("sweep", "rate", 0.5);
    (void)g.setParam("sweep", "depth", 1.0);
    (void)g.addModule("svf", "svf");
    (void)g.setParam("svf", "cutoff", 800.0);
    (void)g.setParam("svf", "q", 2.0);
    (void)g.addModule("clock", "lfo");
    (void)g.setParam("clock", "shape", 3.0); // square: a gate four times a second
    (void)g.setParam("clock", "rate", 4.0);
    (void)g.addModule("env", "adsr");
    (void)g.setParam("env", "attack", 5.0);
    (void)g.setParam("env", "release", 80.0);
    (void)g.addModule("vca", "vca");
    (void)g.setParam("vca", "level", 0.7);
    (void)g.addModule("pad", "sine");
    (void)g.setParam("pad", "freq", 220.0);
    (void)g.setParam("pad", "gain", 0.1);
    (void)g.connect("osc", "svf.in");
    (void)g.connect("sweep", "svf.cutoff");
    (void)g.connect("svf.lp", "env.in");
    (void)g.connect("clock", "env.gate");
    (void)g.connect("env", "vca.in");
    (void)g.connect("vca", "out");
    (void)g.connect("pad", "out");
    return g;
}

// Plays the engine through EngineCallback (the one adapter every driver uses) and looks at every
// sample it wrote: the loudest, and how many were NaN or Inf. RT-safe.
class WatchedEngineCallback final : public audio::AudioCallback {
public:
    explicit WatchedEngineCallback(SlotEngine& engine) : m_inner(engine) {}

    void process(float* out, const audio::CallbackInfo& info) noexcept override {
        m_inner.process(out, info);
        float peak = 0.0f;
        std::uint64_t bad = 0;
        for (int i = 0; i < 2 * info.frames; ++i) {
            if (!std::isfinite(out[i]))
                ++bad;
            else
                peak = std::max(peak, std::fabs(out[i]));
        }
        if (bad)
            m_nonFinite.fetch_add(bad, std::memory_order_relaxed);
        if (peak > m_maxPeak.load(std::memory_order_relaxed)) // the audio thread is the only writer
            m_maxPeak.store(peak, std::memory_order_relaxed);
    }

    // Any thread.
    float lastPeak() const noexcept { return m_inner.lastPeak(); }
    float maxPeak() const noexcept { return m_maxPeak.load(std::memory_order_relaxed); }
    std::uint64_t nonFinite() const noexcept { return m_nonFinite.load(std::memory_order_relaxed); }

private:
    audio::EngineCallback m_inner;
    std::atomic<float> m_maxPeak{0.0f};          // audio thread writes
    std::atomic<std::uint64_t> m_nonFinite{0};   // audio thread writes
};

// Per-slot figures gathered from the stats windows over the run.
struct SlotFigures {
    double occupancyMin = 1e300; // lowest window minimum
    double occupancyMax = 0.0;   // highest window maximum
    double dspLoadMax = 0.0;
    std::uint64_t noneReadsWindowMax = 0;
    bool realtime = false;
};

const char* realtimeText(const audio::RealtimeStatus& status, QByteArray& buffer) {
    switch (status.state) {
    case audio::RealtimeState::Granted:
        buffer = QByteArray("granted, priority ") + QByteArray::number(status.priority);
        break;
    case audio::RealtimeState::Denied:
        buffer = "not granted";
        break;
    case audio::RealtimeState::Unknown:
        buffer = "unknown (no callback yet)";
        break;
    }
    return buffer.constData();
}

// This process's resident memory, in KiB (VmRSS).
long residentKiB() {
    std::ifstream status("/proc/self/status");
    std::string key;
    long value = 0;
    while (status >> key) {
        if (key == "VmRSS:") {
            status >> value;
            return value;
        }
        status.ignore(4096, '\n');
    }
    return 0;
}

EngineConfig processConfig(double sampleRate) {
    EngineConfig config;
    config.sampleRate = sampleRate;
    config.blockSize = 64;
    config.workers = WorkerMode::Processes;
    config.hangKillMs = 300.0;
    config.workerMemoryLimitBytes = std::size_t{384} << 20;
    return config;
}


// The engine with worker processes playing through RtAudio's JACK API on the test server; the
// callbacks end before the engine goes.
struct ProcessRig {
    audio::OpenedDriver opened;
    std::unique_ptr<SlotEngine> engine;
    std::unique_ptr<WatchedEngineCallback> callback;
    ~ProcessRig() {
        if (opened.driver)
            opened.driver->stop();
        if (engine)
            engine->stop();
    }
    Status start(const audio::DriverConfig& config) {
        qputenv("CHRONUS_SLOT_WORKER", CHRONUS_SLOT_WORKER_BINARY);
        auto o = audio::openDriver("jack", config);
        if (!o)
            return o.status();
        opened = std::move(o).value();
        engine = std::make_unique<SlotEngine>(processConfig(opened.driver->sampleRate()));
        callback = std::make_unique<WatchedEngineCallback>(*engine);
        if (Status s = engine->start(); !s)
            return s;
        return opened.driver->start(*callback);
    }
};

// Kills (or makes die) the active worker, then waits until the other slot plays and the dead one
// is back as its in-step mirror. False if that does not happen within 10 s.
bool killActive(SlotEngine& engine, Fault fault, bool signal) {
    const EngineStats before = engine.stats();
    const int active = before.activeSlot;
    if (signal)
        ::kill(before.slot[static_cast<std::size_t>(active)].pid, SIGKILL);
    else
        engine.injectFault(active, fault, 0.0, "osc");
    return waitStats(engine, [&](const EngineStats& st) {
        return st.workerRestarts > before.workerRestarts && st.activeSlot != active &&
               st.slot[static_cast<std::size_t>(active)].inStep;
    });
}
} // namespace

class TestSlotJack : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void commitsAndLiveChangesInRealTimeNeverReadAnEmptyRing();
    void workerDeathsAreNeitherHeardNorSeen();
    void hundredKillsDuringTheDrumAndBassExample();

private:
    // Opens the JACK driver on the test server, retrying while the server comes up.
    Result<audio::OpenedDriver> openWhenServerIsUp(const audio::DriverConfig& config);
    static audio::DriverConfig jackConfig();

    QProcess m_server;
    QString m_serverName;
};

void TestSlotJack::initTestCase() {
    const QString jackd = QStringLiteral(CHRONUS_JACKD);
    if (jackd.isEmpty() || !QFileInfo(jackd).isExecutable())
        QSKIP("jackd is not installed (Debian package jackd2; scripts/deps.sh installs it)");
    m_serverName = QStringLiteral("chronus-slot-test-%1").arg(QCoreApplication::applicationPid());
    qputenv("JACK_DEFAULT_SERVER", m_serverName.toUtf8()); // what libjack connects to, in this process
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("JACK_DEFAULT_SERVER", m_serverName);
    env.insert("JACK_NO_AUDIO_RESERVATION", "1"); // no D-Bus device reservation for a dummy backend
    m_server.setProcessEnvironment(env);
    m_server.setProcessChannelMode(QProcess::MergedChannels);
    // The server dies with the test, even when the test crashes before cleanupTestCase.
    m_server.setChildProcessModifier([] { prctl(PR_SET_PDEATHSIG, SIGTERM); });
    m_server.start(jackd, {"-n", m_serverName, "-d", "dummy", "-r", QString::number(kRate), "-p", QString::number(kPeriod)});
    QVERIFY2(m_server.waitForStarted(5000), qPrintable("jackd did not start: " + m_server.errorString()));
    // The server accepts clients once a driver can open on it: retry that, no fixed sleep.
    auto probe = openWhenServerIsUp(jackConfig());
    CHRONUS_VERIFY_OK(probe);
    probe.value().driver->stop();
}

void TestSlotJack::cleanupTestCase() {
    if (m_server.state() == QProcess::NotRunning)
        return;
    m_server.terminate();
    if (!m_server.waitForFinished(5000)) {
        m_server.kill();
        m_server.waitForFinished(2000);
    }
}

audio::DriverConfig TestSlotJack::jackConfig() {
    audio::DriverConfig config;
    config.sampleRate = kRate;
    config.blockSize = kPeriod;
    config.clientName = "chronus-slot-test";
    return config;
}

Result<audio::OpenedDriver> TestSlotJack::openWhenServerIsUp(const audio::DriverConfig& config) {
    QElapsedTimer timer;
    timer.start();
    for (;;) {
        auto opened = audio::openDriver("jack", config);
        if (opened.ok() || timer.elapsed() > 8000)
            return opened;
        if (m_server.state() == QProcess::NotRunning)
            return Status::error(audio::kDeviceError, "jackd exited: " + m_server.readAll().toStdString());
        QTest::qWait(50);
    }
}

void TestSlotJack::commitsAndLiveChangesInRealTimeNeverReadAnEmptyRing() {
    const double seconds = runSeconds();
    auto opened = audio::openDriver("jack", jackConfig());
    CHRONUS_VERIFY_OK(opened);
    audio::AudioDriver& driver = *opened.value().driver;
    QCOMPARE(driver.name(), std::string("jack"));
    QCOMPARE(driver.sampleRate(), kRate);
    QCOMPARE(driver.blockSize(), kPeriod);

    EngineConfig config;
    config.sampleRate = driver.sampleRate();
    config.blockSize = 64;
    SlotEngine engine(config);
    WatchedEngineCallback callback(engine);
    // Whatever fails below, the callbacks end before the engine and the callback go away.
    struct StopFirst {
        audio::AudioDriver& driver;
        SlotEngine& engine;
        ~StopFirst() {
            driver.stop();
            engine.stop();
        }
    } stopFirst{driver, engine};

    CHRONUS_VERIFY_OK(engine.start());
    CHRONUS_VERIFY_OK(driver.start(callback));
    QTRY_VERIFY_WITH_TIMEOUT(driver.callbacks() >= 10, 5000);
    CHRONUS_VERIFY_OK(engine.loadPending(loadPatch()));
    CHRONUS_VERIFY_OK(engine.commit());
    const std::uint64_t commitsBefore = engine.stats().commits;

    // The load: one control thread, paced by deadlines (catching up after each blocking commit).
    const double freqs[] = {110.0, 146.83, 164.81};
    int commitsMade = 0, liveMade = 0;
    bool subPlaying = false;
    double primeMsMax = 0.0, commitMsMax = 0.0;
    std::array<SlotFigures, 2> figures{};
    // The active ring's occupancy now, sampled at every turn of the loop (the window figures mix
    // both roles: a slot re-syncing as the mirror empties its ring on purpose).
    double activeOccupancyMin = 1e300, activeOccupancySum = 0.0;
    std::uint64_t activeOccupancySamples = 0;
    const auto gather = [&](const EngineStats& s) {
        const double active = s.slot[static_cast<std::size_t>(s.activeSlot)].occupancy;
        activeOccupancyMin = std::min(activeOccupancyMin, active);
        activeOccupancySum += active;
        ++activeOccupancySamples;
        for (std::size_t i = 0; i < 2; ++i) {
            SlotFigures& f = figures[i];
            f.occupancyMin = std::min(f.occupancyMin, s.slot[i].occupancyMin);
            f.occupancyMax = std::max(f.occupancyMax, s.slot[i].occupancyMax);
            f.dspLoadMax = std::max(f.dspLoadMax, s.slot[i].dspLoad);
            f.noneReadsWindowMax = std::max(f.noneReadsWindowMax, s.slot[i].noneReadsWindow);
            f.realtime = f.realtime || s.slot[i].realtime;
        }
    };

    const std::uint64_t callbacks0 = driver.callbacks();
    const auto t0 = Clock::now();
    const auto end = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    auto nextCommit = t0 + kCommitInterval / 2;
    auto nextLive = t0 + kLiveInterval;
    for (auto now = Clock::now(); now < end; now = Clock::now()) {
        if (now >= nextCommit) {
            // A pending change every time; every other commit a structural one too.
            CHRONUS_VERIFY_OK(engine.setPending("osc", "freq", freqs[commitsMade % 3]));
            if (commitsMade % 2 == 1) {
                if (subPlaying) {
                    CHRONUS_VERIFY_OK(engine.removeModule("sub"));
                } else {
                    CHRONUS_VERIFY_OK(engine.addModule("sub", "square"));
                    CHRONUS_VERIFY_OK(engine.setPending("sub", "freq", freqs[commitsMade % 3] / 2.0));
                    CHRONUS_VERIFY_OK(engine.setPending("sub", "gain", 0.1));
                    CHRONUS_VERIFY_OK(engine.connect("sub", "vca.in"));
                }
                subPlaying = !subPlaying;
            }
            auto report = engine.commit();
            CHRONUS_VERIFY_OK(report);
            ++commitsMade;
            primeMsMax = std::max(primeMsMax, report.value().primeMs);
            commitMsMax = std::max(commitMsMax, report.value().commitMs);
            nextCommit += kCommitInterval;
        } else if (now >= nextLive) {
            // Live changes on modules that every committed patch holds: a filter sweep and a level.
            const double phase = 0.05 * liveMade;
            if (liveMade % 2 == 0)
                CHRONUS_VERIFY_OK(engine.setLive("svf", "cutoff", 900.0 + 600.0 * std::sin(phase)));
            else
                CHRONUS_VERIFY_OK(engine.setLive("vca", "level", 0.6 + 0.2 * std::sin(phase)));
            ++liveMade;
            nextLive += kLiveInterval;
        } else {
            std::this_thread::sleep_until(std::min({nextCommit, nextLive, end}));
        }
        gather(engine.stats());
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    const std::uint64_t callbacksRun = driver.callbacks() - callbacks0;
    const audio::RealtimeStatus audioRealtime = driver.realtimeStatus();
    const EngineStats s = engine.stats();
    gather(s);
    driver.stop();
    const std::uint64_t callbacksAll = driver.callbacks();
    const std::uint64_t framesAll = driver.framesProcessed();
    const std::uint64_t xruns = driver.xruns();
    const EngineStats atStop = engine.stats();
    engine.stop();

    QByteArray buffer;
    qInfo("jack: %.1f s at %g Hz, block %d: %llu callbacks (%.1f/s, expected %.1f), %llu frames in all; "
          "%llu xruns reported; audio thread real-time: %s",
          elapsed, driver.sampleRate(), driver.blockSize(), static_cast<unsigned long long>(callbacksRun),
          static_cast<double>(callbacksRun) / elapsed, kRate / kPeriod, static_cast<unsigned long long>(framesAll),
          static_cast<unsigned long long>(xruns), realtimeText(audioRealtime, buffer));
    qInfo("load: %d commits (%.2f/s), %d live changes (%.1f/s); last prime %.2f ms, last commit %.2f ms, "
          "max prime %.2f ms, max commit %.2f ms",
          commitsMade, commitsMade / elapsed, liveMade, liveMade / elapsed, s.lastPrimeMs, s.lastCommitMs,
          primeMsMax, commitMsMax);
    qInfo("active ring: occupancy min %.2f, mean %.2f blocks over %llu samples (target %d)", activeOccupancyMin,
          activeOccupancySum / static_cast<double>(activeOccupancySamples),
          static_cast<unsigned long long>(activeOccupancySamples), s.ringTargetBlocks);
    for (std::size_t i = 0; i < 2; ++i)
        qInfo("slot %zu: worker real-time %s; window occupancy min %.2f max %.2f blocks; DSP load now %.3f, "
              "max %.3f; none-reads %llu (worst window %llu), near-misses %llu; queue drops %llu, late live changes %llu, "
              "edit errors %llu, blocks rendered %llu",
              i, figures[i].realtime ? "yes" : "no", figures[i].occupancyMin, figures[i].occupancyMax,
              s.slot[i].dspLoad, figures[i].dspLoadMax,
              static_cast<unsigned long long>(atStop.slot[i].noneReads),
              static_cast<unsigned long long>(figures[i].noneReadsWindowMax),
              static_cast<unsigned long long>(atStop.slot[i].nearMisses),
              static_cast<unsigned long long>(atStop.slot[i].queueDrops),
              static_cast<unsigned long long>(atStop.slot[i].lateLiveChanges),
              static_cast<unsigned long long>(atStop.slot[i].editErrors),
              static_cast<unsigned long long>(atStop.slot[i].blocksRendered));
    qInfo("engine: active slot %d, failovers %llu, rollbacks %llu, stalls %llu, unhealthy chunks %llu, "
          "muted chunks %llu, rebuilds %llu; output peak %.3f (last %.3f), %llu non-finite samples",
          atStop.activeSlot, static_cast<unsigned long long>(atStop.failovers),
          static_cast<unsigned long long>(atStop.rollbacks), static_cast<unsigned long long>(atStop.stalls),
          static_cast<unsigned long long>(atStop.unhealthyBlocks), static_cast<unsigned long long>(atStop.mutedChunks),
          static_cast<unsigned long long>(atStop.rebuilds), static_cast<double>(callback.maxPeak()),
          static_cast<double>(callback.lastPeak()), static_cast<unsigned long long>(callback.nonFinite()));

    // The point of the test: the callback never found the active ring empty, whatever the load
    // (asserted in the plain build; a sanitized one reports the count, Sanitized.hpp).
    CHRONUS_VERIFY_NO_NONE_READS(atStop.slot[0].noneReads + atStop.slot[1].noneReads);
    // Every commit went through, in order, one each; the pacing kept up (give or take one).
    QCOMPARE(atStop.commits - commitsBefore, static_cast<std::uint64_t>(commitsMade));
    QVERIFY2(commitsMade >= static_cast<int>(2.0 * seconds) - 1, qPrintable(QString("%1 commits").arg(commitsMade)));
    QVERIFY2(liveMade >= static_cast<int>(0.9 * 100.0 * seconds), qPrintable(QString("%1 live changes").arg(liveMade)));
    // No slot was ever unhealthy, so nothing rolled back, muted or failed over for its health. A
    // failover is allowed only as the answer to a worker stall the supervisor saw: on a shared
    // virtual machine even a SCHED_FIFO thread is sometimes not scheduled for several milliseconds
    // (longer than the 4 ms stall deadline), and switching to the mirror is then the engine doing
    // its job. A failover with no stall behind it would be a bug.
    QCOMPARE(atStop.unhealthyBlocks, std::uint64_t{0});
    QCOMPARE(atStop.rollbacks, std::uint64_t{0});
    QCOMPARE(atStop.mutedChunks, std::uint64_t{0});
    QVERIFY2(atStop.failovers <= atStop.stalls, qPrintable(QString("%1 failovers, %2 stalls")
                                                               .arg(atStop.failovers)
                                                               .arg(atStop.stalls)));
    for (std::size_t i = 0; i < 2; ++i) {
        QCOMPARE(atStop.slot[i].queueDrops, std::uint64_t{0});
        QCOMPARE(atStop.slot[i].editErrors, std::uint64_t{0});
        QCOMPARE(atStop.slot[i].workerExceptions, std::uint64_t{0});
    }
    // The engine played every frame the server asked for, and what it played was finite and audible.
    QCOMPARE(framesAll, callbacksAll * static_cast<std::uint64_t>(kPeriod));
    QCOMPARE(atStop.framesOut, framesAll);
    QCOMPARE(callback.nonFinite(), std::uint64_t{0});
    QVERIFY(std::isfinite(callback.lastPeak()));
    QVERIFY2(callback.maxPeak() > 0.05f && callback.maxPeak() < 4.0f,
             qPrintable(QString("peak %1").arg(callback.maxPeak())));
    QVERIFY(audioRealtime.state != audio::RealtimeState::Unknown);
}

// The slot workers as processes on the JACK server, each death captured by a second JACK client:
// kill -9, a SIGSEGV in a module, abort() and an endless loop in the active worker. Each time the
// mirror takes over without a none-read, a gap or a click (the largest sample-to-sample step of the
// captured 440 Hz sine is the sine's own), and the dead slot comes back as the in-step mirror.
void TestSlotJack::workerDeathsAreNeitherHeardNorSeen() {
    audio::DriverConfig jc = jackConfig();
    jc.clientName = "chronus-fault-test";
    ProcessRig rig;
    CHRONUS_VERIFY_OK(rig.start(jc));
    audio::AudioDriver& driver = *rig.opened.driver;
    SlotEngine& engine = *rig.engine;
    WatchedEngineCallback& callback = *rig.callback;
    PatchGraph sine;
    (void)sine.addModule("osc", "sine");
    (void)sine.setParam("osc", "freq", 440.0);
    (void)sine.setParam("osc", "gain", 0.5);
    (void)sine.connect("osc", "out");
    CHRONUS_VERIFY_OK(engine.loadPending(sine));
    CHRONUS_VERIFY_OK(engine.commit());
    QVERIFY(waitStats(engine, [](const EngineStats& st) { return st.slot[1 - st.activeSlot].inStep; }));

    test::JackCapture capture(static_cast<std::size_t>(kRate) * 60);
    QVERIFY2(capture.open("chronus-fault-capture"), "capture client");
    QCOMPARE(capture.connectFrom(jc.clientName), 2);
    QTRY_VERIFY_WITH_TIMEOUT(capture.frames() >= 9600, 5000);
    const EngineStats before = engine.stats();
    const struct {
        const char* what;
        Fault fault;
        bool signal;
    } deaths[] = {{"kill -9", Fault::Crash, true},
                  {"SIGSEGV in a module", Fault::Crash, false},
                  {"abort()", Fault::Abort, false},
                  {"an endless loop", Fault::Hang, false}};
    for (const auto& death : deaths) {
        QVERIFY2(killActive(engine, death.fault, death.signal), death.what);
        const EngineStats now = engine.stats();
        const SlotStats dead = now.slot[static_cast<std::size_t>(1 - now.activeSlot)];
        qInfo("%s: the worker %s%s", death.what, dead.lastExit.c_str(),
              dead.lastExitModule.empty() ? "" : (" in " + dead.lastExitModule).c_str());
        const std::size_t at = capture.frames();
        QTRY_VERIFY_WITH_TIMEOUT(capture.frames() >= at + 4800, 5000); // 100 ms of the mirror, then the next
    }
    capture.close();
    const EngineStats after = engine.stats();
    const std::size_t n = capture.frames();
    const std::vector<float>& x = capture.left();
    // The capture starts with the silence before its ports were connected.
    std::size_t first = 0;
    while (first < n && std::fabs(x[first]) < 1e-3f)
        ++first;
    first += 64;
    QVERIFY(first + 9600 < n);
    float steady = 0.0f, largest = 0.0f;
    std::size_t silentRun = 0, longestSilence = 0;
    for (std::size_t i = first + 1; i < n; ++i) {
        const float step = std::fabs(x[i] - x[i - 1]);
        if (i < first + 4800)
            steady = std::max(steady, step);
        largest = std::max(largest, step);
        silentRun = std::fabs(x[i]) < 1e-6f ? silentRun + 1 : 0;
        longestSilence = std::max(longestSilence, silentRun);
    }
    qInfo("captured %zu frames over %llu worker deaths: largest step %.5f (the sine's own %.5f), longest "
          "run of silence %zu samples; failovers %llu, none-reads %llu, xruns %llu",
          n, static_cast<unsigned long long>(after.workerRestarts - before.workerRestarts), double(largest),
          double(steady), longestSilence, static_cast<unsigned long long>(after.failovers - before.failovers),
          static_cast<unsigned long long>(after.slot[0].noneReads + after.slot[1].noneReads),
          static_cast<unsigned long long>(driver.xruns()));
    QCOMPARE(after.workerRestarts - before.workerRestarts, std::uint64_t{4});
    CHRONUS_VERIFY_NO_NONE_READS(after.slot[0].noneReads + after.slot[1].noneReads);
    QCOMPARE(callback.nonFinite(), std::uint64_t{0});
    if (!test::kSanitized) {
        QVERIFY2(largest <= steady * 1.0001f, "a click or a gap at a worker's death");
        QVERIFY(longestSilence < 2);
    }
}

// 100 kills -9 of the active worker in a row while the 175 BPM example plays on the JACK server:
// every one survived (no none-read, the dead slot back in step each time), and the main process's
// memory stays flat (its supervisor leaks nothing per restart).
void TestSlotJack::hundredKillsDuringTheDrumAndBassExample() {
    auto loaded = app::loadPatchFile(QStringLiteral(CHRONUS_SOURCE_DIR "/resources/patches/dnb-175.json"));
    CHRONUS_VERIFY_OK(loaded);
    audio::DriverConfig jc = jackConfig();
    jc.clientName = "chronus-kill-test";
    ProcessRig rig;
    CHRONUS_VERIFY_OK(rig.start(jc));
    audio::AudioDriver& driver = *rig.opened.driver;
    SlotEngine& engine = *rig.engine;
    WatchedEngineCallback& callback = *rig.callback;
    CHRONUS_VERIFY_OK(engine.loadPending(loaded.value().graph));
    CHRONUS_VERIFY_OK(engine.commit());
    QVERIFY(waitStats(engine, [](const EngineStats& st) { return st.slot[1 - st.activeSlot].inStep; }));
    const EngineStats before = engine.stats();
    long rssAfter10 = 0;
    QElapsedTimer timer;
    timer.start();
    for (int kill = 0; kill < 100; ++kill) {
        const bool survived = killActive(engine, Fault::Crash, true);
        if (!survived) {
            const EngineStats st = engine.stats();
            qInfo("kill %d after %.1f s: active %d, states %s/%s, in step %d/%d, restarts %llu", kill,
                  timer.elapsed() / 1000.0, st.activeSlot, slotStateName(st.slot[0].state), slotStateName(st.slot[1].state),
                  st.slot[0].inStep, st.slot[1].inStep, static_cast<unsigned long long>(st.workerRestarts));
        }
        QVERIFY2(survived, qPrintable(QStringLiteral("kill %1").arg(kill)));
        if (kill == 9)
            rssAfter10 = residentKiB();
    }
    const double seconds = timer.elapsed() / 1000.0;
    const long rssAfter100 = residentKiB();
    const EngineStats after = engine.stats();
    qInfo("100 kills in %.1f s (%.0f ms each, death to in-step mirror): failovers %llu, restarts %llu, "
          "none-reads %llu, xruns %llu; main process RSS %ld KiB after 10 kills, %ld KiB after 100; output peak %.3f",
          seconds, 10.0 * seconds, static_cast<unsigned long long>(after.failovers - before.failovers),
          static_cast<unsigned long long>(after.workerRestarts - before.workerRestarts),
          static_cast<unsigned long long>(after.slot[0].noneReads + after.slot[1].noneReads),
          static_cast<unsigned long long>(driver.xruns()), rssAfter10, rssAfter100, double(callback.maxPeak()));
    QCOMPARE(after.workerRestarts - before.workerRestarts, std::uint64_t{100});
    QVERIFY(after.failovers - before.failovers >= 100);
    CHRONUS_VERIFY_NO_NONE_READS(after.slot[0].noneReads + after.slot[1].noneReads);
    QCOMPARE(callback.nonFinite(), std::uint64_t{0});
    QCOMPARE(after.mutedChunks, before.mutedChunks);
    QVERIFY2(rssAfter100 - rssAfter10 < 2048, "the main process grows with each restart");
}

QTEST_GUILESS_MAIN(TestSlotJack)
#include "tst_slot_jack.moc"
