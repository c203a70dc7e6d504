#include "SlotEngine.hpp"

#include "Denormals.hpp"
#include "ModuleRegistry.hpp"
#include "Slot.hpp"
#include "SlotShared.hpp"
#include "SlotWorker.hpp"
#include "proc/WorkerProcess.hpp"

#include <algorithm>
#include <cstdio>
#include <cmath>
#include <new>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <csignal>
#include <limits>
#include <stdexcept>
#include <string>

namespace chronus::engine {

namespace {
// The callback counts as running when it ran this recently (a few blocks at any usable size).
constexpr std::int64_t kCallbackAliveNs = 5'000'000;

using Clock = std::chrono::steady_clock;
std::int64_t nowNs() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}
// Two patches that sound the same: equal but for where the editor draws their modules.
bool sameSound(const PatchGraph& a, const PatchGraph& b) {
    if (a.cables() != b.cables() || a.nodes().size() != b.nodes().size())
        return false;
    for (std::size_t i = 0; i < a.nodes().size(); ++i) {
        const PatchNode& x = a.nodes()[i];
        const PatchNode& y = b.nodes()[i];
        if (x.id != y.id || x.type != y.type || x.params != y.params)
            return false;
    }
    return true;
}
} // namespace

const char* slotStateName(SlotState state) noexcept {
    switch (state) {
    case SlotState::Stopped: return "stopped";
    case SlotState::Active: return "active";
    case SlotState::Mirror: return "mirror";
    case SlotState::Syncing: return "syncing";
    case SlotState::Editing: return "editing";
    case SlotState::Priming: return "priming";
    case SlotState::Primed: return "primed";
    case SlotState::Failed: return "failed";
    }
    return "unknown";
}

const char* fadeLawName(FadeLaw law) noexcept {
    switch (law) {
    case FadeLaw::Adaptive: return "adaptive";
    case FadeLaw::EqualPower: return "equal-power";
    case FadeLaw::EqualGain: return "equal-gain";
    }
    return "unknown";
}

std::optional<FadeLaw> fadeLawFromName(std::string_view name) noexcept {
    for (FadeLaw law : {FadeLaw::Adaptive, FadeLaw::EqualPower, FadeLaw::EqualGain})
        if (name == fadeLawName(law))
            return law;
    return std::nullopt;
}

const char* workerModeName(WorkerMode mode) noexcept {
    return mode == WorkerMode::Processes ? "processes" : "threads";
}

std::optional<WorkerMode> workerModeFromName(std::string_view name) noexcept {
    for (WorkerMode mode : {WorkerMode::Threads, WorkerMode::Processes})
        if (name == workerModeName(mode))
            return mode;
    return std::nullopt;
}

// The shared memory every worker maps (a plain allocation when no worker is a process).
struct SlotEngine::Region {
    SharedMemory memory;
    std::unique_ptr<SharedRegion> heap;
    SharedRegion* data = nullptr;
    ~Region() {
        if (data && !heap)
            data->~SharedRegion();
    }
};

SlotEngine::SlotEngine(EngineConfig config)
    : m_config(config)
    , m_region(std::make_unique<Region>()) {
    m_config.blockSize = std::clamp(m_config.blockSize, 1, kMaxBlock);
    const int ringLimit = static_cast<int>(AudioRing::kCapacityFrames / 2) / m_config.blockSize;
    m_config.ringTargetBlocks = std::clamp(m_config.ringTargetBlocks, 1, ringLimit);
    m_config.ringMaxBlocks = std::clamp(m_config.ringMaxBlocks, m_config.ringTargetBlocks, ringLimit);
    m_config.warmupBlocks = std::max(0, m_config.warmupBlocks);
    if (m_config.stallDeadlineMs <= 0.0)
        m_config.stallDeadlineMs = std::max(2.0, 3.0 * m_config.blockSize * 1000.0 / m_config.sampleRate);
    if (m_config.offline) // an offline render waits for its workers: threads, bit-identical either way
        m_config.workers = WorkerMode::Threads;
    if (m_config.workerMemoryLimitBytes == 0 && m_config.memoryBudgetBytes > 0)
        m_config.workerMemoryLimitBytes = 4 * m_config.memoryBudgetBytes + (std::size_t{512} << 20);
    Region& region = *m_region;
    if (m_config.workers == WorkerMode::Processes && region.memory.create(sizeof(SharedRegion), "chronus-slots")) {
        region.data = new (region.memory.data()) SharedRegion();
    } else {
        // Threads (or no shared memory to be had, said at start()): the same layout, private.
        region.heap = std::make_unique<SharedRegion>();
        region.data = region.heap.get();
    }
    region.data->config = m_config;
    m_shared = &region.data->engine;
    m_shared->ringTarget.store(m_config.ringTargetBlocks, std::memory_order_relaxed);
    for (int i = 0; i < 2; ++i) {
        m_slots[static_cast<std::size_t>(i)] = &region.data->slot[i];
        m_slots[static_cast<std::size_t>(i)]->ring.configure(static_cast<std::size_t>(m_config.blockSize));
        m_handles[static_cast<std::size_t>(i)] = std::make_unique<Slot>(*region.data, i, m_config);
    }
    m_output.emplace(m_config, *m_shared, *m_slots[0], *m_slots[1]);
    region.data->input.reset();
    m_output->attachInput(&region.data->input);
}

SlotEngine::~SlotEngine() { stop(); }

Status SlotEngine::start() {
    std::lock_guard lock(m_mutex);
    if (m_running)
        return {};
    if (!(m_config.sampleRate >= kMinSampleRate && m_config.sampleRate <= kMaxSampleRate))
        return Status::error(ErrorCode::InvalidArgument, "sample rate must be between 22050 and 192000 Hz");
    if (m_config.workers == WorkerMode::Processes) {
        if (m_region->heap)
            return Status::error(ErrorCode::Worker, "no shared memory for worker processes (memfd_create failed)");
        // A worker's clone (a new mirror made by fork) is handed to this process to reap.
        ::prctl(PR_SET_CHILD_SUBREAPER, 1);
        m_shared->enginePid.store(::getpid(), std::memory_order_relaxed);
    }
    m_shared->ringTarget.store(m_config.ringTargetBlocks, std::memory_order_relaxed); // grown only while it runs
    for (int i = 0; i < 2; ++i) {
        m_slots[static_cast<std::size_t>(i)]->stopRequested.store(false);
        m_slots[static_cast<std::size_t>(i)]->ring.reset();
        m_slots[static_cast<std::size_t>(i)]->midiOut.reset();
        if (Status s = startWorker(i); !s) {
            for (int j = 0; j < i; ++j) {
                m_handles[static_cast<std::size_t>(j)]->requestStop();
                m_handles[static_cast<std::size_t>(j)]->joinWorker(1000);
            }
            return s;
        }
    }
    m_running = true;
    // Both slots start on the empty patch, on the same timeline: slot 0 plays, slot 1 mirrors it.
    m_timeline = Timeline(m_nextTicket++, PatchGraph{});
    m_primed = Timeline();
    for (int i = 0; i < 2; ++i) {
        SlotCommand c;
        c.kind = SlotCommandKind::Sync;
        c.ticket = m_nextTicket++;
        c.timeline = m_timeline.id();
        if (!send(i, c, std::chrono::milliseconds(1000)) ||
            !waitForTicket(m_slots[static_cast<std::size_t>(i)]->syncDone, c.ticket, std::chrono::milliseconds(5000)))
            return Status::error(ErrorCode::Timeout, "the slot workers did not start");
    }
    SlotCommand active;
    active.kind = SlotCommandKind::MarkActive;
    send(0, active, std::chrono::milliseconds(1000));
    m_controlActive = 0;
    m_slots[1]->lease.store(Clean, std::memory_order_release);
    m_supervisorStop.store(false);
    m_supervisor = std::thread([this] { supervise(); });
    return {};
}

void SlotEngine::stop() {
    // The operation running finishes (each has its timeout); those queued behind it are refused.
    {
        std::lock_guard lock(m_operationsMutex);
        m_operationsStop = true;
        m_operationsChanged.notify_all();
    }
    if (m_operationsThread.joinable())
        m_operationsThread.join();
    {
        std::lock_guard lock(m_operationsMutex);
        m_operationsStop = false;
        m_operationsRunning = false;
        m_operationsChanged.notify_all(); // waitForOperations() sees the thread gone
    }
    {
        std::unique_lock lock = lockIdle();
        if (!m_running)
            return;
        m_running = false;
    }
    m_supervisorStop.store(true, std::memory_order_release);
    if (m_supervisor.joinable())
        m_supervisor.join();
    for (auto& slot : m_handles)
        slot->requestStop();
    for (auto& slot : m_handles)
        slot->joinWorker(1000);
}

// Control thread (start) or the supervisor (a restart). The slot's worker starts on an empty patch;
// whoever starts it sends what it should hold.
Status SlotEngine::startWorker(int slot) {
    Slot& h = *m_handles[static_cast<std::size_t>(slot)];
    h.noteWorkerStarted(nowNs());
    return h.startWorker(m_region->memory.fd());
}

void SlotEngine::wakeWorker(int slot) noexcept { m_handles[static_cast<std::size_t>(slot)]->wake(); }

bool SlotEngine::send(int slot, const SlotCommand& command, std::chrono::milliseconds timeout) {
    // A live change is stamped at least two blocks ahead and the callback, after every block, wakes
    // the control thread of a worker whose queue holds commands: while it runs, waking it here too
    // only costs a futex call per /mod (half the controller's time at 20k changes/s). Edits, primes
    // and syncs wake at once.
    const bool live = command.kind == SlotCommandKind::SetLive || command.kind == SlotCommandKind::Gate ||
                      command.kind == SlotCommandKind::Midi;
    const bool callbackRunning =
        nowNs() - m_shared->callbackNs.load(std::memory_order_acquire) < kCallbackAliveNs && !m_config.offline;
    return m_handles[static_cast<std::size_t>(slot)]->send(command, timeout, !live || !callbackRunning);
}

// m_mutex held. If the callback failed over to the mirror, the controller follows: the mirror is the
// active slot now, and the sick one is rebuilt as the new mirror.
void SlotEngine::followFailover() {
    if (!m_running || m_committing) // a commit in flight moves the active index itself
        return;
    completeSync();
    // The audio thread's active index is the truth (a failover that fades switches it only when the
    // fade ends; while a commit waits for its outcome this does nothing: the commit moves it).
    const int a = m_shared->active.load(std::memory_order_acquire);
    if (a == m_controlActive)
        return recoverLostWorkers();
    m_controlActive = a;
    SlotShared& now = *m_slots[static_cast<std::size_t>(a)];
    now.lease.store(Dirty, std::memory_order_release);
    SlotCommand active;
    active.kind = SlotCommandKind::MarkActive;
    send(a, active, std::chrono::milliseconds(1000));
    const std::uint32_t timeline = now.timelinePublished.load(std::memory_order_acquire);
    if (timeline != m_timeline.id()) // the mirror was not in step: its history is not ours to replay
        m_timeline.continueInexact(timeline);
    // The sick slot is rebuilt as the new mirror (a dead worker process gets its successor from the
    // supervisor instead: a copy of the worker that plays now).
    if (m_slots[static_cast<std::size_t>(1 - a)]->workerAlive.load(std::memory_order_acquire)) {
        m_shared->rebuilds.fetch_add(1, std::memory_order_relaxed);
        (void)resync(1 - a, std::chrono::milliseconds(2000), false);
    }
    recoverLostWorkers();
}

// m_mutex held. Before an edit reaches the standby it stops being a failover target; if the callback
// took it over meanwhile, follow that and edit the new standby.
bool SlotEngine::markStandbyDirty() {
    m_syncTicket = 0; // an edit follows: the standby will not be a clean mirror when its sync ends
    for (int spins = 0; spins < 100000; ++spins) {
        followFailover();
        SlotShared& s = *m_slots[static_cast<std::size_t>(1 - m_controlActive)];
        std::uint8_t lease = s.lease.load(std::memory_order_acquire);
        if (lease == Dirty)
            return true;
        if (lease == Clean && s.lease.compare_exchange_strong(lease, Dirty, std::memory_order_acq_rel))
            return true;
        std::this_thread::yield(); // taken over: the audio thread is publishing the switch
    }
    return false;
}

Status SlotEngine::sendEdit(const SlotCommand& command) {
    if (!m_running)
        return Status::error(ErrorCode::NotRunning, "the engine is not running");
    if (m_committing) { // the standby is fading in: the edit follows when the commit is over
        deferEdit(command);
        return {};
    }
    if (!markStandbyDirty())
        return Status::error(ErrorCode::Timeout, "the standby slot did not settle after a failover");
    m_standbyPrimed = false; // before it is sent: the worker's own flag lags behind its queue
    if (!send(1 - m_controlActive, command, std::chrono::milliseconds(500)))
        return Status::error(ErrorCode::QueueFull, "the standby slot's command queue is full; edit dropped");
    return {};
}

namespace {
Status textTooLong() { return Status::error(ErrorCode::InvalidId, "identifier too long"); }
} // namespace

namespace {
std::string mebibytes(std::size_t bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
    return text;
}
} // namespace

// Control thread. `added`: the module just added (named in the message), or empty for a whole patch.
Status SlotEngine::checkMemoryBudget(const PatchGraph& graph, std::string_view added) const {
    if (m_config.memoryBudgetBytes == 0)
        return {};
    const std::size_t bytes = estimatePatchBytes(graph, m_config.sampleRate);
    if (bytes <= m_config.memoryBudgetBytes)
        return {};
    // The costliest type, to say where the memory goes.
    const auto cost = [&](const ModuleType* type) { return moduleBytes(*type, m_config.sampleRate); };
    const ModuleType* costliest = nullptr;
    std::size_t each = 0, count = 0;
    for (const PatchNode& node : graph.nodes())
        if (node.type != costliest && cost(node.type) > each) {
            costliest = node.type;
            each = cost(node.type);
        }
    for (const PatchNode& node : graph.nodes())
        count += node.type == costliest ? 1 : 0;
    std::string what = added.empty() ? std::string("the patch") : "adding '" + std::string(added) + "'";
    return Status::error(ErrorCode::OverBudget,
                         what + " would need " + mebibytes(bytes) + " of memory at " +
                             std::to_string(static_cast<int>(m_config.sampleRate)) + " Hz (" + std::to_string(count) +
                             " x " + costliest->id + " at " + mebibytes(each) + " each), over the engine's budget of " +
                             mebibytes(m_config.memoryBudgetBytes) + " per patch; nothing was changed");
}

Status SlotEngine::addModule(std::string_view id, std::string_view type) {
    std::unique_lock lock(m_mutex); // a commit in flight does not hold it: see sendEdit
    // Validated on the pending patch itself (no copy: a patch of thousands of modules stays cheap
    // to edit), taken back if the standby cannot get it.
    if (Status s = m_pending.addModule(id, type); !s)
        return s;
    if (Status s = checkMemoryBudget(m_pending, id); !s) {
        (void)m_pending.removeModule(id);
        return s;
    }
    SlotCommand c;
    c.kind = SlotCommandKind::AddModule;
    const bool fits = c.a.assign(id) && c.b.assign(type); // a valid id and a known type always fit
    if (Status s = fits ? sendEdit(c) : textTooLong(); !s) {
        (void)m_pending.removeModule(id);
        return s;
    }
    return {};
}

Status SlotEngine::removeModule(std::string_view id) {
    std::unique_lock lock(m_mutex); // a commit in flight does not hold it: see sendEdit
    PatchGraph next = m_pending;
    if (Status s = next.removeModule(id); !s)
        return s;
    SlotCommand c;
    c.kind = SlotCommandKind::RemoveModule;
    if (!c.a.assign(id))
        return textTooLong();
    if (Status s = sendEdit(c); !s)
        return s;
    m_pending = std::move(next);
    return {};
}

Status SlotEngine::connect(std::string_view src, std::string_view dst) {
    std::unique_lock lock(m_mutex); // a commit in flight does not hold it: see sendEdit
    if (Status s = m_pending.connect(src, dst); !s)
        return s;
    SlotCommand c;
    c.kind = SlotCommandKind::Connect;
    if (!c.a.assign(src) || !c.b.assign(dst)) {
        (void)m_pending.disconnect(src, dst);
        return textTooLong();
    }
    if (Status s = sendEdit(c); !s) {
        (void)m_pending.disconnect(src, dst);
        return s;
    }
    return {};
}

Status SlotEngine::disconnect(std::string_view src, std::string_view dst) {
    std::unique_lock lock(m_mutex); // a commit in flight does not hold it: see sendEdit
    SlotCommand c;
    c.kind = SlotCommandKind::Disconnect;
    if (!c.a.assign(src) || !c.b.assign(dst))
        return textTooLong();
    PatchGraph before = m_pending; // a disconnect can drop several cables (bare ids): keep them
    if (Status s = m_pending.disconnect(src, dst); !s)
        return s;
    if (Status s = sendEdit(c); !s) {
        m_pending = std::move(before);
        return s;
    }
    return {};
}

Result<double> SlotEngine::setPending(std::string_view id, std::string_view param, double value) {
    std::unique_lock lock(m_mutex); // a commit in flight does not hold it: see sendEdit
    return setPendingLocked(id, param, value);
}

Result<std::string> SlotEngine::setPendingText(std::string_view id, std::string_view name, std::string_view text) {
    std::unique_lock lock(m_mutex); // a commit in flight does not hold it: see sendEdit
    auto values = m_pending.parseText(id, name, text);
    if (!values)
        return values.status();
    const PatchNode* node = m_pending.find(id);
    const ModuleType& type = *node->type;
    for (const ParamValue& v : values.value()) {
        if (m_pending.find(id)->params[static_cast<std::size_t>(v.index)] == v.value)
            continue; // only what changes travels to the standby
        if (auto applied = setPendingLocked(id, type.params[static_cast<std::size_t>(v.index)].id, v.value); !applied)
            return applied.status();
    }
    return PatchGraph::valueText(*m_pending.find(id), name);
}

Result<double> SlotEngine::setPendingLocked(std::string_view id, std::string_view param, double value) {
    const PatchNode* node = m_pending.find(id);
    const ParamIndex index = node ? node->type->findParam(param) : -1;
    const double previous = index >= 0 ? node->params[static_cast<std::size_t>(index)] : 0.0;
    auto applied = m_pending.setParam(id, param, value);
    if (!applied)
        return applied.status();
    SlotCommand c;
    c.kind = SlotCommandKind::SetPending;
    c.value = applied.value();
    if (!c.a.assign(id) || !c.b.assign(param)) {
        (void)m_pending.setParam(id, param, previous);
        return textTooLong();
    }
    if (Status s = sendEdit(c); !s) {
        (void)m_pending.setParam(id, param, previous);
        return s;
    }
    return applied.value();
}

Status SlotEngine::clear() {
    std::unique_lock lock(m_mutex); // a commit in flight does not hold it: see sendEdit
    SlotCommand c;
    c.kind = SlotCommandKind::Clear;
    if (Status s = sendEdit(c); !s)
        return s;
    m_pending.clear();
    return {};
}

// m_mutex held. The commands that build `graph` from the empty patch, onto `slot`'s queue.
bool SlotEngine::sendGraph(int slot, const PatchGraph& graph) {
    const auto timeout = std::chrono::milliseconds(2000);
    m_standbyPrimed = false;
    SlotCommand c;
    c.kind = SlotCommandKind::Clear;
    if (!send(slot, c, timeout))
        return false;
    for (const PatchNode& node : graph.nodes()) {
        if (node.id != ModuleRegistry::kOutputId) {
            c = {};
            c.kind = SlotCommandKind::AddModule;
            c.a.assign(node.id);
            c.b.assign(node.type->id);
            if (!send(slot, c, timeout))
                return false;
        }
        for (std::size_t p = 0; p < node.params.size(); ++p) {
            if (node.params[p] == static_cast<double>(node.type->params[p].def))
                continue;
            c = {};
            c.kind = SlotCommandKind::SetPending;
            c.a.assign(node.id);
            c.b.assign(node.type->params[p].id);
            c.value = node.params[p];
            if (!send(slot, c, timeout))
                return false;
        }
    }
    for (const Cable& cable : graph.cables()) {
        c = {};
        c.kind = SlotCommandKind::Connect;
        c.a.assign(describeEndpoint(*graph.find(cable.from), cable.fromPort, true));
        c.b.assign(describeEndpoint(*graph.find(cable.to), cable.toPort, false));
        if (!send(slot, c, timeout))
            return false;
    }
    return true;
}

Status SlotEngine::loadPending(const PatchGraph& graph) {
    std::unique_lock lock(m_mutex); // a commit in flight does not hold it: see sendEdit
    if (!m_running)
        return Status::error(ErrorCode::NotRunning, "the engine is not running");
    if (Status s = checkMemoryBudget(graph, {}); !s)
        return s;
    if (m_committing) { // the whole patch follows when the commit is over
        m_pending = graph;
        m_deferredEdits.clear();
        m_deferredReload = true;
        return {};
    }
    if (!markStandbyDirty())
        return Status::error(ErrorCode::Timeout, "the standby slot did not settle after a failover");
    if (!sendGraph(1 - m_controlActive, graph))
        return Status::error(ErrorCode::QueueFull, "the standby slot's command queue stayed full");
    m_pending = graph;
    return {};
}

Status SlotEngine::setPendingPosition(std::string_view id, double x, double y) {
    std::lock_guard lock(m_mutex);
    if (m_committingPatch) // a card moved during the fade is where the committed patch has it too
        (void)m_committingPatch->setPosition(id, x, y);
    return m_pending.setPosition(id, x, y);
}

bool SlotEngine::trySetPendingPosition(std::string_view id, double x, double y) {
    std::unique_lock lock(m_mutex, std::try_to_lock);
    if (!lock.owns_lock())
        return false;
    (void)m_pending.setPosition(id, x, y); // an id not (or no longer) pending has no position to keep
    if (m_committingPatch)
        (void)m_committingPatch->setPosition(id, x, y);
    return true;
}

// m_mutex held. `slot` (the standby) becomes a mirror of the committed patch: it rebuilds the patch
// the committed timeline started from, replays the live changes since at their stamps, and catches
// up with the output, so it plays what the active plays, sample for sample.
Status SlotEngine::resync(int slot, std::chrono::milliseconds timeout, bool wait) {
    SlotShared& s = *m_slots[static_cast<std::size_t>(slot)];
    s.lease.store(Dirty, std::memory_order_release);
    m_syncTicket = 0;
    if (!sendGraph(slot, m_timeline.replayFrom(m_committed)))
        return Status::error(ErrorCode::QueueFull, "the standby slot's command queue stayed full");
    SlotCommand c;
    c.kind = SlotCommandKind::Sync;
    c.ticket = m_nextTicket++;
    if (m_timeline.exact()) {
        for (SlotCommand live : m_timeline.changes()) {
            live.flags = kCommandReplay;
            send(slot, live, std::chrono::milliseconds(1000));
        }
        c.timeline = m_timeline.id();
    } else {
        c.timeline = (m_nextTicket++) | kUnalignedTimeline; // plays the same patch, not in step
    }
    m_standbyGraph = m_committed;
    m_primed.clearChanges();
    if (!send(slot, c, timeout))
        return Status::error(ErrorCode::QueueFull, "the standby slot's command queue stayed full");
    if (!wait) { // completeSync() raises the lease when the worker is done
        m_syncSlot = slot;
        m_syncTicket = c.ticket;
        m_syncTimeline = c.timeline;
        return {};
    }
    if (!waitForTicket(s.syncDone, c.ticket, timeout + std::chrono::milliseconds(2000)))
        return Status::error(ErrorCode::Timeout, "the standby slot did not re-sync in time");
    if (s.state.load(std::memory_order_acquire) == SlotState::Failed)
        return Status::error(ErrorCode::InvalidArgument, "the standby slot failed to rebuild the committed patch");
    s.lease.store(Clean, std::memory_order_release);
    return {};
}

// m_mutex held. Finishes a re-sync started without waiting, once the worker is done.
void SlotEngine::completeSync() {
    if (m_syncTicket == 0)
        return;
    SlotShared& s = *m_slots[static_cast<std::size_t>(m_syncSlot)];
    if (s.syncDone.load(std::memory_order_acquire) != m_syncTicket)
        return;
    m_syncTicket = 0;
    if (m_syncSlot != m_controlActive && s.state.load(std::memory_order_acquire) != SlotState::Failed)
        s.lease.store(Clean, std::memory_order_release);
}

Result<double> SlotEngine::primeLocked(std::chrono::milliseconds timeout) {
    if (!m_running)
        return Status::error(ErrorCode::NotRunning, "the engine is not running");
    followFailover();
    const int standby = 1 - m_controlActive;
    SlotShared& s = *m_slots[static_cast<std::size_t>(standby)];
    SlotCommand c;
    c.kind = SlotCommandKind::Prime;
    c.ticket = m_nextTicket++;
    c.timeline = c.ticket;
    const auto t0 = Clock::now();
    for (const SlotCommand& held : midiSnapshot(m_pending, 0)) // for a compile afresh: the keys held now
        if (!send(standby, held, timeout))
            return Status::error(ErrorCode::QueueFull, "the standby slot's command queue is full");
    if (!send(standby, c, timeout))
        return Status::error(ErrorCode::QueueFull, "the standby slot's command queue is full");
    if (!waitForTicket(s.primeDone, c.ticket, timeout))
        return Status::error(ErrorCode::Timeout, "prime timed out after " + std::to_string(timeout.count()) + " ms");
    if (!s.primeReady.load(std::memory_order_acquire))
        return Status::error(ErrorCode::InvalidArgument, "prime failed: the standby could not compile the patch");
    m_standbyPrimed = true;
    const std::uint32_t timeline = s.timelinePublished.load(std::memory_order_acquire);
    if (timeline != c.ticket) {
        // Primed in place (only parameters changed): record what changed and where, so a mirror
        // can replay it if this commits. Known: on the committed timeline (a mirror edited) or on
        // the one its last prime started.
        const bool known = timeline == m_timeline.id() || (timeline == m_primed.id() && m_primed.exact());
        const std::int64_t at = s.primeFrame.load(std::memory_order_acquire);
        m_primed.primedInPlace(timeline, known,
                               known ? parameterChanges(m_standbyGraph, m_pending, timeline, at) : std::nullopt);
    } else { // compiled afresh: a new timeline starts from the pending patch (and the keys held)
        m_primed = Timeline(timeline, m_pending);
        m_primed.recordAll(midiSnapshot(m_pending, timeline));
    }
    m_standbyGraph = m_pending;
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
    m_shared->lastPrimeNs.store(ns, std::memory_order_relaxed);
    return static_cast<double>(ns) * 1e-6;
}

Result<double> SlotEngine::prime(std::chrono::milliseconds timeout) {
    std::unique_lock lock = lockIdle();
    return primeLocked(timeout);
}

Result<CommitReport> SlotEngine::commit(double fadeMs, std::chrono::milliseconds timeout) {
    std::unique_lock lock = lockIdle();
    return commitLocked(lock, fadeMs, timeout);
}

// Control thread, m_mutex held by `lock` and idle (no other commit). While the fade and the health
// window run, the lock is let go: live changes and gates go on (to the slot fading out and to the one
// fading in), and edits, primes and other commits wait for the outcome (lockIdle).
std::unique_lock<std::mutex> SlotEngine::lockIdle() {
    std::unique_lock lock(m_mutex);
    m_idle.wait(lock, [this] { return !m_committing; });
    return lock;
}

Result<CommitReport> SlotEngine::commitLocked(std::unique_lock<std::mutex>& lock, double fadeMs,
                                              std::chrono::milliseconds timeout) {
    if (!m_running)
        return Status::error(ErrorCode::NotRunning, "the engine is not running");
    followFailover();
    const int standby = 1 - m_controlActive;
    SlotShared& next = *m_slots[static_cast<std::size_t>(standby)];
    CommitReport report;
    // The controller's own record, not the worker's flag: an edit still in the standby's queue has
    // not cleared that flag yet, and committing then would drop the edit.
    if (!m_standbyPrimed || !next.primeReady.load(std::memory_order_acquire)) {
        auto primed = primeLocked(timeout);
        if (!primed)
            return Status::error(primed.status().code(), "commit: " + primed.status().message() + "; nothing switched");
        report.primeMs = primed.value();
    }
    const double ms = std::clamp(fadeMs >= 0.0 ? fadeMs : m_config.fadeMs, 0.0, 10000.0);
    const std::uint64_t fadeFrames = static_cast<std::uint64_t>(std::llround(ms * 1e-3 * m_config.sampleRate));
    const std::uint32_t settled = m_shared->commitsSettled.load(std::memory_order_acquire);
    const std::uint64_t request = static_cast<std::uint64_t>(standby + 1) | (fadeFrames << 8);
    m_shared->commitRequestNs.store(nowNs(), std::memory_order_relaxed);
    m_shared->commitRequest.store(request, std::memory_order_release);
    const auto fadeAndWindow = std::chrono::milliseconds(static_cast<long>(ms + m_config.healthWindowMs) + 1);
    bool withdrawn = false;
    m_committingPatch = m_pending;
    m_committing = true;
    lock.unlock();
    if (!waitForTicket(m_shared->commitsSettled, settled + 1, timeout + fadeAndWindow)) {
        // Withdraw the request if the audio thread has not taken it: nothing switches.
        std::uint64_t expected = request;
        withdrawn = m_shared->commitRequest.compare_exchange_strong(expected, 0);
        if (!withdrawn)
            waitForTicket(m_shared->commitsSettled, settled + 1, std::chrono::milliseconds(10000));
    }
    lock.lock();
    m_committing = false;
    PatchGraph committing = std::move(*m_committingPatch);
    m_committingPatch.reset();
    m_idle.notify_all();
    if (withdrawn) {
        sendDeferredEdits();
        return Status::error(ErrorCode::Timeout, "commit timed out: the audio callback is not running; nothing switched");
    }
    if (m_shared->lastCommitRolledBack.load(std::memory_order_acquire)) {
        m_standbyPrimed = false; // its plan was dropped; the next commit compiles it again
        sendDeferredEdits();
        const bool runaway = m_shared->lastRollbackRunaway.load(std::memory_order_relaxed);
        return Status::error(ErrorCode::RolledBack,
                             std::string("commit rolled back: the new patch produced ") +
                                 (runaway ? "a runaway level" : "NaN or Inf") +
                                 "; the previous patch plays on and the new one stays pending");
    }
    report.slot = standby;
    report.commitMs = static_cast<double>(m_shared->lastCommitNs.load(std::memory_order_relaxed)) * 1e-6;
    report.fadeCorrelation = static_cast<double>(m_shared->fadeCorrelation.load(std::memory_order_relaxed));
    const int old = 1 - standby;
    m_controlActive = standby;
    m_previousCommitted = m_committed;
    m_committed = std::move(committing);
    // The committed timeline is now the one the new active primed (or kept, if its plan was current).
    m_timeline = Timeline::afterCommit(std::move(m_timeline), m_primed, next.timelinePublished.load(std::memory_order_acquire));
    SlotCommand active;
    active.kind = SlotCommandKind::MarkActive;
    send(standby, active, std::chrono::milliseconds(1000));
    // The old active re-syncs in the background (a long history to replay must not hold the
    // controller); live changes meanwhile reach it stamped, after its Sync, and wait for their frame.
    if (Status s = resync(old, timeout, false); !s)
        m_slots[static_cast<std::size_t>(old)]->needsRebuild.store(true); // the supervisor retries
    sendDeferredEdits(); // the edits made during the fade: onto the new standby, after its re-sync
    return report;
}

// m_mutex held, m_committing. Bounded: past this many edits in one commit's fade the standby gets
// the whole pending patch again instead.
namespace {
constexpr std::size_t kMaxDeferredEdits = 512;
}

void SlotEngine::deferEdit(const SlotCommand& command) {
    if (m_deferredReload)
        return; // the whole pending patch goes anyway
    if (m_deferredEdits.size() >= kMaxDeferredEdits) {
        m_deferredEdits.clear();
        m_deferredReload = true;
        return;
    }
    m_deferredEdits.push_back(command);
}

// m_mutex held, the commit over. The standby (the slot that faded out, or after a rollback the one
// that did not fade in) gets the edits made meanwhile, in order, after whatever it was sent since.
void SlotEngine::sendDeferredEdits() {
    if (m_deferredEdits.empty() && !m_deferredReload)
        return;
    std::vector<SlotCommand> edits = std::move(m_deferredEdits);
    m_deferredEdits.clear();
    const bool reload = std::exchange(m_deferredReload, false);
    if (!m_running || !markStandbyDirty())
        return; // a standby that never settles is rebuilt with m_pending when its worker recovers
    m_standbyPrimed = false;
    const int standby = 1 - m_controlActive;
    bool sent = !reload;
    for (std::size_t i = 0; sent && i < edits.size(); ++i)
        sent = send(standby, edits[i], std::chrono::milliseconds(500));
    if (!sent)
        (void)sendGraph(standby, m_pending);
}

std::uint64_t SlotEngine::submit(SlotOperation operation, OperationHandler done, double fadeMs,
                                 std::chrono::milliseconds timeout) {
    std::lock_guard lock(m_operationsMutex);
    const std::uint64_t ticket = m_nextOperation++;
    m_operations.push_back({ticket, operation, std::move(done), fadeMs, timeout});
    if (!m_operationsRunning) {
        m_operationsRunning = true;
        m_operationsThread = std::thread([this] { runOperations(); });
    }
    m_operationsChanged.notify_all();
    return ticket;
}

void SlotEngine::waitForOperations() {
    std::unique_lock lock(m_operationsMutex);
    const std::uint64_t last = m_nextOperation - 1;
    m_operationsChanged.wait(lock, [&] { return m_operationsFinished >= last || !m_operationsRunning; });
}

// The operations thread: one operation at a time, in the order submitted; after stop() the ones
// still queued are refused.
void SlotEngine::runOperations() noexcept {
    for (;;) {
        PendingOperation next;
        bool stopping = false;
        {
            std::unique_lock lock(m_operationsMutex);
            m_operationsChanged.wait(lock, [this] { return m_operationsStop || !m_operations.empty(); });
            if (m_operations.empty())
                return;
            next = std::move(m_operations.front());
            m_operations.pop_front();
            stopping = m_operationsStop;
        }
        OperationEvent event;
        if (stopping) {
            event.outcome = OperationOutcome::Refused;
            event.status = Status::error(ErrorCode::NotRunning, "the engine stopped");
        } else {
            try {
                event = runOperation(next.operation, next.fadeMs, next.timeout);
            } catch (const std::bad_alloc&) { // a graph copy that found no memory
                event.outcome = OperationOutcome::Refused;
                event.status = Status::error(ErrorCode::OverBudget, "out of memory; nothing switched");
            } catch (const std::exception& e) {
                event.outcome = OperationOutcome::Refused;
                event.status = Status::error(ErrorCode::InvalidArgument, e.what());
            }
        }
        event.ticket = next.ticket;
        event.operation = next.operation;
        if (next.done) {
            try {
                next.done(event);
            } catch (...) { // the handler's own trouble must not end the engine's operations
            }
        }
        std::lock_guard lock(m_operationsMutex);
        m_operationsFinished = next.ticket;
        m_operationsChanged.notify_all();
    }
}

OperationEvent SlotEngine::runOperation(SlotOperation operation, double fadeMs, std::chrono::milliseconds timeout) {
    OperationEvent event;
    Status status;
    switch (operation) {
    case SlotOperation::Prime: {
        auto primed = prime(timeout);
        if (primed)
            event.primeMs = primed.value();
        status = primed.status();
        break;
    }
    case SlotOperation::Commit:
    case SlotOperation::UndoCommit: {
        auto report = operation == SlotOperation::Commit ? commit(fadeMs, timeout) : undoCommit(fadeMs, timeout);
        if (report)
            event.report = report.value();
        status = report.status();
        break;
    }
    case SlotOperation::Abort:
        status = abort(timeout);
        break;
    }
    if (status) {
        event.outcome = OperationOutcome::Done;
    } else {
        event.status = status;
        event.outcome = status.code() == ErrorCode::RolledBack ? OperationOutcome::RolledBack
                        : status.code() == ErrorCode::Timeout  ? OperationOutcome::TimedOut
                                                               : OperationOutcome::Refused;
    }
    return event;
}

Status SlotEngine::abort(std::chrono::milliseconds timeout) {
    std::unique_lock lock = lockIdle();
    if (!m_running)
        return Status::error(ErrorCode::NotRunning, "the engine is not running");
    followFailover();
    m_pending = m_committed;
    return resync(1 - m_controlActive, timeout);
}

bool SlotEngine::canUndoCommit() const {
    std::lock_guard lock(m_mutex);
    return m_previousCommitted.has_value();
}

Result<CommitReport> SlotEngine::undoCommit(double fadeMs, std::chrono::milliseconds timeout) {
    std::unique_lock lock = lockIdle();
    if (!m_running)
        return Status::error(ErrorCode::NotRunning, "the engine is not running");
    if (!m_previousCommitted)
        return Status::error(ErrorCode::InvalidArgument, "nothing to undo: no commit since start");
    if (!markStandbyDirty())
        return Status::error(ErrorCode::Timeout, "the standby slot did not settle after a failover");
    const PatchGraph previous = *m_previousCommitted;
    if (!sendGraph(1 - m_controlActive, previous))
        return Status::error(ErrorCode::QueueFull, "the standby slot's command queue stayed full");
    m_pending = previous;
    return commitLocked(lock, fadeMs, timeout);
}

// m_mutex held. Live changes: stamped with the same plan frame for every slot on the committed
// timeline (the active and an in-step mirror), at its next block for a standby being edited.
Status SlotEngine::sendLive(SlotCommand c, const PatchGraph& liveGraph, LiveBatch* batch) {
    const int a = m_controlActive, s = 1 - a;
    const auto onTimeline = [&](int slot) {
        const SlotShared& x = *m_slots[static_cast<std::size_t>(slot)];
        return x.timelinePublished.load(std::memory_order_acquire) == m_timeline.id();
    };
    const bool syncing = m_syncTicket != 0 && m_syncSlot == s && m_syncTimeline == m_timeline.id();
    const bool stampA = onTimeline(a), stampS = onTimeline(s) || syncing;
    std::int64_t stamp = 0;
    for (int slot : {a, s})
        if (onTimeline(slot)) // a slot still syncing has no frame on this timeline yet
            stamp = std::max(stamp, m_slots[static_cast<std::size_t>(slot)]->planFramePublished.load(std::memory_order_acquire));
    stamp += 2 * m_config.blockSize; // after what either may be rendering right now
    if (batch && batch->want >= 0) { // a frame of its own, unless either slot may be past it
        batch->late = batch->want < stamp;
        batch->stamp = std::max(batch->want, stamp);
        batch->want = -1;
    }
    if (batch) {
        if (batch->stamp < 0)
            batch->stamp = stamp;
        stamp = batch->stamp;
    }
    bool ok = true;
    if (liveGraph.find(c.a.view())) {
        SlotCommand ca = c;
        ca.timeline = stampA ? m_timeline.id() : 0;
        ca.stamp = stamp;
        ok &= send(a, ca, std::chrono::milliseconds(100));
        if (stampA && ok)
            m_timeline.record(ca);
        if (!stampA)
            m_timeline.markInexact();
    }
    if (m_pending.find(c.a.view())) {
        SlotCommand cs = c;
        cs.timeline = stampS ? m_timeline.id() : 0;
        cs.stamp = stamp;
        const SlotShared& standby = *m_slots[static_cast<std::size_t>(s)];
        if (!stampS && m_primed.exact() && standby.timelinePublished.load(std::memory_order_acquire) == m_primed.id()) {
            // A standby primed on a timeline of its own is idle (its ring is full and nobody reads
            // it): the change lands on its next block, a frame known here, and joins that
            // timeline's history so a mirror can replay it after the commit.
            cs.timeline = m_primed.id();
            cs.stamp = standby.planFramePublished.load(std::memory_order_acquire);
            if (batch) {
                if (batch->standbyStamp < 0)
                    batch->standbyStamp = cs.stamp;
                cs.stamp = batch->standbyStamp;
            }
            m_primed.record(cs);
        } else if (!stampS) {
            m_primed.markInexact();
        }
        ok &= send(s, cs, std::chrono::milliseconds(100));
    }
    if (!ok)
        return Status::error(ErrorCode::QueueFull, "a slot's command queue is full; live change dropped");
    return {};
}

Result<double> SlotEngine::setLive(std::string_view id, std::string_view param, double value) {
    std::lock_guard lock(m_mutex);
    if (!m_running)
        return Status::error(ErrorCode::NotRunning, "the engine is not running");
    followFailover();
    return setLiveLocked(id, param, value, nullptr);
}

Result<std::string> SlotEngine::setLiveText(std::string_view id, std::string_view name, std::string_view text) {
    std::lock_guard lock(m_mutex);
    if (!m_running)
        return Status::error(ErrorCode::NotRunning, "the engine is not running");
    followFailover();
    const PatchGraph& graph = m_committed.find(id) ? m_committed : m_pending;
    auto values = graph.parseText(id, name, text);
    if (!values)
        return values.status();
    const ModuleType& type = *graph.find(id)->type;
    // One stamp for the lot: every step of a new pattern changes at the same sample.
    LiveBatch batch;
    for (const ParamValue& v : values.value()) {
        if (graph.find(id)->params[static_cast<std::size_t>(v.index)] == v.value)
            continue;
        if (auto applied = setLiveLocked(id, type.params[static_cast<std::size_t>(v.index)].id, v.value, &batch); !applied)
            return applied.status();
    }
    return PatchGraph::valueText(*graph.find(id), name);
}

Result<double> SlotEngine::setLiveLocked(std::string_view id, std::string_view param, double value, LiveBatch* batch,
                                         std::uint8_t flags) {
    // A compiled plan's buffers are as wide as its channels: a change of width is a new plan.
    if (const PatchNode* node = m_committed.find(id) ? m_committed.find(id) : m_pending.find(id)) {
        const ParamIndex index = node->type->findParam(param);
        if (index >= 0 && (node->type->params[static_cast<std::size_t>(index)].flags & ParamStructural) &&
            std::lround(node->params[static_cast<std::size_t>(index)]) != std::lround(value))
            return Status::error(ErrorCode::InvalidArgument,
                                 "'" + std::string(id) + "." + node->type->params[static_cast<std::size_t>(index)].id +
                                     "' changes how many channels its cables carry, which cannot change while it "
                                     "plays: set it on the pending patch (/patch/set) and commit");
    }
    auto applied = m_committed.setParam(id, param, value);
    if (!applied) {
        if (applied.status().code() != ErrorCode::UnknownModule || !m_pending.find(id))
            return applied.status();
        applied = m_pending.setParam(id, param, value); // a module not committed yet: live on the standby
        if (!applied)
            return applied.status();
    }
    (void)m_pending.setParam(id, param, applied.value()); // the pending patch follows, unless it dropped the module
    if (m_committingPatch) // and the patch being committed, which is what plays once the fade is over
        (void)m_committingPatch->setParam(id, param, applied.value());
    (void)m_standbyGraph.setParam(id, param, applied.value());
    SlotCommand c;
    c.kind = SlotCommandKind::SetLive;
    c.flags = flags;
    c.value = applied.value();
    if (!c.a.assign(id) || !c.b.assign(param))
        return textTooLong();
    if (Status s = sendLive(c, m_committed, batch); !s)
        return s;
    return applied.value();
}

Status SlotEngine::gate(std::string_view id, bool on) {
    std::lock_guard lock(m_mutex);
    if (!m_running)
        return Status::error(ErrorCode::NotRunning, "the engine is not running");
    followFailover();
    const PatchNode* node = m_committed.find(id);
    if (!node)
        node = m_pending.find(id);
    if (!node)
        return Status::error(ErrorCode::UnknownModule, "no module '" + std::string(id) + "'");
    bool gated = false;
    for (const PortSpec& port : node->type->inputs)
        gated |= port.kind == Signal::Gate;
    if (!gated)
        return Status::error(ErrorCode::UnknownPort, "module '" + std::string(id) + "' (" + node->type->id +
                                                         ") takes no gate");
    SlotCommand c;
    c.kind = SlotCommandKind::Gate;
    c.value = on ? 1.0 : 0.0;
    if (!c.a.assign(id))
        return textTooLong();
    return sendLive(c, m_committed);
}

void SlotEngine::MidiHeld::take(const MidiEvent& e) noexcept {
    switch (e.status) { // the transport, as a clock following it counts it
    case MidiEvent::kStart:
        songTicks = 0;
        running = true;
        return;
    case MidiEvent::kContinue: running = true; return;
    case MidiEvent::kStop: running = false; return;
    case MidiEvent::kSongPosition: songTicks = std::int64_t{e.data1 | (e.data2 << 7)} * 6; return;
    case MidiEvent::kClock: songTicks += running ? 1 : 0; return;
    default: break;
    }
    const auto key = static_cast<std::size_t>(e.data1);
    switch (e.kind()) {
    case 0x90:
        if (e.data2 > 0) {
            velocity[key] = e.data2;
            sustained[key] = false;
            break;
        }
        [[fallthrough]];
    case 0x80:
        if (velocity[key] != 0 && !sustained[key]) {
            if (pedal)
                sustained[key] = true;
            else
                velocity[key] = 0;
        }
        break;
    case 0xE0:
        bendLsb = e.data1;
        bendMsb = e.data2;
        break;
    case 0xB0:
        if (e.data1 < 120 && e.data1 != 64)
            controllers[static_cast<std::size_t>(e.channel()) * 120 + e.data1] = static_cast<std::int8_t>(e.data2);
        if (e.data1 == 1) {
            mod = e.data2;
            modChannel = e.channel();
        } else if (e.data1 == 64 || e.data1 == 121) {
            const bool down = e.data1 == 64 && e.data2 >= 64;
            if (pedal && !down)
                for (std::size_t k = 0; k < 128; ++k)
                    if (sustained[k]) {
                        sustained[k] = false;
                        velocity[k] = 0;
                    }
            pedal = down;
            if (e.data1 == 121) {
                bendLsb = 0;
                bendMsb = 0x40;
                mod = 0;
            }
        } else if (e.data1 == 120 || e.data1 == 123) {
            velocity.fill(0);
            sustained.fill(false);
        }
        break;
    default: break;
    }
}

std::vector<MidiEvent> SlotEngine::MidiHeld::events() const {
    std::vector<MidiEvent> out;
    const auto add = [&](std::uint8_t status, std::uint8_t d1, std::uint8_t d2) {
        MidiEvent e;
        e.status = status;
        e.data1 = d1;
        e.data2 = d2;
        out.push_back(e);
    };
    if (bendLsb != 0 || bendMsb != 0x40)
        add(0xE0, bendLsb, bendMsb);
    // The controllers (an MSB before its LSB: ascending numbers), at most kSnapshotControllers of
    // them so that the snapshot fits a slot's command queue; the mod wheel last, from the channel
    // that moved it last, so midi_in's `mod` is the newest of them.
    constexpr std::size_t kSnapshotControllers = 256;
    std::size_t controllerCount = 0;
    for (std::size_t channel = 0; channel < 16; ++channel)
        for (std::size_t n = 0; n < 120 && controllerCount < kSnapshotControllers; ++n)
            if (const std::int8_t v = controllers[channel * 120 + n]; v >= 0 && !(n == 1 && channel == modChannel)) {
                add(static_cast<std::uint8_t>(0xB0 | channel), static_cast<std::uint8_t>(n), static_cast<std::uint8_t>(v));
                ++controllerCount;
            }
    if (mod != 0 || controllers[std::size_t{modChannel} * 120 + 1] >= 0)
        add(static_cast<std::uint8_t>(0xB0 | modChannel), 1, mod);
    for (std::size_t k = 0; k < 128; ++k)
        if (velocity[k] != 0)
            add(0x90, static_cast<std::uint8_t>(k), velocity[k]);
    if (pedal) {
        add(0xB0, 64, 127);
        for (std::size_t k = 0; k < 128; ++k)
            if (sustained[k])
                add(0x80, static_cast<std::uint8_t>(k), 0);
    }
    if (running || songTicks != 0) { // where the song stands, to the tick (F2 counts sixteenths)
        const std::int64_t sixteenths = std::min<std::int64_t>(songTicks / 6, 0x3FFF);
        add(MidiEvent::kSongPosition, static_cast<std::uint8_t>(sixteenths & 0x7F), static_cast<std::uint8_t>(sixteenths >> 7));
        if (songTicks % 6 != 0 && sixteenths < 0x3FFF)
            add(MidiEvent::kSongTicks, static_cast<std::uint8_t>(songTicks % 6), 0);
        if (running)
            add(MidiEvent::kContinue, 0, 0);
    }
    return out;
}

// The held MIDI state as commands for every module of `graph` that takes MIDI (each the kinds it
// takes): flagged as a snapshot (timeline 0) to send before a Prime, or stamped at the first frame
// of `timeline` to record in its history.
std::vector<SlotCommand> SlotEngine::midiSnapshot(const PatchGraph& graph, std::uint32_t timeline) const {
    std::vector<SlotCommand> out;
    const std::vector<MidiEvent> events = m_midiHeld.events();
    for (const PatchNode& node : graph.nodes()) {
        if (!node.type->takesMidi)
            continue;
        for (const MidiEvent& e : events) {
            if (!takesMidiEvent(node.type->takesMidi, e))
                continue;
            SlotCommand c;
            c.kind = SlotCommandKind::Midi;
            c.value = e.packed();
            c.flags = timeline == 0 ? kCommandMidiSnapshot : 0;
            c.timeline = timeline;
            c.stamp = 0;
            if (c.a.assign(node.id))
                out.push_back(c);
        }
    }
    return out;
}

Status SlotEngine::midi(const MidiEvent& event) {
    std::lock_guard lock(m_mutex);
    if (!m_running)
        return Status::error(ErrorCode::NotRunning, "the engine is not running");
    followFailover();
    m_midiHeld.take(event);
    LiveBatch batch; // one frame for every module that takes it
    if (event.frame >= 0) {
        std::int64_t device = 0, plan = 0;
        std::uint32_t timeline = 0, seq = 0;
        do {
            seq = m_shared->deviceMarkSeq.load(std::memory_order_acquire);
            device = m_shared->deviceMarkFrame.load(std::memory_order_relaxed);
            timeline = m_shared->deviceMarkTimeline.load(std::memory_order_relaxed);
            plan = m_shared->deviceMarkPlanFrame.load(std::memory_order_relaxed);
            std::atomic_thread_fence(std::memory_order_acquire);
        } while ((seq & 1) != 0 || seq != m_shared->deviceMarkSeq.load(std::memory_order_relaxed));
        // The ring as deep as it is now: after a near-miss or a none-read grew it, the workers render
        // further ahead, and the latency grows with it (once, at that glitch) so events stay on time.
        const int ring = std::max(m_config.ringTargetBlocks, m_shared->ringTarget.load(std::memory_order_relaxed));
        const int blocks = m_config.midiLatencyBlocks > 0 ? m_config.midiLatencyBlocks : ring + 3;
        if (device >= 0 && timeline == m_timeline.id() && !m_committing)
            batch.want = std::max<std::int64_t>(0, plan + (event.frame - device) + std::int64_t{blocks} * m_config.blockSize);
        else
            batch.late = true; // its frame cannot be placed on the committed timeline now: as soon as possible
    }
    SlotCommand c;
    c.kind = SlotCommandKind::Midi;
    c.value = event.packed();
    const auto sendTo = [&](const PatchNode& node) -> Status {
        if (!takesMidiEvent(node.type->takesMidi, event)) // a midi_in gets no clock, a clock no notes
            return {};
        if (!c.a.assign(node.id))
            return textTooLong();
        return sendLive(c, m_committed, &batch);
    };
    Status status;
    for (const PatchNode& node : m_committed.nodes())
        if (Status s = sendTo(node); !s)
            status = s;
    for (const PatchNode& node : m_pending.nodes()) // a midi_in not committed yet: the standby's only
        if (!m_committed.find(node.id))
            if (Status s = sendTo(node); !s)
                status = s;
    if (event.kind() == 0xB0) {
        const std::uint64_t count = (m_lastController.load(std::memory_order_relaxed) >> 24) + 1;
        m_lastController.store(count << 24 | std::uint64_t{event.channel()} << 16 | std::uint64_t{event.data1} << 8 |
                                   event.data2,
                               std::memory_order_release);
        // The parameters mapped to this controller move at its frame, in the same batch as the
        // MIDI modules hear it. A parameter held by a structural lock (the pending patch changed
        // its channel count) refuses, as a knob would: the others still move.
        for (const MidiMapping& m : m_pending.midiMappings()) {
            if (m.cc != event.data1 || (m.channel != 0 && m.channel != event.channel() + 1))
                continue;
            if (auto applied = setLiveLocked(m.module, m.param, m.valueAt(event.data2), &batch, kCommandAtFrame); !applied)
                status = applied.status();
        }
    }
    ++m_midiEvents;
    m_lateMidi += batch.late ? 1 : 0; // sendLive keeps it set when the frame was too early
    m_midiEventsOut.store(m_midiEvents, std::memory_order_relaxed);
    m_lateMidiOut.store(m_lateMidi, std::memory_order_relaxed);
    return status;
}

SlotEngine::ControllerSeen SlotEngine::lastController() const noexcept {
    const std::uint64_t v = m_lastController.load(std::memory_order_acquire);
    ControllerSeen seen;
    seen.count = v >> 24;
    seen.channel = static_cast<int>((v >> 16) & 0xF) + 1;
    seen.cc = static_cast<int>((v >> 8) & 0x7F);
    seen.value = static_cast<int>(v & 0x7F);
    return seen;
}

Result<MidiMapping> SlotEngine::setMidiMapping(const MidiMapping& mapping) {
    std::lock_guard lock(m_mutex);
    auto applied = m_pending.setMidiMapping(mapping);
    if (applied && m_committingPatch) // one made during the fade is in what plays after it too
        (void)m_committingPatch->setMidiMapping(applied.value());
    return applied;
}

Status SlotEngine::removeMidiMapping(std::string_view id, std::string_view param) {
    std::lock_guard lock(m_mutex);
    Status s = m_pending.removeMidiMapping(id, param);
    if (s && m_committingPatch)
        (void)m_committingPatch->removeMidiMapping(id, param);
    return s;
}

std::span<const MidiEvent> SlotEngine::midiOut() const noexcept { return m_output->midiOut(); }

void SlotEngine::markDeviceFrame(std::int64_t deviceFrame) noexcept {
    EngineShared& sh = *m_shared;
    const std::uint32_t seq = sh.deviceMarkSeq.load(std::memory_order_relaxed);
    sh.deviceMarkSeq.store(seq + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    sh.deviceMarkFrame.store(deviceFrame, std::memory_order_relaxed);
    // What the output plays next: this callback's first frame, as the last process() left it.
    sh.deviceMarkTimeline.store(sh.outputTimeline.load(std::memory_order_acquire), std::memory_order_relaxed);
    sh.deviceMarkPlanFrame.store(sh.outputPlanFrame.load(std::memory_order_acquire), std::memory_order_relaxed);
    sh.deviceMarkSeq.store(seq + 2, std::memory_order_release);
}

PatchGraph SlotEngine::committed() const {
    std::lock_guard lock(m_mutex);
    return m_committed;
}

PatchGraph SlotEngine::pending() const {
    std::lock_guard lock(m_mutex);
    return m_pending;
}

int SlotEngine::activeSlot() const {
    std::lock_guard lock(m_mutex);
    return m_controlActive;
}

void SlotEngine::injectFault(int slot, Fault fault, double stallMs, std::string_view module) noexcept {
    SlotShared& s = *m_slots[static_cast<std::size_t>(slot & 1)];
    std::int32_t index = -1;
    if (!module.empty()) {
        std::lock_guard lock(m_mutex);
        const auto& nodes = m_committed.nodes();
        for (std::size_t i = 0; i < nodes.size(); ++i)
            if (nodes[i].id == module)
                index = static_cast<std::int32_t>(i);
    }
    s.faultModule.store(index, std::memory_order_relaxed);
    s.stallNs.store(static_cast<std::int64_t>(stallMs * 1e6), std::memory_order_relaxed);
    s.faults.fetch_or(static_cast<std::uint8_t>(1u << static_cast<int>(fault)), std::memory_order_acq_rel);
    wakeWorker(slot & 1);
}

// Supervisor thread. A worker process ended without being asked: the slot stops being anyone's
// failover target, the callback leaves it if it was playing, and a new worker is due (at once, or
// after a back-off when workers keep dying right after they start).
void SlotEngine::workerDied(int slot, const std::string& how) {
    SlotShared& s = *m_slots[static_cast<std::size_t>(slot)];
    Slot::Record& w = m_handles[static_cast<std::size_t>(slot)]->record;
    s.workerAlive.store(false, std::memory_order_release);
    s.workerPid.store(0, std::memory_order_relaxed);
    std::uint8_t clean = Clean;
    s.lease.compare_exchange_strong(clean, Dirty, std::memory_order_acq_rel);
    s.primeReady.store(false, std::memory_order_release);
    s.state.store(SlotState::Failed, std::memory_order_release);
    s.produced.wake(); // an offline wait (never with processes, but cheap to be sure)
    if (m_shared->active.load(std::memory_order_acquire) == slot)
        m_shared->failoverRequest.store(static_cast<std::uint32_t>(1 - slot + 1), std::memory_order_release);
    const std::int64_t now = nowNs();
    // A worker that dies before it ever played again is in a crash loop (a module that crashes
    // whenever it runs); one killed after it settled is not.
    w.rapidDeaths = w.settled ? 1 : w.rapidDeaths + 1;
    // 0, 0, 0.1, 0.2, 0.4 ... 5 s: a module that crashes every time it runs must not fork-bomb.
    const std::int64_t backoffMs = w.rapidDeaths <= 2 ? 0 : std::min<std::int64_t>(5000, 100LL << std::min(w.rapidDeaths - 3, 6));
    w.restartAtNs = now + backoffMs * 1'000'000;
    std::lock_guard lock(m_exitMutex);
    w.lastExit = how;
    w.lastExitIndex = s.currentModule.load(std::memory_order_relaxed);
    w.lastExitModule.clear();
}

// Supervisor thread. The dead worker's queue is emptied (nobody else consumes it now) and a new
// worker starts on the same shared state; the controller sends it its patch (recoverLostWorkers).
void SlotEngine::restartWorker(int slot) {
    Slot& h = *m_handles[static_cast<std::size_t>(slot)];
    Slot::Record& w = h.record;
    h.dropQueued();
    w.restartAtNs = 0;
    if (Status started = startWorker(slot); !started) {
        w.restartAtNs = nowNs() + 1'000'000'000; // try again in a second
        std::lock_guard lock(m_exitMutex);
        w.lastExit = "could not restart: " + started.message();
        return;
    }
    {
        std::lock_guard lock(m_exitMutex); // stats() reads it
        ++w.restarts;
    }
    m_shared->restarts.fetch_add(1, std::memory_order_relaxed);
    m_workerLost[static_cast<std::size_t>(slot)].store(true, std::memory_order_release);
}

// Supervisor thread, m_mutex held. The dead workers whose restart is due get a successor: a clone
// of the playing worker when the dead one was its mirror (in step at once, with no history to
// replay), else a fresh process that the controller sends the slot's patch.
void SlotEngine::replaceDeadWorkers() {
    for (int i = 0; i < 2; ++i) {
        if (!m_workerDue[static_cast<std::size_t>(i)])
            continue;
        const SlotShared& other = *m_slots[static_cast<std::size_t>(1 - i)];
        // The one that played died and the callback is about to fail over to its mirror (it does at
        // its next chunk): let it, then this slot is the mirror and gets a copy. Without a callback
        // (no driver), the slot is rebuilt as it is after 50 ms.
        const std::uint8_t lease = other.lease.load(std::memory_order_acquire);
        if (i == m_controlActive && other.workerAlive.load(std::memory_order_acquire) &&
            (lease == Clean || lease == TakenOver) &&
            nowNs() - m_handles[static_cast<std::size_t>(i)]->record.restartAtNs < 50'000'000)
            continue;
        m_workerDue[static_cast<std::size_t>(i)] = false;
        const bool mirror = i != m_controlActive && sameSound(m_pending, m_committed);
        const SlotState playing = other.state.load(std::memory_order_acquire);
        if (mirror && other.workerAlive.load(std::memory_order_acquire) &&
            (playing == SlotState::Active || playing == SlotState::Mirror) && cloneWorker(i))
            continue;
        restartWorker(i);
    }
}

// Supervisor thread, m_mutex held. Asks the active worker to fork a copy of itself into slot
// `slot` (SlotCommandKind::Clone) and takes the copy on as that slot's worker. False when no copy
// came (the caller starts a fresh worker).
bool SlotEngine::cloneWorker(int slot) {
    SlotShared& s = *m_slots[static_cast<std::size_t>(slot)];
    Slot& h = *m_handles[static_cast<std::size_t>(slot)];
    Slot::Record& w = h.record;
    h.dropQueued(); // nobody consumes this queue now
    s.needsRebuild.store(false, std::memory_order_release);
    s.lease.store(Dirty, std::memory_order_release);
    SlotCommand c;
    c.kind = SlotCommandKind::Clone;
    c.ticket = m_nextTicket++;
    c.value = slot;
    s.cloneClaim.store(c.ticket, std::memory_order_release);
    if (!send(1 - slot, c, std::chrono::milliseconds(100)) ||
        !waitForTicket(s.syncDone, c.ticket, std::chrono::milliseconds(1000))) {
        std::uint32_t claim = c.ticket;
        if (s.cloneClaim.compare_exchange_strong(claim, 0, std::memory_order_acq_rel))
            return false; // no copy will take the slot now
        if (!waitForTicket(s.syncDone, c.ticket, std::chrono::milliseconds(1000))) { // it took it just now
            if (const int pid = s.workerPid.load(std::memory_order_relaxed); pid > 0)
                ::kill(pid, SIGKILL);
            return false;
        }
    }
    if (Status adopted = h.adoptWorker(s.workerPid.load(std::memory_order_relaxed)); !adopted)
        return false;
    w.restartAtNs = 0;
    h.noteWorkerStarted(nowNs());
    s.workerAlive.store(true, std::memory_order_release);
    m_shared->restarts.fetch_add(1, std::memory_order_relaxed);
    m_syncTicket = 0;
    m_standbyGraph = m_committed;
    m_primed.clearChanges();
    m_standbyPrimed = false;
    {
        std::lock_guard lock(m_exitMutex);
        ++w.restarts;
        if (w.lastExitIndex >= 0 && static_cast<std::size_t>(w.lastExitIndex) < m_committed.nodes().size()) {
            const PatchNode& node = m_committed.nodes()[static_cast<std::size_t>(w.lastExitIndex)];
            w.lastExitModule = node.id + " (" + node.type->id + ")";
        }
    }
    if (s.timelinePublished.load(std::memory_order_acquire) == m_timeline.id())
        s.lease.store(Clean, std::memory_order_release);
    else // the playing slot is on a timeline the controller does not know (after a failover)
        m_workerLost[static_cast<std::size_t>(slot)].store(true, std::memory_order_release);
    return true;
}

// m_mutex held. A restarted worker holds nothing: it gets what its slot held, from the
// controller's own record. The standby becomes a mirror of the committed patch again (with the
// pending edits on top, if there were any); an active slot that had no mirror to fail over to
// replays the committed patch and catches up with the output.
void SlotEngine::recoverLostWorkers() {
    for (int i = 0; i < 2; ++i) {
        if (!m_workerLost[static_cast<std::size_t>(i)].exchange(false, std::memory_order_acq_rel))
            continue;
        SlotShared& s = *m_slots[static_cast<std::size_t>(i)];
        s.needsRebuild.store(false, std::memory_order_release);
        const bool standby = i != m_controlActive;
        const bool editing = standby && !sameSound(m_pending, m_committed);
        {
            std::lock_guard lock(m_exitMutex);
            Slot::Record& w = m_handles[static_cast<std::size_t>(i)]->record;
            const PatchGraph& held = editing ? m_pending : m_committed;
            if (w.lastExitIndex >= 0 && static_cast<std::size_t>(w.lastExitIndex) < held.nodes().size()) {
                const PatchNode& node = held.nodes()[static_cast<std::size_t>(w.lastExitIndex)];
                w.lastExitModule = node.id + " (" + node.type->id + ")";
            }
        }
        if (editing) { // it held edits, not the committed patch: they are all it needs back
            m_syncTicket = 0;
            m_standbyGraph = m_pending;
            m_primed.clearChanges();
            (void)sendGraph(i, m_pending);
            continue;
        }
        if (Status r = resync(i, std::chrono::milliseconds(2000), false); !r)
            continue; // its queue stayed full: the worker died again; the next restart comes back here
        if (!standby) {
            m_standbyPrimed = false;
            SlotCommand active;
            active.kind = SlotCommandKind::MarkActive;
            send(i, active, std::chrono::milliseconds(1000));
        }
    }
}

// The supervisor: watches the workers. A worker process that dies is noticed at once (its pidfd),
// the callback fails over and a new worker is started; a stalled active worker asks the callback
// to fail over; a worker process that hangs is killed; a sick standby is rebuilt in the
// background. Never touches the audio path itself.
void SlotEngine::supervise() noexcept {
    std::array<std::uint64_t, 2> lastBlocks{};
    std::array<std::int64_t, 2> lastProgress{nowNs(), nowNs()};
    std::array<bool, 2> flagged{};
    std::array<bool, 2> killedForHang{};
    const auto deadlineNs = static_cast<std::int64_t>(m_config.stallDeadlineMs * 1e6);
    const auto hangNs = static_cast<std::int64_t>(m_config.hangKillMs * 1e6);
    // A quarter of the stall deadline (1 ms at 64-frame blocks), at least 0.5 ms: a stall is seen
    // within a quarter deadline of being due, and a supervisor that wakes more often only costs CPU
    // (each round is a few microseconds; at 2,000 rounds a second that was 1.5 % of a core).
    const std::int64_t periodNs = std::clamp<std::int64_t>(deadlineNs / 4, 500'000, 5'000'000);
    const bool processes = m_config.workers == WorkerMode::Processes;
    // A ring at target counts as progress; the target grows after none-reads, so it is read each round.
    std::size_t targetFrames = 0;
    // With processes, the supervisor sleeps until a worker process ends (its pidfd becomes readable)
    // or one period passes: in an epoll set that holds the workers' pidfds, registered once per
    // worker, not in a poll() that adds itself to each pidfd's wait queue and removes itself again
    // a thousand times a second. `watched`: what is registered (a closed pidfd leaves the set by
    // itself).
    struct Watched {
        int fd = -1;
        pid_t pid = -1;
    };
    std::array<Watched, 2> watched{};
    const int deaths = processes ? ::epoll_create1(EPOLL_CLOEXEC) : -1;
    const auto reaped = [&](int i) {
        WorkerProcess& process = m_handles[static_cast<std::size_t>(i)]->process();
        WorkerExit exit;
        if (!process.reap(&exit))
            return;
        std::string how = exit.describe();
        if (killedForHang[static_cast<std::size_t>(i)])
            how = "hung (rendered nothing for " + std::to_string(std::llround(m_config.hangKillMs)) + " ms) and was killed";
        killedForHang[static_cast<std::size_t>(i)] = false;
        m_slots[static_cast<std::size_t>(i)]->renderCycleNs.store(0, std::memory_order_release); // it ended with it
        try {
            workerDied(i, how);
        } catch (...) {
        }
    };
    while (!m_supervisorStop.load(std::memory_order_acquire)) {
        if (processes && deaths >= 0) {
            for (int i = 0; i < 2; ++i) {
                const WorkerProcess& process = m_handles[static_cast<std::size_t>(i)]->process();
                Watched& w = watched[static_cast<std::size_t>(i)];
                if (process.pidfd() == w.fd && process.pid() == w.pid)
                    continue;
                if (w.fd >= 0) // already gone when its pidfd was closed: ENOENT, nothing to do
                    ::epoll_ctl(deaths, EPOLL_CTL_DEL, w.fd, nullptr);
                w = {process.pidfd(), process.pid()};
                if (w.fd >= 0) {
                    epoll_event watch{};
                    watch.events = EPOLLIN;
                    watch.data.u32 = static_cast<std::uint32_t>(i);
                    if (::epoll_ctl(deaths, EPOLL_CTL_ADD, w.fd, &watch) != 0)
                        w = {}; // tried again next round
                }
            }
            std::array<epoll_event, 2> ended{};
            const timespec period{0, static_cast<long>(periodNs)};
            const int n = ::epoll_pwait2(deaths, ended.data(), 2, &period, nullptr);
            for (int k = 0; k < n; ++k)
                reaped(static_cast<int>(ended[static_cast<std::size_t>(k)].data.u32));
        } else if (processes) {
            // No epoll set to be had: poll the pidfds.
            std::array<pollfd, 2> fds{};
            std::array<int, 2> slotOf{};
            nfds_t n = 0;
            for (int i = 0; i < 2; ++i)
                if (const int fd = m_handles[static_cast<std::size_t>(i)]->process().pidfd(); fd >= 0) {
                    fds[n] = {fd, POLLIN, 0};
                    slotOf[n++] = i;
                }
            const timespec period{0, static_cast<long>(periodNs)};
            ::ppoll(fds.data(), n, &period, nullptr);
            for (nfds_t k = 0; k < n; ++k)
                if (fds[k].revents & POLLIN)
                    reaped(slotOf[k]);
        } else {
            std::this_thread::sleep_for(std::chrono::nanoseconds(periodNs));
        }
        const std::int64_t now = nowNs();
        targetFrames = static_cast<std::size_t>(m_shared->ringTarget.load(std::memory_order_relaxed)) *
                       static_cast<std::size_t>(m_config.blockSize);
        const int a = m_shared->active.load(std::memory_order_acquire);
        SlotShared& active = *m_slots[static_cast<std::size_t>(a)];
        const std::uint64_t blocks = active.blocksRendered.load(std::memory_order_acquire);
        if (blocks != lastBlocks[static_cast<std::size_t>(a)] || active.ring.occupancyFrames() >= targetFrames) {
            lastBlocks[static_cast<std::size_t>(a)] = blocks;
            lastProgress[static_cast<std::size_t>(a)] = now;
            flagged[static_cast<std::size_t>(a)] = false;
        } else if (!m_config.offline && !flagged[static_cast<std::size_t>(a)] &&
                   now - lastProgress[static_cast<std::size_t>(a)] > deadlineNs &&
                   active.workerAlive.load(std::memory_order_acquire)) {
            flagged[static_cast<std::size_t>(a)] = true;
            m_shared->stalls.fetch_add(1, std::memory_order_relaxed);
            m_shared->failoverRequest.store(static_cast<std::uint32_t>(1 - a + 1), std::memory_order_release);
        }
        if (processes) {
            for (int i = 0; i < 2; ++i) {
                SlotShared& s = *m_slots[static_cast<std::size_t>(i)];
                Slot::Record& w = m_handles[static_cast<std::size_t>(i)]->record;
                if (!s.workerAlive.load(std::memory_order_acquire)) {
                    m_workerDue[static_cast<std::size_t>(i)] = w.restartAtNs != 0 && now >= w.restartAtNs;
                    continue;
                }
                // A worker that plays (active or mirror) and renders nothing while its ring has
                // room is stuck in a module: kill it (the death above restarts it).
                const SlotState state = s.state.load(std::memory_order_acquire);
                const std::uint64_t progress = s.blocksRendered.load(std::memory_order_acquire);
                const bool plays = state == SlotState::Active || state == SlotState::Mirror;
                w.settled = w.settled || (plays && progress != w.blocksAtStart);
                // Or whose render cycle has run that long in any state: a slot that failed over
                // before its control thread saw the render stuck takes the re-sync that follows
                // (Syncing: not playing) and would wait for its render thread for ever.
                const std::int64_t cycle = s.renderCycleNs.load(std::memory_order_acquire);
                const bool stuck = cycle != 0 && now - cycle > hangNs;
                if (!stuck && (progress != w.lastProgress || !plays || s.ring.occupancyFrames() >= targetFrames)) {
                    w.lastProgress = progress;
                    w.lastProgressNs = now;
                } else if ((stuck || now - w.lastProgressNs > hangNs) && !killedForHang[static_cast<std::size_t>(i)]) {
                    killedForHang[static_cast<std::size_t>(i)] = true;
                    m_handles[static_cast<std::size_t>(i)]->process().kill(SIGKILL);
                }
            }
        }
        if (std::unique_lock lock(m_mutex, std::try_to_lock); lock.owns_lock() && m_running && !m_committing) {
            try {
                followFailover();
                replaceDeadWorkers();
                const int s = 1 - m_controlActive;
                SlotShared& standby = *m_slots[static_cast<std::size_t>(s)];
                const bool clean = standby.lease.load(std::memory_order_acquire) == Clean;
                // A sick standby that held the committed patch is rebuilt; one holding pending edits
                // is left to its next prime (rebuilding would lose the edits).
                if (standby.workerAlive.load(std::memory_order_acquire) &&
                    standby.needsRebuild.exchange(false, std::memory_order_acq_rel) &&
                    (clean || sameSound(m_pending, m_committed))) {
                    m_shared->rebuilds.fetch_add(1, std::memory_order_relaxed);
                    (void)resync(s, std::chrono::milliseconds(2000), false);
                }
            } catch (...) {
                // Allocation failure while rebuilding: try again on the next round.
            }
        }
    }
    if (deaths >= 0)
        ::close(deaths);
}

EngineStats SlotEngine::stats() const noexcept {
    EngineStats s;
    s.activeSlot = m_shared->active.load(std::memory_order_acquire);
    s.midiEvents = m_midiEventsOut.load(std::memory_order_relaxed);
    s.lateMidi = m_lateMidiOut.load(std::memory_order_relaxed);
    const std::uint32_t activeTimeline =
        m_slots[static_cast<std::size_t>(s.activeSlot)]->timelinePublished.load(std::memory_order_acquire);
    for (int i = 0; i < 2; ++i) {
        const SlotShared& slot = *m_slots[static_cast<std::size_t>(i)];
        SlotStats& out = s.slot[static_cast<std::size_t>(i)];
        out.state = slot.state.load(std::memory_order_acquire);
        // The audio thread's view decides who plays: a slot that lost the role in a failover still
        // says "active" until it is rebuilt; it is the failed one.
        if (i == s.activeSlot && out.state != SlotState::Active && out.state != SlotState::Failed)
            out.state = SlotState::Active;
        else if (i != s.activeSlot && out.state == SlotState::Active)
            out.state = SlotState::Failed;
        out.primeReady = slot.primeReady.load(std::memory_order_acquire);
        out.inStep = i != s.activeSlot && slot.lease.load(std::memory_order_acquire) == Clean &&
                     slot.timelinePublished.load(std::memory_order_acquire) == activeTimeline;
        out.occupancy = slot.ring.occupancyBlocks();
        out.occupancyMin = slot.occupancyMin.load(std::memory_order_relaxed);
        out.occupancyMax = slot.occupancyMax.load(std::memory_order_relaxed);
        out.noneReads = slot.noneReads.load(std::memory_order_relaxed);
        out.noneReadsWindow = slot.noneReadsWindow.load(std::memory_order_relaxed);
        out.nearMisses = slot.nearMisses.load(std::memory_order_relaxed);
        out.dspLoad = static_cast<double>(slot.dspLoad.load(std::memory_order_relaxed));
        out.queueDrops = slot.queueDrops.load(std::memory_order_relaxed);
        out.commandsApplied = slot.commandsApplied.load(std::memory_order_relaxed);
        out.editsApplied = slot.editsApplied.load(std::memory_order_relaxed);
        out.editErrors = slot.editErrors.load(std::memory_order_relaxed);
        out.blocksRendered = slot.blocksRendered.load(std::memory_order_relaxed);
        out.workerExceptions = slot.workerExceptions.load(std::memory_order_relaxed);
        out.lateLiveChanges = slot.lateLive.load(std::memory_order_relaxed);
        out.realtime = slot.realtime.load(std::memory_order_relaxed);
        out.pid = slot.workerPid.load(std::memory_order_relaxed);
        const Slot::Record& w = m_handles[static_cast<std::size_t>(i)]->record;
        std::lock_guard lock(m_exitMutex);
        out.restarts = w.restarts;
        out.lastExit = w.lastExit;
        out.lastExitModule = w.lastExitModule;
    }
    s.fading = m_shared->fading.load(std::memory_order_relaxed);
    s.fadeProgress = static_cast<double>(m_shared->fadeProgress.load(std::memory_order_relaxed));
    s.commits = m_shared->commitsDone.load(std::memory_order_relaxed);
    s.lastPrimeMs = static_cast<double>(m_shared->lastPrimeNs.load(std::memory_order_relaxed)) * 1e-6;
    s.lastCommitMs = static_cast<double>(m_shared->lastCommitNs.load(std::memory_order_relaxed)) * 1e-6;
    s.lastCommitFrame = m_shared->lastCommitFrame.load(std::memory_order_acquire);
    s.lastFadeCorrelation = static_cast<double>(m_shared->fadeCorrelation.load(std::memory_order_relaxed));
    s.failovers = m_shared->failovers.load(std::memory_order_relaxed);
    s.rollbacks = m_shared->rollbacks.load(std::memory_order_relaxed);
    s.stalls = m_shared->stalls.load(std::memory_order_relaxed);
    s.unhealthyBlocks = m_shared->unhealthy.load(std::memory_order_relaxed);
    s.mutedChunks = m_shared->muted.load(std::memory_order_relaxed);
    s.rebuilds = m_shared->rebuilds.load(std::memory_order_relaxed);
    s.workerRestarts = m_shared->restarts.load(std::memory_order_relaxed);
    s.mirrorMismatches = m_shared->mirrorMismatches.load(std::memory_order_relaxed);
    s.firstMirrorMismatchFrame = m_shared->firstMirrorMismatchFrame.load(std::memory_order_relaxed);
    s.workers = m_config.workers;
    s.framesOut = m_shared->framesOut.load(std::memory_order_relaxed);
    s.xruns = m_shared->xruns.load(std::memory_order_relaxed);
    s.sampleRate = m_config.sampleRate;
    s.blockSize = m_config.blockSize;
    s.ringTargetBlocks = m_shared->ringTarget.load(std::memory_order_relaxed);
    s.hotMirror = m_output->hotMirror();
    s.fadeLaw = m_config.fadeLaw;
    return s;
}

// ---------------------------------------------------------------------------------------------
// Audio thread.

void SlotEngine::process(float* interleaved, int frames, const float* captured) noexcept {
    m_output->process(interleaved, frames, captured);
}

std::uint64_t SlotEngine::inputFrames() const noexcept { return m_shared->inputFrames.load(std::memory_order_relaxed); }

double SlotEngine::inputLatencyFrames() const noexcept {
    if (m_config.offline) // audio_in reads the input file at the very frame it renders
        return 0.0;
    const int target = std::max(m_config.ringTargetBlocks, m_shared->ringTarget.load(std::memory_order_relaxed));
    return static_cast<double>(target) * m_config.blockSize; // grows with the ring
}

void SlotEngine::feedOfflineInput(std::uint64_t first, const float* interleaved, std::size_t frames) noexcept {
    if (!m_config.offline || frames == 0)
        return;
    m_region->data->input.write(first, interleaved, frames);
    m_shared->inputFrames.fetch_add(static_cast<std::uint64_t>(frames), std::memory_order_relaxed);
}

void SlotEngine::noteXrun() noexcept { m_output->noteXrun(); }

void SlotEngine::limitOfflineRender(std::uint64_t frames) noexcept {
    if (!m_config.offline)
        return;
    for (int i = 0; i < 2; ++i) {
        SlotShared& s = *m_slots[static_cast<std::size_t>(i)];
        // A slot the output does not read: what it has written is all it may (offline, nothing fails
        // over to it and no commit follows).
        s.renderEnd.store(m_output->reads(i) ? s.ring.consumed() + frames : s.ring.written(), std::memory_order_release);
        s.wake.wake();
    }
}

} // namespace chronus::engine
