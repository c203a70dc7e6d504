// The default ring in real time: the ring target `play`, `serve` and the editor start with (the
// command line's default) on a JACK server (`jackd -d dummy -r 48000 -p 64`, started by the test),
// under the load of the latency soak (bench/run.sh soak) for CHRONUS_LATENCY_SECONDS seconds per
// worker mode (default 12): 1 commit a second (structural and parameter edits alternating) and 100
// live changes a second on the committed patch, with worker threads and with worker processes.
// Asserted: no callback found the active ring empty (a none-read; judged when the machine was not
// overloaded: when the supervisor saw a worker stall, a SCHED_FIFO thread not scheduled for 4 ms,
// or the load average reached the number of cores, the count is reported and the row skipped); the
// ring target grew only on near-misses or none-reads (one block each at most); the output latency
// the status reports (`latency_ms`) is the device's block and latency plus the ring target now, 6.67
// ms at the start target, and true (no ring ever held more than its target). Whether the ring stays
// at 2 blocks on this machine is a timing goal: the soak benchmark (bench/run.sh soak) reports it.

#include "audio/EngineCallback.hpp"
#include "audio/OpenDriver.hpp"
#include "app/CommandLine.hpp"
#include "app/EngineStatus.hpp"
#include "engine/EngineTestUtils.hpp"
#include "engine/SlotEngine.hpp"
#include "SlotRig.hpp"
#include "support/Sanitized.hpp"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTest>

#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <string>
#include <thread>

#if defined(__SANITIZE_THREAD__)
// QProcess starts jackd through clone(CLONE_VM | CLONE_VFORK); see tst_slot_jack.cpp.
extern "C" const char* __tsan_default_options() { return "die_after_fork=0"; }
#endif

using namespace chronus;
using namespace chronus::engine;
using Clock = std::chrono::steady_clock;
using chronus::test::waitStats;

Q_DECLARE_METATYPE(chronus::engine::WorkerMode)

namespace {

constexpr double kRate = 48000.0;
constexpr int kPeriod = 64;
constexpr auto kCommitInterval = std::chrono::milliseconds(1000); // 1 commit/s, as the soak
constexpr auto kLiveInterval = std::chrono::milliseconds(10);     // 100 live changes/s
constexpr int kVoices = 8;
// Device block + JACK's reported playback latency (2 periods, its asynchronous mode) + 2 ring
// blocks, at 64 frames and 48 kHz.
constexpr double kLatencyBarMs = 1000.0 * (kPeriod + 2 * kPeriod + 2 * kPeriod) / kRate;

double runSeconds() {
    bool ok = false;
    const double seconds = qEnvironmentVariable("CHRONUS_LATENCY_SECONDS").toDouble(&ok);
    return ok && seconds >= 1.0 ? seconds : 12.0;
}

double loadAverage() {
    QFile f(QStringLiteral("/proc/loadavg"));
    if (!f.open(QIODevice::ReadOnly))
        return 0.0;
    return f.readLine().split(' ').value(0).toDouble();
}

QString voice(int i, const char* what) { return QStringLiteral("%1%2").arg(what).arg(i); }

// kVoices saws through swept state-variable filters into `out`, and one LFO sweeping them.
PatchGraph voicesPatch() {
    PatchGraph g;
    (void)g.addModule("sweep", "lfo");
    (void)g.setParam("sweep", "rate", 0.3);
    for (int i = 0; i < kVoices; ++i) {
        const std::string osc = voice(i, "osc").toStdString(), svf = voice(i, "svf").toStdString();
        (void)g.addModule(osc, "saw");
        (void)g.setParam(osc, "freq", 55.0 * (1 + i));
        (void)g.setParam(osc, "gain", 0.08);
        (void)g.addModule(svf, "svf");
        (void)g.setParam(svf, "cutoff", 1200.0);
        (void)g.connect(osc, svf + ".in");
        (void)g.connect("sweep", svf + ".cutoff");
        (void)g.connect(svf + ".lp", "out");
    }
    return g;
}

// The ring target `play` and `serve` use when --ring is not given.
int commandLineRing() {
    QCommandLineParser parser;
    app::addAudioOptions(parser);
    if (!parser.parse({QStringLiteral("chronus")}))
        return -1;
    auto choice = app::audioChoice(parser);
    return choice ? choice.value().ringBlocks : -1;
}

} // namespace

class TestSlotLatency : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void defaultRingPlaysTheSoakWithoutEmptyReads_data();
    void defaultRingPlaysTheSoakWithoutEmptyReads();

private:
    static audio::DriverConfig jackConfig();
    QProcess m_server;
    QString m_serverName;
};

audio::DriverConfig TestSlotLatency::jackConfig() {
    audio::DriverConfig config;
    config.sampleRate = kRate;
    config.blockSize = kPeriod;
    config.clientName = "chronus-latency-test";
    return config;
}

void TestSlotLatency::initTestCase() {
    const QString jackd = QStringLiteral(CHRONUS_JACKD);
    if (jackd.isEmpty() || !QFileInfo(jackd).isExecutable())
        QSKIP("jackd is not installed (Debian package jackd2; scripts/deps.sh installs it)");
    qputenv("CHRONUS_SLOT_WORKER", CHRONUS_SLOT_WORKER_BINARY);
    m_serverName = QStringLiteral("chronus-latency-test-%1").arg(QCoreApplication::applicationPid());
    qputenv("JACK_DEFAULT_SERVER", m_serverName.toUtf8());
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("JACK_DEFAULT_SERVER", m_serverName);
    env.insert("JACK_NO_AUDIO_RESERVATION", "1");
    m_server.setProcessEnvironment(env);
    m_server.setProcessChannelMode(QProcess::MergedChannels);
    m_server.setChildProcessModifier([] { prctl(PR_SET_PDEATHSIG, SIGTERM); });
    m_server.start(jackd, {"-n", m_serverName, "-d", "dummy", "-r", QString::number(kRate), "-p", QString::number(kPeriod)});
    QVERIFY2(m_server.waitForStarted(5000), qPrintable("jackd did not start: " + m_server.errorString()));
    // The server accepts clients once a driver can open on it: retry that, no fixed sleep.
    QElapsedTimer timer;
    timer.start();
    for (;;) {
        auto probe = audio::openDriver("jack", jackConfig());
        if (probe.ok()) {
            probe.value().driver->stop();
            break;
        }
        QVERIFY2(m_server.state() != QProcess::NotRunning, "jackd exited");
        QVERIFY2(timer.elapsed() < 8000, qPrintable(QString::fromStdString(probe.status().message())));
        QTest::qWait(50);
    }
}

void TestSlotLatency::cleanupTestCase() {
    if (m_server.state() == QProcess::NotRunning)
        return;
    m_server.terminate();
    if (!m_server.waitForFinished(5000)) {
        m_server.kill();
        m_server.waitForFinished(2000);
    }
}

void TestSlotLatency::defaultRingPlaysTheSoakWithoutEmptyReads_data() {
    QTest::addColumn<WorkerMode>("workers");
    QTest::addRow("threads") << WorkerMode::Threads;
    QTest::addRow("processes") << WorkerMode::Processes;
}

void TestSlotLatency::defaultRingPlaysTheSoakWithoutEmptyReads() {
    QFETCH(WorkerMode, workers);
    const int ring = commandLineRing();
    QCOMPARE(ring, EngineConfig{}.ringTargetBlocks); // the command line and the engine agree

    auto opened = audio::openDriver("jack", jackConfig());
    CHRONUS_VERIFY_OK(opened);
    audio::AudioDriver& driver = *opened.value().driver;
    QCOMPARE(driver.sampleRate(), kRate);
    QCOMPARE(driver.blockSize(), kPeriod);
    EngineConfig config;
    config.sampleRate = driver.sampleRate();
    config.blockSize = kPeriod;
    config.ringTargetBlocks = ring;
    config.workers = workers;
    SlotEngine engine(config);
    audio::EngineCallback callback(engine);
    struct StopFirst { // the callbacks end before the engine goes, whatever fails below
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
    CHRONUS_VERIFY_OK(engine.loadPending(voicesPatch()));
    CHRONUS_VERIFY_OK(engine.commit());
    QVERIFY(waitStats(engine, [](const EngineStats& st) { return st.slot[1 - st.activeSlot].inStep; }));

    const double seconds = runSeconds();
    const double load0 = loadAverage();
    const EngineStats s0 = engine.stats();
    double occupancyMax = 0.0;
    int commitsMade = 0, liveMade = 0;
    bool extra = false;
    const auto t0 = Clock::now();
    const auto end = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    auto nextCommit = t0 + kCommitInterval;
    auto nextLive = t0 + kLiveInterval;
    for (auto now = Clock::now(); now < end; now = Clock::now()) {
        if (now >= nextCommit) {
            // Even commits: a structural edit (a module comes or goes: a new plan); odd: a parameter.
            if (commitsMade % 2 == 0) {
                if (extra) {
                    CHRONUS_VERIFY_OK(engine.removeModule("sub"));
                } else {
                    CHRONUS_VERIFY_OK(engine.addModule("sub", "square"));
                    CHRONUS_VERIFY_OK(engine.setPending("sub", "gain", 0.05));
                    CHRONUS_VERIFY_OK(engine.connect("sub", "out"));
                }
                extra = !extra;
            } else {
                CHRONUS_VERIFY_OK(engine.setPending("osc0", "freq", 55.0 + commitsMade % 5));
            }
            CHRONUS_VERIFY_OK(engine.commit());
            ++commitsMade;
            nextCommit += kCommitInterval;
        } else if (now >= nextLive) {
            const std::string svf = voice(liveMade % kVoices, "svf").toStdString();
            CHRONUS_VERIFY_OK(engine.setLive(svf, "q", 1.0 + 0.5 * std::sin(0.05 * liveMade)));
            ++liveMade;
            nextLive += kLiveInterval;
        } else {
            std::this_thread::sleep_until(std::min({nextCommit, nextLive, end}));
        }
        const EngineStats s = engine.stats();
        for (const SlotStats& slot : s.slot)
            occupancyMax = std::max(occupancyMax, slot.occupancyMax);
    }
    const EngineStats s1 = engine.stats();
    const double load1 = loadAverage();
    const double latencyMs = app::latencyMs(s1, app::driverStatus(driver));
    driver.stop();
    const std::uint64_t none =
        s1.slot[0].noneReads + s1.slot[1].noneReads - s0.slot[0].noneReads - s0.slot[1].noneReads;
    const std::uint64_t stalls = s1.stalls - s0.stalls;
    const std::uint64_t nearMisses =
        s1.slot[0].nearMisses + s1.slot[1].nearMisses - s0.slot[0].nearMisses - s0.slot[1].nearMisses;
    const double cores = static_cast<double>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
    qInfo("%s: %.0f s, ring %d blocks, latency_ms %.2f (JACK reports %d frames); %d commits, %d live changes; "
          "none-reads %llu, near-misses %llu, stalls %llu, failovers %llu, xruns %llu; ring occupancy max %.2f blocks; DSP load %.3f / %.3f; "
          "load average %.2f -> %.2f on %.0f cores",
          workerModeName(workers), seconds, s1.ringTargetBlocks, latencyMs, driver.outputLatencyFrames(), commitsMade,
          liveMade, static_cast<unsigned long long>(none), static_cast<unsigned long long>(nearMisses),
          static_cast<unsigned long long>(stalls),
          static_cast<unsigned long long>(s1.failovers - s0.failovers), static_cast<unsigned long long>(driver.xruns()),
          occupancyMax, s1.slot[0].dspLoad, s1.slot[1].dspLoad, load0, load1, cores);

    QCOMPARE(s1.commits - s0.commits, static_cast<std::uint64_t>(commitsMade));
    QVERIFY2(commitsMade >= static_cast<int>(seconds) - 1, qPrintable(QStringLiteral("%1 commits").arg(commitsMade)));
    QVERIFY2(liveMade >= static_cast<int>(0.9 * 100.0 * seconds), qPrintable(QStringLiteral("%1 live changes").arg(liveMade)));
    QCOMPARE(s1.rollbacks, s0.rollbacks);
    QCOMPARE(s1.mutedChunks, s0.mutedChunks);
    // The latency the status reports is true: no ring ever held more than the target (grown or not).
    QVERIFY2(occupancyMax <= s1.ringTargetBlocks + 1e-9,
             qPrintable(QStringLiteral("a ring held %1 blocks, target %2").arg(occupancyMax).arg(s1.ringTargetBlocks)));

    // The ring grows only for a reason: each block it grew by is a near-miss or a none-read. And
    // latency_ms is what the ring holds now: the device's block and latency plus the target.
    const int grewBy = s1.ringTargetBlocks - ring;
    QVERIFY2(grewBy >= 0 && static_cast<std::uint64_t>(grewBy) <= nearMisses + none,
             qPrintable(QStringLiteral("the ring grew by %1 blocks on %2 near-misses and %3 none-reads")
                            .arg(grewBy)
                            .arg(nearMisses)
                            .arg(none)));
    QVERIFY2(std::abs(latencyMs - (kLatencyBarMs + 1000.0 * grewBy * kPeriod / kRate)) < 1e-6,
             qPrintable(QStringLiteral("latency_ms %1 with the ring at %2 blocks").arg(latencyMs).arg(s1.ringTargetBlocks)));
    // No callback found the active ring empty: the near-miss grew it before a hiccup was heard.
    // Judged only on a machine that was not overloaded, and not under a sanitizer (Sanitized.hpp).
    // Whether the ring stays at its 2 blocks on a given machine is a timing goal: the soak
    // benchmark reports it (bench/run.sh soak), this test does not time the machine.
    const bool overloaded = stalls > 0 || std::max(load0, load1) >= cores;
    if (none > 0 && (overloaded || test::kSanitized))
        QSKIP(qPrintable(QStringLiteral("%1 none-reads not judged (ring grew to %2 blocks): %3 (%4 worker stalls, load "
                                        "average %5 on %6 cores)")
                             .arg(none)
                             .arg(s1.ringTargetBlocks)
                             .arg(test::kSanitized ? QStringLiteral("a sanitized build")
                                                   : QStringLiteral("the machine was overloaded"))
                             .arg(stalls)
                             .arg(std::max(load0, load1))
                             .arg(cores)));
    QCOMPARE(none, std::uint64_t{0});
}

QTEST_GUILESS_MAIN(TestSlotLatency)
#include "tst_slot_latency.moc"
