#include "Wavetables.hpp"

#include <fftw3.h>

#include <cmath>
#include <complex>
#include <mutex>
#include <numbers>

namespace chronus::engine {

namespace {
// FFTW's planner is not thread-safe; tables are built once under this lock.
std::mutex& fftwPlannerMutex() {
    static std::mutex m;
    return m;
}
} // namespace

const Wavetables& Wavetables::instance() {
    static const Wavetables tables;
    return tables;
}

Wavetables::Wavetables() {
    // Harmonic limits grow by about a quarter octave per level: the table played is never much
    // duller than the richest one that would not alias.
    for (int h = 1; h <= kMaxHarmonics;) {
        m_harmonics.push_back(h);
        h = std::max(h + 1, static_cast<int>(std::lround(h * 1.19)));
    }
    if (m_harmonics.back() != kMaxHarmonics)
        m_harmonics.push_back(kMaxHarmonics);
    std::size_t level = 0;
    for (int h = 0; h <= kMaxHarmonics; ++h) {
        while (level + 1 < m_harmonics.size() && m_harmonics[level + 1] <= h)
            ++level;
        m_levelForHarmonics[static_cast<std::size_t>(h)] = static_cast<std::uint8_t>(level);
    }

    const std::size_t stride = kSize + 1;
    m_data.assign(stride * (1 + 2 * m_harmonics.size()), 0.0f);

    std::vector<float> time(kSize);
    auto* spectrum = static_cast<fftwf_complex*>(fftwf_malloc(sizeof(fftwf_complex) * (kSize / 2 + 1)));
    fftwf_plan plan;
    {
        std::lock_guard lock(fftwPlannerMutex());
        plan = fftwf_plan_dft_c2r_1d(kSize, spectrum, time.data(), FFTW_ESTIMATE);
    }
    // x[j] = sum_k X[k] e^{+2 pi i j k / N} over the Hermitian spectrum, so a partial a*sin(2 pi n phase)
    // needs X[n] = -i a / 2.
    auto build = [&](float* dest, int harmonics, auto amplitudeOf) {
        for (int k = 0; k <= kSize / 2; ++k)
            spectrum[k][0] = spectrum[k][1] = 0.0f;
        for (int n = 1; n <= harmonics; ++n)
            spectrum[n][1] = static_cast<float>(-0.5 * amplitudeOf(n));
        fftwf_execute(plan);
        for (int j = 0; j < kSize; ++j)
            dest[j] = time[static_cast<std::size_t>(j)];
        dest[kSize] = dest[0];
    };
    constexpr double pi = std::numbers::pi;
    build(m_data.data(), 1, [](int) { return 1.0; });
    for (std::size_t l = 0; l < m_harmonics.size(); ++l) {
        // Rising saw 2*phase - 1 = -(2/pi) sum sin(2 pi n phase) / n.
        build(const_cast<float*>(levelTable(Saw, static_cast<int>(l))), m_harmonics[l],
              [](int n) { return -2.0 / (pi * n); });
        // Triangle peaking at +1 at phase 1/4: (8/pi^2) sum over odd n of (-1)^((n-1)/2) sin / n^2.
        build(const_cast<float*>(levelTable(Triangle, static_cast<int>(l))), m_harmonics[l], [](int n) {
            if (n % 2 == 0)
                return 0.0;
            const double sign = ((n - 1) / 2) % 2 == 0 ? 1.0 : -1.0;
            return sign * 8.0 / (pi * pi * n * n);
        });
    }
    {
        std::lock_guard lock(fftwPlannerMutex());
        fftwf_destroy_plan(plan);
    }
    fftwf_free(spectrum);
}

} // namespace chronus::engine
