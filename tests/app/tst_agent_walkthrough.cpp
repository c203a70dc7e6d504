// The README's agent session, run exactly as written: the `chronus ctl` lines between the
// agent-session markers go, one by one, to a real `chronus serve --audio null`; `sleep N` waits
// until the recording holds N seconds. Then the recording is checked: its length, stereo, level
// under the limiter's ceiling, the 175 BPM groove in its envelope, and the live changes applied.

#include "support/FreePort.hpp"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <sndfile.h>

#include "support/SignalAnalysis.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

namespace {

using chronus::test::freeUdpPort;

constexpr int kMaxCommands = 12; // the bar for the whole session
constexpr double kBpm = 175.0;

struct Command {
    QStringList words; // after "chronus"
    QString line;
};

// Shell words of one command line: spaces separate, double or single quotes group, a '#' that
// starts a word starts a comment. Enough for the README's lines; anything else fails the parse.
std::optional<QStringList> shellWords(const QString& line) {
    QStringList words;
    QString word;
    bool inWord = false;
    QChar quote;
    for (qsizetype i = 0; i < line.size(); ++i) {
        const QChar c = line[i];
        if (!quote.isNull()) {
            if (c == quote)
                quote = QChar();
            else
                word += c;
            continue;
        }
        if (c == '"' || c == '\'') {
            quote = c;
            inWord = true;
        } else if (c.isSpace()) {
            if (inWord)
                words << word;
            word.clear();
            inWord = false;
        } else if (c == '#' && !inWord) {
            break;
        } else if (c == '$' || c == '`' || c == ';' || c == '|' || c == '&' || c == '\\') {
            return std::nullopt; // not a plain command: the test would not run what the reader runs
        } else {
            word += c;
            inWord = true;
        }
    }
    if (!quote.isNull())
        return std::nullopt;
    if (inWord)
        words << word;
    return words;
}

// The session from the README: lines joined at trailing backslashes.
std::optional<std::vector<Command>> readSession(QString* problem) {
    QFile readme(QStringLiteral(CHRONUS_SOURCE_DIR "/README.md"));
    if (!readme.open(QIODevice::ReadOnly)) {
        *problem = "cannot read README.md";
        return std::nullopt;
    }
    const QString text = QString::fromUtf8(readme.readAll());
    const qsizetype begin = text.indexOf("<!-- agent-session:begin -->");
    const qsizetype end = text.indexOf("<!-- agent-session:end -->");
    if (begin < 0 || end < begin) {
        *problem = "README.md has no agent-session markers";
        return std::nullopt;
    }
    QStringList lines = text.mid(begin, end - begin).split('\n');
    std::vector<Command> commands;
    QString joined;
    for (QString line : lines) {
        if (line.startsWith("<!--") || line.startsWith("```"))
            continue;
        if (line.trimmed().endsWith('\\')) {
            line = line.trimmed();
            line.chop(1);
            joined += line + ' ';
            continue;
        }
        joined += line;
        if (joined.trimmed().isEmpty()) {
            joined.clear();
            continue;
        }
        const auto words = shellWords(joined);
        if (!words || words->isEmpty()) {
            *problem = "cannot parse: " + joined;
            return std::nullopt;
        }
        commands.push_back({*words, joined.simplified()});
        joined.clear();
    }
    return commands;
}

struct Run {
    int exitCode = -1;
    QJsonObject reply;
    QString out, err;
};

} // namespace

class TestAgentWalkthrough : public QObject {
    Q_OBJECT

private slots:
    void theReadmeSessionMakesTheGrooveAndRecordsIt();

private:
    Run ctl(const QStringList& args) {
        QProcess p;
        p.start(CHRONUS_BINARY, QStringList{"ctl", "--port", QString::number(m_port), "--json"} + args);
        Run r;
        if (!p.waitForFinished(30000)) {
            p.kill();
            p.waitForFinished();
            r.err = "did not finish";
            return r;
        }
        r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
        r.out = QString::fromUtf8(p.readAllStandardOutput());
        r.err = QString::fromUtf8(p.readAllStandardError());
        r.reply = QJsonDocument::fromJson(r.out.trimmed().toUtf8()).object();
        return r;
    }

    int m_port = -1;
};

void TestAgentWalkthrough::theReadmeSessionMakesTheGrooveAndRecordsIt() {
    QString problem;
    const auto session = readSession(&problem);
    QVERIFY2(session, qPrintable(problem));
    int ctlCommands = 0;
    for (const Command& c : *session) {
        const bool isCtl = c.words.size() >= 2 && c.words[0] == "chronus" && c.words[1] == "ctl";
        const bool isSleep = c.words.size() == 2 && c.words[0] == "sleep";
        QVERIFY2(isCtl || isSleep, qPrintable("the session may only hold chronus ctl and sleep: " + c.line));
        ctlCommands += isCtl;
    }
    QVERIFY2(ctlCommands <= kMaxCommands, qPrintable(QString("%1 commands").arg(ctlCommands)));

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    m_port = freeUdpPort();
    QVERIFY(m_port > 0);
    QProcess server;
    server.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    server.start(CHRONUS_BINARY, {"serve", "--audio", "null", "--osc-port", QString::number(m_port), "--fresh",
                                  "--patches", dir.filePath("patches"), "--autosave", dir.filePath("autosave.json"),
                                  "--recordings", dir.filePath("recordings")});
    QVERIFY(server.waitForStarted());
    auto stopServer = qScopeGuard([&] {
        server.terminate();
        if (!server.waitForFinished(10000))
            server.kill();
    });
    // Ready when it answers.
    QElapsedTimer waited;
    waited.start();
    while (ctl({"status"}).exitCode != 0) {
        QVERIFY2(waited.elapsed() < 20000, "chronus serve did not answer within 20 s");
        QVERIFY2(!server.waitForFinished(100), "chronus serve exited (its stderr is above)");
    }

    QString recording;
    double recordedSeconds = 0.0;
    for (const Command& c : *session) {
        if (c.words[0] == "sleep") {
            // The reader sleeps; the test waits for the recording to hold that much instead.
            const double seconds = c.words[1].toDouble();
            QElapsedTimer clock;
            clock.start();
            for (;;) {
                const Run status = ctl({"record", "status"});
                QCOMPARE(status.exitCode, 0);
                if (status.reply.value("duration").toDouble() >= seconds)
                    break;
                QVERIFY2(clock.elapsed() < seconds * 3000 + 10000, "the recording does not grow");
                QThread::msleep(200);
            }
            continue;
        }
        const Run r = ctl(c.words.mid(2));
        QVERIFY2(r.exitCode == 0 && r.reply.value("ok").toBool(),
                 qPrintable(c.line + "\n -> exit " + QString::number(r.exitCode) + ": " + r.out + r.err));
        if (c.words.mid(2, 2) == QStringList{"record", "stop"}) {
            recording = r.reply.value("path").toString();
            recordedSeconds = r.reply.value("duration").toDouble();
        }
    }

    // The live changes reached the playing patch.
    const Run dump = ctl({"dump"});
    QCOMPARE(dump.exitCode, 0);
    const QJsonArray modules = dump.reply.value("committed").toObject().value("modules").toArray();
    QJsonObject acid, bseq;
    for (const QJsonValue& m : modules) {
        if (m.toObject().value("id") == "acid")
            acid = m.toObject().value("params").toObject();
        if (m.toObject().value("id") == "bseq")
            bseq = m.toObject().value("params").toObject();
    }
    QCOMPARE(acid.value("cutoff").toDouble(), 900.0);
    QCOMPARE(bseq.value("pattern").toString(), QStringLiteral("X.xx.xX.x.xX.xx."));
    const Run status = ctl({"status"});
    QCOMPARE(status.reply.value("status").toObject().value("rollbacks").toInt(), 0);

    // The recording.
    QVERIFY2(!recording.isEmpty(), "record stop gave no path");
    QVERIFY2(recording.startsWith(dir.filePath("recordings")), qPrintable(recording));
    SF_INFO info{};
    SNDFILE* file = sf_open(recording.toLocal8Bit().constData(), SFM_READ, &info);
    QVERIFY2(file, sf_strerror(nullptr));
    std::vector<float> frames(static_cast<std::size_t>(info.frames) * static_cast<std::size_t>(info.channels));
    const sf_count_t read = sf_readf_float(file, frames.data(), info.frames);
    sf_close(file);
    QCOMPARE(read, info.frames);
    QCOMPARE(info.channels, 2);
    const double seconds = static_cast<double>(info.frames) / info.samplerate;
    QVERIFY2(seconds >= 30.0 && std::fabs(seconds - recordedSeconds) < 0.01,
             qPrintable(QString("%1 s in the file, %2 s replied").arg(seconds).arg(recordedSeconds)));

    double sumSquares = 0.0, peak = 0.0, crossLR = 0.0, sumL = 0.0, sumR = 0.0;
    for (sf_count_t i = 0; i < info.frames; ++i) {
        const double l = frames[static_cast<std::size_t>(2 * i)], r = frames[static_cast<std::size_t>(2 * i + 1)];
        QVERIFY(std::isfinite(l) && std::isfinite(r));
        peak = std::max({peak, std::fabs(l), std::fabs(r)});
        sumSquares += l * l + r * r;
        crossLR += l * r;
        sumL += l * l;
        sumR += r * r;
    }
    const double rmsDb = 10.0 * std::log10(sumSquares / (2.0 * static_cast<double>(info.frames)));
    const double ceiling = std::pow(10.0, -0.3 / 20.0); // the limiter's default ceiling
    qInfo("recording: %.2f s, peak %.2f dBFS, RMS %.1f dBFS, L/R correlation %.3f", seconds,
          20.0 * std::log10(peak), rmsDb, crossLR / std::sqrt(sumL * sumR));
    QVERIFY2(peak <= ceiling + 1e-6, qPrintable(QString("peak %1 over the ceiling %2").arg(peak).arg(ceiling)));
    QVERIFY2(rmsDb > -24.0, qPrintable(QString("RMS %1 dBFS: too quiet for a groove").arg(rmsDb)));
    QVERIFY2(crossLR / std::sqrt(sumL * sumR) < 0.995, "left and right are the same: the reverb is not stereo");

    // The groove: the energy envelope (1 ms frames) repeats with a period of whole 16th steps at
    // 175 BPM; its strongest repetition between 300 ms and 1.5 s lies on a step multiple.
    std::vector<float> left(static_cast<std::size_t>(info.frames));
    for (sf_count_t i = 0; i < info.frames; ++i)
        left[static_cast<std::size_t>(i)] = frames[static_cast<std::size_t>(2 * i)];
    const int bestLag = chronus::test::strongestRepetitionMs(left, info.samplerate, 300, 1500);
    const double stepMs = 60000.0 / kBpm / 4.0;
    const double steps = bestLag / stepMs;
    qInfo("strongest repetition: %d ms = %.2f steps of 16ths at 175 BPM", bestLag, steps);
    QVERIFY2(std::fabs(bestLag - std::round(steps) * stepMs) <= 2.0,
             qPrintable(QString("the envelope repeats every %1 ms, not a multiple of %2 ms").arg(bestLag).arg(stepMs)));
}

QTEST_GUILESS_MAIN(TestAgentWalkthrough)
#include "tst_agent_walkthrough.moc"
