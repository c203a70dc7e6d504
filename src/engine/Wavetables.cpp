#include "Wavetables.hpp"

#include <fftw3.h>

#include <atomic>
#include <cmath>
#include <complex>
#include <fcntl.h>
#include <mutex>
#include <numbers>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace chronus::engine {

namespace {
// FFTW's planner is not thread-safe; tables are built once under this lock.
std::mutex& fftwPlannerMutex() {
    static std::mutex m;
    return m;
}

// The shared object: this header, then the tables at kHeaderBytes (a cache line, so the tables
// keep the alignment a private copy would have).
struct SharedHeader {
    std::uint32_t magic, tableSize, levels, floats;
};
constexpr std::uint32_t kSharedMagic = 0x43485754; // "CHWT"
constexpr std::size_t kHeaderBytes = 64;
constexpr unsigned kSeals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL;

std::atomic<int> g_adoptFd{-1}; // adopt() -> the constructor
} // namespace

// Within a call the phase is a 64-bit fixed-point fraction of a cycle: finer than a double's 53
// bits and it wraps by itself. Its top 12 bits are the table index, the next 31 the position
// between two entries. The double phase converts exactly; the way back rounds to 53 bits.
// (A double phase needed three int/float conversions per sample; this needs one per four.)
double Wavetables::play(const float* table, double phase, double inc, float gain, float* out, int frames) noexcept {
    static_assert(kSizeLog2 == 12);
    constexpr double kOne = 18446744073709551616.0; // 2^64
    if (!(phase >= 0.0 && phase < 1.0))
        phase = 0.0;
    if (!(inc >= 0.0 && inc < 0.5))
        inc = inc >= 0.5 ? 0.49 : 0.0;
    std::uint64_t p = static_cast<std::uint64_t>(phase * kOne);
    const auto step = static_cast<std::uint64_t>(inc * kOne);
    auto index = [](std::uint64_t at) noexcept { return static_cast<std::uint32_t>(at >> 52); };
    auto fraction = [](std::uint64_t at) noexcept { return static_cast<std::int32_t>((at >> 21) & 0x7FFFFFFFu); };
    constexpr float kFractionScale = 0x1p-31f;
    int i = 0;
#if defined(__SSE2__)
    // Four samples a step: scalar table reads, the rest in vector registers.
    const __m128 scale = _mm_set1_ps(kFractionScale);
    const __m128 g = _mm_set1_ps(gain);
    for (; i + 4 <= frames; i += 4) {
        const std::uint64_t p0 = p, p1 = p0 + step, p2 = p1 + step, p3 = p2 + step;
        p = p3 + step;
        const std::uint32_t i0 = index(p0), i1 = index(p1), i2 = index(p2), i3 = index(p3);
        const __m128 frac = _mm_mul_ps(
            _mm_cvtepi32_ps(_mm_set_epi32(fraction(p3), fraction(p2), fraction(p1), fraction(p0))), scale);
        const __m128 a = _mm_set_ps(table[i3], table[i2], table[i1], table[i0]);
        const __m128 b = _mm_set_ps(table[i3 + 1], table[i2 + 1], table[i1 + 1], table[i0 + 1]);
        _mm_storeu_ps(out + i, _mm_mul_ps(g, _mm_add_ps(a, _mm_mul_ps(frac, _mm_sub_ps(b, a)))));
    }
#endif
    for (; i < frames; ++i) { // the same arithmetic, one sample at a time
        const std::uint32_t at = index(p);
        const float frac = static_cast<float>(fraction(p)) * kFractionScale;
        out[i] = gain * (table[at] + frac * (table[at + 1] - table[at]));
        p += step;
    }
    // back to 53 bits, rounded to nearest (a phase that rounds up to a whole cycle wraps to 0)
    const std::uint64_t rounded = ((p >> 10) + 1) >> 1;
    return rounded == (std::uint64_t{1} << 53) ? 0.0 : static_cast<double>(rounded) * 0x1p-53;
}

const Wavetables& Wavetables::instance() {
    static const Wavetables tables;
    return tables;
}

int Wavetables::sharedFd() {
    return instance().m_fd;
}

bool Wavetables::adopt(int fd) {
    g_adoptFd.store(fd, std::memory_order_relaxed);
    const bool adopted = instance().m_adopted;
    g_adoptFd.store(-1, std::memory_order_relaxed);
    return adopted;
}

// A sealed object of exactly this layout, mapped read-only.
bool Wavetables::map(int fd, std::size_t floats) {
    const std::size_t bytes = kHeaderBytes + floats * sizeof(float);
    struct stat info {};
    const int seals = ::fcntl(fd, F_GET_SEALS);
    if (seals < 0 || (static_cast<unsigned>(seals) & kSeals) != kSeals || ::fstat(fd, &info) != 0 ||
        static_cast<std::size_t>(info.st_size) != bytes)
        return false;
    void* data = ::mmap(nullptr, bytes, PROT_READ, MAP_SHARED, fd, 0);
    if (data == MAP_FAILED)
        return false;
    const auto* header = static_cast<const SharedHeader*>(data);
    if (header->magic != kSharedMagic || header->tableSize != static_cast<std::uint32_t>(kSize) ||
        header->levels != m_harmonics.size() || header->floats != floats) {
        ::munmap(data, bytes);
        return false;
    }
    m_shared = data;
    m_base = reinterpret_cast<const float*>(static_cast<const char*>(data) + kHeaderBytes);
    return true;
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

    const std::size_t floats = static_cast<std::size_t>(kSize + 1) * (1 + 2 * m_harmonics.size());
    if (const int fd = g_adoptFd.exchange(-1, std::memory_order_relaxed); fd >= 0 && map(fd, floats)) {
        m_adopted = true;
        return;
    }
    // Built into a new shared object, which is then sealed and mapped read-only; private tables
    // when that fails (no memfd).
    const std::size_t bytes = kHeaderBytes + floats * sizeof(float);
    const int fd = ::memfd_create("chronus-wavetables", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    void* writable = MAP_FAILED;
    if (fd >= 0 && ::ftruncate(fd, static_cast<off_t>(bytes)) == 0)
        writable = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (writable != MAP_FAILED) {
        *static_cast<SharedHeader*>(writable) = {kSharedMagic, static_cast<std::uint32_t>(kSize),
                                                 static_cast<std::uint32_t>(m_harmonics.size()),
                                                 static_cast<std::uint32_t>(floats)};
        build(reinterpret_cast<float*>(static_cast<char*>(writable) + kHeaderBytes));
        ::munmap(writable, bytes); // F_SEAL_WRITE needs no writable mapping left
        if (::fcntl(fd, F_ADD_SEALS, kSeals) == 0 && map(fd, floats)) {
            m_fd = fd;
            return;
        }
    }
    if (fd >= 0)
        ::close(fd);
    m_data.assign(floats, 0.0f);
    build(m_data.data());
}

void Wavetables::build(float* tables) {
    m_base = tables; // levelTable() finds the places to write

    std::vector<float> time(kSize);
    auto* spectrum = static_cast<fftwf_complex*>(fftwf_malloc(sizeof(fftwf_complex) * (kSize / 2 + 1)));
    fftwf_plan plan;
    {
        std::lock_guard lock(fftwPlannerMutex());
        plan = fftwf_plan_dft_c2r_1d(kSize, spectrum, time.data(), FFTW_ESTIMATE);
    }
    // x[j] = sum_k X[k] e^{+2 pi i j k / N} over the Hermitian spectrum, so a partial a*sin(2 pi n phase)
    // needs X[n] = -i a / 2.
    auto fill = [&](float* dest, int harmonics, auto amplitudeOf) {
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
    fill(tables, 1, [](int) { return 1.0; });
    for (std::size_t l = 0; l < m_harmonics.size(); ++l) {
        // Rising saw 2*phase - 1 = -(2/pi) sum sin(2 pi n phase) / n.
        fill(const_cast<float*>(levelTable(Saw, static_cast<int>(l))), m_harmonics[l],
             [](int n) { return -2.0 / (pi * n); });
        // Triangle peaking at +1 at phase 1/4: (8/pi^2) sum over odd n of (-1)^((n-1)/2) sin / n^2.
        fill(const_cast<float*>(levelTable(Triangle, static_cast<int>(l))), m_harmonics[l], [](int n) {
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
