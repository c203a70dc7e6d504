// The clock following MIDI (`source` midi) through a compiled plan, as a slot's render thread plays
// it: a synthetic timing clock (F8, 24 a beat) with start, stop, continue and song position handed
// to the plan at their frames. Steps, beats and bars rise on the sample of the tick they fall on,
// the tempo output follows the tick spacing, a stopped or late clock holds the music, and a clock
// left on `internal` renders the same with or without MIDI coming in.

#include "EngineTestUtils.hpp"
#include "engine/Plan.hpp"
#include "engine/modules/Clock.hpp"

#include <QTest>

#include <cmath>
#include <utility>
#include <vector>

using namespace chronus::engine;
using namespace chronus::test;

namespace {

constexpr double kRate = 48000.0;

struct Timed {
    std::int64_t at;
    MidiEvent event;
};

MidiEvent message(std::uint8_t status, std::uint8_t d1 = 0, std::uint8_t d2 = 0) {
    MidiEvent e;
    e.status = status;
    e.data1 = d1;
    e.data2 = d2;
    return e;
}

// The frame of tick `n` of a clock at `bpm` whose tick 0 is at `first`: the exact time rounded to a
// sample, as a device's frame clock stamps it (at 175 BPM the spacing alternates 685 and 686).
std::int64_t tickFrame(double bpm, std::int64_t first, std::int64_t n) {
    return first + std::llround(static_cast<double>(n) * 60.0 / bpm / Clock::kTicksPerBeat * kRate);
}

void addTicks(std::vector<Timed>& events, double bpm, std::int64_t first, std::int64_t from, std::int64_t to) {
    for (std::int64_t n = from; n < to; ++n)
        events.push_back({tickFrame(bpm, first, n), message(MidiEvent::kClock)});
}

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

// A clock (params `params`) with `left` and `right` of its outputs on the output; renders `frames`
// in blocks of `block`, handing each event to the clock before the block that holds it, at its
// offset (events sorted by frame).
std::pair<std::vector<float>, std::vector<float>> render(std::vector<std::pair<const char*, double>> params,
                                                         const char* left, const char* right, int block,
                                                         std::int64_t frames, std::vector<Timed> events) {
    std::stable_sort(events.begin(), events.end(), [](const Timed& a, const Timed& b) { return a.at < b.at; });
    const auto ok = [](const auto& status) { // fails the test with the engine's message
        if (!status.ok())
            QTest::qFail(statusText(status).constData(), __FILE__, __LINE__);
        return status.ok();
    };
    PatchGraph g;
    if (!ok(g.addModule("clock", "clock")))
        return {};
    for (const auto& [id, value] : params)
        if (!ok(g.setParam("clock", id, value)))
            return {};
    if (!ok(g.connect(std::string("clock.") + left, "out.left")) || !ok(g.connect(std::string("clock.") + right, "out.right")))
        return {};
    auto compiled = Plan::compile(g, {kRate, block});
    if (!ok(compiled))
        return {};
    Plan& plan = *compiled.value();
    plan.restartTransport(); // as a slot does after the warm-up
    const int clock = plan.moduleIndex("clock");
    std::vector<float> l(static_cast<std::size_t>(frames)), r(static_cast<std::size_t>(frames));
    std::size_t next = 0;
    for (std::int64_t at = 0; at < frames; at += block) {
        const int n = static_cast<int>(std::min<std::int64_t>(block, frames - at));
        for (; next < events.size() && events[next].at < at + n; ++next) {
            MidiEvent e = events[next].event;
            e.offset = static_cast<std::uint16_t>(events[next].at - at);
            plan.midi(clock, e);
        }
        plan.process(l.data() + at, r.data() + at, n);
    }
    return {l, r};
}

std::vector<std::size_t> frames(std::vector<std::int64_t> f) { return {f.begin(), f.end()}; }

} // namespace

class TestMidiClock : public QObject {
    Q_OBJECT

private slots:
    void transportIsCarriedToTheClock();
    void stepsBeatsAndBarsLandOnTheirTicks_data();
    void stepsBeatsAndBarsLandOnTheirTicks();
    void tempoAndGateFollowTheTickSpacing_data();
    void tempoAndGateFollowTheTickSpacing();
    void startStopContinueAndSongPosition();
    void aLateClockHoldsTheMusic();
    void tempoChangeKeepsStepsOnTicks();
    void swungStepsLandBetweenTicksAtTheTempo();
    void internalSourceIgnoresMidi();
    void switchedToMidiMidSongGoesOnFromTheSong();
};

void TestMidiClock::transportIsCarriedToTheClock() {
    QCOMPARE(Clock::kType.takesMidi, kMidiTransport); // the transport only: no notes in its queue
    QCOMPARE(Clock::kType.findParam("source"), ParamIndex{Clock::Source});
    QCOMPARE(Clock::kParams[Clock::Source].def, 0.0f); // internal: existing patches unchanged
}

void TestMidiClock::stepsBeatsAndBarsLandOnTheirTicks_data() {
    QTest::addColumn<double>("bpm");
    QTest::addColumn<int>("block");
    QTest::addRow("120/64") << 120.0 << 64;
    QTest::addRow("120/37") << 120.0 << 37; // odd sizes catch block-boundary bugs
    QTest::addRow("175/64") << 175.0 << 64;
    QTest::addRow("175/37") << 175.0 << 37;
}

void TestMidiClock::stepsBeatsAndBarsLandOnTheirTicks() {
    QFETCH(double, bpm);
    QFETCH(int, block);
    // Start at frame 300, its first tick at 301; two bars of ticks (4/4: 192 ticks).
    constexpr std::int64_t kFirst = 301;
    constexpr int kTicks = 2 * 4 * Clock::kTicksPerBeat;
    std::vector<Timed> events{{300, message(MidiEvent::kStart)}};
    addTicks(events, bpm, kFirst, 0, kTicks);
    const std::int64_t length = tickFrame(bpm, kFirst, kTicks) + 10;
    std::vector<std::int64_t> steps, beats, bars;
    for (int n = 0; n < kTicks; n += 6)
        steps.push_back(tickFrame(bpm, kFirst, n));
    for (int n = 0; n < kTicks; n += 24)
        beats.push_back(tickFrame(bpm, kFirst, n));
    for (int n = 0; n < kTicks; n += 96)
        bars.push_back(tickFrame(bpm, kFirst, n));

    const auto [step, beat] = render({{"source", Clock::Midi}}, "step", "beat", block, length, events);
    QCOMPARE(risingEdges(step), frames(steps));
    QCOMPARE(risingEdges(beat), frames(beats));
    const auto [bar, reset] = render({{"source", Clock::Midi}}, "bar", "reset", block, length, events);
    QCOMPARE(risingEdges(bar), frames(bars));
    QCOMPARE(risingEdges(reset), frames({kFirst})); // the first step after the start

    // Eighths (division 1/8): every 12 ticks.
    const auto [eighth, unused] = render({{"source", Clock::Midi}, {"division", 1}}, "step", "bar", block, length, events);
    std::vector<std::int64_t> eighths;
    for (int n = 0; n < kTicks; n += 12)
        eighths.push_back(tickFrame(bpm, kFirst, n));
    QCOMPARE(risingEdges(eighth), frames(eighths));
}

void TestMidiClock::tempoAndGateFollowTheTickSpacing_data() {
    QTest::addColumn<double>("bpm");
    QTest::addRow("120") << 120.0;
    QTest::addRow("175") << 175.0;
}

void TestMidiClock::tempoAndGateFollowTheTickSpacing() {
    QFETCH(double, bpm);
    std::vector<Timed> events{{0, message(MidiEvent::kStart)}};
    addTicks(events, bpm, 10, 0, 4 * Clock::kTicksPerBeat);
    const std::int64_t length = tickFrame(bpm, 10, 4 * Clock::kTicksPerBeat);
    // `bpm` 60 stands in until two ticks came; then the ticks' tempo, whatever the param says.
    const auto [tempo, step] = render({{"source", Clock::Midi}, {"bpm", 60.0}}, "tempo", "step", 64, length, events);
    QCOMPARE(tempo[5], 1.0f);
    // After one beat the mean spacing is the tempo to the rounding of the tick frames.
    for (std::int64_t i = tickFrame(bpm, 10, 24); i < length; ++i)
        QVERIFY2(std::fabs(static_cast<double>(tempo[static_cast<std::size_t>(i)]) - bpm / 60.0) < 1e-3 * bpm / 60.0,
                 qPrintable(QStringLiteral("frame %1: %2").arg(i).arg(tempo[static_cast<std::size_t>(i)])));
    // Gates half a step long (the default `gate`), placed by that tempo between the ticks.
    const double stepFrames = 60.0 / bpm / 4.0 * kRate;
    const std::vector<std::size_t> edges = risingEdges(step);
    QVERIFY(edges.size() >= 8);
    for (std::size_t k = 4; k < edges.size(); ++k) { // after the first beat
        std::size_t high = 0;
        while (edges[k] + high < step.size() && step[edges[k] + high] > 0.5f)
            ++high;
        QVERIFY2(std::fabs(static_cast<double>(high) - 0.5 * stepFrames) <= 1.0,
                 qPrintable(QStringLiteral("step %1 high %2 frames").arg(k).arg(high)));
    }
}

void TestMidiClock::startStopContinueAndSongPosition() {
    // 120 BPM: a tick every 1000 frames, running from frame 0 whatever the transport (devices do).
    constexpr double kBpm = 120.0;
    std::vector<Timed> events;
    addTicks(events, kBpm, 0, 0, 200);
    // Ticks while stopped fire nothing. Start at 10'500: the tick at 11'000 is the song's first.
    events.push_back({10'500, message(MidiEvent::kStart)});
    // Stop after the tick at 41'000 (song tick 30): steps at song ticks 0, 6, ..., 30.
    events.push_back({41'500, message(MidiEvent::kStop)});
    // Continue from where it stopped: the next tick is song tick 31, the next step at 36 (tick
    // frame 62'000 + 5'000).
    events.push_back({61'500, message(MidiEvent::kContinue)});
    // Stop after song tick 40 (frame 71'000), move to sixteenth 8 (tick 48: the third beat) and
    // continue at 90'500: the tick at 91'000 is song tick 48, a beat, not a bar.
    events.push_back({71'500, message(MidiEvent::kStop)});
    events.push_back({80'000, message(MidiEvent::kSongPosition, 8, 0)});
    events.push_back({90'500, message(MidiEvent::kContinue)});
    // Start again at 120'500: from the top, a bar at 121'000.
    events.push_back({120'500, message(MidiEvent::kStart)});

    const auto [step, bar] = render({{"source", Clock::Midi}}, "step", "bar", 64, 140'000, events);
    QCOMPARE(risingEdges(step), frames({11'000, 17'000, 23'000, 29'000, 35'000, 41'000, // started
                                        67'000,                                         // continued: song tick 36
                                        91'000, 97'000, 103'000, 109'000, 115'000,      // from sixteenth 8
                                        121'000, 127'000, 133'000, 139'000}));          // started again
    QCOMPARE(risingEdges(bar), frames({11'000, 121'000}));
    // A stop drops the gates at once.
    QCOMPARE(step[41'500], 0.0f);
    QCOMPARE(step[41'499], 1.0f);
    const auto [beat, reset] = render({{"source", Clock::Midi}}, "beat", "reset", 64, 140'000, events);
    QCOMPARE(risingEdges(beat), frames({11'000, 35'000, 91'000, 115'000, 121'000}));
    QCOMPARE(risingEdges(reset), frames({11'000, 121'000}));
    // Without a start nothing runs.
    std::vector<Timed> ticksOnly;
    addTicks(ticksOnly, kBpm, 0, 0, 50);
    const auto [idle, idleBeat] = render({{"source", Clock::Midi}}, "step", "beat", 64, 50'000, ticksOnly);
    QVERIFY(risingEdges(idle).empty());
    QVERIFY(risingEdges(idleBeat).empty());
}

void TestMidiClock::aLateClockHoldsTheMusic() {
    // Ticks at 120 BPM up to song tick 29, then none for a while, then on again: the step on tick 30
    // waits for that tick instead of firing at the time the tempo says.
    std::vector<Timed> events{{0, message(MidiEvent::kStart)}};
    addTicks(events, 120.0, 1000, 0, 30); // ticks 0..29 at 1000, 2000, ..., 30'000
    for (std::int64_t n = 30; n < 40; ++n)
        events.push_back({50'000 + (n - 30) * 1000, message(MidiEvent::kClock)});
    const auto [step, gate] = render({{"source", Clock::Midi}, {"gate", 0.95}}, "step", "step", 64, 60'000, events);
    QCOMPARE(risingEdges(step), frames({1000, 7000, 13'000, 19'000, 25'000, 50'000, 56'000}));
}

void TestMidiClock::tempoChangeKeepsStepsOnTicks() {
    // Two beats at 120 BPM, then the device moves to 175 BPM mid-bar.
    std::vector<Timed> events{{0, message(MidiEvent::kStart)}};
    addTicks(events, 120.0, 100, 0, 48); // ticks 0..47
    const std::int64_t change = tickFrame(120.0, 100, 48);
    addTicks(events, 175.0, change, 0, 96); // song ticks 48..143
    const std::int64_t length = tickFrame(175.0, change, 96);
    const auto [step, tempo] = render({{"source", Clock::Midi}}, "step", "tempo", 37, length, events);
    std::vector<std::int64_t> steps;
    for (int n = 0; n < 48; n += 6)
        steps.push_back(tickFrame(120.0, 100, n));
    for (int n = 0; n < 96; n += 6)
        steps.push_back(tickFrame(175.0, change, n));
    QCOMPARE(risingEdges(step), frames(steps));
    QCOMPARE(tempo[static_cast<std::size_t>(change - 1)], 2.0f); // 120 BPM
    // Between the tempos while the last beat's ticks mix them; 175 once a beat at it has passed.
    const float mid = tempo[static_cast<std::size_t>(tickFrame(175.0, change, 12))];
    QVERIFY(mid > 2.0f && mid < 175.0f / 60.0f);
    for (std::int64_t i = tickFrame(175.0, change, 24); i < length; ++i)
        QVERIFY(std::fabs(static_cast<double>(tempo[static_cast<std::size_t>(i)]) - 175.0 / 60.0) < 1e-3);
}

void TestMidiClock::swungStepsLandBetweenTicksAtTheTempo() {
    // Swing 0.25 at 120 BPM (sixteenths of 6 ticks = 6000 frames): every second step 1.5 ticks
    // (1500 frames) late, between two ticks; the others on their ticks.
    std::vector<Timed> events{{0, message(MidiEvent::kStart)}};
    addTicks(events, 120.0, 1000, 0, 96);
    const auto [step, unused] = render({{"source", Clock::Midi}, {"swing", 0.25}}, "step", "bar", 64, 97'000, events);
    const std::vector<std::size_t> edges = risingEdges(step);
    QCOMPARE(edges.size(), std::size_t(16));
    for (std::size_t k = 0; k < edges.size(); ++k) {
        const double expected = 1000.0 + 6000.0 * static_cast<double>(k) + ((k & 1) ? 1500.0 : 0.0);
        QVERIFY2(std::fabs(static_cast<double>(edges[k]) - expected) <= (k < 4 ? 1.0 : 0.0),
                 qPrintable(QStringLiteral("step %1 at %2, expected %3").arg(k).arg(edges[k]).arg(expected)));
    }
}

void TestMidiClock::internalSourceIgnoresMidi() {
    std::vector<Timed> events{{0, message(MidiEvent::kStart)}, {500, message(MidiEvent::kStop)}};
    addTicks(events, 97.0, 20, 0, 100);
    const auto with = render({{"bpm", 133.0}, {"swing", 0.2}}, "step", "tempo", 37, 60'000, events);
    const auto without = render({{"bpm", 133.0}, {"swing", 0.2}}, "step", "tempo", 37, 60'000, {});
    QVERIFY(!risingEdges(with.first).empty());
    QVERIFY(with.first == without.first);
    QVERIFY(with.second == without.second);
}

void TestMidiClock::switchedToMidiMidSongGoesOnFromTheSong() {
    // The clock runs on its own at 100 BPM (7200 frames a step) while a MIDI song started at frame
    // 1000 ticks at 120 BPM (a tick every 1000). Switched to midi at frame 30'720 (after song tick
    // 29), it steps on song ticks 30, 36, 42: frames 31'000, 37'000, 43'000; no new start needed.
    PatchGraph g;
    CHRONUS_VERIFY_OK(g.addModule("clock", "clock"));
    CHRONUS_VERIFY_OK(g.setParam("clock", "bpm", 100.0));
    CHRONUS_VERIFY_OK(g.connect("clock.step", "out.left"));
    auto compiled = Plan::compile(g, {kRate, 64});
    CHRONUS_VERIFY_OK(compiled);
    Plan& plan = *compiled.value();
    plan.restartTransport();
    const int clock = plan.moduleIndex("clock");
    std::vector<Timed> events{{1000, message(MidiEvent::kStart)}};
    addTicks(events, 120.0, 1000, 0, 48);
    constexpr std::int64_t kFrames = 48'000, kSwitch = 30'720;
    std::vector<float> left(kFrames), right(kFrames);
    std::size_t next = 0;
    for (std::int64_t at = 0; at < kFrames; at += 64) {
        if (at == kSwitch)
            plan.setParam(clock, Clock::Source, Clock::Midi);
        for (; next < events.size() && events[next].at < at + 64; ++next) {
            MidiEvent e = events[next].event;
            e.offset = static_cast<std::uint16_t>(events[next].at - at);
            plan.midi(clock, e);
        }
        plan.process(left.data() + at, right.data() + at, 64);
    }
    std::vector<std::size_t> before, after;
    for (std::size_t e : risingEdges(left))
        (e < static_cast<std::size_t>(kSwitch) ? before : after).push_back(e);
    QCOMPARE(before, frames({0, 7200, 14'400, 21'600, 28'800})); // its own tempo until then
    QCOMPARE(after, frames({31'000, 37'000, 43'000}));
}

QTEST_APPLESS_MAIN(TestMidiClock)
#include "tst_midi_clock.moc"
