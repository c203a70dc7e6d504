#pragma once
// Recorder: records what the engine plays into WAV files (/record/start, /record/stop, /record/status): into the recordings folder only, never a file on the audio thread, a full disk reported.
//
// Two halves. The audio callback feeds the real-time half, a RecordTap (tap()): it copies each
// output block into a lock-free ring and never allocates, locks or touches a file. This class is
// the control half: it names and opens the file, runs a writer thread per recording that drains
// the ring into the file with libsndfile (stereo, 24-bit PCM by default, or float, at the engine's
// rate), and reports. A recording starts and stops on block boundaries (see RecordTap.hpp).
//
// Named recordings go into one folder and cannot leave it: a name is checked, never rewritten
// (a name with a path in it is an error), ".wav" is appended when missing, and an existing file is
// never overwritten (take.wav, take-2.wav, take-3.wav, ...). Without a name: the local date and
// time, chronus-2026-11-29-211500.wav.
//
// Errors: a folder that cannot be created or written, or a file that cannot be opened, fails
// start() with the system's reason. A write that fails later (a full disk) stops the recording on
// its own: status() then says recording = false with the error, and the next stop() reports it.
// The audio goes on either way; the tap simply stops copying.
//
// Threads: start(), startFile(), stop() and requestStop() from any control thread (serialised
// here; start and stop may block briefly: opening the file, waiting for the last block). status()
// from any non-audio thread, never waits for I/O. tap() is for the audio callback.

#include "WavWriter.hpp" // SampleFormat
#include "audio/RecordTap.hpp"
#include "engine/Status.hpp"

#include <QDateTime>
#include <QString>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>

namespace chronus::app {

struct RecorderOptions {
    QString folder;                            // named recordings; empty = defaultFolder()
    SampleFormat format = SampleFormat::Pcm24; // pcm24 (default), pcm16 or float
    double ringSeconds = 4.0; // audio the ring holds when the writer falls behind (a slow disk)
};

struct RecordingStatus {
    bool recording = false;          // capturing right now
    QString path;                    // the current or last recording's file; empty before the first
    double seconds = 0.0;            // its duration: so far, or final
    std::uint64_t frames = 0;        // the same in frames
    std::uint64_t droppedFrames = 0; // frames lost because the writer fell a whole ring behind
    QString error;                   // why the current or last recording stopped on its own; empty if it did not
};

struct FinishedRecording {
    QString path;
    double seconds = 0.0;
    std::uint64_t frames = 0;
    std::uint64_t droppedFrames = 0;
};

class Recorder {
public:
    // Control thread. `sampleRate` is the engine's (the file's rate).
    explicit Recorder(double sampleRate, RecorderOptions options = {});
    // Stops a running recording and finalizes its file.
    ~Recorder();
    Recorder(const Recorder&) = delete;
    Recorder& operator=(const Recorder&) = delete;

    // For the audio callback (EngineCallback). Lives as long as the Recorder.
    audio::RecordTap& tap() noexcept { return m_tap; }
    double sampleRate() const noexcept { return m_sampleRate; }
    // The recordings folder, absolute.
    const QString& folder() const noexcept { return m_folder; }

    // Starts recording into the folder, under `name` (see above) or the date and time; returns the
    // file's absolute path. Fails when already recording, for a name that is not a plain file name,
    // or when the file cannot be created.
    engine::Result<QString> start(const QString& name = {});
    // Starts recording into exactly `path` (replaced if it exists), for callers that chose the
    // file themselves (chronus play --record FILE).
    engine::Result<QString> startFile(const QString& path);
    // Asks the audio callback to stop at its next block; does not wait. stop() finishes the job.
    void requestStop();
    // Stops at the next block boundary, writes what is left, closes the file. Waits up to
    // `audioTimeout` for the callback to see the stop (when the audio is not running, the file
    // keeps what reached it). Fails when not recording, or with the error that stopped the
    // recording on its own.
    engine::Result<FinishedRecording> stop(std::chrono::milliseconds audioTimeout = std::chrono::seconds(2));
    // Any non-audio thread. Never blocks on I/O.
    RecordingStatus status() const;

    // `name` as a file name inside the folder ("take" -> "take.wav"), or why it is not one.
    static engine::Result<QString> fileNameFor(const QString& name);
    // chronus-YYYY-MM-DD-HHMMSS.wav for that local time.
    static QString defaultFileName(const QDateTime& when);
    // Where recordings go unless told otherwise: the user's music folder, Chronus/ inside it
    // (~/Music/Chronus), or the application data folder's recordings/ when there is no music folder.
    static QString defaultFolder();

private:
    struct Session;

    engine::Result<QString> open(const QString& path, bool exclusive);
    void writerLoop(Session& session);
    void failLocked(Session& session, const std::string& message); // m_mutex held
    RecordingStatus statusLocked() const;                          // m_mutex held
    engine::Result<FinishedRecording> finish(std::chrono::milliseconds audioTimeout); // m_control held

    const double m_sampleRate;
    const RecorderOptions m_options;
    const QString m_folder;
    audio::RecordTap m_tap;

    std::mutex m_control;               // one start/stop at a time
    mutable std::mutex m_mutex;         // guards m_session's fields below and m_last
    std::condition_variable m_wake;     // wakes the writer (stop, abandon)
    std::condition_variable m_finished; // the writer closed the file
    std::unique_ptr<Session> m_session; // the current recording, until stop() collects it
    RecordingStatus m_last;             // the last collected recording
    std::uint32_t m_nextSession = 1;
};

} // namespace chronus::app
