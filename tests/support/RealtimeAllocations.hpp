#pragma once
// Replaces the global operator new and delete with ones that count every allocation and free made
// inside a RealtimeSection (the audio callback and the workers' render loops open one), so a test
// can assert that a real-time path allocated and freed nothing. Include it in exactly one source
// file of a test program: it defines the replacement operators.

#include "engine/rt/RealtimeSection.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

namespace chronus::test {
// Allocations plus frees made inside a RealtimeSection since the program started.
inline std::atomic<long> g_realtimeAllocations{0};

inline void* countedAlloc(std::size_t size) {
    if (engine::rt::inRealtimeSection())
        g_realtimeAllocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size ? size : 1))
        return p;
    throw std::bad_alloc();
}
} // namespace chronus::test

void* operator new(std::size_t size) { return chronus::test::countedAlloc(size); }
void* operator new[](std::size_t size) { return chronus::test::countedAlloc(size); }
void operator delete(void* p) noexcept {
    if (p && chronus::engine::rt::inRealtimeSection())
        chronus::test::g_realtimeAllocations.fetch_add(1, std::memory_order_relaxed);
    std::free(p);
}
void operator delete[](void* p) noexcept { operator delete(p); }
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }
void operator delete[](void* p, std::size_t) noexcept { operator delete(p); }
