#include "Recorder.hpp"

#include "UserPaths.hpp"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QStandardPaths>

#include <sndfile.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <system_error>
#include <thread>
#include <unistd.h>
#include <vector>

namespace chronus::app {

using engine::ErrorCode;
using engine::Result;
using engine::Status;

namespace {

constexpr std::size_t kChunkFrames = 4096;                     // the writer's read size
constexpr auto kWriterPeriod = std::chrono::milliseconds(20);  // how often the writer drains the ring
constexpr int kMaxNumberedNames = 9999;                        // take-2.wav ... take-9999.wav

Status ioError(const std::string& message) { return Status::error(ErrorCode::InvalidArgument, message); }

std::string localPath(const QString& path) { return QFile::encodeName(path).toStdString(); }

int sndfileFormat(SampleFormat format) {
    return SF_FORMAT_WAV | (format == SampleFormat::Pcm16   ? SF_FORMAT_PCM_16
                            : format == SampleFormat::Pcm24 ? SF_FORMAT_PCM_24
                                                            : SF_FORMAT_FLOAT);
}

} // namespace

// One recording: its file and what its writer thread and the controller share.
struct Recorder::Session {
    std::uint32_t id = 0;
    QString path;
    int fd = -1;               // ours; libsndfile does not close it
    SNDFILE* file = nullptr;   // the writer thread's while it runs
    std::uint64_t droppedBase = 0; // the tap's drop count when the session began
    std::atomic<std::uint64_t> written{0}; // frames in the file; written by the writer thread
    // Guarded by Recorder::m_mutex.
    bool stopWanted = false; // stop() or a failed write asked the callback to stop
    bool abandon = false;    // the callback did not see the stop in time: keep what arrived, finish
    bool kick = false;       // wake the writer now
    bool done = false;       // the writer closed the file and left
    std::string error;       // why the recording stopped on its own
    std::thread thread;
};

Recorder::Recorder(double sampleRate, RecorderOptions options)
    : m_sampleRate(sampleRate)
    , m_options(std::move(options))
    , m_folder(QDir(m_options.folder.isEmpty() ? defaultFolder() : m_options.folder).absolutePath())
    , m_tap(static_cast<std::size_t>(std::max(1.0, m_options.ringSeconds) * std::max(sampleRate, 1000.0))) {}

Recorder::~Recorder() {
    std::lock_guard control(m_control);
    if (m_session)
        (void)finish(std::chrono::seconds(2));
}

QString Recorder::defaultFolder() {
    const QString music = QStandardPaths::writableLocation(QStandardPaths::MusicLocation);
    if (!music.isEmpty())
        return QDir(music).filePath(QStringLiteral("Chronus"));
    return QDir(dataFolder()).filePath(QStringLiteral("recordings"));
}

QString Recorder::defaultFileName(const QDateTime& when) {
    return QStringLiteral("chronus-") + when.toString(QStringLiteral("yyyy-MM-dd-HHmmss")) + QStringLiteral(".wav");
}

Result<QString> Recorder::fileNameFor(const QString& name) {
    // \A and \z: '$' would also match before a final newline.
    static const QRegularExpression ok(QStringLiteral("\\A[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}\\z"));
    if (name.contains('/') || name.contains('\\') || name.contains(QStringLiteral("..")) || QDir::isAbsolutePath(name))
        return ioError("'" + name.toStdString() +
                       "' is not a recording name: a name is a plain file name inside the recordings folder, "
                       "without '/', '\\' or '..'");
    if (!ok.match(name).hasMatch())
        return ioError("'" + name.toStdString() +
                       "' is not a recording name: use 1-64 letters, digits, spaces, '_', '-' or '.', "
                       "starting with a letter or digit");
    if (name.endsWith(QStringLiteral(".wav"), Qt::CaseInsensitive))
        return name;
    return name + QStringLiteral(".wav");
}

Result<QString> Recorder::start(const QString& name) {
    QString fileName;
    if (name.isEmpty()) {
        fileName = defaultFileName(QDateTime::currentDateTime());
    } else {
        auto checked = fileNameFor(name);
        if (!checked)
            return checked.status();
        fileName = checked.value();
    }
    std::lock_guard control(m_control);
    {
        std::lock_guard lock(m_mutex);
        if (m_session && m_session->error.empty())
            return Status::error(ErrorCode::InvalidArgument,
                                 "already recording to " + localPath(m_session->path) + "; stop it first");
    }
    if (m_session) // it stopped on an error nobody collected yet: that is over now
        (void)finish(std::chrono::milliseconds(500));
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(localPath(m_folder)), ec);
    if (ec)
        return ioError("cannot create the recordings folder " + localPath(m_folder) + ": " + ec.message());
    // take.wav, else take-2.wav, take-3.wav ...: the first name nothing exists under. O_EXCL
    // makes "never overwrite" hold even against a file created a moment ago.
    const QString stem = fileName.left(fileName.size() - 4);
    const QString extension = fileName.right(4);
    for (int n = 1; n <= kMaxNumberedNames; ++n) {
        const QString candidate = n == 1 ? fileName : QStringLiteral("%1-%2%3").arg(stem).arg(n).arg(extension);
        auto opened = open(QDir(m_folder).filePath(candidate), true);
        if (opened || opened.status().code() != ErrorCode::DuplicateId)
            return opened;
    }
    return ioError("the recordings folder " + localPath(m_folder) + " already holds " + fileName.toStdString() +
                   " and its numbered versions up to " + std::to_string(kMaxNumberedNames));
}

Result<QString> Recorder::startFile(const QString& path) {
    std::lock_guard control(m_control);
    {
        std::lock_guard lock(m_mutex);
        if (m_session && m_session->error.empty())
            return Status::error(ErrorCode::InvalidArgument,
                                 "already recording to " + localPath(m_session->path) + "; stop it first");
    }
    if (m_session)
        (void)finish(std::chrono::milliseconds(500));
    return open(QFileInfo(path).absoluteFilePath(), false);
}

// m_control held, no session. Opens the file and starts the session. DuplicateId when `exclusive`
// and something exists under that name.
Result<QString> Recorder::open(const QString& path, bool exclusive) {
    const std::string native = localPath(path);
    const int fd = ::open(native.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC), 0666);
    if (fd < 0) {
        if (exclusive && errno == EEXIST)
            return Status::error(ErrorCode::DuplicateId, native + " exists");
        return ioError(native + ": cannot create the recording: " + std::strerror(errno));
    }
    SF_INFO info{};
    info.samplerate = static_cast<int>(std::lround(m_sampleRate));
    info.channels = 2;
    info.format = sndfileFormat(m_options.format);
    SNDFILE* file = sf_open_fd(fd, SFM_WRITE, &info, SF_FALSE);
    if (!file) {
        const std::string why = sf_strerror(nullptr); // e.g. "System error : No space left on device."
        ::close(fd);
        if (exclusive)
            ::unlink(native.c_str()); // ours, and empty: leave nothing behind
        return ioError(native + ": cannot create the recording: " + why);
    }
    sf_command(file, SFC_SET_CLIPPING, nullptr, SF_TRUE); // integer formats clip instead of wrapping
    // The header follows every write: a recording cut short by a crash or a full disk still reads.
    sf_command(file, SFC_SET_UPDATE_HEADER_AUTO, nullptr, SF_TRUE);

    auto session = std::make_unique<Session>();
    session->id = m_nextSession++;
    session->path = path;
    session->fd = fd;
    session->file = file;
    session->droppedBase = m_tap.droppedFrames(); // the tap drops only while recording: exact
    Session& s = *session;
    {
        std::lock_guard lock(m_mutex);
        m_session = std::move(session);
    }
    m_tap.request(audio::RecordTap::startRequest(s.id));
    try {
        s.thread = std::thread([this, &s] { writerLoop(s); });
    } catch (const std::system_error& e) {
        m_tap.request(audio::RecordTap::stopRequest(s.id));
        sf_close(file);
        ::close(fd);
        std::lock_guard lock(m_mutex);
        m_session.reset();
        return ioError(std::string("cannot start the recording's writer thread: ") + e.what());
    }
    return path;
}

void Recorder::requestStop() {
    std::lock_guard lock(m_mutex);
    if (!m_session)
        return;
    if (m_tap.requested() == audio::RecordTap::startRequest(m_session->id))
        m_tap.request(audio::RecordTap::stopRequest(m_session->id));
    m_session->stopWanted = true;
    m_session->kick = true;
    m_wake.notify_all();
}

Result<FinishedRecording> Recorder::stop(std::chrono::milliseconds audioTimeout) {
    std::lock_guard control(m_control);
    if (!m_session) {
        std::lock_guard lock(m_mutex);
        return Status::error(ErrorCode::NotRunning, "not recording");
    }
    return finish(audioTimeout);
}

// m_control held, a session exists.
Result<FinishedRecording> Recorder::finish(std::chrono::milliseconds audioTimeout) {
    requestStop();
    Session& s = *m_session;
    {
        std::unique_lock lock(m_mutex);
        if (!m_finished.wait_for(lock, audioTimeout, [&] { return s.done; })) {
            // The callback did not run (the device stopped): keep what reached the ring.
            s.abandon = true;
            s.kick = true;
            m_wake.notify_all();
            m_finished.wait(lock, [&] { return s.done; });
        }
    }
    s.thread.join();
    ::close(s.fd);
    std::lock_guard lock(m_mutex);
    const RecordingStatus final = statusLocked();
    m_last = final;
    m_session.reset();
    if (!final.error.isEmpty())
        return ioError(final.error.toStdString() + " (the recording stopped after " +
                       QString::number(final.seconds, 'f', 2).toStdString() + " s)");
    return FinishedRecording{final.path, final.seconds, final.frames, final.droppedFrames};
}

RecordingStatus Recorder::status() const {
    std::lock_guard lock(m_mutex);
    return statusLocked();
}

RecordingStatus Recorder::statusLocked() const {
    if (!m_session)
        return m_last;
    const Session& s = *m_session;
    RecordingStatus st;
    st.path = s.path;
    st.error = QString::fromStdString(s.error);
    st.recording = !s.stopWanted && s.error.empty();
    st.droppedFrames = m_tap.droppedFrames() - s.droppedBase;
    st.frames = s.written.load(std::memory_order_acquire);
    if (st.recording && m_tap.acknowledged() == audio::RecordTap::startRequest(s.id)) {
        // Live: what the callback captured so far (the file lags by up to one writer period).
        st.frames = std::max<std::uint64_t>(st.frames, m_tap.ring().writePosition() - m_tap.startPosition());
    }
    st.seconds = static_cast<double>(st.frames) / m_sampleRate;
    return st;
}

// m_mutex held. The recording failed: ask the callback to stop; the writer discards the rest.
void Recorder::failLocked(Session& s, const std::string& message) {
    if (s.error.empty())
        s.error = message;
    if (m_tap.requested() == audio::RecordTap::startRequest(s.id))
        m_tap.request(audio::RecordTap::stopRequest(s.id));
}

// The writer thread of one session: drains the ring into the file from the session's first frame
// to its last, then closes the file.
void Recorder::writerLoop(Session& s) {
    std::vector<float> buffer(2 * kChunkFrames);
    engine::rt::FrameRing& ring = m_tap.ring();
    const std::uint32_t startRequest = audio::RecordTap::startRequest(s.id);
    const std::uint32_t stopRequest = audio::RecordTap::stopRequest(s.id);
    bool begun = false;
    bool failed = false;
    const auto drain = [&](std::uint64_t limit) {
        while (const std::size_t n = ring.read(buffer.data(), kChunkFrames, limit)) {
            if (failed)
                continue; // after an error: only free the ring
            if (sf_writef_float(s.file, buffer.data(), static_cast<sf_count_t>(n)) != static_cast<sf_count_t>(n)) {
                failed = true;
                const std::string why = sf_strerror(s.file);
                std::lock_guard lock(m_mutex);
                failLocked(s, localPath(s.path) + ": write failed: " + why);
            } else {
                s.written.fetch_add(n, std::memory_order_release);
            }
        }
    };
    while (true) {
        const std::uint32_t seen = m_tap.acknowledged(); // acquire: the positions below are valid
        const bool ended = seen >= stopRequest;
        if (!begun && seen >= startRequest) {
            ring.skipTo(m_tap.startPosition()); // anything before it belongs to no recording
            begun = true;
        }
        if (begun) {
            const std::uint64_t end = ended ? m_tap.endPosition() : UINT64_MAX;
            drain(end);
            if (ended && ring.readPosition() >= end)
                break;
        }
        std::unique_lock lock(m_mutex);
        if (s.abandon) {
            lock.unlock();
            if (begun)
                drain(ring.writePosition()); // the callback is not running: what is there is all
            break;
        }
        m_wake.wait_for(lock, kWriterPeriod, [&] { return s.kick; });
        s.kick = false;
    }
    const int rc = sf_close(s.file);
    s.file = nullptr;
    std::lock_guard lock(m_mutex);
    if (rc != 0 && !failed)
        failLocked(s, localPath(s.path) + ": cannot finish the file: " + sf_error_number(rc));
    s.done = true;
    m_finished.notify_all();
}

} // namespace chronus::app
