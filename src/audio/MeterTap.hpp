#pragma once
// MeterTap: what the status panel's level meter and oscilloscope read of the output. The audio
// callback hands it every output block (interleaved stereo); per channel it keeps the peak and RMS
// of that block, a held peak and an RMS over a window of about 85 ms (so a meter polled at 30 Hz
// misses no transient between polls and reads a steady level), and the last kScopeFrames frames in
// a ring.
//
// Everything shared is a std::atomic written by the audio thread only, so any number of threads
// may read without a lock and without a data race. The scope ring is overwritten in place: a reader
// copies the newest frames and then checks how far the writer had got meanwhile, dropping the
// frames it may have seen overwritten (see copyLatest). No allocation: the ring is in the object.

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace chronus::audio {

class MeterTap {
public:
    static constexpr int kChannels = 2;
    static constexpr std::size_t kScopeFrames = 4096; // a power of two
    // The held peak and the window RMS span this many frames (85 ms at 48 kHz, 43 ms at 96 kHz).
    static constexpr int kWindowFrames = 4096;

    MeterTap() = default;
    MeterTap(const MeterTap&) = delete;
    MeterTap& operator=(const MeterTap&) = delete;

    // Audio thread only. RT-safe.
    void process(const float* interleaved, int frames) noexcept {
        if (frames <= 0)
            return;
        std::array<float, kChannels> peak{};
        std::array<double, kChannels> sumSquares{};
        for (int i = 0; i < frames; ++i) {
            for (int c = 0; c < kChannels; ++c) {
                const float x = interleaved[kChannels * i + c];
                peak[c] = std::max(peak[c], std::fabs(x)); // a NaN compares false and is skipped
                sumSquares[c] += static_cast<double>(x * x);
            }
        }
        m_bucketFrames += frames;
        const bool bucketDone = m_bucketFrames >= kWindowFrames;
        for (int c = 0; c < kChannels; ++c) {
            m_peak[c].store(peak[c], std::memory_order_relaxed);
            m_rms[c].store(static_cast<float>(std::sqrt(sumSquares[c] / frames)), std::memory_order_relaxed);
            // The held peak is the larger of this bucket's and the previous one's: a peak stays
            // visible for at least one whole bucket after it happened.
            m_bucketPeak[c] = std::max(m_bucketPeak[c], peak[c]);
            m_bucketSum[c] += sumSquares[c];
            m_heldPeak[c].store(std::max(m_previousBucketPeak[c], m_bucketPeak[c]), std::memory_order_relaxed);
            if (bucketDone) {
                m_windowRms[c].store(static_cast<float>(std::sqrt(m_bucketSum[c] / m_bucketFrames)),
                                     std::memory_order_relaxed);
                m_previousBucketPeak[c] = m_bucketPeak[c];
                m_bucketPeak[c] = 0.0f;
                m_bucketSum[c] = 0.0;
            }
        }
        if (bucketDone)
            m_bucketFrames = 0;
        writeScope(interleaved, static_cast<std::size_t>(frames));
    }

    // Any thread. Level of the most recent block (0 before the first).
    float peak(int channel) const noexcept { return m_peak[channel].load(std::memory_order_relaxed); }
    float rms(int channel) const noexcept { return m_rms[channel].load(std::memory_order_relaxed); }
    float peak() const noexcept { return std::max(peak(0), peak(1)); }

    // Any thread. For meters polled at least every kWindowFrames frames: the largest peak of the
    // last kWindowFrames to 2 * kWindowFrames frames (no transient slips between two polls), and
    // the RMS of the last complete window of about kWindowFrames frames.
    float heldPeak(int channel) const noexcept { return m_heldPeak[channel].load(std::memory_order_relaxed); }
    float windowRms(int channel) const noexcept { return m_windowRms[channel].load(std::memory_order_relaxed); }

    // Any thread. Frames the tap has seen since construction.
    std::uint64_t framesWritten() const noexcept { return m_written.load(std::memory_order_acquire); }

    // Any thread; never blocks or allocates. Copies the newest frames, at most `frames` and at most
    // kScopeFrames, into `dest` (interleaved stereo, oldest first) and returns how many. Fewer come
    // back before the tap saw that many, or when the writer lapped this copy (a reader preempted
    // for a whole ring's worth of audio): then only the frames it cannot have overwritten.
    std::size_t copyLatest(float* dest, std::size_t frames) const noexcept {
        const std::uint64_t end = m_written.load(std::memory_order_acquire);
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>({frames, kScopeFrames, end}));
        const std::uint64_t start = end - n;
        for (std::size_t k = 0; k < n; ++k) {
            const std::size_t at = static_cast<std::size_t>((start + k) & kMask);
            // Acquire: a value from a later lap comes with that lap's m_writing (see writeScope).
            dest[2 * k] = m_scope[2 * at].load(std::memory_order_acquire);
            dest[2 * k + 1] = m_scope[2 * at + 1].load(std::memory_order_acquire);
        }
        const std::uint64_t writing = m_writing.load(std::memory_order_acquire);
        if (writing > start + kScopeFrames) { // positions below writing - kScopeFrames may be newer audio
            const std::size_t lost = static_cast<std::size_t>(std::min<std::uint64_t>(n, writing - kScopeFrames - start));
            std::memmove(dest, dest + 2 * lost, 2 * (n - lost) * sizeof(float));
            n -= lost;
        }
        return n;
    }

    // 20 log10(level), never below `floorDb` (silence reads as the floor, not -inf).
    static double toDb(double level, double floorDb = -90.0) noexcept {
        return level > 0.0 ? std::max(floorDb, 20.0 * std::log10(level)) : floorDb;
    }

private:
    static constexpr std::uint64_t kMask = kScopeFrames - 1;
    static_assert((kScopeFrames & kMask) == 0, "kScopeFrames must be a power of two");

    // Audio thread only. Announces the range it is about to overwrite (m_writing) before touching
    // a sample, stores the samples with release so that a reader who sees one also sees the
    // announcement, and publishes the range as readable (m_written) afterwards. On x86 the
    // release stores and acquire loads cost what relaxed ones do; unlike a fence, ThreadSanitizer
    // models them.
    void writeScope(const float* interleaved, std::size_t frames) noexcept {
        const std::uint64_t w = m_written.load(std::memory_order_relaxed);
        const std::uint64_t end = w + frames;
        const std::size_t skip = frames > kScopeFrames ? frames - kScopeFrames : 0; // only the newest fit
        m_writing.store(end, std::memory_order_relaxed);
        for (std::size_t i = skip; i < frames; ++i) {
            const std::size_t at = static_cast<std::size_t>((w + i) & kMask);
            m_scope[2 * at].store(interleaved[2 * i], std::memory_order_release);
            m_scope[2 * at + 1].store(interleaved[2 * i + 1], std::memory_order_release);
        }
        m_written.store(end, std::memory_order_release);
    }

    // Written by the audio thread, read by any thread.
    std::array<std::atomic<float>, kChannels> m_peak{};
    std::array<std::atomic<float>, kChannels> m_rms{};
    std::array<std::atomic<float>, kChannels> m_heldPeak{};
    std::array<std::atomic<float>, kChannels> m_windowRms{};
    // Audio thread only: the bucket being measured and the previous bucket's peak.
    int m_bucketFrames = 0;
    std::array<float, kChannels> m_bucketPeak{};
    std::array<float, kChannels> m_previousBucketPeak{};
    std::array<double, kChannels> m_bucketSum{};
    // Written by the audio thread: frames published (readable), and frames being written (m_writing
    // runs ahead of m_written while a block is being stored).
    alignas(64) std::atomic<std::uint64_t> m_written{0};
    std::atomic<std::uint64_t> m_writing{0};
    alignas(64) std::array<std::atomic<float>, 2 * kScopeFrames> m_scope{};
};

} // namespace chronus::audio
