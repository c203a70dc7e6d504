#pragma once
// MIDI output to one JACK MIDI port: the events the engine hands on (SlotEngine::midiOut, the
// midi_out modules of the patch heard) written into a JACK MIDI output port at their own frame.
// The audio callback stamps each event with its device frame (cycleFrame() + the event's offset in
// the callback) and send()s it through a fixed-size queue; this client's JACK process callback
// writes it at that frame one period later (latencyFrames()): the two callbacks run in the same
// cycle in an order JACK chooses, so one period is the delay that is the same whichever runs first.
// Events come out in order, none before its frame; one whose frame has passed (the queue was not
// read in time) goes out at the start of the period and is counted late.
//
// JACK only (libjack, as MidiInput's JACK side): the ALSA sequencer gives no frame to write at and
// is not done. Links no Qt.

#include "engine/Status.hpp"
#include "engine/rt/MidiEvent.hpp"
#include "engine/rt/SpscQueue.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace chronus::audio {

class MidiOutput {
public:
    // `clientName`: our JACK client is "<clientName>-midi-out", its port "out".
    explicit MidiOutput(std::string clientName = "chronus");
    ~MidiOutput();
    MidiOutput(const MidiOutput&) = delete;
    MidiOutput& operator=(const MidiOutput&) = delete;

    // Control thread. Opens the port and connects it to `destination`: a MIDI input port's full
    // name or a part of it (case ignored), or "" for none (others may connect to it). Fails when
    // no JACK server runs or the destination is not there. Replaces what was open.
    engine::Status open(std::string_view destination);
    // Control thread. The JACK client is gone on return.
    void close() noexcept;

    // Control thread.
    bool isOpen() const noexcept { return m_client.load(std::memory_order_acquire) != nullptr; }
    std::string portName() const;        // "chronus-midi-out:out"; "" when closed
    std::string connectedPort() const { return m_connected; }

    // Audio thread (another JACK client's process callback, the driver's): RT-safe. The JACK frame
    // time at the start of the current cycle (64 bits, as MidiEvent::frame); -1 when closed.
    std::int64_t cycleFrame() const noexcept;
    // Audio thread (one producer). RT-safe. An event at device frame `event.frame`.
    void send(const engine::MidiEvent& event) noexcept;

    // Any thread. The frames between an event's device frame and the frame it is written at.
    std::int64_t latencyFrames() const noexcept { return m_period.load(std::memory_order_relaxed); }
    // Any thread. Events the queue had no room for; events written after their frame.
    std::uint64_t dropped() const noexcept { return m_dropped.load(std::memory_order_relaxed); }
    std::uint64_t late() const noexcept { return m_late.load(std::memory_order_relaxed); }
    std::uint64_t written() const noexcept { return m_written.load(std::memory_order_relaxed); }

private:
    static int process(std::uint32_t frames, void* self) noexcept;

    const std::string m_clientName;
    std::atomic<void*> m_client{nullptr}; // jack_client_t*
    void* m_port = nullptr;               // jack_port_t*
    std::string m_connected;
    engine::SpscQueue<engine::MidiEvent, 4096> m_queue; // audio thread -> our process callback
    // Process callback only: the 32-bit frame time unwrapped, an event held for a later period.
    std::uint32_t m_lastLow = 0;
    std::int64_t m_epoch = 0;
    bool m_started = false;
    bool m_holding = false;
    engine::MidiEvent m_held{};
    std::atomic<std::int64_t> m_cycleStart{-1};
    std::atomic<std::int64_t> m_period{0};
    std::atomic<std::uint64_t> m_dropped{0}, m_late{0}, m_written{0};
};

} // namespace chronus::audio
