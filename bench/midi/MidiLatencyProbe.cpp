// An independent JACK client that measures MIDI note-on to sound onset: it listens to a MIDI source
// (jack_midiseq) and to the audio outputs of the synths it drives (Chronus, jack_midisine), stamps
// each note-on and each onset (the first sample above a threshold after at least 256 silent ones)
// with the JACK frame time, and prints each source's latency in frames: minimum, maximum (their
// difference is the jitter) and mean. Its own process callback sees the MIDI event and the audio of
// the same server cycles, so the figures include the synths' buffering and nothing of the probe's.
//
// midi_latency_probe SECONDS MIDI_SOURCE_PORT NAME=AUDIO_PORT [NAME=AUDIO_PORT ...]

#include <jack/jack.h>
#include <jack/midiport.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr std::size_t kMaxEvents = 1 << 16;
constexpr float kThreshold = 1e-3f;
constexpr int kSilenceBefore = 256;

struct Track {
    std::string name;
    std::string source;
    jack_port_t* port = nullptr;
    int silent = kSilenceBefore;
    std::vector<std::int64_t> onsets = std::vector<std::int64_t>(kMaxEvents);
    std::atomic<std::size_t> count{0};
};

jack_client_t* g_client = nullptr;
jack_port_t* g_midi = nullptr;
std::vector<Track*> g_tracks;
std::vector<std::int64_t> g_notes(kMaxEvents);
std::atomic<std::size_t> g_noteCount{0};

int process(jack_nframes_t frames, void*) {
    const std::int64_t cycle = jack_last_frame_time(g_client);
    void* midi = jack_port_get_buffer(g_midi, frames);
    for (jack_nframes_t i = 0, n = jack_midi_get_event_count(midi); i < n; ++i) {
        jack_midi_event_t e;
        if (jack_midi_event_get(&e, midi, i) == 0 && e.size == 3 && (e.buffer[0] & 0xF0) == 0x90 && e.buffer[2] > 0) {
            const std::size_t at = g_noteCount.load(std::memory_order_relaxed);
            if (at < kMaxEvents) {
                g_notes[at] = cycle + e.time;
                g_noteCount.store(at + 1, std::memory_order_release);
            }
        }
    }
    for (Track* t : g_tracks) {
        const auto* x = static_cast<const float*>(jack_port_get_buffer(t->port, frames));
        for (jack_nframes_t i = 0; i < frames; ++i) {
            if (std::fabs(x[i]) <= kThreshold) {
                ++t->silent;
                continue;
            }
            if (t->silent >= kSilenceBefore) {
                const std::size_t at = t->count.load(std::memory_order_relaxed);
                if (at < kMaxEvents) {
                    t->onsets[at] = cycle + i;
                    t->count.store(at + 1, std::memory_order_release);
                }
            }
            t->silent = 0;
        }
    }
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: %s SECONDS MIDI_SOURCE_PORT NAME=AUDIO_PORT [NAME=AUDIO_PORT ...]\n", argv[0]);
        return 2;
    }
    const double seconds = std::atof(argv[1]);
    jack_status_t status{};
    g_client = jack_client_open("midi-probe", JackNoStartServer, &status);
    if (!g_client) {
        std::fprintf(stderr, "no JACK server\n");
        return 1;
    }
    g_midi = jack_port_register(g_client, "midi", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
    for (int i = 3; i < argc; ++i) {
        const std::string arg = argv[i];
        const auto eq = arg.find('=');
        auto* t = new Track;
        t->name = arg.substr(0, eq);
        t->source = arg.substr(eq + 1);
        t->port = jack_port_register(g_client, t->name.c_str(), JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
        g_tracks.push_back(t);
    }
    jack_set_process_callback(g_client, &process, nullptr);
    if (jack_activate(g_client) != 0)
        return 1;
    if (jack_connect(g_client, argv[2], jack_port_name(g_midi)) != 0) {
        std::fprintf(stderr, "cannot connect %s\n", argv[2]);
        return 1;
    }
    for (Track* t : g_tracks)
        if (jack_connect(g_client, t->source.c_str(), jack_port_name(t->port)) != 0) {
            std::fprintf(stderr, "cannot connect %s\n", t->source.c_str());
            return 1;
        }
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    jack_deactivate(g_client);
    const std::size_t notes = g_noteCount.load();
    std::printf("rate %u Hz, period %u frames, %zu note-ons\n", jack_get_sample_rate(g_client),
                jack_get_buffer_size(g_client), notes);
    for (Track* t : g_tracks) {
        const std::size_t n = t->count.load();
        std::vector<std::int64_t> latency;
        std::size_t o = 0;
        for (std::size_t k = 0; k < notes; ++k) {
            // The first onset at or after this note-on and before the next one.
            while (o < n && t->onsets[o] < g_notes[k])
                ++o;
            const std::int64_t next = k + 1 < notes ? g_notes[k + 1] : INT64_MAX;
            if (o < n && t->onsets[o] < next)
                latency.push_back(t->onsets[o] - g_notes[k]);
        }
        if (latency.empty()) {
            std::printf("%-10s no onsets matched (%zu onsets)\n", t->name.c_str(), n);
            continue;
        }
        const auto [lo, hi] = std::minmax_element(latency.begin(), latency.end());
        double mean = 0.0;
        for (std::int64_t l : latency)
            mean += static_cast<double>(l);
        mean /= static_cast<double>(latency.size());
        const double rate = jack_get_sample_rate(g_client);
        std::printf("%-10s %zu of %zu notes sounded; latency min %lld max %lld mean %.2f frames (%.2f ms); jitter %lld frames\n",
                    t->name.c_str(), latency.size(), notes, static_cast<long long>(*lo), static_cast<long long>(*hi), mean,
                    1000.0 * mean / rate, static_cast<long long>(*hi - *lo));
    }
    jack_client_close(g_client);
    return 0;
}
