// The write-ahead journal behind the autosaves: records replay in order, later keys winning; a
// record cut short by a kill is ignored and said, and the next session appends after the last intact
// one; compaction empties it only once the snapshot is written; a write that fails says the system's
// reason and leaves the file as it was.

#include "EditJournal.hpp"

#include <QFile>
#include <QFileInfo>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using chronus::app::EditJournal;
using chronus::engine::Status;

class TestEditJournal : public QObject {
    Q_OBJECT

private slots:
    void recordsReplayInOrderLaterKeysWin() {
        QTemporaryDir dir;
        EditJournal journal(EditJournal::pathFor(dir.filePath("autosave.json")));
        QCOMPARE(journal.path(), dir.filePath("autosave.json.journal"));
        QVERIFY(journal.open());
        QVERIFY(journal.append([] { return QJsonObject{{"committed", 1}, {"pending", 1}}; }));
        QVERIFY(journal.append([] { return QJsonObject{{"committed", 1}, {"pending", 2}}; }));
        const qint64 before = journal.size();
        QVERIFY(journal.append([] { return QJsonObject{{"committed", 1}, {"pending", 2}}; }));
        QCOMPARE(journal.size(), before); // nothing changed: nothing written
        QVERIFY(journal.append([] { return QJsonObject{{"committed", 3}, {"pending", 3}}; }));
        const EditJournal::Replay r = EditJournal::replay(journal.path());
        QCOMPARE(r.records, 3);
        QVERIFY(r.problem.isEmpty());
        QCOMPARE(r.state.value("committed").toInt(), 3);
        QCOMPARE(r.state.value("pending").toInt(), 3);
        QCOMPARE(r.validBytes, QFileInfo(journal.path()).size());
    }

    void aRecordCutShortIsIgnoredAndSaid() {
        QTemporaryDir dir;
        const QString path = dir.filePath("j");
        {
            EditJournal journal(path);
            QVERIFY(journal.open());
            QVERIFY(journal.append([] { return QJsonObject{{"pending", "kept"}}; }));
            QVERIFY(journal.append([] { return QJsonObject{{"pending", "cut"}}; }));
        }
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadWrite));
        const qint64 full = file.size();
        QVERIFY(file.resize(full - 5)); // the kill came inside the second write
        file.close();
        const EditJournal::Replay r = EditJournal::replay(path);
        QCOMPARE(r.records, 1);
        QCOMPARE(r.state.value("pending").toString(), QStringLiteral("kept"));
        QVERIFY2(r.problem.contains("cut short") && r.problem.contains("never acknowledged"), qPrintable(r.problem));

        // The next session appends after the intact record, not after the torn one.
        EditJournal again(path);
        QVERIFY(again.open());
        QVERIFY(again.append([] { return QJsonObject{{"pending", "next"}}; }));
        const EditJournal::Replay after = EditJournal::replay(path);
        QCOMPARE(after.records, 2);
        QVERIFY(after.problem.isEmpty());
        QCOMPARE(after.state.value("pending").toString(), QStringLiteral("next"));
    }

    void aDamagedRecordEndsTheReplayThere() {
        QTemporaryDir dir;
        const QString path = dir.filePath("j");
        {
            EditJournal journal(path);
            QVERIFY(journal.open());
            QVERIFY(journal.append([] { return QJsonObject{{"pending", "one"}}; }));
            QVERIFY(journal.append([] { return QJsonObject{{"pending", "two"}}; }));
            QVERIFY(journal.append([] { return QJsonObject{{"pending", "six"}}; }));
        }
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QByteArray data = file.readAll();
        file.close();
        data.replace("\"two\"", "\"TWO\""); // same length, wrong checksum
        QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        file.write(data);
        file.close();
        const EditJournal::Replay r = EditJournal::replay(path);
        QCOMPARE(r.records, 1);
        QCOMPARE(r.state.value("pending").toString(), QStringLiteral("one"));
        QVERIFY2(r.problem.contains("record 2") && r.problem.contains("damaged"), qPrintable(r.problem));
    }

    void compactionEmptiesTheJournalOnlyAfterTheSnapshot() {
        QTemporaryDir dir;
        EditJournal journal(dir.filePath("j"));
        QVERIFY(journal.open());
        QVERIFY(journal.append([] { return QJsonObject{{"pending", 1}}; }));
        const Status refused = journal.compact([] { return Status::error(chronus::engine::ErrorCode::Device, "disk full"); });
        QVERIFY(!refused);
        QCOMPARE(EditJournal::replay(journal.path()).records, 1); // kept: the snapshot did not happen
        bool wrote = false;
        QVERIFY(journal.compact([&] {
            wrote = true;
            return Status{};
        }));
        QVERIFY(wrote);
        QCOMPARE(journal.size(), 0);
        QCOMPARE(EditJournal::replay(journal.path()).records, 0);
        // After a compaction every key is written again (the journal alone holds the whole state).
        QVERIFY(journal.append([] { return QJsonObject{{"committed", 1}, {"pending", 1}}; }));
        QCOMPARE(EditJournal::replay(journal.path()).state.size(), 2);
        QVERIFY(journal.sync());
    }

    void aClosedJournalRefusesWithItsReason() {
        QTemporaryDir dir;
        EditJournal journal(dir.filePath("j"));
        journal.close(QStringLiteral("an earlier session's autosave waits"));
        const Status s = journal.append([] { return QJsonObject{{"pending", 1}}; });
        QVERIFY(!s);
        QCOMPARE(QString::fromStdString(s.message()), QStringLiteral("an earlier session's autosave waits"));
        QVERIFY(!QFile::exists(journal.path()));
    }

    void aJournalThatCannotBeOpenedSaysTheSystemsReason() {
        QTemporaryDir dir;
        QFile blocker(dir.filePath("state"));
        QVERIFY(blocker.open(QIODevice::WriteOnly)); // a file where the folder should be
        blocker.close();
        EditJournal journal(dir.filePath("state/autosave.json.journal"));
        const Status s = journal.open();
        QVERIFY(!s);
        QVERIFY2(QString::fromStdString(s.message()).contains("Not a directory"), s.message().c_str());
    }

    void aFullDiskLeavesTheFileAsItWas() {
        if (!QFile::exists("/dev/full"))
            QSKIP("no /dev/full here");
        EditJournal journal(QStringLiteral("/dev/full"));
        QVERIFY(journal.open());
        const Status s = journal.append([] { return QJsonObject{{"pending", 1}}; });
        QVERIFY(!s);
        QVERIFY2(QString::fromStdString(s.message()).contains("No space left on device"), s.message().c_str());
    }
};

QTEST_GUILESS_MAIN(TestEditJournal)
#include "tst_edit_journal.moc"
