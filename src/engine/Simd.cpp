#include "Simd.hpp"

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace chronus::engine::simd {

namespace {

Level initialLevel() noexcept {
    const char* forced = std::getenv("CHRONUS_SIMD");
    if (forced && std::strcmp(forced, "generic") == 0)
        return Level::Generic;
    return cpuHasAvx2() ? Level::Avx2 : Level::Generic;
}

std::atomic<Level>& current() noexcept {
    static std::atomic<Level> level{initialLevel()};
    return level;
}

} // namespace

bool cpuHasAvx2() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return false;
#endif
}

Level level() noexcept { return current().load(std::memory_order_relaxed); }

void setLevel(Level level) noexcept {
    current().store(level == Level::Avx2 && !cpuHasAvx2() ? Level::Generic : level, std::memory_order_relaxed);
}

} // namespace chronus::engine::simd
