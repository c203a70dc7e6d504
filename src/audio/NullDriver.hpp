#pragma once
// NullDriver: no device. A thread paced by std::chrono::steady_clock calls process with the
// configured block size at the configured rate and discards the output, so the engine runs (and
// can be tested, or serve OSC on a machine without a sound card) exactly as it would on a device.
//
// Pacing uses absolute deadlines (origin + frames / rate), so rounding never accumulates into
// drift. If the thread falls more than a block behind (the callback or the machine was too slow),
// that is what a device would call an underrun: it counts an xrun, flags it on the next callback
// and re-syncs its origin to now instead of bursting to catch up.
//
// The last block stays readable for tests and meters: its peak and RMS, and a copy of the block.

#include "audio/AudioDriver.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <thread>

namespace chronus::audio {

class NullDriver final : public AudioDriver {
public:
    static constexpr int kMaxBlockSize = 16384;
    static constexpr int kDefaultBlockSize = 256;       // when DriverConfig::blockSize is 0
    static constexpr double kDefaultSampleRate = 48000.0; // when DriverConfig::sampleRate is 0
    static constexpr double kMinSampleRate = 1000.0;
    static constexpr double kMaxSampleRate = 768000.0;

    NullDriver() = default;
    ~NullDriver() override;

    std::string name() const override { return "null"; }

    // Any thread. RT-safe. Level over both channels of the most recent block (0 before the first).
    float lastPeak() const noexcept { return m_lastPeak.load(std::memory_order_relaxed); }
    float lastRms() const noexcept { return m_lastRms.load(std::memory_order_relaxed); }
    // Any thread while the driver is open (stop() frees the copy); never blocks, never
    // allocates. Copies the most recent block (interleaved
    // stereo) into `dest` when it has room for it, and returns its frame count; 0 when there is
    // no block yet, `dest` is too small, or the audio thread kept rewriting the block meanwhile
    // (try again).
    int copyLastBlock(std::span<float> dest) const noexcept;

private:
    engine::Result<StreamFormat> openDevice(const DriverConfig& config) override;
    engine::Status startDevice() override;
    void stopDevice() noexcept override;
    void closeDevice() noexcept override;

    void run() noexcept;              // the audio thread
    void publishLastBlock() noexcept; // audio thread only

    // Control thread only (read by the audio thread, which starts after they are set).
    double m_rate = 0.0;
    int m_block = 0;
    bool m_realtime = false;
    int m_realtimePriority = 0;
    std::unique_ptr<float[]> m_buffer; // the block process() writes; audio thread only while running
    std::thread m_thread;

    std::atomic<bool> m_keepRunning{false}; // written by the control thread, read by the audio thread

    // Written by the audio thread, read by any thread. The copy of the last block is a seqlock:
    // the writer makes m_tapSequence odd while it writes and even when done; a reader keeps its
    // copy only when it saw the same even value before and after.
    std::atomic<float> m_lastPeak{0.0f};
    std::atomic<float> m_lastRms{0.0f};
    std::unique_ptr<std::atomic<float>[]> m_tap;
    std::atomic<int> m_tapFrames{0};
    std::atomic<std::uint64_t> m_tapSequence{0};
};

} // namespace chronus::audio
