#pragma once
// OfflineDriver: no device and no clock. A thread calls process block after block as fast as the
// engine renders, and hands every block to a sink (a WAV writer) until the sink took `frames` frames.
// `chronus render` plays the engine through it, so offline render takes the same path, slots and
// commands as live audio. The engine must run in offline mode (EngineConfig::offline): its callback
// then waits for the workers instead of counting an empty ring.

#include "audio/AudioDriver.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>

namespace chronus::audio {

class OfflineDriver final : public AudioDriver {
public:
    // Offline thread. Gets each block after process() wrote it (interleaved stereo); returns how
    // many of its frames count towards `frames` (0 for a block it skipped, e.g. before the commit),
    // or -1 to stop (an I/O error).
    using Sink = std::function<int(const float* interleaved, int frames)>;

    OfflineDriver(std::uint64_t frames, Sink sink) : m_limit(frames), m_sink(std::move(sink)) {}
    ~OfflineDriver() override;

    std::string name() const override { return "offline"; }

    // Control thread. Blocks until all frames went to the sink (or it refused one); true when all did.
    bool waitFinished();

private:
    engine::Result<StreamFormat> openDevice(const DriverConfig& config) override;
    engine::Status startDevice() override;
    void stopDevice() noexcept override;
    void closeDevice() noexcept override {}
    bool deviceRunning() const noexcept override { return !m_finished.load(std::memory_order_acquire); }
    void run() noexcept;

    const std::uint64_t m_limit;
    Sink m_sink;
    double m_rate = 0.0;
    int m_block = 0;
    std::unique_ptr<float[]> m_buffer;
    std::thread m_thread;
    std::atomic<bool> m_keepRunning{false};
    std::atomic<bool> m_finished{false};
    std::atomic<bool> m_complete{false};
};

} // namespace chronus::audio
