#include "audio/MidiOutput.hpp"

#include <jack/jack.h>
#include <jack/midiport.h>

#include <algorithm>
#include <cctype>
#include <vector>

namespace chronus::audio {

using engine::MidiEvent;
using engine::Status;

namespace {
void quietJack(const char*) {}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}
} // namespace

MidiOutput::MidiOutput(std::string clientName) : m_clientName(std::move(clientName)) {}

MidiOutput::~MidiOutput() { close(); }

Status MidiOutput::open(std::string_view destination) {
    close();
    jack_set_error_function(&quietJack);
    jack_set_info_function(&quietJack);
    jack_status_t status{};
    jack_client_t* c = jack_client_open((m_clientName + "-midi-out").c_str(), JackNoStartServer, &status);
    if (!c)
        return Status::error(engine::ErrorCode::Device, "MIDI output: no JACK server");
    jack_port_t* port = jack_port_register(c, "out", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
    m_started = false;
    m_holding = false;
    m_cycleStart.store(-1, std::memory_order_release);
    m_period.store(jack_get_buffer_size(c), std::memory_order_relaxed);
    if (!port || jack_set_process_callback(c, &MidiOutput::process, this) != 0 || jack_activate(c) != 0) {
        jack_client_close(c);
        return Status::error(engine::ErrorCode::Device, "MIDI output: cannot open a JACK MIDI port");
    }
    m_port = port;
    m_client.store(c, std::memory_order_release);
    if (destination.empty())
        return {};
    // The destination: an input port of another client, by its full name or a part of it.
    const char** names = jack_get_ports(c, nullptr, JACK_DEFAULT_MIDI_TYPE, JackPortIsInput);
    std::string chosen;
    const std::string want = lower(destination);
    for (int i = 0; names && names[i]; ++i) {
        const std::string name = names[i];
        if (name.rfind(m_clientName + "-midi", 0) == 0)
            continue; // our own
        if (name == destination) {
            chosen = name;
            break;
        }
        if (chosen.empty() && lower(name).find(want) != std::string::npos)
            chosen = name;
    }
    if (names)
        jack_free(names);
    if (chosen.empty() || jack_connect(c, jack_port_name(port), chosen.c_str()) != 0) {
        close();
        return Status::error(engine::ErrorCode::Device, "MIDI output: no MIDI input port '" + std::string(destination) + "'");
    }
    m_connected = chosen;
    return {};
}

void MidiOutput::close() noexcept {
    auto* c = static_cast<jack_client_t*>(m_client.exchange(nullptr, std::memory_order_acq_rel));
    if (c) {
        jack_deactivate(c);
        jack_client_close(c);
    }
    m_port = nullptr;
    m_connected.clear();
    m_cycleStart.store(-1, std::memory_order_release);
    MidiEvent e;
    while (m_queue.tryPop(e)) {
    }
}

std::string MidiOutput::portName() const {
    return isOpen() ? m_clientName + "-midi-out:out" : std::string();
}

std::int64_t MidiOutput::cycleFrame() const noexcept {
    auto* client = static_cast<jack_client_t*>(m_client.load(std::memory_order_acquire));
    const std::int64_t known = m_cycleStart.load(std::memory_order_acquire);
    if (!client || known < 0)
        return -1;
    // Our callback may not have run yet in this cycle (as MidiInput::cycleFrame).
    const std::uint32_t low = jack_last_frame_time(client);
    return known + static_cast<std::int32_t>(low - static_cast<std::uint32_t>(known));
}

void MidiOutput::send(const MidiEvent& event) noexcept {
    if (!m_queue.tryPush(event))
        m_dropped.fetch_add(1, std::memory_order_relaxed);
}

int MidiOutput::process(std::uint32_t frames, void* self) noexcept {
    auto* o = static_cast<MidiOutput*>(self);
    auto* client = static_cast<jack_client_t*>(o->m_client.load(std::memory_order_relaxed));
    auto* port = static_cast<jack_port_t*>(o->m_port);
    if (!client || !port)
        return 0;
    const std::uint32_t low = jack_last_frame_time(client);
    if (o->m_started && low < o->m_lastLow)
        o->m_epoch += std::int64_t{1} << 32;
    o->m_started = true;
    o->m_lastLow = low;
    const std::int64_t cycle = o->m_epoch + low;
    o->m_cycleStart.store(cycle, std::memory_order_release);
    o->m_period.store(frames, std::memory_order_relaxed);
    void* buffer = jack_port_get_buffer(port, frames);
    jack_midi_clear_buffer(buffer);
    std::int64_t lastAt = 0;
    for (;;) {
        MidiEvent e;
        if (o->m_holding) {
            e = o->m_held;
        } else if (!o->m_queue.tryPop(e)) {
            break;
        }
        std::int64_t at = e.frame + frames - cycle; // one period later (see latencyFrames)
        if (at >= static_cast<std::int64_t>(frames)) { // a later period's
            o->m_held = e;
            o->m_holding = true;
            break;
        }
        o->m_holding = false;
        if (at < lastAt) {
            if (at < 0)
                o->m_late.fetch_add(1, std::memory_order_relaxed);
            at = lastAt; // JACK wants them in order
        }
        lastAt = at;
        const jack_midi_data_t bytes[3] = {e.status, e.data1, e.data2};
        const std::size_t size = e.status >= 0xF8 ? 1 : (e.kind() == 0xC0 || e.kind() == 0xD0) ? 2 : e.status >= 0xF0 && e.status != MidiEvent::kSongPosition ? 1 : 3;
        if (jack_midi_event_write(buffer, static_cast<jack_nframes_t>(at), bytes, size) == 0)
            o->m_written.fetch_add(1, std::memory_order_relaxed);
        else
            o->m_dropped.fetch_add(1, std::memory_order_relaxed);
    }
    return 0;
}

} // namespace chronus::audio
