#pragma once
// The pieces that run a slot's worker in a process of its own: the shared memory both sides map,
// and the child process itself (spawned, watched through a pidfd, reaped, killed).
//
// Threads: any control thread; one owner per object.

#include "engine/Status.hpp"

#include <cstddef>
#include <string>
#include <sys/types.h>

namespace chronus::engine {

// An anonymous shared memory region (memfd) mapped read-write; children inherit the descriptor.
class SharedMemory {
public:
    SharedMemory() = default;
    ~SharedMemory();
    SharedMemory(const SharedMemory&) = delete;
    SharedMemory& operator=(const SharedMemory&) = delete;

    Status create(std::size_t bytes, const char* name);
    void* data() const noexcept { return m_data; }
    int fd() const noexcept { return m_fd; }

private:
    int m_fd = -1;
    void* m_data = nullptr;
    std::size_t m_bytes = 0;
};

// How a worker process ended.
struct WorkerExit {
    int signal = 0;   // the signal that killed it, or 0
    int code = 0;     // its exit code when no signal killed it
    std::string describe() const; // "killed by SIGSEGV (signal 11)", "exited with code 3"
};

class WorkerProcess {
public:
    WorkerProcess() = default;
    ~WorkerProcess(); // kills and reaps a worker still running
    WorkerProcess(const WorkerProcess&) = delete;
    WorkerProcess& operator=(const WorkerProcess&) = delete;

    // The worker executable: $CHRONUS_SLOT_WORKER, else `chronus-slot-worker` beside the running
    // program, else in ../libexec/chronus/ from it (the installed layout). Empty when none exists.
    static std::string findExecutable();

    // Starts `executable` for `slot` on the region `memoryFd` (passed as descriptor 3) and this
    // process's wavetables (Wavetables::sharedFd(), as descriptor 4; built here first if needed),
    // in a process group of its own (a Ctrl+C in the terminal is the engine's to handle, not the
    // workers').
    Status spawn(const std::string& executable, int memoryFd, int slot);
    // Takes on a worker started another way (a clone made by a worker, handed to this process as
    // its child subreaper).
    Status adopt(pid_t pid);
    pid_t pid() const noexcept { return m_pid; }
    int pidfd() const noexcept { return m_pidfd; } // readable once the process has ended
    bool running() const noexcept { return m_pid > 0; }
    // Reaps the process if it has ended (or waits for it when `wait`); true when it is gone.
    bool reap(WorkerExit* exit, bool wait = false);
    void kill(int signal) noexcept;
    // Waits up to `timeoutMs` for the process to end by itself, then kills it; always reaps.
    void finish(int timeoutMs);

private:
    void release() noexcept;
    pid_t m_pid = -1;
    int m_pidfd = -1;
};

} // namespace chronus::engine
