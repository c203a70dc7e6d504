// The midi_out module: a gate's edges on its cable channel's MIDI channel at the key of its pitch,
// each at its sample, through Module::midiOut and a compiled plan (Plan::midiOut, blocks split and
// joined); the clock's ticks at the tempo with start and stop; a new plan's transport (after its
// warm-up) sends the held notes and start again at its first sample.

#include "engine/Module.hpp"
#include "engine/ModuleRegistry.hpp"
#include "engine/PatchGraph.hpp"
#include "engine/Plan.hpp"
#include "engine/modules/MidiOut.hpp"
#include "ModuleDriver.hpp"

#include <QTest>

#include <vector>

using namespace chronus::engine;

namespace {

struct Sent {
    int status, data1, data2;
    std::int64_t frame;
    bool operator==(const Sent&) const = default;
};

char* toStringSent(const std::vector<Sent>& v) {
    QByteArray s;
    for (const Sent& e : v)
        s += QByteArray::number(e.status, 16) + " " + QByteArray::number(e.data1) + " " + QByteArray::number(e.data2) +
             " @" + QByteArray::number(static_cast<qlonglong>(e.frame)) + "; ";
    return qstrdup(s.constData());
}

// Runs the driver one block at a time and collects what midiOut() gives after each.
std::vector<Sent> drive(chronus::test::ModuleDriver& d, int blocks, int blockSize, std::int64_t& frame) {
    std::vector<Sent> out;
    for (int b = 0; b < blocks; ++b) {
        d.run(static_cast<std::size_t>(blockSize));
        MidiOutBlock block;
        d.module().midiOut(block, 0);
        for (int i = 0; i < block.count; ++i) {
            const MidiEvent& e = block.events[static_cast<std::size_t>(i)];
            out.push_back({e.status, e.data1, e.data2, frame + e.offset});
        }
        frame += blockSize;
    }
    return out;
}

// Renders `calls` process() calls of `frames` each, collecting Plan::midiOut at output frames.
std::vector<Sent> render(Plan& plan, int calls, int frames) {
    std::vector<float> left(static_cast<std::size_t>(frames)), right(left.size());
    std::vector<Sent> out;
    for (int c = 0; c < calls; ++c) {
        plan.process(left.data(), right.data(), frames);
        const MidiOutBlock& block = plan.midiOut();
        for (int i = 0; i < block.count; ++i) {
            const MidiEvent& e = block.events[static_cast<std::size_t>(i)];
            out.push_back({e.status, e.data1, e.data2, std::int64_t{c} * frames + e.offset});
        }
    }
    return out;
}

} // namespace

#define COMPARE_SENT(actual, expected)                                                                                 \
    do {                                                                                                               \
        const auto a_ = (actual);                                                                                      \
        const auto e_ = (expected);                                                                                    \
        if (a_ != e_) {                                                                                                \
            char* as = toStringSent(a_);                                                                               \
            char* es = toStringSent(e_);                                                                               \
            qWarning("actual:   %s\nexpected: %s", as, es);                                                            \
            delete[] as;                                                                                               \
            delete[] es;                                                                                               \
            QFAIL("MIDI sent differs");                                                                                \
        }                                                                                                              \
    } while (false)

class TestMidiOut : public QObject {
    Q_OBJECT

private slots:
    void registeredAsMakingMidi();
    void gateEdgesAreNotesAtTheirSamples();
    void polyCableChannelsPlayTheirMidiChannels();
    void clockTicksThroughAPlanOnTheirFrames();
    void clockOffStopsTheTransport();
    void newTransportSendsHeldNotesAndStartAgain();
};

void TestMidiOut::registeredAsMakingMidi() {
    const ModuleType* type = ModuleRegistry::instance().find("midi_out");
    QVERIFY(type);
    QVERIFY(type->makesMidi);
    QCOMPARE(type->takesMidi, std::uint8_t{0});
    QCOMPARE(type->outputs.size(), std::size_t{0});
}

// Mono cables: gate pulses at known samples, the pitch changes between them, velocity halfway.
void TestMidiOut::gateEdgesAreNotesAtTheirSamples() {
    chronus::test::ModuleDriver d("midi_out", 48000.0, 256);
    QVERIFY(d.valid());
    const std::size_t n = 2048;
    std::vector<float> gate(n, 0.0f), pitch(n, 0.0f), velocity(n, 0.5f);
    std::fill(gate.begin() + 100, gate.begin() + 200, 1.0f);
    std::fill(gate.begin() + 500, gate.begin() + 1300, 1.0f); // across two block boundaries
    std::fill(pitch.begin() + 300, pitch.end(), 7.0f / 12.0f); // G4
    QVERIFY(d.connect("gate", &gate));
    QVERIFY(d.connect("pitch", &pitch));
    QVERIFY(d.connect("velocity", &velocity));
    std::int64_t frame = 0;
    COMPARE_SENT(drive(d, 8, 256, frame),
                 (std::vector<Sent>{{0x90, 60, 64, 100}, {0x80, 60, 0, 200}, {0x90, 67, 64, 500}, {0x80, 67, 0, 1300}}));
}

// A 3-channel gate (two high, one low) and a 2-channel pitch: MIDI channels 1 and 2 play from the
// first sample, on their own keys; velocity unconnected is 100.
void TestMidiOut::polyCableChannelsPlayTheirMidiChannels() {
    PatchGraph g;
    QVERIFY(g.addModule("gates", "const"));
    QVERIFY(g.addModule("keys", "const"));
    QVERIFY(g.addModule("mo", "midi_out"));
    QVERIFY(g.setText("gates", "values", "1 1 0"));
    QVERIFY(g.setText("keys", "values", "0 0.5"));
    QVERIFY(g.connect("gates", "mo.gate"));
    QVERIFY(g.connect("keys", "mo.pitch"));
    auto plan = Plan::compile(g, {48000.0, 64});
    QVERIFY(plan);
    COMPARE_SENT(render(*plan.value(), 4, 100), (std::vector<Sent>{{0x90, 60, 100, 0}, {0x91, 66, 100, 0}}));
}

// `clock` on at 120 BPM: a tick every 1000 samples at 48 kHz from a start at the first, through
// process() calls of 700 frames split into 64-frame blocks.
void TestMidiOut::clockTicksThroughAPlanOnTheirFrames() {
    PatchGraph g;
    QVERIFY(g.addModule("mo", "midi_out"));
    QVERIFY(g.setParam("mo", "clock", 1.0));
    QVERIFY(g.setParam("mo", "bpm", 120.0));
    auto plan = Plan::compile(g, {48000.0, 64});
    QVERIFY(plan);
    std::vector<Sent> expected{{MidiEvent::kStart, 0, 0, 0}};
    for (std::int64_t f = 0; f < 7 * 700; f += 1000)
        expected.push_back({MidiEvent::kClock, 0, 0, f});
    COMPARE_SENT(render(*plan.value(), 7, 700), expected);
}

// The clock switched off while running sends stop at once and no more ticks.
void TestMidiOut::clockOffStopsTheTransport() {
    chronus::test::ModuleDriver d("midi_out", 48000.0, 500);
    QVERIFY(d.setParam("clock", 1.0));
    QVERIFY(d.setParam("bpm", 120.0));
    std::int64_t frame = 0;
    const std::vector<Sent> running = drive(d, 3, 500, frame);
    COMPARE_SENT(running, (std::vector<Sent>{{MidiEvent::kStart, 0, 0, 0}, {MidiEvent::kClock, 0, 0, 0}, {MidiEvent::kClock, 0, 0, 1000}}));
    QVERIFY(d.setParam("clock", 0.0));
    COMPARE_SENT(drive(d, 4, 500, frame), (std::vector<Sent>{{MidiEvent::kStop, 0, 0, 1500}}));
}

// After restartTransport (a new plan's warm-up ends there), a gate held all along sends its note-on
// again and the clock its start, at the first sample: the warm-up's events were never sent.
void TestMidiOut::newTransportSendsHeldNotesAndStartAgain() {
    chronus::test::ModuleDriver d("midi_out", 48000.0, 256);
    QVERIFY(d.setParam("clock", 1.0));
    std::vector<float> gate(4096, 1.0f);
    QVERIFY(d.connect("gate", &gate));
    std::int64_t frame = 0;
    const std::vector<Sent> warm = drive(d, 2, 256, frame);
    QCOMPARE(warm.size(), std::size_t{3}); // start, tick, note-on
    d.module().restartTransport();
    frame = 0;
    const std::vector<Sent> heard = drive(d, 1, 256, frame);
    COMPARE_SENT(heard, (std::vector<Sent>{{MidiEvent::kStart, 0, 0, 0}, {MidiEvent::kClock, 0, 0, 0},
                                            {0x90, 60, static_cast<int>(std::lround(MidiOut::kDefaultVelocity * 127.0f)), 0}}));
}

QTEST_APPLESS_MAIN(TestMidiOut)
#include "tst_midi_out.moc"
