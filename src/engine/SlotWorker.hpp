#pragma once
// A slot's render worker: the slot's own copy of its patch (with pending edits), the plan compiled
// from it, and two threads that render it into the slot's ring ahead of the audio callback.
// Everything it shares with the rest of the engine is in SlotShared / EngineShared (plain data in
// shared memory), so the same worker runs as a thread of the engine's process or alone in a child
// process (`chronus-slot-worker`), where a crash in a module takes down only this slot.
//
// Threads:
// - the control thread (the caller of run()) consumes SlotShared's command queue, edits the patch,
//   compiles and warms up plans, catches a mirror up with the output, and resolves live changes by
//   name to indices of the plan. It may allocate; it runs one real-time priority below the render
//   thread while it handles commands (a live change must reach the render thread before its stamp)
//   and at normal priority while it compiles. A prime of a new structure (unless the patch is
//   small) is compiled and warmed up by a short-lived builder thread (normal priority) while the
//   control thread goes on passing the live changes that arrive meanwhile to the render thread; any
//   other command waits its turn. While the render thread is stuck inside one cycle (a hang, a
//   stall) no command is applied, as when one thread did both.
// - the render thread (real-time) receives a compiled plan by pointer (a single-slot mailbox; the
//   plan it replaces goes back to the control thread to be freed) and live changes as resolved
//   values through a fixed-size queue, applies them at their stamps and renders into the ring. It
//   never allocates, frees, locks or looks a name up.
// Each member below says which thread owns it.

#include "PatchGraph.hpp"
#include "Plan.hpp"
#include "SlotShared.hpp"
#include "modules/AudioIn.hpp"
#include "rt/LiveChange.hpp"

#include <pthread.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace chronus::engine {

// Live changes a worker can hold for their stamp.
inline constexpr std::size_t kHeldCapacity = 4096;
// A timeline that plays the committed patch but not in step with the output (too much history).
inline constexpr std::uint32_t kUnalignedTimeline = 0x80000000u;

class SlotWorker {
public:
    // What the render thread receives for a live change: indices and a value, never a name.
    using RenderChange = LiveChange;

    // The worker of `slot` in `region`. `parentPid` > 0: the worker is a process of its own and
    // leaves when that parent is gone.
    SlotWorker(SharedRegion& region, int slot, const EngineConfig& config, int parentPid = 0);
    ~SlotWorker();
    SlotWorker(const SlotWorker&) = delete;
    SlotWorker& operator=(const SlotWorker&) = delete;

    // Becomes the control thread and starts the render thread, until stopRequested (or the parent
    // process died); both threads have ended when it returns.
    void run() noexcept;

private:
    // What the render thread announces once it adopted a handoff and filled the ring.
    enum class Report : std::uint8_t { None, Prime, Sync };
    // A plan on its way to the render thread (and back, to be freed). Allocated and freed by the
    // control thread only.
    struct Handoff {
        std::unique_ptr<Plan> plan; // null: the slot has no plan any more (a failed compile)
        std::uint32_t generation = 0;
        std::uint32_t timeline = 0;
        std::int64_t planFrame = 0;
        Report report = Report::None;
        std::uint32_t ticket = 0;
        std::vector<LiveChange> held; // history still to replay on this plan (a Sync), by stamp
        bool dropped = false;         // render thread: it dropped this plan (a fault), none replaced it
    };

    // Control thread.
    void control() noexcept;
    void apply(const SlotCommand& c);
    void applyLive(const SlotCommand& c);
    void prime(const SlotCommand& c);
    void sync(const SlotCommand& c);
    std::unique_ptr<Plan> buildPlan(const PatchGraph& graph);
    std::unique_ptr<Handoff> prepareHandoff(std::unique_ptr<Plan> plan, const PatchGraph& compiledFrom,
                                            std::uint32_t newTimeline);
    bool takeDeferred(SlotCommand& c) noexcept {
        if (!m_deferred)
            return false;
        c = *m_deferred;
        m_deferred.reset();
        return true;
    }
    void applyHeldOnControl(Handoff& h);
    bool resolveLive(const SlotCommand& c, LiveChange& out);
    void push(const LiveChange& change, bool wakeRender = true);
    void handOff(std::unique_ptr<Handoff> h, bool waitForReport);
    // Both threads: whatever one of them (or a builder) changed, the other may be waiting for.
    void wakeBoth() noexcept {
        m_s->wake.wake();
        m_s->controlWake.wake();
    }
    void handOffWithAwaiting(std::unique_ptr<Handoff> h, Report report, std::uint32_t ticket, bool anyTimeline);
    void failPlan(Report report, std::uint32_t ticket);
    void collectReturned() noexcept;
    bool waitForReport(std::uint32_t ticket);
    void cloneInto(int target, std::uint32_t ticket);
    bool renderStuck() const noexcept;
    bool startRender() noexcept;
    void stopRender() noexcept;

    // Render thread.
    static void* renderMain(void* self) noexcept;
    void render() noexcept;
    void renderCycle();
    void adopt();
    void drainChanges() noexcept;
    void applyResolved(const LiveChange& c) noexcept;
    void applyHeldDue() noexcept;
    void renderBlock(bool toRing);
    void renderToTarget();
    void bindInput() noexcept;
    void aimInput(bool toRing) noexcept;
    void finishReport() noexcept;
    void failRender() noexcept;
    void retire(Handoff* h) noexcept;
    void injectedCrash(std::uint8_t faults);

    void setState(SlotState s) noexcept { m_s->state.store(s, std::memory_order_release); }

    SharedRegion& m_region;
    int m_slot;
    SlotShared* m_s; // the slot this worker renders for (a clone takes over the other one)
    const EngineShared& m_engine;
    const EngineConfig m_config;
    int m_parentPid;

    // Control thread.
    PatchGraph m_graph;     // the slot's patch, with its pending edits
    PatchGraph m_planGraph; // what the render thread's plan was compiled from, with the live changes sent to it
    Plan* m_ctlPlan = nullptr;          // that plan (its module names are read-only: safe to look up here)
    std::uint32_t m_ctlTimeline = 0;    // its timeline
    std::uint32_t m_generation = 0;     // of the last handoff
    std::vector<SlotCommand> m_awaiting; // live changes for a timeline still to come (a Sync's history)
    std::vector<SlotCommand> m_midiSnapshot; // kCommandMidiSnapshot commands for the next Prime
    std::optional<SlotCommand> m_deferred; // taken from the queue during a prime's build, next in line
    std::vector<float> m_warmLeft, m_warmRight; // warm-ups and catch-ups (the builder's during a prime)
    int m_controlPriority = 0;          // SCHED_FIFO priority while handling commands; 0 normal
    pthread_t m_renderThread{};
    bool m_renderStarted = false;

    // Between the two threads.
    std::atomic<Handoff*> m_mailbox{nullptr};           // control -> render
    SpscQueue<Handoff*, 16> m_returned;                 // render -> control: to be freed
    std::unique_ptr<SpscQueue<RenderChange, kHeldCapacity>> m_changes; // control -> render
    std::atomic<std::uint32_t> m_reported{0};           // render: ticket of the last report
    std::atomic<bool> m_renderStop{false};              // control: leave
    std::atomic<bool> m_renderExited{false};            // render: it left
    std::atomic<bool> m_parkRequest{false};             // control: stop between blocks (a fork)
    std::atomic<bool> m_parked{false};                  // render: stopped between blocks
    std::atomic<std::int64_t> m_cycleStartNs{0};        // render: when its current cycle began; 0 between cycles

    // Render thread.
    Handoff* m_current = nullptr; // the plan it plays, owned until it goes back
    Plan* m_plan = nullptr;
    Handoff* m_unreturned = nullptr; // a handoff the full return queue did not take yet
    std::uint32_t m_playing = 0;     // m_current's generation
    std::uint32_t m_timeline = 0;
    std::int64_t m_planFrame = 0;
    Report m_pendingReport = Report::None;
    std::uint32_t m_pendingTicket = 0;
    std::vector<float> m_left, m_right;
    std::vector<RenderChange> m_held; // live changes waiting for their stamp; capacity reserved
    // Audio input: where the plan's audio_in modules read the block being rendered (aimInput).
    InputCursor m_inputCursor;
};

} // namespace chronus::engine
