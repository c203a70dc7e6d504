// MidiInput on a real JACK server (jackd's dummy backend, started by the test): a second JACK
// client plays a MIDI keyboard (an output port it writes events into at chosen frames of a period).
// Checked: the source is listed, opened by name and by `auto`, its events arrive with the frame
// they were written at (cycle frame time + offset: sample-accurate), the cycle frame time MidiInput
// reports to another client's callback is that callback's, and a source that goes away and comes
// back is connected again by the watch thread.

#include "audio/MidiInput.hpp"
#include "support/JackServer.hpp"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QProcess>
#include <QTest>

#include <jack/jack.h>
#include <jack/midiport.h>
#include <signal.h>
#include <sys/prctl.h>

#include <atomic>
#include <cstdint>

#if defined(__SANITIZE_THREAD__)
// QProcess starts jackd through clone(CLONE_VM | CLONE_VFORK); not a fork of this process's threads.
extern "C" const char* __tsan_default_options() { return "die_after_fork=0"; }
#endif

using namespace chronus::audio;
using chronus::engine::MidiEvent;

namespace {

constexpr int kPeriod = 64;

// A software MIDI keyboard: a JACK client with one MIDI output port. send() asks its process
// callback to write one three-byte message at `offset` in its next period; the callback records that
// period's frame time, and what MidiInput::cycleFrame() said in the same callback.
class JackKeyboard {
public:
    ~JackKeyboard() { close(); }
    bool open(const char* name) {
        jack_status_t status{};
        m_client = jack_client_open(name, JackNoStartServer, &status);
        if (!m_client)
            return false;
        m_port = jack_port_register(m_client, "out", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
        return m_port && jack_set_process_callback(m_client, &JackKeyboard::process, this) == 0 &&
               jack_activate(m_client) == 0;
    }
    void close() {
        if (m_client) {
            jack_deactivate(m_client);
            jack_client_close(m_client);
            m_client = nullptr;
        }
    }
    void watch(const MidiInput* input) { m_input.store(input, std::memory_order_release); }
    // `size`: 1 for the one-byte real-time messages (clock, start, stop).
    void send(std::uint8_t status, std::uint8_t data1, std::uint8_t data2, std::uint32_t offset, std::size_t size = 3) {
        m_message[0] = status;
        m_message[1] = data1;
        m_message[2] = data2;
        m_size = size;
        m_offset = offset;
        m_sentFrame.store(-1, std::memory_order_release);
        m_pending.store(true, std::memory_order_release);
    }
    // The frame time of the period the last message was written in; -1 until it was.
    std::int64_t sentCycle() const { return m_sentFrame.load(std::memory_order_acquire); }
    std::int64_t reportedCycle() const { return m_reportedFrame.load(std::memory_order_acquire); }
    std::uint32_t lastCycle() const { return m_lastCycle.load(std::memory_order_acquire); }

private:
    static int process(jack_nframes_t frames, void* self) {
        auto* k = static_cast<JackKeyboard*>(self);
        void* buffer = jack_port_get_buffer(k->m_port, frames);
        jack_midi_clear_buffer(buffer);
        const std::uint32_t cycle = jack_last_frame_time(k->m_client);
        k->m_lastCycle.store(cycle, std::memory_order_release);
        if (const MidiInput* input = k->m_input.load(std::memory_order_acquire))
            k->m_reportedFrame.store(input->cycleFrame(), std::memory_order_release);
        if (k->m_pending.load(std::memory_order_acquire)) {
            jack_midi_event_write(buffer, k->m_offset, k->m_message, k->m_size);
            k->m_pending.store(false, std::memory_order_release);
            k->m_sentFrame.store(cycle, std::memory_order_release);
        }
        return 0;
    }

    jack_client_t* m_client = nullptr;
    jack_port_t* m_port = nullptr;
    jack_midi_data_t m_message[3] = {};
    std::size_t m_size = 3;
    std::uint32_t m_offset = 0;
    std::atomic<bool> m_pending{false};
    std::atomic<std::int64_t> m_sentFrame{-1};
    std::atomic<std::int64_t> m_reportedFrame{-1};
    std::atomic<std::uint32_t> m_lastCycle{0};
    std::atomic<const MidiInput*> m_input{nullptr};
};

} // namespace

class TestMidiJack : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void listsTheSourcesOfTheServer();
    void eventsCarryTheFrameTheyWereWrittenAt();
    void transportMessagesCarryTheirFrames();
    void autoPicksAnotherClientsSource();
    void cycleFrameIsTheCallersCycle();
    void reconnectsWhenTheSourceComesBack();

private:
    // A note-on through `keyboard` at `offset`; the event MidiInput delivered for it.
    static MidiEvent roundTrip(JackKeyboard& keyboard, MidiInput& input, std::uint8_t note, std::uint32_t offset);
    // The next event MidiInput delivers (a default one after 5 s without).
    static MidiEvent received(MidiInput& input);

    chronus::test::JackServer m_server;
};

void TestMidiJack::initTestCase() {
    if (!chronus::test::JackServer::installed(QStringLiteral(CHRONUS_JACKD)))
        QSKIP(chronus::test::JackServer::kNotInstalled);
    const QString failed = m_server.start(QStringLiteral(CHRONUS_JACKD), QStringLiteral("midi-test"), 48000, kPeriod);
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
}

void TestMidiJack::cleanupTestCase() { m_server.stop(); }

MidiEvent TestMidiJack::roundTrip(JackKeyboard& keyboard, MidiInput& input, std::uint8_t note, std::uint32_t offset) {
    keyboard.send(0x91, note, 100, offset);
    return received(input);
}

MidiEvent TestMidiJack::received(MidiInput& input) {
    MidiEvent e;
    QElapsedTimer timer;
    timer.start();
    while (!input.tryPop(e) && timer.elapsed() < 5000)
        QTest::qWait(5);
    return e;
}

void TestMidiJack::listsTheSourcesOfTheServer() {
    JackKeyboard keyboard;
    QVERIFY(keyboard.open("keys"));
    const auto ports = MidiInput::listPorts(MidiApi::Jack);
    QVERIFY2(ports.ok(), ports.status().message().c_str());
    QVERIFY(std::any_of(ports.value().begin(), ports.value().end(), [](const MidiPort& p) { return p.name == "keys:out" && !p.hardware; }));
    // The automatic choice finds the server too.
    const auto any = MidiInput::listPorts(MidiApi::Auto);
    QVERIFY(any.ok());
    QCOMPARE(any.value().size(), ports.value().size());
}

void TestMidiJack::eventsCarryTheFrameTheyWereWrittenAt() {
    JackKeyboard keyboard;
    QVERIFY(keyboard.open("keys"));
    MidiInput input("chronus-test");
    const auto opened = input.open("keys:out", MidiApi::Jack);
    QVERIFY2(opened.ok(), opened.message().c_str());
    QCOMPARE(input.api(), MidiApi::Jack);
    QCOMPARE(input.connectedPort(), std::string("keys:out"));
    for (std::uint32_t offset : {0u, 17u, 63u}) {
        const MidiEvent e = roundTrip(keyboard, input, static_cast<std::uint8_t>(60 + offset % 12), offset);
        QCOMPARE(int(e.status), 0x91);
        QCOMPARE(int(e.channel()), 1);
        QCOMPARE(int(e.data1), int(60 + offset % 12));
        QCOMPARE(int(e.data2), 100);
        QVERIFY(keyboard.sentCycle() >= 0);
        // The 64-bit frame is the 32-bit JACK frame time unwrapped: the low bits are the cycle's + offset.
        QCOMPARE(static_cast<std::uint32_t>(e.frame), static_cast<std::uint32_t>(keyboard.sentCycle() + offset));
    }
    QCOMPARE(input.dropped(), std::uint64_t{0});
}

void TestMidiJack::transportMessagesCarryTheirFrames() {
    // Timing clock, start, stop (one byte each) and song position: carried with their frames, for
    // the clock module; active sensing is not.
    JackKeyboard keyboard;
    QVERIFY(keyboard.open("keys"));
    MidiInput input("chronus-test");
    const auto opened = input.open("keys:out", MidiApi::Jack);
    QVERIFY2(opened.ok(), opened.message().c_str());
    struct Sent {
        std::uint8_t status, d1, d2;
        std::size_t size;
        std::uint32_t offset;
    };
    for (const Sent& m : {Sent{0xFE, 0, 0, 1, 3}, Sent{0xF8, 0, 0, 1, 5}, Sent{0xFA, 0, 0, 1, 0}, Sent{0xFC, 0, 0, 1, 63},
                          Sent{0xF2, 0x10, 0x01, 3, 40}, Sent{0xFB, 0, 0, 1, 7}}) {
        keyboard.send(m.status, m.d1, m.d2, m.offset, m.size);
        if (m.status == 0xFE) { // wait for it to be written: what comes next must be the clock
            QTRY_VERIFY(keyboard.sentCycle() >= 0);
            continue;
        }
        const MidiEvent e = received(input);
        QCOMPARE(int(e.status), int(m.status));
        QVERIFY(e.isTransport());
        QCOMPARE(int(e.data1), int(m.d1));
        QCOMPARE(int(e.data2), int(m.d2));
        QCOMPARE(static_cast<std::uint32_t>(e.frame), static_cast<std::uint32_t>(keyboard.sentCycle() + m.offset));
    }
    QCOMPARE(input.dropped(), std::uint64_t{0});
}

void TestMidiJack::autoPicksAnotherClientsSource() {
    JackKeyboard keyboard;
    QVERIFY(keyboard.open("keys"));
    MidiInput input("chronus-test");
    QVERIFY(input.open("auto").ok());
    QCOMPARE(input.connectedPort(), std::string("keys:out"));
    QCOMPARE(int(roundTrip(keyboard, input, 64, 5).data1), 64);
    // A name that matches nothing connects nothing, and says so.
    MidiInput none("chronus-test2");
    QVERIFY(none.open("no such keyboard").ok());
    QCOMPARE(none.connectedPort(), std::string());
}

void TestMidiJack::cycleFrameIsTheCallersCycle() {
    JackKeyboard keyboard;
    QVERIFY(keyboard.open("keys"));
    MidiInput input("chronus-test");
    QVERIFY(input.open("keys").ok());
    keyboard.watch(&input);
    // Once our own callback has run, another client's callback reads its own cycle's frame time.
    QTRY_VERIFY_WITH_TIMEOUT(keyboard.reportedCycle() >= 0, 5000);
    keyboard.watch(nullptr);
    const std::int64_t reported = keyboard.reportedCycle();
    QVERIFY(reported >= 0);
    // lastCycle is stored before the report in the same callback, and later callbacks only move it on.
    QVERIFY(static_cast<std::uint32_t>(reported) <= keyboard.lastCycle());
    QCOMPARE(static_cast<std::uint32_t>(reported) % kPeriod, keyboard.lastCycle() % kPeriod);
}

void TestMidiJack::reconnectsWhenTheSourceComesBack() {
    auto keyboard = std::make_unique<JackKeyboard>();
    QVERIFY(keyboard->open("keys"));
    MidiInput input("chronus-test");
    QVERIFY(input.open("keys").ok());
    QCOMPARE(input.connectedPort(), std::string("keys:out"));
    const std::uint64_t connects = input.connects();
    keyboard.reset(); // unplugged
    QTRY_COMPARE_WITH_TIMEOUT(input.connectedPort(), std::string(), 5000);
    keyboard = std::make_unique<JackKeyboard>();
    QVERIFY(keyboard->open("keys")); // plugged in again
    QTRY_COMPARE_WITH_TIMEOUT(input.connectedPort(), std::string("keys:out"), 5000);
    QCOMPARE(input.connects(), connects + 1);
    QCOMPARE(int(roundTrip(*keyboard, input, 67, 9).data1), 67);
}

QTEST_GUILESS_MAIN(TestMidiJack)
#include "tst_midi_jack.moc"
