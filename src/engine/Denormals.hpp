#pragma once
// Flush-to-zero / denormals-are-zero for the thread that renders audio (VCV's initMXCSR idea), and a
// scalar flush for feedback state (SC's zapgremlins).

#include <cmath>
#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#define CHRONUS_HAS_MXCSR 1
#endif

namespace chronus::engine {

// RT-safe. Sets FTZ and DAZ for the current thread while alive, restores the previous mode after.
class ScopedFlushDenormals {
public:
    ScopedFlushDenormals() noexcept {
#ifdef CHRONUS_HAS_MXCSR
        m_saved = _mm_getcsr();
        _mm_setcsr(m_saved | 0x8040u); // FTZ (bit 15) | DAZ (bit 6)
#endif
    }
    ~ScopedFlushDenormals() {
#ifdef CHRONUS_HAS_MXCSR
        _mm_setcsr(m_saved);
#endif
    }
    ScopedFlushDenormals(const ScopedFlushDenormals&) = delete;
    ScopedFlushDenormals& operator=(const ScopedFlushDenormals&) = delete;

private:
    unsigned m_saved = 0;
};

// RT-safe. Replaces tiny, infinite or NaN values in filter state by zero so a feedback loop can
// neither stall on denormals nor keep a NaN forever.
inline float zapGremlins(float x) noexcept {
    const float a = std::fabs(x);
    return (a > 1e-15f && a < 1e15f) ? x : 0.0f;
}

} // namespace chronus::engine
