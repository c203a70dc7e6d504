#pragma once
// A write-ahead journal of acknowledged changes: what `serve` and the editor acknowledged (an OSC
// /reply, a change the window shows) is in a file before the acknowledgement goes out.
//
// The saved state is a JSON object of a few top-level keys ("committed", "pending", ...). Its owner
// keeps a snapshot of it (a file written atomically and fsync'd) and this journal beside it: an
// append-only file of the records written since that snapshot, each a JSON object whose keys replace
// the state's (later records win). Each record goes to the file with one write(2) before the owner
// acknowledges the change; the kernel's page cache keeps it across a kill of the process. Only an
// operating-system crash or a power loss can take records written since the last fsync, which
// compact() does (the snapshot, the journal, their folder).
//
// On disk, one line per record: "<length> <crc32, 8 hex digits> <compact JSON>\n". A record cut short
// (the process died inside the write, so it was never acknowledged) or damaged ends the replay there,
// and replay() says so.
//
// Threads: any thread. One mutex serialises append(), compact() and discard(), and a record's state
// is built under it (the builder runs inside), so records lie in the order their state was read: the
// last one read the newest state.

#include "engine/Status.hpp"

#include <QByteArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QString>

#include <functional>
#include <map>
#include <mutex>

namespace chronus::app {

class EditJournal {
public:
    // The journal of `snapshotPath`: the same name with ".journal" added.
    static QString pathFor(const QString& snapshotPath);

    explicit EditJournal(QString path);
    ~EditJournal();
    EditJournal(const EditJournal&) = delete;
    EditJournal& operator=(const EditJournal&) = delete;

    const QString& path() const noexcept { return m_path; }

    // Opens the file for appending (created when missing; its intact records are kept, a cut-short
    // or damaged tail is cut off). After close(), append() refuses with `offReason` (code NotRunning);
    // after an open that failed, append() tries to open again and returns that failure (code Device).
    engine::Status open();
    void close(const QString& offReason);
    bool isOpen() const;

    // Appends the keys of build() whose value differs from the last record's (all of them after
    // open(), compact() or discard()); nothing when none changed. One write(2); a failure (a full
    // disk, a read-only folder) leaves the file as it was and returns the system's reason.
    engine::Status append(const std::function<QJsonObject()>& build);

    // Under the lock: writeSnapshot() (which saves the whole state atomically), then the journal is
    // emptied and the folder fsync'd. When the snapshot fails, the journal keeps its records.
    engine::Status compact(const std::function<engine::Status()>& writeSnapshot);

    // fdatasync()s the records appended since the last sync, compact() or discard() (none: nothing
    // to do). A caller that does this every second bounds what a power loss can take to that second.
    engine::Status sync();

    // Empties the journal (the owner threw its state away). Opens it when closed.
    engine::Status discard();

    // Bytes in the journal now; the owner compacts past a size of its choosing.
    qint64 size() const;

    struct Replay {
        QJsonObject state; // the keys of every intact record, later ones winning; empty: no records
        int records = 0;
        qint64 validBytes = 0; // the intact records' length
        QString problem; // a cut-short or damaged tail that was ignored, in words; empty when none
    };
    // Reads a journal file (missing: no records). Never throws.
    static Replay replay(const QString& path);

private:
    engine::Status openLocked();
    engine::Status writeLocked(const QByteArray& line);

    const QString m_path;
    mutable std::mutex m_mutex;
    int m_fd = -1;
    qint64 m_size = 0;
    bool m_unsynced = false; // records appended since the last fsync
    QString m_offReason = QStringLiteral("the journal is not open");
    engine::ErrorCode m_offCode = engine::ErrorCode::NotRunning;
    std::map<QString, QJsonValue> m_written; // each key's value as the journal holds it now
};

} // namespace chronus::app
