#pragma once
// The device's captured input, shared by both slots: the audio callback writes the frames it
// captured, each stamped with its absolute frame index (the output frame it was captured beside,
// counted like EngineShared::framesOut); the workers read any span by index. Fixed storage,
// atomics, no pointers inside: it lives in the shared-memory region, read by worker threads and
// worker processes alike. One writer, any number of readers; readers never hold the writer up.
//
// A frame reads as silence unless the slot holds exactly that frame: not captured yet, captured
// so long ago that it was overwritten (the ring wrapped), or never captured (no input device, a
// callback with no input) all read 0. So both slots reading frame i get the same sample, or both
// get silence, whenever they read it within a capacity of the writer.

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace chronus::engine {

class InputRing {
public:
    static constexpr std::size_t kCapacityFrames = 1 << 15; // 0.68 s at 48 kHz
    static constexpr std::size_t kMask = kCapacityFrames - 1;

    // Control thread, while neither side runs: every frame reads as silence.
    void reset() noexcept {
        for (std::size_t i = 0; i < kCapacityFrames; ++i)
            m_stamp[i].store(kNever, std::memory_order_relaxed);
        m_written.store(0, std::memory_order_relaxed);
    }

    // Writer (the audio thread) only. RT-safe. Frames `first` .. `first + frames - 1` from
    // interleaved stereo `captured`. Each frame is first marked as nobody's, then filled, then
    // stamped, so a reader racing with the overwrite sees either the old frame whole or silence.
    void write(std::uint64_t first, const float* captured, std::size_t frames) noexcept {
        for (std::size_t i = 0; i < frames; ++i) {
            const std::uint64_t index = first + i;
            const std::size_t at = static_cast<std::size_t>(index & kMask);
            m_stamp[at].store(kNever, std::memory_order_relaxed);
            std::atomic_thread_fence(std::memory_order_release);
            m_left[at].store(captured[2 * i], std::memory_order_relaxed);
            m_right[at].store(captured[2 * i + 1], std::memory_order_relaxed);
            m_stamp[at].store(index, std::memory_order_release);
        }
        if (frames > 0)
            m_written.store(first + frames, std::memory_order_release);
    }

    // Any thread. RT-safe. Frames `first` .. `first + frames - 1` into planar `left`/`right` (either
    // may be null); a frame the ring does not hold reads 0. Returns how many frames it held.
    std::size_t read(std::int64_t first, float* left, float* right, std::size_t frames) const noexcept {
        std::size_t held = 0;
        for (std::size_t i = 0; i < frames; ++i) {
            const std::int64_t index = first + static_cast<std::int64_t>(i);
            float l = 0.0f, r = 0.0f;
            if (index >= 0) {
                const std::size_t at = static_cast<std::size_t>(static_cast<std::uint64_t>(index) & kMask);
                if (m_stamp[at].load(std::memory_order_acquire) == static_cast<std::uint64_t>(index)) {
                    const float sl = m_left[at].load(std::memory_order_relaxed);
                    const float sr = m_right[at].load(std::memory_order_relaxed);
                    std::atomic_thread_fence(std::memory_order_acquire);
                    // Still the same frame after reading it: the writer did not start over it meanwhile.
                    if (m_stamp[at].load(std::memory_order_relaxed) == static_cast<std::uint64_t>(index)) {
                        l = sl;
                        r = sr;
                        ++held;
                    }
                }
            }
            if (left)
                left[i] = l;
            if (right)
                right[i] = r;
        }
        return held;
    }

    // Any thread. One past the last frame written (0 before any).
    std::uint64_t written() const noexcept { return m_written.load(std::memory_order_acquire); }

private:
    static constexpr std::uint64_t kNever = ~std::uint64_t{0};

    std::atomic<std::uint64_t> m_written{0};
    alignas(64) std::atomic<std::uint64_t> m_stamp[kCapacityFrames];
    std::atomic<float> m_left[kCapacityFrames];
    std::atomic<float> m_right[kCapacityFrames];
};

// Where a slot's audio ring stands against the output: the ring position (a value of
// AudioRing::consumed()) the next process() plays at output frame `outputFrame`. The audio thread
// publishes it for each slot after every process(); a worker reads it to know at which output frame
// a block it renders now will be heard, provided its ring is read on without a gap (the callback
// reads or drains every ring whose plan reads input). A sequence lock keeps the pair whole: one
// writer, readers retry (the writer's side is four stores, so a retry is rare and short).
class PlayPosition {
public:
    // Audio thread only. RT-safe.
    void publish(std::uint64_t outputFrame, std::uint64_t ringPosition) noexcept {
        const std::uint32_t s = m_sequence.load(std::memory_order_relaxed);
        m_sequence.store(s + 1, std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_release);
        m_outputFrame.store(outputFrame, std::memory_order_relaxed);
        m_ringPosition.store(ringPosition, std::memory_order_relaxed);
        m_sequence.store(s + 2, std::memory_order_release);
    }
    // Any thread. RT-safe (bounded: gives up after a few tries and says so).
    bool read(std::uint64_t& outputFrame, std::uint64_t& ringPosition) const noexcept {
        for (int attempt = 0; attempt < 64; ++attempt) {
            const std::uint32_t before = m_sequence.load(std::memory_order_acquire);
            if (before & 1u)
                continue;
            outputFrame = m_outputFrame.load(std::memory_order_relaxed);
            ringPosition = m_ringPosition.load(std::memory_order_relaxed);
            std::atomic_thread_fence(std::memory_order_acquire);
            if (m_sequence.load(std::memory_order_relaxed) == before)
                return true;
        }
        return false;
    }

private:
    std::atomic<std::uint32_t> m_sequence{0};
    std::atomic<std::uint64_t> m_outputFrame{0};
    std::atomic<std::uint64_t> m_ringPosition{0};
};

static_assert(std::atomic<float>::is_always_lock_free && std::atomic<std::uint64_t>::is_always_lock_free);

} // namespace chronus::engine
