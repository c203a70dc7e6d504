#include "audio/NullDriver.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <pthread.h>
#include <sched.h>
#include <string>
#include <system_error>

namespace chronus::audio {

using engine::ErrorCode;
using engine::Result;
using engine::Status;

NullDriver::~NullDriver() { stop(); }

Result<AudioDriver::StreamFormat> NullDriver::openDevice(const DriverConfig& config) {
    // 0 means "the device's choice"; this device chooses the defaults.
    const double rate = config.sampleRate == 0.0 ? kDefaultSampleRate : config.sampleRate;
    const int block = config.blockSize == 0 ? kDefaultBlockSize : config.blockSize;
    if (!(rate >= kMinSampleRate && rate <= kMaxSampleRate))
        return Status::error(ErrorCode::InvalidArgument,
                             "null driver: sample rate " + std::to_string(rate) + " Hz is outside 1000 to 768000 Hz");
    if (block < 1 || block > kMaxBlockSize)
        return Status::error(ErrorCode::InvalidArgument, "null driver: block size " + std::to_string(block) +
                                                             " is outside 1 to " + std::to_string(kMaxBlockSize) +
                                                             " frames");
    m_rate = rate;
    m_block = block;
    m_realtime = config.realtime;
    m_realtimePriority = config.realtimePriority;
    const std::size_t samples = static_cast<std::size_t>(m_block) * 2;
    m_buffer = std::make_unique<float[]>(samples);
    m_tap = std::make_unique<std::atomic<float>[]>(samples);
    m_tapFrames.store(0, std::memory_order_relaxed);
    m_lastPeak.store(0.0f, std::memory_order_relaxed);
    m_lastRms.store(0.0f, std::memory_order_relaxed);

    StreamFormat format;
    format.sampleRate = m_rate;
    format.blockSize = m_block;
    format.outputLatencyFrames = m_block; // one block in flight, as a double-buffered device
    format.deviceName = "null (no device)";
    // Capture asked for (--input, or a patch with audio_in) where there is none: said at once, not
    // left to a silent audio_in.
    if (config.input)
        format.notice = "the null driver has no capture (no audio device): audio_in plays silence";
    return format;
}

Status NullDriver::startDevice() {
    m_keepRunning.store(true, std::memory_order_release);
    try {
        m_thread = std::thread(&NullDriver::run, this);
    } catch (const std::system_error& e) {
        m_keepRunning.store(false, std::memory_order_release);
        return Status::error(kDeviceError, std::string("null driver: cannot start its thread: ") + e.what());
    }
    return {};
}

void NullDriver::stopDevice() noexcept {
    m_keepRunning.store(false, std::memory_order_release);
    if (m_thread.joinable())
        m_thread.join(); // returns within one block period: the thread sleeps at most that long
}

void NullDriver::closeDevice() noexcept {
    m_buffer.reset();
    m_tap.reset();
}

void NullDriver::run() noexcept {
    using Clock = std::chrono::steady_clock;
    if (m_realtime) {
        // Best effort: works as root or with an rtprio limit, and the driver runs without it.
        // The outcome is observed by deliver() on the first callback.
        sched_param param{};
        param.sched_priority = std::clamp(m_realtimePriority, sched_get_priority_min(SCHED_FIFO),
                                          sched_get_priority_max(SCHED_FIFO));
        pthread_setschedparam(pthread_self(), SCHED_FIFO, &param);
    }
    // Time of `frames` frames at the stream rate, from the frame count (no accumulated rounding).
    const auto framesToTime = [rate = m_rate](std::uint64_t frames) {
        return std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>(static_cast<double>(frames) / rate));
    };
    const auto blockTime = framesToTime(static_cast<std::uint64_t>(m_block));
    Clock::time_point origin = Clock::now();
    std::uint64_t framesSinceOrigin = 0;
    bool xrun = false;
    while (m_keepRunning.load(std::memory_order_acquire)) {
        deliver(m_buffer.get(), m_block, xrun);
        xrun = false;
        publishLastBlock();

        framesSinceOrigin += static_cast<std::uint64_t>(m_block);
        Clock::time_point deadline = origin + framesToTime(framesSinceOrigin);
        const Clock::time_point now = Clock::now();
        if (now - deadline > blockTime) {
            // More than a block late: a device would have run dry. Count it, and restart the
            // schedule from now rather than firing the missed blocks back to back.
            xrun = true;
            origin = now;
            framesSinceOrigin = 0;
            deadline = now;
        }
        std::this_thread::sleep_until(deadline);
    }
}

void NullDriver::publishLastBlock() noexcept {
    const int samples = m_block * 2;
    float peak = 0.0f;
    double sumSquares = 0.0;
    for (int i = 0; i < samples; ++i) {
        const float x = m_buffer[i];
        peak = std::max(peak, std::fabs(x));
        sumSquares += static_cast<double>(x) * static_cast<double>(x);
    }
    m_lastPeak.store(peak, std::memory_order_relaxed);
    m_lastRms.store(static_cast<float>(std::sqrt(sumSquares / samples)), std::memory_order_relaxed);

    // Seqlock write. Release stores (plain moves on x86) keep every sample store after the odd
    // sequence store and before the even one, without a fence ThreadSanitizer cannot follow.
    const std::uint64_t sequence = m_tapSequence.load(std::memory_order_relaxed);
    m_tapSequence.store(sequence + 1, std::memory_order_relaxed); // odd: writing
    for (int i = 0; i < samples; ++i)
        m_tap[i].store(m_buffer[i], std::memory_order_release);
    m_tapFrames.store(m_block, std::memory_order_release);
    m_tapSequence.store(sequence + 2, std::memory_order_release); // even: consistent
}

int NullDriver::copyLastBlock(std::span<float> dest) const noexcept {
    // m_tap lives from open() to stop(); this is meant to be called while the driver is open.
    if (!m_tap)
        return 0;
    for (int attempt = 0; attempt < 8; ++attempt) {
        const std::uint64_t before = m_tapSequence.load(std::memory_order_acquire);
        if (before % 2 != 0)
            continue;
        const int frames = m_tapFrames.load(std::memory_order_acquire);
        if (frames == 0 || dest.size() < static_cast<std::size_t>(frames) * 2)
            return 0;
        // Acquire loads keep the second sequence load after every sample load; a sample from a
        // newer write carries that write's odd sequence store with it, so the check fails.
        for (int i = 0; i < frames * 2; ++i)
            dest[static_cast<std::size_t>(i)] = m_tap[i].load(std::memory_order_acquire);
        if (m_tapSequence.load(std::memory_order_relaxed) == before)
            return frames;
    }
    return 0;
}

} // namespace chronus::audio
