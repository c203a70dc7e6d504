#pragma once
// `chronus serve --audio null` as a separate process, for the hostile-input tests: the attacks go
// to the real server the way an agent's would, and what is checked afterwards is what a user sees
// (its answers, its dump, its memory, its exit). stdout and stderr go to files, not pipes: a
// server that writes a lot while the test is busy sending never blocks on a full pipe.
//
// In a sanitizer build (build-asan) the chronus binary is instrumented too; a report on its stderr,
// or an exit other than 0 after SIGTERM (LeakSanitizer exits 23), fails the test that stops it.
// Control thread only.

#include "osc/OscTestClient.hpp"
#include "support/FreePort.hpp"
#include "support/Sanitized.hpp"

#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QProcessEnvironment>
#include <QRegularExpression>
#include <QStringList>
#include <QTemporaryDir>

#include <chrono>
#include <csignal>
#include <memory>
#include <string>

namespace chronus::test {

struct RunResult {
    int exitCode = -1; // -1: killed by a signal, or did not finish in time
    QString out;
    QString err;
};

// `chronus ARGS`, to the end (killed after `waitMs`).
inline RunResult runChronus(const QStringList& args, int waitMs = 60000) {
    QProcess p;
    p.start(CHRONUS_BINARY, args);
    if (!p.waitForFinished(waitMs)) {
        p.kill();
        p.waitForFinished();
        return {-1, QString::fromUtf8(p.readAllStandardOutput()), "did not finish"};
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}

// An integer from the environment, or `fallback` when unset or not a positive number.
inline long long envCount(const char* name, long long fallback) {
    bool ok = false;
    const long long v = qgetenv(name).toLongLong(&ok);
    return ok && v > 0 ? v : fallback;
}

// What a sanitizer wrote, if anything: the first line of its report.
inline QString sanitizerReport(const QString& stderrText) {
    static const QRegularExpression report(
        QStringLiteral("^.*(ERROR: (Address|Leak|Thread|UndefinedBehavior)Sanitizer|runtime error:|WARNING: ThreadSanitizer).*$"),
        QRegularExpression::MultilineOption);
    const QRegularExpressionMatch m = report.match(stderrText);
    return m.hasMatch() ? m.captured(0) : QString();
}

class ServeProcess {
public:
    ServeProcess() = default;
    ServeProcess(const ServeProcess&) = delete;
    ServeProcess& operator=(const ServeProcess&) = delete;
    ~ServeProcess() {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished();
        }
    }

    // Starts serve (fresh, its files in a folder of its own, the patches in `patchesDir` or its
    // own) and waits until it answers /engine/status. Empty on success, else why not.
    std::string start(const QStringList& extra = {}, const QString& patchesDir = {}) {
        if (!m_dir.isValid())
            return "no temporary folder";
        m_port = freeUdpPort();
        m_patches = patchesDir.isEmpty() ? m_dir.filePath("patches") : patchesDir;
        m_process.setStandardOutputFile(m_dir.filePath("stdout.txt"));
        m_process.setStandardErrorFile(m_dir.filePath("stderr.txt"));
        m_process.start(CHRONUS_BINARY, QStringList{"serve", "--audio", "null", "--osc-port", QString::number(m_port),
                                                    "--fresh", "--autosave", m_dir.filePath("autosave.json"),
                                                    "--patches", m_patches, "--recordings", m_dir.filePath("rec")} +
                                            extra);
        if (!m_process.waitForStarted(10000))
            return "serve did not start: " + m_process.errorString().toStdString();
        m_client = std::make_unique<OscTestClient>(m_port);
        if (!m_client->valid())
            return "the liblo client could not open a socket";
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < 30000 && m_process.state() == QProcess::Running)
            if (auto r = m_client->call("/engine/status", OscMessage(), {}, std::chrono::milliseconds(200)); r && r->isReply())
                return {};
        return "serve did not answer within 30 s; stderr: " + err().toStdString();
    }

    int port() const { return m_port; }
    qint64 pid() const { return m_process.processId(); }
    bool running() const { return m_process.state() == QProcess::Running; }
    QString patchesDir() const { return m_patches; }
    // The test's own OSC client, on a socket of its own (replies come back to it).
    OscTestClient& client() { return *m_client; }

    // A request and its answer (or a stand-in /error saying there was none).
    OscReply ask(const std::string& path, const OscMessage& m = OscMessage(),
                 std::chrono::milliseconds timeout = std::chrono::milliseconds(10000)) {
        auto r = m_client->call(path, m, {}, timeout);
        return r ? *r : OscReply{"(no answer to " + path + ")", {}, std::nullopt};
    }
    // Where the attacks start from: a sine into out, committed and playing, with a pending saw on
    // top. Empty when it is so; else the first answer that was not a reply.
    std::string playSineWithPendingSaw() {
        for (const OscReply& r : {ask("/patch/create", OscMessage().s("osc1").s("sine")),
                                  ask("/patch/connect", OscMessage().s("osc1").s("out")), ask("/patch/commit"),
                                  ask("/patch/create", OscMessage().s("pend1").s("saw"))})
            if (!r.isReply())
                return r.describe().toStdString();
        return {};
    }
    // The pending and the committed patch as serve writes them (/patch/dump), "" when it did not answer.
    std::pair<std::string, std::string> dump() {
        const OscReply r = ask("/patch/dump");
        if (!r.isReply() || r.valueCount() != 2)
            return {};
        return {r.value(0).s, r.value(1).s};
    }

    RunResult ctl(const QStringList& args) const {
        return runChronus(QStringList{"ctl", "--port", QString::number(m_port)} + args);
    }

    // Resident memory (VmRSS) in KiB, -1 when the process is gone.
    long long rssKiB() const {
        QFile status(QStringLiteral("/proc/%1/status").arg(pid()));
        if (!status.open(QIODevice::ReadOnly))
            return -1;
        for (const QByteArray& line : status.readAll().split('\n'))
            if (line.startsWith("VmRSS:"))
                return line.mid(6).trimmed().split(' ').first().toLongLong();
        return -1;
    }

    QString err() const { return readFile("stderr.txt"); }
    QString out() const { return readFile("stdout.txt"); }

    // SIGTERM; the exit code (-1 when it crashed, was killed, or did not stop within 30 s).
    int stop() {
        if (m_process.state() == QProcess::NotRunning)
            return m_process.exitStatus() == QProcess::NormalExit ? m_process.exitCode() : -1;
        m_client.reset();
        m_process.terminate();
        if (!m_process.waitForFinished(30000)) {
            m_process.kill();
            m_process.waitForFinished();
            return -1;
        }
        return m_process.exitStatus() == QProcess::NormalExit ? m_process.exitCode() : -1;
    }

private:
    QString readFile(const char* name) const {
        QFile f(m_dir.filePath(QString::fromLatin1(name)));
        return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
    }

    QTemporaryDir m_dir;
    QProcess m_process;
    std::unique_ptr<OscTestClient> m_client;
    int m_port = -1;
    QString m_patches;
};

} // namespace chronus::test

// Fails the test if serve's resident memory grew by `grownKiB` or more, in the plain build. Under
// AddressSanitizer freed memory waits in a quarantine (256 MiB) before reuse and the shadow grows
// with it, so resident memory says nothing about a leak there; LeakSanitizer's check at serve's exit
// (STOP_SERVE_CLEANLY) says it instead. The figure is reported either way.
#define VERIFY_RSS_GROWTH(grownKiB, boundKiB, what)                                                         \
    do {                                                                                                     \
        const long long grown_ = (grownKiB);                                                                 \
        qInfo("%s: resident memory grew by %lld KiB (bound %lld KiB%s)", what, grown_,                     \
              static_cast<long long>(boundKiB), ::chronus::test::kSanitized ? ", checked in the plain build" : ""); \
        if (!::chronus::test::kSanitized)                                                                    \
            QVERIFY2(grown_ < (boundKiB), what);                                                             \
    } while (false)

// Stops serve and fails the test unless it exits 0 without a sanitizer's report.
#define STOP_SERVE_CLEANLY(serve)                                                                            \
    do {                                                                                                     \
        const int code_ = (serve).stop();                                                                    \
        const QString report_ = ::chronus::test::sanitizerReport((serve).err());                             \
        QVERIFY2(report_.isEmpty(), qPrintable(report_));                                                    \
        QVERIFY2(code_ == 0, qPrintable(QStringLiteral("serve exited %1; stderr:\n%2").arg(code_).arg((serve).err().right(3000)))); \
    } while (false)
