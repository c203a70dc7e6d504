// `chronus` as a process the way a shell and a desktop see it: exit statuses (usage errors 2, a
// display that cannot be reached 1 with one line, an interrupted `status --watch` 130), what reaches
// stderr (no alsa-lib noise; failovers and rollbacks as they happen), and where the files go (the XDG
// data and state folders, wave 1's folder moved over).

#include "support/FreePort.hpp"
#include "support/OscUdp.hpp"
#include "EditJournal.hpp"
#include "EngineStatus.hpp"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QProcess>
#include <QProcessEnvironment>
#include <QSet>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <arpa/inet.h>
#include <csignal>
#include <memory>
#include <netinet/in.h>
#include <ifaddrs.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

using chronus::test::freeUdpPort;

struct RunResult {
    int exitCode = -1;
    QString out;
    QString err;
};

RunResult runChronus(const QStringList& args, const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment(),
                     int waitMs = 30000) {
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(CHRONUS_BINARY, args);
    if (!p.waitForFinished(waitMs)) {
        p.kill();
        p.waitForFinished();
        return {-1, QString::fromUtf8(p.readAllStandardOutput()), "did not finish"};
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}

// Whether this chronus has the editor (the sanitizer builds leave it out: CHRONUS_EDITOR=OFF).
bool hasEditor() {
    static const bool has = runChronus({"editor", "--help"}).exitCode == 0;
    return has;
}

// `chronus serve --audio null` on a free port, stderr kept for the test to read.
class Server {
public:
    bool start(const QStringList& extra, const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment()) {
        m_port = freeUdpPort();
        m_process.setProcessEnvironment(env);
        m_process.setStandardOutputFile(QProcess::nullDevice());
        m_process.start(CHRONUS_BINARY,
                        QStringList{"serve", "--audio", "null", "--osc-port", QString::number(m_port)} + extra);
        if (!m_process.waitForStarted(10000))
            return false;
        QElapsedTimer clock;
        clock.start();
        while (clock.elapsed() < 20000 && m_process.state() == QProcess::Running)
            if (ctl({"--timeout", "200", "status"}).exitCode == 0)
                return true;
        return false;
    }
    RunResult ctl(const QStringList& args) const {
        return runChronus(QStringList{"ctl", "--port", QString::number(m_port)} + args);
    }
    int port() const { return m_port; }
    qint64 pid() const { return m_process.processId(); }
    // Everything serve wrote to stderr so far.
    QString err() {
        m_err += QString::fromUtf8(m_process.readAllStandardError());
        return m_err;
    }
    // SIGTERM, and the exit code.
    int stop() {
        if (m_process.state() == QProcess::NotRunning)
            return m_process.exitCode();
        m_process.terminate();
        if (!m_process.waitForFinished(15000)) {
            m_process.kill();
            m_process.waitForFinished();
            return -1;
        }
        err();
        return m_process.exitCode();
    }
    ~Server() { stop(); }

private:
    QProcess m_process;
    int m_port = -1;
    QString m_err;
};

// The UDP sockets process `pid` holds (or its listening TCP sockets: `table` "tcp"), as
// "A.B.C.D:port" of their local address (from /proc).
QStringList udpSocketsOf(qint64 pid, const QString& table = QStringLiteral("udp")) {
    QSet<QString> inodes;
    QDir fds(QStringLiteral("/proc/%1/fd").arg(pid));
    for (const QFileInfo& fd : fds.entryInfoList(QDir::System | QDir::NoDotAndDotDot)) {
        const QString target = fd.symLinkTarget();
        const QString name = QFileInfo(target).fileName();
        if (name.startsWith("socket:["))
            inodes.insert(name.mid(8, name.size() - 9));
    }
    QStringList sockets;
    QFile file(QStringLiteral("/proc/%1/net/%2").arg(pid).arg(table));
    if (!file.open(QIODevice::ReadOnly))
        return {"(no /proc/net/" + table + ")"};
    file.readLine(); // the header
    while (!file.atEnd()) {
        const QStringList f = QString::fromLatin1(file.readLine()).simplified().split(' ');
        if (f.size() < 10 || !inodes.contains(f[9]))
            continue;
        if (table == "tcp" && f[3] != "0A") // only listening sockets: not the connections of the moment
            continue;
        const QStringList local = f[1].split(':');
        const quint32 address = local[0].toUInt(nullptr, 16); // the kernel's byte order, printed as hex
        sockets << QStringLiteral("%1.%2.%3.%4:%5")
                       .arg(address & 0xff).arg((address >> 8) & 0xff).arg((address >> 16) & 0xff).arg(address >> 24)
                       .arg(local[1].toUInt(nullptr, 16));
    }
    return sockets;
}

// An IPv4 address of this machine that is not loopback, or "" when it has none.
QString ownNetworkAddress() {
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0)
        return {};
    QString found;
    for (ifaddrs* i = list; i && found.isEmpty(); i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
            continue;
        const in_addr a = reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr;
        if ((ntohl(a.s_addr) >> 24) != 127) {
            char text[INET_ADDRSTRLEN] = {};
            ::inet_ntop(AF_INET, &a, text, sizeof text);
            found = QString::fromLatin1(text);
        }
    }
    ::freeifaddrs(list);
    return found;
}

} // namespace

class TestCliProcess : public QObject {
    Q_OBJECT

private slots:
    void unknownOptionsExitWithTwo_data();
    void unknownOptionsExitWithTwo();
    void unreachableDisplayIsOneLineAndExitOne();
    void interruptedWatchExits130();
    void autoAudioKeepsAlsaNoiseOffStderr();
    void midiInWaitsForItsSourceAndSaysSo();
    void inputOnTheNullDriverSaysThereIsNone();
    void serveLogsARollbackWhenItHappens();
    void eventLinesSayWhatHappenedAndWhy();
    void onlyRegularFilesAreReadAsPatches();
    void unrestorableAutosaveIsSetAsideNeverOverwritten();
    void sighupStopsServeCleanly();
    void autosaveFailureReachesTheClientWithTheSystemsReason();
    void acknowledgedChangesSurviveAKill();
    void anUnrestorableJournalIsSetAsideWithItsAutosave();
    void patchesFolderLinksAreNotFollowed();
    void errorsDoNotEchoControlCharacters();
    void tooManyEditsInOneRequestSaysTheLimit();
    void loadPrintsTheFilesWarnings();
    void serveOpensOnlyItsOwnSocket();
    void networkInterfacesNeedAnAllowList();
    void filesGoToTheXdgFoldersAndOldOnesMoveThere();
};

void TestCliProcess::unknownOptionsExitWithTwo_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addRow("editor") << QStringList{"--no-osc", "--audio", "null", "--bogus"};
    QTest::addRow("serve") << QStringList{"serve", "--bogus"};
    QTest::addRow("play") << QStringList{"play", "x.json", "--bogus"};
    QTest::addRow("render") << QStringList{"render", "x.json", "--bogus"};
    QTest::addRow("ctl") << QStringList{"ctl", "--bogus", "status"};
    QTest::addRow("command") << QStringList{"bogus"};
}

void TestCliProcess::unknownOptionsExitWithTwo() {
    QFETCH(QStringList, args);
    if (QByteArray(QTest::currentDataTag()) == "editor" && !hasEditor())
        QSKIP("this build has no editor");
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("QT_QPA_PLATFORM", "offscreen");
    const RunResult r = runChronus(args, env);
    QVERIFY2(r.exitCode == 2, qPrintable(QString("exit %1; stderr: %2").arg(r.exitCode).arg(r.err)));
    QVERIFY2(r.err.contains("bogus"), qPrintable(r.err));
}

void TestCliProcess::unreachableDisplayIsOneLineAndExitOne() {
    if (!hasEditor())
        QSKIP("this build has no editor");
    // A display number with no X server behind it (no socket in /tmp/.X11-unix).
    int number = 7193;
    while (QFileInfo::exists(QStringLiteral("/tmp/.X11-unix/X%1").arg(number)))
        ++number;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove("QT_QPA_PLATFORM");
    env.remove("WAYLAND_DISPLAY");
    env.insert("DISPLAY", QStringLiteral(":%1").arg(number));
    const RunResult r = runChronus({"--no-osc", "--audio", "null"}, env);
    QVERIFY2(r.exitCode == 1, qPrintable(QString("exit %1 (Qt aborts with -1); stderr: %2").arg(r.exitCode).arg(r.err)));
    const QStringList lines = r.err.trimmed().split('\n');
    QVERIFY2(lines.size() == 1, qPrintable(r.err));
    QVERIFY2(lines.first().contains(QStringLiteral("cannot open the display :%1").arg(number)), qPrintable(r.err));
    QVERIFY2(lines.first().contains("chronus serve"), qPrintable(r.err)); // where to go instead

    env.remove("DISPLAY");
    const RunResult none = runChronus({"--no-osc", "--audio", "null"}, env);
    QCOMPARE(none.exitCode, 1);
    QCOMPARE(none.err.trimmed().split('\n').size(), 1);
}

void TestCliProcess::interruptedWatchExits130() {
    QTemporaryDir dir;
    Server server;
    QVERIFY(server.start({"--fresh", "--autosave", dir.filePath("a.json"), "--patches", dir.filePath("p")}));
    QProcess watch;
    watch.start(CHRONUS_BINARY,
                {"ctl", "--port", QString::number(server.port()), "status", "--watch", "--interval", "100"});
    QVERIFY(watch.waitForStarted());
    // The first refresh printed: the watch is running, not still starting.
    QTRY_VERIFY_WITH_TIMEOUT(watch.canReadLine() || (watch.waitForReadyRead(100) && watch.canReadLine()), 10000);
    QCOMPARE(watch.state(), QProcess::Running);
    ::kill(static_cast<pid_t>(watch.processId()), SIGINT);
    QVERIFY(watch.waitForFinished(10000));
    QCOMPARE(watch.exitStatus(), QProcess::NormalExit);
    QCOMPARE(watch.exitCode(), 130);

    // A watch that runs its --count ends with 0, as before.
    const RunResult counted = server.ctl({"status", "--watch", "--interval", "50", "--count", "2"});
    QCOMPARE(counted.exitCode, 0);
}

void TestCliProcess::autoAudioKeepsAlsaNoiseOffStderr() {
    const QString patch = QStringLiteral(CHRONUS_SOURCE_DIR "/resources/patches/pulse-bass.json");
    const RunResult r = runChronus({"play", patch, "--audio", "auto", "--seconds", "0.3"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY2(!r.err.contains("ALSA lib"), qPrintable(r.err));
    // What is left is ours: every line says who wrote it.
    for (const QString& line : r.err.trimmed().split('\n'))
        QVERIFY2(line.startsWith("chronus play: "), qPrintable(line));
}

void TestCliProcess::midiInWaitsForItsSourceAndSaysSo() {
    const QString patch = QStringLiteral(CHRONUS_SOURCE_DIR "/resources/patches/pulse-bass.json");
    // No such source (on whatever MIDI system there is, or none): the patch plays, the port is
    // waited for, and stderr says so in one line of ours (no ALSA library noise).
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("JACK_DEFAULT_SERVER", "chronus-no-such-server");
    const RunResult r = runChronus({"play", patch, "--audio", "null", "--midi-in", "no such keyboard", "--seconds", "0.3"}, env);
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY2(r.err.contains("chronus play: MIDI input: no source matches 'no such keyboard' yet"), qPrintable(r.err));
    for (const QString& line : r.err.trimmed().split('\n'))
        QVERIFY2(line.startsWith("chronus play: "), qPrintable(line));
    const RunResult empty = runChronus({"play", patch, "--audio", "null", "--midi-in", ""});
    QCOMPARE(empty.exitCode, 2);
    QVERIFY2(empty.err.contains("--midi-in must name a port, auto or none"), qPrintable(empty.err));
}

// The null driver has no capture: `play` and `serve` asked for input there (--input, or a patch with
// audio_in) say so at once in a line of their own, play on (audio_in silent) and end as asked.
void TestCliProcess::inputOnTheNullDriverSaysThereIsNone() {
    QTemporaryDir dir;
    const QString patch = dir.filePath("mic.json");
    {
        QFile f(patch);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(R"({"format": "chronus-patch", "version": 1, "modules": [{"id": "mic", "type": "audio_in"}],
                    "cables": [{"from": "mic.left", "to": "out.left"}]})");
    }
    const QString said = QStringLiteral("the null driver has no capture (no audio device): audio_in plays silence");
    for (const QStringList& extra : {QStringList{"--input"}, QStringList{}}) { // asked for, or by the patch
        const RunResult r = runChronus(QStringList{"play", patch, "--audio", "null", "--seconds", "0.3"} + extra);
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.err.contains("chronus play: " + said), qPrintable(r.err));
        QCOMPARE(r.err.count(said), 1);
    }
    Server server;
    QVERIFY(server.start({"--input", "--fresh", "--autosave", dir.filePath("a.json"), "--patches", dir.filePath("p")}));
    QTRY_VERIFY_WITH_TIMEOUT(server.err().contains("chronus serve: " + said), 5000);
    const RunResult status = server.ctl({"--json", "status"});
    QCOMPARE(status.exitCode, 0);
    QVERIFY2(status.out.contains(R"("input":"none")"), qPrintable(status.out));
    // A patch with audio_in committed later: it plays (silent input), and nothing more is said.
    QCOMPARE(server.ctl({"create", "mic", "audio_in"}).exitCode, 0);
    QCOMPARE(server.ctl({"connect", "mic.left", "out"}).exitCode, 0);
    QCOMPARE(server.ctl({"commit"}).exitCode, 0);
    QCOMPARE(server.stop(), 0);
    QCOMPARE(server.err().count(said), 1);
    // Without --input, the first commit of a patch with audio_in is when it is said.
    Server plain;
    QVERIFY(plain.start({"--fresh", "--autosave", dir.filePath("b.json"), "--patches", dir.filePath("p")}));
    QVERIFY(!plain.err().contains("capture"));
    QCOMPARE(plain.ctl({"create", "mic", "audio_in"}).exitCode, 0);
    QCOMPARE(plain.ctl({"connect", "mic.left", "out"}).exitCode, 0);
    QCOMPARE(plain.ctl({"commit"}).exitCode, 0);
    QTRY_VERIFY_WITH_TIMEOUT(plain.err().contains("chronus serve: the patch reads input (audio_in), but the null driver has "
                                                  "no capture: audio_in plays silence"),
                             5000);
}

void TestCliProcess::serveLogsARollbackWhenItHappens() {
    QTemporaryDir dir;
    Server server;
    QVERIFY(server.start({"--fresh", "--autosave", dir.filePath("a.json"), "--patches", dir.filePath("p")}));
    // A sine through six VCAs at level 2: 64x, far beyond the +30 dBFS the health gate allows.
    QCOMPARE(server.ctl({"create", "s", "sine", "v1", "vca", "v2", "vca", "v3", "vca", "v4", "vca", "v5", "vca", "v6", "vca"})
                 .exitCode,
             0);
    QCOMPARE(server.ctl({"connect", "s", "v1", "v1", "v2", "v2", "v3", "v3", "v4", "v4", "v5", "v5", "v6", "v6", "out"})
                 .exitCode,
             0);
    for (const char* vca : {"v1", "v2", "v3", "v4", "v5", "v6"})
        QCOMPARE(server.ctl({"set", vca, "level", "2"}).exitCode, 0);
    QVERIFY(!server.err().contains("rollback"));
    const RunResult commit = server.ctl({"commit"});
    QCOMPARE(commit.exitCode, 1);
    QVERIFY2(commit.err.contains("rolled back"), qPrintable(commit.err));
    // While serve still runs: the line is there as it happened, not at exit.
    QTRY_VERIFY_WITH_TIMEOUT(server.err().contains("chronus serve: rollback: "), 5000);
    QCOMPARE(server.err().count("rollback: "), 1);
}

void TestCliProcess::eventLinesSayWhatHappenedAndWhy() {
    using chronus::app::engineEvents;
    chronus::engine::EngineStats before;
    before.activeSlot = 0;
    QVERIFY(engineEvents(before, before).isEmpty());
    chronus::engine::EngineStats after = before;
    after.activeSlot = 1;
    after.failovers = 1;
    after.stalls = 1;
    const QStringList failover = engineEvents(before, after);
    QCOMPARE(failover.size(), 1);
    QVERIFY2(failover.first().startsWith("failover: slot B plays now instead of slot A: its worker stalled"),
             qPrintable(failover.first()));
    chronus::engine::EngineStats xruns = before;
    xruns.xruns = 3;
    QCOMPARE(engineEvents(before, xruns), QStringList{"xrun: the audio device reported 3 underflows (xruns 3)"});
    // Counters only grow; a snapshot from a restarted engine (smaller counts) is not an event.
    QVERIFY(engineEvents(xruns, before).isEmpty());
    // The ring target grown after a none-read, with what it costs.
    before.sampleRate = 48000.0;
    before.blockSize = 64;
    before.ringTargetBlocks = 2;
    chronus::engine::EngineStats grown = before;
    grown.ringTargetBlocks = 3;
    QCOMPARE(engineEvents(before, grown),
             QStringList{"ring grew to 3 blocks (was 2) after a callback found it empty or one block from empty: output latency +1.33 ms"});
}

void TestCliProcess::onlyRegularFilesAreReadAsPatches() {
    QTemporaryDir dir;
    const QString fifo = dir.filePath("song.json");
    QVERIFY(::mkfifo(QFile::encodeName(fifo).constData(), 0600) == 0);
    // A FIFO nobody writes to: refused at once (it blocked open() forever).
    const RunResult fromFifo = runChronus({"render", fifo, "--seconds", "1", "--out", dir.filePath("x.wav")},
                                          QProcessEnvironment::systemEnvironment(), 15000);
    QCOMPARE(fromFifo.exitCode, 1);
    QVERIFY2(fromFifo.err.contains("not a regular file"), qPrintable(fromFifo.err));
    // /dev/zero has no size and no end: refused, not read until memory runs out.
    const RunResult fromZero = runChronus({"render", "/dev/zero", "--seconds", "1", "--out", dir.filePath("x.wav")});
    QCOMPARE(fromZero.exitCode, 1);
    QVERIFY2(fromZero.err.contains("not a regular file"), qPrintable(fromZero.err));
    // A file over the limit says what the limit is.
    QFile big(dir.filePath("big.json"));
    QVERIFY(big.open(QIODevice::WriteOnly));
    QVERIFY(big.resize(17 * 1024 * 1024));
    big.close();
    const RunResult fromBig = runChronus({"render", big.fileName(), "--seconds", "1", "--out", dir.filePath("x.wav")});
    QCOMPARE(fromBig.exitCode, 1);
    QVERIFY2(fromBig.err.contains("16 MiB"), qPrintable(fromBig.err));

    // serve's request thread: `load` of a FIFO in the patches folder is an error, and the next
    // request is answered.
    Server server;
    QVERIFY(server.start({"--fresh", "--autosave", dir.filePath("a.json"), "--patches", dir.path()}));
    const RunResult load = server.ctl({"load", "song"});
    QCOMPARE(load.exitCode, 1);
    QVERIFY2(load.err.contains("not a regular file"), qPrintable(load.err));
    QCOMPARE(server.ctl({"status"}).exitCode, 0);
}

void TestCliProcess::unrestorableAutosaveIsSetAsideNeverOverwritten() {
    QTemporaryDir dir;
    const QString autosave = dir.filePath("autosave.json");
    // Truncated mid-file, as a crash during a copy or a full disk leaves it.
    const QByteArray truncated = R"({"format": "chronus-patch", "version": 1, "modules": [{"id": "osc1", "ty)";
    {
        QFile f(autosave);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(truncated);
    }
    Server server;
    QVERIFY(server.start({"--autosave", autosave, "--patches", dir.filePath("p")}));
    // Said at once (not at exit), and reported by status.
    QTRY_VERIFY2_WITH_TIMEOUT(server.err().contains("the autosave was not restored"), qPrintable(server.err()), 5000);
    const RunResult status = server.ctl({"status"});
    QVERIFY2(status.out.contains("autosave: the autosave was not restored"), qPrintable(status.out));
    const QStringList aside = QDir(dir.path()).entryList({"autosave.unrestored-*.json"}, QDir::Files);
    QCOMPARE(aside.size(), 1);
    QFile kept(dir.filePath(aside.first()));
    QVERIFY(kept.open(QIODevice::ReadOnly));
    QCOMPARE(kept.readAll(), truncated);
    QVERIFY(status.out.contains(aside.first()));
    // A plain stop writes this session's (empty) patch to autosave.json; the old file is untouched.
    QCOMPARE(server.stop(), 0);
    QVERIFY(QFileInfo::exists(autosave));
    QFile again(dir.filePath(aside.first()));
    QVERIFY(again.open(QIODevice::ReadOnly));
    QCOMPARE(again.readAll(), truncated);
}

void TestCliProcess::sighupStopsServeCleanly() {
    QTemporaryDir dir;
    const QString autosave = dir.filePath("autosave.json");
    QProcess serve;
    const int port = freeUdpPort();
    serve.start(CHRONUS_BINARY, {"serve", "--audio", "null", "--osc-port", QString::number(port), "--fresh",
                                 "--autosave", autosave, "--patches", dir.filePath("p")});
    QVERIFY(serve.waitForStarted());
    QTRY_VERIFY_WITH_TIMEOUT(QString::fromUtf8(serve.readAllStandardOutput()).contains("listening on") ||
                                 runChronus({"ctl", "--port", QString::number(port), "--timeout", "200", "status"})
                                         .exitCode == 0,
                             20000);
    const QString ctlPort = QString::number(port);
    QCOMPARE(runChronus({"ctl", "--port", ctlPort, "create", "osc1", "sine"}).exitCode, 0);
    QCOMPARE(runChronus({"ctl", "--port", ctlPort, "connect", "osc1", "out"}).exitCode, 0);
    QCOMPARE(runChronus({"ctl", "--port", ctlPort, "commit"}).exitCode, 0);
    ::kill(static_cast<pid_t>(serve.processId()), SIGHUP);
    QVERIFY(serve.waitForFinished(15000));
    QCOMPARE(serve.exitStatus(), QProcess::NormalExit); // not killed by the signal
    QCOMPARE(serve.exitCode(), 0);
    QVERIFY(QString::fromUtf8(serve.readAllStandardOutput()).contains("chronus serve: stopped"));
    QFile saved(autosave);
    QVERIFY(saved.open(QIODevice::ReadOnly));
    QVERIFY(saved.readAll().contains("osc1"));

    // Under nohup (SIGHUP ignored when it starts) a hangup does not stop it.
    if (QStandardPaths::findExecutable("nohup").isEmpty())
        QSKIP("no nohup here");
    QProcess kept;
    const int keptPort = freeUdpPort();
    kept.start("nohup", {CHRONUS_BINARY, "serve", "--audio", "null", "--osc-port", QString::number(keptPort),
                         "--fresh", "--autosave", autosave, "--patches", dir.filePath("p")});
    QVERIFY(kept.waitForStarted());
    QTRY_VERIFY_WITH_TIMEOUT(
        runChronus({"ctl", "--port", QString::number(keptPort), "--timeout", "200", "status"}).exitCode == 0, 20000);
    ::kill(static_cast<pid_t>(kept.processId()), SIGHUP);
    QVERIFY(!kept.waitForFinished(1000));
    QCOMPARE(runChronus({"ctl", "--port", QString::number(keptPort), "status"}).exitCode, 0);
    kept.terminate();
    QVERIFY(kept.waitForFinished(15000));
    QCOMPARE(kept.exitCode(), 0);
}

void TestCliProcess::patchesFolderLinksAreNotFollowed() {
    QTemporaryDir dir;
    const QString patches = dir.filePath("patches");
    QVERIFY(QDir().mkpath(patches));
    const QString outside = dir.filePath("precious.txt");
    {
        QFile f(outside);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("not a patch, and not Chronus's to overwrite\n");
    }
    QVERIFY(QFile::link(outside, patches + "/evil.json"));
    Server server;
    QVERIFY(server.start({"--fresh", "--autosave", dir.filePath("a.json"), "--patches", patches}));
    const RunResult save = server.ctl({"save", "evil"});
    QCOMPARE(save.exitCode, 1);
    QVERIFY2(save.err.contains("symbolic link"), qPrintable(save.err));
    const RunResult load = server.ctl({"load", "evil"});
    QCOMPARE(load.exitCode, 1);
    QVERIFY2(load.err.contains("symbolic link"), qPrintable(load.err));
    QFile f(outside);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), QByteArray("not a patch, and not Chronus's to overwrite\n"));
    // A plain name still saves.
    QCOMPARE(server.ctl({"save", "plain"}).exitCode, 0);
    QVERIFY(QFileInfo(patches + "/plain.json").isFile());
}

void TestCliProcess::errorsDoNotEchoControlCharacters() {
    QTemporaryDir dir;
    Server server;
    QVERIFY(server.start({"--fresh", "--autosave", dir.filePath("a.json"), "--patches", dir.filePath("p")}));
    // A terminal escape and a bell inside an unknown type name: the error quotes it, escaped.
    const RunResult r = server.ctl({"create", "x", QStringLiteral("wob\x1b[2Jbler\x07")});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(!r.err.contains(QChar(0x1b)) && !r.err.contains(QChar(0x07)), qPrintable(r.err));
    QVERIFY2(r.err.contains("wob\\x1b[2Jbler\\x07"), qPrintable(r.err));
}

void TestCliProcess::tooManyEditsInOneRequestSaysTheLimit() {
    QTemporaryDir dir;
    Server server;
    QVERIFY(server.start({"--fresh", "--autosave", dir.filePath("a.json"), "--patches", dir.filePath("p")}));
    QStringList args{"create"};
    for (int i = 0; i < 300; ++i)
        args << QStringLiteral("s%1").arg(i) << "sine";
    const RunResult r = server.ctl(args);
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("at most 256 groups") && r.err.contains("got 300"), qPrintable(r.err));
    QVERIFY2(r.err.size() < 400, qPrintable(r.err)); // not a list of 600 type names
}

void TestCliProcess::loadPrintsTheFilesWarnings() {
    QTemporaryDir dir;
    const QString patches = dir.filePath("patches");
    QVERIFY(QDir().mkpath(patches));
    {
        QFile f(patches + "/loud.json");
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(R"({"format": "chronus-patch", "version": 1,
                    "modules": [{"id": "v", "type": "vca", "params": {"level": 40}}], "cables": []})");
    }
    Server server;
    QVERIFY(server.start({"--fresh", "--autosave", dir.filePath("a.json"), "--patches", patches}));
    const RunResult r = server.ctl({"load", "loud"});
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.contains("warning: ") && r.out.contains("level"), qPrintable(r.out)); // text, not only --json
}

void TestCliProcess::serveOpensOnlyItsOwnSocket() {
    QTemporaryDir dir;
    Server server;
    QVERIFY(server.start({"--fresh", "--autosave", dir.filePath("a.json"), "--patches", dir.filePath("p")}));
    // One UDP socket, the one it serves, on loopback (liblo's server used to add one on 0.0.0.0).
    QCOMPARE(udpSocketsOf(server.pid()), QStringList{QStringLiteral("127.0.0.1:%1").arg(server.port())});
    // And one TCP listener, on the same address and port number.
    QCOMPARE(udpSocketsOf(server.pid(), "tcp"), QStringList{QStringLiteral("127.0.0.1:%1").arg(server.port())});
    QCOMPARE(server.ctl({"status"}).exitCode, 0);
}

void TestCliProcess::networkInterfacesNeedAnAllowList() {
    QTemporaryDir dir;
    const QStringList files{"--fresh", "--autosave", dir.filePath("a.json"), "--patches", dir.filePath("p")};
    const RunResult open = runChronus(QStringList{"serve", "--audio", "null", "--osc-host", "0.0.0.0"} + files);
    QCOMPARE(open.exitCode, 2);
    QVERIFY2(open.err.contains("--allow"), qPrintable(open.err));
    const RunResult badNet = runChronus(QStringList{"serve", "--audio", "null", "--osc-host", "0.0.0.0", "--allow",
                                                    "192.168.1.0/33"} + files);
    QCOMPARE(badNet.exitCode, 2);
    QVERIFY2(badNet.err.contains("prefix length"), qPrintable(badNet.err));

    const QString own = ownNetworkAddress();
    if (own.isEmpty())
        QSKIP("this machine has no IPv4 address but loopback: nothing to send from");
    // Allowed: a documentation network this machine is not on. Loopback still gets answers; the
    // machine's own network address does not.
    Server server;
    QVERIFY(server.start(QStringList{"--osc-host", "0.0.0.0", "--allow", "203.0.113.0/24"} + files));
    QTRY_VERIFY_WITH_TIMEOUT(server.err().contains("warning: OSC listens on 0.0.0.0"), 5000);
    const RunResult stranger = runChronus({"ctl", "--host", own, "--port", QString::number(server.port()),
                                           "--timeout", "500", "status"});
    QCOMPARE(stranger.exitCode, 3); // no answer at all: ctl's connection is closed unanswered
    QVERIFY2(stranger.err.contains("closed the connection"), qPrintable(stranger.err));
    QCOMPARE(server.ctl({"status"}).exitCode, 0);
    QCOMPARE(server.stop(), 0);
}

void TestCliProcess::autosaveFailureReachesTheClientWithTheSystemsReason() {
    QTemporaryDir dir;
    // A folder that cannot be made, whoever we are (root ignores read-only modes): its parent is a file.
    {
        QFile blocker(dir.filePath("state"));
        QVERIFY(blocker.open(QIODevice::WriteOnly));
    }
    Server server;
    QVERIFY(server.start({"--fresh", "--autosave", dir.filePath("state/chronus/autosave.json"), "--patches",
                          dir.filePath("p")}));
    // Every acknowledged change, not only a commit: the reply carries the warning.
    const RunResult create = server.ctl({"--json", "create", "osc1", "sine"});
    QCOMPARE(create.exitCode, 0); // the module is made
    QVERIFY2(create.out.contains("autosave failed: ") && create.out.contains("Not a directory"), qPrintable(create.out));
    QCOMPARE(server.ctl({"connect", "osc1", "out"}).exitCode, 0);
    const RunResult commit = server.ctl({"commit"});
    QCOMPARE(commit.exitCode, 0); // the commit took: it plays
    QVERIFY2(commit.out.contains("warning: autosave failed: ") && commit.out.contains("Not a directory"),
             qPrintable(commit.out));
    const RunResult json = server.ctl({"--json", "commit"});
    QVERIFY2(json.out.contains("Not a directory"), qPrintable(json.out));
    QTRY_VERIFY_WITH_TIMEOUT(server.err().contains("chronus serve: autosave failed: "), 5000);
}

// A patch of `ctl --json dump` ("pending" or "committed") as module id -> params.
static QMap<QString, QJsonObject> modulesOf(const QJsonObject& dump, const char* which) {
    QMap<QString, QJsonObject> modules;
    for (const QJsonValue& m : dump.value(QLatin1String(which)).toObject().value("modules").toArray())
        modules.insert(m.toObject().value("id").toString(), m.toObject().value("params").toObject());
    return modules;
}

// What serve acknowledged (a /reply) survives a kill -9 sent the moment the reply arrives: edits,
// commits, live changes. Twenty rounds, each restarting on what the last one left, each ending on
// another kind of change, so a window between the reply and the disk would show.
void TestCliProcess::acknowledgedChangesSurviveAKill() {
    QTemporaryDir dir;
    const QStringList files{"--autosave", dir.filePath("autosave.json"), "--patches", dir.filePath("p")};
    auto server = std::make_unique<Server>();
    QVERIFY(server->start(QStringList{"--fresh"} + files));
    for (int round = 1; round <= 20; ++round) {
        chronus::test::OscUdpClient osc(server->port());
        const QString a = QStringLiteral("a%1").arg(round), b = QStringLiteral("b%1").arg(round),
                      c = QStringLiteral("c%1").arg(round);
        const auto ok = [&](const QString& path, const QVariantList& args) {
            const QStringList answer = osc.request(path, args);
            if (answer.value(0) != "/reply")
                qWarning() << path << args << "->" << answer;
            return answer.value(0) == "/reply" && !answer.join(' ').contains("autosave failed");
        };
        QVERIFY(ok("/patch/create", {a, QStringLiteral("sine")}));
        QVERIFY(ok("/patch/set", {a, QStringLiteral("freq"), 100.0 + round}));
        QVERIFY(ok("/patch/commit", {}));
        QVERIFY(ok("/patch/create", {b, QStringLiteral("noise")}));
        QVERIFY(ok("/patch/set", {a, QStringLiteral("freq"), 200.0 + round}));
        const int last = round % 3; // 0: a commit, 1: a live change, 2: an edit
        if (last == 0)
            QVERIFY(ok("/patch/commit", {}));
        else if (last == 1)
            QVERIFY(ok(QStringLiteral("/mod/%1/gain").arg(a), {0.25}));
        else
            QVERIFY(ok("/patch/create", {c, QStringLiteral("lfo")}));
        ::kill(static_cast<pid_t>(server->pid()), SIGKILL); // at once: nothing after the reply
        server.reset();

        server = std::make_unique<Server>();
        QVERIFY2(server->start(files), qPrintable(QStringLiteral("round %1: serve did not start again").arg(round)));
        const RunResult dump = server->ctl({"--json", "dump"});
        const QJsonObject patches = QJsonDocument::fromJson(dump.out.toUtf8()).object();
        const QMap<QString, QJsonObject> pending = modulesOf(patches, "pending");
        const QMap<QString, QJsonObject> committed = modulesOf(patches, "committed");
        const QByteArray where = QStringLiteral("round %1: %2").arg(round).arg(dump.out).toUtf8();
        for (int r = 1; r <= round; ++r) {
            QVERIFY2(committed.contains(QStringLiteral("a%1").arg(r)), where.constData());
            QVERIFY2(pending.contains(QStringLiteral("a%1").arg(r)), where.constData());
            QVERIFY2(pending.contains(QStringLiteral("b%1").arg(r)), where.constData());
            if (r % 3 == 2)
                QVERIFY2(pending.contains(QStringLiteral("c%1").arg(r)), where.constData());
        }
        QCOMPARE(pending.value(a).value("freq").toDouble(), 200.0 + round);
        QCOMPARE(committed.value(a).value("freq").toDouble(), last == 0 ? 200.0 + round : 100.0 + round);
        QCOMPARE(committed.contains(b), last == 0);
        if (last == 1) {
            QCOMPARE(committed.value(a).value("gain").toDouble(), 0.25);
            QCOMPARE(pending.value(a).value("gain").toDouble(), 0.25);
        }
    }
    QCOMPARE(server->stop(), 0);
}

// The journal's last record names a module type this version lacks: the autosave and its journal
// are set aside together (never replayed on top of another session), a cut-short record is said.
void TestCliProcess::anUnrestorableJournalIsSetAsideWithItsAutosave() {
    QTemporaryDir dir;
    const QString autosave = dir.filePath("autosave.json");
    const QJsonObject unknown{{"format", "chronus-patch"},
                              {"version", 1},
                              {"modules", QJsonArray{QJsonObject{{"id", "x1"}, {"type", "theremin9000"}}}}};
    {
        chronus::app::EditJournal journal(chronus::app::EditJournal::pathFor(autosave));
        QVERIFY(journal.open());
        QVERIFY(journal.append([&] { return QJsonObject{{"committed", unknown}, {"pending", unknown}}; }));
    }
    const qint64 intact = QFileInfo(autosave + ".journal").size();
    {
        QFile torn(autosave + ".journal");
        QVERIFY(torn.open(QIODevice::Append));
        torn.write("57 0badf00d {\"pending\":"); // the kill came inside a write
    }
    Server server;
    QVERIFY(server.start({"--autosave", autosave, "--patches", dir.filePath("p")}));
    QTRY_VERIFY2_WITH_TIMEOUT(server.err().contains("the autosave was not restored") && server.err().contains("theremin9000"),
                              qPrintable(server.err()), 5000);
    QVERIFY2(server.err().contains("cut short"), qPrintable(server.err()));
    const QStringList aside = QDir(dir.path()).entryList({"autosave.unrestored-*.json.journal"}, QDir::Files);
    QCOMPARE(aside.size(), 1);
    QVERIFY(QFileInfo(dir.filePath(aside.first())).size() > intact); // as it was, torn tail and all
    // This session starts empty and keeps its own changes.
    QCOMPARE(server.ctl({"create", "osc1", "sine"}).exitCode, 0);
    QCOMPARE(server.stop(), 0);
    QVERIFY(chronus::app::EditJournal::replay(autosave + ".journal").state.value("pending").toObject().value("modules").toArray().size() >= 1);
}

void TestCliProcess::filesGoToTheXdgFoldersAndOldOnesMoveThere() {
    QTemporaryDir home;
    QVERIFY(home.isValid());
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("HOME", home.path());
    env.remove("XDG_DATA_HOME");
    env.insert("XDG_STATE_HOME", home.filePath("state"));
    env.insert("XDG_CONFIG_HOME", home.filePath("config"));
    // Wave 1's folder: patches and serve's autosave in ~/.local/share/chronus/chronus.
    const QString old = home.filePath(".local/share/chronus/chronus");
    QVERIFY(QDir().mkpath(old + "/patches"));
    {
        QFile saved(old + "/patches/mine.json");
        QVERIFY(saved.open(QIODevice::WriteOnly));
        saved.write(R"({"format": "chronus-patch", "version": 1, "modules": [], "cables": []})");
    }
    {
        QFile autosave(old + "/autosave.json");
        QVERIFY(autosave.open(QIODevice::WriteOnly));
        autosave.write(R"({"format": "chronus-patch", "version": 1,
                           "modules": [{"id": "kept", "type": "sine"}], "cables": [{"from": "kept", "to": "out"}]})");
    }

    Server server;
    QVERIFY(server.start({}, env));
    const QString data = home.filePath(".local/share/chronus");
    const QString state = home.filePath("state/chronus");
    QVERIFY(QFileInfo::exists(data + "/patches/mine.json"));
    QVERIFY(QFileInfo::exists(state + "/autosave.json"));
    QVERIFY2(!QFileInfo::exists(old), "the old folder is removed once empty");
    QTRY_VERIFY2_WITH_TIMEOUT(server.err().contains("moved " + old + "/patches to " + data + "/patches"),
                              qPrintable(server.err()), 5000);
    // The moved autosave was restored: its module plays.
    QVERIFY(server.ctl({"dump"}).out.contains("kept"));
    // New files land in the new folders.
    QCOMPARE(server.ctl({"save", "fresh"}).exitCode, 0);
    QVERIFY(QFileInfo::exists(data + "/patches/fresh.json"));
    QCOMPARE(server.stop(), 0);
    QVERIFY(QFileInfo::exists(state + "/autosave.json"));
    QVERIFY(!QFileInfo::exists(data + "/chronus"));

    // Wave 1's folder again, with a name the new folder has taken: it arrives beside it, renamed,
    // and the next start has nothing left to say.
    QVERIFY(QDir().mkpath(old + "/patches"));
    {
        QFile clash(old + "/patches/fresh.json");
        QVERIFY(clash.open(QIODevice::WriteOnly));
        clash.write(R"({"format": "chronus-patch", "version": 1, "modules": [], "cables": []})");
    }
    Server again;
    QVERIFY(again.start({}, env));
    QTRY_VERIFY2_WITH_TIMEOUT(again.err().contains("fresh.wave1.json"), qPrintable(again.err()), 5000);
    QVERIFY(QFileInfo::exists(data + "/patches/fresh.wave1.json"));
    QVERIFY(!QFileInfo::exists(old));
    QCOMPARE(again.stop(), 0);
    Server quiet;
    QVERIFY(quiet.start({}, env));
    QCOMPARE(quiet.stop(), 0);
    QVERIFY2(!quiet.err().contains("moved"), qPrintable(quiet.err()));
}

QTEST_GUILESS_MAIN(TestCliProcess)
#include "tst_cli_process.moc"
