#pragma once
// The dual-slot engine. Two slots, each with its own command queue, render worker and
// audio ring. Edits go to the slot that is standby when they are made; live changes go to both,
// stamped with the same plan frame; commit crossfades from the active ring to the primed standby
// ring at a block boundary; the old active then replays the committed patch from the start of its
// timeline and follows the active sample for sample (a hot mirror), so a failover is seamless.
//
// Threads: control threads call the public methods (serialised by one mutex; the controller and the
// engine's own supervisor are the producers of both command queues, one at a time). A commit lets
// the mutex go while its fade and health window run: live changes and gates go on meanwhile, edits
// are made on the pending patch and follow the outcome to the standby, primes and other commits
// wait for it. Slow operations can be submitted (submit()): the engine's operations thread runs
// them and reports each outcome as an event. Each slot's worker renders (Slot, SlotWorker); the
// audio thread calls process(), which is the OutputStage's (the callback's state machine, in its
// own class); stats() is lock-free from anywhere.

#include "OutputStage.hpp"
#include "PatchGraph.hpp"
#include "rt/MidiEvent.hpp"
#include "Plan.hpp"
#include "Status.hpp"
#include "Timeline.hpp"
#include "rt/AudioRing.hpp"
#include "rt/SlotCommand.hpp"
#include "rt/SpscQueue.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace chronus::engine {

struct SlotShared;
class Slot;
struct EngineShared;

enum class FadeLaw : std::uint8_t {
    // Equal power corrected by the correlation of the two outputs measured at the fade: steady
    // loudness both for a small edit (correlated outputs) and for a new patch (uncorrelated).
    Adaptive,
    EqualPower, // right for uncorrelated outputs; +3 dB in the middle for identical ones
    EqualGain,  // right for identical outputs; -3 dB in the middle for uncorrelated ones
};
const char* fadeLawName(FadeLaw law) noexcept;
std::optional<FadeLaw> fadeLawFromName(std::string_view name) noexcept;

// Where each slot's render worker runs: a thread of the engine's process, or a process of its own
// (`chronus-slot-worker`), so that a crash in a module costs one slot, which is restarted, and not
// the program and the music.
enum class WorkerMode : std::uint8_t { Threads, Processes };
const char* workerModeName(WorkerMode mode) noexcept;
std::optional<WorkerMode> workerModeFromName(std::string_view name) noexcept;

enum class SlotState : std::uint8_t { Stopped, Active, Mirror, Syncing, Editing, Priming, Primed, Failed };
const char* slotStateName(SlotState state) noexcept;

struct EngineConfig {
    double sampleRate = 48000.0;
    int blockSize = 64;          // frames per render block (a ring block)
    // The workers keep this many blocks ready at start: the engine's share of the output latency
    // (2 blocks of 64 frames: 2.67 ms). With a hot mirror in step, a ring that runs dry under a
    // stalled worker fails over to the mirror sample for sample, so the ring need not cover
    // scheduling hiccups alone.
    int ringTargetBlocks = 2;
    // When a callback finds a ring empty anyway (a none-read), or one block from empty (a
    // near-miss: the worker fell a whole block behind, and the next hiccup would be heard), the
    // target grows by one block, up to this many, for both slots; once more only after the active
    // ring has been filled to the grown target (a stalled or dead worker, which no ring size helps,
    // grows it once). It never shrinks while the engine runs: the hiccup that grew it may come
    // back, and the output latency should not move up and down with the machine's load. At most
    // ringTargetBlocks: the target stays put.
    int ringMaxBlocks = 8;
    int warmupBlocks = 16;       // rendered and dropped at prime so envelopes and filters settle
    double fadeMs = 20.0;
    FadeLaw fadeLaw = FadeLaw::Adaptive;
    bool hotMirror = true;       // the standby renders the committed patch in step (2x DSP load)
    double healthWindowMs = 100.0; // after a commit's fade: NaN/Inf/runaway rolls back
    double runawayLevel = 31.6;  // peak above this (+30 dBFS) is unhealthy
    double stallDeadlineMs = 0.0; // active worker silent this long with room in its ring: failover;
                                  // 0 = 3 blocks, at least 2 ms
    double maxCatchUpSeconds = 30.0; // a mirror replays at most this much history to stay in step
    double statsWindowSeconds = 1.0;
    bool offline = false;        // process() waits for the workers (offline render); never live
    bool realtimeWorkers = true; // SCHED_FIFO for the workers, one below the audio thread's priority
    int workerPriority = 60;     // at most this
    // The most memory one patch may need (estimatePatchBytes at the engine's rate); an edit or a
    // load beyond it is refused before anything is compiled. 0 = no limit.
    std::size_t memoryBudgetBytes = std::size_t{1} << 30;
    WorkerMode workers = WorkerMode::Threads;
    // Processes: the address space one worker may use (RLIMIT_AS); 0 = four times the memory
    // budget plus 512 MiB (a patch's own memory, its plan's buffers, the program, the allocator).
    std::size_t workerMemoryLimitBytes = 0;
    // MIDI events land this many blocks after the frame the device gave them (0 = the ring's depth
    // now, grown or not, plus 3 blocks: after what the workers may have rendered already, with a block for the MIDI
    // thread's hand-over). A constant latency, so no jitter; an event that comes later than this is
    // counted (EngineStats::lateMidi) and lands as soon as both slots can take it at the same frame.
    int midiLatencyBlocks = 0;
    // Processes: an active or mirror worker that renders nothing this long while its ring has room
    // hangs (an endless loop in a module): it is killed and restarted. Its stall already failed
    // over after stallDeadlineMs.
    double hangKillMs = 1000.0;
};

struct SlotStats {
    SlotState state = SlotState::Stopped;
    bool primeReady = false;
    bool inStep = false;        // a clean mirror following the active sample for sample
    double occupancy = 0.0;     // blocks, now
    double occupancyMin = 0.0;  // blocks, over the last complete window
    double occupancyMax = 0.0;
    std::uint64_t noneReads = 0;       // since start
    std::uint64_t noneReadsWindow = 0; // in the last complete window
    // Callbacks that found this ring, while it played, holding less than one block beyond what
    // they read: its worker had fallen a whole block behind, one more and it would have been a
    // none-read. Since start.
    std::uint64_t nearMisses = 0;
    double dspLoad = 0.0;              // render time / real time
    std::uint64_t queueDrops = 0;
    std::uint64_t commandsApplied = 0; // every command the worker applied
    std::uint64_t editsApplied = 0;    // structural and pending edits only
    std::uint64_t editErrors = 0;
    std::uint64_t blocksRendered = 0;
    std::uint64_t workerExceptions = 0;
    std::uint64_t lateLiveChanges = 0; // live changes that arrived after their stamp
    bool realtime = false;             // the worker got real-time scheduling
    // Worker processes (WorkerMode::Processes); 0 and empty with threads.
    int pid = 0;                       // the worker process now; 0 while it is being restarted
    std::uint64_t restarts = 0;        // worker processes started after the first
    std::string lastExit;              // how the last worker died: "killed by SIGSEGV (signal 11)"
    std::string lastExitModule;        // the module it was processing then, where known
};

struct EngineStats {
    int activeSlot = 0;
    std::array<SlotStats, 2> slot{}; // per slot (not "slots": Qt reserves that word)
    bool fading = false;
    double fadeProgress = 0.0;
    std::uint64_t commits = 0;
    double lastPrimeMs = 0.0;
    double lastCommitMs = 0.0; // commit request -> first sample of the fade at the output
    // The output frame (counted like framesOut, from the first process() call) of the last commit's
    // first faded sample; -1 before any commit. Read from the audio thread between process() calls
    // it is exact: an offline render starts its file at this frame.
    std::int64_t lastCommitFrame = -1;
    double lastFadeCorrelation = 0.0;
    std::uint64_t failovers = 0;
    std::uint64_t rollbacks = 0;
    std::uint64_t stalls = 0;         // stalls the supervisor detected
    std::uint64_t unhealthyBlocks = 0; // chunks with NaN, Inf or runaway level seen by the callback
    std::uint64_t mutedChunks = 0;     // unhealthy with nothing healthy to switch to: silence
    std::uint64_t rebuilds = 0;        // sick slots rebuilt in the background
    std::uint64_t workerRestarts = 0;  // worker processes restarted after they died (both slots)
    // Chunks in which the hot mirror, read in step (same timeline, same plan frame), did not hold the
    // very samples the active played: a failover to it would not be seamless. The plan frame of the
    // first one; -1 if none.
    std::uint64_t mirrorMismatches = 0;
    std::int64_t firstMirrorMismatchFrame = -1;
    WorkerMode workers = WorkerMode::Threads;
    std::uint64_t framesOut = 0;
    std::uint64_t xruns = 0; // underflows the device reported (through noteXrun)
    std::uint64_t midiEvents = 0; // MIDI events sent to the slots (midi())
    std::uint64_t lateMidi = 0;   // of which landed off their frame: later than the MIDI latency
                                  // allows, or while their frame could not be placed (a commit in flight)
    double sampleRate = 0.0;
    int blockSize = 0;
    int ringTargetBlocks = 0; // now: grown from EngineConfig::ringTargetBlocks by none-reads
    bool hotMirror = true;
    FadeLaw fadeLaw = FadeLaw::Adaptive;
};

struct CommitReport {
    int slot = 0;          // the active slot afterwards
    double primeMs = 0.0;  // 0 when the standby was already primed
    double commitMs = 0.0; // commit request -> first sample of the fade
    double fadeCorrelation = 0.0;
};

// The slot operations that take time (a prime compiles and warms up; a commit primes, fades and
// watches the new patch's health): submitted, they run on the engine's operations thread one after
// another, and each one's outcome arrives as an event.
enum class SlotOperation : std::uint8_t { Prime, Commit, UndoCommit, Abort };

enum class OperationOutcome : std::uint8_t {
    Done,       // committed, primed, aborted
    RolledBack, // a commit whose new patch went bad in its health window: the previous one plays on
    Refused,    // nothing changed: nothing to undo, the patch does not compile, the engine stopped
    TimedOut,   // nothing switched in time (no audio callback running, a worker that did not answer)
};

struct OperationEvent {
    std::uint64_t ticket = 0;
    SlotOperation operation = SlotOperation::Commit;
    OperationOutcome outcome = OperationOutcome::Done;
    Status status;        // the reason, when the outcome is not Done
    CommitReport report;  // Commit and UndoCommit that were done
    double primeMs = 0.0; // Prime that was done
};
using OperationHandler = std::function<void(const OperationEvent&)>;

// Test hooks: faults a worker injects into its own next block. Stall, NaN and Exception leave the
// worker alive; Crash (SIGSEGV), Abort, Hang (an endless loop) and Exhaust (allocates until its
// memory limit) end a worker process, and are for WorkerMode::Processes only.
enum class Fault : std::uint8_t { Stall, NaN, Exception, Crash, Abort, Hang, Exhaust };

class SlotEngine {
public:
    explicit SlotEngine(EngineConfig config = {});
    ~SlotEngine();
    SlotEngine(const SlotEngine&) = delete;
    SlotEngine& operator=(const SlotEngine&) = delete;

    // Control thread. Starts both workers on the empty patch (slot 0 active, slot 1 its mirror) and
    // the supervisor.
    Status start();
    void stop();
    bool running() const noexcept { return m_running; }

    // Control thread. Edits: validated on the pending patch, then sent to the standby slot only.
    Status addModule(std::string_view id, std::string_view type);
    Status removeModule(std::string_view id);
    Status connect(std::string_view src, std::string_view dst);
    Status disconnect(std::string_view src, std::string_view dst);
    Result<double> setPending(std::string_view id, std::string_view param, double value);
    // A text form (a sequencer's `pattern` or `notes`): every parameter it stands for, staged like
    // setPending. Returns the text as the pending patch now reads it.
    Result<std::string> setPendingText(std::string_view id, std::string_view name, std::string_view text);
    Status clear();
    // Replaces the pending patch with `graph` (a patch file, an undo): the standby rebuilds it.
    Status loadPending(const PatchGraph& graph);
    // MIDI mappings of the pending patch (see PatchGraph::setMidiMapping). They act at once: a
    // controller moves its parameter live (midi()), at the controller's own sample in both slots,
    // whether the module is committed or only pending; no slot hears of a mapping itself. They
    // travel with the patch into the commit, /patch/save and dump (an abort takes back those made
    // since the last commit, as it does every other edit).
    Result<MidiMapping> setMidiMapping(const MidiMapping& mapping);
    Status removeMidiMapping(std::string_view id, std::string_view param);
    // Any thread. The last control change midi() took: how many it took so far (0: none yet), its
    // channel (1-16), controller number and value. MIDI learn waits for `count` to move.
    struct ControllerSeen {
        std::uint64_t count = 0;
        int channel = 0, cc = 0, value = 0;
    };
    ControllerSeen lastController() const noexcept;
    // Where the editor shows a module of the pending patch. Layout only: no slot hears of it, but
    // it travels with the patch into the commit, an undo of the commit, /patch/save and dump.
    Status setPendingPosition(std::string_view id, double x, double y);
    // The same, but returns false at once instead of waiting while a commit holds the engine (a
    // card dragged during a commit's fade must not freeze the window); the caller sends it later.
    bool trySetPendingPosition(std::string_view id, double x, double y);

    // Control thread; blocks until done or `timeout`. Prime: the standby compiles the pending patch,
    // warms up, fills its ring. Commit: primes if needed, crossfades at a block boundary, watches the
    // new patch's health for healthWindowMs (rolls back if it turns bad), then re-syncs the old
    // active as a mirror. Commit needs process() running (a driver). During the fade and the health
    // window, setLive(), setLiveText() and gate() do not wait (they reach both slots), nor do edits
    // (made on the pending patch at once; the standby gets them when the outcome is known).
    Result<double> prime(std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));
    Result<CommitReport> commit(double fadeMs = -1.0,
                                std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));
    // Abort: the standby drops its pending edits and re-syncs to the committed patch.
    Status abort(std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));
    // Undo of the last commit: the previous patch comes back with the same fade. Drops pending edits.
    Result<CommitReport> undoCommit(double fadeMs = -1.0,
                                    std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));
    bool canUndoCommit() const;

    // Control thread; returns at once. The operation runs on the engine's operations thread after
    // those submitted before it; `done` is called there, with no engine lock held, with its outcome
    // (marshal it to your own thread). Returns the operation's ticket (never 0), which the event
    // carries. While a commit fades and watches its health, edits do not wait either: they are made
    // on the pending patch at once and reach the standby when the commit's outcome is known.
    std::uint64_t submit(SlotOperation operation, OperationHandler done, double fadeMs = -1.0,
                         std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));
    // Control thread. Waits until every operation submitted so far has reported its outcome.
    void waitForOperations();

    // Control thread. Live changes on the committed patch: both slots, same plan frame, ramped.
    Result<double> setLive(std::string_view id, std::string_view param, double value);
    // A text form changed live: every parameter it stands for changes at the same sample.
    Result<std::string> setLiveText(std::string_view id, std::string_view name, std::string_view text);
    Status gate(std::string_view id, bool on);
    // Control thread. A MIDI event for every module that takes MIDI (midi_in), both slots, like a
    // gate: at plan frame (the plan frame markDeviceFrame() tied to the device frame) + (event.frame
    // - that device frame) + the MIDI latency, so events keep their spacing to the sample. An event
    // without a device frame (-1: ALSA), or with no mark on the committed timeline (none yet, a
    // commit in flight), lands as soon as both slots can take it at the same frame.
    Status midi(const MidiEvent& event);

    // Audio thread (the driver adapter), before process(). RT-safe. The device's frame time of this
    // callback's first frame (JACK's), for midi().
    void markDeviceFrame(std::int64_t deviceFrame) noexcept;

    // Control thread. Copies (the engine's own threads change nothing here behind your back).
    PatchGraph committed() const;
    PatchGraph pending() const;
    int activeSlot() const;  // as the controller sees it (follows failovers)
    int standbySlot() const { return 1 - activeSlot(); }
    const EngineConfig& config() const noexcept { return m_config; }
    void setHotMirror(bool hot) noexcept { m_output->setHotMirror(hot); }

    // Any thread but the audio thread. A snapshot: atomics, and a short lock for the text of the
    // last worker exit.
    EngineStats stats() const noexcept;

    // Audio thread only. RT-safe (except in offline mode, where it waits for the workers). Writes
    // `frames` interleaved stereo frames. `captured`: the `frames` interleaved stereo frames the
    // device captured in the same callback (null without an input device: audio_in plays silence).
    void process(float* interleaved, int frames, const float* captured = nullptr) noexcept;
    // Audio thread only, after process(). The MIDI the patch heard made for that call's frames (the
    // midi_out modules of the slot played, all-notes-off at a switch of slot; OutputStage::midiOut):
    // each event's offset is its frame in the buffer. Valid until the next process().
    std::span<const MidiEvent> midiOut() const noexcept;

    // Any thread. Frames of captured input received since construction.
    std::uint64_t inputFrames() const noexcept;
    // Any thread. How long after its capture an input frame is heard at the output, beyond the
    // device's own latencies: the workers render this far ahead of the callback (the ring target),
    // so an audio_in reads the capture from that many frames before the output frame it renders.
    double inputLatencyFrames() const noexcept;
    // Offline mode: there is no device to capture, and the input is known ahead (a file: `chronus
    // render --input`). audio_in reads it by the frame of the rendering, the plan frame of the block
    // it renders (frame 0 is the committed patch's first sample), with no latency (inputLatencyFrames
    // is 0). This writes input frames `first` .. `first + frames - 1` (interleaved stereo) for it.
    // Frames never fed read silence. Before the prime on the control thread, then on the thread that
    // calls process(), between two calls: the workers read at most a ring's target (plus the
    // chunk being played) ahead of the output, and a frame stays readable until
    // InputRing::kCapacityFrames later frames were fed, so a feeder keeps ahead of the rendering by
    // more than that and less than the capacity. Not in live mode (the capture feeds audio_in there).
    void feedOfflineInput(std::uint64_t first, const float* interleaved, std::size_t frames) noexcept;

    // Offline mode, on the thread that calls process(), between two calls: the active slot renders
    // at most `frames` frames beyond what process() has read (whole blocks: less than a block more),
    // and the other slot renders nothing more. `chronus render` calls it once it knows how many
    // frames its file still needs, so that no worker renders ahead into audio nobody will hear
    // (a ring's worth at the end, and the old slot's ring after the commit). Never undone.
    void limitOfflineRender(std::uint64_t frames) noexcept;

    // Audio thread (the driver adapter). RT-safe. The device reported an underflow.
    void noteXrun() noexcept;

    // Test hook, any thread: `slot`'s worker injects `fault` into its next block (a stall sleeps
    // `stallMs` in the worker, a NaN poisons the block, an exception is thrown from the render).
    // The process-ending faults claim to happen inside `module` (a module of the committed patch),
    // so the report of the death can name it.
    void injectFault(int slot, Fault fault, double stallMs = 0.0, std::string_view module = {}) noexcept;

private:
    struct Region;
    // Control side; m_mutex held.
    Status sendEdit(const SlotCommand& command);
    bool send(int slot, const SlotCommand& command, std::chrono::milliseconds timeout);
    void wakeWorker(int slot) noexcept;
    void followFailover();
    bool markStandbyDirty();
    bool sendGraph(int slot, const PatchGraph& graph);
    Status resync(int slot, std::chrono::milliseconds timeout, bool wait = true);
    void completeSync();
    Result<double> primeLocked(std::chrono::milliseconds timeout);
    Result<CommitReport> commitLocked(std::unique_lock<std::mutex>& lock, double fadeMs,
                                      std::chrono::milliseconds timeout);
    std::unique_lock<std::mutex> lockIdle();
    // Edits made while a commit waits for its outcome: they changed m_pending at once and reach the
    // standby (whichever slot that is then) when the commit is over.
    void deferEdit(const SlotCommand& command);
    void sendDeferredEdits();
    void runOperations() noexcept;
    OperationEvent runOperation(SlotOperation operation, double fadeMs, std::chrono::milliseconds timeout);
    struct LiveBatch { // live changes that must land on the same sample
        std::int64_t stamp = -1;
        std::int64_t standbyStamp = -1;
        std::int64_t want = -1; // at this plan frame, if both slots can still take it there (MIDI)
        bool late = false;      // `want` was too early: it lands later
    };
    Status sendLive(SlotCommand c, const PatchGraph& liveGraph, LiveBatch* batch = nullptr);
    Result<double> setPendingLocked(std::string_view id, std::string_view param, double value);
    // `flags`: kCommandAtFrame for a MIDI-mapped controller (stamped at its event's frame).
    Result<double> setLiveLocked(std::string_view id, std::string_view param, double value, LiveBatch* batch,
                                 std::uint8_t flags = 0);
    void supervise() noexcept;
    Status startWorker(int slot);
    void workerDied(int slot, const std::string& how);
    void restartWorker(int slot);
    bool cloneWorker(int slot);
    void replaceDeadWorkers();
    void recoverLostWorkers();
    Status checkMemoryBudget(const PatchGraph& graph, std::string_view added) const;

    EngineConfig m_config;
    std::unique_ptr<Region> m_region;            // the shared memory and what lives in it
    std::array<SlotShared*, 2> m_slots{};         // into the region
    EngineShared* m_shared = nullptr;             // into the region
    std::array<std::unique_ptr<Slot>, 2> m_handles; // each slot's worker and the supervisor's record of it
    // The audio side (process(), noteXrun()); made in the constructor once the region exists.
    std::optional<OutputStage> m_output;

    // Control side, m_mutex held.
    mutable std::mutex m_mutex;
    std::condition_variable m_idle; // a commit's fade and health window ended (m_committing false)
    bool m_committing = false;      // a commit waits for its outcome with m_mutex let go
    // While m_committing: the patch being committed (with the live changes made meanwhile), and the
    // edits made meanwhile, in order (or, past kMaxDeferredEdits or after a load, the whole pending
    // patch is sent again).
    std::optional<PatchGraph> m_committingPatch;
    std::vector<SlotCommand> m_deferredEdits;
    bool m_deferredReload = false;
    PatchGraph m_committed;
    PatchGraph m_pending;
    std::optional<PatchGraph> m_previousCommitted; // for undo
    int m_controlActive = 0;
    std::uint32_t m_nextTicket = 1;
    bool m_running = false;
    // The committed timeline: what the active compiled and the live changes since, stamped. A mirror
    // replays exactly this to follow the active sample for sample.
    Timeline m_timeline;
    // The standby's: the timeline its plan is on, what that plan started from, and the changes it
    // got since (in-place primes, live changes while primed), which join the committed history if
    // it commits.
    Timeline m_primed;
    PatchGraph m_standbyGraph; // what the standby's plan holds, for an in-place prime's changes
    bool m_standbyPrimed = false; // primed since the last edit sent to it
    // A re-sync started without waiting (after a commit or a failover): its slot and ticket.
    int m_syncSlot = 0;
    std::uint32_t m_syncTicket = 0;
    std::uint32_t m_syncTimeline = 0;

    // The workers whose process died and was restarted: they lost the patch they held, which the
    // controller sends again (m_mutex held).
    std::array<std::atomic<bool>, 2> m_workerLost{}; // set by the supervisor, taken under m_mutex
    std::array<bool, 2> m_workerDue{};               // supervisor thread: a dead worker's restart is due
    mutable std::mutex m_exitMutex; // the workers' last exit texts (supervisor writes, stats() reads)

    // The operations thread and its queue (m_operationsMutex).
    struct PendingOperation {
        std::uint64_t ticket;
        SlotOperation operation;
        OperationHandler done;
        double fadeMs;
        std::chrono::milliseconds timeout;
    };
    std::mutex m_operationsMutex;
    std::condition_variable m_operationsChanged;
    std::deque<PendingOperation> m_operations;
    std::uint64_t m_nextOperation = 1;
    std::uint64_t m_operationsFinished = 0; // tickets below this one reported
    bool m_operationsStop = false;
    bool m_operationsRunning = false; // the thread was started and not joined yet
    std::thread m_operationsThread;

    // What the MIDI events so far hold (m_mutex): every key (any channel) down or sustained, the
    // pedal, the wheels, the transport. A prime that compiles afresh gets it (its midi_in and clock
    // start empty), so the notes held across a rebuilding commit sound on in the new patch and a
    // clock following MIDI goes on from the tick it was at.
    struct MidiHeld {
        std::array<std::uint8_t, 128> velocity{}; // 0: not held
        std::array<bool, 128> sustained{};         // released while the pedal was down
        bool pedal = false;
        std::uint8_t bendLsb = 0, bendMsb = 0x40, mod = 0, modChannel = 0;
        bool running = false;       // between a start or continue and a stop
        std::int64_t songTicks = 0; // the song position the next timing clock stands for
        // Every controller below 120 as it was last set, per channel (-1: never), for midi_cc:
        // a fresh one starts where its knob is. The pedal (64) is `pedal` above.
        std::array<std::int8_t, 16 * 120> controllers = filledControllers();
        static constexpr std::array<std::int8_t, 16 * 120> filledControllers() {
            std::array<std::int8_t, 16 * 120> a{};
            for (std::int8_t& v : a)
                v = -1;
            return a;
        }
        void take(const MidiEvent& e) noexcept;
        std::vector<MidiEvent> events() const; // what recreates it, in order
    };
    MidiHeld m_midiHeld;
    std::vector<SlotCommand> midiSnapshot(const PatchGraph& graph, std::uint32_t timeline) const;
    std::uint64_t m_midiEvents = 0; // m_mutex
    std::uint64_t m_lateMidi = 0;   // m_mutex
    std::atomic<std::uint64_t> m_midiEventsOut{0}, m_lateMidiOut{0}; // copies for stats()
    // lastController(), packed: count << 24 | (channel - 1) << 16 | cc << 8 | value (midi() writes).
    std::atomic<std::uint64_t> m_lastController{0};

    std::thread m_supervisor;
    std::atomic<bool> m_supervisorStop{false};
};

} // namespace chronus::engine
