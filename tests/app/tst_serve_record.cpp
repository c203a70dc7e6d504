// Recording through the real executables: `chronus ctl record start|status|stop` against
// `chronus serve --audio null --recordings DIR`, as text and as JSON; and a recording still running
// when the server gets SIGTERM is finished into a valid file.

#include "support/FreePort.hpp"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <sndfile.h>

#include <arpa/inet.h>
#include <cmath>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using chronus::test::freeUdpPort;

struct RunResult {
    int exitCode = -1;
    QString out;
    QString err;
};

RunResult runChronus(const QStringList& args) {
    QProcess p;
    p.start(CHRONUS_BINARY, args);
    if (!p.waitForFinished(30000)) {
        p.kill();
        p.waitForFinished();
        return {-1, QString(), "did not finish"};
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}

QJsonObject parseReply(const RunResult& r) {
    const QStringList lines = r.out.trimmed().split('\n');
    return lines.size() == 1 ? QJsonDocument::fromJson(lines.first().toUtf8()).object() : QJsonObject();
}

// A `chronus serve --audio null` of its own, with every folder in `dir`.
class Server {
public:
    Server(const QTemporaryDir& dir, const QString& name) : m_dir(dir.filePath(name)) {}
    ~Server() {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished();
        }
    }
    QString recordings() const { return QDir(m_dir).filePath(QStringLiteral("recordings")); }
    // Empty when it answers `ctl status`, else why not.
    QString start() {
        m_port = freeUdpPort();
        m_process.start(CHRONUS_BINARY, {"serve", "--audio", "null", "--osc-port", QString::number(m_port), "--fresh",
                                         "--autosave", QDir(m_dir).filePath("autosave.json"), "--patches",
                                         QDir(m_dir).filePath("patches"), "--recordings", recordings()});
        if (!m_process.waitForStarted(10000))
            return "chronus serve did not start: " + m_process.errorString();
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < 20000) {
            if (m_process.state() != QProcess::Running)
                return "chronus serve exited: " + QString::fromUtf8(m_process.readAllStandardError());
            if (ctl({"--timeout", "200", "status"}).exitCode == 0)
                return {};
        }
        return QStringLiteral("chronus serve did not answer within 20 s");
    }
    RunResult ctl(const QStringList& args) { return runChronus(QStringList{"ctl", "--port", QString::number(m_port)} + args); }
    RunResult ctlJson(const QStringList& args) { return ctl(QStringList{"--json"} + args); }
    // SIGTERM; the exit code, stdout and stderr.
    RunResult terminate() {
        m_process.terminate();
        if (!m_process.waitForFinished(15000))
            return {-1, QString(), "did not stop within 15 s of SIGTERM"};
        return {m_process.exitStatus() == QProcess::NormalExit ? m_process.exitCode() : -1,
                QString::fromUtf8(m_process.readAllStandardOutput()), QString::fromUtf8(m_process.readAllStandardError())};
    }

private:
    QString m_dir;
    QProcess m_process;
    int m_port = -1;
};

#define START_SERVER(server)                                                                                 \
    do {                                                                                                     \
        const QString why_ = (server).start();                                                               \
        QVERIFY2(why_.isEmpty(), qPrintable(why_));                                                          \
    } while (false)

#define VERIFY_CTL(r)                                                                                        \
    do {                                                                                                     \
        const RunResult& r_ = (r);                                                                           \
        QVERIFY2(r_.exitCode == 0, qPrintable(r_.out + r_.err));                                             \
    } while (false)

void commitSine(Server& server) {
    VERIFY_CTL(server.ctl({"create", "osc1", "sine"}));
    VERIFY_CTL(server.ctl({"connect", "osc1", "out"}));
    VERIFY_CTL(server.ctl({"commit"}));
}

// Polls `record status --json` until the recording lasts `seconds`; its last answer.
QJsonObject waitRecorded(Server& server, double seconds) {
    QJsonObject status;
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < 10000) {
        status = parseReply(server.ctlJson({"record", "status"}));
        if (!status.value("recording").toBool() || status.value("duration").toDouble() >= seconds)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return status;
}

} // namespace

class TestServeRecord : public QObject {
    Q_OBJECT

private slots:
    void ctlRecordPrintsPathAndDuration();
    void sigtermFinishesARunningRecording();

private:
    QTemporaryDir m_dir;
};

void TestServeRecord::ctlRecordPrintsPathAndDuration() {
    Server server(m_dir, QStringLiteral("ctl"));
    START_SERVER(server);
    commitSine(server);
    const QString path = QDir(server.recordings()).absoluteFilePath(QStringLiteral("take.wav"));

    RunResult r = server.ctl({"record", "status"});
    VERIFY_CTL(r);
    QCOMPARE(r.out.trimmed(), QStringLiteral("not recording"));

    r = server.ctl({"record", "start", "take"});
    VERIFY_CTL(r);
    QCOMPARE(r.out.trimmed(), "recording to " + path);

    const QJsonObject status = waitRecorded(server, 0.5);
    QCOMPARE(status.value("ok").toBool(), true);
    QCOMPARE(status.value("address").toString(), QStringLiteral("/record/status"));
    QCOMPARE(status.value("recording").toBool(), true);
    QCOMPARE(status.value("path").toString(), path);
    QVERIFY(status.value("duration").toDouble() >= 0.5);
    QCOMPARE(status.value("dropped_frames").toInt(-1), 0);
    QCOMPARE(status.value("error").toString(), QString());

    r = server.ctl({"record", "status"});
    VERIFY_CTL(r);
    QVERIFY2(r.out.startsWith("recording to " + path + " ("), qPrintable(r.out));

    r = server.ctl({"record", "stop"});
    VERIFY_CTL(r);
    static const QRegularExpression stopped(QStringLiteral("^recorded (.+) \\((\\d+\\.\\d\\d) s\\)$"));
    const QRegularExpressionMatch m = stopped.match(r.out.trimmed());
    QVERIFY2(m.hasMatch(), qPrintable(r.out));
    QCOMPARE(m.captured(1), path);
    const double seconds = m.captured(2).toDouble();
    QVERIFY(seconds >= 0.5);

    SF_INFO info{};
    SNDFILE* f = sf_open(QFile::encodeName(path).constData(), SFM_READ, &info);
    QVERIFY(f);
    sf_close(f);
    QCOMPARE(info.channels, 2);
    QCOMPARE(info.format & SF_FORMAT_SUBMASK, SF_FORMAT_PCM_24);
    QVERIFY(std::fabs(static_cast<double>(info.frames) / info.samplerate - seconds) <= 0.006);

    r = server.ctl({"record", "status"});
    VERIFY_CTL(r);
    QVERIFY2(r.out.startsWith("not recording; last recording " + path), qPrintable(r.out));

    // JSON: the named fields; errors exit 1 with the server's message.
    r = server.ctlJson({"record", "start", "take"});
    VERIFY_CTL(r);
    const QJsonObject started = parseReply(r);
    QCOMPARE(started.value("path").toString(), QDir(server.recordings()).absoluteFilePath(QStringLiteral("take-2.wav")));
    waitRecorded(server, 0.2);
    r = server.ctlJson({"record", "stop"});
    VERIFY_CTL(r);
    const QJsonObject finished = parseReply(r);
    QCOMPARE(finished.value("path").toString(), started.value("path").toString());
    QVERIFY(finished.value("duration").toDouble() >= 0.2);

    r = server.ctlJson({"record", "stop"});
    QCOMPARE(r.exitCode, 1);
    QCOMPARE(parseReply(r).value("error").toString(), QStringLiteral("not recording"));
    r = server.ctl({"record", "start", "../outside"});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("is not a recording name"), qPrintable(r.err));
    QVERIFY(!QFileInfo::exists(QDir(server.recordings()).filePath(QStringLiteral("../outside.wav"))));
    r = server.ctl({"record", "pause"});
    QCOMPARE(r.exitCode, 2);
}

void TestServeRecord::sigtermFinishesARunningRecording() {
    Server server(m_dir, QStringLiteral("sigterm"));
    START_SERVER(server);
    commitSine(server);
    const RunResult started = server.ctlJson({"record", "start", "until-sigterm"});
    VERIFY_CTL(started);
    const QString path = parseReply(started).value("path").toString();
    QVERIFY(!path.isEmpty());
    const QJsonObject status = waitRecorded(server, 0.4);
    QVERIFY(status.value("recording").toBool());

    const RunResult stopped = server.terminate();
    QVERIFY2(stopped.exitCode == 0, qPrintable(stopped.err));
    QVERIFY2(stopped.out.contains("recording saved to " + path), qPrintable(stopped.out));

    SF_INFO info{};
    SNDFILE* f = sf_open(QFile::encodeName(path).constData(), SFM_READ, &info);
    QVERIFY2(f, sf_strerror(nullptr));
    std::vector<float> samples(static_cast<std::size_t>(info.frames * info.channels));
    QCOMPARE(sf_readf_float(f, samples.data(), info.frames), info.frames);
    sf_close(f);
    QCOMPARE(info.channels, 2);
    QVERIFY(static_cast<double>(info.frames) / info.samplerate >= 0.4);
    // The header covers every byte of audio in the file, and the sine plays to the very end.
    const qint64 dataBytes = static_cast<qint64>(info.frames) * info.channels * 3;
    QVERIFY(QFileInfo(path).size() - dataBytes < 128);
    float tailPeak = 0.0f;
    for (std::size_t i = samples.size() - 2 * 480; i < samples.size(); ++i)
        tailPeak = std::max(tailPeak, std::fabs(samples[i]));
    QVERIFY(tailPeak > 0.3f);
}

QTEST_GUILESS_MAIN(TestServeRecord)
#include "tst_serve_record.moc"
