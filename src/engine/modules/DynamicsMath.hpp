#pragma once
// Small helpers shared by the limiter and the clipper (their Kaiser-windowed FIRs and gains).

#include <cmath>

namespace chronus::engine::dynamics {

// Zeroth-order modified Bessel function of the first kind (Kaiser window), by its power series.
// Control thread (filter design in onPrepare).
inline double besselI0(double x) {
    double sum = 1.0, term = 1.0;
    for (int k = 1; k < 50; ++k) {
        term *= (x / (2.0 * k)) * (x / (2.0 * k));
        sum += term;
        if (term < 1e-17 * sum)
            break;
    }
    return sum;
}

inline float dbToGain(float db) noexcept { return std::pow(10.0f, db / 20.0f); }

// RT-safe. Dot product of N floats (N a multiple of 8) in eight independent lanes, which the
// compiler turns into SIMD without reassociating a single running sum.
template <int N> float dot(const float* a, const float* b) noexcept {
    static_assert(N % 8 == 0);
    float acc[8] = {};
    for (int j = 0; j < N; j += 8)
        for (int k = 0; k < 8; ++k)
            acc[k] += a[j + k] * b[j + k];
    return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

} // namespace chronus::engine::dynamics
