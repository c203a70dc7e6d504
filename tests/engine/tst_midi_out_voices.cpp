// Voltages into MIDI (MidiOutVoices, MidiClockOut: the core of the coming midi_out): note-on at a
// gate's rising edge on the key of its pitch (0 V = C4 = 60) with its velocity, note-off at the
// falling edge, each cable channel on its MIDI channel, a key change while held as off + on with
// hysteresis, all notes off, and timing clocks at the tempo with start and stop, on their samples.
// What midi_in's VoiceAllocator makes of the notes is the pitch that went in.

#include "engine/MidiOutVoices.hpp"
#include "engine/VoiceAllocator.hpp"

#include <QTest>

#include <cmath>
#include <vector>

using namespace chronus::engine;

namespace {

struct Sent {
    int status, data1, data2, offset;
    bool operator==(const Sent&) const = default;
};

std::vector<Sent> sent(const MidiOutBlock& b) {
    std::vector<Sent> out;
    for (int i = 0; i < b.count; ++i) {
        const MidiEvent& e = b.events[static_cast<std::size_t>(i)];
        out.push_back({e.status, e.data1, e.data2, e.offset});
    }
    return out;
}

} // namespace

class TestMidiOutVoices : public QObject {
    Q_OBJECT

private slots:
    void gateEdgesSendNoteOnAndOff();
    void everyCableChannelPlaysItsMidiChannel();
    void keyChangeWhileHeldWithHysteresis();
    void allNotesOffEndsWhatSounds();
    void notesReadBackThroughMidiIn();
    void clockTicksAtTheTempoOnTheirSamples_data();
    void clockTicksAtTheTempoOnTheirSamples();
    void clockStartAndStop();
    void clockTempoChangeKeepsThePosition();
    void aFullBlockCountsWhatItLoses();
};

void TestMidiOutVoices::gateEdgesSendNoteOnAndOff() {
    MidiOutVoices v;
    MidiOutBlock b;
    // 0 V: C4; gate up at frame 3 (velocity 0.5: 64), down at frame 9.
    for (int i = 0; i < 12; ++i)
        v.step(0, 0.0f, i >= 3 && i < 9 ? 1.0f : 0.0f, 0.5f, i, b);
    QCOMPARE(sent(b), (std::vector<Sent>{{0x90, 60, 64, 3}, {0x80, 60, 0, 9}}));
    // One octave up, a semitone down, the lowest and highest keys; velocity 0 still sounds (1).
    b.clear();
    v.step(0, 1.0f, 1.0f, 1.0f, 0, b);
    v.step(0, 1.0f, 0.0f, 1.0f, 1, b);
    v.step(0, -1.0f / 12.0f, 1.0f, 0.0f, 2, b);
    v.step(0, -1.0f / 12.0f, 0.0f, 0.0f, 3, b);
    v.step(0, -9.0f, 1.0f, 1.0f, 4, b);
    v.step(0, -9.0f, 0.0f, 1.0f, 5, b);
    v.step(0, 9.0f, 1.0f, 1.0f, 6, b);
    QCOMPARE(sent(b), (std::vector<Sent>{{0x90, 72, 127, 0}, {0x80, 72, 0, 1}, {0x90, 59, 1, 2}, {0x80, 59, 0, 3},
                                         {0x90, 0, 127, 4}, {0x80, 0, 0, 5}, {0x90, 127, 127, 6}}));
    QCOMPARE(v.sounding(0), 127);
}

void TestMidiOutVoices::everyCableChannelPlaysItsMidiChannel() {
    MidiOutVoices v;
    MidiOutBlock b;
    for (int c = 0; c < 16; ++c)
        v.step(c, static_cast<float>(c) / 12.0f, 1.0f, 1.0f, c, b);
    QCOMPARE(b.count, 16);
    for (int c = 0; c < 16; ++c) {
        const MidiEvent& e = b.events[static_cast<std::size_t>(c)];
        QCOMPARE(int(e.kind()), 0x90);
        QCOMPARE(int(e.channel()), c);
        QCOMPARE(int(e.data1), 60 + c);
    }
}

void TestMidiOutVoices::keyChangeWhileHeldWithHysteresis() {
    MidiOutVoices v;
    MidiOutBlock b;
    const auto at = [&](float semis, int offset) { v.step(0, (semis - 60.0f) / 12.0f, 1.0f, 0.8f, offset, b); };
    at(60.0f, 0);  // on 60 (velocity 102)
    at(60.55f, 1); // within the hysteresis: 60 goes on
    at(60.7f, 2);  // off 60, on 61
    at(60.45f, 3); // 0.55 from 61: stays
    at(60.3f, 4);  // off 61, on 60
    QCOMPARE(sent(b), (std::vector<Sent>{{0x90, 60, 102, 0}, {0x80, 60, 0, 2}, {0x90, 61, 102, 2},
                                         {0x80, 61, 0, 4}, {0x90, 60, 102, 4}}));
}

void TestMidiOutVoices::allNotesOffEndsWhatSounds() {
    MidiOutVoices v;
    MidiOutBlock b;
    v.step(0, 0.0f, 1.0f, 1.0f, 0, b);
    v.step(5, 0.5f, 1.0f, 1.0f, 0, b);
    b.clear();
    v.allNotesOff(7, b);
    QCOMPARE(sent(b), (std::vector<Sent>{{0x80, 60, 0, 7}, {0x85, 66, 0, 7}}));
    // The gates still high start nothing new, and their fall sends no second note-off.
    b.clear();
    v.step(0, 0.5f, 1.0f, 1.0f, 8, b);
    v.step(0, 0.5f, 0.0f, 1.0f, 9, b);
    QCOMPARE(b.count, 0);
    v.step(0, 0.0f, 1.0f, 1.0f, 10, b); // a new rise plays again
    QCOMPARE(sent(b), (std::vector<Sent>{{0x90, 60, 127, 10}}));
}

void TestMidiOutVoices::notesReadBackThroughMidiIn() {
    // What midi_out plays, midi_in hears as the same pitch (both 1 V/oct from C4).
    MidiOutVoices out;
    VoiceAllocator in;
    in.setPoly(4, PolyMode::Reset);
    MidiOutBlock b;
    const float pitches[] = {0.25f, -1.0f, 7.0f / 12.0f};
    for (int c = 0; c < 3; ++c)
        out.step(c, pitches[c], 1.0f, 1.0f, 0, b);
    for (int i = 0; i < b.count; ++i)
        in.handle(b.events[static_cast<std::size_t>(i)]);
    for (int c = 0; c < 3; ++c) {
        QVERIFY(in.voice(c).gate);
        QCOMPARE(in.pitch(c), pitches[c]);
    }
}

void TestMidiOutVoices::clockTicksAtTheTempoOnTheirSamples_data() {
    QTest::addColumn<double>("bpm");
    QTest::addRow("120") << 120.0;
    QTest::addRow("175") << 175.0;
}

void TestMidiOutVoices::clockTicksAtTheTempoOnTheirSamples() {
    QFETCH(double, bpm);
    constexpr double kRate = 48000.0;
    MidiClockOut clock;
    MidiOutBlock b;
    std::vector<std::int64_t> ticks;
    // 10 minutes in blocks of 64: every tick on the first sample at or after its exact time.
    const std::int64_t frames = static_cast<std::int64_t>(kRate) * 600;
    for (std::int64_t at = 0; at < frames; at += 64) {
        b.clear();
        for (int i = 0; i < 64; ++i)
            clock.step(bpm / 60.0, 1.0f, kRate, i, b);
        for (int e = 0; e < b.count; ++e)
            if (b.events[static_cast<std::size_t>(e)].status == MidiEvent::kClock)
                ticks.push_back(at + b.events[static_cast<std::size_t>(e)].offset);
    }
    const double spacing = 60.0 / bpm / MidiClockOut::kTicksPerBeat * kRate;
    QCOMPARE(ticks.size(), static_cast<std::size_t>(std::ceil(static_cast<double>(frames) / spacing)));
    for (std::size_t n = 0; n < ticks.size(); ++n) {
        const auto expected = static_cast<std::int64_t>(std::ceil(static_cast<double>(n) * spacing - 1e-6));
        QVERIFY2(ticks[n] == expected, qPrintable(QStringLiteral("tick %1 at %2, expected %3").arg(n).arg(ticks[n]).arg(expected)));
    }
}

void TestMidiOutVoices::clockStartAndStop() {
    MidiClockOut clock;
    MidiOutBlock b;
    // 120 BPM at 48 kHz: a tick every 1000 samples. Stopped for 500, running 2500, stopped, again.
    for (int i = 0; i < 6000; ++i)
        clock.step(2.0, (i >= 500 && i < 3000) || i >= 4000 ? 1.0f : 0.0f, 48000.0, i, b);
    QCOMPARE(sent(b), (std::vector<Sent>{{MidiEvent::kStart, 0, 0, 500}, {MidiEvent::kClock, 0, 0, 500},
                                         {MidiEvent::kClock, 0, 0, 1500}, {MidiEvent::kClock, 0, 0, 2500},
                                         {MidiEvent::kStop, 0, 0, 3000},
                                         {MidiEvent::kStart, 0, 0, 4000}, {MidiEvent::kClock, 0, 0, 4000},
                                         {MidiEvent::kClock, 0, 0, 5000}}));
    QVERIFY(clock.running());
}

void TestMidiOutVoices::clockTempoChangeKeepsThePosition() {
    // 120 BPM (1000 samples a tick) until sample 10'500, half way to tick 11; then 175 BPM
    // (685.714 samples a tick): tick 11 half a new tick later, at 10'842.86, on sample 10'843.
    MidiClockOut clock;
    MidiOutBlock b;
    std::vector<int> ticks;
    for (int i = 0; i < 12'000; ++i) {
        b.clear();
        clock.step(i < 10'500 ? 2.0 : 175.0 / 60.0, 1.0f, 48000.0, 0, b);
        if (b.count > 0 && b.events[static_cast<std::size_t>(b.count - 1)].status == MidiEvent::kClock)
            ticks.push_back(i);
    }
    QCOMPARE(ticks.size(), std::size_t(13));
    QCOMPARE(ticks[10], 10'000);
    QCOMPARE(ticks[11], 10'843);
    QCOMPARE(ticks[12], 11'529);
}

void TestMidiOutVoices::aFullBlockCountsWhatItLoses() {
    MidiOutVoices v;
    MidiOutBlock b;
    for (int i = 0; i < MidiOutBlock::kCapacity + 10; ++i) // a gate toggling every sample
        v.step(0, 0.0f, (i & 1) ? 0.0f : 1.0f, 1.0f, i % 64, b);
    QCOMPARE(b.count, MidiOutBlock::kCapacity);
    QCOMPARE(b.dropped, 10u);
}

QTEST_APPLESS_MAIN(TestMidiOutVoices)
#include "tst_midi_out_voices.moc"
