#include "SlotWorker.hpp"

#include "Denormals.hpp"
#include "rt/RealtimeSection.hpp"

#include <sched.h>
#include <time.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <exception>
#include <thread>

namespace chronus::engine {

namespace {
// A prime whose patch has at most this many modules times warm-up blocks (32 modules at the
// default 16 blocks) is built on the control thread itself, not by a builder thread.
constexpr std::size_t kBuildHereBelow = 512;

std::int64_t nowNs() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// Heavy, non-real-time work on the control thread (compiling a patch, warming it up, catching a
// mirror up with the output) runs at normal priority, so it never holds a core against real-time
// rendering (this worker's render thread or the other slot's).
class ScopedNormalPriority {
public:
    ScopedNormalPriority() noexcept {
        if (pthread_getschedparam(pthread_self(), &m_policy, &m_param) != 0 || m_policy == SCHED_OTHER)
            return;
        sched_param normal{};
        m_lowered = pthread_setschedparam(pthread_self(), SCHED_OTHER, &normal) == 0;
    }
    ~ScopedNormalPriority() {
        if (m_lowered)
            pthread_setschedparam(pthread_self(), m_policy, &m_param);
    }
    ScopedNormalPriority(const ScopedNormalPriority&) = delete;
    ScopedNormalPriority& operator=(const ScopedNormalPriority&) = delete;

private:
    int m_policy = SCHED_OTHER;
    sched_param m_param{};
    bool m_lowered = false;
};

bool sameStructure(const PatchGraph& a, const PatchGraph& b) noexcept {
    if (a.nodes().size() != b.nodes().size() || !(a.cables() == b.cables()))
        return false;
    for (std::size_t i = 0; i < a.nodes().size(); ++i)
        if (a.nodes()[i].id != b.nodes()[i].id || a.nodes()[i].type != b.nodes()[i].type)
            return false;
    return true;
}

// `blockStart`: the plan frame of the block about to be rendered (a MIDI event lands at its own
// frame inside it, and so does a MIDI-mapped parameter change; one stamped earlier, late, at the
// block's first frame).
void applyTo(Plan& plan, const LiveChange& c, std::int64_t blockStart) noexcept {
    if (c.module < 0)
        return;
    if (c.kind == LiveChangeKind::Midi) {
        MidiEvent e = c.midi;
        e.offset = c.timeline != 0 && c.stamp > blockStart ? static_cast<std::uint16_t>(c.stamp - blockStart) : 0;
        plan.midi(c.module, e);
    } else if (c.kind == LiveChangeKind::ParamAtFrame && c.param >= 0) {
        const int frame = c.timeline != 0 && c.stamp > blockStart ? static_cast<int>(c.stamp - blockStart) : 0;
        plan.setParamAt(c.module, static_cast<ParamIndex>(c.param), static_cast<float>(c.value), frame);
    } else if (c.kind == LiveChangeKind::Gate)
        plan.gate(c.module, c.value != 0.0);
    else if (c.kind == LiveChangeKind::Param && c.param >= 0)
        plan.setParam(c.module, static_cast<ParamIndex>(c.param), static_cast<float>(c.value));
}

// Real-time just below the audio thread once its priority is known (JACK's client thread runs at
// the server's priority minus 5, a null driver at 70): rendering must not preempt the callback it
// feeds. `below` more steps down for the control thread. Normal scheduling while the callback is
// not real-time; nothing changes while its priority is unknown (-1).
bool followAudioPriority(int audio, int workerPriority, int below) noexcept {
    sched_param param{};
    if (audio > 0) {
        param.sched_priority = std::max(1, std::min(audio - 1, workerPriority) - below);
        return pthread_setschedparam(pthread_self(), SCHED_FIFO, &param) == 0;
    }
    if (audio == 0)
        pthread_setschedparam(pthread_self(), SCHED_OTHER, &param);
    return false;
}
} // namespace

SlotWorker::SlotWorker(SharedRegion& region, int slot, const EngineConfig& config, int parentPid)
    : m_region(region), m_slot(slot), m_s(&region.slot[slot]), m_engine(region.engine), m_config(config),
      m_parentPid(parentPid), m_changes(std::make_unique<SpscQueue<LiveChange, kHeldCapacity>>()) {
    const auto block = static_cast<std::size_t>(m_config.blockSize);
    m_left.resize(block);
    m_right.resize(block);
    m_warmLeft.resize(block);
    m_warmRight.resize(block);
    m_held.reserve(kHeldCapacity);
    m_awaiting.reserve(kHeldCapacity);
}

SlotWorker::~SlotWorker() {
    stopRender();
    delete m_mailbox.exchange(nullptr);
    delete m_current;
    delete m_unreturned;
    Handoff* h = nullptr;
    while (m_returned.tryPop(h))
        delete h;
}

void SlotWorker::run() noexcept {
    if (!startRender()) { // no thread to be had: this slot cannot play
        m_s->workerExceptions.fetch_add(1, std::memory_order_relaxed);
        setState(SlotState::Failed);
        return;
    }
    control();
    stopRender();
}

bool SlotWorker::startRender() noexcept {
    m_renderStop.store(false, std::memory_order_relaxed);
    m_renderExited.store(false, std::memory_order_relaxed);
    m_renderStarted = pthread_create(&m_renderThread, nullptr, &SlotWorker::renderMain, this) == 0;
    return m_renderStarted;
}

void SlotWorker::stopRender() noexcept {
    if (!m_renderStarted)
        return;
    m_renderStop.store(true, std::memory_order_release);
    m_parkRequest.store(false, std::memory_order_release);
    wakeBoth();
    if (m_parentPid > 0) {
        // A worker process whose render thread hangs in a module (its engine gone, nobody left to
        // kill it) must not wait for it: the process ends, and the thread with it.
        timespec deadline{};
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += 2;
        if (pthread_timedjoin_np(m_renderThread, nullptr, &deadline) != 0)
            ::_exit(0);
    } else {
        pthread_join(m_renderThread, nullptr);
    }
    m_renderStarted = false;
}

// ---------------------------------------------------------------------------------------------
// Control thread

void SlotWorker::control() noexcept {
    ScopedFlushDenormals ftz; // warm-ups and catch-ups render: the same samples as the render thread
    int appliedFor = -2;      // the audio priority this thread's scheduling was last set for
    std::int64_t parentCheckedNs = nowNs();
    while (!m_s->stopRequested.load(std::memory_order_acquire)) {
        const std::uint32_t seen = m_s->controlWake.current();
        // A worker process whose engine is gone (killed: nobody asked it to stop) leaves too.
        if (m_parentPid > 0 && nowNs() - parentCheckedNs > 100'000'000) {
            parentCheckedNs = nowNs();
            if (::getppid() != m_parentPid)
                return;
        }
        // One step below the render thread: a live change must reach it before its stamp.
        if (const int audio = m_engine.audioPriority.load(std::memory_order_acquire);
            m_config.realtimeWorkers && audio != appliedFor) {
            appliedFor = audio;
            (void)followAudioPriority(audio, m_config.workerPriority, 1);
        }
        try {
            collectReturned();
            SlotCommand c;
            while (!renderStuck() && (takeDeferred(c) || m_s->commands.tryPop(c)))
                apply(c);
        } catch (...) {
            // The patch could not be built (out of memory in a compile, say): this slot is sick.
            // The callback fails over to the mirror; the supervisor rebuilds this slot once it is
            // standby.
            m_s->workerExceptions.fetch_add(1, std::memory_order_relaxed);
            m_s->needsRebuild.store(true, std::memory_order_release);
            try {
                failPlan(Report::None, 0);
            } catch (...) {
            }
        }
        if (!m_s->stopRequested.load(std::memory_order_acquire))
            m_s->controlWake.wait(seen, renderStuck() ? 5'000'000 : m_parentPid > 0 ? 200'000'000 : 0);
    }
}

// A render thread inside one cycle for longer than the engine's stall deadline is stuck (in a
// module, or a test's stall). The commands wait meanwhile, as they did when one thread did both:
// the slot keeps the state it was stuck in (the supervisor kills a worker that hangs while it
// plays) and is not edited, primed or synced behind the back of a render that does not move.
bool SlotWorker::renderStuck() const noexcept {
    const std::int64_t since = m_cycleStartNs.load(std::memory_order_acquire);
    return since != 0 && nowNs() - since > static_cast<std::int64_t>(m_config.stallDeadlineMs * 1e6);
}

// Frees the plans the render thread gave back; notices when it dropped the one it played.
void SlotWorker::collectReturned() noexcept {
    Handoff* h = nullptr;
    while (m_returned.tryPop(h)) {
        if (h->dropped && h->generation == m_generation)
            m_ctlPlan = nullptr;
        delete h;
    }
}

bool SlotWorker::waitForReport(std::uint32_t ticket) {
    for (;;) {
        const std::uint32_t seen = m_s->controlWake.current();
        collectReturned();
        if (m_reported.load(std::memory_order_acquire) == ticket)
            return true;
        if (m_s->stopRequested.load(std::memory_order_acquire) || m_renderExited.load(std::memory_order_acquire))
            return false;
        if (m_parentPid > 0 && ::getppid() != m_parentPid)
            return false;
        m_s->controlWake.wait(seen, 50'000'000);
    }
}

void SlotWorker::handOff(std::unique_ptr<Handoff> h, bool waitForIt) {
    const std::uint32_t ticket = h->ticket;
    if (Handoff* stale = m_mailbox.exchange(h.release(), std::memory_order_acq_rel))
        delete stale; // never adopted (only after a failure that did not wait)
    wakeBoth();
    if (waitForIt)
        (void)waitForReport(ticket);
}

// The slot has no plan any more: the render thread drops the one it plays.
void SlotWorker::failPlan(Report report, std::uint32_t ticket) {
    auto h = std::make_unique<Handoff>();
    h->generation = ++m_generation;
    h->timeline = m_ctlTimeline;
    h->report = report;
    h->ticket = ticket;
    m_ctlPlan = nullptr;
    handOff(std::move(h), report != Report::None);
}

void SlotWorker::push(const LiveChange& change, bool wakeRender) {
    while (!m_changes->tryPush(change)) { // the render thread is behind (stalled): let it catch up
        if (m_s->stopRequested.load(std::memory_order_acquire) || m_renderExited.load(std::memory_order_acquire))
            return;
        wakeBoth();
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    if (wakeRender)
        wakeBoth();
}

// The control thread or its builder (a prime): `graph` compiled and warmed up; null when it does
// not compile.
std::unique_ptr<Plan> SlotWorker::buildPlan(const PatchGraph& graph) {
    auto compiled = Plan::compile(graph, {m_config.sampleRate, m_config.blockSize});
    if (!compiled) {
        m_s->editErrors.fetch_add(1, std::memory_order_relaxed);
        return nullptr;
    }
    Plan& plan = *compiled.value();
    plan.setProgressMarker(&m_s->currentModule);
    // Let envelopes, filters and smoothing settle before anyone hears it.
    for (int i = 0; i < m_config.warmupBlocks; ++i)
        plan.process(m_warmLeft.data(), m_warmRight.data(), m_config.blockSize);
    // ...but not the music: clocks and sequencers start at frame 0, the first sample heard, so the
    // first beat's attack is not lost in the warm-up. Mirrors compile the same way: still in step.
    plan.restartTransport();
    return std::move(compiled).value();
}

// Control thread: `plan` (built from `compiledFrom`) is the one live changes are resolved against
// from now on; on its way to the render thread.
std::unique_ptr<SlotWorker::Handoff> SlotWorker::prepareHandoff(std::unique_ptr<Plan> plan, const PatchGraph& compiledFrom,
                                                                std::uint32_t newTimeline) {
    auto h = std::make_unique<Handoff>();
    h->plan = std::move(plan);
    h->generation = ++m_generation;
    h->timeline = newTimeline;
    m_ctlPlan = h->plan.get();
    m_ctlTimeline = newTimeline;
    m_planGraph = compiledFrom;
    // Live changes held for another timeline will never apply here; the history of this one is
    // replayed from this compile on.
    std::erase_if(m_awaiting, [&](const SlotCommand& c) { return c.timeline != newTimeline; });
    for (SlotCommand& c : m_awaiting)
        c.flags = static_cast<std::uint8_t>(c.flags & ~kCommandReplay);
    return h;
}

// Where a live change lands in the plan last handed to the render thread (or about to be), found
// by name here so that the render thread does not have to. The patch (and the plan's patch, if the
// change reaches the plan) take the value now. False: it reaches no module of the plan.
bool SlotWorker::resolveLive(const SlotCommand& c, LiveChange& out) {
    const PatchNode* node = m_graph.find(c.a.view());
    if (!node)
        return false;
    out = LiveChange{};
    out.generation = m_generation;
    out.timeline = c.timeline;
    out.stamp = c.stamp;
    out.value = c.value;
    if (c.kind == SlotCommandKind::Gate || c.kind == SlotCommandKind::Midi) {
        out.kind = c.kind == SlotCommandKind::Gate ? LiveChangeKind::Gate : LiveChangeKind::Midi;
        if (c.kind == SlotCommandKind::Midi)
            out.midi = MidiEvent::unpack(c.value);
        out.module = m_ctlPlan ? m_ctlPlan->moduleIndex(c.a.view()) : -1;
        return out.module >= 0;
    }
    if (node->type->findParam(c.b.view()) < 0)
        return false;
    (void)m_graph.setParam(c.a.view(), c.b.view(), c.value);
    if (!m_ctlPlan)
        return false;
    const int planNode = m_planGraph.indexOf(c.a.view());
    if (planNode < 0)
        return false;
    const ParamIndex planParam = m_planGraph.nodes()[static_cast<std::size_t>(planNode)].type->findParam(c.b.view());
    if (planParam < 0)
        return false;
    m_planGraph.setParamAt(static_cast<std::size_t>(planNode), planParam, c.value);
    out.kind = (c.flags & kCommandAtFrame) != 0 ? LiveChangeKind::ParamAtFrame : LiveChangeKind::Param;
    out.module = m_ctlPlan->moduleIndex(c.a.view());
    out.param = planParam;
    return out.module >= 0;
}

// A live change for the plan the render thread plays: it applies it at its stamp (at its next
// block with timeline 0).
void SlotWorker::applyLive(const SlotCommand& c) {
    LiveChange r;
    if (!resolveLive(c, r)) {
        m_s->commandsApplied.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    push(r);
}

// A Sync's catch-up (the plan still this thread's): the held history due at the plan's next block.
void SlotWorker::applyHeldOnControl(Handoff& h) {
    std::size_t kept = 0;
    for (std::size_t i = 0; i < m_awaiting.size(); ++i) {
        const SlotCommand& c = m_awaiting[i];
        const LiveChangeKind kind = c.kind == SlotCommandKind::Midi      ? LiveChangeKind::Midi
                                    : (c.flags & kCommandAtFrame) != 0 ? LiveChangeKind::ParamAtFrame
                                                                       : LiveChangeKind::Param;
        if (c.timeline == h.timeline && dueInBlock(kind, c.stamp, h.planFrame, m_config.blockSize)) {
            if (c.stamp < h.planFrame)
                m_s->lateLive.fetch_add(1, std::memory_order_relaxed);
            m_s->commandsApplied.fetch_add(1, std::memory_order_relaxed);
            LiveChange r;
            if (resolveLive(c, r))
                applyTo(*h.plan, r, h.planFrame);
        } else {
            m_awaiting[kept++] = c;
        }
    }
    m_awaiting.resize(kept);
}

void SlotWorker::prime(const SlotCommand& c) {
    m_s->commandsApplied.fetch_add(1, std::memory_order_relaxed);
    std::vector<SlotCommand> midiSnapshot; // for a plan compiled afresh only
    midiSnapshot.swap(m_midiSnapshot);
    setState(SlotState::Priming);
    collectReturned();
    // (A plan the audio thread found bad is dropped by the render thread at its next cycle: compile.)
    if (m_ctlPlan && !m_s->dropPlan.load(std::memory_order_acquire) && sameStructure(m_graph, m_planGraph)) {
        // Only parameters changed: the running plan takes them, ramped, at its next block. The
        // tone goes on from its current phase, so the commit fades between two outputs that
        // differ only by the edit, not by where each oscillator happened to start.
        for (std::size_t i = 0; i < m_graph.nodes().size(); ++i) {
            const PatchNode& want = m_graph.nodes()[i];
            const PatchNode& have = m_planGraph.nodes()[i];
            for (std::size_t p = 0; p < want.params.size(); ++p) {
                if (want.params[p] == have.params[p])
                    continue;
                LiveChange r;
                r.kind = LiveChangeKind::Param;
                r.generation = m_generation;
                r.value = want.params[p];
                r.module = m_ctlPlan->moduleIndex(want.id);
                r.param = static_cast<std::int32_t>(p);
                push(r, false); // one wake for them all, with the mark
                m_planGraph.setParamAt(i, static_cast<ParamIndex>(p), want.params[p]);
            }
        }
        LiveChange mark; // the render thread reports the prime at the block these land on
        mark.kind = LiveChangeKind::PrimeMark;
        mark.generation = m_generation;
        mark.ticket = c.ticket;
        push(mark);
        (void)waitForReport(c.ticket);
        return;
    }
    // A new structure: compiled and warmed up by a builder thread while this one goes on passing
    // live changes to the render thread, which goes on playing the current plan meanwhile. Any
    // other command waits for the prime, in order. A small patch is built here: starting a thread
    // costs about what its compile and warm-up do, and the live changes wait less than a block.
    const PatchGraph snapshot = m_graph;
    std::unique_ptr<Plan> built;
    std::exception_ptr error;
    std::vector<SlotCommand> during;
    if (snapshot.nodes().size() * static_cast<std::size_t>(std::max(1, m_config.warmupBlocks)) <= kBuildHereBelow) {
        ScopedNormalPriority heavy;
        built = buildPlan(snapshot);
    } else {
        std::atomic<bool> done{false};
        std::thread builder([&] {
            ScopedFlushDenormals ftz;
            sched_param normal{}; // never real-time, whatever this thread was
            pthread_setschedparam(pthread_self(), SCHED_OTHER, &normal);
            try {
                built = buildPlan(snapshot);
            } catch (...) {
                error = std::current_exception();
            }
            done.store(true, std::memory_order_release);
            wakeBoth();
        });
        while (!done.load(std::memory_order_acquire)) {
            const std::uint32_t seen = m_s->controlWake.current();
            if (done.load(std::memory_order_acquire))
                break;
            collectReturned();
            SlotCommand next;
            while (!m_deferred && !renderStuck() && m_s->commands.tryPop(next)) {
                if (next.kind == SlotCommandKind::SetLive || next.kind == SlotCommandKind::Gate ||
                    next.kind == SlotCommandKind::Midi) {
                    apply(next);
                    during.push_back(next);
                } else {
                    m_deferred = next;
                }
            }
            m_s->controlWake.wait(seen, 50'000'000);
        }
        builder.join();
    }
    if (error)
        std::rethrow_exception(error);
    if (!built)
        return failPlan(Report::Prime, c.ticket);
    std::unique_ptr<Handoff> h = prepareHandoff(std::move(built), snapshot, c.timeline);
    // The live changes that came meanwhile for the slot's next block reach the new plan too, as
    // they would have after the prime.
    for (const SlotCommand& d : during) {
        LiveChange r;
        if (d.timeline == 0 && !(d.flags & kCommandReplay) && resolveLive(d, r))
            applyTo(*h->plan, r, h->planFrame);
    }
    // The keys held when the prime was asked for: the fresh midi_in holds them too, from its first
    // frame (the engine records them there on this timeline, so a mirror replays them).
    for (SlotCommand s : midiSnapshot) {
        s.timeline = 0;
        LiveChange r;
        if (resolveLive(s, r))
            applyTo(*h->plan, r, h->planFrame);
    }
    handOffWithAwaiting(std::move(h), Report::Prime, c.ticket, true); // stamped for the primed timeline
}

void SlotWorker::sync(const SlotCommand& c) {
    m_s->commandsApplied.fetch_add(1, std::memory_order_relaxed);
    setState(SlotState::Syncing);
    m_s->primeReady.store(false, std::memory_order_release);
    std::unique_ptr<Handoff> h;
    {
        ScopedNormalPriority heavy;
        if (std::unique_ptr<Plan> built = buildPlan(m_graph))
            h = prepareHandoff(std::move(built), m_graph, c.timeline);
        // Catch up with the output, replaying the held live changes at their stamps, so the ring
        // starts where the active one is being read and the two stay identical sample for sample.
        // Here, before the render thread gets the plan: it goes on playing the old one meanwhile.
        const std::int64_t cap = static_cast<std::int64_t>(m_config.maxCatchUpSeconds * m_config.sampleRate);
        if (h && m_engine.outputTimeline.load(std::memory_order_acquire) == h->timeline) {
            while (h->planFrame + m_config.blockSize <= m_engine.outputPlanFrame.load(std::memory_order_acquire)) {
                if (h->planFrame > cap) { // too much history: play on, not in step
                    h->timeline |= kUnalignedTimeline;
                    m_ctlTimeline = h->timeline;
                    break;
                }
                applyHeldOnControl(*h);
                h->plan->process(m_warmLeft.data(), m_warmRight.data(), m_config.blockSize);
                h->planFrame += m_config.blockSize;
            }
        }
    }
    if (!h)
        return failPlan(Report::Sync, c.ticket);
    // The rest of the history, for the render thread to apply at its stamps (none when the plan
    // plays out of step: its timeline is not the one they were stamped on).
    handOffWithAwaiting(std::move(h), Report::Sync, c.ticket, false);
}

// The live changes still awaiting their plan (all of them, or only those stamped on the plan's
// timeline) travel with it, resolved, for the render thread to apply at their stamps; then the plan
// is handed over and its report awaited.
void SlotWorker::handOffWithAwaiting(std::unique_ptr<Handoff> h, Report report, std::uint32_t ticket,
                                     bool anyTimeline) {
    for (const SlotCommand& a : m_awaiting) {
        if (!anyTimeline && a.timeline != h->timeline)
            continue;
        LiveChange r;
        if (resolveLive(a, r))
            h->held.push_back(r);
        else
            m_s->commandsApplied.fetch_add(1, std::memory_order_relaxed);
    }
    m_awaiting.clear();
    h->report = report;
    h->ticket = ticket;
    handOff(std::move(h), true);
}

void SlotWorker::apply(const SlotCommand& c) {
    Status status;
    switch (c.kind) {
    case SlotCommandKind::AddModule: status = m_graph.addModule(c.a.view(), c.b.view()); break;
    case SlotCommandKind::RemoveModule: status = m_graph.removeModule(c.a.view()); break;
    case SlotCommandKind::Connect: status = m_graph.connect(c.a.view(), c.b.view()); break;
    case SlotCommandKind::Disconnect: status = m_graph.disconnect(c.a.view(), c.b.view()); break;
    case SlotCommandKind::SetPending: status = m_graph.setParam(c.a.view(), c.b.view(), c.value).status(); break;
    case SlotCommandKind::Clear: m_graph.clear(); break;
    case SlotCommandKind::Prime: return prime(c);
    case SlotCommandKind::Sync: return sync(c);
    case SlotCommandKind::Clone:
        m_s->commandsApplied.fetch_add(1, std::memory_order_relaxed);
        cloneInto(static_cast<int>(c.value), c.ticket);
        return;
    case SlotCommandKind::MarkActive:
        m_s->commandsApplied.fetch_add(1, std::memory_order_relaxed);
        m_s->primeReady.store(false, std::memory_order_release);
        setState(SlotState::Active);
        return;
    case SlotCommandKind::Midi:
        if (c.flags & kCommandMidiSnapshot) {
            m_s->commandsApplied.fetch_add(1, std::memory_order_relaxed);
            m_midiSnapshot.push_back(c);
            return;
        }
        [[fallthrough]];
    case SlotCommandKind::SetLive:
    case SlotCommandKind::Gate:
        collectReturned();
        if ((c.flags & kCommandReplay) || (c.timeline != 0 && (c.timeline != m_ctlTimeline || !m_ctlPlan))) {
            // For a timeline still to come (a mirror replaying history): held until the Sync
            // compiled its start; the patch takes the value when it is due.
            if (m_awaiting.size() < kHeldCapacity) {
                SlotCommand h = c;
                h.flags = static_cast<std::uint8_t>(c.flags & kCommandReplay);
                m_awaiting.push_back(h); // capacity reserved
                return;
            }
            m_s->lateLive.fetch_add(1, std::memory_order_relaxed);
            SlotCommand now = c;
            now.timeline = 0;
            return applyLive(now);
        }
        return applyLive(c);
    }
    // A patch edit: the slot is being edited, no longer primed or a mirror.
    m_s->commandsApplied.fetch_add(1, std::memory_order_relaxed);
    m_s->editsApplied.fetch_add(1, std::memory_order_relaxed);
    if (!status)
        m_s->editErrors.fetch_add(1, std::memory_order_relaxed);
    m_s->primeReady.store(false, std::memory_order_release);
    setState(SlotState::Editing);
}

// Worker process, between commands. A copy of this worker, made by fork(), takes over slot
// `target` (whose worker died): same patch, same plan, every module's state, the same place in the
// timeline, so it is an in-step mirror at once, however long the committed patch has played (a new
// worker would have to replay all of it). The copy's parent is a short-lived intermediate, so that
// it is handed to the engine (a child subreaper) and not left to this worker to reap. Only the
// calling thread survives a fork: the render thread is parked between blocks first (so the copy
// gets its plan whole), and the copy starts a render thread of its own.
void SlotWorker::cloneInto(int target, std::uint32_t ticket) {
    if (m_parentPid <= 0 || target == m_slot || target < 0 || target > 1 || !m_ctlPlan)
        return; // threads cannot fork; the engine sees no answer and starts a fresh worker
    m_parkRequest.store(true, std::memory_order_release);
    wakeBoth();
    while (!m_parked.load(std::memory_order_acquire)) {
        const std::uint32_t seen = m_s->controlWake.current();
        if (m_parked.load(std::memory_order_acquire))
            break;
        if (m_renderExited.load(std::memory_order_acquire) || m_s->stopRequested.load(std::memory_order_acquire)) {
            m_parkRequest.store(false, std::memory_order_release);
            return;
        }
        m_s->controlWake.wait(seen, 10'000'000);
    }
    const auto unpark = [this] {
        m_parkRequest.store(false, std::memory_order_release);
        wakeBoth();
    };
    if (!m_plan) // it dropped its plan meanwhile: nothing to copy
        return unpark();
    const std::uint64_t until = m_s->ring.written();
    const pid_t child = ::fork();
    if (child != 0)
        return unpark(); // this worker plays on (a failed fork: the engine starts a fresh worker instead)
    // The intermediate: it leaves at once (this worker ignores SIGCHLD: nobody waits for it), and
    // its child is handed to the engine.
    if (::fork() != 0)
        ::_exit(0);
    const int engine = m_engine.enginePid.load(std::memory_order_relaxed);
    while (::getppid() != engine) { // until the handover is done, so that the engine can reap us
        if (::getppid() == 1)
            ::_exit(0); // the engine is gone
        ::sched_yield();
    }
    std::uint32_t claim = ticket;
    if (!m_region.slot[target].cloneClaim.compare_exchange_strong(claim, 0, std::memory_order_acq_rel))
        ::_exit(0); // the engine gave up waiting and started a fresh worker there
    // The render thread's state (parked between blocks) is this copy's to hand to a new one.
    SlotShared& source = *m_s;
    m_slot = target;
    m_s = &m_region.slot[target];
    m_parentPid = engine;
    ::prctl(PR_SET_NAME, target == 0 ? "chronus-slot-0" : "chronus-slot-1");
    m_plan->setProgressMarker(&m_s->currentModule);
    {
        // The MIDI of the frames copied first: the callback drains a ring's events as it consumes
        // its frames, so they must be there before the frames are.
        const std::uint64_t begin = AudioRing::takeOverStart(source.ring);
        if (source.ring.blockFrames() == m_s->ring.blockFrames())
            m_s->midiOut.copyFrom(source.midiOut, begin, until, m_s->ring.written());
        m_s->ring.takeOverFrom(source.ring, until, begin);
    }
    m_s->readsInput.store(source.readsInput.load(std::memory_order_acquire), std::memory_order_release);
    m_s->timelinePublished.store(m_timeline, std::memory_order_release);
    m_s->planFramePublished.store(m_planFrame, std::memory_order_release);
    m_s->primeReady.store(false, std::memory_order_release);
    m_s->dspLoad.store(source.dspLoad.load(std::memory_order_relaxed), std::memory_order_relaxed);
    m_s->realtime.store(source.realtime.load(std::memory_order_relaxed), std::memory_order_relaxed);
    setState(SlotState::Mirror);
    m_s->workerPid.store(::getpid(), std::memory_order_relaxed);
    m_parkRequest.store(false, std::memory_order_relaxed);
    m_parked.store(false, std::memory_order_relaxed);
    m_s->syncDone.store(ticket, std::memory_order_release);
    if (!startRender()) // the thread that was parked does not exist in this copy
        ::_exit(1);
    wakeBoth();
}

// ---------------------------------------------------------------------------------------------
// Render thread

void* SlotWorker::renderMain(void* self) noexcept {
    static_cast<SlotWorker*>(self)->render();
    return nullptr;
}

void SlotWorker::render() noexcept {
    ScopedFlushDenormals ftz;
    int appliedFor = -2; // the audio priority this thread's scheduling was last set for
    while (!m_renderStop.load(std::memory_order_acquire) && !m_s->stopRequested.load(std::memory_order_acquire)) {
        const std::uint32_t seen = m_s->wake.current();
        if (m_parkRequest.load(std::memory_order_acquire)) { // the control thread forks
            m_parked.store(true, std::memory_order_release);
            wakeBoth();
            while (m_parkRequest.load(std::memory_order_acquire) && !m_renderStop.load(std::memory_order_acquire)) {
                const std::uint32_t parkedSeen = m_s->wake.current();
                if (!m_parkRequest.load(std::memory_order_acquire))
                    break;
                m_s->wake.wait(parkedSeen, 50'000'000);
            }
            m_parked.store(false, std::memory_order_release);
            continue;
        }
        if (const int audio = m_engine.audioPriority.load(std::memory_order_acquire);
            m_config.realtimeWorkers && audio != appliedFor) {
            appliedFor = audio;
            const bool fifo = followAudioPriority(audio, m_config.workerPriority, 0);
            if (audio >= 0)
                m_s->realtime.store(fifo, std::memory_order_relaxed);
        }
        const std::int64_t cycleStart = nowNs();
        m_cycleStartNs.store(cycleStart, std::memory_order_release);
        m_s->renderCycleNs.store(cycleStart, std::memory_order_release);
        try {
            renderCycle();
        } catch (...) {
            // A module (or the test hook) threw: this slot is sick. The callback fails over to the
            // mirror; the supervisor rebuilds this slot once it is standby.
            m_s->workerExceptions.fetch_add(1, std::memory_order_relaxed);
            m_s->needsRebuild.store(true, std::memory_order_release);
            failRender();
            finishReport(); // a prime or sync waiting for this block ends, failed
        }
        m_cycleStartNs.store(0, std::memory_order_release);
        m_s->renderCycleNs.store(0, std::memory_order_release);
        // No time limit, in a process too: whatever ends this thread wakes it (the control thread
        // watches for an engine that is gone, then stops it), and a timed wait arms a kernel timer
        // every block.
        if (!m_renderStop.load(std::memory_order_acquire) && !m_s->stopRequested.load(std::memory_order_acquire))
            m_s->wake.wait(seen);
    }
    m_renderExited.store(true, std::memory_order_release);
    wakeBoth();
}

void SlotWorker::renderCycle() {
    rt::RealtimeSection section;
    if (m_unreturned && m_returned.tryPush(m_unreturned))
        m_unreturned = nullptr;
    if (m_s->dropPlan.exchange(false, std::memory_order_acq_rel))
        failRender();
    adopt();
    drainChanges();
    renderToTarget();
    finishReport();
}

// Gives a plan back to the control thread, which frees it. The queue cannot really fill (the
// control thread collects before every handoff and waits for each to be adopted, so at most a
// couple are ever on their way back); if it does, the plan waits for the next cycle.
void SlotWorker::retire(Handoff* h) noexcept {
    if (!h)
        return;
    if (m_unreturned && m_returned.tryPush(m_unreturned))
        m_unreturned = nullptr;
    if (!m_returned.tryPush(h))
        m_unreturned = h; // (empty: at most two are ever on their way)
    wakeBoth();
}

void SlotWorker::failRender() noexcept {
    if (m_current)
        m_current->dropped = true;
    retire(m_current);
    m_current = nullptr;
    m_plan = nullptr;
    m_s->readsInput.store(false, std::memory_order_release);
    m_s->primeReady.store(false, std::memory_order_release);
    setState(SlotState::Failed);
    m_s->produced.wake();
}

// A plan from the control thread, if one came: it replaces the one played (which goes back), with
// its own held history; the live changes held for the old one never apply (its indices are not the
// new plan's; the control thread sent again what still applies).
void SlotWorker::adopt() {
    Handoff* next = m_mailbox.exchange(nullptr, std::memory_order_acq_rel);
    if (!next)
        return;
    retire(m_current);
    m_current = next;
    m_plan = next->plan.get();
    m_playing = next->generation;
    m_held.clear(); // keeps its capacity
    for (const LiveChange& c : next->held)
        if (m_held.size() < kHeldCapacity)
            m_held.push_back(c); // capacity reserved: never allocates
    m_pendingReport = next->report;
    m_pendingTicket = next->ticket;
    if (!m_plan) {
        m_s->readsInput.store(false, std::memory_order_release);
        m_s->primeReady.store(false, std::memory_order_release);
        setState(SlotState::Failed);
        m_s->produced.wake();
        return;
    }
    m_timeline = next->timeline;
    m_planFrame = next->planFrame;
    m_s->timelinePublished.store(m_timeline, std::memory_order_release);
    m_s->planFramePublished.store(m_planFrame, std::memory_order_release);
    m_s->ring.discardWritten();
    bindInput();
    // A mirror: the output moved on while the handoff travelled. The last steps of the catch-up.
    if (next->report == Report::Sync && m_engine.outputTimeline.load(std::memory_order_acquire) == m_timeline)
        while (m_planFrame + m_config.blockSize <= m_engine.outputPlanFrame.load(std::memory_order_acquire))
            renderBlock(false);
}

void SlotWorker::drainChanges() noexcept {
    LiveChange c;
    while (m_changes->tryPop(c)) {
        if (c.kind == LiveChangeKind::PrimeMark) { // the changes before it land on the next block
            m_s->primeFrame.store(m_planFrame, std::memory_order_release);
            m_pendingReport = Report::Prime;
            m_pendingTicket = c.ticket;
            continue;
        }
        if (c.generation != m_playing || !m_plan) { // resolved for a plan this thread no longer plays
            m_s->commandsApplied.fetch_add(1, std::memory_order_relaxed);
            continue;
        }
        if (c.timeline == 0 || (c.timeline == m_timeline && dueInBlock(c.kind, c.stamp, m_planFrame, m_config.blockSize))) {
            if (c.timeline != 0 && c.stamp < m_planFrame) // it came after its block was rendered
                m_s->lateLive.fetch_add(1, std::memory_order_relaxed);
            // The changes held for this block were sent before this one: they land first, as they
            // do in the other slot (and in a mirror's replay), where this one may have been held
            // with them. Applied after them, a knob turned twice in one block kept its older value
            // in this slot only, the slots drifted apart by a fraction of a sample, and a failover
            // to the "in-step" mirror was no longer sample-exact.
            applyHeldDue();
            applyResolved(c);
        } else if (c.timeline == m_timeline) {
            if (m_held.size() < kHeldCapacity) {
                m_held.push_back(c); // capacity reserved: never allocates
            } else {
                m_s->lateLive.fetch_add(1, std::memory_order_relaxed);
                applyResolved(c);
            }
        }
    }
}

void SlotWorker::applyResolved(const LiveChange& c) noexcept {
    m_s->commandsApplied.fetch_add(1, std::memory_order_relaxed);
    if (m_plan)
        applyTo(*m_plan, c, m_planFrame);
}

void SlotWorker::applyHeldDue() noexcept {
    if (m_held.empty())
        return;
    std::size_t kept = 0;
    for (std::size_t i = 0; i < m_held.size(); ++i) {
        const LiveChange& c = m_held[i];
        if (c.timeline == m_timeline && dueInBlock(c.kind, c.stamp, m_planFrame, m_config.blockSize)) {
            if (c.stamp < m_planFrame)
                m_s->lateLive.fetch_add(1, std::memory_order_relaxed);
            applyResolved(c);
        } else {
            m_held[kept++] = c;
        }
    }
    m_held.resize(kept); // shrinking: never allocates
}

void SlotWorker::finishReport() noexcept {
    const Report report = m_pendingReport;
    if (report == Report::None)
        return;
    m_pendingReport = Report::None;
    if (report == Report::Prime) {
        if (m_plan) {
            m_s->primeReady.store(true, std::memory_order_release);
            setState(SlotState::Primed);
        }
        m_s->primeDone.store(m_pendingTicket, std::memory_order_release);
    } else {
        if (m_plan)
            setState(SlotState::Mirror);
        m_s->syncDone.store(m_pendingTicket, std::memory_order_release);
    }
    m_reported.store(m_pendingTicket, std::memory_order_release);
    wakeBoth(); // the control thread waits for this
}

void SlotWorker::renderBlock(bool toRing) {
    rt::RealtimeSection section;
    applyHeldDue();
    if (const std::uint8_t f = m_s->faults.exchange(0, std::memory_order_acq_rel)) {
        if (f & (1u << static_cast<int>(Fault::Stall)))
            std::this_thread::sleep_for(std::chrono::nanoseconds(m_s->stallNs.load(std::memory_order_relaxed)));
        if (f & (1u << static_cast<int>(Fault::Exception)))
            throw std::runtime_error("injected worker exception");
        injectedCrash(f);
        if (f & (1u << static_cast<int>(Fault::NaN))) {
            m_plan->process(m_left.data(), m_right.data(), m_config.blockSize);
            m_left[0] = m_right[0] = std::numeric_limits<float>::quiet_NaN();
            goto rendered;
        }
    }
    aimInput(toRing);
    {
        const std::int64_t t0 = toRing ? nowNs() : 0;
        m_plan->process(m_left.data(), m_right.data(), m_config.blockSize);
        if (toRing) {
            const double load = static_cast<double>(nowNs() - t0) * 1e-9 * m_config.sampleRate / m_config.blockSize;
            const float previous = m_s->dspLoad.load(std::memory_order_relaxed);
            m_s->dspLoad.store(previous + 0.05f * (static_cast<float>(load) - previous), std::memory_order_relaxed);
        }
    }
rendered:
    if (toRing) {
        // The block's MIDI before its audio: the callback hands on a frame's events as it plays it.
        const std::uint64_t at = m_s->ring.written();
        const MidiOutBlock& midi = m_plan->midiOut();
        for (int i = 0; i < midi.count; ++i) {
            const MidiEvent& e = midi.events[static_cast<std::size_t>(i)];
            m_s->midiOut.push(at + e.offset, e);
        }
    }
    if (toRing)
        m_s->ring.write(m_left.data(), m_right.data(), static_cast<std::size_t>(m_config.blockSize), m_timeline, m_planFrame);
    m_planFrame += m_config.blockSize;
    m_s->planFramePublished.store(m_planFrame, std::memory_order_release);
    m_s->blocksRendered.fetch_add(1, std::memory_order_release);
}

// The faults that end a worker process (test hooks: a module that crashes, aborts, hangs or eats
// memory). The crash is reported as if the module the test named was processing, since that is
// where a real one would be.
void SlotWorker::injectedCrash(std::uint8_t f) {
    const auto has = [f](Fault fault) { return (f & (1u << static_cast<int>(fault))) != 0; };
    if (!(has(Fault::Crash) || has(Fault::Abort) || has(Fault::Hang) || has(Fault::Exhaust)))
        return;
    m_s->currentModule.store(m_s->faultModule.load(std::memory_order_relaxed), std::memory_order_relaxed);
    if (has(Fault::Crash))
        std::raise(SIGSEGV);
    if (has(Fault::Abort))
        std::abort();
    if (has(Fault::Hang))
        for (volatile bool forever = true; forever;) {
        }
    if (has(Fault::Exhaust)) { // until the allocation fails (a memory limit) and throws
        std::vector<std::unique_ptr<char[]>> hoard;
        for (;;) {
            hoard.push_back(std::make_unique<char[]>(std::size_t{64} << 20));
            for (std::size_t i = 0; i < (std::size_t{64} << 20); i += 4096)
                hoard.back()[i] = 1;
        }
    }
}

// Audio input. The plan's audio_in modules read through this worker's cursor; the slot says whether
// it has any, so that the callback reads or drains its ring every chunk (see OutputStage).
void SlotWorker::bindInput() noexcept {
    bool any = false;
    m_inputCursor.ring = &m_region.input;
    m_inputCursor.live = false;
    for (int i = 0; i < m_plan->moduleCount(); ++i) {
        Module& m = m_plan->module(i);
        if (&m.type() == &AudioIn::kType) {
            static_cast<AudioIn&>(m).bind(&m_inputCursor);
            any = true;
        }
    }
    m_s->readsInput.store(any, std::memory_order_release);
}

// Before each block: the capture frame its first sample reads. A block for the ring is heard at
// output frame F = where the ring plays (PlayPosition) + how far this block is past that point;
// it reads the capture from F - L, L the ring's target depth now: every block the ring can hold reads
// frames already captured, and both slots read the same frame for the same output sample. A
// block that is not for the ring (a mirror catching up with the past) reads silence. Offline, the
// input is fed by plan frame (SlotEngine::feedOfflineInput): a block reads the frames it renders.
void SlotWorker::aimInput(bool toRing) noexcept {
    if (m_config.offline) { // the input is a file, fed by the frame of the rendering: no latency
        m_inputCursor.frame = m_planFrame;
        ++m_inputCursor.block;
        m_inputCursor.live = toRing;
        return;
    }
    std::uint64_t outputFrame = 0, position = 0;
    if (!toRing || !m_s->play.read(outputFrame, position)) {
        m_inputCursor.live = false;
        return;
    }
    // A discard not yet applied moves the read position there before anything more is heard.
    position = std::max(position, m_s->ring.discardedBefore());
    const auto heardAt = static_cast<std::int64_t>(outputFrame) + static_cast<std::int64_t>(m_s->ring.written()) -
                         static_cast<std::int64_t>(position);
    // The target as it is now: after a none-read grew the ring, blocks sit deeper in it, and the
    // input latency grows with it (once, at that glitch) so that no block reads ahead of the capture.
    const int target = std::max(m_config.ringTargetBlocks, m_engine.ringTarget.load(std::memory_order_relaxed));
    m_inputCursor.frame = heardAt - static_cast<std::int64_t>(target) * m_config.blockSize;
    ++m_inputCursor.block;
    m_inputCursor.live = true;
}

void SlotWorker::renderToTarget() {
    if (!m_plan)
        return;
    // The target grows after none-reads (the audio thread writes it); the configured one is its floor.
    const int target = std::max(m_config.ringTargetBlocks, m_engine.ringTarget.load(std::memory_order_relaxed));
    std::size_t n = m_s->ring.writableBlocks(static_cast<std::size_t>(target));
    if (m_config.offline) { // an offline render that needs no more (SlotEngine::limitOfflineRender)
        const std::uint64_t end = m_s->renderEnd.load(std::memory_order_acquire);
        const std::uint64_t written = m_s->ring.written();
        const auto block = static_cast<std::uint64_t>(m_config.blockSize);
        const std::uint64_t left = written >= end ? 0 : end - written; // no limit: end is the largest value
        n = std::min<std::uint64_t>(n, left / block + (left % block != 0 ? 1 : 0));
    }
    if (n == 0)
        return;
    for (; n > 0; --n) {
        // Offline, the limit can come while this loop runs (the commit's first chunk sets it): a
        // slot that planned to fill its ring stops at once instead of rendering blocks nobody reads.
        if (m_config.offline && m_s->ring.written() >= m_s->renderEnd.load(std::memory_order_acquire))
            break;
        renderBlock(true);
    }
    if (m_config.offline) { // the offline callback may be waiting for these
        m_s->produced.wake();
    }
}

} // namespace chronus::engine
