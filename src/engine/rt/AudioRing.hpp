#pragma once
// A slot's audio ring: the render worker writes whole blocks of interleaved stereo frames, the audio
// callback reads any number of frames sequentially. Fixed storage, atomics, no pointers inside.
// Overflow is impossible by contract: the producer renders only when a block fits (writableBlocks).
//
// Every block carries a tag: the timeline it was rendered on and the plan frame of its first frame.
// Two slots rendering the same committed patch from the same origin produce the same samples at the
// same tag, so the consumer can keep a hot mirror in step with the active ring, sample for sample.

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
        m_discardBefore.store(0, std::memory_order_relaxed);
    }
    std::size_t blockFrames() const noexcept { return m_blockFrames; }

    // Producer only. RT-safe. How many whole blocks fit right now, capped at `targetBlocks`.
    std::size_t writableBlocks(std::size_t targetBlocks) const noexcept {
        // Target against live frames; capacity against frames the consumer has not released yet
        // (a discarded span stays in use until the consumer skips it).
        const std::size_t live = occupancyFrames();
        const std::size_t held = static_cast<std::size_t>(m_write.load(std::memory_order_relaxed) -
                                                          m_read.load(std::memory_order_acquire));
        const std::size_t target = targetBlocks * m_blockFrames;
        if (live >= target || held + m_blockFrames > kCapacityFrames)
            return 0;
        return std::min((target - live) / m_blockFrames, (kCapacityFrames - held) / m_blockFrames);
    }

    // Producer only. RT-safe. Appends `frames` frames from planar left/right. The caller made sure
    // they fit (writableBlocks). `timeline` and `planFrame` tag the block (see frontTag).
    void write(const float* left, const float* right, std::size_t frames, std::uint32_t timeline = 0,
               std::int64_t planFrame = 0) noexcept {
        const std::uint64_t w = m_write.load(std::memory_order_relaxed);
        const std::size_t tag = static_cast<std::size_t>(w / m_blockFrames) & kMask;
        m_tagTimeline[tag] = timeline;
        m_tagFrame[tag] = planFrame;
        for (std::size_t i = 0; i < frames; ++i) {
            const std::size_t at = static_cast<std::size_t>((w + i) & kMask);
            m_frames[2 * at] = left[i];
            m_frames[2 * at + 1] = right[i];
        }
        m_write.store(w + frames, std::memory_order_release); // publishes the samples
    }

    // Producer only. The position a discard moved the consumer to (or will, at its next read).
    std::uint64_t discardedBefore() const noexcept { return m_discardBefore.load(std::memory_order_relaxed); }

    // Producer only. Frames ever written (a block boundary).
    std::uint64_t written() const noexcept { return m_write.load(std::memory_order_relaxed); }

    // Producer of this ring only: a worker taking over from another slot's worker. Everything
    // written here so far is stale; the blocks of `from` from `begin` (takeOverStart: the block the
    // consumer of `from` reads in) up to `until` (a value of from.written()) are copied here with
    // their tags, as if rendered here. The producer of `from` may go on writing beyond `until`
    // meanwhile; those frames are not touched, and the ones copied are not reused before it has
    // written a whole capacity more. Nothing is copied between rings of different block sizes.
    void takeOverFrom(const AudioRing& from, std::uint64_t until, std::uint64_t begin) noexcept {
        discardWritten();
        const std::size_t block = from.m_blockFrames;
        std::uint64_t w = m_write.load(std::memory_order_relaxed);
        for (std::uint64_t b = begin; b + block <= until && block == m_blockFrames; b += block) {
            const std::size_t fromTag = static_cast<std::size_t>(b / block) & kMask;
            const std::size_t tag = static_cast<std::size_t>(w / m_blockFrames) & kMask;
            m_tagTimeline[tag] = from.m_tagTimeline[fromTag];
            m_tagFrame[tag] = from.m_tagFrame[fromTag];
            for (std::size_t i = 0; i < block; ++i) {
                const std::size_t src = static_cast<std::size_t>((b + i) & kMask);
                const std::size_t dst = static_cast<std::size_t>((w + i) & kMask);
                m_frames[2 * dst] = from.m_frames[2 * src];
                m_frames[2 * dst + 1] = from.m_frames[2 * src + 1];
            }
            w += block;
        }
        m_write.store(w, std::memory_order_release);
    }
    void takeOverFrom(const AudioRing& from, std::uint64_t until) noexcept { takeOverFrom(from, until, takeOverStart(from)); }
    // Any thread. Where takeOverFrom copies `from` from now: the block its consumer reads in.
    static std::uint64_t takeOverStart(const AudioRing& from) noexcept {
        return from.m_read.load(std::memory_order_acquire) / from.m_blockFrames * from.m_blockFrames;
    }

    // Consumer only. RT-safe. Reads up to `frames` interleaved frames; returns how many it read.
    std::size_t read(float* interleaved, std::size_t frames) noexcept {
        const std::size_t n = copyFront(interleaved, frames);
        m_read.store(m_read.load(std::memory_order_relaxed) + n, std::memory_order_release); // frees the space
        return n;
    }

    // Producer only. RT-safe. Everything written so far is stale (a new patch was primed): the
    // consumer skips it at its next read or applyDiscard(). The consumer stays the only writer of the
    // read index, so the queue discipline holds.
    void discardWritten() noexcept {
        m_discardBefore.store(m_write.load(std::memory_order_relaxed), std::memory_order_release);
    }
    // Consumer only. RT-safe. Performs a pending discard; the callback calls it for every ring it owns.
    void applyDiscard() noexcept {
        const std::uint64_t d = m_discardBefore.load(std::memory_order_acquire);
        if (d > m_read.load(std::memory_order_relaxed))
            m_read.store(d, std::memory_order_release);
    }
    // Consumer only. RT-safe. Drops up to `frames` frames unread; returns how many it dropped.
    std::size_t skip(std::size_t frames) noexcept {
        applyDiscard();
        const std::uint64_t r = m_read.load(std::memory_order_relaxed);
        const std::uint64_t w = m_write.load(std::memory_order_acquire);
        const std::size_t n = std::min<std::size_t>(frames, static_cast<std::size_t>(w - r));
        m_read.store(r + n, std::memory_order_release);
        return n;
    }
    // Consumer only. RT-safe. The tag of the next frame to be read: false when the ring is empty.
    bool frontTag(std::uint32_t& timeline, std::int64_t& planFrame) noexcept {
        applyDiscard();
        const std::uint64_t r = m_read.load(std::memory_order_relaxed);
        if (m_write.load(std::memory_order_acquire) <= r)
            return false;
        const std::size_t tag = static_cast<std::size_t>(r / m_blockFrames) & kMask;
        timeline = m_tagTimeline[tag];
        planFrame = m_tagFrame[tag] + static_cast<std::int64_t>(r % m_blockFrames);
        return true;
    }
    // Consumer only. RT-safe. Copies up to `frames` frames without consuming them.
    std::size_t peek(float* interleaved, std::size_t frames) noexcept { return copyFront(interleaved, frames); }

    // Any thread. Frames rendered, not stale and not yet read.
    std::size_t occupancyFrames() const noexcept {
        const std::uint64_t r = std::max(m_read.load(std::memory_order_acquire),
                                         m_discardBefore.load(std::memory_order_acquire));
        const std::uint64_t w = m_write.load(std::memory_order_acquire);
        return w > r ? static_cast<std::size_t>(w - r) : 0;
    }
    // Consumer only (or any thread, as a lower bound). Frames consumed so far, skipped and discarded
    // ones included: the ring position the next read starts at.
    std::uint64_t consumed() const noexcept {
        return std::max(m_read.load(std::memory_order_acquire), m_discardBefore.load(std::memory_order_acquire));
    }
    // Any thread. Occupancy in (possibly fractional) blocks, as the status panel shows it.
    double occupancyBlocks() const noexcept {
        return static_cast<double>(occupancyFrames()) / static_cast<double>(m_blockFrames);
    }

private:
    // Consumer only. Copies up to `frames` frames from the read position on; returns how many.
    std::size_t copyFront(float* interleaved, std::size_t frames) noexcept {
        applyDiscard();
        const std::uint64_t r = m_read.load(std::memory_order_relaxed);
        const std::uint64_t w = m_write.load(std::memory_order_acquire);
        const std::size_t n = std::min<std::size_t>(frames, static_cast<std::size_t>(w - r));
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t at = static_cast<std::size_t>((r + i) & kMask);
            interleaved[2 * i] = m_frames[2 * at];
            interleaved[2 * i + 1] = m_frames[2 * at + 1];
        }
        return n;
    }

    alignas(64) std::atomic<std::uint64_t> m_write{0}; // frames ever written; producer writes
    alignas(64) std::atomic<std::uint64_t> m_read{0};  // frames ever read; consumer writes
    std::atomic<std::uint64_t> m_discardBefore{0};      // frames before it are stale; producer writes
    std::size_t m_blockFrames = 64;                     // control thread writes, while idle
    alignas(64) float m_frames[2 * kCapacityFrames] = {};
    // One tag per block position; write index / block size, masked: never more blocks in flight
    // than frames of capacity, so tags of live blocks never collide.
    std::uint32_t m_tagTimeline[kCapacityFrames] = {};
    std::int64_t m_tagFrame[kCapacityFrames] = {};
};

} // namespace chronus::engine
