// One slot's worker driven directly, the test playing the audio callback's part (it reads the ring
// and wakes the worker): what splitting the worker into a control thread and a render thread buys.
// While the control thread (its builder) compiles and warms up a big patch, the render thread goes
// on playing the current plan and the live changes sent meanwhile land on it at their stamps; and
// the render thread receives them as indices, never as names.

#include "engine/SlotShared.hpp"
#include "engine/SlotWorker.hpp"

#include <QTest>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

using namespace chronus::engine;

// The render thread's live change carries no text: no room for a module's id (up to 64 characters)
// or a parameter's, let alone the 136-character fields a command carries.
static_assert(std::is_same_v<SlotWorker::RenderChange, LiveChange>);
static_assert(std::is_trivially_copyable_v<LiveChange>);
static_assert(sizeof(LiveChange) < 64, "a resolved live change has no room for a name");

namespace {

constexpr int kBlock = 64;

// A worker for slot 0 of a region of its own, on a thread like the engine's.
class WorkerRig {
public:
    explicit WorkerRig(const EngineConfig& config) : m_region(std::make_unique<SharedRegion>()) {
        m_region->config = config;
        m_region->engine.audioPriority.store(0); // no real-time callback: normal scheduling
        slot().ring.configure(static_cast<std::size_t>(config.blockSize));
        m_worker = std::make_unique<SlotWorker>(*m_region, 0, config);
        m_thread = std::thread([w = m_worker.get()] { w->run(); });
    }
    ~WorkerRig() {
        slot().stopRequested.store(true, std::memory_order_release);
        wakeBoth();
        m_thread.join();
    }
    SlotShared& slot() { return m_region->slot[0]; }
    // As the engine wakes a worker for a command it sends (Slot::wake): both of its threads.
    void wakeBoth() {
        slot().controlWake.wake();
        slot().wake.wake();
    }

    void send(SlotCommand c) {
        while (!slot().commands.tryPush(c))
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        wakeBoth();
    }
    void send(SlotCommandKind kind, const std::string& a = {}, const std::string& b = {}, double value = 0.0) {
        SlotCommand c;
        c.kind = kind;
        c.a.assign(a);
        c.b.assign(b);
        c.value = value;
        send(c);
    }
    // The callback's part: everything the ring holds, by plan frame (for `timeline` only), then its
    // wake (OutputStage::wakeWorker): the render thread, and the control thread if commands wait.
    void pump(std::uint32_t timeline, std::vector<float>& byFrame) {
        float buffer[2 * kBlock];
        std::uint32_t t = 0;
        std::int64_t frame = 0;
        while (slot().ring.frontTag(t, frame)) {
            const std::size_t n = slot().ring.read(buffer, kBlock);
            if (t != timeline)
                continue;
            if (byFrame.size() < static_cast<std::size_t>(frame) + n)
                byFrame.resize(static_cast<std::size_t>(frame) + n, 0.0f);
            for (std::size_t i = 0; i < n; ++i)
                byFrame[static_cast<std::size_t>(frame) + i] = buffer[2 * i];
        }
        if (slot().commands.sizeApprox() != 0)
            slot().controlWake.wake();
        slot().wake.wake();
    }
    template <class Pred>
    bool pumpUntil(std::uint32_t timeline, std::vector<float>& byFrame, Pred done, int seconds = 20) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
        while (!done()) {
            if (std::chrono::steady_clock::now() > deadline)
                return false;
            pump(timeline, byFrame);
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        return true;
    }

private:
    std::unique_ptr<SharedRegion> m_region;
    std::unique_ptr<SlotWorker> m_worker;
    std::thread m_thread;
};

float peak(const std::vector<float>& x, std::size_t from, std::size_t to) {
    float p = 0.0f;
    for (std::size_t i = from; i < std::min(to, x.size()); ++i)
        p = std::max(p, std::fabs(x[i]));
    return p;
}

} // namespace

class TestSlotWorker : public QObject {
    Q_OBJECT

private slots:
    void liveChangesLandOnTimeWhileTheWorkerCompiles();
    void aLiveChangeThatComesAfterItsBlockIsCountedLate();
};

void TestSlotWorker::liveChangesLandOnTimeWhileTheWorkerCompiles() {
    EngineConfig config;
    config.blockSize = kBlock;
    config.realtimeWorkers = false;
    // A long warm-up makes the big patch's prime take a while (seconds): time for the render
    // thread to play on and for the live change to land, all before the prime is done.
    config.warmupBlocks = 3000;
    WorkerRig rig(config);
    SlotShared& s = rig.slot();

    // A small patch, playing on timeline 1.
    rig.send(SlotCommandKind::AddModule, "osc", "sine");
    rig.send(SlotCommandKind::AddModule, "amp", "vca");
    rig.send(SlotCommandKind::Connect, "osc", "amp");
    rig.send(SlotCommandKind::Connect, "amp", "out");
    SlotCommand sync;
    sync.kind = SlotCommandKind::Sync;
    sync.timeline = 1;
    sync.ticket = 1;
    rig.send(sync);
    std::vector<float> played;
    QVERIFY(rig.pumpUntil(1, played, [&] { return s.syncDone.load() == 1; }));
    QVERIFY(rig.pumpUntil(1, played, [&] { return played.size() >= 4800; }));
    const float steady = peak(played, 0, played.size());
    QVERIFY(steady > 0.1f);

    // A big patch for the next prime: hundreds of modules, a new structure (a compile).
    constexpr int kModules = 300;
    rig.send(SlotCommandKind::AddModule, "saw", "saw");
    std::string previous = "saw";
    for (int i = 0; i < kModules; ++i) {
        std::string id = "f";
        id += std::to_string(i);
        rig.send(SlotCommandKind::AddModule, id, "ladder");
        rig.send(SlotCommandKind::Connect, previous, id);
        previous = id;
    }
    rig.send(SlotCommandKind::Connect, previous, "out");
    SlotCommand prime;
    prime.kind = SlotCommandKind::Prime;
    prime.timeline = 2;
    prime.ticket = 2;
    rig.send(prime);
    QVERIFY(rig.pumpUntil(1, played, [&] { return s.state.load() == SlotState::Priming; }));
    QVERIFY(s.primeDone.load() != 2);

    // A live change on the playing timeline, stamped ahead: silence from its stamp on.
    const std::int64_t stamp = s.planFramePublished.load() + 8 * kBlock;
    const std::uint64_t lateBefore = s.lateLive.load();
    SlotCommand live;
    live.kind = SlotCommandKind::SetLive;
    live.a.assign("amp");
    live.b.assign("level");
    live.value = 0.0;
    live.timeline = 1;
    live.stamp = stamp;
    rig.send(live);
    // The ring is full and nobody reads it: the render thread cannot pass the stamp until the test
    // plays on, once the control thread took the change from the queue (and passed it on).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (s.commands.sizeApprox() != 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    QVERIFY2(s.commands.sizeApprox() == 0 && s.primeDone.load() != 2, "the live change waited behind the compile");
    const auto settled = static_cast<std::size_t>(stamp) + 4800; // past any parameter ramp
    QVERIFY2(rig.pumpUntil(1, played, [&] { return played.size() >= settled + 960; }),
             "the render thread stopped playing while the worker compiled");
    QVERIFY2(s.primeDone.load() != 2, "the prime ended before the test could look: make the patch bigger");

    QCOMPARE(s.lateLive.load(), lateBefore);
    // Untouched before its stamp, silent after it: it landed at its frame, on the plan playing.
    QVERIFY(peak(played, static_cast<std::size_t>(stamp) - 2 * kBlock, static_cast<std::size_t>(stamp)) >
            0.99f * steady);
    QVERIFY(peak(played, settled, settled + 960) < 1e-4f);

    // And the prime completes on the new structure.
    std::vector<float> primed;
    QVERIFY(rig.pumpUntil(2, primed, [&] { return s.primeDone.load() == 2; }, 120));
    QVERIFY(s.primeReady.load());
    QCOMPARE(s.timelinePublished.load(), std::uint32_t{2});
}

// A live change that reaches the render thread after the block of its stamp was rendered (its
// control thread was not scheduled in time) lands on the next block: late, and counted so. Applied
// late in one slot only, the two slots no longer play the same samples; uncounted, the engine and
// its tests took such a mirror for an in-step one.
void TestSlotWorker::aLiveChangeThatComesAfterItsBlockIsCountedLate() {
    EngineConfig config;
    config.blockSize = kBlock;
    config.realtimeWorkers = false;
    WorkerRig rig(config);
    SlotShared& s = rig.slot();
    rig.send(SlotCommandKind::AddModule, "osc", "sine");
    rig.send(SlotCommandKind::AddModule, "amp", "vca");
    rig.send(SlotCommandKind::Connect, "osc", "amp");
    rig.send(SlotCommandKind::Connect, "amp", "out");
    SlotCommand sync;
    sync.kind = SlotCommandKind::Sync;
    sync.timeline = 1;
    sync.ticket = 1;
    rig.send(sync);
    std::vector<float> played;
    QVERIFY(rig.pumpUntil(1, played, [&] { return s.syncDone.load() == 1; }));
    QVERIFY(rig.pumpUntil(1, played, [&] { return played.size() >= 4800; }));

    const std::uint64_t lateBefore = s.lateLive.load();
    const std::uint64_t appliedBefore = s.commandsApplied.load();
    SlotCommand live;
    live.kind = SlotCommandKind::SetLive;
    live.a.assign("amp");
    live.b.assign("level");
    live.value = 0.5;
    live.timeline = 1;
    live.stamp = s.planFramePublished.load() - 4 * kBlock; // a block already rendered
    rig.send(live);
    QVERIFY(rig.pumpUntil(1, played, [&] { return s.commandsApplied.load() > appliedBefore; }));
    QCOMPARE(s.lateLive.load(), lateBefore + 1);
}

QTEST_GUILESS_MAIN(TestSlotWorker)
#include "tst_slot_worker.moc"
