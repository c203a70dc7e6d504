#include "WorkerProcess.hpp"

#include "engine/Wavetables.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

extern char** environ;

namespace chronus::engine {

namespace {
std::string systemError(const std::string& what, int error) { return what + ": " + std::strerror(error); }
} // namespace

SharedMemory::~SharedMemory() {
    if (m_data)
        ::munmap(m_data, m_bytes);
    if (m_fd >= 0)
        ::close(m_fd);
}

Status SharedMemory::create(std::size_t bytes, const char* name) {
    m_fd = ::memfd_create(name, MFD_CLOEXEC);
    if (m_fd < 0)
        return Status::error(ErrorCode::Worker, systemError("memfd_create", errno));
    if (::ftruncate(m_fd, static_cast<off_t>(bytes)) != 0)
        return Status::error(ErrorCode::Worker, systemError("ftruncate of the shared memory", errno));
    void* data = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, m_fd, 0);
    if (data == MAP_FAILED)
        return Status::error(ErrorCode::Worker, systemError("mmap of the shared memory", errno));
    m_data = data;
    m_bytes = bytes;
    return {};
}

std::string WorkerExit::describe() const {
    if (signal != 0) {
        const char* name = sigabbrev_np(signal);
        return "killed by " + (name ? "SIG" + std::string(name) : std::string("a signal")) + " (signal " +
               std::to_string(signal) + ")";
    }
    return "exited with code " + std::to_string(code);
}

WorkerProcess::~WorkerProcess() {
    if (m_pid > 0) {
        kill(SIGKILL);
        reap(nullptr, true);
    }
    release();
}

std::string WorkerProcess::findExecutable() {
    namespace fs = std::filesystem;
    if (const char* env = std::getenv("CHRONUS_SLOT_WORKER"); env && *env)
        return ::access(env, X_OK) == 0 ? std::string(env) : std::string();
    std::error_code error;
    const fs::path self = fs::read_symlink("/proc/self/exe", error);
    if (error)
        return {};
    for (const fs::path& candidate : {self.parent_path() / "chronus-slot-worker",
                                      self.parent_path() / ".." / "libexec" / "chronus" / "chronus-slot-worker"})
        if (::access(candidate.c_str(), X_OK) == 0)
            return candidate.lexically_normal().string();
    return {};
}

Status WorkerProcess::spawn(const std::string& executable, int memoryFd, int slot) {
    if (m_pid > 0)
        return Status::error(ErrorCode::InvalidArgument, "a worker process is already running");
    release();
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
    // The region arrives as descriptor 3 and the wavetables' shared object (read-only, sealed) as
    // 4, so both workers read one copy of them, as worker threads do (dup2 clears close-on-exec).
    // A descriptor already at 3 or 4 is moved first, so that neither dup2 closes the other's source
    // and each has something to do.
    const int tablesFd = Wavetables::sharedFd();
    int fd = memoryFd, tables = tablesFd;
    if (fd == 3 || fd == 4)
        fd = ::fcntl(memoryFd, F_DUPFD_CLOEXEC, 10);
    if (tables == 3 || tables == 4)
        tables = ::fcntl(tablesFd, F_DUPFD_CLOEXEC, 10);
    posix_spawn_file_actions_adddup2(&actions, fd, 3);
    if (tables >= 0)
        posix_spawn_file_actions_adddup2(&actions, tables, 4);
    // Its own process group (terminal signals are the engine's), no blocked signals, and the
    // signals a worker must die of at their default action whatever the engine ignores.
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (int s : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD})
        sigaddset(&defaults, s);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setsigdefault(&attributes, &defaults);
    posix_spawnattr_setpgroup(&attributes, 0);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
    const std::string slotText = std::to_string(slot);
    const std::string parentText = std::to_string(::getpid());
    std::vector<char*> argv{const_cast<char*>(executable.c_str()), const_cast<char*>("--slot"),
                            const_cast<char*>(slotText.c_str()), const_cast<char*>("--parent"),
                            const_cast<char*>(parentText.c_str()), nullptr};
    pid_t pid = -1;
    const int error = ::posix_spawn(&pid, executable.c_str(), &actions, &attributes, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (fd != memoryFd)
        ::close(fd);
    if (tables != tablesFd)
        ::close(tables);
    if (error != 0)
        return Status::error(ErrorCode::Worker, systemError("cannot start the slot worker " + executable, error));
    m_pid = pid;
    m_pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (m_pidfd < 0) {
        const int e = errno;
        kill(SIGKILL);
        reap(nullptr, true);
        return Status::error(ErrorCode::Worker, systemError("pidfd_open", e));
    }
    return {};
}

Status WorkerProcess::adopt(pid_t pid) {
    if (m_pid > 0)
        return Status::error(ErrorCode::InvalidArgument, "a worker process is already running");
    release();
    m_pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (m_pidfd < 0)
        return Status::error(ErrorCode::Worker, systemError("pidfd_open", errno));
    m_pid = pid;
    return {};
}

bool WorkerProcess::reap(WorkerExit* exit, bool wait) {
    if (m_pid <= 0)
        return true;
    int status = 0;
    pid_t got;
    do
        got = ::waitpid(m_pid, &status, wait ? 0 : WNOHANG);
    while (got < 0 && errno == EINTR);
    if (got == 0)
        return false;
    if (exit) {
        *exit = {};
        if (got == m_pid && WIFSIGNALED(status))
            exit->signal = WTERMSIG(status);
        else if (got == m_pid && WIFEXITED(status))
            exit->code = WEXITSTATUS(status);
        else
            exit->code = -1; // reaped by someone else (a SIGCHLD handler): the reason is lost
    }
    m_pid = -1;
    release();
    return true;
}

void WorkerProcess::kill(int signal) noexcept {
    if (m_pidfd >= 0)
        ::syscall(SYS_pidfd_send_signal, m_pidfd, signal, nullptr, 0);
    else if (m_pid > 0)
        ::kill(m_pid, signal);
}

void WorkerProcess::finish(int timeoutMs) {
    if (m_pid <= 0)
        return;
    if (m_pidfd >= 0) {
        pollfd p{m_pidfd, POLLIN, 0};
        while (::poll(&p, 1, timeoutMs) < 0 && errno == EINTR) {
        }
    }
    if (!reap(nullptr, false)) {
        kill(SIGKILL);
        reap(nullptr, true);
    }
}

void WorkerProcess::release() noexcept {
    if (m_pidfd >= 0)
        ::close(m_pidfd);
    m_pidfd = -1;
}

} // namespace chronus::engine
