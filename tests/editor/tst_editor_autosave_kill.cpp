// The editor is killed (SIGKILL, no chance to clean up) right after an edit; the next start gets
// the edit back from the autosave. The edit comes from an agent over OSC (`chronus ctl`, or a raw
// request whose reply is the moment of the kill), the restore through `chronus --restore`, and
// `chronus ctl dump` shows what the new editor holds.

#include "support/OscUdp.hpp"

#include <QJsonDocument>
#include <QJsonArray>
#include <QJsonObject>
#include <QMap>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <memory>

class TestEditorAutosaveKill : public QObject {
    Q_OBJECT

    // Starts the editor offscreen; returns its OSC port (0 when it did not come up).
    static int startEditor(QProcess& p, const QStringList& extra) {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        p.setProcessEnvironment(env);
        p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        p.start(QStringLiteral(CHRONUS_BINARY), QStringList{"--audio", "null", "--osc-port", "0"} + extra);
        if (!p.waitForStarted(10000))
            return 0;
        QByteArray out;
        const QRegularExpression ready(QStringLiteral("OSC [0-9.]+:([0-9]+)"));
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < 20000 && p.state() == QProcess::Running) {
            p.waitForReadyRead(200);
            out += p.readAllStandardOutput();
            const auto m = ready.match(QString::fromUtf8(out));
            if (m.hasMatch())
                return m.captured(1).toInt();
        }
        qWarning() << "editor output:" << out;
        return 0;
    }
    static QByteArray ctl(int port, const QStringList& args) {
        QProcess p;
        p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        p.start(QStringLiteral(CHRONUS_BINARY), QStringList{"ctl", "--port", QString::number(port)} + args);
        p.waitForFinished(10000);
        return p.readAllStandardOutput();
    }

    // A patch of `ctl --json dump` ("pending" or "committed") as module id -> params.
    static QMap<QString, QJsonObject> modulesOf(const QJsonObject& dump, const char* which) {
        QMap<QString, QJsonObject> modules;
        for (const QJsonValue& m : dump.value(QLatin1String(which)).toObject().value("modules").toArray())
            modules.insert(m.toObject().value("id").toString(), m.toObject().value("params").toObject());
        return modules;
    }

private slots:
    void aKilledEditorLosesNothing() {
        QTemporaryDir dir;
        const QString autosave = dir.filePath(QStringLiteral("autosave.json"));
        QProcess first;
        const int port = startEditor(first, {"--fresh", "--autosave", autosave});
        QVERIFY2(port > 0, "the editor did not start");
        QVERIFY(ctl(port, {"create", "lfo7", "lfo"}).contains("lfo7"));
        // The reply came after the edit was on disk: in the autosave's journal.
        QFile journal(autosave + QStringLiteral(".journal"));
        QVERIFY(journal.open(QIODevice::ReadOnly));
        QVERIFY(journal.readAll().contains("\"lfo7\""));
        first.kill(); // SIGKILL
        QVERIFY(first.waitForFinished(5000));
        QCOMPARE(first.exitStatus(), QProcess::CrashExit);

        QProcess second;
        const int port2 = startEditor(second, {"--restore", "--autosave", autosave});
        QVERIFY2(port2 > 0, "the editor did not start again");
        const QJsonObject dump = QJsonDocument::fromJson(ctl(port2, {"--json", "dump"})).object();
        const QByteArray pending = QJsonDocument(dump.value("pending").toObject()).toJson();
        QVERIFY2(pending.contains("\"lfo7\""), pending.constData());
        second.terminate();
        QVERIFY(second.waitForFinished(10000));
        QCOMPARE(second.exitStatus(), QProcess::NormalExit);
        QCOMPARE(second.exitCode(), 0);
        QVERIFY(!QFile::exists(autosave)); // a clean quit leaves nothing to offer
    }

    // What the editor acknowledged to an agent (a /reply) survives a kill -9 sent the moment the
    // reply arrives: the edits and what was committed, in rounds that each restart on what the last
    // one left and end on another kind of change.
    void acknowledgedOscChangesSurviveAKill() {
        QTemporaryDir dir;
        const QString autosave = dir.filePath(QStringLiteral("autosave.json"));
        auto editor = std::make_unique<QProcess>();
        int port = startEditor(*editor, {"--fresh", "--autosave", autosave});
        QVERIFY2(port > 0, "the editor did not start");
        for (int round = 1; round <= 20; ++round) {
            chronus::test::OscUdpClient osc(port);
            const QString a = QStringLiteral("a%1").arg(round), b = QStringLiteral("b%1").arg(round),
                          c = QStringLiteral("c%1").arg(round);
            const auto ok = [&](const QString& path, const QVariantList& args) {
                const QStringList answer = osc.request(path, args);
                if (answer.value(0) != QLatin1String("/reply") || answer.join(' ').contains("not kept"))
                    qWarning() << path << args << "->" << answer;
                return answer.value(0) == QLatin1String("/reply") && !answer.join(' ').contains("not kept");
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
            ::kill(static_cast<pid_t>(editor->processId()), SIGKILL); // at once: nothing after the reply
            QVERIFY(editor->waitForFinished(5000));

            editor = std::make_unique<QProcess>();
            port = startEditor(*editor, {"--restore", "--autosave", autosave});
            QVERIFY2(port > 0, qPrintable(QStringLiteral("round %1: the editor did not start again").arg(round)));
            const QByteArray dump = ctl(port, {"--json", "dump"});
            const QJsonObject patches = QJsonDocument::fromJson(dump).object();
            const QMap<QString, QJsonObject> pending = modulesOf(patches, "pending");
            const QMap<QString, QJsonObject> committed = modulesOf(patches, "committed");
            const QByteArray where = QStringLiteral("round %1: ").arg(round).toUtf8() + dump;
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
        editor->terminate();
        QVERIFY(editor->waitForFinished(10000));
        QCOMPARE(editor->exitCode(), 0);
        QVERIFY(!QFile::exists(autosave));
        QVERIFY(!QFile::exists(autosave + QStringLiteral(".journal")));
    }
};

QTEST_GUILESS_MAIN(TestEditorAutosaveKill)
#include "tst_editor_autosave_kill.moc"
