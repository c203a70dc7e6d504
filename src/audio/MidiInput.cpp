#include "audio/MidiInput.hpp"

#include "audio/AudioDriver.hpp"

#include <alsa/asoundlib.h>
#include <jack/jack.h>
#include <jack/midiport.h>
#include <rtmidi/RtMidi.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <exception>

namespace chronus::audio {

using engine::MidiEvent;
using engine::Result;
using engine::Status;

namespace {

constexpr auto kWatchPeriod = std::chrono::milliseconds(250);

bool containsNoCase(std::string_view haystack, std::string_view needle) {
    return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
           }) != haystack.end();
}

// `port` among `ports`: its exact name, else the first that contains it; "auto": the first hardware
// source, else the first one. Ports of `own` (our client) are never chosen.
std::optional<std::string> resolvePort(const std::vector<MidiPort>& ports, std::string_view port, std::string_view own) {
    std::vector<const MidiPort*> others;
    for (const MidiPort& p : ports)
        if (p.name.rfind(own, 0) != 0)
            others.push_back(&p);
    if (port == "auto") {
        for (const MidiPort* p : others)
            if (p->hardware)
                return p->name;
        if (!others.empty())
            return others.front()->name;
        return std::nullopt;
    }
    for (const MidiPort* p : others)
        if (p->name == port)
            return p->name;
    for (const MidiPort* p : others)
        if (containsNoCase(p->name, port))
            return p->name;
    return std::nullopt;
}

void sortHardwareFirst(std::vector<MidiPort>& ports) {
    std::stable_sort(ports.begin(), ports.end(), [](const MidiPort& a, const MidiPort& b) { return a.hardware && !b.hardware; });
}

// libjack prints to stderr when no server runs; a probe for one is not an error worth printing.
void quietJack(const char*) {}

jack_client_t* openJackClient(const std::string& name) {
    jack_set_error_function(&quietJack);
    jack_set_info_function(&quietJack);
    jack_status_t status{};
    return jack_client_open(name.c_str(), JackNoStartServer, &status);
}

std::vector<MidiPort> jackSources(jack_client_t* client) {
    std::vector<MidiPort> out;
    const char** names = jack_get_ports(client, nullptr, JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput);
    for (int i = 0; names && names[i]; ++i) {
        const jack_port_t* port = jack_port_by_name(client, names[i]);
        out.push_back({names[i], port && (jack_port_flags(port) & JackPortIsPhysical) != 0});
    }
    jack_free(names);
    sortHardwareFirst(out);
    return out;
}

// RtMidi's ALSA port names end in "client:port" numbers; clients below 128 are the kernel's (sound
// card drivers: hardware), except 14, the kernel's "Midi Through".
bool alsaHardware(const std::string& name) {
    const auto space = name.find_last_of(' ');
    const auto colon = name.find_last_of(':');
    if (space == std::string::npos || colon == std::string::npos || colon < space)
        return false;
    const int client = std::atoi(name.c_str() + space + 1);
    return client > 0 && client < 128 && client != 14;
}

void quietRtMidi(RtMidiError::Type, const std::string&, void*) {}

// alsa-lib prints to stderr when the sequencer cannot be opened (no /dev/snd/seq), and the watch
// thread tries again every period: its messages go nowhere; what matters, we say ourselves.
extern "C" void ignoreAlsaSeqMessage(const char*, int, const char*, int, const char*, ...) {}
void quietAlsa() { snd_lib_error_set_handler(&ignoreAlsaSeqMessage); }

// Whether the ALSA sequencer opens, asked of alsa-lib before RtMidi is: RtMidi writes its own
// failure to stderr before it throws, and the watch thread would repeat it every period.
bool alsaSequencerOpens() {
    quietAlsa();
    snd_seq_t* seq = nullptr;
    if (snd_seq_open(&seq, "default", SND_SEQ_OPEN_INPUT, SND_SEQ_NONBLOCK) < 0)
        return false;
    snd_seq_close(seq);
    return true;
}

std::vector<MidiPort> alsaSources(RtMidiIn& in) {
    std::vector<MidiPort> out;
    const unsigned count = in.getPortCount();
    for (unsigned i = 0; i < count; ++i) {
        std::string name = in.getPortName(i);
        if (!name.empty())
            out.push_back({name, alsaHardware(name)});
    }
    sortHardwareFirst(out);
    return out;
}

} // namespace

const char* midiApiName(MidiApi api) noexcept {
    switch (api) {
    case MidiApi::Auto: return "auto";
    case MidiApi::Jack: return "jack";
    case MidiApi::Alsa: return "alsa";
    }
    return "?";
}

// The JACK client: one MIDI input port, connected by the watch thread to the chosen source.
struct MidiInput::Jack {
    MidiInput* owner = nullptr;
    std::atomic<jack_client_t*> client{nullptr}; // written by the watch thread
    jack_port_t* port = nullptr;
    std::atomic<bool> serverGone{false}; // set by JACK's shutdown callback
    // Process callback only: the 32-bit frame time unwrapped.
    std::uint32_t lastLow = 0;
    std::int64_t epoch = 0;
    bool started = false;

    static int process(jack_nframes_t frames, void* self) noexcept {
        auto* j = static_cast<Jack*>(self);
        jack_client_t* client = j->client.load(std::memory_order_relaxed);
        const std::uint32_t low = jack_last_frame_time(client);
        if (j->started && low < j->lastLow)
            j->epoch += std::int64_t{1} << 32;
        j->started = true;
        j->lastLow = low;
        const std::int64_t cycle = j->epoch + low;
        j->owner->m_cycleStart.store(cycle, std::memory_order_release);
        void* buffer = jack_port_get_buffer(j->port, frames);
        const jack_nframes_t count = jack_midi_get_event_count(buffer);
        for (jack_nframes_t i = 0; i < count; ++i) {
            jack_midi_event_t e;
            if (jack_midi_event_get(&e, buffer, i) != 0)
                continue;
            MidiEvent event;
            if (MidiEvent::fromBytes(e.buffer, e.size, cycle + e.time, event))
                j->owner->push(event);
        }
        return 0;
    }
    static void shutdown(void* self) { static_cast<Jack*>(self)->serverGone.store(true, std::memory_order_release); }
    // JACK's notification thread (not the process thread): a port came or went, look now.
    static void registration(jack_port_id_t, int, void* self) { static_cast<Jack*>(self)->owner->poke(); }

    bool open(const std::string& name) {
        jack_client_t* c = openJackClient(name);
        if (!c)
            return false;
        client.store(c, std::memory_order_release);
        serverGone.store(false, std::memory_order_release);
        started = false;
        port = jack_port_register(c, "in", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
        if (!port || jack_set_process_callback(c, &Jack::process, this) != 0 ||
            jack_set_port_registration_callback(c, &Jack::registration, this) != 0) {
            closeClient();
            return false;
        }
        jack_on_shutdown(c, &Jack::shutdown, this);
        if (jack_activate(c) != 0) {
            closeClient();
            return false;
        }
        owner->m_cycleClient.store(c, std::memory_order_release);
        return true;
    }
    void closeClient() {
        owner->m_cycleClient.store(nullptr, std::memory_order_release);
        owner->m_cycleStart.store(-1, std::memory_order_release);
        jack_client_t* c = client.exchange(nullptr, std::memory_order_acq_rel);
        if (c) {
            if (!serverGone.load(std::memory_order_acquire))
                jack_deactivate(c);
            jack_client_close(c);
        }
        port = nullptr;
    }
};

// RtMidi's ALSA sequencer input. Its input thread calls `callback`.
struct MidiInput::Alsa {
    MidiInput* owner = nullptr;
    std::unique_ptr<RtMidiIn> in;
    bool portOpen = false;

    static void callback(double, std::vector<unsigned char>* message, void* self) {
        MidiEvent event;
        if (message && MidiEvent::fromBytes(message->data(), message->size(), -1, event))
            static_cast<Alsa*>(self)->owner->push(event);
    }
    bool open(const std::string& name) {
        if (!alsaSequencerOpens())
            return false;
        try {
            in = std::make_unique<RtMidiIn>(RtMidi::LINUX_ALSA, name);
            in->setErrorCallback(&quietRtMidi, nullptr);
            // SysEx and active sensing stay out; timing (clock, time code) comes in for the clock
            // module (MidiEvent::fromBytes keeps the clock and drops the time code).
            in->ignoreTypes(true, false, true);
            in->setCallback(&Alsa::callback, this);
            return true;
        } catch (const std::exception&) {
            in.reset();
            return false;
        }
    }
};

MidiInput::MidiInput(std::string clientName) : m_clientName(std::move(clientName)) {}

MidiInput::~MidiInput() { close(); }

Result<std::vector<MidiPort>> MidiInput::listPorts(MidiApi api, MidiApi* found) {
    if (api != MidiApi::Alsa) {
        if (jack_client_t* client = openJackClient("chronus-list")) {
            std::vector<MidiPort> ports = jackSources(client);
            jack_client_close(client);
            if (found)
                *found = MidiApi::Jack;
            return ports;
        }
        if (api == MidiApi::Jack)
            return Status::error(kDeviceError, "no JACK server is running");
    }
    if (!alsaSequencerOpens())
        return Status::error(kDeviceError, "no MIDI system: neither a JACK server nor the ALSA sequencer");
    try {
        RtMidiIn in(RtMidi::LINUX_ALSA, "chronus-list");
        in.setErrorCallback(&quietRtMidi, nullptr);
        if (found)
            *found = MidiApi::Alsa;
        return alsaSources(in);
    } catch (const std::exception& e) {
        return Status::error(kDeviceError, std::string("no MIDI system: neither a JACK server nor the ALSA sequencer (") +
                                               e.what() + ")");
    }
}

Status MidiInput::open(std::string_view port, MidiApi api) {
    close();
    m_want = api;
    m_api = MidiApi::Auto;
    // Asked for one system that is not there: say so. With Auto, none there yet is not an error: the
    // watch thread opens the first that comes (a JACK server started later).
    if (!openSystem() && api != MidiApi::Auto)
        return Status::error(kDeviceError, api == MidiApi::Jack ? "cannot open a JACK client: is a JACK server running?"
                                                                : "cannot open the ALSA sequencer");
    {
        std::lock_guard lock(m_mutex);
        m_requested = std::string(port);
        m_connected.clear();
        m_stop = false;
        m_poked = false;
    }
    watchOnce(); // connect now when the port is there, so open() returns connected
    m_watch = std::thread([this] { watch(); });
    m_open = true;
    return {};
}

void MidiInput::close() noexcept {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_wake.notify_all();
    if (m_watch.joinable())
        m_watch.join();
    if (m_jack) {
        m_jack->closeClient();
        m_jack.reset();
    }
    if (m_alsa) {
        m_alsa->in.reset(); // RtMidi joins its input thread
        m_alsa.reset();
    }
    std::lock_guard lock(m_mutex);
    m_connected.clear();
    m_open = false;
}

std::string MidiInput::connectedPort() const {
    std::lock_guard lock(m_mutex);
    return m_connected;
}

std::string MidiInput::requestedPort() const {
    std::lock_guard lock(m_mutex);
    return m_requested;
}

std::int64_t MidiInput::cycleFrame() const noexcept {
    auto* client = static_cast<jack_client_t*>(m_cycleClient.load(std::memory_order_acquire));
    const std::int64_t known = m_cycleStart.load(std::memory_order_acquire);
    if (!client || known < 0)
        return -1;
    // Our callback may not have run yet in this cycle: unwrap the cycle's 32-bit frame time around
    // the last one it saw (they are at most a few periods apart).
    const std::uint32_t low = jack_last_frame_time(client);
    return known + static_cast<std::int32_t>(low - static_cast<std::uint32_t>(known));
}

void MidiInput::poke() {
    {
        std::lock_guard lock(m_mutex);
        m_poked = true;
    }
    m_wake.notify_all();
}

void MidiInput::push(const MidiEvent& e) noexcept {
    if (!m_queue.tryPush(e))
        m_dropped.fetch_add(1, std::memory_order_relaxed);
}

void MidiInput::watch() {
    std::unique_lock lock(m_mutex);
    while (!m_stop) {
        m_wake.wait_for(lock, kWatchPeriod, [this] { return m_stop || m_poked; });
        if (m_stop)
            break;
        m_poked = false;
        lock.unlock();
        watchOnce();
        lock.lock();
    }
}

// Watch thread (and open()). JACK when a server runs (and is wanted), else ALSA; false when neither.
bool MidiInput::openSystem() {
    const std::string own = m_clientName + "-midi";
    if (m_want != MidiApi::Alsa) {
        auto jack = std::make_unique<Jack>();
        jack->owner = this;
        if (jack->open(own)) {
            m_jack = std::move(jack);
            m_api = MidiApi::Jack;
            return true;
        }
    }
    if (m_want != MidiApi::Jack) {
        auto alsa = std::make_unique<Alsa>();
        alsa->owner = this;
        if (alsa->open(own)) {
            m_alsa = std::move(alsa);
            m_api = MidiApi::Alsa;
            return true;
        }
    }
    return false;
}

bool MidiInput::watchOnce() {
    const std::string own = m_clientName + "-midi";
    const std::string requested = requestedPort();
    if (!m_jack && !m_alsa && !openSystem())
        return false;
    if (m_jack) {
        Jack& j = *m_jack;
        if (j.serverGone.load(std::memory_order_acquire) || !j.client.load(std::memory_order_acquire)) {
            // The server went away: join it again once it is back.
            j.closeClient();
            {
                std::lock_guard lock(m_mutex);
                m_connected.clear();
            }
            if (!j.open(own))
                return false;
        }
        jack_client_t* client = j.client.load(std::memory_order_acquire);
        if (jack_port_connected(j.port) > 0)
            return true;
        // Not connected: the source is gone (or not there yet). Connect it when it is there.
        {
            std::lock_guard lock(m_mutex);
            m_connected.clear();
        }
        if (requested.empty())
            return true;
        const std::optional<std::string> source = resolvePort(jackSources(client), requested, own);
        if (source && jack_connect(client, source->c_str(), jack_port_name(j.port)) == 0) {
            m_connects.fetch_add(1, std::memory_order_relaxed);
            std::lock_guard lock(m_mutex);
            m_connected = *source;
        }
        return true;
    }
    if (m_alsa && m_alsa->in) {
        Alsa& a = *m_alsa;
        try {
            const std::vector<MidiPort> ports = alsaSources(*a.in);
            std::string connected = connectedPort();
            if (a.portOpen && std::none_of(ports.begin(), ports.end(), [&](const MidiPort& p) { return p.name == connected; })) {
                a.in->closePort(); // the device went away; its port comes back under the same name
                a.portOpen = false;
                std::lock_guard lock(m_mutex);
                m_connected.clear();
            }
            if (a.portOpen || requested.empty())
                return true;
            const std::optional<std::string> source = resolvePort(ports, requested, own);
            if (!source)
                return true;
            const auto at = std::find_if(ports.begin(), ports.end(), [&](const MidiPort& p) { return p.name == *source; });
            // RtMidi opens by index among all its ports, in its own order.
            for (unsigned i = 0, n = a.in->getPortCount(); i < n; ++i) {
                if (a.in->getPortName(i) != at->name)
                    continue;
                a.in->openPort(i, "in");
                a.portOpen = true;
                m_connects.fetch_add(1, std::memory_order_relaxed);
                std::lock_guard lock(m_mutex);
                m_connected = *source;
                break;
            }
        } catch (const std::exception& e) {
            std::fprintf(stderr, "chronus: MIDI input: %s\n", e.what());
        }
        return true;
    }
    return false;
}

} // namespace chronus::audio
