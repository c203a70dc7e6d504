#include "audio/AudioDriver.hpp"

#include "engine/Denormals.hpp"

#include <algorithm>
#include <sched.h>

namespace chronus::audio {

using engine::ErrorCode;
using engine::Status;

Status AudioDriver::open(const DriverConfig& config) {
    if (m_open)
        return Status::error(ErrorCode::InvalidArgument, name() + " driver: already open; stop() it first");
    auto format = openDevice(config);
    if (!format.ok())
        return format.status();
    m_sampleRate = format.value().sampleRate;
    m_blockSize = format.value().blockSize;
    m_outputLatencyFrames = format.value().outputLatencyFrames;
    m_inputChannels = format.value().inputChannels;
    m_deviceName = std::move(format.value().deviceName);
    m_notice = std::move(format.value().notice);
    m_open = true;
    return {};
}

Status AudioDriver::start(AudioCallback& callback) {
    if (!m_open)
        return Status::error(ErrorCode::InvalidArgument, name() + " driver: start() before open()");
    if (m_running)
        return Status::error(ErrorCode::InvalidArgument, name() + " driver: already running");
    m_xruns.store(0, std::memory_order_relaxed);
    m_callbacks.store(0, std::memory_order_relaxed);
    m_frames.store(0, std::memory_order_relaxed);
    m_realtimePriority.store(-1, std::memory_order_relaxed);
    m_callback.store(&callback, std::memory_order_release);
    Status status = startDevice();
    if (!status.ok()) {
        m_callback.store(nullptr, std::memory_order_release);
        return status;
    }
    m_running = true;
    return {};
}

Status AudioDriver::start(AudioCallback& callback, const DriverConfig& config) {
    if (Status status = open(config); !status.ok())
        return status;
    Status status = start(callback);
    if (!status.ok())
        stop();
    return status;
}

void AudioDriver::stop() noexcept {
    if (m_running) {
        stopDevice();
        m_running = false;
    }
    m_callback.store(nullptr, std::memory_order_release);
    if (m_open) {
        closeDevice();
        m_open = false;
    }
}

RealtimeStatus AudioDriver::realtimeStatus() const noexcept {
    const int priority = m_realtimePriority.load(std::memory_order_relaxed);
    if (priority < 0)
        return {};
    if (priority == 0)
        return {RealtimeState::Denied, 0};
    return {RealtimeState::Granted, priority};
}

void AudioDriver::deliver(float* out, int frames, bool xrun, const float* input) noexcept {
    const engine::ScopedFlushDenormals flushDenormals;
    if (xrun)
        m_xruns.fetch_add(1, std::memory_order_relaxed);
    AudioCallback* callback = m_callback.load(std::memory_order_acquire);
    if (callback == nullptr) { // between stopDevice and the device's last call: play silence
        std::fill_n(out, static_cast<std::size_t>(frames) * 2, 0.0f);
        return;
    }
    if (m_realtimePriority.load(std::memory_order_relaxed) < 0)
        recordSchedulingOfThisThread();
    const std::uint64_t position = m_frames.load(std::memory_order_relaxed);
    callback->process(out, CallbackInfo{frames, m_sampleRate, xrun, position, input});
    m_frames.store(position + static_cast<std::uint64_t>(frames), std::memory_order_relaxed);
    m_callbacks.fetch_add(1, std::memory_order_release);
}

void AudioDriver::recordSchedulingOfThisThread() noexcept {
    // Once per stream, on the first callback: two bounded system calls (pid 0 is the calling
    // thread on Linux), no lock, no allocation.
    const int policy = sched_getscheduler(0);
    sched_param param{};
    if (sched_getparam(0, &param) != 0)
        param.sched_priority = 0;
    const bool realtime = policy == SCHED_FIFO || policy == SCHED_RR;
    m_realtimePriority.store(realtime ? std::max(1, param.sched_priority) : 0, std::memory_order_relaxed);
}

} // namespace chronus::audio
