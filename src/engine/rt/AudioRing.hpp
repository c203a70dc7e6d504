#pragma once
// A slot's audio ring: the render worker writes whole blocks of interleaved stereo frames, the audio
// callback reads any number of frames sequentially. Fixed storage, atomics, no pointers inside.
// Overflow is impossible by contract: the producer renders only when a block fits (writableBlocks).

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace chronus::engine {

class AudioRing {
public:
    static constexpr std::size_t kCapacityFrames = 1 << 15; // 0.68 s at 48 kHz
    static constexpr std::size_t kMask = kCapacityFrames - 1;

    // Control thread, while neither side runs. `blockFrames` is what one render produces.
    void configure(std::size_t blockFrames) noexcept {
        m_blockFrames = std::clamp<std::size_t>(blockFrames, 1, kCapacityFrames / 2);
        reset();
    }
    // Control thread, while neither side runs.
    void reset() noexcept {
        m_write.store(0, std::memory_order_relaxed);
        m_read.store(0, std::memory_order_relaxed);
    }
    std::size_t blockFrames() const noexcept { return m_blockFrames; }

    // Producer only. RT-safe. How many whole blocks fit right now, capped at `targetBlocks`.
    std::size_t writableBlocks(std::size_t targetBlocks) const noexcept {
        const std::size_t used = occupancyFrames();
        const std::size_t cap = std::min(targetBlocks * m_blockFrames, kCapacityFrames);
        return used >= cap ? 0 : (cap - used) / m_blockFrames;
    }

    // Producer only. RT-safe. Appends `frames` frames from planar left/right. The caller made sure
    // they fit (writableBlocks).
    void write(const float* left, const float* right, std::size_t frames) noexcept {
        const std::uint64_t w = m_write.load(std::memory_order_relaxed);
        for (std::size_t i = 0; i < frames; ++i) {
            const std::size_t at = static_cast<std::size_t>((w + i) & kMask);
            m_frames[2 * at] = left[i];
            m_frames[2 * at + 1] = right[i];
        }
        m_write.store(w + frames, std::memory_order_release); // publishes the samples
    }

    // Consumer only. RT-safe. Reads up to `frames` interleaved frames; returns how many it read.
    std::size_t read(float* interleaved, std::size_t frames) noexcept {
        const std::uint64_t r = m_read.load(std::memory_order_relaxed);
        const std::uint64_t w = m_write.load(std::memory_order_acquire);
        const std::size_t n = std::min<std::size_t>(frames, static_cast<std::size_t>(w - r));
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t at = static_cast<std::size_t>((r + i) & kMask);
            interleaved[2 * i] = m_frames[2 * at];
            interleaved[2 * i + 1] = m_frames[2 * at + 1];
        }
        m_read.store(r + n, std::memory_order_release); // frees the space for the producer
        return n;
    }

    // Any thread. Frames rendered and not yet read.
    std::size_t occupancyFrames() const noexcept {
        const std::uint64_t r = m_read.load(std::memory_order_acquire);
        const std::uint64_t w = m_write.load(std::memory_order_acquire);
        return static_cast<std::size_t>(w - r);
    }
    // Any thread. Occupancy in (possibly fractional) blocks, as the status panel shows it.
    double occupancyBlocks() const noexcept {
        return static_cast<double>(occupancyFrames()) / static_cast<double>(m_blockFrames);
    }

private:
    alignas(64) std::atomic<std::uint64_t> m_write{0}; // frames ever written; producer writes
    alignas(64) std::atomic<std::uint64_t> m_read{0};  // frames ever read; consumer writes
    std::size_t m_blockFrames = 64;                     // control thread writes, while idle
    alignas(64) float m_frames[2 * kCapacityFrames] = {};
};

} // namespace chronus::engine
