// The analysis (AudioAnalyzer) against what the signal is known to be: pitch of pure and band-limited
// tones, the example tracks' tempo from their clocks, onsets on the samples the clock scheduled,
// clipping, DC, stereo image, spectrum and silence of analytic signals, and `chronus render
// --analyze --json`'s loudness against libebur128 run on the file it wrote. Figures with
// CHRONUS_TEST_FIGURES set.

#include "app/AudioAnalysis.hpp"
#include "app/PatchFile.hpp"
#include "engine/OfflineRenderer.hpp"
#include "support/SignalAnalysis.hpp"
#include "../engine/EngineTestUtils.hpp"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <ebur128.h>
#include <sndfile.h>

#include <cmath>
#include <functional>
#include <vector>

using chronus::app::AnalysisSummary;
using chronus::app::AudioAnalyzer;
using chronus::engine::OfflineRenderer;

namespace {

constexpr double kPi = 3.14159265358979323846;

// Analyses interleaved stereo fed in uneven pieces (as a render hands it over).
AnalysisSummary analyse(const std::vector<float>& interleaved, double rate) {
    AudioAnalyzer a;
    if (!a.open(rate))
        return {};
    std::size_t done = 0, piece = 1;
    const std::size_t frames = interleaved.size() / 2;
    while (done < frames) {
        const std::size_t n = std::min(frames - done, piece);
        (void)a.addInterleaved(interleaved.data() + 2 * done, n);
        done += n;
        piece = piece * 3 % 5003 + 1;
    }
    return a.summary();
}

std::vector<float> stereo(std::size_t frames, const std::function<std::pair<double, double>(std::size_t)>& f) {
    std::vector<float> x(2 * frames);
    for (std::size_t i = 0; i < frames; ++i) {
        const auto [l, r] = f(i);
        x[2 * i] = static_cast<float>(l);
        x[2 * i + 1] = static_cast<float>(r);
    }
    return x;
}

std::vector<float> interleave(const chronus::engine::StereoBuffer& b) {
    std::vector<float> x(2 * b.frames());
    for (std::size_t i = 0; i < b.frames(); ++i) {
        x[2 * i] = b.left[i];
        x[2 * i + 1] = b.right[i];
    }
    return x;
}

const double kToneFrequencies[] = {40.0, 55.0, 82.41, 110.0, 196.0, 261.63, 440.0, 1000.0, 1760.0, 2500.0, 4000.0};

} // namespace

class TestAudioAnalysis : public QObject {
    Q_OBJECT

private slots:
    void pitchOfPureTones_data();
    void pitchOfPureTones();
    void pitchOfBandLimitedSawThroughTheEngine_data();
    void pitchOfBandLimitedSawThroughTheEngine();
    void noteNamesAreEqualTemperedAtA440();
    void tempoOfTheExampleTracks_data();
    void tempoOfTheExampleTracks();
    void onsetsLandOnTheSequencersScheduledSamples_data();
    void onsetsLandOnTheSequencersScheduledSamples();
    void clippingDcAndStereoOfAnalyticSignals();
    void spectrumOfASineIsItsBand();
    void silenceIsFoundAtTheStartAndTheEnd();
    void renderAnalyzeLoudnessMatchesLibebur128OnItsFile();
    void renderAnalyzeWithoutAFileSaysItInAParagraph();
};

void TestAudioAnalysis::pitchOfPureTones_data() {
    QTest::addColumn<double>("hz");
    QTest::addColumn<double>("rate");
    for (double hz : kToneFrequencies)
        QTest::addRow("%g Hz", hz) << hz << 48000.0;
    // The window follows the rate: 40 Hz needs twice as many samples at 96 kHz.
    for (double rate : {44100.0, 96000.0})
        for (double hz : {40.0, 440.0, 4000.0})
            QTest::addRow("%g Hz at %g Hz", hz, rate) << hz << rate;
}

void TestAudioAnalysis::pitchOfPureTones() {
    QFETCH(double, hz);
    QFETCH(double, rate);
    const auto x = stereo(static_cast<std::size_t>(2.0 * rate), [&](std::size_t i) {
        const double v = 0.5 * std::sin(2.0 * kPi * hz * static_cast<double>(i) / rate);
        return std::pair{v, v};
    });
    const AnalysisSummary a = analyse(x, rate);
    chronus::test::reportFigure(QStringLiteral("sine %1 Hz: pitch %2 Hz (%3 %), confidence %4")
                                    .arg(hz)
                                    .arg(a.pitchHz, 0, 'f', 3)
                                    .arg(100.0 * (a.pitchHz / hz - 1.0), 0, 'f', 4)
                                    .arg(a.pitchConfidence, 0, 'f', 3));
    QVERIFY2(std::fabs(a.pitchHz / hz - 1.0) < 0.005, qPrintable(QString("pitch %1 Hz for %2 Hz").arg(a.pitchHz).arg(hz)));
    QVERIFY(a.pitchConfidence > 0.8);
    double cents = 0.0;
    QCOMPARE(QString::fromStdString(a.pitchNote), QString::fromStdString(chronus::app::noteName(hz, &cents)));
}

void TestAudioAnalysis::pitchOfBandLimitedSawThroughTheEngine_data() { pitchOfPureTones_data(); }

void TestAudioAnalysis::pitchOfBandLimitedSawThroughTheEngine() {
    QFETCH(double, hz);
    QFETCH(double, rate);
    OfflineRenderer r{rate, 64};
    auto& g = r.graph();
    CHRONUS_VERIFY_OK(g.addModule("osc", "saw"));
    CHRONUS_VERIFY_OK(g.setParam("osc", "freq", hz));
    CHRONUS_VERIFY_OK(g.setParam("osc", "gain", 0.5));
    CHRONUS_VERIFY_OK(g.connect("osc.out", "out.left"));
    CHRONUS_VERIFY_OK(g.connect("osc.out", "out.right"));
    auto out = r.render(2.0);
    QVERIFY2(out.ok(), out.status().message().c_str());
    // The saw really is band-limited and at its frequency: the analysis is checked, not the oscillator.
    QVERIFY(std::fabs(chronus::test::estimateFrequency(out->left, rate) / hz - 1.0) < 1e-4);
    const AnalysisSummary a = analyse(interleave(out.value()), rate);
    chronus::test::reportFigure(QStringLiteral("saw %1 Hz: pitch %2 Hz (%3 %), confidence %4")
                                    .arg(hz)
                                    .arg(a.pitchHz, 0, 'f', 3)
                                    .arg(100.0 * (a.pitchHz / hz - 1.0), 0, 'f', 4)
                                    .arg(a.pitchConfidence, 0, 'f', 3));
    QVERIFY2(std::fabs(a.pitchHz / hz - 1.0) < 0.005, qPrintable(QString("pitch %1 Hz for %2 Hz").arg(a.pitchHz).arg(hz)));
    QVERIFY(a.pitchConfidence > 0.5);
}

void TestAudioAnalysis::noteNamesAreEqualTemperedAtA440() {
    double cents = 99.0;
    QCOMPARE(QString::fromStdString(chronus::app::noteName(440.0, &cents)), QString("A4"));
    QVERIFY(std::fabs(cents) < 1e-9);
    QCOMPARE(QString::fromStdString(chronus::app::noteName(261.6256, &cents)), QString("C4"));
    QCOMPARE(QString::fromStdString(chronus::app::noteName(43.65, &cents)), QString("F1"));
    QCOMPARE(QString::fromStdString(chronus::app::noteName(440.0 * std::pow(2.0, 1.0 / 12.0) * std::pow(2.0, 0.2 / 12.0), &cents)),
             QString("A#4"));
    QVERIFY(std::fabs(cents - 20.0) < 1e-6);
    QVERIFY(chronus::app::noteName(0.0).empty());
}

void TestAudioAnalysis::tempoOfTheExampleTracks_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<bool>("found");
    QTest::newRow("dnb-175") << "dnb-175.json" << true;
    QTest::newRow("techno-130") << "techno-130.json" << true;
    QTest::newRow("ambient") << "ambient.json" << false;
}

void TestAudioAnalysis::tempoOfTheExampleTracks() {
    QFETCH(QString, file);
    auto loaded = chronus::app::loadPatchFile(QStringLiteral(CHRONUS_SOURCE_DIR "/resources/patches/") + file);
    QVERIFY2(loaded.ok(), loaded.status().message().c_str());
    const chronus::engine::PatchNode* clock = loaded->graph.find("clock");
    QVERIFY2(clock, "every example with a groove has a clock called clock");
    const double bpm = clock->params[0]; // the patch file's tempo
    constexpr double rate = 48000.0;
    OfflineRenderer r{rate, 64};
    r.setGraph(loaded->graph);
    auto out = r.render(30.0); // long enough for a few chance onsets to line up on a wrong beat
    QVERIFY2(out.ok(), out.status().message().c_str());
    const AnalysisSummary a = analyse(interleave(out.value()), rate);
    chronus::test::reportFigure(QStringLiteral("%1: clock %2 BPM, analysis %3 BPM (confidence %4), %5 onsets")
                                    .arg(file)
                                    .arg(bpm)
                                    .arg(a.tempoBpm, 0, 'f', 3)
                                    .arg(a.tempoConfidence, 0, 'f', 3)
                                    .arg(a.onsetCount));
    QFETCH(bool, found);
    if (!found) {
        // FIXME: the ambient example's 70 BPM is not found (its echoed bells over a swelling pad give
        // a handful of onsets): the analysis must then say so (no tempo), never give a wrong one.
        QCOMPARE(a.tempoBpm, 0.0);
        return;
    }
    QVERIFY2(std::fabs(a.tempoBpm - bpm) <= 0.5, qPrintable(QString("tempo %1 BPM for %2").arg(a.tempoBpm).arg(bpm)));
    QVERIFY(a.tempoConfidence > 0.1);
}

void TestAudioAnalysis::onsetsLandOnTheSequencersScheduledSamples_data() {
    QTest::addColumn<double>("rate");
    QTest::addColumn<double>("bpm");
    QTest::addColumn<QString>("pattern");
    QTest::newRow("48k 120 BPM") << 48000.0 << 120.0 << "x..x..x.x...x.x.";
    QTest::newRow("44.1k 137 BPM") << 44100.0 << 137.0 << "x.x.x..xx...x..x";
    QTest::newRow("96k 93 BPM") << 96000.0 << 93.0 << "x...x.x.x..x..x.";
}

void TestAudioAnalysis::onsetsLandOnTheSequencersScheduledSamples() {
    QFETCH(double, rate);
    QFETCH(double, bpm);
    QFETCH(QString, pattern);
    OfflineRenderer r{rate, 64};
    auto& g = r.graph();
    CHRONUS_VERIFY_OK(g.addModule("clock", "clock"));
    CHRONUS_VERIFY_OK(g.setParam("clock", "bpm", bpm));
    CHRONUS_VERIFY_OK(g.setParam("clock", "division", 2.0)); // 1/16
    CHRONUS_VERIFY_OK(g.addModule("seq", "sequencer"));
    CHRONUS_VERIFY_OK(g.setText("seq", "pattern", pattern.toStdString()));
    CHRONUS_VERIFY_OK(g.addModule("kick", "kick"));
    CHRONUS_VERIFY_OK(g.setParam("kick", "decay", 60.0)); // over before the next 16th: no retrigger
    CHRONUS_VERIFY_OK(g.connect("clock.step", "seq.clock"));
    CHRONUS_VERIFY_OK(g.connect("seq.gate", "kick.trig"));
    CHRONUS_VERIFY_OK(g.connect("kick.out", "out.left"));
    CHRONUS_VERIFY_OK(g.connect("kick.out", "out.right"));
    constexpr double seconds = 8.0;
    auto out = r.render(seconds);
    QVERIFY2(out.ok(), out.status().message().c_str());
    const AnalysisSummary a = analyse(interleave(out.value()), rate);

    // The clock puts step k on the first sample at or after its exact time.
    const double stepFrames = rate * 60.0 / bpm / 4.0;
    std::vector<double> scheduled;
    for (long k = 0;; ++k) {
        const double frame = std::ceil(static_cast<double>(k) * stepFrames - 1e-9);
        if (frame / rate > seconds - 0.1)
            break;
        if (pattern[static_cast<int>(k % pattern.size())] == 'x')
            scheduled.push_back(frame / rate);
    }
    double worst = 0.0;
    for (double t : scheduled) {
        double nearest = 1e9;
        for (double o : a.onsetsS)
            nearest = std::fabs(o - t) < std::fabs(nearest) ? o - t : nearest;
        worst = std::max(worst, std::fabs(nearest));
        QVERIFY2(std::fabs(nearest) <= 0.002, qPrintable(QString("the hit at %1 s: the nearest onset is %2 ms away")
                                                             .arg(t, 0, 'f', 5)
                                                             .arg(1000.0 * nearest, 0, 'f', 2)));
    }
    chronus::test::reportFigure(QStringLiteral("%1 Hz, %2 BPM: %3 hits, %4 onsets, worst %5 ms")
                                    .arg(rate)
                                    .arg(bpm)
                                    .arg(scheduled.size())
                                    .arg(a.onsetsS.size())
                                    .arg(1000.0 * worst, 0, 'f', 3));
    QCOMPARE(a.onsetsS.size(), scheduled.size()); // and nothing else is an onset
    QCOMPARE(a.onsetCount, scheduled.size());
}

void TestAudioAnalysis::clippingDcAndStereoOfAnalyticSignals() {
    constexpr double rate = 48000.0;
    constexpr std::size_t frames = 96000;
    // A sine of amplitude 1.25 at an incommensurate frequency is at or over full scale for the
    // share of time where |sin| >= 0.8: 1 - (2/pi) asin(0.8), on both channels.
    const auto loud = stereo(frames, [&](std::size_t i) {
        const double v = 1.25 * std::sin(2.0 * kPi * 997.3 * static_cast<double>(i) / rate);
        return std::pair{v, v};
    });
    AnalysisSummary a = analyse(loud, rate);
    const double expected = 2.0 * frames * (1.0 - 2.0 / kPi * std::asin(0.8));
    QVERIFY2(std::fabs(static_cast<double>(a.clippedSamples) / expected - 1.0) < 0.01,
             qPrintable(QString("%1 clipped, expected %2").arg(a.clippedSamples).arg(expected)));
    QVERIFY(std::fabs(a.samplePeakDbfs - 20.0 * std::log10(1.25)) < 0.01);
    QVERIFY(std::fabs(a.truePeakDbtp - 20.0 * std::log10(1.25)) < 0.1);
    QCOMPARE(a.stereoCorrelation, 1.0);
    QVERIFY(a.stereoWidth < 1e-9);
    // Two seconds of a sine that is no whole number of periods: its mean is at most A / (pi f T).
    QVERIFY(std::fabs(a.dcLeft) < 2.1e-4 && std::fabs(a.dcRight) < 2.1e-4);

    // Just under full scale: nothing clipped. DC on the left only; right the left upside down.
    const auto offset = stereo(frames, [&](std::size_t i) {
        const double v = 0.5 * std::sin(2.0 * kPi * 300.0 * static_cast<double>(i) / rate);
        return std::pair{0.25 + v, -v};
    });
    a = analyse(offset, rate);
    QCOMPARE(a.clippedSamples, std::uint64_t{0});
    QVERIFY2(std::fabs(a.dcLeft - 0.25) < 1e-5, qPrintable(QString::number(a.dcLeft)));
    QVERIFY(std::fabs(a.dcRight) < 1e-5);
    QVERIFY2(std::fabs(a.stereoCorrelation + 1.0) < 1e-4, qPrintable(QString::number(a.stereoCorrelation)));

    // Two unrelated channels of equal level: correlation near 0, width near one half.
    std::uint32_t seed = 12345;
    auto noise = [&] {
        seed = seed * 1664525u + 1013904223u;
        return static_cast<double>(seed >> 8) / static_cast<double>(1u << 24) - 0.5;
    };
    const auto wide = stereo(frames, [&](std::size_t) {
        const double l = noise();
        return std::pair{l, noise()};
    });
    a = analyse(wide, rate);
    QVERIFY2(std::fabs(a.stereoCorrelation) < 0.02, qPrintable(QString::number(a.stereoCorrelation)));
    QVERIFY2(std::fabs(a.stereoWidth - 0.5) < 0.02, qPrintable(QString::number(a.stereoWidth)));
}

void TestAudioAnalysis::spectrumOfASineIsItsBand() {
    constexpr double rate = 48000.0;
    for (std::size_t band = 1; band < 9; ++band) {
        const double hz = AnalysisSummary::kOctaveCentresHz[band];
        const auto x = stereo(96000, [&](std::size_t i) {
            const double v = std::sin(2.0 * kPi * hz * static_cast<double>(i) / rate);
            return std::pair{v, v};
        });
        const AnalysisSummary a = analyse(x, rate);
        QVERIFY2(std::fabs(a.octaveBandsDb[band]) < 0.5, qPrintable(QString("%1 Hz: %2 dB").arg(hz).arg(a.octaveBandsDb[band])));
        for (std::size_t other = 0; other < a.octaveBandsDb.size(); ++other)
            if (other + 1 < band || other > band + 1)
                QVERIFY2(a.octaveBandsDb[other] < -60.0, qPrintable(QString("%1 Hz in band %2: %3 dB").arg(hz).arg(other).arg(a.octaveBandsDb[other])));
        QVERIFY2(std::fabs(a.spectralCentroidHz / hz - 1.0) < 0.02, qPrintable(QString::number(a.spectralCentroidHz)));
        // The roll-off is a bin of the 4096-point spectrum: within one of the tone, or 3 %.
        QVERIFY2(std::fabs(a.spectralRolloffHz - hz) <= std::max(0.03 * hz, rate / 4096.0),
                 qPrintable(QString::number(a.spectralRolloffHz)));
    }
}

void TestAudioAnalysis::silenceIsFoundAtTheStartAndTheEnd() {
    constexpr double rate = 48000.0;
    // 1 s of nothing, 2 s of a sine at -20 dBFS, 0.5 s of a sine at -80 dBFS (below the threshold).
    const auto x = stereo(static_cast<std::size_t>(3.5 * rate), [&](std::size_t i) {
        const double t = static_cast<double>(i) / rate;
        const double amp = t < 1.0 ? 0.0 : t < 3.0 ? 0.1 : 1e-4;
        const double v = amp * std::sin(2.0 * kPi * 220.0 * t);
        return std::pair{v, v};
    });
    AnalysisSummary a = analyse(x, rate);
    QVERIFY(!a.silent);
    QVERIFY2(std::fabs(a.leadingSilenceS - 1.0) <= 0.0101, qPrintable(QString::number(a.leadingSilenceS)));
    QVERIFY2(std::fabs(a.trailingSilenceS - 0.5) <= 0.0101, qPrintable(QString::number(a.trailingSilenceS)));
    QVERIFY2(std::fabs(a.silenceS - 1.5) <= 0.0201, qPrintable(QString::number(a.silenceS)));
    QVERIFY(std::isfinite(a.integratedLufs));

    a = analyse(std::vector<float>(2 * 48000, 0.0f), rate);
    QVERIFY(a.silent);
    QCOMPARE(a.pitchHz, 0.0);
    QCOMPARE(a.tempoBpm, 0.0);
    QCOMPARE(a.onsetCount, std::size_t{0});
    QVERIFY(std::isinf(a.integratedLufs) && a.integratedLufs < 0);
    const QJsonDocument json = QJsonDocument::fromJson(QByteArray::fromStdString(chronus::app::toJson(a)));
    QVERIFY(json.isObject());
    QVERIFY(json["integrated_lufs"].isNull());
    QCOMPARE(json["silent"].toBool(), true);
}

void TestAudioAnalysis::renderAnalyzeLoudnessMatchesLibebur128OnItsFile() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString wav = dir.filePath("dnb.wav");
    QProcess p;
    p.start(CHRONUS_BINARY, {"render", CHRONUS_SOURCE_DIR "/resources/patches/dnb-175.json", "--seconds", "12", "--format",
                             "float", "--out", wav, "--analyze", "--json"});
    QVERIFY(p.waitForFinished(120000));
    QCOMPARE(p.exitCode(), 0);
    QJsonParseError error;
    const QJsonDocument json = QJsonDocument::fromJson(p.readAllStandardOutput(), &error);
    QVERIFY2(json.isObject(), qPrintable(error.errorString()));

    SF_INFO info{};
    SNDFILE* f = sf_open(wav.toLocal8Bit().constData(), SFM_READ, &info);
    QVERIFY(f);
    std::vector<float> x(static_cast<std::size_t>(info.frames * info.channels));
    sf_readf_float(f, x.data(), info.frames);
    sf_close(f);
    QCOMPARE(info.channels, 2);
    ebur128_state* st = ebur128_init(2, static_cast<unsigned long>(info.samplerate), EBUR128_MODE_I | EBUR128_MODE_TRUE_PEAK);
    QVERIFY(st);
    ebur128_add_frames_float(st, x.data(), static_cast<std::size_t>(info.frames));
    double lufs = 0.0, peakL = 0.0, peakR = 0.0;
    ebur128_loudness_global(st, &lufs);
    ebur128_true_peak(st, 0, &peakL);
    ebur128_true_peak(st, 1, &peakR);
    ebur128_destroy(&st);

    const double analysed = json["integrated_lufs"].toDouble(1e9);
    chronus::test::reportFigure(QStringLiteral("dnb-175, 12 s: render --analyze %1 LUFS, libebur128 on the file %2 LUFS; "
                                               "tempo %3 BPM, %4 onsets")
                                    .arg(analysed, 0, 'f', 3)
                                    .arg(lufs, 0, 'f', 3)
                                    .arg(json["tempo_bpm"].toDouble(), 0, 'f', 2)
                                    .arg(json["onset_count"].toInt()));
    QVERIFY2(std::fabs(analysed - lufs) <= 0.2, qPrintable(QString("%1 against %2").arg(analysed).arg(lufs)));
    QVERIFY(std::fabs(json["true_peak_dbtp"].toDouble(1e9) - 20.0 * std::log10(std::max(peakL, peakR))) <= 0.2);
    QCOMPARE(json["duration_s"].toDouble(), 12.0);
    QVERIFY(json["onsets_s"].isArray());
    QCOMPARE(json["octave_bands_db"].toObject().keys().size(), 10);
    // Every field the header documents, by its stable name.
    const QStringList fields = {"duration_s", "sample_rate_hz", "integrated_lufs", "short_term_lufs", "short_term_max_lufs",
                                "momentary_lufs", "momentary_max_lufs", "loudness_range_lu", "true_peak_dbtp",
                                "sample_peak_dbfs", "rms_dbfs", "clipped_samples", "dc_left", "dc_right",
                                "stereo_correlation", "stereo_width", "pitch_hz", "pitch_confidence", "pitch_note",
                                "pitch_cents", "spectral_centroid_hz", "spectral_rolloff_hz", "octave_bands_db", "onsets_s",
                                "onset_count", "tempo_bpm", "tempo_confidence", "silence_s", "leading_silence_s",
                                "trailing_silence_s", "silence_threshold_dbfs", "silent"};
    QCOMPARE(json.object().keys().size(), fields.size());
    for (const QString& field : fields)
        QVERIFY2(json.object().contains(field), qPrintable(field));
    QCOMPARE(json["clipped_samples"].toInt(-1), 0); // the limiter holds
    QVERIFY(std::fabs(json["tempo_bpm"].toDouble() - 175.0) <= 0.5);
}

void TestAudioAnalysis::renderAnalyzeWithoutAFileSaysItInAParagraph() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QProcess p;
    p.setWorkingDirectory(dir.path());
    p.start(CHRONUS_BINARY, {"render", CHRONUS_SOURCE_DIR "/resources/patches/techno-130.json", "--seconds", "10", "--analyze"});
    QVERIFY(p.waitForFinished(120000));
    QCOMPARE(p.exitCode(), 0);
    const QString out = QString::fromUtf8(p.readAllStandardOutput());
    QVERIFY2(out.contains("rendered (no file): 10 s") && out.contains("LUFS integrated (short-term max") &&
                 out.contains("tempo 130.0 BPM") && out.contains("no clipping"),
             qPrintable(out));
    QVERIFY(QDir(dir.path()).entryList(QDir::Files).isEmpty());

    p.start(CHRONUS_BINARY, {"render", CHRONUS_SOURCE_DIR "/resources/patches/techno-130.json", "--seconds", "1", "--out", dir.filePath("x.wav"), "--json"});
    QVERIFY(p.waitForFinished(120000));
    QCOMPARE(p.exitCode(), 2);
    QVERIFY(QString::fromUtf8(p.readAllStandardError()).contains("--json goes with --analyze"));
}

QTEST_GUILESS_MAIN(TestAudioAnalysis)
#include "tst_audio_analysis.moc"
