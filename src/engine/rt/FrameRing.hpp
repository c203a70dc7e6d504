#pragma once
// A single-producer single-consumer ring of interleaved stereo float frames, for streaming audio
// out of the real-time thread (the recorder's tap): the audio thread writes whole blocks, a
// control-side thread reads them at its own pace. Capacity is fixed at construction (the one
// allocation, on the control thread); writing and reading never allocate, lock or block.
//
// A block that does not fit is refused whole (tryWrite returns false) so the producer can count it
// and go on: a full ring never stalls the audio thread. Positions are absolute frame counts
// (64-bit, never wrap in practice), so a consumer can name "everything from frame N on".

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace chronus::engine::rt {

class FrameRing {
public:
    // Control thread. Room for at least `minFrames` frames (rounded up to a power of two).
    explicit FrameRing(std::size_t minFrames)
        : m_capacity(std::bit_ceil(std::max<std::size_t>(minFrames, 2)))
        , m_mask(m_capacity - 1)
        , m_samples(std::make_unique<float[]>(2 * m_capacity)) {}
    FrameRing(const FrameRing&) = delete;
    FrameRing& operator=(const FrameRing&) = delete;

    std::size_t capacityFrames() const noexcept { return m_capacity; }

    // Producer only. RT-safe. Appends all `frames` frames, or nothing and returns false when they
    // do not fit (the caller counts the drop).
    bool tryWrite(const float* interleaved, std::size_t frames) noexcept {
        const std::uint64_t w = m_write.load(std::memory_order_relaxed);
        if (w + frames - m_readCache > m_capacity) {
            m_readCache = m_read.load(std::memory_order_acquire); // pairs with the consumer's release
            if (w + frames - m_readCache > m_capacity)
                return false;
        }
        const std::size_t at = static_cast<std::size_t>(w & m_mask);
        const std::size_t first = std::min(frames, m_capacity - at);
        std::copy_n(interleaved, 2 * first, m_samples.get() + 2 * at);
        std::copy_n(interleaved + 2 * first, 2 * (frames - first), m_samples.get());
        m_write.store(w + frames, std::memory_order_release); // publishes the samples
        return true;
    }

    // Consumer only. RT-safe. Copies up to `frames` frames, but not past absolute position
    // `limit`, and frees their space; returns how many.
    std::size_t read(float* interleaved, std::size_t frames,
                     std::uint64_t limit = UINT64_MAX) noexcept {
        const std::uint64_t r = m_read.load(std::memory_order_relaxed);
        const std::uint64_t end = std::min(m_write.load(std::memory_order_acquire), limit);
        if (end <= r)
            return 0;
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(frames, end - r));
        const std::size_t at = static_cast<std::size_t>(r & m_mask);
        const std::size_t first = std::min(n, m_capacity - at);
        std::copy_n(m_samples.get() + 2 * at, 2 * first, interleaved);
        std::copy_n(m_samples.get(), 2 * (n - first), interleaved + 2 * first);
        m_read.store(r + n, std::memory_order_release); // frees the space
        return n;
    }

    // Consumer only. RT-safe. Drops everything before absolute position `position` (no further
    // than what was written).
    void skipTo(std::uint64_t position) noexcept {
        const std::uint64_t r = m_read.load(std::memory_order_relaxed);
        const std::uint64_t target = std::min(position, m_write.load(std::memory_order_acquire));
        if (target > r)
            m_read.store(target, std::memory_order_release);
    }

    // Any thread. Frames ever written; exact from the producer.
    std::uint64_t writePosition() const noexcept { return m_write.load(std::memory_order_acquire); }
    // Any thread. Frames ever read or skipped; exact from the consumer.
    std::uint64_t readPosition() const noexcept { return m_read.load(std::memory_order_acquire); }
    // Any thread. Frames waiting; a snapshot.
    std::size_t readableFrames() const noexcept {
        const std::uint64_t r = m_read.load(std::memory_order_acquire);
        const std::uint64_t w = m_write.load(std::memory_order_acquire);
        return w > r ? static_cast<std::size_t>(w - r) : 0;
    }

private:
    const std::size_t m_capacity;
    const std::size_t m_mask;
    const std::unique_ptr<float[]> m_samples;
    alignas(64) std::atomic<std::uint64_t> m_write{0}; // written by the producer
    std::uint64_t m_readCache = 0;                      // producer's copy of m_read
    alignas(64) std::atomic<std::uint64_t> m_read{0};  // written by the consumer
};

} // namespace chronus::engine::rt
