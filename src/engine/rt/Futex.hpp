#pragma once
// Wait and wake on a 32-bit atomic that may live in memory shared between processes (a slot's
// worker can run in a child process that maps the same pages). std::atomic::wait cannot serve:
// libstdc++ waits on a private futex, which a wake from another process never reaches.
//
// wake() is RT-safe (one FUTEX_WAKE system call, never blocks) and costs nothing when nobody
// waits: the waiter announces itself in `waiters` first, so a waker with nobody to wake skips the
// system call (the audio callback wakes both workers after every block).

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <ctime>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace chronus::engine::rt {

static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t) &&
              std::atomic<std::uint32_t>::is_always_lock_free);

struct SharedWake {
    std::atomic<std::uint32_t> word{0};
    std::atomic<std::uint32_t> waiters{0};

    // Anyone. RT-safe. Bumps the word and wakes every waiter.
    void wake() noexcept {
        word.fetch_add(1, std::memory_order_seq_cst);
        if (waiters.load(std::memory_order_seq_cst) != 0)
            ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE, INT32_MAX, nullptr, nullptr, 0);
    }
    std::uint32_t current() const noexcept { return word.load(std::memory_order_acquire); }
    // Waits while the word still equals `seen` (what current() returned before the caller looked
    // for work), at most `timeoutNs` (0: no limit). Returns at once if a wake came in between.
    void wait(std::uint32_t seen, std::int64_t timeoutNs = 0) noexcept {
        waiters.fetch_add(1, std::memory_order_seq_cst);
        if (word.load(std::memory_order_seq_cst) == seen) {
            timespec limit{static_cast<time_t>(timeoutNs / 1'000'000'000), static_cast<long>(timeoutNs % 1'000'000'000)};
            ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT, seen,
                      timeoutNs > 0 ? &limit : nullptr, nullptr, 0);
        }
        waiters.fetch_sub(1, std::memory_order_seq_cst);
    }
};

} // namespace chronus::engine::rt
