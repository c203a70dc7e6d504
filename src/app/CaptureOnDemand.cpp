#include "CaptureOnDemand.hpp"

#include "audio/JackConnections.hpp"
#include "engine/modules/AudioIn.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>

namespace chronus::app {

bool readsInput(const engine::PatchGraph& graph) {
    for (const engine::PatchNode& node : graph.nodes())
        if (node.type == &engine::AudioIn::kType)
            return true;
    return false;
}

CaptureOnDemand::CaptureOnDemand(audio::AudioDriver& driver, audio::EngineCallback& callback,
                                 engine::SlotEngine& engine, audio::DriverConfig config)
    : m_driver(driver), m_callback(callback), m_engine(engine), m_config(std::move(config)),
      m_gaveUp(m_config.input && driver.name() == "null") {}

std::string CaptureOnDemand::check() {
    const std::uint64_t commits = m_engine.stats().commits;
    if (commits == m_commitsSeen)
        return {};
    m_commitsSeen = commits;
    if (m_gaveUp || !m_driver.isRunning() || m_driver.inputChannels() > 0 || !readsInput(m_engine.committed()))
        return {};
    if (m_driver.name() == "null") {
        m_gaveUp = true;
        return "the patch reads input (audio_in), but the null driver has no capture: audio_in plays silence";
    }
    return reopenWithCapture();
}

std::string CaptureOnDemand::reopenWithCapture() {
    using Clock = std::chrono::steady_clock;
    const bool jack = m_driver.name() == "jack";
    const audio::JackConnectionList connections = jack ? audio::jackConnectionsOf(m_config.clientName) : audio::JackConnectionList{};
    // Down to silence first: the stream then stops on zeros, not mid-wave. The callback says when
    // it got there; a device that stopped calling it (it cannot fade then) is not waited for long.
    m_callback.fadeOutputTo(0.0f);
    const auto fadeDeadline = Clock::now() + std::chrono::milliseconds(
                                                 static_cast<int>(4 * audio::EngineCallback::kOutputFadeMs) + 200);
    while (m_callback.outputGain() > 0.0f && Clock::now() < fadeDeadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));

    std::unique_lock lock(m_mutex);
    const auto stopped = Clock::now();
    m_driver.stop();
    audio::DriverConfig duplex = m_config;
    duplex.input = true;
    std::string line;
    engine::Status opened = m_driver.open(duplex);
    if (opened && m_driver.sampleRate() != m_engine.config().sampleRate) { // the engine cannot follow
        m_driver.stop();
        opened = engine::Status::error(engine::ErrorCode::Device, "the device reopened at " +
                                                                      std::to_string(std::lround(m_driver.sampleRate())) + " Hz");
    }
    if (!opened) {
        m_gaveUp = true;
        line = "the patch reads input (audio_in), but the device has no capture: " + opened.message() +
               "; audio_in plays silence";
        if (auto again = m_driver.open(m_config); !again) {
            lock.unlock();
            return line + "; the output could not be reopened either: " + again.message();
        }
    }
    if (auto s = m_driver.start(m_callback); !s) {
        lock.unlock();
        return line.empty() ? "the stream with capture could not start: " + s.message() : line + "; " + s.message();
    }
    const auto started = Clock::now();
    lock.unlock();
    const int reconnected = audio::jackConnect(connections);
    m_callback.fadeOutputTo(1.0f);
    m_lastPauseMs = std::chrono::duration<double, std::milli>(started - stopped).count();
    if (!line.empty())
        return line;
    line = "the patch reads input (audio_in): capture opened on " + m_driver.name() + " (" +
           std::to_string(m_driver.inputChannels()) + " channels";
    if (jack)
        line += "; " + m_config.clientName + ":inport 0 and 1, " + std::to_string(reconnected) + " of " +
                std::to_string(connections.size()) + " connections made again";
    char pause[32];
    std::snprintf(pause, sizeof pause, "%.1f", m_lastPauseMs);
    line += std::string("); the output faded out and paused ") + pause + " ms while the stream reopened";
    return line;
}

} // namespace chronus::app
