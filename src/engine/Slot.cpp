#include "Slot.hpp"

#include "SlotWorker.hpp"

namespace chronus::engine {

Slot::Slot(SharedRegion& region, int index, const EngineConfig& config)
    : m_region(region), m_shared(region.slot[index]), m_index(index), m_config(config) {}

Slot::~Slot() {
    requestStop();
    joinWorker(1000);
}

void Slot::noteWorkerStarted(std::int64_t nowNs) noexcept {
    record.startedNs = nowNs;
    record.lastProgressNs = nowNs;
    record.settled = false;
    record.blocksAtStart = m_shared.blocksRendered.load(std::memory_order_relaxed);
    m_shared.currentModule.store(-1, std::memory_order_relaxed);
}

Status Slot::startWorker(int regionFd) {
    if (m_config.workers == WorkerMode::Threads) {
        m_worker = std::make_unique<SlotWorker>(m_region, m_index, m_config);
        SlotWorker* worker = m_worker.get();
        m_thread = std::thread([worker] { worker->run(); });
        m_shared.workerAlive.store(true, std::memory_order_release);
        return {};
    }
    const std::string executable = WorkerProcess::findExecutable();
    if (executable.empty())
        return Status::error(ErrorCode::Worker, "the slot worker program (chronus-slot-worker) was not found beside "
                                                "this program or in ../libexec/chronus/; run with --workers threads");
    m_shared.renderCycleNs.store(0, std::memory_order_release);
    if (Status started = m_process.spawn(executable, regionFd, m_index); !started)
        return started;
    m_shared.workerPid.store(m_process.pid(), std::memory_order_relaxed);
    m_shared.workerAlive.store(true, std::memory_order_release);
    return {};
}

void Slot::requestStop() noexcept {
    m_shared.stopRequested.store(true, std::memory_order_release);
    wake();
    m_shared.produced.wake();
}

void Slot::joinWorker(int timeoutMs) {
    if (m_thread.joinable())
        m_thread.join();
    m_worker.reset();
    m_process.finish(timeoutMs);
    m_shared.workerPid.store(0, std::memory_order_relaxed);
}

Status Slot::adoptWorker(int pid) { return m_process.adopt(pid); }

bool Slot::send(const SlotCommand& command, std::chrono::milliseconds timeout, bool wakeNow) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!m_shared.commands.tryPush(command)) {
        wake();
        if (std::chrono::steady_clock::now() >= deadline || !m_shared.workerAlive.load(std::memory_order_acquire)) {
            m_shared.queueDrops.fetch_add(1, std::memory_order_relaxed);
            return false;
        }
        std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    if (wakeNow)
        wake();
    return true;
}

void Slot::dropQueued() noexcept {
    SlotCommand stale;
    while (m_shared.commands.tryPop(stale)) {
    }
    m_shared.faults.store(0, std::memory_order_relaxed);
    m_shared.stopRequested.store(false, std::memory_order_release);
}

bool waitForTicket(const std::atomic<std::uint32_t>& counter, std::uint32_t value, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (counter.load(std::memory_order_acquire) != value) {
        if (std::chrono::steady_clock::now() >= deadline)
            return false;
        std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    return true;
}

} // namespace chronus::engine
