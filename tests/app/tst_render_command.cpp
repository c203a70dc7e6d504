// `chronus render` end to end: the real executable, a real WAV file read back with libsndfile.

#include "support/SignalAnalysis.hpp"

#include <QDir>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <sndfile.h>

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
};

bool readWav(const QString& path, Wav& wav) {
    SF_INFO info{};
    SNDFILE* f = sf_open(path.toLocal8Bit().constData(), SFM_READ, &info);
    if (!f)
        return false;
    wav.sampleRate = info.samplerate;
    wav.channels = info.channels;
    std::vector<float> interleaved(static_cast<std::size_t>(info.frames * info.channels));
    sf_readf_float(f, interleaved.data(), info.frames);
    sf_close(f);
    for (sf_count_t i = 0; i < info.frames; ++i) {
        wav.left.push_back(interleaved[static_cast<std::size_t>(i * info.channels)]);
        wav.right.push_back(interleaved[static_cast<std::size_t>(i * info.channels + info.channels - 1)]);
    }
    return true;
}

const QString kData = QStringLiteral(CHRONUS_TEST_DATA_DIR "/patches/");

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

QTEST_GUILESS_MAIN(TestRenderCommand)
#include "tst_render_command.moc"
