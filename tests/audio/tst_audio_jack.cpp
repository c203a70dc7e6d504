// RtAudioDriver on a real JACK server: the fixture starts `jackd -d dummy -r 48000 -p 64` under a
// server name of its own, plays through RtAudioDriver with the JACK API for about three seconds
// and checks what arrived: 64-frame blocks at 48 kHz, as many callbacks as the wall clock allows,
// frame counts that add up, and, through a second JACK client listening to the driver's ports, the
// very signal the callback wrote (left = sine, right = -sine). Xruns are reported, not asserted:
// the machine is shared. The callback path on the JACK thread is also watched by a counting
// operator new.

#include "TestCallbacks.hpp"
#include "audio/RtAudioDriver.hpp"
#include "support/JackCapture.hpp"
#include "support/SignalAnalysis.hpp"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QProcess>
#include <QTest>

#include <jack/jack.h>
#include <signal.h>
#include <sys/prctl.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <new>
#include <thread>
#include <vector>

namespace {
std::atomic<long> g_allocations{0};
thread_local bool t_counting = false;

void* countedAlloc(std::size_t size) {
    if (t_counting)
        g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size ? size : 1))
        return p;
    throw std::bad_alloc();
}
} // namespace

void* operator new(std::size_t size) { return countedAlloc(size); }
void* operator new[](std::size_t size) { return countedAlloc(size); }
void operator delete(void* p) noexcept {
    if (t_counting)
        g_allocations.fetch_add(1, std::memory_order_relaxed);
    std::free(p);
}
void operator delete[](void* p) noexcept { operator delete(p); }
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }
void operator delete[](void* p, std::size_t) noexcept { operator delete(p); }

#if defined(__SANITIZE_THREAD__)
// QProcess (Qt 6.4) starts jackd through clone(CLONE_VM | CLONE_VFORK): the child runs in this
// process's memory until it execs, and ThreadSanitizer then takes this process for a child of a
// multi-threaded fork and dies at its next thread. It is not one; carry on.
extern "C" const char* __tsan_default_options() { return "die_after_fork=0"; }
#endif

using namespace chronus::audio;
using chronus::test::JackCapture;
using Clock = std::chrono::steady_clock;

namespace {

constexpr double kRate = 48000.0;
constexpr int kPeriod = 64;
constexpr double kToneHz = 1000.0;
constexpr float kToneAmplitude = 0.5f;

// The sine callback, with allocation counting switched on for the JACK thread from its first
// call until `countCalls` calls have run (about a second).
class CountingSine : public chronus::test::SineCallback {
public:
    explicit CountingSine(std::uint64_t countCalls) : SineCallback(kToneHz, kToneAmplitude), m_countCalls(countCalls) {}
    void process(float* out, const CallbackInfo& info) noexcept override {
        const std::uint64_t call = calls();
        if (call == 0)
            t_counting = true;
        SineCallback::process(out, info);
        if (call + 1 == m_countCalls) {
            t_counting = false;
            m_countingDone.store(true, std::memory_order_release);
        }
    }
    bool countingDone() const { return m_countingDone.load(std::memory_order_acquire); }

private:
    const std::uint64_t m_countCalls;
    std::atomic<bool> m_countingDone{false};
};

} // namespace

class TestJackDriver : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void playsThroughTheJackDummyServer();
    void countsAnXrunWhenTheCallbackStalls();
    void adoptsTheServerRateAndSaysSo();
    void selectsDevicesByNameAndIndex();

private:
    // Opens `driver` on the test server, retrying while the server comes up.
    chronus::engine::Status openWhenServerIsUp(RtAudioDriver& driver, const DriverConfig& config);
    static DriverConfig jackConfig();

    QProcess m_server;
    QString m_serverName;
};

void TestJackDriver::initTestCase() {
    const QString jackd = QStringLiteral(CHRONUS_JACKD);
    if (jackd.isEmpty() || !QFileInfo(jackd).isExecutable())
        QSKIP("jackd is not installed (Debian package jackd2; scripts/deps.sh installs it)");
    m_serverName = QStringLiteral("chronus-test-%1").arg(QCoreApplication::applicationPid());
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
    RtAudioDriver probe(RtAudioDriver::Api::Jack);
    const auto status = openWhenServerIsUp(probe, jackConfig());
    QVERIFY2(status.ok(), status.message().c_str());
    probe.stop();
}

DriverConfig TestJackDriver::jackConfig() {
    DriverConfig config;
    config.sampleRate = kRate;
    config.blockSize = 256; // asked for; the server's period (64) is what it gets
    config.clientName = "chronus-test";
    return config;
}

void TestJackDriver::cleanupTestCase() {
    if (m_server.state() == QProcess::NotRunning)
        return;
    m_server.terminate();
    if (!m_server.waitForFinished(5000)) {
        m_server.kill();
        m_server.waitForFinished(2000);
    }
}

chronus::engine::Status TestJackDriver::openWhenServerIsUp(RtAudioDriver& driver, const DriverConfig& config) {
    QElapsedTimer timer;
    timer.start();
    for (;;) {
        chronus::engine::Status status = driver.open(config);
        if (status.ok() || timer.elapsed() > 8000)
            return status;
        if (m_server.state() == QProcess::NotRunning)
            return chronus::engine::Status::error(kDeviceError, "jackd exited: " + m_server.readAll().toStdString());
        QTest::qWait(50);
    }
}

void TestJackDriver::playsThroughTheJackDummyServer() {
    const DriverConfig config = jackConfig();
    RtAudioDriver driver(RtAudioDriver::Api::Jack);
    const auto opened = driver.open(config);
    QVERIFY2(opened.ok(), opened.message().c_str());
    QCOMPARE(driver.name(), std::string("jack"));
    QCOMPARE(driver.sampleRate(), kRate);
    QCOMPARE(driver.blockSize(), kPeriod);
    QVERIFY2(driver.notice().find("64 frames") != std::string::npos, driver.notice().c_str());
    qInfo("jack: device \"%s\", %g Hz, block %d, output latency %d frames; notice: %s", driver.deviceName().c_str(),
          driver.sampleRate(), driver.blockSize(), driver.outputLatencyFrames(), driver.notice().c_str());

    const auto devices = RtAudioDriver::listDevices(RtAudioDriver::Api::Jack);
    QVERIFY2(devices.ok(), devices.status().message().c_str());
    QVERIFY(!devices.value().empty());
    QCOMPARE(devices.value().front().name, driver.deviceName());
    QVERIFY(devices.value().front().outputChannels >= 2);

    JackCapture capture(static_cast<std::size_t>(kRate) * 5);
    QVERIFY2(capture.open("chronus-capture"), "capture client");

    const std::uint64_t countCalls = static_cast<std::uint64_t>(kRate) / kPeriod; // ~1 s
    CountingSine callback(countCalls);
    const long allocationsBefore = g_allocations.load();
    QVERIFY(driver.start(callback).ok());
    QVERIFY(driver.isRunning());
    QCOMPARE(capture.connectFrom(config.clientName), 2);

    QTRY_VERIFY_WITH_TIMEOUT(callback.calls() >= 1, 5000);
    const auto t0 = Clock::now();
    const std::uint64_t calls0 = callback.calls();
    std::this_thread::sleep_for(std::chrono::seconds(3));
    const std::uint64_t calls1 = callback.calls();
    const auto t1 = Clock::now();
    QTRY_VERIFY_WITH_TIMEOUT(callback.countingDone(), 10000);
    const RealtimeStatus realtime = driver.realtimeStatus();
    driver.stop();
    QVERIFY(!driver.isRunning());
    const std::uint64_t callsAtStop = callback.calls();
    QVERIFY(!callback.inProcess());
    capture.close();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    QCOMPARE(callback.calls(), callsAtStop); // no callback after stop() returned

    const double seconds = std::chrono::duration<double>(t1 - t0).count();
    const double callsPerSecond = static_cast<double>(calls1 - calls0) / seconds;
    const double expected = kRate / kPeriod;
    const QString realtimeText = realtime.state == RealtimeState::Granted
                                     ? QStringLiteral("granted, priority %1").arg(realtime.priority)
                                     : QStringLiteral("not granted");
    qInfo("jack: %.1f callbacks/s (expected %.1f), %llu callbacks in all, %llu xruns reported; real-time: %s; "
          "%ld allocations on the JACK thread over %llu callbacks",
          callsPerSecond, expected, static_cast<unsigned long long>(callsAtStop),
          static_cast<unsigned long long>(driver.xruns()), qPrintable(realtimeText),
          g_allocations.load() - allocationsBefore, static_cast<unsigned long long>(countCalls));

    // The stream: 64-frame blocks at 48 kHz, paced by the server's clock, frame counts adding up.
    QCOMPARE(callback.minFrames(), kPeriod);
    QCOMPARE(callback.maxFrames(), kPeriod);
    QCOMPARE(callback.sampleRate(), kRate);
    QCOMPARE(callback.positionErrors(), std::uint64_t{0});
    QVERIFY2(callsPerSecond > 0.5 * expected && callsPerSecond < 1.5 * expected,
             qPrintable(QString("%1 callbacks/s").arg(callsPerSecond)));
    QCOMPARE(driver.callbacks(), callsAtStop);
    QCOMPARE(driver.framesProcessed(), callsAtStop * kPeriod);
    QCOMPARE(callback.frames(), callsAtStop * kPeriod);
    QCOMPARE(callback.xrunFlags(), driver.xruns()); // every counted xrun was flagged to process()
    QVERIFY(realtime.state != RealtimeState::Unknown);
    QCOMPARE(g_allocations.load() - allocationsBefore, 0L);

    // What the server got is what process() wrote: right is exactly -left throughout, and the
    // left channel is the 1 kHz sine at amplitude 0.5.
    const std::size_t captured = capture.frames();
    QVERIFY2(captured > static_cast<std::size_t>(kRate), qPrintable(QString("captured %1 frames").arg(captured)));
    const auto& left = capture.left();
    const auto& right = capture.right();
    std::size_t firstSound = 0;
    while (firstSound < captured && left[firstSound] == 0.0f)
        ++firstSound;
    QVERIFY2(firstSound < captured, "the capture client heard nothing");
    // The capture ports are connected one after the other while audio runs: until both are, one
    // channel reads silence. Compare from the first frame where both carry the signal.
    std::size_t bothConnected = firstSound;
    while (bothConnected < captured && (left[bothConnected] == 0.0f || right[bothConnected] == 0.0f))
        ++bothConnected;
    QVERIFY2(bothConnected < static_cast<std::size_t>(kRate), "the right channel was never heard");
    for (std::size_t i = bothConnected; i < captured; ++i)
        if (right[i] != -left[i])
            QFAIL(qPrintable(QString("frame %1: right %2 is not -left %3").arg(i).arg(right[i]).arg(left[i])));
    const std::size_t windowStart = firstSound + static_cast<std::size_t>(kRate) / 2;
    const std::size_t window = static_cast<std::size_t>(kRate) / 5;
    QVERIFY(windowStart + window <= captured);
    const std::span<const float> tone(left.data() + windowStart, window);
    const double frequency = chronus::test::estimateFrequency(tone, kRate);
    qInfo("jack: captured %zu frames; tone %.3f Hz, peak %.4f", captured, frequency,
          static_cast<double>(chronus::test::peak(tone)));
    QVERIFY2(qAbs(frequency - kToneHz) < 2.0, qPrintable(QString("frequency %1 Hz").arg(frequency)));
    QVERIFY(qAbs(chronus::test::peak(tone) - kToneAmplitude) < 0.01f);
}

void TestJackDriver::countsAnXrunWhenTheCallbackStalls() {
    // One call sleeps for 15 periods (test-only: a real callback never sleeps). The server marks
    // the cycle late, RtAudio flags RTAUDIO_OUTPUT_UNDERFLOW on a following callback, and the
    // driver counts it and passes it on in CallbackInfo::xrun.
    class Stalling : public chronus::test::SineCallback {
    public:
        Stalling() : SineCallback(kToneHz, kToneAmplitude) {}
        void process(float* out, const CallbackInfo& info) noexcept override {
            if (calls() == 200)
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            SineCallback::process(out, info);
        }
    } callback;
    RtAudioDriver driver(RtAudioDriver::Api::Jack);
    const auto opened = driver.open(jackConfig());
    QVERIFY2(opened.ok(), opened.message().c_str());
    QVERIFY(driver.start(callback).ok());
    QTRY_VERIFY_WITH_TIMEOUT(callback.calls() >= 400, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(driver.xruns() >= 1, 2000);
    driver.stop();
    qInfo("jack: %llu xruns after one 20 ms stall", static_cast<unsigned long long>(driver.xruns()));
    QCOMPARE(callback.xrunFlags(), driver.xruns());
}

void TestJackDriver::adoptsTheServerRateAndSaysSo() {
    DriverConfig config = jackConfig();
    config.sampleRate = 44100.0; // JACK cannot resample: the server's rate wins
    RtAudioDriver driver(RtAudioDriver::Api::Jack);
    const auto opened = driver.open(config);
    QVERIFY2(opened.ok(), opened.message().c_str());
    QCOMPARE(driver.sampleRate(), kRate);
    QVERIFY2(driver.notice().find("the JACK server runs at 48000 Hz, not the requested 44100 Hz") != std::string::npos,
             driver.notice().c_str());
    driver.stop();
}

void TestJackDriver::selectsDevicesByNameAndIndex() {
    for (const char* device : {"system", "SYST", "0"}) {
        DriverConfig config = jackConfig();
        config.device = device;
        RtAudioDriver driver(RtAudioDriver::Api::Jack);
        const auto opened = driver.open(config);
        QVERIFY2(opened.ok(), opened.message().c_str());
        QCOMPARE(driver.deviceName(), std::string("system"));
        driver.stop();
    }
    for (const char* device : {"no-such-device", "7"}) {
        DriverConfig config = jackConfig();
        config.device = device;
        RtAudioDriver driver(RtAudioDriver::Api::Jack);
        const auto opened = driver.open(config);
        QVERIFY(!opened.ok());
        qInfo("device \"%s\": %s", device, opened.message().c_str());
        QVERIFY(opened.message().find(device) != std::string::npos);
        QVERIFY(!driver.isOpen());
    }
}

QTEST_GUILESS_MAIN(TestJackDriver)
#include "tst_audio_jack.moc"
