#pragma once
// A slot's render worker: the slot's own copy of its patch (with pending edits), the plan compiled
// from it, and the loop that applies commands and renders into the slot's ring ahead of the audio
// callback. Everything it shares with the rest of the engine is in SlotShared / EngineShared (plain
// data in shared memory), so the same worker runs as a thread of the engine's process or alone in
// a child process (`chronus-slot-worker`), where a crash in a module takes down only this slot.
//
// Threads: run() is the worker's thread (the only one that touches the members); everything else
// reaches it through SlotShared's command queue and flags.

#include "PatchGraph.hpp"
#include "Plan.hpp"
#include "SlotShared.hpp"

#include <cstdint>
#include <memory>
#include <vector>

namespace chronus::engine {

class SlotWorker {
public:
    // The worker of `slot` in `region`. `parentPid` > 0: the worker is a process of its own and
    // leaves when that parent is gone.
    SlotWorker(SharedRegion& region, int slot, const EngineConfig& config, int parentPid = 0);

    // The worker's loop, until stopRequested (or the parent process died).
    void run() noexcept;

private:
    void apply(const SlotCommand& c);
    void applyLive(const SlotCommand& c) noexcept;     // between renders: finds its module by name
    void applyResolved(const SlotCommand& c) noexcept; // in the render loop: by the indices resolve() found
    void resolve(SlotCommand& c) const noexcept;
    void resolveHeld() noexcept; // after the patch or the plan changed shape
    void applyHeldDue() noexcept;
    void applyParamChanges() noexcept;
    bool compile(std::uint32_t newTimeline);
    void renderBlock(bool toRing);
    void renderToTarget();
    void injectedCrash(std::uint8_t faults);
    void cloneInto(int target, std::uint32_t ticket);
    void setState(SlotState s) noexcept { m_s->state.store(s, std::memory_order_release); }
    void fail() noexcept;

    SharedRegion& m_region;
    int m_slot;
    SlotShared* m_s; // the slot this worker renders for (a clone takes over the other one)
    const EngineShared& m_engine;
    const EngineConfig m_config;
    int m_parentPid;
    PatchGraph m_graph;     // the slot's patch, with its pending edits
    PatchGraph m_planGraph; // what m_plan was compiled from (with the live changes it received)
    std::unique_ptr<Plan> m_plan;
    std::vector<float> m_left, m_right;
    std::vector<SlotCommand> m_held; // live changes waiting for their stamp; capacity reserved
    std::uint32_t m_timeline = 0;
    std::int64_t m_planFrame = 0;
};

// Live changes a worker can hold for their stamp.
inline constexpr std::size_t kHeldCapacity = 4096;
// A timeline that plays the committed patch but not in step with the output (too much history).
inline constexpr std::uint32_t kUnalignedTimeline = 0x80000000u;

} // namespace chronus::engine
