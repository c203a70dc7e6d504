// The recorder (src/app/Recorder, src/audio/RecordTap): what lands in the file is what the engine
// played, sample for sample, from the block after the start to the block before the stop; names
// stay inside the recordings folder and never overwrite; an unwritable folder or a full disk is a
// clear error while the audio goes on (no none-read); and the audio thread does not allocate while
// it records. Files are read back with libsndfile.

#include "app/PatchFile.hpp"
#include "app/Recorder.hpp"
#include "audio/EngineCallback.hpp"
#include "audio/NullDriver.hpp"
#include "audio/OfflineDriver.hpp"
#include "engine/EngineTestUtils.hpp"
#include "engine/SlotEngine.hpp"
#include "engine/rt/RealtimeSection.hpp"
#include "support/Sanitized.hpp"
#include "support/SignalAnalysis.hpp"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <sndfile.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <new>
#include <sys/mount.h>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>
#include <vector>

// "The audio thread does not allocate": every allocation inside a RealtimeSection (the engine
// callback with its tap, the workers' blocks) is counted.
namespace {
std::atomic<long> g_realtimeAllocations{0};

void* countedAlloc(std::size_t size) {
    if (chronus::engine::rt::inRealtimeSection())
        g_realtimeAllocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size ? size : 1))
        return p;
    throw std::bad_alloc();
}
} // namespace

void* operator new(std::size_t size) { return countedAlloc(size); }
void* operator new[](std::size_t size) { return countedAlloc(size); }
void operator delete(void* p) noexcept {
    if (p && chronus::engine::rt::inRealtimeSection())
        g_realtimeAllocations.fetch_add(1, std::memory_order_relaxed);
    std::free(p);
}
void operator delete[](void* p) noexcept { operator delete(p); }
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }
void operator delete[](void* p, std::size_t) noexcept { operator delete(p); }

using namespace chronus;
using app::FinishedRecording;
using app::Recorder;
using app::RecorderOptions;
using app::SampleFormat;
using engine::PatchGraph;

namespace {

constexpr double kRate = 48000.0;

struct Wav {
    bool ok = false;
    int sampleRate = 0;
    int channels = 0;
    int format = 0;
    std::vector<float> interleaved;
    std::size_t frames() const { return channels ? interleaved.size() / static_cast<std::size_t>(channels) : 0; }
};

Wav readWav(const QString& path) {
    Wav wav;
    SF_INFO info{};
    SNDFILE* f = sf_open(QFile::encodeName(path).constData(), SFM_READ, &info);
    if (!f)
        return wav;
    wav.sampleRate = info.samplerate;
    wav.channels = info.channels;
    wav.format = info.format;
    wav.interleaved.resize(static_cast<std::size_t>(info.frames * info.channels));
    const sf_count_t got = sf_readf_float(f, wav.interleaved.data(), info.frames);
    wav.interleaved.resize(static_cast<std::size_t>(got * info.channels));
    sf_close(f);
    wav.ok = true;
    return wav;
}

// A sounding patch that changes all the time: a saw through a resonant filter swept by an LFO.
PatchGraph sweepPatch() {
    PatchGraph g;
    (void)g.addModule("osc", "saw");
    (void)g.setParam("osc", "freq", 110.0);
    (void)g.setParam("osc", "gain", 0.25); // the resonance adds gain: stay below full scale
    (void)g.addModule("lfo", "lfo");
    (void)g.setParam("lfo", "rate", 3.0);
    (void)g.addModule("filter", "svf");
    (void)g.setParam("filter", "cutoff", 1200.0);
    (void)g.setParam("filter", "q", 4.0);
    (void)g.connect("osc", "filter");
    (void)g.connect("lfo", "filter.cutoff");
    (void)g.connect("filter", "out");
    return g;
}

PatchGraph sinePatch(double freq) {
    PatchGraph g;
    (void)g.addModule("osc", "sine");
    (void)g.setParam("osc", "freq", freq);
    (void)g.connect("osc", "out");
    return g;
}

// The largest difference between two runs of interleaved samples (infinity when the sizes differ).
double maxDifference(const float* a, const float* b, std::size_t samples) {
    double worst = 0.0;
    for (std::size_t i = 0; i < samples; ++i)
        worst = std::max(worst, std::fabs(static_cast<double>(a[i]) - static_cast<double>(b[i])));
    return worst;
}

// The engine playing in real time through the null driver, its callback feeding the recorder.
struct LiveRig {
    explicit LiveRig(RecorderOptions options) : engine(config()), recorder(kRate, std::move(options)), callback(engine, &recorder.tap()) {}
    ~LiveRig() {
        driver.stop();
        engine.stop();
    }
    static engine::EngineConfig config() {
        engine::EngineConfig c;
        c.sampleRate = kRate;
        c.blockSize = 64;
        // 43 ms ready: these tests watch what the recorder does to the audio, and a worker this
        // shared VM descheduled for 8 ms (a 6-block ring) once passed for a dropout in CI.
        c.ringTargetBlocks = 32;
        return c;
    }
    engine::Status start(const PatchGraph& patch) {
        if (auto s = engine.start(); !s)
            return s;
        audio::DriverConfig dc;
        dc.sampleRate = kRate;
        dc.blockSize = 64;
        if (auto s = driver.start(callback, dc); !s)
            return s;
        if (auto s = engine.loadPending(patch); !s)
            return s;
        auto committed = engine.commit();
        return committed ? engine::Status{} : committed.status();
    }
    // Waits until the driver played `frames` more frames (real time: the null driver's clock).
    bool play(std::uint64_t frames) {
        const std::uint64_t until = driver.framesProcessed() + frames;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (driver.framesProcessed() < until) {
            if (std::chrono::steady_clock::now() > deadline)
                return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        return true;
    }
    // None-reads since the rig was settled (start-up on a busy machine is not what the tests watch).
    std::uint64_t noneReads() const { return totalNoneReads() - settledNoneReads; }
    std::uint64_t totalNoneReads() const {
        const engine::EngineStats s = engine.stats();
        return s.slot[0].noneReads + s.slot[1].noneReads;
    }
    // After start: the first commit has faded in and the mirror caught up.
    bool settle() {
        const bool played = play(9600);
        settledNoneReads = totalNoneReads();
        return played;
    }
    std::uint64_t settledNoneReads = 0;

    engine::SlotEngine engine;
    Recorder recorder;
    audio::EngineCallback callback;
    audio::NullDriver driver;
};

#define START_LIVE(rig, patch)                                                                               \
    do {                                                                                                     \
        CHRONUS_VERIFY_OK((rig).start(patch));                                                               \
        QVERIFY((rig).settle());                                                                             \
    } while (false)

RecorderOptions inFolder(const QString& folder, SampleFormat format = SampleFormat::Pcm24) {
    RecorderOptions o;
    o.folder = folder;
    o.format = format;
    return o;
}

// Restores a resource limit and a signal disposition when the test leaves.
struct FileSizeLimit {
    explicit FileSizeLimit(rlim_t bytes) {
        getrlimit(RLIMIT_FSIZE, &saved);
        previousHandler = std::signal(SIGXFSZ, SIG_IGN); // the write fails with EFBIG instead of killing us
        rlimit limit = saved;
        limit.rlim_cur = bytes;
        ok = setrlimit(RLIMIT_FSIZE, &limit) == 0;
    }
    ~FileSizeLimit() {
        setrlimit(RLIMIT_FSIZE, &saved);
        std::signal(SIGXFSZ, previousHandler);
    }
    rlimit saved{};
    void (*previousHandler)(int) = SIG_DFL;
    bool ok = false;
};

} // namespace

class TestRecorder : public QObject {
    Q_OBJECT

private slots:
    void offlineRecordingEqualsWhatWasPlayed_data();
    void offlineRecordingEqualsWhatWasPlayed();
    void recordingEqualsTheRenderCommandsFile();
    void liveRecordingHasTheReportedLength();
    void statusFollowsTheRecording();
    void namesThatEscapeAreRefused_data();
    void namesThatEscapeAreRefused();
    void plainNamesGetWavAndNeverOverwrite();
    void unwritableFolderIsAnErrorAndAudioGoesOn_data();
    void unwritableFolderIsAnErrorAndAudioGoesOn();
    void fullDeviceAtOpenIsAnError();
    void fileSizeLimitMidRecordingStopsItWithAnError();
    void fullTmpfsStopsTheRecordingWithAnError();
    void stopWithoutAudioKeepsWhatArrived();
    void audioThreadDoesNotAllocateWhileRecording();

private:
    QTemporaryDir m_dir;
};

// The offline driver plays the engine exactly as `chronus render` does; the sink sees each block
// after the callback (and its tap) processed it. The recording starts after block `kStart` and is
// asked to stop after block `kStop`: the file must hold exactly blocks kStart+1 .. kStop.
void TestRecorder::offlineRecordingEqualsWhatWasPlayed_data() {
    QTest::addColumn<int>("format");
    QTest::addColumn<int>("driverBlock");
    QTest::addRow("pcm24, 64-frame callbacks") << static_cast<int>(SampleFormat::Pcm24) << 64;
    QTest::addRow("float, 37-frame callbacks") << static_cast<int>(SampleFormat::Float32) << 37;
    QTest::addRow("pcm16, 512-frame callbacks") << static_cast<int>(SampleFormat::Pcm16) << 512;
}

void TestRecorder::offlineRecordingEqualsWhatWasPlayed() {
    QFETCH(int, format);
    QFETCH(int, driverBlock);
    const auto sampleFormat = static_cast<SampleFormat>(format);
    const QString folder = m_dir.filePath(QStringLiteral("offline-%1-%2").arg(format).arg(driverBlock));

    engine::EngineConfig config;
    config.sampleRate = kRate;
    config.blockSize = 64;
    config.offline = true;
    config.ringTargetBlocks = 16;
    config.hotMirror = false;
    config.healthWindowMs = 0.0;
    config.realtimeWorkers = false;
    engine::SlotEngine engine(config);
    Recorder recorder(kRate, inFolder(folder, sampleFormat));
    CHRONUS_VERIFY_OK(engine.start());
    CHRONUS_VERIFY_OK(engine.loadPending(sweepPatch()));
    CHRONUS_VERIFY_OK(engine.prime(std::chrono::seconds(30)));

    const int kStart = 10;
    const int kStop = kStart + 24000 / driverBlock; // about half a second
    const std::uint64_t total = static_cast<std::uint64_t>(kStop + 20) * static_cast<std::uint64_t>(driverBlock);
    std::vector<float> played;
    played.reserve(2 * (total + 100000));
    std::size_t startFrame = 0, stopFrame = 0;
    int blocks = 0;
    QString startError, path;
    audio::OfflineDriver driver(total, [&](const float* interleaved, int frames) {
        if (engine.stats().commits == 0)
            return 0; // before the commit: not part of the rendering (as in chronus render)
        played.insert(played.end(), interleaved, interleaved + 2 * frames);
        ++blocks;
        if (blocks == kStart) {
            startFrame = played.size() / 2; // the recording begins with the next block
            auto started = recorder.start(QStringLiteral("offline"));
            if (started)
                path = started.value();
            else
                startError = QString::fromStdString(started.status().message());
        } else if (blocks == kStop) {
            stopFrame = played.size() / 2; // the next block sees the stop
            recorder.requestStop();
        }
        return frames;
    });
    audio::EngineCallback callback(engine, &recorder.tap());
    audio::DriverConfig dc;
    dc.sampleRate = kRate;
    dc.blockSize = driverBlock;
    CHRONUS_VERIFY_OK(driver.start(callback, dc));
    CHRONUS_VERIFY_OK(engine.commit(0.0, std::chrono::seconds(30)));
    QVERIFY(driver.waitFinished());
    auto finished = recorder.stop();
    driver.stop();
    const engine::EngineStats stats = engine.stats();
    engine.stop();
    QVERIFY2(startError.isEmpty(), qPrintable(startError));
    CHRONUS_VERIFY_OK(finished);
    CHRONUS_VERIFY_NO_NONE_READS(stats.slot[0].noneReads + stats.slot[1].noneReads);

    const std::size_t expectedFrames = stopFrame - startFrame;
    QCOMPARE(expectedFrames, static_cast<std::size_t>(kStop - kStart) * static_cast<std::size_t>(driverBlock));
    QCOMPARE(finished->path, path);
    QCOMPARE(finished->frames, std::uint64_t{expectedFrames});
    QCOMPARE(finished->droppedFrames, std::uint64_t{0});
    QCOMPARE(finished->seconds, static_cast<double>(expectedFrames) / kRate);

    const Wav wav = readWav(path);
    QVERIFY2(wav.ok, qPrintable(path));
    QCOMPARE(wav.sampleRate, 48000);
    QCOMPARE(wav.channels, 2);
    QCOMPARE(wav.format & SF_FORMAT_SUBMASK, sampleFormat == SampleFormat::Pcm24   ? SF_FORMAT_PCM_24
                                             : sampleFormat == SampleFormat::Pcm16 ? SF_FORMAT_PCM_16
                                                                                   : SF_FORMAT_FLOAT);
    QCOMPARE(wav.frames(), expectedFrames);
    const float* reference = played.data() + 2 * startFrame;
    const double worst = maxDifference(wav.interleaved.data(), reference, 2 * expectedFrames);
    // Within one step of the file's quantisation (libsndfile scales to 32 bits, then drops the low bits).
    const double step = sampleFormat == SampleFormat::Pcm24   ? 1.0 / 8388608.0
                        : sampleFormat == SampleFormat::Pcm16 ? 1.0 / 32768.0
                                                              : 0.0;
    test::reportFigure(QStringLiteral("%1 frames recorded, largest difference to the played samples %2 (step %3)")
                           .arg(expectedFrames).arg(worst).arg(step));
    QVERIFY2(worst <= step, qPrintable(QStringLiteral("largest difference %1 (quantisation step %2)").arg(worst).arg(step)));
    const std::span<const float> heard(reference, 2 * expectedFrames);
    QVERIFY(test::rms(heard) > 0.05);  // it sounds
    QVERIFY(test::peak(heard) < 1.0f); // and does not clip (the integer formats would)
    // One block earlier or later would not match: the content moves all the time.
    QVERIFY(maxDifference(wav.interleaved.data(), reference - 2 * driverBlock, 2 * expectedFrames) > 1e-3);
    QVERIFY(maxDifference(wav.interleaved.data(), reference + 2 * driverBlock, 2 * expectedFrames) > 1e-3);
}

// The same patch through `chronus render`: the recording is a stretch of that file, sample for
// sample (both float), and the very stretch it should be: the render's file starts at the sample its
// commit switched on, the recording 20 blocks of 64 frames after this engine's commit.
void TestRecorder::recordingEqualsTheRenderCommandsFile() {
    const QString patchPath = m_dir.filePath(QStringLiteral("sweep.json"));
    CHRONUS_VERIFY_OK(app::savePatchFile(sweepPatch(), patchPath));
    const QString renderPath = m_dir.filePath(QStringLiteral("render.wav"));
    QProcess render;
    render.start(QStringLiteral(CHRONUS_BINARY), {"render", patchPath, "--seconds", "1", "--out", renderPath, "--rate",
                                                  "48000", "--block", "64", "--format", "float"});
    QVERIFY(render.waitForFinished(60000));
    QVERIFY2(render.exitCode() == 0, render.readAllStandardError().constData());
    const Wav rendered = readWav(renderPath);
    QVERIFY(rendered.ok);

    // Record 0.25 s of the same patch offline, from its 20th block on.
    engine::EngineConfig config;
    config.sampleRate = kRate;
    config.blockSize = 64;
    config.offline = true;
    config.ringTargetBlocks = 128; // as chronus render at block 64
    config.warmupBlocks = 0;       // as chronus render: the patch from its frame 0
    config.hotMirror = false;
    config.healthWindowMs = 0.0;
    config.realtimeWorkers = false;
    engine::SlotEngine engine(config);
    Recorder recorder(kRate, inFolder(m_dir.filePath(QStringLiteral("versus-render")), SampleFormat::Float32));
    CHRONUS_VERIFY_OK(engine.start());
    CHRONUS_VERIFY_OK(engine.loadPending(sweepPatch()));
    CHRONUS_VERIFY_OK(engine.prime(std::chrono::seconds(30)));
    int blocks = 0;
    QString path;
    audio::OfflineDriver driver(24000, [&](const float*, int frames) {
        if (engine.stats().commits == 0)
            return 0;
        ++blocks;
        if (blocks == 20)
            path = recorder.start().value();
        else if (blocks == 20 + 12000 / 64)
            recorder.requestStop();
        return frames;
    });
    audio::EngineCallback callback(engine, &recorder.tap());
    audio::DriverConfig dc;
    dc.sampleRate = kRate;
    dc.blockSize = 64;
    CHRONUS_VERIFY_OK(driver.start(callback, dc));
    CHRONUS_VERIFY_OK(engine.commit(0.0, std::chrono::seconds(30)));
    QVERIFY(driver.waitFinished());
    auto finished = recorder.stop();
    driver.stop();
    engine.stop();
    CHRONUS_VERIFY_OK(finished);
    const Wav recorded = readWav(path);
    QVERIFY(recorded.ok);
    QCOMPARE(recorded.frames(), std::size_t{12000 / 64 * 64});

    std::size_t match = SIZE_MAX;
    const std::size_t samples = recorded.interleaved.size();
    for (std::size_t offset = 0; offset + samples <= rendered.interleaved.size() && match == SIZE_MAX; offset += 2) {
        std::size_t i = 0;
        while (i < samples && rendered.interleaved[offset + i] == recorded.interleaved[i])
            ++i;
        if (i == samples)
            match = offset / 2;
    }
    QVERIFY2(match != SIZE_MAX, "the recording is not a stretch of the rendered file");
    test::reportFigure(QStringLiteral("recording = render frames %1..%2").arg(match).arg(match + recorded.frames()));
    QCOMPARE(match, std::size_t{20 * 64});
}

void TestRecorder::liveRecordingHasTheReportedLength() {
    LiveRig rig(inFolder(m_dir.filePath(QStringLiteral("live"))));
    START_LIVE(rig, sinePatch(440.0));
    QVERIFY(rig.play(4800));
    auto started = rig.recorder.start(QStringLiteral("sine"));
    CHRONUS_VERIFY_OK(started);
    QCOMPARE(started.value(), QDir(m_dir.filePath(QStringLiteral("live"))).absoluteFilePath(QStringLiteral("sine.wav")));
    QVERIFY(rig.play(24000));
    auto finished = rig.recorder.stop();
    CHRONUS_VERIFY_OK(finished);
    QVERIFY(rig.play(640));
    CHRONUS_VERIFY_NO_NONE_READS(rig.noneReads());

    const Wav wav = readWav(finished->path);
    QVERIFY(wav.ok);
    QCOMPARE(wav.channels, 2);
    QCOMPARE(wav.sampleRate, 48000);
    QCOMPARE(wav.format & SF_FORMAT_SUBMASK, SF_FORMAT_PCM_24);
    QCOMPARE(wav.frames(), static_cast<std::size_t>(finished->frames));
    QCOMPARE(finished->seconds, static_cast<double>(finished->frames) / kRate);
    QCOMPARE(finished->frames % 64, std::uint64_t{0}); // whole blocks
    QVERIFY(finished->frames >= 24000);
    QCOMPARE(finished->droppedFrames, std::uint64_t{0});
    std::vector<float> left(wav.frames());
    for (std::size_t i = 0; i < left.size(); ++i)
        left[i] = wav.interleaved[2 * i];
    QVERIFY(std::fabs(test::estimateFrequency(left, kRate) - 440.0) < 1.0);
    QVERIFY(test::peak(left) > 0.3f);
}

void TestRecorder::statusFollowsTheRecording() {
    LiveRig rig(inFolder(m_dir.filePath(QStringLiteral("status"))));
    START_LIVE(rig, sinePatch(220.0));
    app::RecordingStatus st = rig.recorder.status();
    QVERIFY(!st.recording);
    QVERIFY(st.path.isEmpty());
    QCOMPARE(st.frames, std::uint64_t{0});

    auto started = rig.recorder.start(QStringLiteral("status"));
    CHRONUS_VERIFY_OK(started);
    QVERIFY(rig.play(9600));
    st = rig.recorder.status();
    QVERIFY(st.recording);
    QCOMPARE(st.path, started.value());
    QVERIFY2(st.seconds > 0.1 && st.seconds < 5.0, qPrintable(QString::number(st.seconds)));
    QVERIFY(st.error.isEmpty());

    // A second start while recording is refused; the first recording goes on.
    auto again = rig.recorder.start(QStringLiteral("other"));
    QVERIFY(!again);
    QVERIFY2(QString::fromStdString(again.status().message()).contains("already recording to " + started.value()),
             again.status().message().c_str());
    QVERIFY(!QFileInfo::exists(m_dir.filePath(QStringLiteral("status/other.wav"))));
    QVERIFY(rig.recorder.status().recording);

    auto finished = rig.recorder.stop();
    CHRONUS_VERIFY_OK(finished);
    st = rig.recorder.status();
    QVERIFY(!st.recording);
    QCOMPARE(st.path, started.value()); // the last recording stays in the status
    QCOMPARE(st.frames, finished->frames);
    QVERIFY(st.error.isEmpty());

    auto stopAgain = rig.recorder.stop();
    QVERIFY(!stopAgain);
    QCOMPARE(QString::fromStdString(stopAgain.status().message()), QStringLiteral("not recording"));
    CHRONUS_VERIFY_NO_NONE_READS(rig.noneReads());
}

void TestRecorder::namesThatEscapeAreRefused_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("why");
    const QString path = QStringLiteral("without '/', '\\' or '..'");
    QTest::addRow("parent") << "../escape" << path;
    QTest::addRow("parent only") << ".." << path;
    QTest::addRow("deep parent") << "a/../../escape" << path;
    QTest::addRow("absolute") << "/tmp/chronus-escape" << path;
    QTest::addRow("subfolder") << "sub/take" << path;
    QTest::addRow("backslash") << "..\\escape" << path;
    QTest::addRow("dots inside") << "take..wav" << path;
    QTest::addRow("hidden") << ".hidden" << "starting with a letter or digit";
    QTest::addRow("control character") << "take\n" << "letters, digits";
    QTest::addRow("too long") << QString(65, 'a') << "1-64";
    QTest::addRow("home") << "~/take" << path;
    QTest::addRow("tilde") << "~take" << "letters, digits";
}

void TestRecorder::namesThatEscapeAreRefused() {
    QFETCH(QString, name);
    QFETCH(QString, why);
    const QString parent = m_dir.filePath(QStringLiteral("names"));
    const QString folder = QDir(parent).filePath(QStringLiteral("recordings"));
    QVERIFY(QDir().mkpath(folder));
    Recorder recorder(kRate, inFolder(folder));
    auto started = recorder.start(name);
    QVERIFY(!started);
    const QString message = QString::fromStdString(started.status().message());
    QVERIFY2(message.contains(why) && message.contains("is not a recording name"), qPrintable(message));
    QVERIFY(!recorder.status().recording);
    // Nothing was created, inside the folder or next to it.
    QCOMPARE(QDir(folder).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden), QStringList());
    QCOMPARE(QDir(parent).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden),
             QStringList{QStringLiteral("recordings")});
    QVERIFY(!QFileInfo::exists(QStringLiteral("/tmp/chronus-escape")) && !QFileInfo::exists("/tmp/chronus-escape.wav"));
}

void TestRecorder::plainNamesGetWavAndNeverOverwrite() {
    QCOMPARE(Recorder::fileNameFor(QStringLiteral("take")).value(), QStringLiteral("take.wav"));
    QCOMPARE(Recorder::fileNameFor(QStringLiteral("Take 1.WAV")).value(), QStringLiteral("Take 1.WAV"));
    QCOMPARE(Recorder::fileNameFor(QStringLiteral("dnb_175-bpm.v2")).value(), QStringLiteral("dnb_175-bpm.v2.wav"));
    QCOMPARE(Recorder::defaultFileName(QDateTime(QDate(2026, 11, 29), QTime(21, 15, 0))),
             QStringLiteral("chronus-2026-11-29-211500.wav"));

    const QString folder = m_dir.filePath(QStringLiteral("unique/recordings")); // created on demand
    LiveRig rig(inFolder(folder));
    START_LIVE(rig, sinePatch(330.0));
    QVERIFY(QDir().mkpath(folder));
    QFile existing(QDir(folder).filePath(QStringLiteral("take.wav")));
    QVERIFY(existing.open(QIODevice::WriteOnly));
    existing.write("not a recording: must survive");
    existing.close();
    // A dangling link is something too: following it would write outside the folder.
    QVERIFY(QFile::link(m_dir.filePath(QStringLiteral("outside.wav")), QDir(folder).filePath(QStringLiteral("take-2.wav"))));

    QStringList paths;
    for (int i = 0; i < 2; ++i) {
        auto started = rig.recorder.start(QStringLiteral("take"));
        CHRONUS_VERIFY_OK(started);
        paths << started.value();
        QVERIFY(rig.play(640));
        CHRONUS_VERIFY_OK(rig.recorder.stop());
    }
    QCOMPARE(paths, (QStringList{QDir(folder).filePath(QStringLiteral("take-3.wav")),
                                 QDir(folder).filePath(QStringLiteral("take-4.wav"))}));
    QVERIFY(existing.open(QIODevice::ReadOnly));
    QCOMPARE(existing.readAll(), QByteArray("not a recording: must survive"));
    QVERIFY(!QFileInfo::exists(m_dir.filePath(QStringLiteral("outside.wav"))));

    // No name: the date and time.
    auto dated = rig.recorder.start();
    CHRONUS_VERIFY_OK(dated);
    QVERIFY(rig.play(640));
    CHRONUS_VERIFY_OK(rig.recorder.stop());
    static const QRegularExpression pattern(QStringLiteral("^chronus-\\d{4}-\\d\\d-\\d\\d-\\d{6}(-\\d+)?\\.wav$"));
    QVERIFY2(pattern.match(QFileInfo(dated.value()).fileName()).hasMatch(), qPrintable(dated.value()));
    QCOMPARE(QFileInfo(dated.value()).absolutePath(), QDir(folder).absolutePath());
    QVERIFY(readWav(dated.value()).ok);
    CHRONUS_VERIFY_NO_NONE_READS(rig.noneReads());
}

void TestRecorder::unwritableFolderIsAnErrorAndAudioGoesOn_data() {
    QTest::addColumn<QString>("folder");
    QTest::addColumn<QString>("reason");
    QFile file(m_dir.filePath(QStringLiteral("a-file")));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.close();
    QTest::addRow("a file where the folder should be") << file.fileName() << "Not a directory";
    QTest::addRow("a folder inside a file") << file.fileName() + "/recordings" << "Not a directory";
    QTest::addRow("a folder in /proc") << QStringLiteral("/proc/chronus-recordings") << "No such file or directory";
    QTest::addRow("read-only /sys") << QStringLiteral("/sys") << "";
    const QString readOnly = m_dir.filePath(QStringLiteral("read-only"));
    QVERIFY(QDir().mkpath(readOnly));
    QFile::setPermissions(readOnly, QFileDevice::ReadOwner | QFileDevice::ExeOwner | QFileDevice::ReadGroup |
                                        QFileDevice::ExeGroup | QFileDevice::ReadOther | QFileDevice::ExeOther);
    QTest::addRow("chmod 555 folder") << readOnly << "Permission denied";
}

void TestRecorder::unwritableFolderIsAnErrorAndAudioGoesOn() {
    QFETCH(QString, folder);
    QFETCH(QString, reason);
    if (folder.endsWith(QStringLiteral("read-only")) && ::geteuid() == 0)
        QSKIP("running as root: permissions do not stop root (the other rows cover unwritable folders)");
    LiveRig rig(inFolder(folder));
    START_LIVE(rig, sinePatch(440.0));
    QVERIFY(rig.play(4800));
    auto started = rig.recorder.start(QStringLiteral("take"));
    QVERIFY(!started);
    const QString message = QString::fromStdString(started.status().message());
    QVERIFY2(message.contains(folder) && message.contains(reason), qPrintable(message));
    QVERIFY(!rig.recorder.status().recording);
    const std::uint64_t before = rig.driver.framesProcessed();
    QVERIFY(rig.play(9600)); // the audio goes on
    QVERIFY(rig.driver.framesProcessed() >= before + 9600);
    QVERIFY(rig.callback.lastPeak() > 0.3f);
    CHRONUS_VERIFY_NO_NONE_READS(rig.noneReads());
}

// A full disk at the moment the file is created: /dev/full takes the header and says ENOSPC.
void TestRecorder::fullDeviceAtOpenIsAnError() {
    LiveRig rig(inFolder(m_dir.filePath(QStringLiteral("full"))));
    START_LIVE(rig, sinePatch(440.0));
    const QString link = m_dir.filePath(QStringLiteral("full.wav"));
    QVERIFY(QFile::link(QStringLiteral("/dev/full"), link));
    auto started = rig.recorder.startFile(link);
    QVERIFY(!started);
    const QString message = QString::fromStdString(started.status().message());
    QVERIFY2(message.contains("No space left on device") && message.contains(link), qPrintable(message));
    QVERIFY(!rig.recorder.status().recording);
    QVERIFY(rig.play(4800));
    CHRONUS_VERIFY_NO_NONE_READS(rig.noneReads());
    // The recorder is still usable.
    auto next = rig.recorder.start(QStringLiteral("after"));
    CHRONUS_VERIFY_OK(next);
    QVERIFY(rig.play(640));
    CHRONUS_VERIFY_OK(rig.recorder.stop());
}

// The disk fills up during the recording (simulated with the file size limit, which fails the
// write with EFBIG exactly where a full disk fails it with ENOSPC): the recording stops on its own
// with the error, the file keeps what was written, the audio goes on.
void TestRecorder::fileSizeLimitMidRecordingStopsItWithAnError() {
    LiveRig rig(inFolder(m_dir.filePath(QStringLiteral("limit"))));
    START_LIVE(rig, sinePatch(440.0));
    QVERIFY(rig.play(4800));
    QString path;
    {
        FileSizeLimit limit(150 * 1024); // half a second of 24-bit stereo at 48 kHz
        QVERIFY(limit.ok);
        auto started = rig.recorder.start(QStringLiteral("limited"));
        CHRONUS_VERIFY_OK(started);
        path = started.value();
        QTRY_VERIFY_WITH_TIMEOUT(!rig.recorder.status().error.isEmpty(), 10000);
    }
    const app::RecordingStatus st = rig.recorder.status();
    QVERIFY(!st.recording);
    QVERIFY2(st.error.contains("write failed") && st.error.contains(path) && st.error.contains("too large"),
             qPrintable(st.error));
    QVERIFY(st.seconds > 0.1 && st.seconds < 0.6);
    const std::uint64_t before = rig.driver.framesProcessed();
    QVERIFY(rig.play(9600));
    QVERIFY(rig.driver.framesProcessed() >= before + 9600);
    CHRONUS_VERIFY_NO_NONE_READS(rig.noneReads());

    auto stopped = rig.recorder.stop();
    QVERIFY(!stopped);
    const QString message = QString::fromStdString(stopped.status().message());
    QVERIFY2(message.contains("write failed") && message.contains("stopped after"), qPrintable(message));
    QCOMPARE(rig.recorder.status().error, st.error); // still there to read
    const Wav wav = readWav(path);
    QVERIFY2(wav.ok, "what was written before the error is a readable WAV");
    QVERIFY(wav.frames() > 4800);
    // A new recording works once there is room again.
    auto next = rig.recorder.start(QStringLiteral("limited"));
    CHRONUS_VERIFY_OK(next);
    QCOMPARE(QFileInfo(next.value()).fileName(), QStringLiteral("limited-2.wav"));
    QVERIFY(rig.recorder.status().error.isEmpty());
    QVERIFY(rig.play(640));
    CHRONUS_VERIFY_OK(rig.recorder.stop());
}

// A real full disk: a 64 KiB tmpfs as the recordings folder (needs the right to mount).
void TestRecorder::fullTmpfsStopsTheRecordingWithAnError() {
    const QString folder = m_dir.filePath(QStringLiteral("tmpfs"));
    QVERIFY(QDir().mkpath(folder));
    if (::mount("tmpfs", QFile::encodeName(folder).constData(), "tmpfs", 0, "size=64k") != 0)
        QSKIP(qPrintable(QStringLiteral("cannot mount a small tmpfs here (%1): the file size limit test covers a "
                                        "full disk")
                             .arg(QString::fromLocal8Bit(std::strerror(errno)))));
    struct Unmount {
        QString folder;
        ~Unmount() { ::umount2(QFile::encodeName(folder).constData(), MNT_DETACH); }
    } unmount{folder};
    LiveRig rig(inFolder(folder));
    START_LIVE(rig, sinePatch(440.0));
    auto started = rig.recorder.start(QStringLiteral("tmpfs"));
    CHRONUS_VERIFY_OK(started);
    QTRY_VERIFY_WITH_TIMEOUT(!rig.recorder.status().error.isEmpty(), 10000);
    const app::RecordingStatus st = rig.recorder.status();
    QVERIFY(!st.recording);
    QVERIFY2(st.error.contains("No space left on device"), qPrintable(st.error));
    QVERIFY(rig.play(4800));
    CHRONUS_VERIFY_NO_NONE_READS(rig.noneReads());
    auto stopped = rig.recorder.stop();
    QVERIFY(!stopped);
    QVERIFY(QString::fromStdString(stopped.status().message()).contains("No space left on device"));
}

// Without a running callback nobody answers the stop: the recorder waits a moment, then keeps what
// reached it (here nothing) and closes a valid file.
void TestRecorder::stopWithoutAudioKeepsWhatArrived() {
    Recorder recorder(kRate, inFolder(m_dir.filePath(QStringLiteral("no-audio"))));
    auto started = recorder.start(QStringLiteral("silent"));
    CHRONUS_VERIFY_OK(started);
    QVERIFY(recorder.status().recording);
    auto finished = recorder.stop(std::chrono::milliseconds(50));
    CHRONUS_VERIFY_OK(finished);
    QCOMPARE(finished->frames, std::uint64_t{0});
    const Wav wav = readWav(started.value());
    QVERIFY(wav.ok);
    QCOMPARE(wav.frames(), std::size_t{0});
}

void TestRecorder::audioThreadDoesNotAllocateWhileRecording() {
    LiveRig rig(inFolder(m_dir.filePath(QStringLiteral("no-alloc"))));
    START_LIVE(rig, sweepPatch());
    QVERIFY(rig.play(4800));
    const long before = g_realtimeAllocations.load();
    for (int i = 0; i < 3; ++i) {
        auto started = rig.recorder.start(QStringLiteral("no-alloc"));
        CHRONUS_VERIFY_OK(started);
        for (int k = 0; k < 10; ++k) {
            QVERIFY(rig.play(960));
            (void)rig.recorder.status();
            CHRONUS_VERIFY_OK(rig.engine.setLive("filter", "cutoff", 400.0 + 100.0 * k));
        }
        auto finished = rig.recorder.stop();
        CHRONUS_VERIFY_OK(finished);
        QVERIFY(finished->frames >= 9600);
        QVERIFY(rig.play(640));
    }
    const long allocations = g_realtimeAllocations.load() - before;
    QCOMPARE(allocations, 0L);
    CHRONUS_VERIFY_NO_NONE_READS(rig.noneReads());
    // The detector works: an allocation inside a section is seen.
    {
        engine::rt::RealtimeSection section;
        int* volatile p = new int(1);
        delete p;
    }
    QCOMPARE(g_realtimeAllocations.load() - before, 2L);
}

QTEST_GUILESS_MAIN(TestRecorder)
#include "tst_recorder.moc"
