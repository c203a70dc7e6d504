#pragma once
// MIDI input played into the dual-slot engine: a MidiInput (the device port) and the thread that
// takes its events and hands each to SlotEngine::midi(), which stamps it at the plan frame its
// device frame maps to (see EngineCallback: the audio callback marks each cycle's device frame).
// Used by the editor, `play` and `serve`. Links no Qt.
//
// Threads: open(), close() and the accessors on one control thread; the feed thread is the
// MidiInput's only consumer.

#include "audio/MidiInput.hpp"
#include "engine/SlotEngine.hpp"

#include <atomic>
#include <string>
#include <string_view>
#include <thread>

namespace chronus::audio {

class MidiFeed {
public:
    // `clientName`: our MIDI client is called "<clientName>-midi".
    explicit MidiFeed(engine::SlotEngine& engine, std::string clientName = "chronus");
    ~MidiFeed();
    MidiFeed(const MidiFeed&) = delete;
    MidiFeed& operator=(const MidiFeed&) = delete;

    // Control thread. Listens to `port` (a name, part of one, or "auto"; see MidiInput::open), or to
    // nothing with "none" or "". Replaces what was open.
    engine::Status open(std::string_view port);
    void close() noexcept;

    // Control thread. What is asked for ("" when nothing), what is connected ("" while nothing is).
    std::string requested() const { return m_input.isOpen() ? m_input.requestedPort() : std::string(); }
    std::string connected() const { return m_input.isOpen() ? m_input.connectedPort() : std::string(); }
    // Any thread.
    std::uint64_t received() const noexcept { return m_received.load(std::memory_order_relaxed); }

    // The audio thread (EngineCallback), RT-safe: the device frame time of the cycle it runs in,
    // -1 when there is none (ALSA, nothing open).
    std::int64_t cycleFrame() const noexcept { return m_input.cycleFrame(); }

private:
    void run() noexcept;

    engine::SlotEngine& m_engine;
    MidiInput m_input;
    std::thread m_thread;
    std::atomic<bool> m_stop{false};
    std::atomic<std::uint64_t> m_received{0}; // written by the feed thread
};

} // namespace chronus::audio
