// midi_in through a compiled plan, as a slot's render thread plays it: MIDI events handed to the
// plan at frame offsets inside a block reach the right channel's pitch and gate at that very
// sample (the channel read back through `split` into the output), the channel counts follow
// `voices` and `mode`, and the pitch is 1 V/oct from C4, so an oscillator at 261.63 Hz with `fm`
// from it plays the key.

#include "EngineTestUtils.hpp"
#include "engine/Plan.hpp"
#include "engine/modules/MidiIn.hpp"
#include "support/SignalAnalysis.hpp"

#include <QTest>

#include <cmath>
#include <vector>

using namespace chronus::engine;
using namespace chronus::test;

namespace {

MidiEvent message(std::uint8_t status, std::uint8_t d1, std::uint8_t d2, int offset) {
    MidiEvent e;
    e.status = status;
    e.data1 = d1;
    e.data2 = d2;
    e.offset = static_cast<std::uint16_t>(offset);
    return e;
}

// A MIDI event at absolute frame `at` of a render in blocks of `block`.
struct Timed {
    std::int64_t at;
    MidiEvent event;
};

// Renders `frames` of `plan` in blocks, handing each event to `module` before the block that holds
// it, at its offset; returns left and right.
std::pair<std::vector<float>, std::vector<float>> render(Plan& plan, int module, int block, std::int64_t frames,
                                                         std::vector<Timed> events) {
    std::vector<float> left(static_cast<std::size_t>(frames)), right(static_cast<std::size_t>(frames));
    std::size_t next = 0;
    for (std::int64_t at = 0; at < frames; at += block) {
        const int n = static_cast<int>(std::min<std::int64_t>(block, frames - at));
        for (; next < events.size() && events[next].at < at + n; ++next) {
            MidiEvent e = events[next].event;
            e.offset = static_cast<std::uint16_t>(events[next].at - at);
            plan.midi(module, e);
        }
        plan.process(left.data() + at, right.data() + at, n);
    }
    return {left, right};
}

} // namespace

class TestMidiIn : public QObject {
    Q_OBJECT

private slots:
    void channelsFollowVoicesAndMode();
    void eventsLandOnTheirChannelAtTheirSample_data();
    void eventsLandOnTheirChannelAtTheirSample();
    void retriggerDropsTheGateForOneSample();
    void pitchPlaysTheKeyThroughAnOscillator();
    void controllersReachTheMonoOutputs();
};

void TestMidiIn::channelsFollowVoicesAndMode() {
    QCOMPARE(MidiIn::channelsFor(5, MidiIn::Rotate), 5);
    QCOMPARE(MidiIn::channelsFor(16, MidiIn::Reset), 16);
    QCOMPARE(MidiIn::channelsFor(16, MidiIn::Mono), 1);
    QCOMPARE(MidiIn::channelsFor(7, MidiIn::Legato), 1);
    QCOMPARE(MidiIn::kType.takesMidi, kMidiChannel); // no clock ticks in its queue
    QVERIFY(MidiIn::kParams[MidiIn::Voices].flags & ParamStructural);
    QVERIFY(MidiIn::kParams[MidiIn::Mode].flags & ParamStructural);
}

void TestMidiIn::eventsLandOnTheirChannelAtTheirSample_data() {
    QTest::addColumn<int>("block");
    QTest::addRow("64") << 64;
    QTest::addRow("37") << 37; // odd sizes catch block-boundary bugs
}

void TestMidiIn::eventsLandOnTheirChannelAtTheirSample() {
    QFETCH(int, block);
    // Channel 2 (the third key, rotate mode) of gate to the left, of pitch to the right.
    PatchGraph g;
    CHRONUS_VERIFY_OK(g.addModule("keys", "midi_in"));
    CHRONUS_VERIFY_OK(g.setParam("keys", "voices", 4));
    CHRONUS_VERIFY_OK(g.addModule("gates", "split"));
    CHRONUS_VERIFY_OK(g.addModule("pitches", "split"));
    CHRONUS_VERIFY_OK(g.connect("keys.gate", "gates.in"));
    CHRONUS_VERIFY_OK(g.connect("keys.pitch", "pitches.in"));
    CHRONUS_VERIFY_OK(g.connect("gates.out3", "out.left"));
    CHRONUS_VERIFY_OK(g.connect("pitches.out3", "out.right"));
    auto plan = Plan::compile(g, {48000.0, block});
    CHRONUS_VERIFY_OK(plan);
    const int keys = plan.value()->moduleIndex("keys");
    const auto [gate, pitch] = render(*plan.value(), keys, block, 1000,
                                      {{10, message(0x90, 60, 100, 0)},
                                       {11, message(0x90, 62, 100, 0)},
                                       {333, message(0x90, 72, 100, 0)},  // the third key: channel 2
                                       {700, message(0x80, 62, 0, 0)},    // another channel's note-off
                                       {801, message(0x80, 72, 0, 0)}});
    for (std::int64_t i = 0; i < 1000; ++i) {
        const bool expectHigh = i >= 333 && i < 801;
        QVERIFY2((gate[static_cast<std::size_t>(i)] > 0.5f) == expectHigh, qPrintable(QStringLiteral("frame %1").arg(i)));
        if (i >= 333)
            QCOMPARE(pitch[static_cast<std::size_t>(i)], 1.0f); // key 72: one octave above C4
        else
            QCOMPARE(pitch[static_cast<std::size_t>(i)], 0.0f);
    }
}

void TestMidiIn::retriggerDropsTheGateForOneSample() {
    PatchGraph g;
    CHRONUS_VERIFY_OK(g.addModule("keys", "midi_in"));
    CHRONUS_VERIFY_OK(g.setParam("keys", "mode", MidiIn::Mono));
    CHRONUS_VERIFY_OK(g.connect("keys.gate", "out.left"));
    auto plan = Plan::compile(g, {48000.0, 64});
    CHRONUS_VERIFY_OK(plan);
    const auto [gate, unused] = render(*plan.value(), plan.value()->moduleIndex("keys"), 64, 300,
                                       {{5, message(0x90, 60, 100, 0)}, {100, message(0x90, 64, 100, 0)}});
    QVERIFY(gate[4] < 0.5f && gate[5] > 0.5f && gate[99] > 0.5f);
    QVERIFY(gate[100] < 0.5f); // a new key in mono: the envelope starts again
    QVERIFY(gate[101] > 0.5f && gate[299] > 0.5f);
}

void TestMidiIn::pitchPlaysTheKeyThroughAnOscillator() {
    PatchGraph g;
    CHRONUS_VERIFY_OK(g.addModule("keys", "midi_in"));
    CHRONUS_VERIFY_OK(g.setParam("keys", "voices", 1));
    CHRONUS_VERIFY_OK(g.addModule("osc", "sine"));
    CHRONUS_VERIFY_OK(g.setParam("osc", "freq", 261.63));
    CHRONUS_VERIFY_OK(g.connect("keys.pitch", "osc.fm"));
    CHRONUS_VERIFY_OK(g.connect("osc", "out.left"));
    auto plan = Plan::compile(g, {48000.0, 64});
    CHRONUS_VERIFY_OK(plan);
    // A4 (key 69): 440 Hz.
    const auto [left, unused] =
        render(*plan.value(), plan.value()->moduleIndex("keys"), 64, 48000, {{0, message(0x90, 69, 100, 0)}});
    const double hz = estimateFrequency(std::vector<float>(left.begin() + 4800, left.end()), 48000.0);
    QVERIFY2(std::abs(hz - 440.0) < 0.5, qPrintable(QString::number(hz)));
}

void TestMidiIn::controllersReachTheMonoOutputs() {
    PatchGraph g;
    CHRONUS_VERIFY_OK(g.addModule("keys", "midi_in"));
    CHRONUS_VERIFY_OK(g.setParam("keys", "bend", 12));
    CHRONUS_VERIFY_OK(g.connect("keys.mod", "out.left"));
    CHRONUS_VERIFY_OK(g.connect("keys.bend", "out.right"));
    auto plan = Plan::compile(g, {48000.0, 64});
    CHRONUS_VERIFY_OK(plan);
    const auto [mod, bend] = render(*plan.value(), plan.value()->moduleIndex("keys"), 64, 200,
                                    {{50, message(0xB0, 1, 127, 0)}, {70, message(0xE0, 0x7F, 0x7F, 0)}});
    QCOMPARE(mod[49], 0.0f);
    QCOMPARE(mod[50], 1.0f);
    QCOMPARE(bend[69], 0.0f);
    QCOMPARE(bend[70], 1.0f);
}

QTEST_APPLESS_MAIN(TestMidiIn)
#include "tst_midi_in.moc"
