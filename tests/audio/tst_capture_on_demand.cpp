// A committed patch that first needs input opens the capture (CaptureOnDemand, as the editor and
// `serve` run it), on a real JACK server: `jackd -d dummy -r 48000 -p 64` started here. The engine
// plays through an output-only RtAudio JACK stream, an independent JACK client records that output
// the whole time. A patch without audio_in opens no capture (no input ports). A patch with one
// reopens the stream duplex: input ports appear, the input reaches the output, the recorder's
// connections are made again, and the output fades out and back in around the pause: the largest
// step in the recording stays the sine's own (no click); the pause is measured and reported.

#include "CaptureOnDemand.hpp"
#include "audio/EngineCallback.hpp"
#include "audio/OpenDriver.hpp"
#include "engine/EngineTestUtils.hpp"
#include "engine/SlotEngine.hpp"
#include "support/FreePort.hpp"
#include "support/JackServer.hpp"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <jack/jack.h>
#include <signal.h>
#include <sys/prctl.h>

#include <atomic>
#include <functional>
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

using namespace chronus;
using namespace chronus::engine;

namespace {

constexpr double kRate = 48000.0;
constexpr int kPeriod = 64;
constexpr double kSineHz = 440.0;
constexpr double kSineGain = 0.5;
constexpr double kToneHz = 1000.0;
constexpr float kToneAmplitude = 0.25f;
const char* const kClient = "chronus-cod";

// A JACK client with two output ports playing a tone ("tone") or two input ports that record.
class TestClient {
public:
    TestClient(bool tone, std::size_t capacity) : m_tone(tone), m_left(capacity), m_right(capacity) {}
    ~TestClient() { close(); }

    bool open(const char* name) {
        jack_status_t status{};
        m_client = jack_client_open(name, JackNoStartServer, &status);
        if (!m_client)
            return false;
        const unsigned long flags = m_tone ? JackPortIsOutput : JackPortIsInput;
        m_ports[0] = jack_port_register(m_client, "left", JACK_DEFAULT_AUDIO_TYPE, flags, 0);
        m_ports[1] = jack_port_register(m_client, "right", JACK_DEFAULT_AUDIO_TYPE, flags, 0);
        return m_ports[0] && m_ports[1] && jack_set_process_callback(m_client, &TestClient::process, this) == 0 &&
               jack_set_xrun_callback(m_client, &TestClient::xrun, this) == 0 && jack_activate(m_client) == 0;
    }
    int connect(const std::string& from0, const std::string& to0, const std::string& from1, const std::string& to1) {
        return (jack_connect(m_client, from0.c_str(), to0.c_str()) == 0) + (jack_connect(m_client, from1.c_str(), to1.c_str()) == 0);
    }
    std::string port(int i) const { return jack_port_name(m_ports[i]); }
    // Ports of the server whose names start with `prefix`.
    int countPorts(const std::string& prefix) const {
        const char** ports = jack_get_ports(m_client, ("^" + prefix).c_str(), nullptr, 0);
        int n = 0;
        while (ports && ports[n])
            ++n;
        jack_free(ports);
        return n;
    }
    int xruns() const { return m_xruns.load(); }
    // Whether recorded frame `i` is near a server xrun (the cycles around it may hold anything).
    bool nearXrun(std::size_t i) const {
        for (int n = 0; n < std::min(m_xruns.load(), kMaxXruns); ++n) {
            const std::size_t at = m_xrunAt[n].load();
            if (i + kXrunMargin >= at && i <= at + kXrunMargin)
                return true;
        }
        return false;
    }
    void close() {
        if (m_client) {
            jack_deactivate(m_client);
            jack_client_close(m_client);
            m_client = nullptr;
        }
    }
    std::size_t frames() const { return m_written.load(std::memory_order_acquire); }
    const std::vector<float>& left() const { return m_left; }
    const std::vector<float>& right() const { return m_right; }

private:
    static int xrun(void* self) {
        auto* c = static_cast<TestClient*>(self);
        const int n = c->m_xruns.fetch_add(1);
        if (n < kMaxXruns)
            c->m_xrunAt[n].store(c->m_written.load(std::memory_order_acquire));
        return 0;
    }
    static int process(jack_nframes_t frames, void* self) {
        auto* c = static_cast<TestClient*>(self);
        auto* left = static_cast<float*>(jack_port_get_buffer(c->m_ports[0], frames));
        auto* right = static_cast<float*>(jack_port_get_buffer(c->m_ports[1], frames));
        const jack_nframes_t t0 = jack_last_frame_time(c->m_client);
        if (c->m_tone) {
            for (jack_nframes_t i = 0; i < frames; ++i) {
                const double phase = 2.0 * std::numbers::pi * kToneHz * static_cast<double>((t0 + i) % 48000u) / kRate;
                left[i] = right[i] = kToneAmplitude * static_cast<float>(std::sin(phase));
            }
            return 0;
        }
        std::size_t at = c->m_written.load(std::memory_order_relaxed);
        for (jack_nframes_t i = 0; i < frames && at < c->m_left.size(); ++i, ++at) {
            c->m_left[at] = left[i];
            c->m_right[at] = right[i];
        }
        c->m_written.store(at, std::memory_order_release);
        return 0;
    }

    const bool m_tone;
    jack_client_t* m_client = nullptr;
    jack_port_t* m_ports[2] = {nullptr, nullptr};
    std::vector<float> m_left, m_right;
    std::atomic<std::size_t> m_written{0};
    static constexpr int kMaxXruns = 16;
    static constexpr std::size_t kXrunMargin = 16 * kPeriod;
    std::atomic<int> m_xruns{0};
    std::atomic<std::size_t> m_xrunAt[kMaxXruns] = {};
};

// The sine on the left; the input (when the patch reads it) on the right.
PatchGraph sinePatch(bool withInput) {
    PatchGraph g;
    (void)g.addModule("osc", "sine");
    (void)g.setParam("osc", "freq", kSineHz);
    (void)g.setParam("osc", "gain", kSineGain);
    (void)g.connect("osc", "out.left");
    if (withInput) {
        (void)g.addModule("mic", "audio_in");
        (void)g.connect("mic.left", "out.right");
    }
    return g;
}

bool waitFor(const std::function<bool()>& condition, int ms = 10000) {
    QElapsedTimer timer;
    timer.start();
    while (!condition()) {
        if (timer.elapsed() > ms)
            return false;
        QTest::qWait(2);
    }
    return true;
}

} // namespace

class TestCaptureOnDemand : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void aPatchThatReadsInputOpensTheCaptureWithoutAClick();
    void serveOpensTheCaptureAtTheFirstCommitThatNeedsIt();

private:
    chronus::test::JackServer m_server;
};

void TestCaptureOnDemand::initTestCase() {
    if (!chronus::test::JackServer::installed(QStringLiteral(CHRONUS_JACKD)))
        QSKIP(chronus::test::JackServer::kNotInstalled);
    const QString failed = m_server.start(QStringLiteral(CHRONUS_JACKD), QStringLiteral("cod-test"), static_cast<int>(kRate), kPeriod);
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
}

void TestCaptureOnDemand::cleanupTestCase() { m_server.stop(); }

void TestCaptureOnDemand::aPatchThatReadsInputOpensTheCaptureWithoutAClick() {
    audio::DriverConfig driverConfig;
    driverConfig.sampleRate = kRate;
    driverConfig.blockSize = kPeriod;
    driverConfig.clientName = kClient;
    auto opened = audio::openDriver("jack", driverConfig);
    CHRONUS_VERIFY_OK(opened);
    audio::AudioDriver& driver = *opened.value().driver;
    QCOMPARE(driver.inputChannels(), 0);

    EngineConfig config;
    config.sampleRate = driver.sampleRate();
    config.workers = WorkerMode::Threads;
    SlotEngine engine(config);
    audio::EngineCallback callback(engine);
    struct StopFirst {
        audio::AudioDriver& driver;
        SlotEngine& engine;
        ~StopFirst() {
            driver.stop();
            engine.stop();
        }
    } stopFirst{driver, engine};
    app::CaptureOnDemand capture(driver, callback, engine, driverConfig);

    TestClient listener(false, static_cast<std::size_t>(kRate) * 20);
    QVERIFY(listener.open("listener"));
    TestClient tone(true, 0);
    QVERIFY(tone.open("tone"));
    CHRONUS_VERIFY_OK(engine.start());
    CHRONUS_VERIFY_OK(driver.start(callback));
    const std::string client = kClient;
    QCOMPARE(listener.connect(client + ":outport 0", listener.port(0), client + ":outport 1", listener.port(1)), 2);

    // A patch without audio_in: no capture stream, no input ports.
    CHRONUS_VERIFY_OK(engine.loadPending(sinePatch(false)));
    CHRONUS_VERIFY_OK(engine.commit());
    QCOMPARE(QString::fromStdString(capture.check()), QString());
    QCOMPARE(driver.inputChannels(), 0);
    QCOMPARE(listener.countPorts(client + ":inport"), 0);
    const std::size_t before = listener.frames();
    QVERIFY(waitFor([&] { return listener.frames() > before + static_cast<std::size_t>(kRate) / 2; }));

    // The patch with audio_in: the capture opens, said in one line.
    CHRONUS_VERIFY_OK(engine.loadPending(sinePatch(true)));
    CHRONUS_VERIFY_OK(engine.commit());
    const std::size_t atReopen = listener.frames();
    const QString line = QString::fromStdString(capture.check());
    test::reportFigure(line);
    QVERIFY2(line.contains("capture opened on jack (2 channels"), qPrintable(line));
    // The recorder's two and RtAudio's own two to the server's playback ports.
    QVERIFY2(line.contains("4 of 4 connections made again"), qPrintable(line));
    QCOMPARE(driver.inputChannels(), 2);
    QCOMPARE(listener.countPorts(client + ":inport"), 2);
    QCOMPARE(tone.connect(tone.port(0), client + ":inport 0", tone.port(1), client + ":inport 1"), 2);
    // The input reaches the output (right channel), and the sine goes on (left), recorded through
    // the connections made again.
    const std::uint64_t inputBefore = engine.inputFrames();
    QVERIFY(waitFor([&] { return engine.inputFrames() > inputBefore + static_cast<std::uint64_t>(kRate) / 2; }));
    const std::size_t end = listener.frames();
    QVERIFY(end > atReopen + static_cast<std::size_t>(kRate) / 2);
    // Checked once only: a second commit of a patch with audio_in leaves the open capture alone.
    CHRONUS_VERIFY_OK(engine.loadPending(sinePatch(true)));
    CHRONUS_VERIFY_OK(engine.commit());
    QCOMPARE(QString::fromStdString(capture.check()), QString());
    listener.close();
    tone.close();

    const std::vector<float>& left = listener.left();
    const std::vector<float>& right = listener.right();
    // The pause: the longest run of silent frames on the left after the sine started.
    std::size_t first = 0;
    while (first < end && left[first] == 0.0f)
        ++first;
    std::size_t gap = 0, run = 0;
    for (std::size_t i = first; i < end; ++i) {
        run = left[i] == 0.0f ? run + 1 : 0;
        gap = std::max(gap, run);
    }
    // No click: the largest sample-to-sample step is the sine's own (2 pi f / rate * gain, a little
    // less on the sampled wave), with no more than a small margin. A server xrun (the machine's load)
    // can break the recording anywhere: the frames around one are not judged.
    const double sineStep = 2.0 * std::numbers::pi * kSineHz / kRate * kSineGain;
    float largest = 0.0f;
    std::size_t excused = 0;
    for (std::size_t i = first + 1; i < end; ++i) {
        if (listener.nearXrun(i)) {
            ++excused;
            continue;
        }
        largest = std::max(largest, std::fabs(left[i] - left[i - 1]));
    }
    float toneSeen = 0.0f;
    for (std::size_t i = end - static_cast<std::size_t>(kRate) / 4; i < end; ++i)
        toneSeen = std::max(toneSeen, std::fabs(right[i]));
    test::reportFigure(QStringLiteral("reopen: stream closed %1 ms; recorded gap %2 frames (%3 ms); largest step %4 "
                                      "(the sine's own %5); the input on the right at peak %6")
                           .arg(capture.lastPauseMs(), 0, 'f', 1)
                           .arg(gap)
                           .arg(static_cast<double>(gap) * 1000.0 / kRate, 0, 'f', 1)
                           .arg(static_cast<double>(largest), 0, 'f', 4)
                           .arg(sineStep, 0, 'f', 4)
                           .arg(static_cast<double>(toneSeen), 0, 'f', 3)
                       + QStringLiteral("; server xruns %1 (%2 frames not judged)").arg(listener.xruns()).arg(excused));
    QVERIFY2(gap > 0, "the stream reopened without a pause the recording shows");
    QVERIFY2(static_cast<double>(largest) <= sineStep * 1.1, qPrintable(QString::number(static_cast<double>(largest))));
    QVERIFY2(std::fabs(toneSeen - kToneAmplitude) < 0.01f, qPrintable(QString::number(static_cast<double>(toneSeen))));
}

// The same in `chronus serve --audio jack`, driven by `chronus ctl`: the log line, the status, the ports.
void TestCaptureOnDemand::serveOpensTheCaptureAtTheFirstCommitThatNeedsIt() {
    QTemporaryDir dir;
    const int port = test::freeUdpPort();
    QProcess serve;
    serve.setStandardOutputFile(QProcess::nullDevice());
    serve.start(CHRONUS_BINARY, {"serve", "--audio", "jack", "--osc-port", QString::number(port), "--fresh", "--workers",
                                 "threads", "--autosave", dir.filePath("a.json"), "--patches", dir.filePath("p")});
    QVERIFY(serve.waitForStarted(10000));
    struct StopServe {
        QProcess& p;
        ~StopServe() {
            p.terminate();
            if (!p.waitForFinished(15000)) {
                p.kill();
                p.waitForFinished();
            }
        }
    } stopServe{serve};
    const auto ctl = [port](const QStringList& args) {
        QProcess p;
        p.start(CHRONUS_BINARY, QStringList{"ctl", "--port", QString::number(port)} + args);
        p.waitForFinished(30000);
        return p.exitCode() == 0 && p.exitStatus() == QProcess::NormalExit ? QString::fromUtf8(p.readAllStandardOutput())
                                                                            : QStringLiteral("(failed)");
    };
    QVERIFY(waitFor([&] { return ctl({"--timeout", "200", "status"}) != "(failed)"; }, 20000));
    TestClient probe(false, 0);
    QVERIFY(probe.open("probe"));
    QString err;
    QVERIFY(ctl({"create", "osc", "sine"}) != "(failed)");
    QVERIFY(ctl({"connect", "osc", "out.left"}) != "(failed)");
    QVERIFY(ctl({"commit"}) != "(failed)");
    QVERIFY2(ctl({"--json", "status"}).contains(R"("input":"none")"), "no capture for a patch without audio_in");
    QCOMPARE(probe.countPorts("chronus:inport"), 0);
    QVERIFY(ctl({"create", "mic", "audio_in"}) != "(failed)");
    QVERIFY(ctl({"connect", "mic.left", "out.right"}) != "(failed)");
    // The commit's reply comes once the capture is open.
    QVERIFY(ctl({"commit"}) != "(failed)");
    QVERIFY2(ctl({"--json", "status"}).contains(R"("input":"capture")"), "capture after the commit");
    QCOMPARE(probe.countPorts("chronus:inport"), 2);
    QVERIFY(waitFor([&] {
        err += QString::fromUtf8(serve.readAllStandardError());
        return err.contains("chronus serve: the patch reads input (audio_in): capture opened on jack (2 channels");
    }));
}

QTEST_GUILESS_MAIN(TestCaptureOnDemand)
#include "tst_capture_on_demand.moc"
