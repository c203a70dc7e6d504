#pragma once
// SIMD across channels for the poly modules. A poly buffer holds its channels side by side in each
// frame (see channelStride), so a group of kPolyLanes channels is one 8-float vector: a kernel
// processes 8 voices per instruction, frame by frame, with the same recurrences as the mono code.
//
// Vectors are GCC vector extensions: the portable build lowers an 8-float operation to two SSE2
// ones; a kernel compiled with CHRONUS_SIMD_AVX2 runs it as one AVX instruction with FMA. Each
// kernel is an always-inline function template compiled twice (CHRONUS_POLY_KERNEL), and a module
// picks one copy when it is prepared (simd::pick), so the shipped package needs no -march flag and
// still uses AVX2 where the CPU has it. CHRONUS_SIMD=generic in the environment forces the portable
// copies (tests compare the two).

#include "Types.hpp"

// GCC warns that an 8-float vector passed by value has another ABI with and without AVX; every
// function here is inlined into its kernel, so no such call crosses a boundary.
#pragma GCC diagnostic ignored "-Wpsabi"

#include <cstdint>
#include <cstring>

namespace chronus::engine::simd {

using F8 = float __attribute__((vector_size(32)));
using I8 = std::int32_t __attribute__((vector_size(32)));

static_assert(sizeof(F8) == kPolyLanes * sizeof(float));

// Loads and stores need no alignment (buffers start on cache lines, but state arrays need not).
[[gnu::always_inline]] inline F8 load(const float* p) noexcept {
    F8 v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
[[gnu::always_inline]] inline void store(float* p, F8 v) noexcept { std::memcpy(p, &v, sizeof v); }
[[gnu::always_inline]] inline F8 splat(float x) noexcept { return F8{} + x; }

[[gnu::always_inline]] inline F8 min(F8 a, F8 b) noexcept { return a < b ? a : b; }
[[gnu::always_inline]] inline F8 max(F8 a, F8 b) noexcept { return a > b ? a : b; }
[[gnu::always_inline]] inline F8 clamp(F8 x, F8 lo, F8 hi) noexcept { return min(max(x, lo), hi); }
// Rounds toward minus infinity (the lanes stay within int range: callers clamp first).
[[gnu::always_inline]] inline F8 floor(F8 x) noexcept {
    const F8 t = __builtin_convertvector(__builtin_convertvector(x, I8), F8);
    return t > x ? t - 1.0f : t;
}
// 1 in lanes 0 .. n - 1 and 0 in the rest (n may be anything): masks a group's padding lanes.
[[gnu::always_inline]] inline F8 lanesBelow(int n) noexcept {
    const I8 index{0, 1, 2, 3, 4, 5, 6, 7};
    return index < n ? splat(1.0f) : F8{};
}
// Lanes that are NaN become `fallback` (an FM input carrying NaN must not poison a phase).
[[gnu::always_inline]] inline F8 finiteOr(F8 x, F8 fallback) noexcept { return x == x ? x : fallback; }

// 2^x for x in [-126, 126], relative error under 3e-7 (a fifth-order polynomial of the fraction,
// the exponent put in by integer arithmetic).
[[gnu::always_inline]] inline F8 exp2(F8 x) noexcept {
    x = clamp(x, splat(-126.0f), splat(126.0f));
    const F8 whole = floor(x);
    const F8 f = x - whole; // [0, 1)
    F8 p = splat(1.8588087e-3f); // least squares in relative error on [0, 1], p(0) = 1 exactly
    p = p * f + 9.0310532e-3f;
    p = p * f + 5.5793821e-2f;
    p = p * f + 2.4016435e-1f;
    p = p * f + 6.9315159e-1f;
    p = p * f + 1.0f;
    const I8 bits = (__builtin_convertvector(whole, I8) + 127) << 23;
    F8 scale;
    std::memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

enum class Level : std::uint8_t { Generic, Avx2 };
// The copies poly kernels run: Avx2 when the CPU has AVX2 and FMA, unless CHRONUS_SIMD=generic.
// Decided once, thread-safe; may be called from the audio thread after the first call.
Level level() noexcept;
// Tests: run the given level from now on (Avx2 only where the CPU has it). Control thread.
void setLevel(Level level) noexcept;
bool cpuHasAvx2() noexcept;

// The copy of a kernel for the current level.
template <class Fn>
Fn pick(Fn generic, Fn avx2) noexcept {
    return level() == Level::Avx2 ? avx2 : generic;
}

} // namespace chronus::engine::simd

#if defined(__x86_64__) || defined(__i386__)
#define CHRONUS_SIMD_AVX2 __attribute__((target("avx2,fma")))
#else
#define CHRONUS_SIMD_AVX2 // one portable copy elsewhere: both names run it
#endif

// Defines NAME##Generic and NAME##Avx2, both running the always-inline kernel KERNEL with the
// arguments declared in the parenthesised PARAMS list and passed in ARGS.
#define CHRONUS_POLY_KERNEL(NAME, KERNEL, PARAMS, ARGS)                                                  \
    [[maybe_unused]] static void NAME##Generic PARAMS noexcept { KERNEL ARGS; }                         \
    [[maybe_unused]] CHRONUS_SIMD_AVX2 static void NAME##Avx2 PARAMS noexcept { KERNEL ARGS; }

// ---- Oscillator and LFO helpers (the poly oscillators) ----
namespace chronus::engine::simd {

// sin(2 pi x) for x in [-1/2, 1/2] turn, absolute error under 3e-7: x is folded into [-1/4, 1/4]
// (sin(pi - a) = sin a), then an odd Taylor polynomial of degree 11 (its truncation error there is
// 6e-8, below float rounding). Callers keep their phases in [-1/2, 1/2).
[[gnu::always_inline]] inline F8 sinTurns(F8 x) noexcept {
    F8 y = x > 0.25f ? 0.5f - x : x;
    y = y < -0.25f ? -0.5f - y : y;
    const F8 y2 = y * y;
    F8 p = splat(-15.094642576822984f);
    p = p * y2 + 42.058693944897634f;
    p = p * y2 - 76.70585975306136f;
    p = p * y2 + 81.60524927607504f;
    p = p * y2 - 41.341702240399755f;
    p = p * y2 + 6.283185307179586f;
    return p * y;
}

// |x| and the sign of x on a non-negative magnitude (bit operations, one instruction each).
[[gnu::always_inline]] inline F8 abs(F8 x) noexcept {
    I8 bits;
    std::memcpy(&bits, &x, sizeof bits);
    bits &= 0x7FFFFFFF;
    std::memcpy(&x, &bits, sizeof x);
    return x;
}
[[gnu::always_inline]] inline F8 withSignOf(F8 magnitude, F8 sign) noexcept {
    I8 m, s;
    std::memcpy(&m, &magnitude, sizeof m);
    std::memcpy(&s, &sign, sizeof s);
    m |= s & static_cast<std::int32_t>(0x80000000u);
    std::memcpy(&magnitude, &m, sizeof m);
    return magnitude;
}

// Whether two vectors hold the same bits (the same inputs give the same derived values).
[[gnu::always_inline]] inline bool sameBits(F8 a, F8 b) noexcept {
    return std::memcmp(&a, &b, sizeof a) == 0;
}

} // namespace chronus::engine::simd

// ---- Filters and envelopes (svf, adsr, ...): vector helpers of their kernels ----

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace chronus::engine::simd {

// tan(x) for x in (0, 1.56] (a filter's pi fc / sr up to fc = 0.497 sr), relative error under 1e-6
// (tst_svf measures it). Above pi/4 it is 1 / tan(pi/2 - x), with pi/2 - x computed in two parts
// (the float nearest pi/2 minus x is exact there) so the reflection loses nothing near pi/2; below,
// Cephes' tanf polynomial in x^2 (relative error about 2e-7 on [0, pi/4]).
[[gnu::always_inline]] inline F8 tan(F8 x) noexcept {
    constexpr float kHalfPiHi = 1.57079637050628662109375f; // float(pi/2), above pi/2 by 4.37e-8
    constexpr float kHalfPiLo = -4.37113900018624283e-8f;   // pi/2 - kHalfPiHi
    const auto reflect = x > 0.78539816339744830962f;
    const F8 y = reflect ? (kHalfPiHi - x) + kHalfPiLo : x;
    const F8 z = y * y;
    F8 p = splat(9.38540185543e-3f);
    p = p * z + 3.11992232697e-3f;
    p = p * z + 2.44301354525e-2f;
    p = p * z + 5.34112807005e-2f;
    p = p * z + 1.33387994085e-1f;
    p = p * z + 3.33331568548e-1f;
    const F8 t = y + y * z * p;
    return reflect ? 1.0f / t : t;
}

// x as rounded, never fused into a neighbouring add (GCC contracts a * b + c into one FMA in the
// AVX2 copies): for a kernel that must round exactly like the mono code.
[[gnu::always_inline]] inline F8 rounded(F8 x) noexcept {
#if defined(__has_builtin) && __has_builtin(__builtin_assoc_barrier)
    return __builtin_assoc_barrier(x);
#else
    return x;
#endif
}
[[gnu::always_inline]] inline float rounded(float x) noexcept {
#if defined(__has_builtin) && __has_builtin(__builtin_assoc_barrier)
    return __builtin_assoc_barrier(x);
#else
    return x;
#endif
}

// Loads and stores of float and integer vectors, unaligned like load and store.
template <class V, class T> [[gnu::always_inline]] inline V loadAs(const T* p) noexcept {
    V v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
template <class V, class T> [[gnu::always_inline]] inline void storeFrom(T* p, V v) noexcept {
    std::memcpy(p, &v, sizeof v);
}

// True when any lane of a comparison's mask is set (lanes are 0 or -1): the two 4-lane halves OR-ed
// and their sign bits gathered (vextractf128, vorps, vmovmskps in the AVX2 copies).
[[gnu::always_inline]] inline bool any(I8 mask) noexcept {
#if defined(__SSE2__)
    __m128 lo, hi;
    std::memcpy(&lo, &mask, sizeof lo);
    std::memcpy(&hi, reinterpret_cast<const char*>(&mask) + sizeof lo, sizeof hi);
    return _mm_movemask_ps(_mm_or_ps(lo, hi)) != 0;
#else
    std::int32_t bits = 0;
    for (int lane = 0; lane < kPolyLanes; ++lane)
        bits |= mask[lane];
    return bits != 0;
#endif
}

} // namespace chronus::engine::simd
