// MIDI out on a real JACK server (jackd's dummy backend, 48 kHz, 64-frame periods, started by the
// test): a JACK client plays the engine through EngineCallback in its process callback (as the
// RtAudio driver does under JACK), the patch a clock's 1/32 steps at 300 BPM into midi_out (a
// note-on every 1200 frames), MidiOutput writes the engine's MIDI into its JACK port, and a second
// client reads that port. Checked: every event the engine handed on arrives once, in order, exactly
// MidiOutput::latencyFrames() after its device frame (no jitter), the notes on their 1200-frame
// grid, across a commit and a failover, with worker threads and worker processes.

#include "audio/EngineCallback.hpp"
#include "audio/MidiOutput.hpp"
#include "engine/SlotEngine.hpp"
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

#include <array>
#include <atomic>
#include <cstdint>
#include <vector>

using namespace chronus::audio;
using namespace chronus::engine;

namespace {

constexpr int kPeriod = 64;
constexpr std::int64_t kStepFrames = 1200;

struct Stamped {
    std::int64_t frame = 0;
    std::uint8_t status = 0, data1 = 0;
};

// A JACK client, either the "device" (plays the engine, records what it sends at which device frame)
// or the reader (records what arrives on its MIDI input port at which frame).
class Client {
public:
    Client(EngineCallback* engineCallback, SlotEngine* engine, MidiOutput* out)
        : m_callback(engineCallback), m_engine(engine), m_out(out), m_log(200000), m_buffer(2 * 8192) {}
    ~Client() { close(); }
    bool open(const char* name) {
        jack_status_t status{};
        m_client = jack_client_open(name, JackNoStartServer, &status);
        if (!m_client)
            return false;
        if (!m_engine)
            m_port = jack_port_register(m_client, "in", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
        return (m_engine || m_port) && jack_set_process_callback(m_client, &Client::process, this) == 0 &&
               jack_set_xrun_callback(m_client, &Client::xrun, this) == 0 && jack_activate(m_client) == 0;
    }
    void close() {
        if (m_client) {
            jack_deactivate(m_client);
            jack_client_close(m_client);
            m_client = nullptr;
        }
    }
    std::vector<Stamped> log() const {
        return {m_log.begin(), m_log.begin() + static_cast<std::ptrdiff_t>(m_count.load(std::memory_order_acquire))};
    }
    std::int64_t framesPlayed() const { return m_position.load(std::memory_order_acquire); }
    // The server's frame time at each xrun it reported to this client (a late cycle: frame times
    // jump past the frames it skipped, so spacing and delays measured across one are not the engine's).
    std::vector<std::int64_t> xruns() const {
        return {m_xruns.begin(), m_xruns.begin() + static_cast<std::ptrdiff_t>(m_xrunCount.load(std::memory_order_acquire))};
    }

private:
    static int process(jack_nframes_t frames, void* self) {
        auto* c = static_cast<Client*>(self);
        std::size_t n = c->m_count.load(std::memory_order_relaxed);
        if (c->m_engine) {
            CallbackInfo info;
            info.frames = static_cast<int>(frames);
            info.sampleRate = 48000.0;
            info.framePosition = static_cast<std::uint64_t>(c->m_position.load(std::memory_order_relaxed));
            c->m_callback->process(c->m_buffer.data(), info);
            const std::int64_t cycle = c->m_out->cycleFrame();
            for (const MidiEvent& e : c->m_engine->midiOut())
                if (n < c->m_log.size() && cycle >= 0)
                    c->m_log[n++] = {cycle + e.offset, e.status, e.data1};
            c->m_position.fetch_add(frames, std::memory_order_release);
        } else {
            // The reader's own frame time, unwrapped as MidiOutput does (the test runs far less than 2^32 frames).
            const std::int64_t cycle = jack_last_frame_time(c->m_client);
            void* buffer = jack_port_get_buffer(c->m_port, frames);
            for (jack_nframes_t i = 0, count = jack_midi_get_event_count(buffer); i < count; ++i) {
                jack_midi_event_t e;
                if (jack_midi_event_get(&e, buffer, i) == 0 && n < c->m_log.size())
                    c->m_log[n++] = {cycle + e.time, e.buffer[0], e.size > 1 ? e.buffer[1] : std::uint8_t{0}};
            }
        }
        c->m_count.store(n, std::memory_order_release);
        return 0;
    }

    static int xrun(void* self) {
        auto* c = static_cast<Client*>(self);
        const std::size_t n = c->m_xrunCount.load(std::memory_order_relaxed);
        if (n < c->m_xruns.size()) {
            c->m_xruns[n] = jack_frame_time(c->m_client);
            c->m_xrunCount.store(n + 1, std::memory_order_release);
        }
        return 0;
    }

    EngineCallback* m_callback;
    SlotEngine* m_engine;
    MidiOutput* m_out;
    jack_client_t* m_client = nullptr;
    jack_port_t* m_port = nullptr;
    std::vector<Stamped> m_log;
    std::vector<float> m_buffer;
    std::atomic<std::size_t> m_count{0};
    std::atomic<std::int64_t> m_position{0};
    std::array<std::int64_t, 4096> m_xruns{};
    std::atomic<std::size_t> m_xrunCount{0};
};

bool waitFor(const std::function<bool()>& condition, int ms = 20000) {
    QElapsedTimer timer;
    timer.start();
    while (!condition()) {
        if (timer.elapsed() > ms)
            return false;
        QTest::qWait(5);
    }
    return true;
}

} // namespace

class TestMidiOutJack : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void engineMidiArrivesOnItsFrames_data();
    void engineMidiArrivesOnItsFrames();

private:
    chronus::test::JackServer m_server;
};

void TestMidiOutJack::initTestCase() {
    qputenv("CHRONUS_SLOT_WORKER", CHRONUS_SLOT_WORKER_BINARY);
    if (!chronus::test::JackServer::installed(QStringLiteral(CHRONUS_JACKD)))
        QSKIP(chronus::test::JackServer::kNotInstalled);
    const QString failed = m_server.start(QStringLiteral(CHRONUS_JACKD), QStringLiteral("midi-out-test"), 48000, kPeriod);
    QVERIFY2(failed.isEmpty(), qPrintable(failed));
}

void TestMidiOutJack::cleanupTestCase() { m_server.stop(); }

void TestMidiOutJack::engineMidiArrivesOnItsFrames_data() {
    QTest::addColumn<int>("workers");
    QTest::addRow("threads") << int(WorkerMode::Threads);
    QTest::addRow("processes") << int(WorkerMode::Processes);
}

void TestMidiOutJack::engineMidiArrivesOnItsFrames() {
    QFETCH(int, workers);
    EngineConfig config;
    config.sampleRate = 48000.0;
    config.blockSize = kPeriod;
    config.healthWindowMs = 20.0;
    config.workers = static_cast<WorkerMode>(workers);
    SlotEngine engine(config);
    QVERIFY(engine.start().ok());
    EngineCallback callback(engine);
    MidiOutput out("chronus-test");
    Client reader(nullptr, nullptr, nullptr);
    QVERIFY(reader.open("reader"));
    const Status opened = out.open("reader:in");
    QVERIFY2(opened.ok(), opened.message().c_str());
    QCOMPARE(out.connectedPort(), std::string("reader:in"));
    callback.setMidiOut(&out);
    Client device(&callback, &engine, &out);
    QVERIFY(device.open("device"));

    PatchGraph patch;
    QVERIFY(patch.addModule("clk", "clock").ok());
    QVERIFY(patch.setParam("clk", "bpm", 300).ok());
    QVERIFY(patch.setParam("clk", "division", 3).ok());
    QVERIFY(patch.addModule("mo", "midi_out").ok());
    QVERIFY(patch.connect("clk.step", "mo.gate").ok());
    QVERIFY(engine.loadPending(patch).ok());
    QVERIFY(engine.commit().ok());
    QVERIFY(waitFor([&] { return device.framesPlayed() > 48000; }));
    QVERIFY(engine.setPending("mo", "bpm", 90).ok()); // a commit that keeps the notes' grid
    QVERIFY(engine.commit().ok());
    QVERIFY(waitFor([&] { return device.framesPlayed() > 96000; }));
    const std::uint64_t failoversBefore = engine.stats().failovers;
    engine.injectFault(engine.activeSlot(), Fault::Stall, 100.0);
    QVERIFY(waitFor([&] { return engine.stats().failovers > failoversBefore; }));
    QVERIFY(waitFor([&] { return device.framesPlayed() > 192000; }));
    device.close(); // no more sent: what was sent arrives within a period or two
    QVERIFY(waitFor([&] { return reader.log().size() >= device.log().size(); }, 2000));
    reader.close();
    callback.setMidiOut(nullptr);
    const EngineStats stats = engine.stats();
    engine.stop();

    const std::vector<Stamped> sent = device.log(), heard = reader.log();
    QCOMPARE(heard.size(), sent.size());
    // Frame times across a server xrun jump by the cycles it skipped: what spans one is not judged.
    std::vector<std::int64_t> xruns = device.xruns();
    for (std::int64_t x : reader.xruns())
        xruns.push_back(x);
    const auto nearXrun = [&](std::int64_t from, std::int64_t to) {
        for (std::int64_t x : xruns)
            if (x >= from - 4 * kPeriod && x <= to + 4 * kPeriod)
                return true;
        return false;
    };
    std::int64_t minDelay = INT64_MAX, maxDelay = INT64_MIN;
    int mismatched = 0, excused = 0;
    for (std::size_t i = 0; i < sent.size(); ++i) {
        mismatched += heard[i].status != sent[i].status || heard[i].data1 != sent[i].data1;
        if (nearXrun(sent[i].frame, heard[i].frame)) {
            ++excused;
            continue;
        }
        const std::int64_t delay = heard[i].frame - sent[i].frame;
        minDelay = std::min(minDelay, delay);
        maxDelay = std::max(maxDelay, delay);
    }
    std::vector<std::int64_t> ons;
    for (const Stamped& h : heard)
        if (h.status == 0x90)
            ons.push_back(h.frame);
    int offGrid = 0, judged = 0;
    for (std::size_t i = 1; i < ons.size(); ++i) {
        if (nearXrun(ons[i - 1], ons[i]))
            continue;
        ++judged;
        offGrid += ons[i] - ons[i - 1] != kStepFrames;
    }
    qInfo("%zu events (%zu note-ons) over %lld frames; delay %lld..%lld frames (latencyFrames %lld); %d of %d note-on "
          "spacings off the grid; %zu server xruns (%d events not judged for delay); late %llu, dropped %llu; "
          "failovers %llu, none-reads %llu",
          heard.size(), ons.size(), static_cast<long long>(device.framesPlayed()), static_cast<long long>(minDelay),
          static_cast<long long>(maxDelay), static_cast<long long>(out.latencyFrames()), offGrid, judged, xruns.size(), excused,
          static_cast<unsigned long long>(out.late()), static_cast<unsigned long long>(out.dropped()),
          static_cast<unsigned long long>(stats.failovers),
          static_cast<unsigned long long>(stats.slot[0].noneReads + stats.slot[1].noneReads));
    QCOMPARE(mismatched, 0);
    QVERIFY(ons.size() > 100);
    QVERIFY2(judged > 100, "the server's xruns left too little to judge");
    QCOMPARE(minDelay, out.latencyFrames());
    QCOMPARE(maxDelay, out.latencyFrames());
    QCOMPARE(offGrid, 0);
    if (xruns.empty()) // a late cycle can make MidiOutput's own cycle late: judged without one
        QCOMPARE(out.late(), std::uint64_t{0});
    QCOMPARE(out.dropped(), std::uint64_t{0});
}

QTEST_MAIN(TestMidiOutJack)
#include "tst_midi_out_jack.moc"
