#include "SlotWorker.hpp"

#include "Denormals.hpp"
#include "rt/RealtimeSection.hpp"

#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <thread>

namespace chronus::engine {

namespace {
std::int64_t nowNs() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}
} // namespace

SlotWorker::SlotWorker(SharedRegion& region, int slot, const EngineConfig& config, int parentPid)
    : m_region(region), m_slot(slot), m_s(&region.slot[slot]), m_engine(region.engine), m_config(config),
      m_parentPid(parentPid) {
    m_left.resize(static_cast<std::size_t>(m_config.blockSize));
    m_right.resize(static_cast<std::size_t>(m_config.blockSize));
    m_held.reserve(kHeldCapacity);
}

void SlotWorker::fail() noexcept {
    m_plan.reset();
    m_s->primeReady.store(false, std::memory_order_release);
    setState(SlotState::Failed);
    m_s->produced.wake();
}

namespace {
// Heavy, non-real-time work on a worker (compiling a patch, catching a mirror up with the output)
// runs at normal priority, so it never holds a core against the other slot's real-time rendering.
class ScopedNormalPriority {
public:
    explicit ScopedNormalPriority(bool active) noexcept {
        if (!active || pthread_getschedparam(pthread_self(), &m_policy, &m_param) != 0 || m_policy == SCHED_OTHER)
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
} // namespace

void SlotWorker::run() noexcept {
    ScopedFlushDenormals ftz;
    int appliedFor = -2; // the audio priority the worker's scheduling was last set for
    std::int64_t parentCheckedNs = nowNs();
    while (!m_s->stopRequested.load(std::memory_order_acquire)) {
        const std::uint32_t seen = m_s->wake.current();
        // A worker process whose engine is gone (killed: nobody asked it to stop) leaves too.
        if (m_parentPid > 0 && nowNs() - parentCheckedNs > 100'000'000) {
            parentCheckedNs = nowNs();
            if (::getppid() != m_parentPid)
                return;
        }
        // Real-time just below the audio thread once its priority is known (JACK's client thread
        // runs at the server's priority minus 5, a null driver at 70): rendering must not preempt
        // the callback it feeds. Normal scheduling while the callback is not real-time.
        if (const int audio = m_engine.audioPriority.load(std::memory_order_acquire);
            m_config.realtimeWorkers && audio != appliedFor) {
            appliedFor = audio;
            sched_param param{};
            if (audio > 0) {
                param.sched_priority = std::max(1, std::min(audio - 1, m_config.workerPriority));
                m_s->realtime.store(pthread_setschedparam(pthread_self(), SCHED_FIFO, &param) == 0, std::memory_order_relaxed);
            } else if (audio == 0) {
                pthread_setschedparam(pthread_self(), SCHED_OTHER, &param);
                m_s->realtime.store(false, std::memory_order_relaxed);
            }
        }
        try {
            if (m_s->dropPlan.exchange(false, std::memory_order_acq_rel))
                fail();
            SlotCommand c;
            while (m_s->commands.tryPop(c))
                apply(c);
            renderToTarget();
        } catch (...) {
            // A module (or the test hook) threw: this slot is sick. The callback fails over to the
            // mirror; the supervisor rebuilds this slot once it is standby.
            m_s->workerExceptions.fetch_add(1, std::memory_order_relaxed);
            m_s->needsRebuild.store(true, std::memory_order_release);
            fail();
        }
        if (!m_s->stopRequested.load(std::memory_order_acquire))
            m_s->wake.wait(seen, m_parentPid > 0 ? 200'000'000 : 0);
    }
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
    if (toRing)
        m_s->ring.write(m_left.data(), m_right.data(), static_cast<std::size_t>(m_config.blockSize), m_timeline, m_planFrame);
    m_planFrame += m_config.blockSize;
    m_s->planFramePublished.store(m_planFrame, std::memory_order_release);
    m_s->blocksRendered.fetch_add(1, std::memory_order_release);
}

// Worker process, between renders. A copy of this worker, made by fork(), takes over slot `target`
// (whose worker died): same patch, same plan, every module's state, the same place in the
// timeline, so it is an in-step mirror at once, however long the committed patch has played (a new
// worker would have to replay all of it). The copy's parent is a short-lived intermediate, so that
// it is handed to the engine (a child subreaper) and not left to this worker to reap.
void SlotWorker::cloneInto(int target, std::uint32_t ticket) {
    if (m_parentPid <= 0 || target == m_slot || target < 0 || target > 1 || !m_plan)
        return; // threads cannot fork; the engine sees no answer and starts a fresh worker
    const std::uint64_t until = m_s->ring.written();
    const pid_t child = ::fork();
    if (child != 0)
        return; // this worker plays on (a failed fork: the engine starts a fresh worker instead)
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
    SlotShared& source = *m_s;
    m_slot = target;
    m_s = &m_region.slot[target];
    m_parentPid = engine;
    ::prctl(PR_SET_NAME, target == 0 ? "chronus-slot-0" : "chronus-slot-1");
    m_plan->setProgressMarker(&m_s->currentModule);
    m_s->ring.takeOverFrom(source.ring, until);
    m_s->timelinePublished.store(m_timeline, std::memory_order_release);
    m_s->planFramePublished.store(m_planFrame, std::memory_order_release);
    m_s->primeReady.store(false, std::memory_order_release);
    m_s->dspLoad.store(source.dspLoad.load(std::memory_order_relaxed), std::memory_order_relaxed);
    m_s->realtime.store(source.realtime.load(std::memory_order_relaxed), std::memory_order_relaxed);
    setState(SlotState::Mirror);
    m_s->workerPid.store(::getpid(), std::memory_order_relaxed);
    m_s->syncDone.store(ticket, std::memory_order_release);
    renderToTarget();
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

void SlotWorker::renderToTarget() {
    if (!m_plan)
        return;
    std::size_t n = m_s->ring.writableBlocks(static_cast<std::size_t>(m_config.ringTargetBlocks));
    if (n == 0)
        return;
    for (; n > 0; --n)
        renderBlock(true);
    if (m_config.offline) { // the offline callback may be waiting for these
        m_s->produced.wake();
    }
}

// Worker thread, between renders (never inside the render loop): compiling allocates.
bool SlotWorker::compile(std::uint32_t newTimeline) {
    auto compiled = Plan::compile(m_graph, {m_config.sampleRate, m_config.blockSize});
    if (!compiled) {
        m_s->editErrors.fetch_add(1, std::memory_order_relaxed);
        fail();
        return false;
    }
    compiled.value()->setProgressMarker(&m_s->currentModule);
    // Let envelopes, filters and smoothing settle before anyone hears it.
    for (int i = 0; i < m_config.warmupBlocks; ++i)
        compiled.value()->process(m_left.data(), m_right.data(), m_config.blockSize);
    // ...but not the music: clocks and sequencers start at frame 0, the first sample heard, so the
    // first beat's attack is not lost in the warm-up. Mirrors compile the same way: still in step.
    compiled.value()->restartTransport();
    m_plan = std::move(compiled).value();
    m_planGraph = m_graph;
    m_timeline = newTimeline;
    m_planFrame = 0;
    m_s->timelinePublished.store(m_timeline, std::memory_order_release);
    m_s->planFramePublished.store(0, std::memory_order_release);
    // Held live changes for another timeline will never apply here.
    std::erase_if(m_held, [&](const SlotCommand& c) { return c.timeline != m_timeline; });
    for (SlotCommand& c : m_held) // history replayed from this compile on
        c.flags = static_cast<std::uint8_t>(c.flags & ~kCommandReplay);
    resolveHeld();
    m_s->ring.discardWritten();
    return true;
}

void SlotWorker::applyLive(const SlotCommand& c) noexcept {
    m_s->commandsApplied.fetch_add(1, std::memory_order_relaxed);
    const PatchNode* node = m_graph.find(c.a.view());
    if (!node)
        return;
    if (c.kind == SlotCommandKind::Gate) {
        if (m_plan)
            m_plan->gate(m_plan->moduleIndex(c.a.view()), c.value != 0.0);
        return;
    }
    const ParamIndex param = node->type->findParam(c.b.view());
    if (param < 0)
        return;
    if (!(c.flags & kCommandGraphUpdated))
        (void)m_graph.setParam(c.a.view(), c.b.view(), c.value);
    if (m_plan && m_planGraph.find(c.a.view())) {
        (void)m_planGraph.setParam(c.a.view(), c.b.view(), c.value);
        m_plan->setParam(m_plan->moduleIndex(c.a.view()), param, static_cast<float>(c.value));
    }
}

// Between renders. Where a held live change lands, found by name now so that applying it at its
// stamp does not have to.
void SlotWorker::resolve(SlotCommand& c) const noexcept {
    c.node = m_graph.indexOf(c.a.view());
    c.param = c.node >= 0 && c.kind == SlotCommandKind::SetLive
                  ? m_graph.nodes()[static_cast<std::size_t>(c.node)].type->findParam(c.b.view())
                  : -1;
    c.planNode = m_plan ? m_planGraph.indexOf(c.a.view()) : -1;
    c.planParam = c.planNode >= 0 && c.kind == SlotCommandKind::SetLive
                      ? m_planGraph.nodes()[static_cast<std::size_t>(c.planNode)].type->findParam(c.b.view())
                      : -1;
    c.planModule = m_plan ? m_plan->moduleIndex(c.a.view()) : -1;
}

void SlotWorker::resolveHeld() noexcept {
    for (SlotCommand& c : m_held)
        resolve(c);
}

// In the render loop (RT-safe): a held live change at its stamp, by the indices resolve() found.
void SlotWorker::applyResolved(const SlotCommand& c) noexcept {
    m_s->commandsApplied.fetch_add(1, std::memory_order_relaxed);
    if (c.node < 0)
        return;
    if (c.kind == SlotCommandKind::Gate) {
        if (m_plan && c.planModule >= 0)
            m_plan->gate(c.planModule, c.value != 0.0);
        return;
    }
    if (c.param < 0)
        return;
    if (!(c.flags & kCommandGraphUpdated))
        m_graph.setParamAt(static_cast<std::size_t>(c.node), static_cast<ParamIndex>(c.param), c.value);
    if (m_plan && c.planNode >= 0 && c.planParam >= 0 && c.planModule >= 0) {
        m_planGraph.setParamAt(static_cast<std::size_t>(c.planNode), static_cast<ParamIndex>(c.planParam), c.value);
        m_plan->setParam(c.planModule, static_cast<ParamIndex>(c.planParam), static_cast<float>(c.value));
    }
}

namespace {
bool sameStructure(const PatchGraph& a, const PatchGraph& b) noexcept {
    if (a.nodes().size() != b.nodes().size() || !(a.cables() == b.cables()))
        return false;
    for (std::size_t i = 0; i < a.nodes().size(); ++i)
        if (a.nodes()[i].id != b.nodes()[i].id || a.nodes()[i].type != b.nodes()[i].type)
            return false;
    return true;
}
} // namespace

// Worker, between renders. `m_graph` has the structure of `m_planGraph`; its parameter values go to
// the plan (each ramped by its module) and m_planGraph follows.
void SlotWorker::applyParamChanges() noexcept {
    for (std::size_t i = 0; i < m_graph.nodes().size(); ++i) {
        const PatchNode& want = m_graph.nodes()[i];
        const PatchNode& have = m_planGraph.nodes()[i];
        for (std::size_t p = 0; p < want.params.size(); ++p)
            if (want.params[p] != have.params[p])
                m_plan->setParam(m_plan->moduleIndex(want.id), static_cast<ParamIndex>(p), static_cast<float>(want.params[p]));
    }
    for (std::size_t i = 0; i < m_graph.nodes().size(); ++i)
        for (std::size_t p = 0; p < m_graph.nodes()[i].params.size(); ++p)
            if (m_graph.nodes()[i].params[p] != m_planGraph.nodes()[i].params[p])
                (void)m_planGraph.setParam(m_graph.nodes()[i].id, m_graph.nodes()[i].type->params[p].id, m_graph.nodes()[i].params[p]);
}

void SlotWorker::applyHeldDue() noexcept {
    if (m_held.empty())
        return;
    std::size_t kept = 0;
    for (std::size_t i = 0; i < m_held.size(); ++i) {
        const SlotCommand& c = m_held[i];
        if (c.timeline == m_timeline && c.stamp <= m_planFrame && !(c.flags & kCommandReplay)) {
            if (c.stamp < m_planFrame)
                m_s->lateLive.fetch_add(1, std::memory_order_relaxed);
            applyResolved(c);
        } else {
            m_held[kept++] = c;
        }
    }
    m_held.resize(kept); // shrinking: never allocates
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
    case SlotCommandKind::Prime: {
        m_s->commandsApplied.fetch_add(1, std::memory_order_relaxed);
        setState(SlotState::Priming);
        if (m_plan && sameStructure(m_graph, m_planGraph)) {
            // Only parameters changed: the running plan takes them, ramped, at its next block. The
            // tone goes on from its current phase, so the commit fades between two outputs that
            // differ only by the edit, not by where each oscillator happened to start.
            applyParamChanges();
            m_s->primeFrame.store(m_planFrame, std::memory_order_release);
        } else {
            ScopedNormalPriority heavy(m_s->realtime.load(std::memory_order_relaxed));
            if (!compile(c.timeline))
                return m_s->primeDone.store(c.ticket, std::memory_order_release);
        }
        renderToTarget();
        m_s->primeReady.store(true, std::memory_order_release);
        setState(SlotState::Primed);
        m_s->primeDone.store(c.ticket, std::memory_order_release);
        return;
    }
    case SlotCommandKind::Sync: {
        m_s->commandsApplied.fetch_add(1, std::memory_order_relaxed);
        setState(SlotState::Syncing);
        m_s->primeReady.store(false, std::memory_order_release);
        ScopedNormalPriority heavy(m_s->realtime.load(std::memory_order_relaxed));
        if (!compile(c.timeline))
            return m_s->syncDone.store(c.ticket, std::memory_order_release);
        // Catch up with the output, replaying the held live changes at their stamps, so the ring
        // starts where the active one is being read and the two stay identical sample for sample.
        const std::int64_t cap = static_cast<std::int64_t>(m_config.maxCatchUpSeconds * m_config.sampleRate);
        if (m_engine.outputTimeline.load(std::memory_order_acquire) == m_timeline) {
            while (m_planFrame + m_config.blockSize <= m_engine.outputPlanFrame.load(std::memory_order_acquire)) {
                if (m_planFrame > cap) { // too much history: play on, not in step
                    m_timeline |= kUnalignedTimeline;
                    m_s->timelinePublished.store(m_timeline, std::memory_order_release);
                    break;
                }
                renderBlock(false);
            }
        }
        renderToTarget();
        setState(SlotState::Mirror);
        m_s->syncDone.store(c.ticket, std::memory_order_release);
        return;
    }
    case SlotCommandKind::Clone:
        m_s->commandsApplied.fetch_add(1, std::memory_order_relaxed);
        cloneInto(static_cast<int>(c.value), c.ticket);
        return;
    case SlotCommandKind::MarkActive:
        m_s->commandsApplied.fetch_add(1, std::memory_order_relaxed);
        m_s->primeReady.store(false, std::memory_order_release);
        setState(SlotState::Active);
        return;
    case SlotCommandKind::SetLive:
    case SlotCommandKind::Gate:
        if ((c.flags & kCommandReplay) ||
            (c.timeline != 0 && (c.timeline != m_timeline || !m_plan || c.stamp > m_planFrame))) {
            if (m_held.size() < kHeldCapacity) {
                SlotCommand h = c;
                // For this plan's future: the patch takes the value now (a later edit or compile
                // must see it), the plan at the stamp. For a timeline still to come (a mirror
                // replaying history), both when it is due, after the Sync compiled its start.
                const bool future = !(c.flags & kCommandReplay) && c.timeline == m_timeline;
                h.flags = future ? kCommandGraphUpdated : (c.flags & kCommandReplay);
                if (future && c.kind == SlotCommandKind::SetLive)
                    if (const PatchNode* node = m_graph.find(c.a.view()); node && node->type->findParam(c.b.view()) >= 0)
                        (void)m_graph.setParam(c.a.view(), c.b.view(), c.value);
                resolve(h);
                m_held.push_back(h); // capacity reserved: never allocates
                return;
            }
            m_s->lateLive.fetch_add(1, std::memory_order_relaxed);
        }
        applyLive(c);
        return;
    }
    // A patch edit: the slot is being edited, no longer primed or a mirror. Modules added or
    // removed move the others in the patch's list.
    if (c.kind == SlotCommandKind::AddModule || c.kind == SlotCommandKind::RemoveModule ||
        c.kind == SlotCommandKind::Clear)
        resolveHeld();
    m_s->commandsApplied.fetch_add(1, std::memory_order_relaxed);
    m_s->editsApplied.fetch_add(1, std::memory_order_relaxed);
    if (!status)
        m_s->editErrors.fetch_add(1, std::memory_order_relaxed);
    m_s->primeReady.store(false, std::memory_order_release);
    setState(SlotState::Editing);
}


} // namespace chronus::engine
