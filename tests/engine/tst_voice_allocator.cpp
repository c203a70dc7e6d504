// VoiceAllocator: which channel a key goes to in each poly mode, which key mono plays with each
// priority, legato and retrigger, 1 V/oct pitch with bend, the controllers, the sustain pedal, and
// the messages that must change nothing (a note-off for a key not held).

#include "engine/VoiceAllocator.hpp"

#include <QTest>

using namespace chronus::engine;

namespace {

MidiEvent message(std::uint8_t status, std::uint8_t d1, std::uint8_t d2 = 0) {
    const std::uint8_t bytes[3] = {status, d1, d2};
    MidiEvent e;
    const bool ok = MidiEvent::fromBytes(bytes, 3, 0, e);
    Q_ASSERT(ok);
    return e;
}
void on(VoiceAllocator& a, int note, int velocity = 100, int channel = 0) {
    a.handle(message(static_cast<std::uint8_t>(0x90 | channel), static_cast<std::uint8_t>(note), static_cast<std::uint8_t>(velocity)));
}
void off(VoiceAllocator& a, int note, int channel = 0) {
    a.handle(message(static_cast<std::uint8_t>(0x80 | channel), static_cast<std::uint8_t>(note), 64));
}
void cc(VoiceAllocator& a, int controller, int value) {
    a.handle(message(0xB0, static_cast<std::uint8_t>(controller), static_cast<std::uint8_t>(value)));
}
// The channel playing `note` with its gate high, -1 when none.
int channelOf(const VoiceAllocator& a, int note) {
    for (int c = 0; c < a.voices(); ++c)
        if (a.voice(c).gate && a.voice(c).note == note)
            return c;
    return -1;
}
int gates(const VoiceAllocator& a) {
    int n = 0;
    for (int c = 0; c < a.voices(); ++c)
        n += a.voice(c).gate ? 1 : 0;
    return n;
}

} // namespace

class TestVoiceAllocator : public QObject {
    Q_OBJECT

private slots:
    void rotateTakesTheNextFreeChannelAfterTheLastOne();
    void rotateTakesOverRoundRobinWhenEveryChannelSounds();
    void reuseGivesAKeyTheChannelItPlayedOn();
    void resetTakesTheLowestFreeChannelAndStealsTheOldest();
    void sixteenVoicesAtMost();
    void monoPriorityPicksTheSoundingKey_data();
    void monoPriorityPicksTheSoundingKey();
    void monoRetriggersUnlessLegato();
    void pitchIsOneVoltPerOctaveFromC4PlusBend();
    void sustainPedalHoldsReleasedKeysUntilItComesUp();
    void monoSustainKeepsTheReleasedKeySounding();
    void noteOffForAKeyNotHeldIsIgnored();
    void noteOnWithVelocityZeroIsANoteOff();
    void aftertouchChannelAndPoly();
    void modWheelAndVelocity();
    void allNotesOffAndResetControllers();
    void everyMidiChannelIsTaken();
};

void TestVoiceAllocator::rotateTakesTheNextFreeChannelAfterTheLastOne() {
    VoiceAllocator a;
    a.setPoly(4, PolyMode::Rotate);
    on(a, 60), on(a, 62), on(a, 64);
    QCOMPARE(channelOf(a, 60), 0);
    QCOMPARE(channelOf(a, 62), 1);
    QCOMPARE(channelOf(a, 64), 2);
    off(a, 62);
    on(a, 65); // channel 1 is free, but rotation goes on after 2
    QCOMPARE(channelOf(a, 65), 3);
    on(a, 67); // after 3: 0 sounds, 1 is free
    QCOMPARE(channelOf(a, 67), 1);
    QVERIFY(!a.voice(1).retrigger); // a free channel: its gate simply rises
}

void TestVoiceAllocator::rotateTakesOverRoundRobinWhenEveryChannelSounds() {
    VoiceAllocator a;
    a.setPoly(2, PolyMode::Rotate);
    on(a, 60), on(a, 62), on(a, 64);
    QCOMPARE(channelOf(a, 64), 0);
    QCOMPARE(channelOf(a, 60), -1);
    QVERIFY(a.voice(0).retrigger); // taken over while sounding: the envelope starts again
    on(a, 65);
    QCOMPARE(channelOf(a, 65), 1);
    // The key that lost its channel: its note-off changes nothing.
    off(a, 60);
    QCOMPARE(gates(a), 2);
}

void TestVoiceAllocator::reuseGivesAKeyTheChannelItPlayedOn() {
    VoiceAllocator reuse, rotate;
    reuse.setPoly(4, PolyMode::Reuse);
    rotate.setPoly(4, PolyMode::Rotate);
    for (VoiceAllocator* a : {&reuse, &rotate}) {
        on(*a, 60), on(*a, 62);
        off(*a, 60);
        on(*a, 64);
        on(*a, 60);
    }
    QCOMPARE(channelOf(reuse, 60), 0);
    QCOMPARE(channelOf(rotate, 60), 3);
}

void TestVoiceAllocator::resetTakesTheLowestFreeChannelAndStealsTheOldest() {
    VoiceAllocator a;
    a.setPoly(3, PolyMode::Reset);
    on(a, 60), on(a, 62);
    off(a, 60);
    on(a, 64);
    QCOMPARE(channelOf(a, 64), 0);
    on(a, 65); // 0: 64, 1: 62, 2: 65
    QCOMPARE(channelOf(a, 65), 2);
    on(a, 67); // full: the oldest key (62, channel 1) gives way
    QCOMPARE(channelOf(a, 67), 1);
    QCOMPARE(channelOf(a, 62), -1);
}

void TestVoiceAllocator::sixteenVoicesAtMost() {
    VoiceAllocator a;
    a.setPoly(40, PolyMode::Rotate);
    QCOMPARE(a.voices(), VoiceAllocator::kMaxVoices);
    for (int i = 0; i < 16; ++i)
        on(a, 40 + i);
    QCOMPARE(gates(a), 16);
    for (int i = 0; i < 16; ++i)
        QCOMPARE(channelOf(a, 40 + i), i);
}

void TestVoiceAllocator::monoPriorityPicksTheSoundingKey_data() {
    QTest::addColumn<int>("priority");
    QTest::addColumn<int>("whileHeld");   // all three held: 64, 60, 67 pressed in that order
    QTest::addColumn<int>("afterRelease"); // then the sounding one released
    QTest::addRow("last") << int(MonoPriority::Last) << 67 << 60;
    QTest::addRow("low") << int(MonoPriority::Low) << 60 << 64;
    QTest::addRow("high") << int(MonoPriority::High) << 67 << 64;
}

void TestVoiceAllocator::monoPriorityPicksTheSoundingKey() {
    QFETCH(int, priority);
    QFETCH(int, whileHeld);
    QFETCH(int, afterRelease);
    VoiceAllocator a;
    a.setMono(static_cast<MonoPriority>(priority), false);
    QCOMPARE(a.voices(), 1);
    on(a, 64), on(a, 60), on(a, 67);
    QCOMPARE(a.voice(0).note, whileHeld);
    off(a, whileHeld);
    QVERIFY(a.voice(0).gate);
    QCOMPARE(a.voice(0).note, afterRelease);
    off(a, 64), off(a, 60), off(a, 67);
    QVERIFY(!a.voice(0).gate);
}

void TestVoiceAllocator::monoRetriggersUnlessLegato() {
    for (bool legato : {false, true}) {
        VoiceAllocator a;
        a.setMono(MonoPriority::Last, legato);
        on(a, 60);
        QVERIFY(a.voice(0).gate);
        QVERIFY(!a.voice(0).retrigger); // the gate rises: nothing to retrigger
        on(a, 62);
        QCOMPARE(a.voice(0).retrigger, !legato);
        a.clearRetrigger(0);
        off(a, 62); // back to 60 while the gate stays high
        QCOMPARE(a.voice(0).note, 60);
        QCOMPARE(a.voice(0).retrigger, !legato);
        a.clearRetrigger(0);
        // Low priority: a higher key changes nothing that sounds.
        a.setMono(MonoPriority::Low, legato);
        on(a, 50), on(a, 70);
        QCOMPARE(a.voice(0).note, 50);
        QVERIFY(!a.voice(0).retrigger);
    }
}

void TestVoiceAllocator::pitchIsOneVoltPerOctaveFromC4PlusBend() {
    VoiceAllocator a;
    a.setPoly(2, PolyMode::Rotate);
    a.setBendRange(2.0f);
    on(a, 72), on(a, 48);
    QCOMPARE(a.pitch(0), 1.0f);
    QCOMPARE(a.pitch(1), -1.0f);
    a.handle(message(0xE0, 0x7F, 0x7F)); // full up
    QCOMPARE(a.bend(), 1.0f);
    QCOMPARE(a.pitch(0), 1.0f + 2.0f / 12.0f);
    a.handle(message(0xE0, 0x00, 0x00)); // full down
    QCOMPARE(a.bend(), -1.0f);
    QCOMPARE(a.pitch(1), -1.0f - 2.0f / 12.0f);
    a.setBendRange(12.0f);
    QCOMPARE(a.pitch(0), 0.0f); // an octave down from C5
    a.handle(message(0xE0, 0x00, 0x40)); // 8192: the centre
    QCOMPARE(a.bend(), 0.0f);
    QCOMPARE(a.pitch(0), 1.0f);
}

void TestVoiceAllocator::sustainPedalHoldsReleasedKeysUntilItComesUp() {
    VoiceAllocator a;
    a.setPoly(4, PolyMode::Rotate);
    on(a, 60);
    cc(a, 64, 127);
    QVERIFY(a.sustain());
    on(a, 64);
    off(a, 60), off(a, 64);
    QCOMPARE(gates(a), 2); // held by the pedal
    on(a, 67);             // a key held through the pedal's release
    cc(a, 64, 0);
    QVERIFY(!a.sustain());
    QCOMPARE(gates(a), 1);
    QCOMPARE(channelOf(a, 67), 2);
    off(a, 67);
    QCOMPARE(gates(a), 0);
}

void TestVoiceAllocator::monoSustainKeepsTheReleasedKeySounding() {
    VoiceAllocator a;
    a.setMono(MonoPriority::Last, true);
    cc(a, 64, 100);
    on(a, 60);
    off(a, 60);
    QVERIFY(a.voice(0).gate);
    cc(a, 64, 10);
    QVERIFY(!a.voice(0).gate);
}

void TestVoiceAllocator::noteOffForAKeyNotHeldIsIgnored() {
    VoiceAllocator poly, mono;
    poly.setPoly(4, PolyMode::Rotate);
    mono.setMono(MonoPriority::Last, false);
    for (VoiceAllocator* a : {&poly, &mono}) {
        on(*a, 60);
        off(*a, 61);
        QCOMPARE(channelOf(*a, 60), 0);
        QVERIFY(!a->voice(0).retrigger);
        off(*a, 60);
        off(*a, 60); // twice: nothing more to release
        QCOMPARE(gates(*a), 0);
    }
}

void TestVoiceAllocator::noteOnWithVelocityZeroIsANoteOff() {
    VoiceAllocator a;
    a.setPoly(2, PolyMode::Rotate);
    on(a, 60);
    on(a, 60, 0);
    QCOMPARE(gates(a), 0);
}

void TestVoiceAllocator::aftertouchChannelAndPoly() {
    VoiceAllocator a;
    a.setPoly(2, PolyMode::Rotate);
    on(a, 60), on(a, 62);
    a.handle(message(0xA0, 62, 127)); // poly: key 62 only
    QCOMPARE(a.voice(1).aftertouch, 1.0f);
    QCOMPARE(a.voice(0).aftertouch, 0.0f);
    a.handle(message(0xD0, 0)); // channel pressure, two bytes
    QCOMPARE(a.voice(1).aftertouch, 0.0f);
    const std::uint8_t pressure[2] = {0xD3, 127};
    MidiEvent e;
    QVERIFY(MidiEvent::fromBytes(pressure, 2, 0, e));
    a.handle(e);
    QCOMPARE(a.voice(0).aftertouch, 1.0f);
    QCOMPARE(a.voice(1).aftertouch, 1.0f);
}

void TestVoiceAllocator::modWheelAndVelocity() {
    VoiceAllocator a;
    a.setPoly(2, PolyMode::Rotate);
    cc(a, 1, 127);
    QCOMPARE(a.mod(), 1.0f);
    cc(a, 1, 0);
    QCOMPARE(a.mod(), 0.0f);
    on(a, 60, 127), on(a, 61, 1);
    QCOMPARE(a.voice(0).velocity, 1.0f);
    QCOMPARE(a.voice(1).velocity, 1.0f / 127.0f);
}

void TestVoiceAllocator::allNotesOffAndResetControllers() {
    VoiceAllocator a;
    a.setPoly(4, PolyMode::Rotate);
    cc(a, 64, 127);
    on(a, 60), on(a, 62);
    off(a, 60);
    cc(a, 123, 0); // all notes off: the sustained one too
    QCOMPARE(gates(a), 0);
    on(a, 60);
    off(a, 60); // sustained
    a.handle(message(0xE0, 0x7F, 0x7F));
    cc(a, 1, 90);
    cc(a, 121, 0); // reset all controllers: the pedal comes up, releasing what it held
    QCOMPARE(a.bend(), 0.0f);
    QCOMPARE(a.mod(), 0.0f);
    QVERIFY(!a.sustain());
    QCOMPARE(gates(a), 0);
    on(a, 64);
    cc(a, 120, 0); // all sound off
    QCOMPARE(gates(a), 0);
    on(a, 65);
    a.reset();
    QCOMPARE(gates(a), 0);
    QCOMPARE(a.voice(0).note, -1);
}

void TestVoiceAllocator::everyMidiChannelIsTaken() {
    VoiceAllocator a;
    a.setPoly(2, PolyMode::Rotate);
    on(a, 60, 100, 5);
    QCOMPARE(channelOf(a, 60), 0);
    off(a, 60, 5);
    QCOMPARE(gates(a), 0);
    // Program change (two bytes) and the transport (the clock module's): carried, nothing changes
    // here. The other system messages (time code, active sensing, SysEx): not carried.
    const std::uint8_t program[2] = {0xC0, 5}, clock[1] = {0xF8}, position[3] = {0xF2, 0x10, 0x01},
                       timeCode[2] = {0xF1, 0x20}, sensing[1] = {0xFE}, sysex[3] = {0xF0, 0x7E, 0xF7};
    MidiEvent e;
    QVERIFY(MidiEvent::fromBytes(program, 2, 0, e));
    a.handle(e);
    QVERIFY(MidiEvent::fromBytes(clock, 1, 0, e));
    QVERIFY(e.isTransport());
    QCOMPARE(e.status, MidiEvent::kClock);
    a.handle(e);
    QVERIFY(MidiEvent::fromBytes(position, 3, 0, e));
    QCOMPARE(e.data1 | (e.data2 << 7), 0x90); // 144 sixteenths: bar 10
    QVERIFY(!MidiEvent::fromBytes(position, 2, 0, e));
    QVERIFY(!MidiEvent::fromBytes(timeCode, 2, 0, e));
    QVERIFY(!MidiEvent::fromBytes(sensing, 1, 0, e));
    QVERIFY(!MidiEvent::fromBytes(sysex, 3, 0, e));
    QCOMPARE(gates(a), 0);
}

QTEST_APPLESS_MAIN(TestVoiceAllocator)
#include "tst_voice_allocator.moc"
