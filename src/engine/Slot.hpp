#pragma once
// One slot as the engine's control side holds it: its shared part (command queue, audio ring, flags
// and counters, in the region every worker maps), and its render worker — a thread running a
// SlotWorker, or a child process of its own (`chronus-slot-worker`) — with what the supervisor
// keeps about that worker: when it started, whether it played, its restarts and how the last one
// died.
//
// Threads: the controller (m_mutex in SlotEngine) and the engine's supervisor call the worker and
// queue methods, one at a time (they are the queue's one producer). `record` is the supervisor's;
// its restart count and exit texts are read by stats() under the engine's exit mutex.

#include "SlotEngine.hpp"
#include "SlotShared.hpp"
#include "proc/WorkerProcess.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

namespace chronus::engine {

class SlotWorker;

class Slot {
public:
    Slot(SharedRegion& region, int index, const EngineConfig& config);
    ~Slot();
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;

    int index() const noexcept { return m_index; }
    SlotShared& shared() noexcept { return m_shared; }
    const SlotShared& shared() const noexcept { return m_shared; }

    // Starts the slot's worker on an empty patch: a thread, or a process on the region's shared
    // memory `regionFd` (config.workers). Whoever starts it sends what it should hold.
    Status startWorker(int regionFd);
    // Asks the worker to stop (its stop flag, a wake-up); then joinWorker() waits for it (a process
    // at most `timeoutMs`, then it is killed).
    void requestStop() noexcept;
    void joinWorker(int timeoutMs);
    // The copy of the playing worker that took this slot over (a Clone): its process is ours now.
    Status adoptWorker(int pid);
    // The worker process, to watch (its pidfd), reap or kill. Empty with threads.
    WorkerProcess& process() noexcept { return m_process; }

    // Onto the worker's queue; while it is full, waits up to `timeout` (a worker process that died
    // takes nothing from its queue until its successor starts: no waiting then). `wake`: wake the
    // worker now, not at the callback's next block.
    bool send(const SlotCommand& command, std::chrono::milliseconds timeout, bool wake);
    void wake() noexcept { // both of the worker's threads
        m_shared.wake.wake();
        m_shared.controlWake.wake();
    }
    // The queue of a worker that died: nobody consumes it until its successor, who must not see
    // what was meant for the dead one.
    void dropQueued() noexcept;
    // The shared counters and flags a new worker starts from.
    void noteWorkerStarted(std::int64_t nowNs) noexcept;

    // The supervisor's record of the worker.
    struct Record {
        std::uint64_t restarts = 0;   // worker processes started after the first (exit mutex)
        int rapidDeaths = 0;          // deaths in a row of workers that never played (a crash loop)
        std::int64_t startedNs = 0;
        bool settled = false;         // it played (active or mirror) since it started
        std::uint64_t blocksAtStart = 0;
        std::int64_t restartAtNs = 0; // a restart waiting for its back-off; 0 none
        std::uint64_t lastProgress = 0; // hang detection
        std::int64_t lastProgressNs = 0;
        // How the last worker died (exit mutex).
        std::string lastExit, lastExitModule;
        std::int32_t lastExitIndex = -1; // the module it was in (patch order), resolved by the controller
    };
    Record record;

private:
    SharedRegion& m_region;
    SlotShared& m_shared;
    const int m_index;
    const EngineConfig& m_config;
    std::unique_ptr<SlotWorker> m_worker; // threads
    std::thread m_thread;                 // threads
    WorkerProcess m_process;              // processes
};

// Waits until `counter` reads `value` (a worker's ticket); false after `timeout`.
bool waitForTicket(const std::atomic<std::uint32_t>& counter, std::uint32_t value, std::chrono::milliseconds timeout);

} // namespace chronus::engine
