#include "audio/MidiFeed.hpp"

#include <chrono>

#include <pthread.h>
#include <sched.h>

namespace chronus::audio {

// How often the feed thread looks for events when there were none. MIDI events are stamped with
// their device frame and land at a constant latency (EngineConfig::midiLatencyBlocks) that has room
// for this wait, so it delays nothing audible; it only has to be well below that latency.
constexpr auto kPollInterval = std::chrono::microseconds(500);

MidiFeed::MidiFeed(engine::SlotEngine& engine, std::string clientName)
    : m_engine(engine), m_input(std::move(clientName)) {}

MidiFeed::~MidiFeed() { close(); }

engine::Status MidiFeed::open(std::string_view port) {
    close();
    if (port.empty() || port == "none")
        return {};
    if (engine::Status s = m_input.open(port); !s)
        return s;
    m_stop.store(false, std::memory_order_release);
    m_thread = std::thread([this] { run(); });
    return {};
}

void MidiFeed::close() noexcept {
    m_stop.store(true, std::memory_order_release);
    if (m_thread.joinable())
        m_thread.join();
    m_input.close();
}

// Real-time when the system allows it, below the workers (which must render first): an event that
// waits past the MIDI latency behind a busy machine's other threads lands late. Time-sharing
// otherwise, and said nowhere: the events still arrive, a little later under load.
constexpr int kFeedPriority = 40;

void MidiFeed::run() noexcept {
    sched_param param{};
    param.sched_priority = kFeedPriority;
    (void)pthread_setschedparam(pthread_self(), SCHED_FIFO, &param);
    while (!m_stop.load(std::memory_order_acquire)) {
        engine::MidiEvent e;
        bool any = false;
        while (m_input.tryPop(e)) {
            any = true;
            m_received.fetch_add(1, std::memory_order_relaxed);
            (void)m_engine.midi(e); // refused only while the engine is stopped: nothing to play then
        }
        if (!any)
            std::this_thread::sleep_for(kPollInterval);
    }
}

} // namespace chronus::audio
