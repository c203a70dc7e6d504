// The clock and the step sequencer: onsets on the exact sample over long runs, swing that keeps the
// bar, gate lengths, tempo changes mid-bar, patterns and notes as text, accents, polymeter, reset.

#include "EngineTestUtils.hpp"
#include "engine/OfflineRenderer.hpp"
#include "engine/modules/Clock.hpp"
#include "engine/modules/Sequencer.hpp"
#include "support/SignalAnalysis.hpp"

#include <QObject>
#include <QTest>

#include <cmath>
#include <vector>

namespace chronus::test {

using engine::OfflineRenderer;
using engine::ParamValue;
using engine::Sequencer;

namespace {

// Sample indices where `x` rises through 0.5.
std::vector<std::size_t> risingEdges(const std::vector<float>& x) {
    std::vector<std::size_t> edges;
    float previous = 0.0f;
    for (std::size_t i = 0; i < x.size(); ++i) {
        if (x[i] > 0.5f && previous <= 0.5f)
            edges.push_back(i);
        previous = x[i];
    }
    return edges;
}

// Lengths (samples) of the high runs starting at each rising edge.
std::vector<std::size_t> highRuns(const std::vector<float>& x) {
    std::vector<std::size_t> runs;
    for (std::size_t e : risingEdges(x)) {
        std::size_t n = 0;
        while (e + n < x.size() && x[e + n] > 0.5f)
            ++n;
        runs.push_back(n);
    }
    return runs;
}

double samplesPerStep(double bpm, double sampleRate, int stepsPerBeat = 4) {
    return 60.0 / bpm / stepsPerBeat * sampleRate;
}

// A clock into a sequencer; the sequencer's gate on the left, `right` on the right.
void buildGroove(OfflineRenderer& r, double bpm, const char* pattern, const char* right = "seq.pitch") {
    auto& g = r.graph();
    QVERIFY(g.addModule("clock", "clock").ok());
    QVERIFY(g.addModule("seq", "sequencer").ok());
    QVERIFY(g.setParam("clock", "bpm", bpm).ok());
    QVERIFY(g.connect("clock.step", "seq.clock").ok());
    CHRONUS_VERIFY_OK(g.setText("seq", "pattern", pattern));
    QVERIFY(g.connect("seq.gate", "out.left").ok());
    QVERIFY(g.connect(right, "out.right").ok());
}

} // namespace

class TestSequencer : public QObject {
    Q_OBJECT

private slots:
    void onsetsStayOnTheirSampleOver64Bars_data();
    void onsetsStayOnTheirSampleOver64Bars();
    void swingDelaysOffBeatsAndKeepsTheBar();
    void beatAndBarOutputs();
    void tempoChangeMidBarKeepsTime();
    void gateLengthIsAFractionOfTheStep_data();
    void gateLengthIsAFractionOfTheStep();
    void sequencerHitsOnTheClockSample();
    void patternTextRoundTrips();
    void badTextIsRefusedWithTheReason();
    void notesParseAsNamesMidiAndHz();
    void notesKeepTheirSpelling();
    void pitchAndAccentFollowTheSteps();
    void differentLengthsArePolymetric();
    void resetRestartsAtStepOne();
    void clockRunStopsAndResumes();
};

void TestSequencer::onsetsStayOnTheirSampleOver64Bars_data() { addRateBlockRows(); }

void TestSequencer::onsetsStayOnTheirSampleOver64Bars() {
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    if (blockSize == 1 && sampleRate > 48000.0)
        QSKIP("block size 1 is covered at 44.1 and 48 kHz (the long render is slow at 1 frame per block)");
    constexpr double bpm = 175.0;
    constexpr int bars = 64;
    const double step = samplesPerStep(bpm, sampleRate);
    OfflineRenderer r{sampleRate, blockSize};
    buildGroove(r, bpm, "xxxxxxxxxxxxxxxx", "clock.step");
    auto out = r.renderFrames(static_cast<std::size_t>(std::ceil(step * 16 * bars)) + 2);
    CHRONUS_VERIFY_OK(out);
    const auto clockEdges = risingEdges(out->right);
    const auto seqEdges = risingEdges(out->left);
    QCOMPARE(clockEdges.size(), std::size_t(16 * bars + 1));
    QCOMPARE(seqEdges, clockEdges); // the sequencer hits on the clock's sample, never a block later
    double worst = 0.0;
    for (std::size_t k = 0; k < clockEdges.size(); ++k) {
        const double theory = static_cast<double>(k) * step;
        const double error = static_cast<double>(clockEdges[k]) - theory;
        QVERIFY2(error > -0.01 && error < 1.0,
                 qPrintable(QStringLiteral("step %1 at %2, theory %3").arg(k).arg(clockEdges[k]).arg(theory)));
        worst = std::max(worst, error);
    }
    reportFigure(QStringLiteral("64 bars at 175 BPM: worst onset %1 samples after theory").arg(worst));
}

void TestSequencer::swingDelaysOffBeatsAndKeepsTheBar() {
    constexpr double sampleRate = 48000.0, bpm = 120.0, swing = 0.3;
    const double step = samplesPerStep(bpm, sampleRate);
    OfflineRenderer r{sampleRate, 64};
    buildGroove(r, bpm, "xxxxxxxxxxxxxxxx", "clock.bar");
    QVERIFY(r.graph().setParam("clock", "swing", swing).ok());
    auto out = r.renderFrames(static_cast<std::size_t>(step * 16 * 8) + 2);
    CHRONUS_VERIFY_OK(out);
    const auto edges = risingEdges(out->left);
    QCOMPARE(edges.size(), std::size_t(16 * 8 + 1));
    for (std::size_t k = 0; k < edges.size(); ++k) {
        const double theory = (static_cast<double>(k) + (k % 2 ? swing : 0.0)) * step;
        QVERIFY2(std::fabs(static_cast<double>(edges[k]) - theory) < 1.0,
                 qPrintable(QStringLiteral("step %1 at %2, theory %3").arg(k).arg(edges[k]).arg(theory)));
    }
    // Bars keep their length: the bar output rises every 16 unswung steps.
    const auto bars = risingEdges(out->right);
    QCOMPARE(bars.size(), std::size_t(9));
    for (std::size_t b = 0; b < bars.size(); ++b)
        QVERIFY(std::fabs(static_cast<double>(bars[b]) - static_cast<double>(b) * 16 * step) < 1.0);
}

void TestSequencer::beatAndBarOutputs() {
    constexpr double sampleRate = 44100.0, bpm = 140.0;
    const double step = samplesPerStep(bpm, sampleRate);
    OfflineRenderer r{sampleRate, 37};
    auto& g = r.graph();
    QVERIFY(g.addModule("clock", "clock").ok());
    QVERIFY(g.setParam("clock", "bpm", bpm).ok());
    QVERIFY(g.setParam("clock", "meter", 3).ok());
    QVERIFY(g.connect("clock.beat", "out.left").ok());
    QVERIFY(g.connect("clock.bar", "out.right").ok());
    auto out = r.renderFrames(static_cast<std::size_t>(step * 4 * 3 * 4) + 2); // 4 bars of 3/4
    CHRONUS_VERIFY_OK(out);
    QCOMPARE(risingEdges(out->left).size(), std::size_t(13));
    QCOMPARE(risingEdges(out->right).size(), std::size_t(5));
    QVERIFY(std::fabs(static_cast<double>(risingEdges(out->right)[1]) - 12 * step) < 1.0);
}

void TestSequencer::tempoChangeMidBarKeepsTime() {
    // 120 → 175 BPM in the middle of step 6 (of 16): every step fires once, in order; the steps
    // before take the old length, those after the new one, the step across the change lies
    // between; no onset is skipped or doubled and the gate never stutters.
    constexpr double sampleRate = 48000.0;
    const double oldStep = samplesPerStep(120.0, sampleRate), newStep = samplesPerStep(175.0, sampleRate);
    OfflineRenderer r{sampleRate, 64};
    buildGroove(r, 120.0, "xxxxxxxxxxxxxxxx", "clock.tempo");
    const auto changeAt = static_cast<std::size_t>(5.5 * oldStep);
    auto first = r.renderFrames(changeAt);
    CHRONUS_VERIFY_OK(first);
    CHRONUS_VERIFY_OK(r.setParam("clock", "bpm", 175.0));
    auto rest = r.renderFrames(static_cast<std::size_t>(20 * newStep));
    CHRONUS_VERIFY_OK(rest);
    std::vector<float> gate = first->left;
    append(gate, rest->left);
    std::vector<float> tempoCv = first->right;
    append(tempoCv, rest->right);
    const auto edges = risingEdges(gate);
    QVERIFY(edges.size() >= 24);
    for (std::size_t k = 1; k < edges.size(); ++k) {
        const double interval = static_cast<double>(edges[k] - edges[k - 1]);
        QVERIFY2(interval <= oldStep + 1.0 && interval >= newStep - 1.0,
                 qPrintable(QStringLiteral("interval %1 at step %2").arg(interval).arg(k)));
        if (k <= 5)
            QVERIFY(std::fabs(interval - oldStep) < 1.0);
        if (k >= 8)
            QVERIFY(std::fabs(interval - newStep) < 1.0);
    }
    // The tempo CV ramps (beats per second), it does not jump.
    QCOMPARE(tempoCv.front(), 2.0f);
    QVERIFY(std::fabs(tempoCv.back() - 175.0f / 60.0f) < 1e-5f);
    QVERIFY(largestStep(tempoCv) < 0.01f);
}

void TestSequencer::gateLengthIsAFractionOfTheStep_data() {
    QTest::addColumn<double>("fraction");
    QTest::addColumn<double>("swing");
    QTest::newRow("quarter") << 0.25 << 0.0;
    QTest::newRow("half") << 0.5 << 0.0;
    QTest::newRow("legato") << 1.0 << 0.0;
    QTest::newRow("half, swung") << 0.5 << 0.25;
}

void TestSequencer::gateLengthIsAFractionOfTheStep() {
    QFETCH(double, fraction);
    QFETCH(double, swing);
    constexpr double sampleRate = 48000.0, bpm = 175.0;
    const double step = samplesPerStep(bpm, sampleRate);
    OfflineRenderer r{sampleRate, 64};
    buildGroove(r, bpm, "xxxxxxxxxxxxxxxx");
    QVERIFY(r.graph().setParam("seq", "gate", fraction).ok());
    QVERIFY(r.graph().setParam("clock", "swing", swing).ok());
    auto out = r.renderFrames(static_cast<std::size_t>(step * 32));
    CHRONUS_VERIFY_OK(out);
    const auto runs = highRuns(out->left);
    QVERIFY(runs.size() >= 30);
    // From the third hit on, the sequencer knows the clock's step (the mean of the last two
    // intervals, so swing does not bend it). Legato leaves a low sample or two before the next hit.
    const double expected = std::min(fraction * step, step - 2.0);
    for (std::size_t k = 2; k + 1 < runs.size(); ++k)
        QVERIFY2(std::fabs(static_cast<double>(runs[k]) - expected) <= 1.5,
                 qPrintable(QStringLiteral("hit %1 high for %2, expected %3").arg(k).arg(runs[k]).arg(expected)));
    // Every hit is an edge, even legato.
    QCOMPARE(risingEdges(out->left).size(), runs.size());
}

void TestSequencer::sequencerHitsOnTheClockSample() {
    // A rest pattern with one hit: the hit lands on the clock edge of its step at every block size.
    for (int blockSize : kBlockSizes) {
        OfflineRenderer r{48000.0, blockSize};
        buildGroove(r, 150.0, "...x", "clock.step");
        auto out = r.renderFrames(96000);
        CHRONUS_VERIFY_OK(out);
        const auto clock = risingEdges(out->right);
        const auto hits = risingEdges(out->left);
        QVERIFY(hits.size() >= 4);
        for (std::size_t h = 0; h < hits.size(); ++h)
            QCOMPARE(hits[h], clock[3 + 4 * h]);
    }
}

void TestSequencer::patternTextRoundTrips() {
    engine::PatchGraph g;
    QVERIFY(g.addModule("seq", "sequencer").ok());
    auto applied = g.setText("seq", "pattern", "x..X | x.x. ");
    CHRONUS_VERIFY_OK(applied);
    QCOMPARE(QString::fromStdString(applied.value()), QStringLiteral("x..Xx.x."));
    const engine::PatchNode* node = g.find("seq");
    QCOMPARE(node->params[Sequencer::Length], 8.0);
    QCOMPARE(node->params[Sequencer::FirstStep + 3], double(Sequencer::Accent));
    QCOMPARE(node->params[Sequencer::FirstStep + 9], double(Sequencer::Rest)); // beyond the length: rests
    // A step changed as a parameter shows in the text.
    QVERIFY(g.setParam("seq", "step2", 1).ok());
    QCOMPARE(QString::fromStdString(engine::PatchGraph::textOf(*g.find("seq"), Sequencer::Pattern)),
             QStringLiteral("xx.Xx.x."));
    // Notes come back as the shortest list that repeats into every step, spelled as written.
    CHRONUS_VERIFY_OK(g.setText("seq", "notes", "C2 C2 eb2 G1"));
    QCOMPARE(QString::fromStdString(engine::PatchGraph::textOf(*g.find("seq"), Sequencer::Notes)),
             QStringLiteral("C2 C2 Eb2 G1"));
    CHRONUS_VERIFY_OK(g.setText("seq", "notes", "A1"));
    QCOMPARE(QString::fromStdString(engine::PatchGraph::textOf(*g.find("seq"), Sequencer::Notes)),
             QStringLiteral("A1"));
    // The default: four on the floor, A4.
    QVERIFY(g.addModule("fresh", "sequencer").ok());
    QCOMPARE(QString::fromStdString(engine::PatchGraph::textOf(*g.find("fresh"), Sequencer::Pattern)),
             QStringLiteral("x...x...x...x..."));
    QCOMPARE(QString::fromStdString(engine::PatchGraph::textOf(*g.find("fresh"), Sequencer::Notes)),
             QStringLiteral("A4"));
}

void TestSequencer::badTextIsRefusedWithTheReason() {
    engine::PatchGraph g;
    QVERIFY(g.addModule("seq", "sequencer").ok());
    QVERIFY(g.addModule("osc", "saw").ok());
    const engine::PatchGraph before = g;
    const auto expectError = [&](const char* module, const char* name, const std::string& text, const char* words) {
        auto r = g.setText(module, name, text);
        QVERIFY(!r.ok());
        QVERIFY2(r.status().message().find(words) != std::string::npos, r.status().message().c_str());
    };
    expectError("seq", "pattern", "x.y.", "'y' at position 3");
    expectError("seq", "pattern", "", "no steps");
    expectError("seq", "pattern", std::string(65, 'x'), "more than 64 steps");
    expectError("seq", "notes", "C2 H2", "'H2' is not a note");
    expectError("seq", "notes", "200", "'200' is not a note");
    expectError("seq", "notes", "C10", "'C10' is not a note");
    expectError("seq", "notes", "-5hz", "is not a note");
    expectError("seq", "rhythm", "x...", "parameters: length, gate, transpose, pattern, notes");
    expectError("seq", "gate", "x...", "takes a number");
    expectError("osc", "pattern", "x...", "has no parameter 'pattern'");
    expectError("nobody", "pattern", "x...", "no module 'nobody'");
    QVERIFY(g == before); // nothing half-applied
    auto numeric = g.setParam("seq", "pattern", 1.0);
    QVERIFY(!numeric.ok());
    QVERIFY(numeric.status().message().find("takes text") != std::string::npos);
}

void TestSequencer::notesParseAsNamesMidiAndHz() {
    QCOMPARE(Sequencer::parseNote("A4").value_or(-1), 69.0);
    QCOMPARE(Sequencer::parseNote("C4").value_or(-1), 60.0);
    QCOMPARE(Sequencer::parseNote("c2").value_or(-1), 36.0);
    QCOMPARE(Sequencer::parseNote("D#2").value_or(-1), 39.0);
    QCOMPARE(Sequencer::parseNote("Eb1").value_or(-1), 27.0);
    QCOMPARE(Sequencer::parseNote("C-1").value_or(-1), 0.0);
    QCOMPARE(Sequencer::parseNote("G9").value_or(-1), 127.0);
    QCOMPARE(Sequencer::parseNote("36").value_or(-1), 36.0);
    QVERIFY(std::fabs(Sequencer::parseNote("55hz").value_or(-1) - 33.0) < 1e-9);
    QVERIFY(std::fabs(Sequencer::parseNote("100Hz").value_or(-1) - (69.0 + 12.0 * std::log2(100.0 / 440.0))) < 1e-9);
    QVERIFY(!Sequencer::parseNote("B#9"));
    QVERIFY(!Sequencer::parseNote("x"));
    QVERIFY(!Sequencer::parseNote("4.5.6"));
    QCOMPARE(QString::fromStdString(Sequencer::noteName(36.0)), QStringLiteral("C2"));
    QCOMPARE(QString::fromStdString(Sequencer::noteName(70.0)), QStringLiteral("A#4"));
    // A tuning in Hz keeps its frequency through the text form, exactly.
    const double midi = *Sequencer::parseNote("100hz");
    QCOMPARE(*Sequencer::parseNote(Sequencer::noteName(midi)), midi);
}

// A note reads back as it was written wherever that is a valid spelling: Ab1 stays Ab1 (not G#1),
// E# and Cb keep their letter, MIDI numbers and Hz stay numbers; only the letter's case and `s`
// for sharp are normalised. The pitch is the same whichever way it is written.
void TestSequencer::notesKeepTheirSpelling() {
    engine::PatchGraph g;
    QVERIFY(g.addModule("seq", "sequencer").ok());
    const auto roundTrip = [&](const char* text) {
        auto applied = g.setText("seq", "notes", text);
        return applied ? QString::fromStdString(applied.value())
                       : QString::fromStdString(applied.status().message());
    };
    QCOMPARE(roundTrip("F1 F1 F2 F1 F1 Ab1 F1 C2 F1 F1 Eb2 F1 F1 C2 F1 Ab1"),
             QStringLiteral("F1 F1 F2 F1 F1 Ab1 F1 C2 F1 F1 Eb2 F1 F1 C2 F1 Ab1"));
    QCOMPARE(roundTrip("Ab1 G#1 Db3 C#3"), QStringLiteral("Ab1 G#1 Db3 C#3"));
    QCOMPARE(roundTrip("E#3 Cb4 B#3 Fb2"), QStringLiteral("E#3 Cb4 B#3 Fb2"));
    QCOMPARE(roundTrip("ab1 ds2 bb2"), QStringLiteral("Ab1 D#2 Bb2"));
    QCOMPARE(roundTrip("36 40.25 55hz 100Hz 261.5hz"), QStringLiteral("36 40.25 55hz 100hz 261.5hz"));
    // Enharmonic spellings are the same note; only the text differs.
    CHRONUS_VERIFY_OK(g.setText("seq", "notes", "Ab1 G#1 44 51.9130871975hz"));
    const engine::PatchNode& node = *g.find("seq");
    QCOMPARE(node.params[Sequencer::FirstNote + 0], 32.0);
    QCOMPARE(node.params[Sequencer::FirstNote + 1], 32.0);
    QCOMPARE(node.params[Sequencer::FirstNote + 2], 44.0);
    QVERIFY(std::fabs(node.params[Sequencer::FirstNote + 3] - 32.0) < 1e-6);
    // The text is the shortest list that repeats: spellings count, so "Ab1 G#1" is two notes.
    QCOMPARE(roundTrip("Ab1 Ab1 Ab1 Ab1"), QStringLiteral("Ab1"));
    QCOMPARE(roundTrip("Ab1 G#1 Ab1 G#1"), QStringLiteral("Ab1 G#1"));
    // Every note name from C-1 to G9, each spelling: it reads back as written.
    static constexpr const char* kLetters[] = {"C", "D", "E", "F", "G", "A", "B"};
    for (int octave = -1; octave <= 9; ++octave)
        for (const char* letter : kLetters)
            for (const char* accidental : {"", "#", "b"}) {
                const std::string name = std::string(letter) + accidental + std::to_string(octave);
                if (!Sequencer::parseNote(name))
                    continue; // beyond 0-127 (Cb-1, G#9, ...)
                QCOMPARE(roundTrip(name.c_str()), QString::fromStdString(name));
            }
}

void TestSequencer::pitchAndAccentFollowTheSteps() {
    // Into a saw at 440 Hz through `fm`, the notes play in tune; accents show on their steps only.
    constexpr double sampleRate = 48000.0, bpm = 120.0;
    const double step = samplesPerStep(bpm, sampleRate);
    OfflineRenderer r{sampleRate, 64};
    buildGroove(r, bpm, "x.X.", "seq.accent");
    CHRONUS_VERIFY_OK(r.graph().setText("seq", "notes", "A2 A2 E3 E3"));
    auto out = r.renderFrames(static_cast<std::size_t>(step * 8));
    CHRONUS_VERIFY_OK(out);
    const auto hits = risingEdges(out->left);
    QCOMPARE(hits.size(), std::size_t(4));
    QCOMPARE(out->right[hits[0] + 10], 0.0f);
    QCOMPARE(out->right[hits[1] + 10], 1.0f);
    QCOMPARE(out->right[static_cast<std::size_t>(step * 3.5)], 0.0f); // the rest after an accent
    // Pitch: the same groove, the pitch output on the right.
    OfflineRenderer p{sampleRate, 64};
    buildGroove(p, bpm, "x.X.");
    CHRONUS_VERIFY_OK(p.graph().setText("seq", "notes", "A2 A2 E3 E3"));
    CHRONUS_VERIFY_OK(p.graph().setParam("seq", "transpose", 12));
    auto pitch = p.renderFrames(static_cast<std::size_t>(step * 4));
    CHRONUS_VERIFY_OK(pitch);
    QCOMPARE(pitch->right[static_cast<std::size_t>(step * 1.5)], static_cast<float>((45 + 12 - 69) / 12.0));
    QCOMPARE(pitch->right[static_cast<std::size_t>(step * 3.5)], static_cast<float>((52 + 12 - 69) / 12.0));
    // And a saw at 440 Hz fed that pitch plays A3 = 220 Hz.
    OfflineRenderer s{sampleRate, 64};
    QVERIFY(s.graph().addModule("osc", "saw").ok());
    buildGroove(s, bpm, "x", "osc");
    QVERIFY(s.graph().connect("seq.pitch", "osc.fm").ok());
    CHRONUS_VERIFY_OK(s.graph().setText("seq", "notes", "A3"));
    auto tone = s.renderFrames(48000);
    CHRONUS_VERIFY_OK(tone);
    const std::span<const float> settled = std::span<const float>(tone->right).subspan(4800);
    QVERIFY(std::fabs(centsBetween(estimateFrequency(settled, sampleRate), 220.0)) < 5.0);
}

void TestSequencer::differentLengthsArePolymetric() {
    // Three steps against four on one clock: they meet again every 12 steps.
    constexpr double sampleRate = 48000.0, bpm = 160.0;
    const double step = samplesPerStep(bpm, sampleRate);
    OfflineRenderer r{sampleRate, 37};
    auto& g = r.graph();
    QVERIFY(g.addModule("clock", "clock").ok());
    QVERIFY(g.setParam("clock", "bpm", bpm).ok());
    QVERIFY(g.addModule("three", "sequencer").ok());
    QVERIFY(g.addModule("four", "sequencer").ok());
    CHRONUS_VERIFY_OK(g.setText("three", "pattern", "x.."));
    CHRONUS_VERIFY_OK(g.setText("four", "pattern", "x..."));
    QVERIFY(g.connect("clock.step", "three.clock").ok());
    QVERIFY(g.connect("clock.step", "four.clock").ok());
    QVERIFY(g.connect("three.gate", "out.left").ok());
    QVERIFY(g.connect("four.gate", "out.right").ok());
    auto out = r.renderFrames(static_cast<std::size_t>(step * 48) - 10);
    CHRONUS_VERIFY_OK(out);
    const auto three = risingEdges(out->left), four = risingEdges(out->right);
    QCOMPARE(three.size(), std::size_t(16));
    QCOMPARE(four.size(), std::size_t(12));
    std::vector<std::size_t> together;
    for (std::size_t t : three)
        if (std::find(four.begin(), four.end(), t) != four.end())
            together.push_back(t);
    QCOMPARE(together.size(), std::size_t(4));
    for (std::size_t k = 0; k < together.size(); ++k)
        QVERIFY(std::fabs(static_cast<double>(together[k]) - 12.0 * step * static_cast<double>(k)) < 1.0);
}

void TestSequencer::resetRestartsAtStepOne() {
    // The clock's bar output resets a 3-step sequencer: every bar starts at step 1 (x), so the
    // pattern x.. over 16 steps hits at 0, 3, 6, 9, 12, 15 and at 16 again (not 18).
    constexpr double sampleRate = 48000.0, bpm = 120.0;
    const double step = samplesPerStep(bpm, sampleRate);
    OfflineRenderer r{sampleRate, 64};
    buildGroove(r, bpm, "x..", "clock.bar");
    QVERIFY(r.graph().connect("clock.bar", "seq.reset").ok());
    auto out = r.renderFrames(static_cast<std::size_t>(step * 32) - 10);
    CHRONUS_VERIFY_OK(out);
    const auto hits = risingEdges(out->left);
    std::vector<long> steps;
    for (std::size_t h : hits)
        steps.push_back(std::lround(static_cast<double>(h) / step));
    QCOMPARE(steps, (std::vector<long>{0, 3, 6, 9, 12, 15, 16, 19, 22, 25, 28, 31}));
}

void TestSequencer::clockRunStopsAndResumes() {
    constexpr double sampleRate = 48000.0;
    const double step = samplesPerStep(120.0, sampleRate);
    OfflineRenderer r{sampleRate, 64};
    buildGroove(r, 120.0, "x", "clock.step");
    auto running = r.renderFrames(static_cast<std::size_t>(step * 4) - 10);
    CHRONUS_VERIFY_OK(running);
    QCOMPARE(risingEdges(running->right).size(), std::size_t(4));
    CHRONUS_VERIFY_OK(r.setParam("clock", "run", 0));
    auto stopped = r.renderFrames(static_cast<std::size_t>(step * 4));
    CHRONUS_VERIFY_OK(stopped);
    QVERIFY(risingEdges(stopped->right).empty());
    QCOMPARE(peak(stopped->left), 0.0f);
    CHRONUS_VERIFY_OK(r.setParam("clock", "run", 1));
    auto resumed = r.renderFrames(static_cast<std::size_t>(step * 2));
    CHRONUS_VERIFY_OK(resumed);
    // It resumes where it stopped: the 5th step comes 10 samples in.
    const auto edges = risingEdges(resumed->right);
    QVERIFY(!edges.empty());
    QVERIFY(edges.front() <= 11);
}

} // namespace chronus::test

QTEST_GUILESS_MAIN(chronus::test::TestSequencer)
#include "tst_sequencer.moc"
