#pragma once
// What the audio callback, the controller and the slot workers share: fixed-size data and atomics
// with no pointers inside, laid out in one region of shared memory (memfd + mmap), so a slot's
// worker can run in a child process of its own (crash isolation) exactly as it runs in a thread.
// Every atomic here is lock-free (a lock inside an atomic would not work across processes).

#include "SlotEngine.hpp"
#include "rt/AudioRing.hpp"
#include "rt/Futex.hpp"
#include "rt/InputRing.hpp"
#include "rt/MidiOutRing.hpp"
#include "rt/SlotCommand.hpp"
#include "rt/SpscQueue.hpp"

#include <atomic>
#include <cstdint>

namespace chronus::engine {

enum Lease : std::uint8_t {
    Dirty = 0,      // the standby holds edits (or an old patch): not a failover target
    Clean = 1,      // the standby holds the committed patch: the callback may take it over
    TakenOver = 2,  // the callback took it over (failover); the controller follows
};

// Per-window extremes written by the audio thread, published when the window ends.
struct WindowStat {
    double min = 1e300, max = 0.0;
    std::uint64_t noneReads = 0;
    void reset() { *this = {}; }
};

// Engine-wide state beyond the slots.
struct EngineShared {
    // Control -> audio.
    std::atomic<std::uint64_t> commitRequest{0}; // (slot + 1) | fade frames << 8; 0 when none
    std::atomic<std::int64_t> commitRequestNs{0};
    std::atomic<std::uint32_t> failoverRequest{0}; // supervisor: slot + 1 to switch to
    // Audio -> everyone.
    std::atomic<int> active{0};
    std::atomic<std::uint32_t> commitsDone{0};   // fades finished
    std::atomic<std::uint32_t> commitsSettled{0}; // health windows closed or commits undone
    std::atomic<bool> lastCommitRolledBack{false};
    std::atomic<bool> lastRollbackRunaway{false}; // else NaN/Inf
    std::atomic<std::int64_t> lastCommitNs{0};
    std::atomic<std::int64_t> lastCommitFrame{-1}; // output frame the last commit's fade began at
    std::atomic<bool> fading{false};
    std::atomic<float> fadeProgress{0.0f};
    std::atomic<float> fadeCorrelation{0.0f};
    std::atomic<std::uint64_t> failovers{0}, rollbacks{0}, unhealthy{0}, muted{0};
    std::atomic<std::uint64_t> framesOut{0}, xruns{0};
    std::atomic<std::uint64_t> midiOutDropped{0};             // the callback's hand-on was full
    std::atomic<std::uint64_t> mirrorMismatches{0};           // EngineStats::mirrorMismatches
    std::atomic<std::int64_t> firstMirrorMismatchFrame{-1};
    std::atomic<std::int64_t> callbackNs{0}; // when the callback last ran (it wakes both workers)
    std::atomic<std::uint32_t> outputTimeline{0};
    std::atomic<std::int64_t> outputPlanFrame{0};
    // The device frame of a callback's first frame and the plan frame (of outputTimeline) it plays,
    // as the audio thread marked them (SlotEngine::markDeviceFrame): a seqlock, odd while written.
    std::atomic<std::uint32_t> deviceMarkSeq{0};
    std::atomic<std::int64_t> deviceMarkFrame{-1};
    std::atomic<std::uint32_t> deviceMarkTimeline{0};
    std::atomic<std::int64_t> deviceMarkPlanFrame{0};
    // Supervisor / control -> everyone.
    std::atomic<std::uint64_t> stalls{0}, rebuilds{0}, restarts{0};
    std::atomic<std::int64_t> lastPrimeNs{0};
    // The ring target now, in blocks (EngineConfig::ringMaxBlocks): the audio thread grows it, the
    // workers fill their rings to it, the supervisor and stats() read it.
    std::atomic<int> ringTarget{0}; // 0 until the engine sets it: the workers use the configured one
    std::atomic<int> audioPriority{-1}; // the audio thread's SCHED_FIFO/RR priority; 0 not real-time
    std::atomic<int> enginePid{0};      // the engine's process (a cloned worker's parent-to-be)
    // Audio input: frames captured into SharedRegion::input (audio thread writes).
    std::atomic<std::uint64_t> inputFrames{0};
};

// One slot's shared part: its queue, its ring, its flags and counters.
struct SlotShared {
    SpscQueue<SlotCommand, 1024> commands;       // control -> worker
    AudioRing ring;                              // worker -> audio thread
    MidiOutRing midiOut;                         // worker -> audio thread: the MIDI of ring's frames
    rt::SharedWake wake;                         // the worker's render thread: the callback bumps it every block
    rt::SharedWake controlWake;                  // the worker's control thread: commands (the callback bumps it when
                                                 // the queue holds some), its render thread's reports
    rt::SharedWake produced;                     // bumped per block (offline mode waits on it)
    std::atomic<bool> stopRequested{false};      // control writes
    std::atomic<std::uint8_t> lease{Dirty};      // control and audio thread (see Lease)
    std::atomic<bool> dropPlan{false};           // audio thread: the plan went bad, compile anew
    std::atomic<bool> needsRebuild{false};       // audio/worker/supervisor: rebuild me once I am standby
    std::atomic<bool> primeReady{false};         // worker writes
    std::atomic<SlotState> state{SlotState::Stopped}; // worker writes (the supervisor: Failed when it died)
    std::atomic<std::uint32_t> primeDone{0};     // ticket of the last finished prime; worker writes
    std::atomic<std::uint32_t> syncDone{0};      // ticket of the last finished sync; worker writes
    std::atomic<std::uint32_t> timelinePublished{0}; // worker writes
    std::atomic<std::int64_t> planFramePublished{0}; // plan frame of the next block; worker writes
    std::atomic<std::int64_t> primeFrame{0};     // plan frame an in-place prime took effect; worker writes
    std::atomic<float> dspLoad{0.0f};            // worker writes
    std::atomic<bool> realtime{false};           // worker writes
    std::atomic<std::uint64_t> blocksRendered{0}, commandsApplied{0}, editsApplied{0}, editErrors{0};
    std::atomic<std::uint64_t> workerExceptions{0}, lateLive{0}; // worker writes
    // The module (its index in the worker's patch, in patch order) the render is inside; -1
    // between modules. Worker writes; the supervisor reads it when the worker died.
    std::atomic<std::int32_t> currentModule{-1};
    std::atomic<std::int32_t> workerPid{0};      // the worker process (0: a thread); supervisor writes
    std::atomic<bool> workerAlive{false};        // the worker runs (the supervisor clears it at death)
    // When the worker's render cycle began, 0 between cycles (worker writes): one that lasts the
    // hang deadline is stuck in a module, whatever state the slot is in.
    std::atomic<std::int64_t> renderCycleNs{0};
    // The Clone ticket a copy may take this slot with; the copy (or the engine, giving up on it)
    // swaps it to 0, so at most one of them does.
    std::atomic<std::uint32_t> cloneClaim{0};
    std::atomic<std::uint64_t> queueDrops{0};    // control writes
    std::atomic<std::uint64_t> noneReads{0};     // audio thread writes
    std::atomic<std::uint64_t> noneReadsWindow{0}; // audio thread writes
    std::atomic<std::uint64_t> nearMisses{0};    // audio thread writes (SlotStats::nearMisses)
    std::atomic<double> occupancyMin{0.0}, occupancyMax{0.0}; // audio thread writes
    std::atomic<std::uint8_t> faults{0};         // test hooks: bit per Fault
    std::atomic<std::int64_t> stallNs{0};
    std::atomic<std::int32_t> faultModule{-1};   // test hooks: where an injected crash claims to be
    WindowStat window;                           // audio thread only
    // Offline only: the ring position (a value of ring.written()) past which the worker renders
    // nothing, because the render needs no more. The offline thread writes (limitOfflineRender).
    std::atomic<std::uint64_t> renderEnd{~std::uint64_t{0}};
    // Audio input. readsInput: the worker's plan has an audio_in (render thread writes); the
    // callback then reads or drains this ring every chunk, so each block is heard at the output
    // frame the worker foresaw from `play` (audio thread writes) when it rendered it.
    std::atomic<bool> readsInput{false};
    PlayPosition play;
};

// The whole region, mapped by the engine and by every worker process.
struct SharedRegion {
    static constexpr std::uint32_t kMagic = 0x43485253; // "CHRS"
    std::uint32_t magic = kMagic;
    std::uint32_t size = sizeof(SharedRegion); // a worker built from other sources refuses the region
    EngineConfig config;
    EngineShared engine;
    SlotShared slot[2];
    InputRing input; // the device's capture, both slots read it (audio thread writes)
};

static_assert(std::is_trivially_copyable_v<EngineConfig>);
static_assert(std::atomic<std::uint64_t>::is_always_lock_free && std::atomic<std::int64_t>::is_always_lock_free &&
              std::atomic<double>::is_always_lock_free && std::atomic<float>::is_always_lock_free &&
              std::atomic<SlotState>::is_always_lock_free && std::atomic<bool>::is_always_lock_free);

} // namespace chronus::engine
