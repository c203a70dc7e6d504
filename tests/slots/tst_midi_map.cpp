// MIDI-mapped parameters in the dual-slot engine, in real time through the clock-paced null driver:
// a test callback plays a device clock (it marks each callback's device frame, as the JACK MIDI
// input does), control changes are sent with device frames inside callbacks, and the recorded
// output (a vca's level, mapped to CC 7, times a constant 1) must hold its value up to the MIDI
// latency after the controller's device frame and start its ramp at exactly that sample: the
// first step, the same slope every sample for the ramp's length, the mapped value at its end. With
// worker threads and processes, and across a failover to the mirror (which must play the mapped
// value too). Other controllers and channels leave the parameter alone, an unmapped one stops
// moving it, and the pending patch holds the controller's value.

#include "DeviceClockCallback.hpp"
#include "SlotRig.hpp"
#include "engine/EngineTestUtils.hpp"
#include "support/Sanitized.hpp"

#include <QTest>

#include <atomic>
#include <cmath>
#include <vector>

using namespace chronus::engine;
using namespace chronus::test;

namespace {

constexpr double kRate = 48000.0;
constexpr int kBlock = 64;
constexpr int kRing = 4;
constexpr std::int64_t kDeviceBase = chronus::test::kDeviceClockBase;
constexpr int kRamp = 480; // kParamRampSeconds at 48 kHz

using chronus::test::DeviceClockCallback;

MidiEvent controller(int channel, int cc, int value, std::int64_t deviceFrame) {
    MidiEvent e;
    e.frame = deviceFrame;
    e.status = static_cast<std::uint8_t>(0xB0 | (channel - 1));
    e.data1 = static_cast<std::uint8_t>(cc);
    e.data2 = static_cast<std::uint8_t>(value);
    return e;
}

struct MapRun {
    std::vector<std::int64_t> at;   // where each mapped change must start (stream frames)
    std::vector<float> from, to;    // the level before and after it
    std::vector<float> left;
    std::int64_t end = 0;
    double pendingLevel = -1.0;
    EngineStats before, stats;
};

void runMap(MapRun& run, WorkerMode workers, bool failover) {
    EngineConfig config;
    config.sampleRate = kRate;
    config.blockSize = kBlock;
    config.ringTargetBlocks = kRing;
    config.healthWindowMs = 20.0;
    config.workers = workers;
    const std::int64_t latency = std::int64_t{kRing + 3} * kBlock;

    SlotEngine engine(config);
    DeviceClockCallback callback(engine, static_cast<std::size_t>(kRate) * 30);
    chronus::audio::NullDriver driver;
    CHRONUS_VERIFY_OK(engine.start());
    chronus::audio::DriverConfig dc;
    dc.sampleRate = kRate;
    dc.blockSize = kBlock;
    CHRONUS_VERIFY_OK(driver.start(callback, dc));

    PatchGraph patch;
    CHRONUS_VERIFY_OK(patch.addModule("one", "const"));
    CHRONUS_VERIFY_OK(patch.setText("one", "values", "1").status());
    CHRONUS_VERIFY_OK(patch.addModule("amp", "vca"));
    CHRONUS_VERIFY_OK(patch.setParam("amp", "level", 0.25).status());
    CHRONUS_VERIFY_OK(patch.connect("one", "amp.in"));
    CHRONUS_VERIFY_OK(patch.connect("amp", "out.left"));
    CHRONUS_VERIFY_OK(engine.loadPending(patch));
    CHRONUS_VERIFY_OK(engine.commit());
    MidiMapping m;
    m.module = "amp";
    m.param = "level";
    m.cc = 7;
    m.channel = 2;
    m.min = 0.0;
    m.max = 2.0;
    CHRONUS_VERIFY_OK(engine.setMidiMapping(m).status());
    const int active = engine.activeSlot();
    QVERIFY(waitStats(engine, [&](const EngineStats& s) { return s.slot[1 - active].inStep; }));
    run.before = engine.stats();

    const auto send = [&](int channel, int cc, int value, int offset) {
        const std::int64_t frame = kDeviceBase + callback.frames() - kBlock + offset;
        (void)engine.midi(controller(channel, cc, value, frame));
        return frame - kDeviceBase + latency;
    };
    const auto waitBlocks = [&](int n) { QVERIFY(callback.waitFrames(callback.frames() + n * kBlock)); };
    float level = 0.25f;
    const auto expect = [&](std::int64_t at, int value) {
        const float to = static_cast<float>(m.valueAt(value));
        run.at.push_back(at);
        run.from.push_back(level);
        run.to.push_back(to);
        level = to;
    };
    expect(send(2, 7, 127, 17), 127); // 2.0
    waitBlocks(20);
    (void)send(1, 7, 0, 3);  // another channel
    (void)send(2, 8, 0, 4);  // another controller
    waitBlocks(20);
    if (failover) {
        engine.injectFault(engine.activeSlot(), Fault::Stall, 100.0);
        QVERIFY(waitStats(engine, [](const EngineStats& s) { return s.failovers >= 1; }));
        waitBlocks(20);
    }
    expect(send(2, 7, 32, 50), 32);
    waitBlocks(20);
    CHRONUS_VERIFY_OK(engine.removeMidiMapping("amp", "level"));
    (void)send(2, 7, 127, 9); // no longer mapped
    run.end = callback.frames() + latency + 2 * kRamp;
    QVERIFY(callback.waitFrames(run.end + kBlock));
    run.stats = engine.stats();
    run.pendingLevel = engine.pending().find("amp")->params[0];
    driver.stop();
    engine.stop();
    run.left = callback.left();
}

} // namespace

class TestMidiMap : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { qputenv("CHRONUS_SLOT_WORKER", CHRONUS_SLOT_WORKER_BINARY); }
    void mappedControllerRampsFromItsSample_data();
    void mappedControllerRampsFromItsSample();
    void midiCcKeepsItsValueAcrossARebuild_data();
    void midiCcKeepsItsValueAcrossARebuild();
};

void TestMidiMap::mappedControllerRampsFromItsSample_data() {
    QTest::addColumn<int>("workers");
    QTest::addColumn<bool>("failover");
    for (WorkerMode mode : {WorkerMode::Threads, WorkerMode::Processes})
        for (bool failover : {false, true})
            QTest::addRow("%s/%s", workerModeName(mode), failover ? "failover" : "none") << int(mode) << failover;
}

void TestMidiMap::mappedControllerRampsFromItsSample() {
    QFETCH(int, workers);
    QFETCH(bool, failover);
    MapRun run;
    for (int attempt = 0;; ++attempt) { // as tst_midi_timing: a run the machine disturbed runs again
        run = MapRun{};
        runMap(run, static_cast<WorkerMode>(workers), failover);
        if (QTest::currentTestFailed())
            return;
        const bool disturbed = totalNoneReads(run.stats) != totalNoneReads(run.before) ||
                               run.stats.failovers - run.before.failovers != (failover ? 1u : 0u) ||
                               run.stats.lateMidi > 0;
        if (!disturbed || attempt == 2)
            break;
        qWarning("the machine disturbed the run (none-reads, a stall or a late event): once more on a fresh engine");
    }
    if (run.stats.lateMidi > 0 && kSanitized)
        QSKIP("a sanitized build on a shared machine delivered an event later than the MIDI latency");
    QCOMPARE(run.stats.lateMidi, std::uint64_t{0});
    const auto& x = run.left;
    for (std::size_t k = 0; k < run.at.size(); ++k) {
        const auto at = static_cast<std::size_t>(run.at[k]);
        const float step = (run.to[k] - run.from[k]) / kRamp;
        const QString where = QStringLiteral("change %1 at frame %2").arg(k).arg(at);
        QVERIFY2(x[at - 1] == run.from[k], qPrintable(where + QStringLiteral(": %1 before it").arg(x[at - 1])));
        for (int i = 0; i < kRamp; ++i) {
            const float want = i + 1 == kRamp ? run.to[k] : run.from[k] + step * static_cast<float>(i + 1);
            QVERIFY2(std::abs(x[at + static_cast<std::size_t>(i)] - want) < 1e-4f,
                     qPrintable(where + QStringLiteral(": %1 at +%2, not %3").arg(x[at + static_cast<std::size_t>(i)]).arg(i).arg(want)));
        }
        const std::size_t next = k + 1 < run.at.size() ? static_cast<std::size_t>(run.at[k + 1]) : static_cast<std::size_t>(run.end);
        for (std::size_t i = at + kRamp; i < next; ++i)
            QVERIFY2(x[i] == run.to[k], qPrintable(where + QStringLiteral(": %1 at %2 after the ramp").arg(x[i]).arg(i)));
    }
    QCOMPARE(run.pendingLevel, 32 * 2.0 / 127.0); // the last mapped value: an unmapped controller moved nothing
}

void TestMidiMap::midiCcKeepsItsValueAcrossARebuild_data() {
    QTest::addColumn<int>("workers");
    for (WorkerMode mode : {WorkerMode::Threads, WorkerMode::Processes})
        QTest::addRow("%s", workerModeName(mode)) << int(mode);
}

// A commit that compiles the patch afresh starts a fresh midi_cc: it must start where its knob is
// (the engine hands it the controllers as they stand), not at `min` until the knob moves again.
void TestMidiMap::midiCcKeepsItsValueAcrossARebuild() {
    QFETCH(int, workers);
    EngineConfig config;
    config.sampleRate = kRate;
    config.blockSize = kBlock;
    config.ringTargetBlocks = kRing;
    config.workers = static_cast<WorkerMode>(workers);
    SlotEngine engine(config);
    DeviceClockCallback callback(engine, static_cast<std::size_t>(kRate) * 30);
    chronus::audio::NullDriver driver;
    CHRONUS_VERIFY_OK(engine.start());
    chronus::audio::DriverConfig dc;
    dc.sampleRate = kRate;
    dc.blockSize = kBlock;
    CHRONUS_VERIFY_OK(driver.start(callback, dc));
    PatchGraph patch;
    CHRONUS_VERIFY_OK(patch.addModule("knob", "midi_cc"));
    CHRONUS_VERIFY_OK(patch.setParam("knob", "cc", 20).status());
    CHRONUS_VERIFY_OK(patch.setParam("knob", "channel", 5).status());
    CHRONUS_VERIFY_OK(patch.setParam("knob", "smooth", 0).status());
    CHRONUS_VERIFY_OK(patch.connect("knob", "out.left"));
    CHRONUS_VERIFY_OK(engine.loadPending(patch));
    CHRONUS_VERIFY_OK(engine.commit());
    QVERIFY(engine.midi(controller(5, 20, 127, -1)).ok()); // no device frame: as soon as possible
    QVERIFY(engine.midi(controller(5, 52, 0, -1)).ok());   // its LSB
    QVERIFY(engine.midi(controller(6, 20, 0, -1)).ok());   // another channel's
    const auto last = [&] { return callback.left()[static_cast<std::size_t>(callback.frames() - 1)]; };
    QTRY_COMPARE_WITH_TIMEOUT(last(), static_cast<float>(127 * 128) / 16383.0f, 5000);
    // A module added: the standby compiles a fresh patch, with a fresh midi_cc.
    CHRONUS_VERIFY_OK(engine.addModule("hum", "sine"));
    CHRONUS_VERIFY_OK(engine.connect("hum", "out.right"));
    CHRONUS_VERIFY_OK(engine.commit());
    const std::int64_t after = callback.frames();
    QVERIFY(callback.waitFrames(after + 40 * kBlock));
    for (std::int64_t i = after; i < after + 40 * kBlock; ++i)
        QVERIFY2(callback.left()[static_cast<std::size_t>(i)] == static_cast<float>(127 * 128) / 16383.0f,
                 qPrintable(QStringLiteral("frame %1: %2").arg(i).arg(callback.left()[static_cast<std::size_t>(i)])));
    driver.stop();
    engine.stop();
}

QTEST_GUILESS_MAIN(TestMidiMap)
#include "tst_midi_map.moc"
