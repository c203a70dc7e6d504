// `chronus render` end to end: the real executable, a real WAV file read back with libsndfile.

#include "engine/modules/Limiter.hpp"
#include "support/SignalAnalysis.hpp"
#include "../engine/EngineTestUtils.hpp"

#include <QDir>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <ebur128.h>
#include <sndfile.h>

#include <cmath>
#include <memory>
#include <thread>
#include <vector>

namespace test = chronus::test;

namespace {

struct RunResult {
    int exitCode = -1;
    QString out;
    QString err;
};

RunResult runChronus(const QStringList& args) {
    QProcess p;
    p.start(CHRONUS_BINARY, args);
    if (!p.waitForFinished(120000))
        return {};
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}

struct Wav {
    int sampleRate = 0;
    int channels = 0;
    std::vector<float> left, right;
    std::vector<float> interleaved;
};

bool readWav(const QString& path, Wav& wav) {
    SF_INFO info{};
    SNDFILE* f = sf_open(path.toLocal8Bit().constData(), SFM_READ, &info);
    if (!f)
        return false;
    wav.sampleRate = info.samplerate;
    wav.channels = info.channels;
    std::vector<float>& interleaved = wav.interleaved;
    interleaved.assign(static_cast<std::size_t>(info.frames * info.channels), 0.0f);
    sf_readf_float(f, interleaved.data(), info.frames);
    sf_close(f);
    for (sf_count_t i = 0; i < info.frames; ++i) {
        wav.left.push_back(interleaved[static_cast<std::size_t>(i * info.channels)]);
        wav.right.push_back(interleaved[static_cast<std::size_t>(i * info.channels + info.channels - 1)]);
    }
    return true;
}

const QString kData = QStringLiteral(CHRONUS_TEST_DATA_DIR "/patches/");
const QString kDnb = QStringLiteral(CHRONUS_SOURCE_DIR "/resources/patches/dnb-175.json");

// libebur128 on a whole file (stereo): integrated loudness (LUFS) and the highest true peak (linear).
struct Loudness {
    double lufs = 0.0;
    double truePeak = 0.0;
};
bool measureLoudness(const Wav& wav, Loudness& result) {
    ebur128_state* st = ebur128_init(2, static_cast<unsigned long>(wav.sampleRate), EBUR128_MODE_I | EBUR128_MODE_TRUE_PEAK);
    if (!st)
        return false;
    bool ok = ebur128_add_frames_float(st, wav.interleaved.data(), wav.interleaved.size() / 2) == EBUR128_SUCCESS &&
              ebur128_loudness_global(st, &result.lufs) == EBUR128_SUCCESS;
    result.truePeak = 0.0;
    for (unsigned c = 0; ok && c < 2; ++c) {
        double p = 0.0;
        ok = ebur128_true_peak(st, c, &p) == EBUR128_SUCCESS;
        result.truePeak = std::max(result.truePeak, p);
    }
    ebur128_destroy(&st);
    return ok;
}

// A figure the render printed: the number before `unit` ("-14.2 LUFS integrated", "true peak -0.5 dBTP").
double printedFigure(const QString& out, const QString& pattern) {
    const QRegularExpressionMatch m = QRegularExpression(pattern).match(out);
    return m.hasMatch() ? m.captured(1).toDouble() : std::nan("");
}

// Keeps every core busy until destroyed: the renders beside it must not notice.
// Every core kept busy by other processes while renders run (processes, not threads: the test
// process itself forks the renders and stays single-threaded, as ThreadSanitizer requires of a fork).
class CpuBurners {
public:
    CpuBurners() {
        const unsigned n = std::max(2u, std::thread::hardware_concurrency());
        for (unsigned i = 0; i < n; ++i) {
            auto& p = m_processes.emplace_back(std::make_unique<QProcess>());
            p->start(QStringLiteral("/bin/sh"), {QStringLiteral("-c"), QStringLiteral("while :; do :; done")});
            p->waitForStarted();
        }
    }
    ~CpuBurners() {
        for (auto& p : m_processes) {
            p->kill();
            p->waitForFinished();
        }
    }

private:
    std::vector<std::unique_ptr<QProcess>> m_processes;
};

} // namespace

class TestRenderCommand : public QObject {
    Q_OBJECT

private slots:
    void writesWavOfRequestedLengthAndPitch_data();
    void writesWavOfRequestedLengthAndPitch();
    void shippedExampleSoundsAndStaysFinite();
    void badPatchNamesFileFieldAndReason();
    void syntaxErrorNamesLine();
    void usageErrorsExitWithTwo_data();
    void usageErrorsExitWithTwo();
    void unwritableOutputIsAnError();
    void helpAndVersion();
    void renderStartsAtThePatchsFrameZero();
    void rendersAreBitIdenticalUnderCpuLoad();
    void blockSizeDoesNotChangeTheRendering();
    void printedLoudnessMatchesLibebur128OnTheFile();
    void sineReadsItsLoudnessFromTheStandard_data();
    void sineReadsItsLoudnessFromTheStandard();

private:
    QTemporaryDir m_dir;
};

void TestRenderCommand::writesWavOfRequestedLengthAndPitch_data() {
    QTest::addColumn<int>("rate");
    QTest::addColumn<int>("block");
    QTest::addColumn<QString>("format");
    QTest::addRow("44.1k/37/pcm24") << 44100 << 37 << "pcm24";
    QTest::addRow("48k/64/float") << 48000 << 64 << "float";
    QTest::addRow("96k/4096/pcm16") << 96000 << 4096 << "pcm16";
    QTest::addRow("22.05k/1/pcm24") << 22050 << 1 << "pcm24";
}

void TestRenderCommand::writesWavOfRequestedLengthAndPitch() {
    QFETCH(int, rate);
    QFETCH(int, block);
    QFETCH(QString, format);
    const QString wavPath = m_dir.filePath(QStringLiteral("a440-%1-%2.wav").arg(rate).arg(block));
    const RunResult r = runChronus({"render", kData + "a440.json", "--seconds", "1.5", "--out", wavPath, "--rate",
                                    QString::number(rate), "--block", QString::number(block), "--format", format});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY2(r.out.contains("rendered"), qPrintable(r.out));
    Wav wav;
    QVERIFY(readWav(wavPath, wav));
    QCOMPARE(wav.sampleRate, rate);
    QCOMPARE(wav.channels, 2);
    QCOMPARE(wav.left.size(), static_cast<std::size_t>(1.5 * rate));
    QVERIFY(test::allFinite(wav.left) && test::allFinite(wav.right));
    const double f = test::estimateFrequency(wav.left, rate);
    QVERIFY2(qAbs(f - 440.0) < 0.05, qPrintable(QString::number(f, 'f', 4)));
    QCOMPARE(test::estimateFrequency(wav.right, rate), f); // bare `out` feeds both channels alike
    QVERIFY(qAbs(test::peak(wav.left) - 0.5f) < 0.01f);
}

void TestRenderCommand::shippedExampleSoundsAndStaysFinite() {
    const QString wavPath = m_dir.filePath("example.wav");
    const RunResult r = runChronus({"render", CHRONUS_SOURCE_DIR "/resources/patches/pulse-bass.json", "--seconds",
                                    "4", "--out", wavPath, "--format", "float"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY2(r.err.isEmpty(), qPrintable(r.err)); // no warnings, no clipping
    Wav wav;
    QVERIFY(readWav(wavPath, wav));
    QVERIFY(test::allFinite(wav.left));
    QVERIFY(test::rms(wav.left) > 0.03); // clearly audible
    QVERIFY(test::peak(wav.left) < 1.0f);  // and not clipping
    QVERIFY(qAbs(test::mean(wav.left)) < 0.01);
}

void TestRenderCommand::badPatchNamesFileFieldAndReason() {
    const RunResult r = runChronus({"render", kData + "unknown-type.json", "--seconds", "1", "--out", m_dir.filePath("x.wav")});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("unknown-type.json: modules[1]: unknown module type 'wobbulator' (known: "), qPrintable(r.err));
    QVERIFY(!QFile::exists(m_dir.filePath("x.wav")));
}

void TestRenderCommand::syntaxErrorNamesLine() {
    const RunResult r = runChronus({"render", kData + "bad-syntax.json", "--seconds", "1", "--out", m_dir.filePath("y.wav")});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("bad-syntax.json:6:"), qPrintable(r.err));
}

void TestRenderCommand::usageErrorsExitWithTwo_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("expected");
    const QString patch = kData + "a440.json";
    QTest::addRow("no seconds") << QStringList{"render", patch, "--out", "z.wav"} << "missing --seconds";
    QTest::addRow("no out") << QStringList{"render", patch, "--seconds", "1"} << "missing --out";
    QTest::addRow("no patch") << QStringList{"render", "--seconds", "1", "--out", "z.wav"} << "missing PATCH.json";
    QTest::addRow("bad rate") << QStringList{"render", patch, "--seconds", "1", "--out", "z.wav", "--rate", "8000"} << "--rate";
    QTest::addRow("bad block") << QStringList{"render", patch, "--seconds", "1", "--out", "z.wav", "--block", "0"} << "--block";
    QTest::addRow("bad seconds") << QStringList{"render", patch, "--seconds", "soon", "--out", "z.wav"} << "--seconds";
    QTest::addRow("unknown option") << QStringList{"render", patch, "--loud"} << "loud";
    QTest::addRow("unknown command") << QStringList{"rendre"} << "unknown command 'rendre'";
}

void TestRenderCommand::usageErrorsExitWithTwo() {
    QFETCH(QStringList, args);
    QFETCH(QString, expected);
    const RunResult r = runChronus(args);
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains(expected), qPrintable(r.err));
}

void TestRenderCommand::unwritableOutputIsAnError() {
    const RunResult r = runChronus({"render", kData + "a440.json", "--seconds", "1", "--out", "/nonexistent-dir/x.wav"});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("/nonexistent-dir/x.wav: cannot create WAV"), qPrintable(r.err));
}

void TestRenderCommand::helpAndVersion() {
    RunResult r = runChronus({"--version"});
    QCOMPARE(r.exitCode, 0);
    QVERIFY(r.out.startsWith("chronus "));
    r = runChronus({"render", "--help"});
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.contains("--seconds"), qPrintable(r.out));
    r = runChronus({"--help"});
    QCOMPARE(r.exitCode, 0);
    QVERIFY(r.out.contains("render PATCH.json"));
}

// The file starts at the patch's frame 0, freshly prepared: dnb-175 opens with a kick on its first
// step, which reaches the output through the limiter's look-ahead, so the file opens with exactly
// that many zero frames and then the kick's first samples (not the kick's tail, as when the
// prime's warm-up blocks had played it already).
void TestRenderCommand::renderStartsAtThePatchsFrameZero() {
    const QString wavPath = m_dir.filePath("dnb-start.wav");
    const RunResult r = runChronus({"render", kDnb, "--seconds", "0.5", "--out", wavPath, "--format", "float"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    Wav wav;
    QVERIFY(readWav(wavPath, wav));
    QCOMPARE(wav.left.size(), std::size_t{24000});
    test::reportFigure(QStringLiteral("dnb-175 first sample %1").arg(wav.left[0]));
    QVERIFY2(std::fabs(wav.left[0]) < 1e-6f && std::fabs(wav.right[0]) < 1e-6f, qPrintable(QString::number(wav.left[0])));
    const std::size_t latency = static_cast<std::size_t>(chronus::engine::Limiter::latencyFrames(48000.0));
    std::size_t first = 0;
    while (first < wav.left.size() && std::fabs(wav.left[first]) < 1e-4f)
        ++first;
    test::reportFigure(QStringLiteral("dnb-175 first sound at frame %1 (limiter latency %2)").arg(first).arg(latency));
    QVERIFY2(first >= latency && first <= latency + 2, qPrintable(QString::number(first)));
}

// A rendering is a function of the patch and the options: the same bits with every core busy.
void TestRenderCommand::rendersAreBitIdenticalUnderCpuLoad() {
    const auto render = [&](const QString& name, std::vector<float>& samples) {
        const QString wavPath = m_dir.filePath(name);
        const RunResult r = runChronus({"render", kDnb, "--seconds", "2", "--out", wavPath, "--format", "float"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        Wav wav;
        QVERIFY(readWav(wavPath, wav));
        samples = wav.interleaved;
    };
    std::vector<float> reference;
    render("quiet.wav", reference);
    QCOMPARE(reference.size(), std::size_t{2 * 96000});
    QVERIFY(test::rms(reference) > 0.1);
    CpuBurners burners;
    for (int run = 0; run < 6; ++run) {
        std::vector<float> loaded;
        render(QStringLiteral("loaded-%1.wav").arg(run), loaded);
        QVERIFY2(loaded == reference, qPrintable(QStringLiteral("run %1 under load differs").arg(run)));
    }
}

// dnb-175's modules are block-size independent (they ramp per sample and take triggers at their
// sample), so every block size renders the very same samples.
void TestRenderCommand::blockSizeDoesNotChangeTheRendering() {
    std::vector<float> reference;
    for (const int block : {64, 1, 37, 4096}) {
        const QString wavPath = m_dir.filePath(QStringLiteral("dnb-block-%1.wav").arg(block));
        const RunResult r = runChronus({"render", kDnb, "--seconds", "1", "--out", wavPath, "--format", "float", "--block",
                                        QString::number(block)});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        Wav wav;
        QVERIFY(readWav(wavPath, wav));
        if (reference.empty())
            reference = wav.interleaved;
        else
            QVERIFY2(wav.interleaved == reference, qPrintable(QStringLiteral("--block %1 differs from --block 64").arg(block)));
    }
}

// The loudness and true peak `render` prints are what libebur128 reads from the file it wrote.
void TestRenderCommand::printedLoudnessMatchesLibebur128OnTheFile() {
    const QString wavPath = m_dir.filePath("dnb-loudness.wav");
    const RunResult r = runChronus({"render", kDnb, "--seconds", "6", "--out", wavPath});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const double lufs = printedFigure(r.out, QStringLiteral(", (-?[0-9.]+) LUFS integrated"));
    const double truePeakDb = printedFigure(r.out, QStringLiteral("true peak (-?[0-9.]+) dBTP"));
    QVERIFY2(std::isfinite(lufs) && std::isfinite(truePeakDb), qPrintable(r.out));
    Wav wav;
    QVERIFY(readWav(wavPath, wav));
    Loudness measured;
    QVERIFY(measureLoudness(wav, measured));
    const double measuredPeakDb = 20.0 * std::log10(measured.truePeak);
    test::reportFigure(QStringLiteral("printed %1 LUFS, %2 dBTP; libebur128 on the file %3 LUFS, %4 dBTP")
                           .arg(lufs).arg(truePeakDb).arg(measured.lufs, 0, 'f', 3).arg(measuredPeakDb, 0, 'f', 3));
    QVERIFY2(std::fabs(lufs - measured.lufs) <= 0.1, qPrintable(r.out));
    QVERIFY2(std::fabs(truePeakDb - measuredPeakDb) <= 0.1, qPrintable(r.out));
}

// BS.1770: a 997 Hz sine at 0 dBFS in one channel reads -3.01 LUFS; amplitude and a second channel
// add 20 log10(A) and 3.01 dB. Its true peak is its amplitude.
void TestRenderCommand::sineReadsItsLoudnessFromTheStandard_data() {
    QTest::addColumn<double>("amplitude");
    QTest::addColumn<QString>("to");
    QTest::addColumn<int>("channels");
    QTest::addRow("-6 dBFS, left only") << 0.5 << "out.left" << 1;
    QTest::addRow("-6 dBFS, both") << 0.5 << "out" << 2;
    QTest::addRow("-20 dBFS, both") << 0.1 << "out" << 2;
}

void TestRenderCommand::sineReadsItsLoudnessFromTheStandard() {
    QFETCH(double, amplitude);
    QFETCH(QString, to);
    QFETCH(int, channels);
    const QString patchPath = m_dir.filePath(QStringLiteral("sine-%1-%2.json").arg(amplitude).arg(channels));
    QFile patch(patchPath);
    QVERIFY(patch.open(QIODevice::WriteOnly));
    patch.write(QStringLiteral(R"({"format": "chronus-patch", "version": 1,
        "modules": [{"id": "tone", "type": "sine", "params": {"freq": 997, "gain": %1}}],
        "cables": [{"from": "tone", "to": "%2"}]})").arg(amplitude).arg(to).toUtf8());
    patch.close();
    const RunResult r = runChronus({"render", patchPath, "--seconds", "3", "--out", m_dir.filePath("sine.wav")});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const double expected = -3.0103 + 20.0 * std::log10(amplitude) + 10.0 * std::log10(channels);
    const double lufs = printedFigure(r.out, QStringLiteral(", (-?[0-9.]+) LUFS integrated"));
    const double truePeakDb = printedFigure(r.out, QStringLiteral("true peak (-?[0-9.]+) dBTP"));
    test::reportFigure(QStringLiteral("%1: %2 LUFS (expected %3), %4 dBTP").arg(r.out.trimmed()).arg(lufs).arg(expected, 0, 'f', 2).arg(truePeakDb));
    QVERIFY2(std::fabs(lufs - expected) <= 0.1, qPrintable(r.out));
    QVERIFY2(std::fabs(truePeakDb - 20.0 * std::log10(amplitude)) <= 0.1, qPrintable(r.out));
}

QTEST_GUILESS_MAIN(TestRenderCommand)
#include "tst_render_command.moc"
