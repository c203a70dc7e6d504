// chronus-slot-worker: one slot's render worker in a process of its own, started by the engine
// (never by hand). The engine's shared memory region arrives as descriptor 3 and its wavetables as 4
// (read-only: the oscillators of both workers read the engine's one copy); the worker maps them,
// renders into its slot's ring until asked to stop, and leaves when the engine is gone. A crash
// here costs the engine one slot, which it restarts; the music goes on from the other.

#include "engine/SlotShared.hpp"
#include "engine/SlotWorker.hpp"
#include "engine/Wavetables.hpp"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace chronus::engine;

#if defined(__SANITIZE_THREAD__)
// A worker forks copies of itself (SlotCommandKind::Clone) while ThreadSanitizer's own background
// thread runs; the copy only renders on its single thread.
extern "C" const char* __tsan_default_options() { return "die_after_fork=0"; }
#endif

int main(int argc, char** argv) {
    int slot = -1;
    long parent = -1;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string_view option = argv[i];
        if (option == "--slot")
            slot = std::atoi(argv[i + 1]);
        else if (option == "--parent")
            parent = std::atol(argv[i + 1]);
    }
    if (slot < 0 || slot > 1 || parent <= 0) {
        std::fprintf(stderr, "chronus-slot-worker: started by the Chronus engine only (--slot 0|1 --parent PID)\n");
        return 2;
    }
    // The engine that started us may already be gone: then there is nobody to work for.
    if (::getppid() != parent)
        return 0;
    ::prctl(PR_SET_NAME, slot == 0 ? "chronus-slot-0" : "chronus-slot-1");
    struct stat info {};
    if (::fstat(3, &info) != 0 || static_cast<std::size_t>(info.st_size) < sizeof(SharedRegion)) {
        std::fprintf(stderr, "chronus-slot-worker: no engine region on descriptor 3\n");
        return 2;
    }
    void* data = ::mmap(nullptr, sizeof(SharedRegion), PROT_READ | PROT_WRITE, MAP_SHARED, 3, 0);
    ::close(3);
    if (data == MAP_FAILED) {
        std::perror("chronus-slot-worker: mmap");
        return 2;
    }
    auto* region = static_cast<SharedRegion*>(data);
    if (region->magic != SharedRegion::kMagic || region->size != sizeof(SharedRegion)) {
        std::fprintf(stderr, "chronus-slot-worker: the engine's region does not match this worker (another version?)\n");
        return 2;
    }
    // The memory limit: an allocation beyond it fails in this process (the slot fails and is
    // rebuilt) instead of taking the machine.
    // (Not under AddressSanitizer or ThreadSanitizer: their shadow memory alone is terabytes of
    // address space.)
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
    if (const std::size_t limit = region->config.workerMemoryLimitBytes; limit > 0) {
        const rlimit r{limit, limit};
        ::setrlimit(RLIMIT_AS, &r);
    }
#endif
    // No core file: a dump of a worker that crashed in a module holds the machine (and the other
    // slot's real-time rendering) for as long as it takes to write, and the engine has already
    // said which module it was in.
    const rlimit noCore{0, 0};
    ::setrlimit(RLIMIT_CORE, &noCore);
    // The engine's wavetables instead of a private copy (which would double what the two workers'
    // oscillators read and make each render slower than a worker thread's); without them (an
    // engine that passed none, or another layout) this worker builds its own.
    if (struct stat tables {}; ::fstat(4, &tables) == 0) {
        Wavetables::adopt(4);
        ::close(4);
    }
    const EngineConfig config = region->config;
    // The intermediates of clones (SlotCommandKind::Clone) leave at once; nobody waits for them.
    ::signal(SIGCHLD, SIG_IGN);
    SlotWorker worker(*region, slot, config, static_cast<int>(parent));
    worker.run();
    return 0;
}
