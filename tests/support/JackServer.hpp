#pragma once
// A private JACK server for one test program: jackd's dummy backend (real real-time callbacks and
// xrun reports, no sound card) under a name of its own, so that tests running side by side and a
// user's own server are left alone. The name goes to JACK_DEFAULT_SERVER for this process and the
// processes it starts (worker processes, `chronus serve`); the server dies with the test
// (PR_SET_PDEATHSIG) if the test dies first. For the JACK tests only: they link Qt and libjack.

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QProcess>
#include <QString>
#include <QTest>

#include <jack/jack.h>
#include <sys/prctl.h>

#include <csignal>

namespace chronus::test {

class JackServer {
public:
    JackServer() = default;
    JackServer(const JackServer&) = delete;
    JackServer& operator=(const JackServer&) = delete;
    ~JackServer() { stop(); }

    // Whether `jackd` (the path CMake found, may be empty) can be run.
    static bool installed(const QString& jackd) { return !jackd.isEmpty() && QFileInfo(jackd).isExecutable(); }
    static constexpr const char* kNotInstalled = "jackd is not installed (Debian package jackd2; scripts/deps.sh installs it)";

    // Starts `jackd -n chronus-TAG-PID -d dummy -r RATE -p PERIOD` and waits (at most 8 s) until it
    // takes clients. An empty string when it does; otherwise what went wrong, with jackd's output.
    QString start(const QString& jackd, const QString& tag, int rate, int period) {
        m_name = QStringLiteral("chronus-%1-%2").arg(tag).arg(QCoreApplication::applicationPid());
        qputenv("JACK_DEFAULT_SERVER", m_name.toUtf8());
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("JACK_DEFAULT_SERVER", m_name);
        env.insert("JACK_NO_AUDIO_RESERVATION", "1");
        m_process.setProcessEnvironment(env);
        m_process.setProcessChannelMode(QProcess::MergedChannels);
        m_process.setChildProcessModifier([] { prctl(PR_SET_PDEATHSIG, SIGTERM); });
        m_process.start(jackd, {"-n", m_name, "-d", "dummy", "-r", QString::number(rate), "-p", QString::number(period)});
        if (!m_process.waitForStarted(5000))
            return "jackd did not start: " + m_process.errorString();
        // The server takes clients once its driver runs: retry a client, no fixed sleep.
        QElapsedTimer timer;
        timer.start();
        for (;;) {
            jack_status_t status{};
            if (jack_client_t* probe = jack_client_open("chronus-probe", JackNoStartServer, &status)) {
                jack_client_close(probe);
                return {};
            }
            if (m_process.state() == QProcess::NotRunning)
                return "jackd exited: " + QString::fromLocal8Bit(m_process.readAll());
            if (timer.elapsed() > 8000)
                return "the JACK server did not come up in 8 s: " + QString::fromLocal8Bit(m_process.readAll());
            QTest::qWait(50);
        }
    }

    void stop() {
        if (m_process.state() == QProcess::NotRunning)
            return;
        m_process.terminate();
        if (!m_process.waitForFinished(5000)) {
            m_process.kill();
            m_process.waitForFinished(2000);
        }
    }

    const QString& name() const { return m_name; }
    QProcess& process() { return m_process; }

private:
    QProcess m_process;
    QString m_name;
};

} // namespace chronus::test
