#pragma once
// A second JACK client with two input ports that records what reaches them into preallocated
// buffers: an independent capture of what the server got from Chronus. For the JACK tests only
// (they link libjack).

#include <jack/jack.h>

#include <atomic>
#include <cstddef>
#include <string>
#include <vector>

namespace chronus::test {

class JackCapture {
public:
    explicit JackCapture(std::size_t capacity) : m_left(capacity), m_right(capacity) {}
    ~JackCapture() { close(); }

    bool open(const char* name) {
        jack_status_t status{};
        m_client = jack_client_open(name, JackNoStartServer, &status);
        if (!m_client)
            return false;
        m_ports[0] = jack_port_register(m_client, "in_left", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
        m_ports[1] = jack_port_register(m_client, "in_right", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
        return m_ports[0] && m_ports[1] && jack_set_process_callback(m_client, &JackCapture::process, this) == 0 &&
               jack_activate(m_client) == 0;
    }
    // Connects every output port of the client called `source` to our inputs, in order.
    int connectFrom(const std::string& source) {
        const char** ports = jack_get_ports(m_client, ("^" + source + ":").c_str(), nullptr, JackPortIsOutput);
        int connected = 0;
        for (int i = 0; ports && ports[i] && i < 2; ++i)
            if (jack_connect(m_client, ports[i], jack_port_name(m_ports[i])) == 0)
                ++connected;
        jack_free(ports);
        return connected;
    }
    void close() {
        if (m_client) {
            jack_deactivate(m_client);
            jack_client_close(m_client);
            m_client = nullptr;
        }
    }
    // After close().
    std::size_t frames() const { return m_written.load(std::memory_order_acquire); }
    const std::vector<float>& left() const { return m_left; }
    const std::vector<float>& right() const { return m_right; }

private:
    static int process(jack_nframes_t frames, void* self) {
        auto* capture = static_cast<JackCapture*>(self);
        const auto* left = static_cast<const float*>(jack_port_get_buffer(capture->m_ports[0], frames));
        const auto* right = static_cast<const float*>(jack_port_get_buffer(capture->m_ports[1], frames));
        std::size_t at = capture->m_written.load(std::memory_order_relaxed);
        for (jack_nframes_t i = 0; i < frames && at < capture->m_left.size(); ++i, ++at) {
            capture->m_left[at] = left[i];
            capture->m_right[at] = right[i];
        }
        capture->m_written.store(at, std::memory_order_release);
        return 0;
    }

    jack_client_t* m_client = nullptr;
    jack_port_t* m_ports[2] = {nullptr, nullptr};
    std::vector<float> m_left, m_right; // written by the JACK thread only
    std::atomic<std::size_t> m_written{0};
};

} // namespace chronus::test
