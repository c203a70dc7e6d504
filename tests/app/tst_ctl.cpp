// `chronus ctl` end to end: the real executable against a real `chronus serve --audio null`, with
// the replies read as JSON; plus a client we did not write (liblo's oscsend) on the same server.

#include "support/FreePort.hpp"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QtEndian>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <thread>

namespace {

using chronus::test::freeUdpPort;

struct RunResult {
    int exitCode = -1;
    QString out;
    QString err;
    qint64 elapsedMs = 0;
};

RunResult runChronus(const QStringList& args, int waitMs = 30000) {
    QProcess p;
    QElapsedTimer clock;
    clock.start();
    p.start(CHRONUS_BINARY, args);
    if (!p.waitForFinished(waitMs)) {
        p.kill();
        p.waitForFinished();
        return {-1, QString::fromUtf8(p.readAllStandardOutput()), "did not finish", clock.elapsed()};
    }
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
            QString::fromUtf8(p.readAllStandardOutput()), QString::fromUtf8(p.readAllStandardError()),
            clock.elapsed()};
}

// stdout of a --json call: exactly one JSON object on one line.
QJsonObject parseReply(const RunResult& r) {
    const QStringList lines = r.out.trimmed().split('\n');
    if (lines.size() != 1)
        return {};
    return QJsonDocument::fromJson(lines.first().toUtf8()).object();
}

QStringList moduleIds(const QJsonObject& patch) {
    QStringList ids;
    for (const QJsonValue& m : patch.value("modules").toArray())
        ids << m.toObject().value("id").toString();
    return ids;
}

// OSC by hand (this test links no OSC library): strings NUL-padded to 4 bytes, int32 big-endian.
void oscString(QByteArray& out, const QByteArray& s) {
    out += s;
    out += '\0';
    while (out.size() % 4)
        out += '\0';
}
void oscInt(QByteArray& out, qint32 v) {
    for (int shift = 24; shift >= 0; shift -= 8)
        out += static_cast<char>((static_cast<quint32>(v) >> shift) & 0xff);
}
QByteArray oscMessage(const QByteArray& path, const QByteArray& types, const QList<QVariant>& args) {
    QByteArray out;
    oscString(out, path);
    oscString(out, "," + types);
    for (const QVariant& a : args) {
        if (a.typeId() == QMetaType::Int)
            oscInt(out, a.toInt());
        else
            oscString(out, a.toByteArray());
    }
    return out;
}
// #bundle, time tag "immediately", each element with its size.
QByteArray oscBundle(const QList<QByteArray>& elements) {
    QByteArray out;
    oscString(out, "#bundle");
    oscInt(out, 0);
    oscInt(out, 1);
    for (const QByteArray& e : elements) {
        oscInt(out, static_cast<qint32>(e.size()));
        out += e;
    }
    return out;
}
QByteArray tcpFrame(const QByteArray& packet) {
    QByteArray out;
    oscInt(out, static_cast<qint32>(packet.size()));
    return out + packet;
}
QByteArray taggedAnswer(qint32 id, const QByteArray& answer) {
    return oscBundle({oscMessage("/request/id", "i", {id}), answer});
}

// A patch file of `modules` VCAs, each into the next one, the last into the output (cheap to play,
// also under AddressSanitizer, where 500 oscillators on both slots keep a prime from finishing).
QByteArray wiredPatchJson(int modules) {
    QJsonArray m, c;
    for (int i = 0; i < modules; ++i) {
        m.append(QJsonObject{{"id", QStringLiteral("module_%1").arg(i)}, {"type", "vca"}});
        c.append(QJsonObject{{"from", QStringLiteral("module_%1").arg(i)},
                             {"to", i + 1 < modules ? QStringLiteral("module_%1.in").arg(i + 1) : QStringLiteral("out")}});
    }
    return QJsonDocument(QJsonObject{{"format", "chronus-patch"}, {"version", 1}, {"modules", m}, {"cables", c}})
        .toJson(QJsonDocument::Compact);
}

} // namespace

class TestCtl : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void helpTeachesEveryVerbWithAnExample();
    void usageErrorsExitWithTwo_data();
    void usageErrorsExitWithTwo();
    void usageErrorWithJsonIsOneObject();
    void silentPortExitsThreeWithinTimeout();
    void buildsCommitsAndPlaysAPatch();
    void humanTextSaysWhatHappened();
    void serverErrorExitsOneAndNamesKnownTypes();
    void foreignOscClientIsServed();
    void watchPrintsOneLinePerRefresh();
    void discreteParamsTakeTheirLabels();
    void creatingAnOutputSaysItIsBuiltIn();
    void predecessorFrequencyIsFreq();
    void serveFreshAfterCommitEmptiesThePendingPatch();
    void dumpsAFiveHundredModuleWiredPatch();
    void takesOnlyTheAnswerCarryingItsRequestId();
    void jsonKeysEveryReplyFieldByTheSchemasName();

private:
    // Skips the calling test when there is no server to talk to.
    bool serverReady();
    RunResult ctl(const QStringList& args) {
        return runChronus(QStringList{"ctl", "--port", QString::number(m_port)} + args);
    }
    RunResult ctlJson(const QStringList& args) { return ctl(QStringList{"--json"} + args); }

    QTemporaryDir m_dir;
    QProcess m_server;
    int m_port = -1;
    QString m_serverProblem; // why there is no server, when there is none
};

void TestCtl::initTestCase() {
    QVERIFY(m_dir.isValid());
    const RunResult ctlHelp = runChronus({"ctl", "--help"});
    QVERIFY2(ctlHelp.exitCode == 0, "this chronus has no `ctl` command (src/main.cpp must dispatch it)");
    const RunResult help = runChronus({"serve", "--help"});
    if (help.exitCode != 0) {
        m_serverProblem = "`chronus serve --help` failed (exit " + QString::number(help.exitCode) +
                          "): the OSC server is not built into this chronus";
        return;
    }
    m_port = freeUdpPort();
    QVERIFY(m_port > 0);
    // --fresh, and autosave and patches in a temporary folder: nothing read from or written to
    // the user's folders.
    m_server.setProcessChannelMode(QProcess::ForwardedErrorChannel); // its messages explain a failure
    m_server.setStandardOutputFile(QProcess::nullDevice());          // an unread pipe could fill and block it
    m_server.start(CHRONUS_BINARY,
                   {"serve", "--audio", "null", "--osc-port", QString::number(m_port), "--fresh",
                    "--autosave", m_dir.filePath("autosave.json"), "--patches", m_dir.filePath("patches")});
    if (!m_server.waitForStarted(10000)) {
        m_serverProblem = "`chronus serve` did not start: " + m_server.errorString();
        return;
    }
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < 20000) {
        if (m_server.state() != QProcess::Running) {
            m_serverProblem = "`chronus serve` exited with " + QString::number(m_server.exitCode());
            return;
        }
        if (ctl({"--timeout", "200", "status"}).exitCode == 0)
            return;
    }
    m_serverProblem = "`chronus serve` did not answer `chronus ctl status` within 20 s";
}

void TestCtl::cleanupTestCase() {
    if (m_server.state() == QProcess::NotRunning)
        return;
    m_server.terminate(); // SIGTERM: the server's orderly shutdown
    if (!m_server.waitForFinished(10000)) {
        m_server.kill();
        m_server.waitForFinished();
    }
}

bool TestCtl::serverReady() {
    return m_serverProblem.isEmpty() && m_port > 0;
}

void TestCtl::helpTeachesEveryVerbWithAnExample() {
    const RunResult r = runChronus({"ctl", "--help"});
    QCOMPARE(r.exitCode, 0);
    for (const char* verb : {"create ID TYPE",
                             "connect SRC DST",
                             "disconnect SRC DST",
                             "delete ID",
                             "clear",
                             "set ID PARAM VALUE",
                             "prime",
                             "commit [FADE_MS]",
                             "abort",
                             "undo",
                             "redo",
                             "undo-commit [FADE_MS]",
                             "validate",
                             "save NAME",
                             "load NAME",
                             "dump",
                             "mod ID PARAM VALUE",
                             "gate ID on|off",
                             "status",
                             "--watch",
                             "schema",
                             "record start [NAME]",
                             "--json",
                             "--port",
                             "--host",
                             "--timeout"})
        QVERIFY2(r.out.contains(QLatin1String(verb)), verb);
    for (const char* step :
         {"ctl create osc1 sine", "ctl create env1 adsr", "ctl connect osc1 env1", "ctl connect env1 out",
          "ctl commit", "ctl mod osc1 freq 660", "ctl gate env1 on"})
        QVERIFY2(r.out.contains(QLatin1String(step)), step);
    QVERIFY(r.out.indexOf("create osc1 sine") < r.out.indexOf("ctl commit"));
    QVERIFY(r.out.indexOf("ctl commit") < r.out.indexOf("mod osc1 freq 660"));
    // Global options may follow the verb.
    QCOMPARE(runChronus({"ctl", "status", "--help"}).exitCode, 0);
}

void TestCtl::usageErrorsExitWithTwo_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    QTest::addRow("no verb") << QStringList{} << "missing VERB";
    QTest::addRow("unknown verb") << QStringList{"frobnicate"} << "unknown verb 'frobnicate'";
    QTest::addRow("create needs a type") << QStringList{"create", "osc1"}
                                         << "create ID TYPE [ID TYPE ...] (got 1 argument)";
    QTest::addRow("connect takes pairs")
        << QStringList{"connect", "a", "b", "c"} << "connect SRC DST [SRC DST ...] (got 3 arguments)";
    QTest::addRow("clear takes none") << QStringList{"clear", "now"} << "'clear' takes no arguments";
    QTest::addRow("set takes triples")
        << QStringList{"set", "osc1", "freq"} << "set ID PARAM VALUE [ID PARAM VALUE ...] (got 2 arguments)";
    QTest::addRow("set value nan") << QStringList{"set", "osc1", "freq", "nan"} << "VALUE must be a finite number";
    QTest::addRow("mod value nan") << QStringList{"mod", "osc1", "freq", "nan"}
                                   << "VALUE must be a finite number";
    QTest::addRow("mod id with a slash") << QStringList{"mod", "osc/1", "freq", "1"} << "ID and PARAM";
    QTest::addRow("gate maybe") << QStringList{"gate", "env1", "maybe"} << "on|off, 1|0 or true|false";
    QTest::addRow("negative fade") << QStringList{"commit", "-3"} << "FADE_MS";
    QTest::addRow("fade not a number") << QStringList{"undo-commit", "slowly"} << "FADE_MS";
    QTest::addRow("record what") << QStringList{"record", "pause"} << "start [NAME] | stop | status";
    QTest::addRow("status stray option") << QStringList{"status", "--watc"} << "'status' takes";
    QTest::addRow("interval without watch")
        << QStringList{"status", "--interval", "100"} << "go with --watch";
    QTest::addRow("bad interval") << QStringList{"status", "--watch", "--interval", "fast"} << "--interval";
    QTest::addRow("port out of range") << QStringList{"--port", "70000", "status"} << "--port must be";
    QTest::addRow("port after verb") << QStringList{"status", "--port", "x"} << "--port must be";
    QTest::addRow("bad timeout") << QStringList{"--timeout", "soon", "status"} << "--timeout must be";
    QTest::addRow("unknown option") << QStringList{"--frob", "status"} << "frob";
}

void TestCtl::usageErrorsExitWithTwo() {
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    const RunResult r = runChronus(QStringList{"ctl"} + args);
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.startsWith("chronus ctl: "), qPrintable(r.err));
    QVERIFY2(r.err.contains(message), qPrintable(r.err));
    QVERIFY2(r.err.contains("chronus ctl --help"), qPrintable(r.err));
    QVERIFY(r.out.isEmpty());
}

void TestCtl::usageErrorWithJsonIsOneObject() {
    const RunResult r = runChronus({"ctl", "--json", "set", "osc1", "freq", "inf"});
    QCOMPARE(r.exitCode, 2);
    const QJsonObject o = parseReply(r);
    QCOMPARE(o.value("ok"), QJsonValue(false));
    QVERIFY(o.value("error").toString().contains("VALUE"));
}

void TestCtl::silentPortExitsThreeWithinTimeout() {
    const int port = freeUdpPort();
    QVERIFY(port > 0);
    const RunResult r = runChronus({"ctl", "--port", QString::number(port), "--timeout", "300", "status"});
    QCOMPARE(r.exitCode, 3);
    QVERIFY2(r.err.contains(QStringLiteral("no answer from 127.0.0.1:%1 within 300 ms").arg(port)),
             qPrintable(r.err));
    QVERIFY2(r.err.contains("chronus serve"), qPrintable(r.err));
    QVERIFY2(r.elapsedMs >= 300, qPrintable(QString::number(r.elapsedMs)));
    QVERIFY2(r.elapsedMs < 300 + 5000, qPrintable(QString::number(r.elapsedMs))); // process start-up included

    const RunResult j =
        runChronus({"ctl", "--json", "--port", QString::number(port), "--timeout", "200", "commit"});
    QCOMPARE(j.exitCode, 3);
    const QJsonObject o = parseReply(j);
    QCOMPARE(o.value("ok"), QJsonValue(false));
    QCOMPARE(o.value("address").toString(), QStringLiteral("/patch/commit"));
    QVERIFY(o.value("error").toString().contains("no answer"));
}

void TestCtl::buildsCommitsAndPlaysAPatch() {
    if (!serverReady())
        QSKIP(qPrintable(m_serverProblem));
    QCOMPARE(ctlJson({"clear"}).exitCode, 0);

    RunResult r = ctlJson({"create", "osc1", "sine"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err + r.out));
    QJsonObject o = parseReply(r);
    QCOMPARE(o.value("ok"), QJsonValue(true));
    QCOMPARE(o.value("address").toString(), QStringLiteral("/patch/create"));
    QCOMPARE(o.value("values").toArray(), (QJsonArray{"osc1", "sine"}));
    QCOMPARE(o.value("id").toString(), QStringLiteral("osc1"));

    o = parseReply(ctlJson({"create", "env1", "adsr"}));
    QCOMPARE(o.value("type").toString(), QStringLiteral("adsr"));
    for (const auto& [src, dst] : {std::pair{"osc1", "env1"}, std::pair{"env1", "out"}}) {
        r = ctlJson({"connect", src, dst});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err + r.out));
        QCOMPARE(parseReply(r).value("values").toArray(), (QJsonArray{src, dst}));
    }

    // Out of range: applied clamped, and the reply says so.
    r = ctlJson({"set", "osc1", "freq", "30000"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err + r.out));
    o = parseReply(r);
    QCOMPARE(o.value("value").toDouble(), 20000.0);
    QVERIFY2(o.value("note").toString().contains("clamped"), qPrintable(r.out));
    QCOMPARE(parseReply(ctlJson({"set", "osc1", "freq", "440"})).value("value").toDouble(), 440.0);

    r = ctlJson({"validate"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err + r.out));
    QVERIFY(parseReply(r).value("modules").toInt() >= 2);

    r = ctlJson({"commit", "5"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err + r.out));
    o = parseReply(r);
    QCOMPARE(o.value("address").toString(), QStringLiteral("/patch/commit"));
    QCOMPARE(o.value("values").toArray().size(), 3);
    const int active = o.value("slot").toInt(-1);
    QVERIFY(active == 0 || active == 1);
    QVERIFY(o.value("prime_ms").toDouble(-1) >= 0.0);
    QVERIFY(o.value("commit_ms").toDouble(-1) >= 0.0);

    r = ctlJson({"mod", "osc1", "freq", "660"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err + r.out));
    o = parseReply(r);
    QCOMPARE(o.value("address").toString(), QStringLiteral("/mod/osc1/freq"));
    QCOMPARE(o.value("value").toDouble(), 660.0);
    // A negative number after the verb is a value, not an option; the server clamps it.
    r = ctlJson({"mod", "osc1", "freq", "-5"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err + r.out));
    QCOMPARE(parseReply(r).value("value").toDouble(), 0.0);
    QCOMPARE(ctlJson({"mod", "osc1", "freq", "660"}).exitCode, 0);

    r = ctlJson({"gate", "env1", "on"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err + r.out));
    QCOMPARE(parseReply(r).value("on"), QJsonValue(true));
    QCOMPARE(parseReply(ctlJson({"gate", "env1", "false"})).value("on"), QJsonValue(false));

    // Status: the server's JSON, embedded parsed, with every key the README's status documents.
    r = ctl({"status", "--json"}); // options may follow the verb
    QVERIFY2(r.exitCode == 0, qPrintable(r.err + r.out));
    o = parseReply(r);
    QCOMPARE(o.value("address").toString(), QStringLiteral("/engine/status"));
    const QJsonObject status = o.value("status").toObject();
    for (const char* key : {"active_slot", "slots", "xruns", "failovers", "rollbacks", "last_prime_ms",
                            "last_commit_ms", "commits", "sample_rate", "block_size", "latency_ms", "driver",
                            "input", "input_latency_ms"})
        QVERIFY2(status.contains(QLatin1String(key)), key);
    QCOMPARE(status.value("input").toString(), QStringLiteral("none")); // the null driver captures nothing
    if (status.value("failovers").toDouble() == 0) // a stall on a busy machine may fail over, rightly
        QCOMPARE(status.value("active_slot").toInt(), active);
    QCOMPARE(status.value("driver").toString(), QStringLiteral("null"));
    QVERIFY(status.value("commits").toDouble() >= 1);
    const QJsonArray slotArray = status.value("slots").toArray();
    QCOMPARE(slotArray.size(), 2);
    for (const QJsonValue& slot : slotArray)
        for (const char* key : {"state", "prime_ready", "occupancy", "occupancy_min", "occupancy_max",
                                "none_reads", "none_reads_window", "near_misses", "dsp_load", "queue_drops"})
            QVERIFY2(slot.toObject().contains(QLatin1String(key)), key);

    // Schema: module types with ports and params.
    r = ctlJson({"schema"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err + r.out.left(200)));
    const QJsonArray types = parseReply(r).value("schema").toObject().value("types").toArray();
    QJsonObject sine;
    for (const QJsonValue& t : types)
        if (t.toObject().value("type") == QJsonValue("sine"))
            sine = t.toObject();
    QVERIFY2(!sine.isEmpty(), qPrintable(r.out.left(400)));
    QVERIFY(!sine.value("outputs").toArray().isEmpty());
    bool hasFreq = false;
    for (const QJsonValue& p : sine.value("params").toArray()) {
        // A frequency is dialled in ratios: the schema says its scale is logarithmic, a gain's linear.
        const QJsonObject param = p.toObject();
        hasFreq |= param.value("id") == QJsonValue("freq");
        if (param.value("id") == QJsonValue("freq"))
            QCOMPARE(param.value("scale").toString(), QStringLiteral("log"));
        if (param.value("id") == QJsonValue("gain"))
            QCOMPARE(param.value("scale").toString(), QStringLiteral("linear"));
    }
    QVERIFY(hasFreq);

    // Dump: both patches as parsed patch-file JSON; the commit made them the same.
    r = ctlJson({"dump"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err + r.out));
    o = parseReply(r);
    QCOMPARE(o.value("pending").toObject().value("format").toString(), QStringLiteral("chronus-patch"));
    QVERIFY(moduleIds(o.value("committed").toObject()).contains("osc1"));
    QVERIFY(moduleIds(o.value("committed").toObject()).contains("env1"));
    QVERIFY(moduleIds(o.value("pending").toObject()).contains("env1"));

    // Save and load round-trip through the patches folder.
    r = ctlJson({"save", "ctl-test"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err + r.out));
    const QString path = parseReply(r).value("path").toString();
    QVERIFY2(QFileInfo::exists(path), qPrintable(path));
    r = ctlJson({"load", "ctl-test"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err + r.out));
    QCOMPARE(parseReply(r).value("path").toString(), path);
}

void TestCtl::humanTextSaysWhatHappened() {
    if (!serverReady())
        QSKIP(qPrintable(m_serverProblem));
    RunResult r = ctl({"create", "lfo7", "lfo"});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out.trimmed(), QStringLiteral("created lfo7 (lfo)"));
    r = ctl({"commit"});
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.startsWith("committed: slot "), qPrintable(r.out));
    QVERIFY2(r.out.contains(" active, prime ") && r.out.contains(" ms, commit "), qPrintable(r.out));
    r = ctl({"status"});
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.contains("active slot") && r.out.contains("slot A") && r.out.contains("slot B") &&
                 r.out.contains("xruns") && r.out.contains("input: none (audio_in plays silence)"),
             qPrintable(r.out));
    r = ctl({"schema"});
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.contains("sine") && r.out.contains("freq"), qPrintable(r.out.left(400)));
    QVERIFY2(r.out.contains(QRegularExpression("freq +0\\.\\.20000 Hz, default 440, log\\b")), qPrintable(r.out.left(600)));
    r = ctl({"dump"});
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.contains("\"lfo7\"") && r.out.contains("pending patch"), qPrintable(r.out));
    QCOMPARE(ctl({"delete", "lfo7"}).exitCode, 0);
}

void TestCtl::serverErrorExitsOneAndNamesKnownTypes() {
    if (!serverReady())
        QSKIP(qPrintable(m_serverProblem));
    RunResult r = ctlJson({"create", "x1", "theremin"});
    QCOMPARE(r.exitCode, 1);
    const QJsonObject o = parseReply(r);
    QCOMPARE(o.value("ok"), QJsonValue(false));
    QCOMPARE(o.value("address").toString(), QStringLiteral("/patch/create"));
    const QString message = o.value("error").toString();
    QVERIFY2(message.contains("theremin") && message.contains("sine") && message.contains("adsr"),
             qPrintable(message));
    QVERIFY2(r.err.startsWith("chronus ctl: ") && r.err.contains("sine"), qPrintable(r.err));

    r = ctl({"connect", "nosuch", "out"});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.startsWith("chronus ctl: "), qPrintable(r.err));
    QVERIFY(r.out.isEmpty());

    r = ctl({"mod", "nosuch", "freq", "1"});
    QCOMPARE(r.exitCode, 1);
}

void TestCtl::foreignOscClientIsServed() {
    if (!serverReady())
        QSKIP(qPrintable(m_serverProblem));
    const QString oscsend = QStandardPaths::findExecutable("oscsend");
    if (oscsend.isEmpty())
        QSKIP("oscsend (liblo-tools) is not installed");
    QProcess p;
    p.start(oscsend, {"localhost", QString::number(m_port), "/patch/create", "ss", "osc9", "sine"});
    QVERIFY(p.waitForFinished(10000));
    QCOMPARE(p.exitCode(), 0);
    // oscsend does not wait for the reply; the pending patch shows the request was applied.
    QStringList pending;
    QElapsedTimer clock;
    clock.start();
    while (!pending.contains("osc9") && clock.elapsed() < 5000) {
        const RunResult r = ctlJson({"dump"});
        QCOMPARE(r.exitCode, 0);
        pending = moduleIds(parseReply(r).value("pending").toObject());
    }
    QVERIFY2(pending.contains("osc9"), qPrintable(pending.join(',')));
    const RunResult r = ctlJson({"dump"});
    QVERIFY(!moduleIds(parseReply(r).value("committed").toObject()).contains("osc9")); // not committed
    QCOMPARE(ctlJson({"abort"}).exitCode, 0);
}

void TestCtl::watchPrintsOneLinePerRefresh() {
    if (!serverReady())
        QSKIP(qPrintable(m_serverProblem));
    RunResult r = ctl({"status", "--watch", "--interval", "100", "--count", "3"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QStringList lines = r.out.trimmed().split('\n');
    QCOMPARE(lines.size(), 3); // not a terminal: one line per refresh, nothing overwritten
    for (const QString& line : lines)
        QVERIFY2(line.contains("xruns") && !line.contains('\r'), qPrintable(line));

    r = ctl({"--json", "status", "--watch", "--interval", "50", "--count", "2"});
    QCOMPARE(r.exitCode, 0);
    lines = r.out.trimmed().split('\n');
    QCOMPARE(lines.size(), 2);
    for (const QString& line : lines)
        QVERIFY(QJsonDocument::fromJson(line.toUtf8())
                    .object()
                    .value("status")
                    .toObject()
                    .contains("active_slot"));
}

// `set l1 shape square l1 sync 1/8`, `mod d mode crush`: labels in, labels out (replies, dump, schema),
// and an unknown label lists the valid ones.
void TestCtl::discreteParamsTakeTheirLabels() {
    if (!serverReady())
        QSKIP(qPrintable(m_serverProblem));
    QCOMPARE(ctl({"create", "l1", "lfo", "d", "distortion"}).exitCode, 0);
    RunResult r = ctl({"set", "l1", "shape", "square", "l1", "sync", "1/8", "d", "mode", "fold"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QCOMPARE(
        r.out.trimmed(),
        QStringLiteral("set l1.shape = square, l1.sync = 1/8, d.mode = fold (pending; commit to hear it)"));
    r = ctl({"set", "l1", "shape", "squar"});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("'squar' is not one of its choices: sine, triangle, saw, square, s&h"),
             qPrintable(r.err));
    r = ctlJson({"dump"});
    QCOMPARE(r.exitCode, 0);
    QJsonObject lfo;
    for (const QJsonValue& m : parseReply(r).value("pending").toObject().value("modules").toArray())
        if (m.toObject().value("id") == QLatin1String("l1"))
            lfo = m.toObject().value("params").toObject();
    QCOMPARE(lfo.value("shape").toString(), QStringLiteral("square"));
    QCOMPARE(lfo.value("sync").toString(), QStringLiteral("1/8"));
    QCOMPARE(ctl({"commit"}).exitCode, 0);
    r = ctl({"mod", "d", "mode", "crush"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QCOMPARE(r.out.trimmed(), QStringLiteral("d.mode = crush (live)"));
    r = ctl({"schema"});
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.contains(QRegularExpression(
                 "\\n    shape +sine \\| triangle \\| saw \\| square \\| s&h, default sine\\n")),
             qPrintable(r.out));
    QVERIFY2(r.out.contains(
                 QRegularExpression("\\n    sync +off \\| 1/1 \\| 1/2 \\|.* \\| 1/16t, default off\\n")),
             qPrintable(r.out));
    QCOMPARE(ctl({"delete", "l1"}).exitCode, 0);
    QCOMPARE(ctl({"delete", "d"}).exitCode, 0);
    QCOMPARE(ctl({"commit"}).exitCode, 0);
}

void TestCtl::creatingAnOutputSaysItIsBuiltIn() {
    if (!serverReady())
        QSKIP(qPrintable(m_serverProblem));
    for (const char* type : {"out", "output"}) {
        const RunResult r = ctl({"create", "x", type});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("the output module is built in: every patch has exactly one, 'out'"),
                 qPrintable(r.err));
    }
}

// The predecessor's `frequency` is `freq`, pending and live.
void TestCtl::predecessorFrequencyIsFreq() {
    if (!serverReady())
        QSKIP(qPrintable(m_serverProblem));
    QCOMPARE(ctl({"create", "s1", "simple_sine"}).exitCode, 0);
    RunResult r = ctl({"set", "s1", "frequency", "220"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QCOMPARE(ctl({"commit"}).exitCode, 0);
    r = ctl({"mod", "s1", "frequency", "330"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    r = ctlJson({"dump"});
    QJsonObject params;
    for (const QJsonValue& m : parseReply(r).value("committed").toObject().value("modules").toArray())
        if (m.toObject().value("id") == QLatin1String("s1"))
            params = m.toObject().value("params").toObject();
    QCOMPARE(params.value("freq").toDouble(), 330.0);
    QCOMPARE(ctl({"delete", "s1"}).exitCode, 0);
    QCOMPARE(ctl({"commit"}).exitCode, 0);
}

// `serve --fresh-after-commit`: after a commit the pending patch is empty (the predecessor's way).
void TestCtl::serveFreshAfterCommitEmptiesThePendingPatch() {
    const RunResult help = runChronus({"serve", "--help"});
    QVERIFY2(help.out.contains("--fresh-after-commit"), qPrintable(help.out));
    const int port = freeUdpPort();
    QVERIFY(port > 0);
    QProcess server;
    server.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    server.setStandardOutputFile(QProcess::nullDevice());
    server.start(CHRONUS_BINARY, {"serve", "--audio", "null", "--osc-port", QString::number(port), "--fresh",
                                  "--fresh-after-commit", "--autosave", m_dir.filePath("fresh-autosave.json"),
                                  "--patches", m_dir.filePath("patches")});
    QVERIFY(server.waitForStarted(10000));
    const auto call = [&](const QStringList& args) {
        return runChronus(QStringList{"ctl", "--port", QString::number(port), "--json"} + args);
    };
    QElapsedTimer clock;
    clock.start();
    while (call({"--timeout", "200", "status"}).exitCode != 0 && clock.elapsed() < 20000)
        QVERIFY(server.state() == QProcess::Running);
    QCOMPARE(call({"create", "osc1", "simple_sine"}).exitCode, 0);
    QCOMPARE(call({"commit"}).exitCode, 0);
    // Committed twice (a retry after a lost reply): what plays is committed again, not silence.
    QCOMPARE(call({"commit"}).exitCode, 0);
    QCOMPARE(moduleIds(parseReply(call({"dump"})).value("committed").toObject()), QStringList{"osc1"});
    QCOMPARE(call({"create", "osc2", "simple_sine"}).exitCode, 0);
    const QJsonObject dump = parseReply(call({"dump"}));
    QCOMPARE(moduleIds(dump.value("pending").toObject()), QStringList{"osc2"});
    QCOMPARE(moduleIds(dump.value("committed").toObject()), QStringList{"osc1"});
    server.terminate();
    if (!server.waitForFinished(10000)) {
        server.kill();
        server.waitForFinished();
    }
    QCOMPARE(server.exitCode(), 0);
}

// `ctl dump` of a 500-module wired patch, pending and committed (~110 kB of JSON: more than one
// UDP datagram holds): ctl talks TCP, so the whole dump arrives, as JSON and as text.
void TestCtl::dumpsAFiveHundredModuleWiredPatch() {
    if (!serverReady())
        QSKIP(qPrintable(m_serverProblem));
    QVERIFY(QDir().mkpath(m_dir.filePath("patches")));
    QFile file(m_dir.filePath("patches/wired500.json"));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(wiredPatchJson(500));
    file.close();
    RunResult r = ctl({"load", "wired500"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    r = ctl({"commit"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));

    r = ctlJson({"dump"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err + r.out.left(300)));
    const QJsonObject o = parseReply(r);
    for (const char* which : {"pending", "committed"}) {
        const QJsonObject patch = o.value(QLatin1String(which)).toObject();
        QCOMPARE(patch.value("modules").toArray().size(), 500);
        QCOMPARE(patch.value("cables").toArray().size(), 501); // 499 between them, 2 into out.left and out.right
        QVERIFY(moduleIds(patch).contains("module_499"));
    }
    qInfo("ctl --json dump of 500 wired modules: %lld bytes", static_cast<long long>(r.out.size()));
    r = ctl({"dump"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY2(r.out.contains("\"module_499\"") && r.out.contains("committed patch (playing): the same"),
             qPrintable(r.out.right(300)));

    QCOMPARE(ctl({"clear"}).exitCode, 0);
    r = ctl({"commit"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
}

// ctl sends every request with a request id (a bundle led by `/request/id <id>`) and takes only the
// answer that carries that id and names its address: a stale answer (another id, as a late answer to
// an earlier request would be), an untagged one and one for another address, all sent before the
// real one, are passed over. A forged datagram from another sender cannot reach ctl at all: it
// receives only on its TCP connection to the server, no UDP port of its own.
void TestCtl::takesOnlyTheAnswerCarryingItsRequestId() {
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    QVERIFY(listener >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    QVERIFY(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    QVERIFY(::listen(listener, 4) == 0);
    QVERIFY(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    const int port = ntohs(addr.sin_port);

    // The fake server: one request read, four answers written.
    QByteArray request;
    std::thread fake([&] {
        pollfd p{listener, POLLIN, 0};
        if (::poll(&p, 1, 20000) <= 0)
            return;
        const int fd = ::accept(listener, nullptr, nullptr);
        if (fd < 0)
            return;
        QByteArray in;
        char buffer[4096];
        while (in.size() < 4 || in.size() < 4 + qFromBigEndian<qint32>(in.constData())) {
            pollfd q{fd, POLLIN, 0};
            if (::poll(&q, 1, 20000) <= 0)
                break;
            const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
            if (n <= 0)
                break;
            in.append(buffer, n);
        }
        request = in.mid(4);
        // #bundle(8) time tag(8) size(4) "/request/id\0"(12) ",i\0\0"(4) id(4)
        const qint32 id = request.size() >= 40 ? qFromBigEndian<qint32>(request.constData() + 36) : 0;
        const auto answer = [](const QByteArray& address, qint32 modules, qint32 cables) {
            return oscMessage("/reply", "sii", {address, modules, cables});
        };
        QByteArray out = tcpFrame(taggedAnswer(static_cast<qint32>(static_cast<quint32>(id) - 1u), answer("/patch/validate", 666, 666))) + // stale
                         tcpFrame(answer("/patch/validate", 777, 777)) +                        // untagged
                         tcpFrame(taggedAnswer(id, answer("/patch/prime", 888, 888))) +         // another address
                         tcpFrame(taggedAnswer(id, answer("/patch/validate", 3, 2)));          // the answer
        for (qsizetype at = 0; at < out.size();) {
            const ssize_t n = ::send(fd, out.constData() + at, static_cast<size_t>(out.size() - at), MSG_NOSIGNAL);
            if (n <= 0)
                break;
            at += n;
        }
        char sink;
        pollfd q{fd, POLLIN, 0};
        ::poll(&q, 1, 20000); // until ctl closes
        (void)::recv(fd, &sink, 1, 0);
        ::close(fd);
    });
    const RunResult r = runChronus({"ctl", "--json", "--port", QString::number(port), "--timeout", "10000", "validate"});
    fake.join();
    ::close(listener);
    QVERIFY2(request.startsWith(QByteArray("#bundle\0", 8)) && request.mid(20, 12) == QByteArray("/request/id\0", 12),
             qPrintable("ctl sent no request id: " + request.toHex()));
    QVERIFY2(r.exitCode == 0, qPrintable(r.err + r.out));
    const QJsonObject o = parseReply(r);
    QCOMPARE(o.value("modules").toInt(), 3);
    QCOMPARE(o.value("cables").toInt(), 2);
}

// `--json` names a reply's values with the names the server publishes (/engine/schema's "protocol"):
// every field an address's reply always carries is a key of ctl's object, and so is each edit's
// group of a multi-edit request.
void TestCtl::jsonKeysEveryReplyFieldByTheSchemasName() {
    if (!serverReady())
        QSKIP(qPrintable(m_serverProblem));
    RunResult r = ctlJson({"schema"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err + r.out));
    QMap<QString, QJsonObject> addresses;
    for (const QJsonValue& a :
         parseReply(r).value("schema").toObject().value("protocol").toObject().value("addresses").toArray())
        addresses[a.toObject().value("address").toString()] = a.toObject();
    QVERIFY2(addresses.size() >= 21, "the schema has no protocol part");
    QVERIFY(ctl({"create", "names1", "sine", "names2", "saw", "names5", "adsr"}).exitCode == 0);
    const QList<QStringList> calls{{"create", "names3", "sine", "names4", "saw"},
                                   {"set", "names1", "freq", "330", "names2", "freq", "220"},
                                   {"connect", "names1", "out", "names2", "out"},
                                   {"disconnect", "names2", "out"},
                                   {"delete", "names3"},
                                   {"validate"},
                                   {"prime"},
                                   {"commit", "0"},
                                   {"mod", "names1", "freq", "440"},
                                   {"gate", "names5", "off"},
                                   {"abort"},
                                   {"undo-commit", "0"},
                                   {"create", "names6", "noise"},
                                   {"undo"},
                                   {"redo"},
                                   {"dump"},
                                   {"status"},
                                   {"save", "names"},
                                   {"load", "names"},
                                   {"clear"}};
    for (const QStringList& call : calls) {
        r = ctlJson(call);
        QVERIFY2(r.exitCode == 0, qPrintable(call.join(' ') + ": " + r.err + r.out));
        const QJsonObject o = parseReply(r);
        QString address = o.value("address").toString();
        for (const QString& pattern : {QStringLiteral("/mod/"), QStringLiteral("/gate/")})
            if (address.startsWith(pattern))
                address =
                    pattern == "/mod/" ? QStringLiteral("/mod/<id>/<param>") : QStringLiteral("/gate/<id>");
        QVERIFY2(addresses.contains(address), qPrintable(address));
        const QJsonObject entry = addresses.value(address);
        const QJsonArray fields =
            entry.value(entry.contains("reply_with_option") ? "reply_with_option" : "reply").toArray();
        for (const QJsonValue& f : fields) {
            const QString name = f.toObject().value("name").toString();
            const QString occurs = f.toObject().value("occurs").toString();
            if (occurs == "once" || occurs == "group")
                QVERIFY2(o.contains(name), qPrintable(call.join(' ') + ": no \"" + name + "\" in " + r.out));
            if (occurs == "rest")
                QVERIFY2(o.value(name).isArray(),
                         qPrintable(call.join(' ') + ": no array \"" + name + "\" in " + r.out));
        }
        if (call.size() > 4 && entry.contains("group")) // two edits: each one's fields in the group's array
            QCOMPARE(o.value(entry.value("group").toString()).toArray().size(), 2);
    }
}

QTEST_GUILESS_MAIN(TestCtl)
#include "tst_ctl.moc"
