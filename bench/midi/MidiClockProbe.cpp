// An independent JACK client that plays a MIDI clock and measures where a synth's steps land: its
// MIDI output sends start, then a timing clock (24 a beat) at BPM for the first half of the run and
// at BPM2 for the second, each tick at its exact frame rounded to a sample (so ticks fall on every
// offset inside a period); its audio input listens to the synth's step gate (Chronus's `clock`
// following MIDI, its `step` output on a channel). It pairs every sixteenth's tick (every sixth)
// with the first rising edge above 0.5 at or after it and before the next sixteenth's, and prints
// the latency in frames (minimum, maximum: their difference is the jitter; mean), the steps that
// had no edge and the edges that matched no step. Both ends are stamped with the server's frame
// time in the probe's own callback: the figures include all of the synth's buffering.
//
// midi_clock_probe SECONDS BPM BPM2 AUDIO_PORT

#include <jack/jack.h>
#include <jack/midiport.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

constexpr std::size_t kMaxEvents = 1 << 16;
constexpr int kTicksPerBeat = 24;

jack_client_t* g_client = nullptr;
jack_port_t* g_out = nullptr;
jack_port_t* g_in = nullptr;
double g_bpm = 120.0, g_bpm2 = 120.0;
std::int64_t g_change = 0; // the frame (from the start) where BPM2 takes over

// Process callback only, but for the counts the main thread reads after deactivating.
std::int64_t g_start = -1; // the frame of the start message and of tick 0
std::int64_t g_tick = 0;   // the next tick to send
std::vector<std::int64_t> g_ticks(kMaxEvents);
std::atomic<std::size_t> g_tickCount{0};
std::vector<std::int64_t> g_edges(kMaxEvents);
std::atomic<std::size_t> g_edgeCount{0};
float g_previous = 0.0f;

// The frame of tick `n` from the start: BPM's spacing until the change, BPM2's after it.
std::int64_t tickFrame(std::int64_t n, double rate) {
    const double first = 60.0 / g_bpm / kTicksPerBeat * rate, second = 60.0 / g_bpm2 / kTicksPerBeat * rate;
    const auto before = static_cast<std::int64_t>(std::ceil(static_cast<double>(g_change) / first));
    if (n <= before)
        return std::llround(static_cast<double>(n) * first);
    return std::llround(static_cast<double>(before) * first + static_cast<double>(n - before) * second);
}

int process(jack_nframes_t frames, void*) {
    const std::int64_t cycle = jack_last_frame_time(g_client);
    const double rate = jack_get_sample_rate(g_client);
    void* out = jack_port_get_buffer(g_out, frames);
    jack_midi_clear_buffer(out);
    if (g_start < 0) {
        if (jack_port_connected(g_out) == 0)
            return 0; // the synth has not connected to us yet: start when it has
        g_start = cycle + 11; // a little inside the first period
        const jack_midi_data_t start = 0xFA;
        jack_midi_event_write(out, 11, &start, 1);
    }
    for (;;) {
        const std::int64_t at = g_start + tickFrame(g_tick, rate);
        if (at >= cycle + frames)
            break;
        // A tick whose frame the server skipped (an xrun jumps the frame time) goes out at once
        // and is timed from there: a lost tick would shift every step after it.
        const std::int64_t when = std::max(at, cycle);
        const jack_midi_data_t clock = 0xF8;
        if (jack_midi_event_write(out, static_cast<jack_nframes_t>(when - cycle), &clock, 1) != 0)
            break; // no room in this period's buffer: the next period sends it
        const std::size_t n = g_tickCount.load(std::memory_order_relaxed);
        if (n < kMaxEvents) {
            g_ticks[n] = when;
            g_tickCount.store(n + 1, std::memory_order_release);
        }
        ++g_tick;
    }
    const auto* x = static_cast<const float*>(jack_port_get_buffer(g_in, frames));
    for (jack_nframes_t i = 0; i < frames; ++i) {
        if (x[i] > 0.5f && g_previous <= 0.5f) {
            const std::size_t n = g_edgeCount.load(std::memory_order_relaxed);
            if (n < kMaxEvents) {
                g_edges[n] = cycle + i;
                g_edgeCount.store(n + 1, std::memory_order_release);
            }
        }
        g_previous = x[i];
    }
    return 0;
}

void report(const char* what, const std::vector<std::int64_t>& latency) {
    if (latency.empty()) {
        std::printf("%s: no steps matched\n", what);
        return;
    }
    const auto [lo, hi] = std::minmax_element(latency.begin(), latency.end());
    double mean = 0.0;
    for (std::int64_t l : latency)
        mean += static_cast<double>(l);
    mean /= static_cast<double>(latency.size());
    std::printf("%s: %zu steps; latency min %lld max %lld mean %.2f frames (%.2f ms); jitter %lld frames\n", what,
                latency.size(), static_cast<long long>(*lo), static_cast<long long>(*hi), mean,
                1000.0 * mean / jack_get_sample_rate(g_client), static_cast<long long>(*hi - *lo));
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 5) {
        std::fprintf(stderr, "usage: %s SECONDS BPM BPM2 AUDIO_PORT\n", argv[0]);
        return 2;
    }
    const double seconds = std::atof(argv[1]);
    g_bpm = std::atof(argv[2]);
    g_bpm2 = std::atof(argv[3]);
    jack_status_t status{};
    g_client = jack_client_open("clock-probe", JackNoStartServer, &status);
    if (!g_client) {
        std::fprintf(stderr, "no JACK server\n");
        return 1;
    }
    g_change = static_cast<std::int64_t>(seconds / 2.0 * jack_get_sample_rate(g_client));
    g_out = jack_port_register(g_client, "out", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
    g_in = jack_port_register(g_client, "in", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
    jack_set_process_callback(g_client, &process, nullptr);
    if (jack_activate(g_client) != 0)
        return 1;
    if (jack_connect(g_client, argv[4], jack_port_name(g_in)) != 0) {
        std::fprintf(stderr, "cannot connect %s\n", argv[4]);
        return 1;
    }
    // The synth connects itself to our output (chronus play --midi-in clock-probe); give it time to.
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    jack_deactivate(g_client);
    const std::size_t ticks = g_tickCount.load(), edges = g_edgeCount.load();
    std::printf("rate %u Hz, period %u frames, %zu ticks (%.0f then %.0f BPM), %zu rising edges\n",
                jack_get_sample_rate(g_client), jack_get_buffer_size(g_client), ticks, g_bpm, g_bpm2, edges);
    // The last steps' edges may still be on their way when the run ends: not counted as missing.
    const std::int64_t tail = static_cast<std::int64_t>(0.05 * jack_get_sample_rate(g_client));
    std::vector<std::int64_t> first, second;
    std::size_t missing = 0, matched = 0, e = 0;
    for (std::size_t k = 0; k < ticks; k += 6) {
        if (g_ticks[k] > g_ticks[ticks - 1] - tail)
            break;
        while (e < edges && g_edges[e] < g_ticks[k])
            ++e;
        const std::int64_t next = k + 6 < ticks ? g_ticks[k + 6] : INT64_MAX;
        if (e < edges && g_edges[e] < next) {
            (g_ticks[k] - g_start < g_change ? first : second).push_back(g_edges[e] - g_ticks[k]);
            ++matched;
            ++e;
        } else {
            ++missing;
        }
    }
    report("first tempo ", first);
    report("second tempo", second);
    std::printf("steps without an edge %zu; edges in all %zu, matched %zu\n", missing, edges, matched);
    jack_client_close(g_client);
    return 0;
}
