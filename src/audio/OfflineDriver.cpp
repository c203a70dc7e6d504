#include "audio/OfflineDriver.hpp"

#include "engine/Types.hpp"

#include <algorithm>
#include <string>
#include <system_error>

namespace chronus::audio {

using engine::ErrorCode;
using engine::Result;
using engine::Status;

OfflineDriver::~OfflineDriver() { stop(); }

Result<AudioDriver::StreamFormat> OfflineDriver::openDevice(const DriverConfig& config) {
    const double rate = config.sampleRate == 0.0 ? 48000.0 : config.sampleRate;
    const int block = config.blockSize == 0 ? 256 : config.blockSize;
    if (!(rate >= engine::kMinSampleRate && rate <= engine::kMaxSampleRate))
        return Status::error(ErrorCode::InvalidArgument, "offline driver: sample rate " + std::to_string(rate) +
                                                             " Hz is outside 22050 to 192000 Hz");
    if (block < 1 || block > engine::kMaxBlock)
        return Status::error(ErrorCode::InvalidArgument, "offline driver: block size " + std::to_string(block) +
                                                             " is outside 1 to " + std::to_string(engine::kMaxBlock));
    m_rate = rate;
    m_block = block;
    m_buffer = std::make_unique<float[]>(static_cast<std::size_t>(block) * 2);
    StreamFormat format;
    format.sampleRate = rate;
    format.blockSize = block;
    format.outputLatencyFrames = 0;
    format.deviceName = "offline render";
    return format;
}

Status OfflineDriver::startDevice() {
    m_keepRunning.store(true, std::memory_order_release);
    m_finished.store(false, std::memory_order_release);
    m_complete.store(false, std::memory_order_release);
    try {
        m_thread = std::thread(&OfflineDriver::run, this);
    } catch (const std::system_error& e) {
        m_keepRunning.store(false, std::memory_order_release);
        return Status::error(kDeviceError, std::string("offline driver: cannot start its thread: ") + e.what());
    }
    return {};
}

void OfflineDriver::run() noexcept {
    std::uint64_t done = 0;
    bool ok = true;
    while (done < m_limit && m_keepRunning.load(std::memory_order_acquire)) {
        const int n = static_cast<int>(std::min<std::uint64_t>(static_cast<std::uint64_t>(m_block), m_limit - done));
        deliver(m_buffer.get(), n, false);
        int taken = -1;
        try {
            taken = m_sink(m_buffer.get(), n);
        } catch (...) {
        }
        if (taken < 0) {
            ok = false;
            break;
        }
        done += static_cast<std::uint64_t>(std::min(taken, n));
    }
    m_complete.store(ok && done == m_limit, std::memory_order_release);
    m_finished.store(true, std::memory_order_release);
    m_finished.notify_all();
}

bool OfflineDriver::waitFinished() {
    m_finished.wait(false, std::memory_order_acquire);
    return m_complete.load(std::memory_order_acquire);
}

void OfflineDriver::stopDevice() noexcept {
    m_keepRunning.store(false, std::memory_order_release);
    if (m_thread.joinable())
        m_thread.join();
}

} // namespace chronus::audio
