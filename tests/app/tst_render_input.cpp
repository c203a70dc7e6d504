// `chronus render PATCH --input FILE.wav` end to end, the real executable: the file reaches audio_in
// sample for sample at the rendering's own frame (offline there is no input latency: frame i of the
// file is frame i of the rendering), at the file's rate, however long the file (the input goes in a
// window ahead of the rendering, not whole), and a file it cannot take is refused with its reason,
// exit status 1, no crash and no output file.

#include "../engine/EngineTestUtils.hpp"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <sndfile.h>
#include <sys/stat.h>

#include <cmath>
#include <numbers>
#include <vector>

namespace test = chronus::test;

namespace {

struct RunResult {
    int exitCode = -1;
    bool crashed = true;
    QString out;
    QString err;
};

RunResult runChronus(const QStringList& args) {
    QProcess p;
    p.start(CHRONUS_BINARY, args);
    if (!p.waitForFinished(120000)) {
        p.kill();
        p.waitForFinished();
        return {};
    }
    return {p.exitCode(), p.exitStatus() != QProcess::NormalExit, QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}

// Frame i of the test signal: a 997 Hz sine on the left, the frame's own number on the right
// (i * 2^-24: exact in a float up to 2^24 frames), so any frame lost, doubled or moved shows.
float sineAt(std::int64_t i, int rate) {
    return 0.5f * static_cast<float>(std::sin(2.0 * std::numbers::pi * 997.0 * static_cast<double>(i) / rate));
}
float rampAt(std::int64_t i) { return static_cast<float>(static_cast<double>(i) / 16777216.0); }

// Writes the test signal: stereo (sine, ramp) or mono (the ramp alone), 32-bit float.
bool writeInput(const QString& path, int rate, int channels, std::int64_t frames) {
    SF_INFO info{};
    info.samplerate = rate;
    info.channels = channels;
    info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    SNDFILE* f = sf_open(path.toLocal8Bit().constData(), SFM_WRITE, &info);
    if (!f)
        return false;
    std::vector<float> data(static_cast<std::size_t>(frames * channels));
    for (std::int64_t i = 0; i < frames; ++i) {
        if (channels == 2) {
            data[static_cast<std::size_t>(2 * i)] = sineAt(i, rate);
            data[static_cast<std::size_t>(2 * i + 1)] = rampAt(i);
        } else {
            data[static_cast<std::size_t>(i)] = rampAt(i);
        }
    }
    const bool ok = sf_writef_float(f, data.data(), frames) == frames;
    return sf_close(f) == 0 && ok;
}

struct Wav {
    int sampleRate = 0;
    int channels = 0;
    std::vector<float> left, right;
};

bool readWav(const QString& path, Wav& wav) {
    SF_INFO info{};
    SNDFILE* f = sf_open(path.toLocal8Bit().constData(), SFM_READ, &info);
    if (!f)
        return false;
    wav.sampleRate = info.samplerate;
    wav.channels = info.channels;
    std::vector<float> interleaved(static_cast<std::size_t>(info.frames * info.channels));
    const bool ok = sf_readf_float(f, interleaved.data(), info.frames) == info.frames;
    sf_close(f);
    for (sf_count_t i = 0; i < info.frames; ++i) {
        wav.left.push_back(interleaved[static_cast<std::size_t>(i * info.channels)]);
        wav.right.push_back(interleaved[static_cast<std::size_t>(i * info.channels + info.channels - 1)]);
    }
    return ok;
}

// audio_in -> out, both channels.
const QByteArray kThrough = R"({"format": "chronus-patch", "version": 1,
  "modules": [{"id": "mic", "type": "audio_in"}],
  "cables": [{"from": "mic.left", "to": "out.left"}, {"from": "mic.right", "to": "out.right"}]})";

// The first frame where the rendering is not the expected signal, or -1.
std::int64_t firstMismatch(const Wav& wav, int rate, int channels, std::int64_t fileFrames) {
    for (std::size_t i = 0; i < wav.left.size(); ++i) {
        const auto at = static_cast<std::int64_t>(i);
        const bool inFile = at < fileFrames;
        const float left = !inFile ? 0.0f : channels == 2 ? sineAt(at, rate) : rampAt(at);
        const float right = inFile ? rampAt(at) : 0.0f;
        if (wav.left[i] != left || wav.right[i] != right)
            return at;
    }
    return -1;
}

} // namespace

class TestRenderInput : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void inputComesOutSampleForSample_data();
    void inputComesOutSampleForSample();
    void secondsCutsOrPadsTheInput_data();
    void secondsCutsOrPadsTheInput();
    void aRateOtherThanTheFilesIsRefused();
    void filesItCannotTakeAreRefused_data();
    void filesItCannotTakeAreRefused();

private:
    QTemporaryDir m_dir;
    QString m_patch;
};

void TestRenderInput::initTestCase() {
    QVERIFY(m_dir.isValid());
    m_patch = m_dir.filePath("through.json");
    QFile f(m_patch);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(kThrough);
}

void TestRenderInput::inputComesOutSampleForSample_data() {
    QTest::addColumn<int>("rate");
    QTest::addColumn<int>("block");
    QTest::addColumn<int>("channels");
    QTest::addColumn<double>("seconds");
    // Ten seconds are 15 windows of the input ring: the window moves on through the whole file.
    QTest::addRow("48k/64 stereo 10 s") << 48000 << 64 << 2 << 10.0;
    QTest::addRow("44.1k/37 stereo 3 s") << 44100 << 37 << 2 << 3.0;
    QTest::addRow("96k/4096 stereo 3 s") << 96000 << 4096 << 2 << 3.0;
    QTest::addRow("22.05k/1 mono 1 s") << 22050 << 1 << 1 << 1.0;
    QTest::addRow("48k/64 a frame") << 48000 << 64 << 2 << 1.0 / 48000.0;
}

// Without --seconds the rendering is the file's length, at the file's rate; every frame of it is
// the file's frame (a mono file on both channels).
void TestRenderInput::inputComesOutSampleForSample() {
    QFETCH(int, rate);
    QFETCH(int, block);
    QFETCH(int, channels);
    QFETCH(double, seconds);
    const auto frames = static_cast<std::int64_t>(std::llround(seconds * rate));
    const QString in = m_dir.filePath(QStringLiteral("in-%1-%2.wav").arg(rate).arg(channels));
    const QString out = m_dir.filePath(QStringLiteral("out-%1-%2.wav").arg(rate).arg(block));
    QVERIFY(writeInput(in, rate, channels, frames));
    const RunResult r = runChronus({"render", m_patch, "--input", in, "--out", out, "--format", "float", "--block",
                                    QString::number(block)});
    QVERIFY2(!r.crashed && r.exitCode == 0, qPrintable(r.err));
    Wav wav;
    QVERIFY(readWav(out, wav));
    QCOMPARE(wav.sampleRate, rate);
    QCOMPARE(static_cast<std::int64_t>(wav.left.size()), frames);
    const std::int64_t bad = firstMismatch(wav, rate, channels, frames);
    QVERIFY2(bad < 0, qPrintable(QStringLiteral("frame %1: %2 / %3").arg(bad).arg(wav.left[bad < 0 ? 0 : bad]).arg(wav.right[bad < 0 ? 0 : bad])));
    test::reportFigure(QStringLiteral("%1 frames at %2 Hz, block %3: every frame the file's, latency 0").arg(frames).arg(rate).arg(block));
}

void TestRenderInput::secondsCutsOrPadsTheInput_data() {
    QTest::addColumn<double>("seconds");
    QTest::addRow("shorter than the file") << 0.5;
    QTest::addRow("longer than the file") << 2.0;
}

// --seconds sets the length: the file is cut, or followed by silence.
void TestRenderInput::secondsCutsOrPadsTheInput() {
    QFETCH(double, seconds);
    constexpr int kRate = 48000;
    const std::int64_t fileFrames = kRate; // one second
    const QString in = m_dir.filePath("one-second.wav");
    const QString out = m_dir.filePath("cut-or-padded.wav");
    QVERIFY(writeInput(in, kRate, 2, fileFrames));
    const RunResult r = runChronus({"render", m_patch, "--input", in, "--out", out, "--format", "float", "--seconds",
                                    QString::number(seconds)});
    QVERIFY2(!r.crashed && r.exitCode == 0, qPrintable(r.err));
    Wav wav;
    QVERIFY(readWav(out, wav));
    QCOMPARE(static_cast<std::int64_t>(wav.left.size()), static_cast<std::int64_t>(std::llround(seconds * kRate)));
    QCOMPARE(firstMismatch(wav, kRate, 2, fileFrames), std::int64_t{-1});
}

// Chronus does not resample: a --rate that is not the file's is refused, and says how to go on.
void TestRenderInput::aRateOtherThanTheFilesIsRefused() {
    const QString in = m_dir.filePath("at-44k.wav");
    const QString out = m_dir.filePath("not-written.wav");
    QVERIFY(writeInput(in, 44100, 2, 4410));
    const RunResult r = runChronus({"render", m_patch, "--input", in, "--out", out, "--rate", "48000"});
    QVERIFY(!r.crashed);
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("is at 44100 Hz and the rendering at 48000 Hz: chronus does not resample"), qPrintable(r.err));
    QVERIFY(!QFile::exists(out));
    // The same rate given explicitly is fine.
    const RunResult same = runChronus({"render", m_patch, "--input", in, "--out", out, "--rate", "44100"});
    QVERIFY2(same.exitCode == 0, qPrintable(same.err));
}

void TestRenderInput::filesItCannotTakeAreRefused_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("expect");
    QTest::addRow("missing") << "missing.wav" << "missing.wav: no such file";
    QTest::addRow("text, not a WAV") << "text.wav" << "text.wav: not a WAV file";
    QTest::addRow("AIFF named .wav") << "aiff.wav" << "aiff.wav: not a WAV file: an AIFF file";
    QTest::addRow("8 channels") << "eight.wav" << "eight.wav: 8 channels: the input takes a mono or stereo file";
    QTest::addRow("0 frames") << "empty.wav" << "empty.wav: no audio frames in it";
    QTest::addRow("8000 Hz") << "low.wav" << "low.wav: 8000 Hz: the engine runs at 22050 to 192000 Hz";
    QTest::addRow("a directory") << "folder.wav" << "folder.wav: not a regular file";
    QTest::addRow("a FIFO") << "fifo.wav" << "fifo.wav: not a regular file";
    QTest::addRow("a header cut short") << "cut.wav" << "cut.wav: not a WAV file";
}

// Each refused with its reason (exit status 1), before anything is rendered: no output file.
void TestRenderInput::filesItCannotTakeAreRefused() {
    QFETCH(QString, name);
    QFETCH(QString, expect);
    const QString path = m_dir.filePath(name);
    const auto make = [&](int format, int rate, int channels, sf_count_t frames) {
        SF_INFO info{};
        info.samplerate = rate;
        info.channels = channels;
        info.format = format;
        SNDFILE* f = sf_open(path.toLocal8Bit().constData(), SFM_WRITE, &info);
        if (!f)
            return false;
        std::vector<float> silence(static_cast<std::size_t>(frames * channels), 0.25f);
        sf_writef_float(f, silence.data(), frames);
        return sf_close(f) == 0;
    };
    if (name == "text.wav") {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("this is not audio\n");
    } else if (name == "aiff.wav") {
        QVERIFY(make(SF_FORMAT_AIFF | SF_FORMAT_PCM_16, 48000, 2, 480));
    } else if (name == "eight.wav") {
        QVERIFY(make(SF_FORMAT_WAV | SF_FORMAT_PCM_16, 48000, 8, 480));
    } else if (name == "empty.wav") {
        QVERIFY(make(SF_FORMAT_WAV | SF_FORMAT_PCM_16, 48000, 2, 0));
    } else if (name == "low.wav") {
        QVERIFY(make(SF_FORMAT_WAV | SF_FORMAT_PCM_16, 8000, 1, 80));
    } else if (name == "folder.wav") {
        QVERIFY(QDir(m_dir.path()).mkpath(name));
    } else if (name == "fifo.wav") {
        QCOMPARE(::mkfifo(path.toLocal8Bit().constData(), 0600), 0);
    } else if (name == "cut.wav") {
        const QString whole = m_dir.filePath("whole.wav");
        QVERIFY(writeInput(whole, 48000, 2, 4800));
        QFile src(whole);
        QVERIFY(src.open(QIODevice::ReadOnly));
        QFile dst(path);
        QVERIFY(dst.open(QIODevice::WriteOnly));
        dst.write(src.read(20)); // inside the fmt chunk
    }
    const QString out = m_dir.filePath("refused-" + name);
    const RunResult r = runChronus({"render", m_patch, "--input", path, "--out", out});
    QVERIFY2(!r.crashed, qPrintable(r.err));
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains(expect), qPrintable(r.err));
    QVERIFY(!QFile::exists(out));
}

QTEST_GUILESS_MAIN(TestRenderInput)
#include "tst_render_input.moc"
