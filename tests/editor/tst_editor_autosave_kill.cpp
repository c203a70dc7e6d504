// The editor is killed (SIGKILL, no chance to clean up) right after an edit; the next start gets
// the edit back from the autosave. The edit comes from an agent over OSC (`chronus ctl`), the
// restore through `chronus --restore`, and `chronus ctl dump` shows what the new editor holds.

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

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

private slots:
    void aKilledEditorLosesNothing() {
        QTemporaryDir dir;
        const QString autosave = dir.filePath(QStringLiteral("autosave.json"));
        QProcess first;
        const int port = startEditor(first, {"--fresh", "--autosave", autosave});
        QVERIFY2(port > 0, "the editor did not start");
        QVERIFY(ctl(port, {"create", "lfo7", "lfo"}).contains("lfo7"));
        // The editor picks the agent's edit up and saves it at once.
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                QFile f(autosave);
                return f.open(QIODevice::ReadOnly) && f.readAll().contains("\"lfo7\"");
            }(),
            10000);
        first.kill(); // SIGKILL
        QVERIFY(first.waitForFinished(5000));
        QCOMPARE(first.exitStatus(), QProcess::CrashExit);
        QVERIFY(QFile::exists(autosave));

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
};

QTEST_GUILESS_MAIN(TestEditorAutosaveKill)
#include "tst_editor_autosave_kill.moc"
