#include "EditJournal.hpp"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace chronus::app {

using engine::ErrorCode;
using engine::Status;

namespace {

// CRC-32 (IEEE 802.3, as zlib's crc32): catches a record damaged on disk.
constexpr std::array<std::uint32_t, 256> kCrcTable = [] {
    std::array<std::uint32_t, 256> table{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int k = 0; k < 8; ++k)
            c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    return table;
}();

std::uint32_t crc32(const char* data, qsizetype size) {
    std::uint32_t c = 0xFFFFFFFFu;
    for (qsizetype i = 0; i < size; ++i)
        c = kCrcTable[(c ^ static_cast<std::uint8_t>(data[i])) & 0xFFu] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

Status failed(const QString& what, int error) {
    return Status::error(ErrorCode::Device, (what + QStringLiteral(": ") + QString::fromLocal8Bit(std::strerror(error))).toStdString());
}

// Makes a rename or a truncation in `folder` survive a power loss (best effort: some file systems
// cannot sync a folder).
void syncFolder(const QString& folder) {
    const int fd = ::open(QFile::encodeName(folder).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return;
    (void)::fsync(fd);
    ::close(fd);
}

} // namespace

QString EditJournal::pathFor(const QString& snapshotPath) { return snapshotPath + QStringLiteral(".journal"); }

EditJournal::EditJournal(QString path) : m_path(std::move(path)) {}

EditJournal::~EditJournal() {
    if (m_fd >= 0)
        ::close(m_fd);
}

Status EditJournal::open() {
    std::lock_guard lock(m_mutex);
    return openLocked();
}

Status EditJournal::openLocked() {
    if (m_fd >= 0)
        return {};
    QDir().mkpath(QFileInfo(m_path).absolutePath());
    const int fd = ::open(QFile::encodeName(m_path).constData(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        const Status s = failed(m_path + QStringLiteral(": cannot open the journal"), errno);
        m_offReason = QString::fromStdString(s.message());
        m_offCode = ErrorCode::Device; // append() tries again: the folder may be fixed meanwhile
        return s;
    }
    // A record cut short by a kill would end every later replay at itself: appends start after
    // the last intact record.
    const qint64 valid = replay(m_path).validBytes;
    struct stat st {};
    ::fstat(fd, &st);
    if (st.st_size > valid && ::ftruncate(fd, valid) != 0) {
        const int error = errno;
        ::close(fd);
        const Status s = failed(m_path + QStringLiteral(": cannot cut the journal's damaged tail"), error);
        m_offReason = QString::fromStdString(s.message());
        m_offCode = ErrorCode::Device;
        return s;
    }
    m_fd = fd;
    m_size = valid;
    m_written.clear();
    return {};
}

void EditJournal::close(const QString& offReason) {
    std::lock_guard lock(m_mutex);
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = -1;
    m_offReason = offReason;
    m_offCode = ErrorCode::NotRunning;
    m_written.clear();
}

bool EditJournal::isOpen() const {
    std::lock_guard lock(m_mutex);
    return m_fd >= 0;
}

qint64 EditJournal::size() const {
    std::lock_guard lock(m_mutex);
    return m_size;
}

Status EditJournal::writeLocked(const QByteArray& line) {
    qsizetype done = 0;
    while (done < line.size()) {
        const ssize_t n = ::write(m_fd, line.constData() + done, static_cast<std::size_t>(line.size() - done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            const int error = n < 0 ? errno : ENOSPC;
            // A part of a record would read as damaged and end every later replay there: cut it off.
            if (done > 0)
                (void)!::ftruncate(m_fd, m_size);
            return failed(m_path + QStringLiteral(": cannot write the journal"), error);
        }
        done += n;
    }
    m_size += line.size();
    m_unsynced = true;
    return {};
}

Status EditJournal::append(const std::function<QJsonObject()>& build) {
    std::lock_guard lock(m_mutex);
    if (m_fd < 0 && (m_offCode == ErrorCode::NotRunning || !openLocked()))
        return Status::error(m_offCode, m_offReason.toStdString());
    const QJsonObject state = build();
    QJsonObject record;
    for (auto it = state.begin(); it != state.end(); ++it) {
        const auto seen = m_written.find(it.key());
        if (seen == m_written.end() || seen->second != QJsonValue(it.value()))
            record.insert(it.key(), it.value());
    }
    if (record.isEmpty())
        return {};
    const QByteArray json = QJsonDocument(record).toJson(QJsonDocument::Compact);
    const QByteArray line = QByteArray::number(json.size()) + ' ' +
                            QByteArray::number(crc32(json.constData(), json.size()), 16).rightJustified(8, '0') + ' ' +
                            json + '\n';
    if (Status s = writeLocked(line); !s)
        return s;
    for (auto it = record.begin(); it != record.end(); ++it)
        m_written[it.key()] = QJsonValue(it.value());
    return {};
}

Status EditJournal::compact(const std::function<Status()>& writeSnapshot) {
    std::lock_guard lock(m_mutex);
    if (Status s = writeSnapshot(); !s)
        return s;
    // The snapshot holds everything now. The emptied journal is synced before anything is appended
    // again: after a power loss, old records must not come back on top of a newer snapshot.
    if (m_fd >= 0) {
        if (::ftruncate(m_fd, 0) != 0)
            return failed(m_path + QStringLiteral(": cannot empty the journal"), errno);
        (void)::fsync(m_fd);
    } else if (::truncate(QFile::encodeName(m_path).constData(), 0) != 0 && errno != ENOENT) {
        return failed(m_path + QStringLiteral(": cannot empty the journal"), errno);
    }
    m_size = 0;
    m_unsynced = false;
    m_written.clear();
    syncFolder(QFileInfo(m_path).absolutePath());
    return {};
}

Status EditJournal::sync() {
    std::lock_guard lock(m_mutex);
    if (m_fd < 0 || !m_unsynced)
        return {};
    if (::fdatasync(m_fd) != 0)
        return failed(m_path + QStringLiteral(": cannot sync the journal"), errno);
    m_unsynced = false;
    return {};
}

Status EditJournal::discard() {
    std::lock_guard lock(m_mutex);
    if (m_fd < 0) {
        QDir().mkpath(QFileInfo(m_path).absolutePath());
        const int fd = ::open(QFile::encodeName(m_path).constData(),
                              O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
            return failed(m_path + QStringLiteral(": cannot open the journal"), errno);
        m_fd = fd;
    } else if (::ftruncate(m_fd, 0) != 0) {
        return failed(m_path + QStringLiteral(": cannot empty the journal"), errno);
    }
    m_size = 0;
    m_written.clear();
    return {};
}

EditJournal::Replay EditJournal::replay(const QString& path) {
    Replay r;
    QFile file(path);
    if (!QFileInfo(path).isFile() || !file.open(QIODevice::ReadOnly)) // a device or a FIFO is never read
        return r;
    const QByteArray data = file.readAll();
    qsizetype at = 0;
    while (at < data.size()) {
        const qsizetype space1 = data.indexOf(' ', at);
        const qsizetype space2 = space1 < 0 ? -1 : data.indexOf(' ', space1 + 1);
        bool lengthOk = false, crcOk = false;
        const qsizetype length = space2 < 0 ? 0 : data.mid(at, space1 - at).toLongLong(&lengthOk);
        const std::uint32_t crc = space2 < 0 ? 0 : data.mid(space1 + 1, space2 - space1 - 1).toUInt(&crcOk, 16);
        const qsizetype end = space2 + 1 + length; // where the record's '\n' must be
        const qsizetype left = data.size() - at;
        if (space2 < 0 || !lengthOk || !crcOk || length < 0 || end >= data.size()) {
            // Cut short: the process died inside its write, before the acknowledgement.
            if (space2 < 0 || (lengthOk && end >= data.size()))
                r.problem = QStringLiteral("the last record of %1 was cut short (%2 bytes) and is ignored: "
                                           "it was never acknowledged")
                                .arg(QDir::toNativeSeparators(path))
                                .arg(left);
            else
                r.problem = QStringLiteral("record %1 of %2 is damaged; the %3 bytes from there are ignored")
                                .arg(r.records + 1)
                                .arg(QDir::toNativeSeparators(path))
                                .arg(left);
            break;
        }
        const QByteArray json = data.mid(space2 + 1, length);
        QJsonParseError error{};
        const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
        if (data.at(end) != '\n' || crc32(json.constData(), json.size()) != crc || !doc.isObject()) {
            r.problem = QStringLiteral("record %1 of %2 is damaged; the %3 bytes from there are ignored")
                            .arg(r.records + 1)
                            .arg(QDir::toNativeSeparators(path))
                            .arg(left);
            break;
        }
        const QJsonObject record = doc.object();
        for (auto it = record.begin(); it != record.end(); ++it)
            r.state.insert(it.key(), it.value());
        ++r.records;
        at = end + 1;
        r.validBytes = at;
    }
    return r;
}

} // namespace chronus::app
