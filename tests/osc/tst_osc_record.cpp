// /record/start, /record/stop and /record/status end to end: a liblo client on
// loopback, the OSC server, the engine playing a sine through the clock-paced null driver, its
// callback feeding the recorder. The file must exist, be stereo, sound, and last what the reply
// said (within one block); bad names, a second start, a stop with nothing to stop, an unwritable
// folder and a disk that fills up get a specific /error while the audio goes on.

#include "OscTestClient.hpp"

#include "app/Recorder.hpp"
#include "audio/EngineCallback.hpp"
#include "support/Sanitized.hpp"
#include "support/SignalAnalysis.hpp"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <sndfile.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <sys/resource.h>
#include <thread>

using namespace chronus;
using chronus::test::OscMessage;
using chronus::test::OscReply;
using chronus::test::OscTestClient;
using Msg = OscMessage;

namespace {

constexpr double kRate = 48000.0;
constexpr double kBlockSeconds = 64.0 / kRate;

// Engine, recorder, callback, null driver, OSC server on a free port, client.
struct RecordRig {
    explicit RecordRig(const QString& folder, bool withRecorder = true)
        : engine(test::oscTestEngineConfig()), recorder(kRate, options(folder)),
          callback(engine, &recorder.tap()), m_withRecorder(withRecorder) {}
    ~RecordRig() {
        client.reset();
        if (server)
            server->stop();
        driver.stop();
        engine.stop();
    }
    static app::RecorderOptions options(const QString& folder) {
        app::RecorderOptions o;
        o.folder = folder;
        return o;
    }
    std::string start() {
        if (auto s = engine.start(); !s)
            return s.message();
        audio::DriverConfig dc;
        dc.sampleRate = kRate;
        dc.blockSize = 64;
        if (auto s = driver.start(callback, dc); !s)
            return s.message();
        app::OscServerOptions o;
        o.port = 0;
        server = std::make_unique<app::OscServer>(engine, o);
        server->setDriver(&driver);
        if (m_withRecorder)
            server->setRecorder(&recorder);
        if (auto s = server->start(); !s)
            return s.message();
        client = std::make_unique<OscTestClient>(server->port());
        return client->valid() ? std::string() : "the liblo client could not open a socket";
    }
    OscReply ask(const std::string& path, const OscMessage& message = OscMessage()) {
        if (auto r = client->call(path, message))
            return *r;
        return OscReply{"(no answer within 5 s to " + path + ")", {}};
    }
    std::uint64_t noneReads() const {
        const engine::EngineStats s = engine.stats();
        return s.slot[0].noneReads + s.slot[1].noneReads;
    }

    engine::SlotEngine engine;
    app::Recorder recorder;
    audio::EngineCallback callback;
    audio::NullDriver driver;
    std::unique_ptr<app::OscServer> server;
    std::unique_ptr<OscTestClient> client;

private:
    bool m_withRecorder;
};

void commitSine(RecordRig& rig, double freq) {
    VERIFY_REPLY(rig.ask("/patch/create", Msg().s("osc1").s("sine")));
    VERIFY_REPLY(rig.ask("/patch/set", Msg().s("osc1").s("freq").f(static_cast<float>(freq))));
    VERIFY_REPLY(rig.ask("/patch/connect", Msg().s("osc1").s("out")));
    VERIFY_REPLY(rig.ask("/patch/commit"));
}

// /record/status as its five values; false when the reply has another shape.
struct RecordStatus {
    bool recording = false;
    std::string path;
    double seconds = 0.0;
    double dropped = 0.0;
    std::string error;
};
bool parseStatus(const OscReply& r, RecordStatus& st) {
    if (!r.isReply() || r.valueCount() != 5 || r.value(0).type != 'i' || r.value(1).type != 's' ||
        !r.value(2).isNumber() || r.value(3).type != 'i' || r.value(4).type != 's')
        return false;
    st.recording = r.value(0).i != 0;
    st.path = r.value(1).s;
    st.seconds = r.value(2).number();
    st.dropped = r.value(3).number();
    st.error = r.value(4).s;
    return true;
}

struct Wav {
    bool ok = false;
    int channels = 0;
    int sampleRate = 0;
    std::vector<float> left;
};
Wav readWav(const std::string& path) {
    Wav wav;
    SF_INFO info{};
    SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
    if (!f)
        return wav;
    std::vector<float> interleaved(static_cast<std::size_t>(info.frames * info.channels));
    sf_readf_float(f, interleaved.data(), info.frames);
    sf_close(f);
    wav.ok = true;
    wav.channels = info.channels;
    wav.sampleRate = info.samplerate;
    for (sf_count_t i = 0; i < info.frames; ++i)
        wav.left.push_back(interleaved[static_cast<std::size_t>(i * info.channels)]);
    return wav;
}

} // namespace

class TestOscRecord : public QObject {
    Q_OBJECT

private slots:
    void startWaitStopWritesWhatTheRepliesSay();
    void badRequestsGetSpecificErrors();
    void unwritableFolderIsAnErrorAndAudioGoesOn();
    void fullDiskIsReportedByStatusAndStop();
    void withoutARecorderTheErrorSaysSo();

private:
    QTemporaryDir m_dir;
};

void TestOscRecord::startWaitStopWritesWhatTheRepliesSay() {
    const QString folder = m_dir.filePath(QStringLiteral("recordings"));
    RecordRig rig(folder);
    START_RIG(rig);
    commitSine(rig, 440.0);

    RecordStatus st;
    QVERIFY(parseStatus(rig.ask("/record/status"), st));
    QVERIFY(!st.recording);
    QCOMPARE(st.path, std::string());

    const OscReply started = rig.ask("/record/start", Msg().s("groove"));
    VERIFY_REPLY(started);
    QCOMPARE(started.valueCount(), std::size_t{1});
    const std::string path = started.value(0).s;
    QCOMPARE(QString::fromStdString(path), QDir(folder).absoluteFilePath(QStringLiteral("groove.wav")));

    // Half a second of audio, as the status reports it.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    do {
        QVERIFY(parseStatus(rig.ask("/record/status"), st));
        QVERIFY(st.recording);
        QCOMPARE(st.path, path);
        QVERIFY(std::chrono::steady_clock::now() < deadline);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } while (st.seconds < 0.5);

    const OscReply stopped = rig.ask("/record/stop");
    VERIFY_REPLY(stopped);
    QCOMPARE(stopped.valueCount(), std::size_t{2});
    QCOMPARE(stopped.value(0).s, path);
    QVERIFY(stopped.value(1).isNumber());
    const double seconds = stopped.value(1).number();
    QVERIFY2(seconds >= 0.5 && seconds < 5.0, qPrintable(QString::number(seconds)));

    const Wav wav = readWav(path);
    QVERIFY2(wav.ok, path.c_str());
    QCOMPARE(wav.channels, 2);
    QCOMPARE(wav.sampleRate, 48000);
    const double fileSeconds = static_cast<double>(wav.left.size()) / kRate;
    QVERIFY2(std::fabs(fileSeconds - seconds) <= kBlockSeconds,
             qPrintable(QStringLiteral("file %1 s, reply %2 s").arg(fileSeconds).arg(seconds)));
    QVERIFY(test::peak(wav.left) > 0.3f);
    QVERIFY(std::fabs(test::estimateFrequency(wav.left, kRate) - 440.0) < 1.0);

    QVERIFY(parseStatus(rig.ask("/record/status"), st));
    QVERIFY(!st.recording);
    QCOMPARE(st.path, path);
    QVERIFY(std::fabs(st.seconds - seconds) < 1e-4);
    QCOMPARE(st.dropped, 0.0);
    QCOMPARE(st.error, std::string());

    // No name: the date and time, in the same folder.
    const OscReply dated = rig.ask("/record/start");
    VERIFY_REPLY(dated);
    QVERIFY2(QFileInfo(QString::fromStdString(dated.value(0).s)).fileName().startsWith("chronus-"), dated.describe().constData());
    VERIFY_REPLY(rig.ask("/record/stop"));
    CHRONUS_VERIFY_NO_NONE_READS(rig.noneReads());
}

void TestOscRecord::badRequestsGetSpecificErrors() {
    const QString folder = m_dir.filePath(QStringLiteral("bad"));
    RecordRig rig(folder);
    START_RIG(rig);
    commitSine(rig, 440.0);

    VERIFY_ERROR(rig.ask("/record/stop"), "/record/stop", "not recording");
    VERIFY_ERROR(rig.ask("/record/start", Msg().s("../escape")), "/record/start", "is not a recording name");
    VERIFY_ERROR(rig.ask("/record/start", Msg().s("/tmp/escape")), "/record/start", "without '/'");
    VERIFY_ERROR(rig.ask("/record/start", Msg().s(".hidden")), "/record/start", "is not a recording name");
    VERIFY_ERROR(rig.ask("/record/start", Msg().i(42)), "/record/start", "expected ([name]), got (integer)");
    VERIFY_ERROR(rig.ask("/record/start", Msg().s("a").s("b")), "/record/start", "expected ([name])");
    VERIFY_ERROR(rig.ask("/record/stop", Msg().s("now")), "/record/stop", "expected (no arguments)");
    VERIFY_ERROR(rig.ask("/record/status", Msg().i(1)), "/record/status", "expected (no arguments)");
    VERIFY_ERROR(rig.ask("/record/pause"), "/record/pause", "unknown address");
    QVERIFY(!QFileInfo::exists(QDir(folder).filePath(QStringLiteral("../escape.wav"))));
    QVERIFY(!QFileInfo::exists(QStringLiteral("/tmp/escape.wav")));

    const OscReply started = rig.ask("/record/start", Msg().s("take"));
    VERIFY_REPLY(started);
    VERIFY_ERROR(rig.ask("/record/start", Msg().s("other")), "/record/start",
                 "already recording to " + started.value(0).s);
    RecordStatus st;
    QVERIFY(parseStatus(rig.ask("/record/status"), st));
    QVERIFY(st.recording);
    QCOMPARE(st.path, started.value(0).s);
    VERIFY_REPLY(rig.ask("/record/stop"));
    // The same name again: a new file next to the first.
    const OscReply again = rig.ask("/record/start", Msg().s("take"));
    VERIFY_REPLY(again);
    QCOMPARE(QFileInfo(QString::fromStdString(again.value(0).s)).fileName(), QStringLiteral("take-2.wav"));
    VERIFY_REPLY(rig.ask("/record/stop"));
    CHRONUS_VERIFY_NO_NONE_READS(rig.noneReads());
}

void TestOscRecord::unwritableFolderIsAnErrorAndAudioGoesOn() {
    QFile blocker(m_dir.filePath(QStringLiteral("not-a-folder")));
    QVERIFY(blocker.open(QIODevice::WriteOnly));
    blocker.close();
    RecordRig rig(blocker.fileName() + "/recordings");
    START_RIG(rig);
    commitSine(rig, 440.0);
    const std::uint64_t before = rig.driver.framesProcessed();
    VERIFY_ERROR(rig.ask("/record/start", Msg().s("take")), "/record/start", "Not a directory");
    VERIFY_ERROR(rig.ask("/record/start"), "/record/start", "cannot create the recordings folder");
    RecordStatus st;
    QVERIFY(parseStatus(rig.ask("/record/status"), st));
    QVERIFY(!st.recording);
    QTRY_VERIFY(rig.driver.framesProcessed() > before + 4800); // the audio goes on
    QVERIFY(rig.callback.lastPeak() > 0.3f);
    CHRONUS_VERIFY_NO_NONE_READS(rig.noneReads());
}

// The disk fills up while recording (the file size limit stands in for it: the write fails the
// same way): /record/status reports the error, /record/stop returns it, the audio goes on.
void TestOscRecord::fullDiskIsReportedByStatusAndStop() {
    RecordRig rig(m_dir.filePath(QStringLiteral("full")));
    START_RIG(rig);
    commitSine(rig, 440.0);
    rlimit saved{};
    getrlimit(RLIMIT_FSIZE, &saved);
    const auto previous = std::signal(SIGXFSZ, SIG_IGN);
    rlimit limit = saved;
    limit.rlim_cur = 100 * 1024;
    QVERIFY(setrlimit(RLIMIT_FSIZE, &limit) == 0);
    const OscReply started = rig.ask("/record/start", Msg().s("full"));
    RecordStatus st;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (started.isReply() && parseStatus(rig.ask("/record/status"), st) && st.error.empty() &&
           std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    setrlimit(RLIMIT_FSIZE, &saved);
    std::signal(SIGXFSZ, previous);
    VERIFY_REPLY(started);
    QVERIFY(parseStatus(rig.ask("/record/status"), st));
    QVERIFY(!st.recording);
    QVERIFY2(st.error.find("write failed") != std::string::npos, st.error.c_str());
    QCOMPARE(st.path, started.value(0).s);
    QVERIFY(st.seconds > 0.0);
    const std::uint64_t before = rig.driver.framesProcessed();
    VERIFY_ERROR(rig.ask("/record/stop"), "/record/stop", "write failed");
    QTRY_VERIFY(rig.driver.framesProcessed() > before + 4800);
    CHRONUS_VERIFY_NO_NONE_READS(rig.noneReads());
    QVERIFY(readWav(started.value(0).s).ok); // what was written before the error still reads
}

void TestOscRecord::withoutARecorderTheErrorSaysSo() {
    RecordRig rig(m_dir.filePath(QStringLiteral("none")), false);
    START_RIG(rig);
    for (const char* address : {"/record/start", "/record/stop", "/record/status"})
        VERIFY_ERROR(rig.ask(address), address, "recording is not available");
}

QTEST_GUILESS_MAIN(TestOscRecord)
#include "tst_osc_record.moc"
