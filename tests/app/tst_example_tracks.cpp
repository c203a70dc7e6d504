// The example tracks in resources/patches/ are music: each loads, renders through the engine,
// stays finite and under its limiter's ceiling, is loud enough, is stereo, and (the ones with a
// clock) has the groove of its tempo in its envelope; no example leaves DC on the master. Figures
// with CHRONUS_TEST_FIGURES set.

#include "app/PatchFile.hpp"
#include "engine/OfflineRenderer.hpp"
#include "engine/modules/Limiter.hpp"
#include "support/SignalAnalysis.hpp"
#include "../engine/EngineTestUtils.hpp"

#include <QDir>
#include <QObject>
#include <QTest>

#include <cmath>
#include <span>

using chronus::engine::OfflineRenderer;

class TestExampleTracks : public QObject {
    Q_OBJECT

private slots:
    void tracksRenderAsMusic_data();
    void tracksRenderAsMusic();
    void noExampleLeavesDcOnTheMaster_data();
    void noExampleLeavesDcOnTheMaster();
};

void TestExampleTracks::tracksRenderAsMusic_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<double>("bpm"); // 0: no groove to find
    QTest::newRow("dnb-175") << "dnb-175.json" << 175.0;
    QTest::newRow("techno-130") << "techno-130.json" << 130.0;
    QTest::newRow("ambient") << "ambient.json" << 0.0;
}

void TestExampleTracks::tracksRenderAsMusic() {
    QFETCH(QString, file);
    QFETCH(double, bpm);
    auto loaded = chronus::app::loadPatchFile(QStringLiteral(CHRONUS_SOURCE_DIR "/resources/patches/") + file);
    QVERIFY2(loaded.ok(), loaded.status().message().c_str());
    QVERIFY(loaded->warnings.isEmpty());
    const chronus::engine::PatchNode* lim = loaded->graph.find("lim");
    QVERIFY2(lim && lim->type->id == std::string("limiter"), "every example ends in a limiter called lim");
    if (bpm > 0.0) {
        const chronus::engine::PatchNode* clock = loaded->graph.find("clock");
        QVERIFY(clock);
        QCOMPARE(clock->params[0], bpm);
    }

    constexpr double sampleRate = 48000.0;
    OfflineRenderer r{sampleRate, 64};
    r.setGraph(loaded->graph);
    auto out = r.render(16.0);
    QVERIFY2(out.ok(), out.status().message().c_str());
    const std::span<const float> left(out->left), right(out->right);
    QVERIFY(chronus::test::allFinite(left) && chronus::test::allFinite(right));

    const double ceiling = std::pow(10.0, lim->params[chronus::engine::Limiter::Ceiling] / 20.0);
    const float peak = std::max(chronus::test::peak(left), chronus::test::peak(right));
    const double rmsDb = 20.0 * std::log10(std::sqrt(0.5 * (std::pow(chronus::test::rms(left), 2) +
                                                             std::pow(chronus::test::rms(right), 2))));
    double cross = 0.0, ll = 0.0, rr = 0.0;
    for (std::size_t i = 0; i < left.size(); ++i) {
        const double l = left[i], rgt = right[i];
        cross += l * rgt;
        ll += l * l;
        rr += rgt * rgt;
    }
    const double correlation = cross / std::sqrt(ll * rr);
    chronus::test::reportFigure(QStringLiteral("%1: peak %2 dBFS (ceiling %3), RMS %4 dBFS, L/R correlation %5")
                                    .arg(file)
                                    .arg(20.0 * std::log10(static_cast<double>(peak)), 0, 'f', 2)
                                    .arg(lim->params[chronus::engine::Limiter::Ceiling])
                                    .arg(rmsDb, 0, 'f', 1)
                                    .arg(correlation, 0, 'f', 3));
    QVERIFY2(static_cast<double>(peak) <= ceiling * (1.0 + 1e-6), qPrintable(QString("peak %1 over the ceiling %2").arg(peak).arg(ceiling)));
    // The limiter holds the true peak too: as libebur128's meter (4x) and an 8x and 16x
    // reconstruction read it (dnb-175 was 0.06 dB over at 8x).
    const double truePeaks[3] = {chronus::test::ebur128TruePeak(left, right, sampleRate),
                                 std::max(chronus::test::truePeak(left, 8), chronus::test::truePeak(right, 8)),
                                 std::max(chronus::test::truePeak(left, 16), chronus::test::truePeak(right, 16))};
    chronus::test::reportFigure(QStringLiteral("%1: true peak over the ceiling: libebur128 %2 dB, 8x %3 dB, 16x %4 dB")
                                    .arg(file)
                                    .arg(20.0 * std::log10(truePeaks[0] / ceiling), 0, 'f', 4)
                                    .arg(20.0 * std::log10(truePeaks[1] / ceiling), 0, 'f', 4)
                                    .arg(20.0 * std::log10(truePeaks[2] / ceiling), 0, 'f', 4));
    for (const double tp : truePeaks)
        QVERIFY2(tp <= ceiling * (1.0 + 1e-6), qPrintable(QString("true peak %1 over the ceiling %2").arg(tp).arg(ceiling)));
    QVERIFY2(rmsDb > -24.0 && rmsDb < -5.0, qPrintable(QString("RMS %1 dBFS").arg(rmsDb)));
    QVERIFY2(correlation < 0.995, "mono: the reverb/delay should make it stereo");
    QVERIFY2(correlation > 0.1, "left and right unrelated or anti-phase: it would cancel in mono");

    if (bpm > 0.0) {
        const double stepMs = 60000.0 / bpm / 4.0;
        const int lag = chronus::test::strongestRepetitionMs(left, sampleRate, 300, 2000);
        chronus::test::reportFigure(QStringLiteral("%1: strongest repetition %2 ms = %3 steps")
                                        .arg(file)
                                        .arg(lag)
                                        .arg(lag / stepMs, 0, 'f', 2));
        QVERIFY2(std::fabs(lag - std::round(lag / stepMs) * stepMs) <= 2.0,
                 qPrintable(QString("repeats every %1 ms, not on a %2 ms step").arg(lag).arg(stepMs)));
    }
}

void TestExampleTracks::noExampleLeavesDcOnTheMaster_data() {
    QTest::addColumn<QString>("file");
    const QDir dir(QStringLiteral(CHRONUS_SOURCE_DIR "/resources/patches"));
    const QStringList files = dir.entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name);
    QVERIFY(files.size() >= 4);
    for (const QString& file : files)
        QTest::newRow(qPrintable(file)) << dir.filePath(file);
}

// A DC offset wastes headroom and thumps when playback starts or stops: the mean of each channel
// over 16 s stays below 0.001 (dnb-175 had +0.011, techno-130 +0.006, from their ladder filters).
void TestExampleTracks::noExampleLeavesDcOnTheMaster() {
    QFETCH(QString, file);
    auto loaded = chronus::app::loadPatchFile(file);
    QVERIFY2(loaded.ok(), loaded.status().message().c_str());
    OfflineRenderer r{48000.0, 64};
    r.setGraph(loaded->graph);
    auto out = r.render(16.0);
    QVERIFY2(out.ok(), out.status().message().c_str());
    QVERIFY(chronus::test::rms(out->left) > 0.01); // a silent render would pass trivially
    // Over the first 8 s (the length the offset was found at) and over all 16 s.
    for (const std::size_t frames : {std::size_t{8 * 48000}, out->left.size()}) {
        const std::span<const float> leftPart = std::span<const float>(out->left).first(frames);
        const std::span<const float> rightPart = std::span<const float>(out->right).first(frames);
        const double left = chronus::test::mean(leftPart), right = chronus::test::mean(rightPart);
        chronus::test::reportFigure(QStringLiteral("%1, %2 s: mean %3 left, %4 right")
                                        .arg(file).arg(frames / 48000).arg(left, 0, 'f', 6).arg(right, 0, 'f', 6));
        QVERIFY2(std::fabs(left) < 0.001 && std::fabs(right) < 0.001,
                 qPrintable(QStringLiteral("mean %1 / %2 over %3 frames").arg(left).arg(right).arg(frames)));
    }
}

QTEST_GUILESS_MAIN(TestExampleTracks)
#include "tst_example_tracks.moc"
