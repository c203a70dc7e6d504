#pragma once
// MIDI input from one device port: JACK MIDI while a JACK server runs, the ALSA sequencer
// otherwise. Events arrive on the device's thread (JACK's process callback, RtMidi's ALSA input
// thread) and are handed on as MidiEvent values through a fixed-size SpscQueue; one consumer thread
// takes them with tryPop(). A watch thread (never the audio callback) keeps the chosen port
// connected: a device that disappears and comes back is reopened, a JACK server that goes away is
// joined again when it is back. Links no Qt.
//
// Under JACK the port is opened with libjack directly, not through RtMidi: RtMidi's JACK backend
// (5.0, and its master today) stamps events with jack_get_time() when its process callback runs, so
// every event of a period gets the same time and the event's frame within the period is lost; it
// also allocates there (std::vector::push_back). libjack gives the frame: jack_last_frame_time() +
// the event's offset, which is what sample-accurate timing needs. RtMidi stays for ALSA, whose
// sequencer gives no frame time (events carry frame -1: as soon as possible).

#include "engine/Status.hpp"
#include "engine/rt/MidiEvent.hpp"
#include "engine/rt/SpscQueue.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace chronus::audio {

enum class MidiApi : std::uint8_t {
    Auto, // JACK when a server runs, else ALSA
    Jack,
    Alsa,
};
const char* midiApiName(MidiApi api) noexcept;

struct MidiPort {
    std::string name;      // JACK: "client:port"; ALSA: RtMidi's port name ("Keystation:Keystation MIDI 1 20:0")
    bool hardware = false; // a physical device (JACK: JackPortIsPhysical; ALSA: not a software client)
};

class MidiInput {
public:
    using Queue = engine::SpscQueue<engine::MidiEvent, 1024>;

    // `clientName`: our JACK / ALSA client ("chronus" gives "chronus-midi"); its own ports are never
    // chosen by `auto`.
    explicit MidiInput(std::string clientName = "chronus");
    ~MidiInput();
    MidiInput(const MidiInput&) = delete;
    MidiInput& operator=(const MidiInput&) = delete;

    // Control thread. The MIDI sources (output ports of other clients) there are now, hardware
    // first. `api` Auto: JACK's when a server runs, else ALSA's; `found` (optional) says which.
    static engine::Result<std::vector<MidiPort>> listPorts(MidiApi api = MidiApi::Auto, MidiApi* found = nullptr);

    // Control thread. Listens to `port`: a port's full name, or a part of it (case ignored), or
    // "auto" (the first hardware source that is not ours, else the first other source). The port
    // need not exist yet: the watch thread connects it when it appears, and reconnects it when it
    // comes back. With MidiApi::Auto neither need a MIDI system: the first that comes is opened
    // (api() says which); an API asked for by name that cannot be opened fails. Replaces what was open.
    engine::Status open(std::string_view port, MidiApi api = MidiApi::Auto);
    // Control thread. Stops listening; the watch thread and the device's thread are gone on return.
    void close() noexcept;

    // Control thread.
    bool isOpen() const noexcept { return m_open; }
    MidiApi api() const noexcept { return m_api.load(std::memory_order_acquire); }
    // The port connected now ("" while none is).
    std::string connectedPort() const;
    std::string requestedPort() const;

    // The one consumer thread. RT-safe.
    bool tryPop(engine::MidiEvent& out) noexcept { return m_queue.tryPop(out); }
    // Any thread. Events the queue had no room for; times the port was (re)connected.
    std::uint64_t dropped() const noexcept { return m_dropped.load(std::memory_order_relaxed); }
    std::uint64_t connects() const noexcept { return m_connects.load(std::memory_order_relaxed); }

    // Any thread, RT-safe; JACK only (-1 otherwise, or before the first cycle). The JACK frame time
    // at the start of the current cycle, on the same 64-bit clock as MidiEvent::frame. Called from
    // another JACK client's process callback (the audio driver's), it names that callback's cycle:
    // every client of a cycle sees the same frame time.
    std::int64_t cycleFrame() const noexcept;

    // Control thread: wakes the watch thread now (tests; a device list that just changed).
    void poke();

private:
    struct Jack;
    struct Alsa;
    void watch();
    bool watchOnce();  // watch thread; false when nothing could be opened
    bool openSystem(); // watch thread, or open()
    void push(const engine::MidiEvent& e) noexcept;

    const std::string m_clientName;
    MidiApi m_want = MidiApi::Auto; // what open() asked for
    std::atomic<MidiApi> m_api{MidiApi::Auto}; // what is open: Auto while nothing is (open(), then the watch thread)
    bool m_open = false;
    std::unique_ptr<Jack> m_jack;
    std::unique_ptr<Alsa> m_alsa;
    Queue m_queue; // producer: the device's thread; consumer: the caller of tryPop
    // For cycleFrame(), which the audio thread calls while the watch thread may replace the client:
    // the client (only handed to jack_last_frame_time, which libjack (jackd2) answers from the
    // server's shared engine state without touching the client) and the last cycle our callback saw.
    std::atomic<void*> m_cycleClient{nullptr};
    std::atomic<std::int64_t> m_cycleStart{-1}; // written by the JACK process callback
    std::atomic<std::uint64_t> m_dropped{0};
    std::atomic<std::uint64_t> m_connects{0};

    mutable std::mutex m_mutex; // the names below, and the watch thread's wake-ups
    std::condition_variable m_wake;
    std::string m_requested;
    std::string m_connected;
    bool m_stop = false;
    bool m_poked = false;
    std::thread m_watch;

    friend struct Jack;
    friend struct Alsa;
};

} // namespace chronus::audio
