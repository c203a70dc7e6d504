#pragma once
// Band-limited single-cycle tables for the oscillators: one table per harmonic limit, so an
// oscillator at phase increment `inc` plays a table with no harmonic above Nyquist (no aliasing
// beyond interpolation error). Built once, on first use, from a control thread (FFTW inverse FFT).
//
// The tables live in a sealed, read-only shared memory object (memfd) that the engine hands to its
// worker processes, so every worker reads the same physical copy, as worker threads do: two
// workers rendering the same oscillators from two private copies of about 1.3 MB fight for the
// cache, and a worker's render got 20-50 % slower than a thread's (BENCHMARKS.md, "Worker processes
// against worker threads"). Read-only and sealed: a worker gone wild cannot change another's.

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace chronus::engine {

class Wavetables {
public:
    static constexpr int kSizeLog2 = 12;
    static constexpr int kSize = 1 << kSizeLog2;     // samples per cycle
    static constexpr int kMaxHarmonics = kSize / 2 - 1;
    enum Shape { Sine, Saw, Triangle, ShapeCount };

    // Control thread. Builds the tables the first time it is called (thread-safe); cheap after.
    static const Wavetables& instance();

    // Control thread. The shared memory object holding the tables this process built (building
    // them first if needed), read-only and sealed; -1 when it has none to hand on (private tables,
    // no memfd here; or tables adopted from another process). The descriptor is close-on-exec and
    // stays open for the life of the process.
    static int sharedFd();
    // A worker process, before anything calls instance(): use the tables in `fd` (another
    // process's sharedFd()) instead of building a private copy. False, and instance() builds its
    // own as usual, when `fd` does not hold tables of this layout (sealed, the right size and
    // header) or instance() already ran. The caller may close `fd` afterwards.
    static bool adopt(int fd);
    // Whether this process's tables are a shared memory object (built here or adopted).
    bool shared() const noexcept { return m_shared != nullptr; }

    // RT-safe. The table for `shape` at `inc` cycles per sample: the richest one whose highest
    // harmonic stays at or below Nyquist. Always returns kSize + 1 samples (the last repeats the first).
    const float* table(Shape shape, double inc) const noexcept {
        if (shape == Sine)
            return m_base;
        const double maxH = inc > 0.0 ? 0.5 / inc : static_cast<double>(kMaxHarmonics);
        const int h = maxH >= kMaxHarmonics ? kMaxHarmonics : static_cast<int>(maxH);
        return levelTable(shape, m_levelForHarmonics[static_cast<std::size_t>(h)]);
    }

    // RT-safe. Linear interpolation at `phase` in [0, 1).
    static float lookup(const float* table, double phase) noexcept {
        const double x = phase * kSize;
        const int i = static_cast<int>(x);
        const float frac = static_cast<float>(x - i);
        return table[i] + frac * (table[i + 1] - table[i]);
    }

    // RT-safe. Plays `table` into out[0, frames): constant `inc` cycles per sample starting at
    // `phase` in [0, 1), each sample the linear interpolation of lookup() times `gain`. Returns the
    // phase after the last sample. The phase is carried at least as precisely as in a double.
    static double play(const float* table, double phase, double inc, float gain, float* out, int frames) noexcept;

    int levelCount() const noexcept { return static_cast<int>(m_harmonics.size()); }
    int harmonicsOfLevel(int level) const noexcept { return m_harmonics[static_cast<std::size_t>(level)]; }

private:
    Wavetables();
    const float* levelTable(Shape shape, int level) const noexcept {
        const std::size_t stride = kSize + 1;
        const std::size_t index = 1 + static_cast<std::size_t>(shape - 1) * m_harmonics.size() +
                                  static_cast<std::size_t>(level);
        return m_base + index * stride;
    }
    void build(float* dest);
    bool map(int fd, std::size_t floats);

    std::vector<int> m_harmonics;                                  // harmonic limit per level, ascending
    std::array<std::uint8_t, kMaxHarmonics + 1> m_levelForHarmonics{}; // max allowed harmonic -> level
    const float* m_base = nullptr; // sine, then saw levels, then triangle levels; kSize + 1 each
    std::vector<float> m_data;     // the tables when they could not be shared
    const void* m_shared = nullptr; // the read-only mapping of the shared object
    int m_fd = -1;                  // the shared object, when this process built it
    bool m_adopted = false;         // the shared object is another process's
};

} // namespace chronus::engine
