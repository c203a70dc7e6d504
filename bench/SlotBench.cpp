// chronus_slot_bench: benchmarks of the dual-slot engine through its public API, played by
// the drivers the application uses. See BENCHMARKS.md ("Dual-slot engine") for the method and the
// figures; bench/run.sh runs every mode.
//
//   prime     prime time and commit latency for patches of 4, 64 and 1024 modules, NullDriver at
//             64-frame blocks, 48 kHz
//   failover  a 200 ms stall injected into the active worker: time to the switch, none-reads, the
//             largest sample step across it, whether the controller follows; --not-in-step: with a
//             mirror that plays the committed patch but not in step (a knob turned between prime
//             and commit)
//   latency   output latency at 64-frame blocks for ring targets 1 to 4 (NullDriver and JACK dummy)
//   jack-idle the same JACK server with a callback that writes silence: the xrun floor
//   soak      JACK dummy server at 64 frames: 1 commit/s and 100 live parameter changes/s for
//             --seconds; none-reads, xruns, occupancy, DSP load per slot, RSS at start and end
//   music     a patch file (an example track): offline render speed (OfflineRenderer, --reps runs of
//             --render-seconds) and the implied single-core DSP load; then --seconds live in the
//             default configuration (hot mirror: both slots render) on a JACK dummy server at 64
//             frames (NullDriver with --null or without jackd): DSP load per slot, none-reads, xruns;
//             --offline-only: the offline part alone (run under callgrind by bench/run.sh music, with
//             --toggle-collect on OfflineRenderer::renderInto: the track's instructions per sample)
//   voices    the reference voice workload (BENCHMARKS.md) live in the default configuration on a JACK
//             dummy server (NullDriver with --null or without jackd), with worker threads and worker
//             processes alternating, at each of --voice-counts: the engine's CPU time per second
//             (this process plus the worker processes) and its context switches, voices per core, each
//             slot's DSP load and the engine's CPU outside the render per block
//   kill      worker processes, a patch file playing (--patch): kill -9 of the active worker --reps
//             times: to the supervisor's death notice, to the callback that plays the mirror, to the
//             dead slot's successor being an in-step mirror; none-reads
//   prime, failover and soak take --workers threads|processes (default threads).
//
// Prints Markdown tables (readable as plain text) and PASS/FAIL against the bars. Exit status: 0 all
// bars pass, 1 a bar fails, 2 the benchmark could not run, 77 skipped (soak/latency without jackd).

#include "audio/AudioCallback.hpp"
#include "audio/NullDriver.hpp"
#include "audio/OpenDriver.hpp"
#include "app/EngineStatus.hpp"
#include "app/PatchFile.hpp"
#include "engine/OfflineRenderer.hpp"
#include "engine/PatchGraph.hpp"
#include "engine/SlotEngine.hpp"

#include <dirent.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace chronus;
using engine::EngineConfig;
using engine::EngineStats;
using engine::PatchGraph;
using engine::SlotEngine;
using Clock = std::chrono::steady_clock;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kRate = 48000.0;
constexpr int kBlock = 64;
constexpr double kBlockMs = 1000.0 * kBlock / kRate; // 1.333 ms

// Bars (the issue).
constexpr double kPrimeBarMs = 5.0;          // prime of 64 modules
constexpr double kCommitSlackBlocks = 2.0;   // commit latency <= prime + 2 blocks
constexpr double kFailoverBarBlocks = 3.0;   // switched within 3 blocks of the stall being detectable
constexpr double kLatencyBarMs = 4.0;        // output latency at 64-frame blocks

std::int64_t nowNs() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}
double msBetween(std::int64_t a, std::int64_t b) { return static_cast<double>(b - a) * 1e-6; }

// Engine and driver threads may still run: leave without running destructors.
[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "chronus_slot_bench: %s\n", what.c_str());
    std::fflush(stdout);
    std::fflush(stderr);
    std::_Exit(2);
}
void check(const engine::Status& s, const std::string& what) {
    if (!s)
        die(what + ": " + s.message());
}
template <class T> T take(engine::Result<T> r, const std::string& what) {
    check(r.status(), what);
    return std::move(r).value();
}

std::string fmt(const char* f, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, f);
    std::vsnprintf(buf, sizeof buf, f, ap);
    va_end(ap);
    return buf;
}

void logLine(const std::string& s) {
    std::fprintf(stderr, "[slot-bench] %s\n", s.c_str());
    std::fflush(stderr);
}

double median(std::vector<double> v) {
    if (v.empty())
        return kNaN;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}
double maxOf(const std::vector<double>& v) { return v.empty() ? kNaN : *std::max_element(v.begin(), v.end()); }
double minOf(const std::vector<double>& v) { return v.empty() ? kNaN : *std::min_element(v.begin(), v.end()); }

long rssKiB() {
    std::ifstream f("/proc/self/status");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("VmRSS:", 0) == 0)
            return std::atol(line.c_str() + 6);
    return -1;
}

const char* verdict(bool ok) { return ok ? "PASS" : "**FAIL**"; }

// ------------------------------------------------------------------------------------------------
// Patches. A voice is four modules: oscillator -> filter (svf low-pass or biquad, alternating) -> vca,
// with its own LFO on the vca's CV (tremolo). Voices are summed by a tree of 4-input mixers (each at
// master level 0.25, so the sum stays at voice level) into `out`. Module counts that a whole number of
// voices plus their mixers cannot reach exactly get extra biquads in the first voices' chains. Every
// module is on a path to `out`. Two variants differ: with `newStructure` the oscillator types rotate
// with `variant` (a structural edit: the standby compiles a new plan at prime), otherwise only the
// oscillators' frequencies move (a parameter edit, which the engine may prime in place).

int mixersFor(int sources) {
    int total = 0;
    while (sources > 1) {
        sources = (sources + 3) / 4;
        total += sources;
    }
    return total;
}

struct BuiltPatch {
    PatchGraph graph;
    int voices = 0;
    int extraFilters = 0;
    std::vector<std::string> filters; // filter module ids (live targets: "cutoff")
};

BuiltPatch buildPatch(int modules, int variant, bool newStructure = true) {
    if (modules < 4)
        die("a patch needs at least 4 modules");
    BuiltPatch p;
    int v = 1;
    while (4 * (v + 1) + mixersFor(v + 1) <= modules)
        ++v;
    p.voices = v;
    p.extraFilters = modules - (4 * v + mixersFor(v));
    if (p.extraFilters > v)
        die("cannot build a patch of " + std::to_string(modules) + " modules");
    PatchGraph& g = p.graph;
    static const char* const kOsc[] = {"sine", "saw", "square", "triangle"};
    const double detune = 1.0 + 0.0005 * (variant % 64);
    std::vector<std::string> sources;
    for (int i = 0; i < v; ++i) {
        const std::string n = std::to_string(i);
        const std::string osc = "osc" + n, filt = "flt" + n, lfo = "lfo" + n, vca = "vca" + n;
        check(g.addModule(osc, kOsc[(i + (newStructure ? variant : 0)) % 4]), "add osc");
        check(g.setParam(osc, "freq", 110.0 * std::exp2((i % 37) / 12.0) * detune).status(), "osc freq");
        check(g.setParam(osc, "gain", 0.4).status(), "osc gain");
        const bool svf = i % 2 == 0;
        check(g.addModule(filt, svf ? "svf" : "biquad"), "add filter");
        check(g.setParam(filt, "cutoff", 600.0 + 150.0 * (i % 20)).status(), "filter cutoff");
        check(g.setParam(filt, "q", 1.2).status(), "filter q");
        check(g.addModule(lfo, "lfo"), "add lfo");
        check(g.setParam(lfo, "rate", 0.3 + 0.13 * (i % 11)).status(), "lfo rate");
        check(g.setParam(lfo, "depth", 0.4).status(), "lfo depth");
        check(g.setParam(lfo, "offset", 0.6).status(), "lfo offset");
        check(g.addModule(vca, "vca"), "add vca");
        check(g.connect(osc, filt + ".in"), "osc -> filter");
        std::string last = svf ? filt + ".lp" : filt;
        if (i < p.extraFilters) {
            const std::string extra = "eq" + n;
            check(g.addModule(extra, "biquad"), "add extra biquad");
            check(g.setParam(extra, "cutoff", 6000.0).status(), "extra cutoff");
            check(g.connect(last, extra + ".in"), "filter -> extra");
            last = extra;
        }
        check(g.connect(last, vca + ".in"), "filter -> vca");
        check(g.connect(lfo, vca + ".cv"), "lfo -> vca cv");
        p.filters.push_back(filt);
        sources.push_back(vca);
    }
    for (int level = 0; sources.size() > 1; ++level) {
        std::vector<std::string> next;
        for (std::size_t j = 0; j < sources.size(); j += 4) {
            const std::string mix = "mix" + std::to_string(level) + "_" + std::to_string(j / 4);
            check(g.addModule(mix, "mixer"), "add mixer");
            check(g.setParam(mix, "level", 0.25).status(), "mixer level");
            for (std::size_t k = 0; k < 4 && j + k < sources.size(); ++k)
                check(g.connect(sources[j + k], mix + ".in" + std::to_string(k + 1)), "-> mixer");
            next.push_back(mix);
        }
        sources = std::move(next);
    }
    check(g.connect(sources.front(), "out"), "-> out");
    const int count = static_cast<int>(g.nodes().size()) - 1; // without `out`
    if (count != modules)
        die("patch builder made " + std::to_string(count) + " modules, not " + std::to_string(modules));
    return p;
}

// What SlotEngine::loadPending sends to the standby, one edit each (see sendGraph): a clear, one
// add per module, one set per parameter off its default, one connect per cable.
std::uint64_t editsToLoad(const PatchGraph& g) {
    std::uint64_t n = 1;
    for (const engine::PatchNode& node : g.nodes()) {
        if (node.id != "out")
            ++n;
        for (std::size_t p = 0; p < node.params.size(); ++p)
            if (node.params[p] != static_cast<double>(node.type->params[p].def))
                ++n;
    }
    return n + g.cables().size();
}

template <class F> bool waitUntil(F&& condition, double timeoutMs, int pollUs = 200) {
    const auto deadline = Clock::now() + std::chrono::microseconds(static_cast<long>(timeoutMs * 1000.0));
    while (!condition()) {
        if (Clock::now() > deadline)
            return false;
        std::this_thread::sleep_for(std::chrono::microseconds(pollUs));
    }
    return true;
}

// loadPending, then wait until the standby worker has applied every edit (so a prime measured next
// measures the prime, not the queue of edits in front of it).
engine::Status tryLoadAndSettle(SlotEngine& e, const PatchGraph& g) {
    const int standby = 1 - e.activeSlot();
    const std::uint64_t before = e.stats().slot[static_cast<std::size_t>(standby)].editsApplied;
    if (engine::Status s = e.loadPending(g); !s)
        return s;
    const std::uint64_t want = before + editsToLoad(g);
    if (!waitUntil([&] { return e.stats().slot[static_cast<std::size_t>(standby)].editsApplied >= want; }, 20000))
        return engine::Status::error(engine::ErrorCode::Timeout, "the standby did not apply the loaded patch's edits in 20 s");
    return {};
}
void loadAndSettle(SlotEngine& e, const PatchGraph& g) { check(tryLoadAndSettle(e, g), "loadPending"); }

// One line on the engine's state, for reports of what went wrong.
std::string engineState(SlotEngine& e) {
    const EngineStats s = e.stats();
    return fmt("controller's active slot %d, callback's active slot %d; slot 0 %s%s, slot 1 %s%s; failovers %llu, "
               "stalls %llu, rebuilds %llu, fading %s",
               e.activeSlot(), s.activeSlot, engine::slotStateName(s.slot[0].state), s.slot[0].inStep ? " (in step)" : "",
               engine::slotStateName(s.slot[1].state), s.slot[1].inStep ? " (in step)" : "",
               static_cast<unsigned long long>(s.failovers), static_cast<unsigned long long>(s.stalls),
               static_cast<unsigned long long>(s.rebuilds), s.fading ? "yes" : "no");
}

bool waitMirrorInStep(SlotEngine& e, double timeoutMs = 5000) {
    return waitUntil(
        [&] {
            const EngineStats s = e.stats();
            return s.slot[static_cast<std::size_t>(1 - s.activeSlot)].inStep && !s.fading;
        },
        timeoutMs, 500);
}

// ------------------------------------------------------------------------------------------------
// The callback: plays the engine and observes it, RT-safe (fixed buffers, atomics, lock-free stats).
// - records when a fade starts (the callback in which the first faded sample is written);
// - optionally records the output (interleaved) and a per-callback trace;
// - keeps the active ring's occupancy before each read (min, max, histogram), the device's xrun
//   flags, and the time engine.process() takes.

struct TraceEntry {
    std::int64_t tNs = 0;        // callback start
    std::uint64_t recFrame = 0;  // frames recorded before this callback
    int active = 0;              // after the callback
    std::uint64_t failovers = 0, stalls = 0, noneReads = 0;
    std::array<double, 2> occupancy{}; // blocks, after the callback
    std::array<std::uint64_t, 2> blocks{};
};

// A callback in which a none-read was counted: what the engine looked like around it.
struct NoneReadEvent {
    std::int64_t tNs = 0;
    int activeBefore = 0, activeAfter = 0;
    bool fadingBefore = false, fadingAfter = false;
    std::array<std::uint64_t, 2> added{};  // none-reads counted in this callback, per slot
    std::array<double, 2> occupancy{};     // blocks, before the callback
    std::array<engine::SlotState, 2> state{};
    std::uint64_t failoversAfter = 0;
};

class BenchCallback final : public audio::AudioCallback {
public:
    static constexpr std::size_t kMaxNoneReadEvents = 64;
    static constexpr int kHistBins = 17; // occupancy in whole blocks 0..15, 16+

    BenchCallback(SlotEngine& engine, std::size_t recordFrames, std::size_t traceEntries)
        : m_engine(engine), m_record(2 * recordFrames), m_trace(traceEntries) {}

    void process(float* out, const audio::CallbackInfo& info) noexcept override {
        const std::int64_t t0 = nowNs();
        if (info.xrun)
            m_xrunFlags.fetch_add(1, std::memory_order_relaxed);
        if (m_resetOccupancy.exchange(false, std::memory_order_acq_rel)) {
            m_occMin = 1e9;
            m_occMax = 0.0;
            m_hist.fill(0);
            m_procMaxNs = 0;
            m_procSumNs = 0;
            m_procCalls = 0;
        }
        const EngineStats before = m_engine.stats();
        const double occ = before.slot[static_cast<std::size_t>(before.activeSlot)].occupancy;
        m_occMin = std::min(m_occMin, occ);
        m_occMax = std::max(m_occMax, occ);
        ++m_hist[static_cast<std::size_t>(std::clamp(static_cast<int>(occ), 0, kHistBins - 1))];

        const std::int64_t tp = nowNs();
        m_engine.process(out, info.frames);
        const std::int64_t t1 = nowNs();
        m_procMaxNs = std::max(m_procMaxNs, t1 - tp);
        m_procSumNs += t1 - tp;
        ++m_procCalls;

        const EngineStats after = m_engine.stats();
        if (after.slot[0].noneReads + after.slot[1].noneReads != before.slot[0].noneReads + before.slot[1].noneReads) {
            const std::size_t i = m_noneEventCount.load(std::memory_order_relaxed);
            if (i < kMaxNoneReadEvents) {
                NoneReadEvent& ev = m_noneEvents[i];
                ev.tNs = t0;
                ev.activeBefore = before.activeSlot;
                ev.activeAfter = after.activeSlot;
                ev.fadingBefore = before.fading;
                ev.fadingAfter = after.fading;
                for (std::size_t s = 0; s < 2; ++s) {
                    ev.added[s] = after.slot[s].noneReads - before.slot[s].noneReads;
                    ev.occupancy[s] = before.slot[s].occupancy;
                    ev.state[s] = before.slot[s].state;
                }
                ev.failoversAfter = after.failovers;
                m_noneEventCount.store(i + 1, std::memory_order_release);
            }
        }
        if (after.fading && !before.fading) {
            m_fadeStartNs.store(t0, std::memory_order_relaxed);
            m_fadeStarts.fetch_add(1, std::memory_order_release);
        }
        const std::size_t recorded = m_recFrames.load(std::memory_order_relaxed);
        if (m_traceArmed.load(std::memory_order_acquire)) {
            const std::size_t i = m_traceCount.load(std::memory_order_relaxed);
            if (i < m_trace.size()) {
                TraceEntry& t = m_trace[i];
                t.tNs = t0;
                t.recFrame = recorded;
                t.active = after.activeSlot;
                t.failovers = after.failovers;
                t.stalls = after.stalls;
                t.noneReads = after.slot[0].noneReads + after.slot[1].noneReads;
                for (std::size_t s = 0; s < 2; ++s) {
                    t.occupancy[s] = after.slot[s].occupancy;
                    t.blocks[s] = after.slot[s].blocksRendered;
                }
                m_traceCount.store(i + 1, std::memory_order_release);
            }
        }
        if (m_recArmed.load(std::memory_order_acquire)) {
            const std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(info.frames), m_record.size() / 2 - recorded);
            std::copy(out, out + 2 * n, m_record.begin() + static_cast<std::ptrdiff_t>(2 * recorded));
            m_recFrames.store(recorded + n, std::memory_order_release);
        }
        m_calls.fetch_add(1, std::memory_order_release);
    }

    // Control thread.
    void waitCalls(std::uint64_t n) const {
        const std::uint64_t until = m_calls.load(std::memory_order_acquire) + n;
        waitUntil([&] { return m_calls.load(std::memory_order_acquire) >= until; }, 5000, 200);
    }
    void arm() {
        m_recArmed.store(false, std::memory_order_release);
        m_traceArmed.store(false, std::memory_order_release);
        waitCalls(2);
        m_recFrames.store(0, std::memory_order_release);
        m_traceCount.store(0, std::memory_order_release);
        m_traceArmed.store(true, std::memory_order_release);
        m_recArmed.store(true, std::memory_order_release);
    }
    bool waitRecorded(std::size_t frames) const {
        return waitUntil([&] { return m_recFrames.load(std::memory_order_acquire) >= frames; }, 10000, 500);
    }
    void disarm() {
        m_recArmed.store(false, std::memory_order_release);
        m_traceArmed.store(false, std::memory_order_release);
        waitCalls(2);
    }
    std::vector<float> left() const {
        const std::size_t n = m_recFrames.load(std::memory_order_acquire);
        std::vector<float> l(n);
        for (std::size_t i = 0; i < n; ++i)
            l[i] = m_record[2 * i];
        return l;
    }
    std::vector<TraceEntry> trace() const {
        return {m_trace.begin(), m_trace.begin() + static_cast<std::ptrdiff_t>(m_traceCount.load(std::memory_order_acquire))};
    }
    std::uint64_t fadeStarts() const { return m_fadeStarts.load(std::memory_order_acquire); }
    std::vector<NoneReadEvent> noneReadEvents() const {
        return {m_noneEvents.begin(),
                m_noneEvents.begin() + static_cast<std::ptrdiff_t>(m_noneEventCount.load(std::memory_order_acquire))};
    }
    std::int64_t fadeStartNs() const { return m_fadeStartNs.load(std::memory_order_relaxed); }
    std::uint64_t xrunFlags() const { return m_xrunFlags.load(std::memory_order_relaxed); }
    std::uint64_t calls() const { return m_calls.load(std::memory_order_acquire); }

    // Occupancy and callback-cost figures since the last reset. Read after the driver stopped (or
    // accept a torn read of plain doubles written by the audio thread: these are only printed).
    void resetOccupancy() { m_resetOccupancy.store(true, std::memory_order_release); }
    double occMin() const { return m_occMin; }
    double occMax() const { return m_occMax; }
    const std::array<std::uint64_t, kHistBins>& histogram() const { return m_hist; }
    double procMaxUs() const { return static_cast<double>(m_procMaxNs) * 1e-3; }
    double procMeanUs() const { return m_procCalls ? static_cast<double>(m_procSumNs) * 1e-3 / static_cast<double>(m_procCalls) : 0.0; }

private:
    SlotEngine& m_engine;
    std::vector<float> m_record;
    std::vector<TraceEntry> m_trace;
    std::atomic<bool> m_recArmed{false}, m_traceArmed{false}, m_resetOccupancy{false};
    std::atomic<std::size_t> m_recFrames{0}, m_traceCount{0};
    std::atomic<std::uint64_t> m_calls{0}, m_fadeStarts{0}, m_xrunFlags{0};
    std::atomic<std::int64_t> m_fadeStartNs{0};
    std::array<NoneReadEvent, kMaxNoneReadEvents> m_noneEvents{};
    std::atomic<std::size_t> m_noneEventCount{0};
    // Audio thread only (see above).
    double m_occMin = 1e9, m_occMax = 0.0;
    std::array<std::uint64_t, kHistBins> m_hist{};
    std::int64_t m_procMaxNs = 0, m_procSumNs = 0;
    std::uint64_t m_procCalls = 0;
};

// ------------------------------------------------------------------------------------------------
// A private JACK server (`jackd -d dummy -r 48000 -p 64`) under a name of its own, as
// tests/audio/tst_audio_jack.cpp does; it dies with this process.

class JackServer {
public:
    ~JackServer() { stop(); }
    static std::string find(const std::string& hint) {
        if (!hint.empty())
            return access(hint.c_str(), X_OK) == 0 ? hint : std::string();
        if (const char* path = std::getenv("PATH")) {
            std::stringstream ss(path);
            std::string dir;
            while (std::getline(ss, dir, ':'))
                if (!dir.empty() && access((dir + "/jackd").c_str(), X_OK) == 0)
                    return dir + "/jackd";
        }
        return {};
    }
    // Starts the server and waits until a JACK driver opens on it. Returns the opened driver.
    std::unique_ptr<audio::AudioDriver> start(const std::string& jackd, const std::string& logPath,
                                              const audio::DriverConfig& config, std::string& error,
                                              int priority = 0) {
        m_name = "chronus-bench-" + std::to_string(getpid());
        setenv("JACK_DEFAULT_SERVER", m_name.c_str(), 1);
        setenv("JACK_NO_AUDIO_RESERVATION", "1", 1);
        const std::string rate = std::to_string(static_cast<int>(kRate)), period = std::to_string(kBlock);
        m_pid = fork();
        if (m_pid < 0) {
            error = "fork failed";
            return nullptr;
        }
        if (m_pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            if (!logPath.empty())
                if (FILE* f = std::freopen(logPath.c_str(), "w", stdout))
                    dup2(fileno(f), 2);
            if (priority > 0) {
                const std::string p = std::to_string(priority);
                execl(jackd.c_str(), jackd.c_str(), "-n", m_name.c_str(), "-P", p.c_str(), "-d", "dummy", "-r",
                      rate.c_str(), "-p", period.c_str(), static_cast<char*>(nullptr));
            } else {
                execl(jackd.c_str(), jackd.c_str(), "-n", m_name.c_str(), "-d", "dummy", "-r", rate.c_str(), "-p",
                      period.c_str(), static_cast<char*>(nullptr));
            }
            _exit(127);
        }
        const auto deadline = Clock::now() + std::chrono::seconds(10);
        for (;;) {
            auto opened = audio::openDriver("jack", config);
            if (opened)
                return std::move(opened.value().driver);
            int status = 0;
            if (waitpid(m_pid, &status, WNOHANG) == m_pid) {
                m_pid = -1;
                error = "jackd exited (see " + logPath + "): " + opened.status().message();
                return nullptr;
            }
            if (Clock::now() > deadline) {
                error = "no JACK driver opened within 10 s: " + opened.status().message();
                return nullptr;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
    void stop() {
        if (m_pid <= 0)
            return;
        kill(m_pid, SIGTERM);
        for (int i = 0; i < 100; ++i) {
            if (waitpid(m_pid, nullptr, WNOHANG) == m_pid) {
                m_pid = -1;
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        kill(m_pid, SIGKILL);
        waitpid(m_pid, nullptr, 0);
        m_pid = -1;
    }
    const std::string& name() const { return m_name; }

private:
    pid_t m_pid = -1;
    std::string m_name;
};

// ------------------------------------------------------------------------------------------------
struct Options {
    std::string mode;
    int reps = 10;
    std::vector<int> sizes{4, 64, 1024};
    double seconds = 30.0;
    int ringTarget = EngineConfig{}.ringTargetBlocks; // the engine's default unless --ring-target
    std::string jackd;
    std::string csv;
    std::string jackLog;
    int workerPriority = -1; // -1: the engine's default (SCHED_FIFO 60); 0: no real-time workers
    int jackPriority = 0;    // jackd -P; 0: jackd's default
    bool info = false;       // not the default configuration: bars shown, exit status 0
    bool notInStep = false;  // failover: the mirror plays the committed patch but not in step
    double paramRate = 100.0; // soak: live parameter changes per second (0: none)
    double commitEvery = 1.0; // soak: seconds between commits (0: no commits)
    std::string patch;          // music: the patch file
    double renderSeconds = 20.0; // music: audio per offline render
    bool null = false;          // music: the NullDriver even when jackd is installed
    bool offlineOnly = false;   // music: the offline render only (for callgrind)
    engine::WorkerMode workers = engine::WorkerMode::Threads; // prime, failover, soak: where the workers run
    std::vector<int> voiceCounts{16, 128, 512}; // voices: the reference voice workload's sizes
    bool noHotMirror = false;   // voices: only the active slot renders (not the default configuration)
};

struct NullRig {
    explicit NullRig(EngineConfig config, std::size_t recordFrames = 0, std::size_t trace = 0)
        : engine(config), callback(engine, recordFrames, trace) {}
    ~NullRig() {
        driver.stop();
        engine.stop();
    }
    void start() {
        check(engine.start(), "engine start");
        audio::DriverConfig dc;
        dc.sampleRate = kRate;
        dc.blockSize = kBlock;
        check(driver.start(callback, dc), "null driver start");
        callback.waitCalls(4);
    }
    SlotEngine engine;
    BenchCallback callback;
    audio::NullDriver driver;
};

// The callbacks that counted a none-read, for the report.
void printNoneReadEvents(const std::vector<NoneReadEvent>& events, std::int64_t originNs) {
    if (events.empty())
        return;
    std::printf("None-read events (the callbacks that counted one; time from the start of the benchmark):\n\n");
    std::printf("| t (s) | active before -> after | fading before -> after | none-reads added slot 0 / 1 | occupancy "
                "before, slot 0 / 1 (blocks) | state before, slot 0 / 1 | failovers after |\n"
                "|---:|---|---|---|---|---|---:|\n");
    for (const NoneReadEvent& e : events)
        std::printf("| %.3f | %d -> %d | %s -> %s | %llu / %llu | %.2f / %.2f | %s / %s | %llu |\n",
                    msBetween(originNs, e.tNs) * 1e-3, e.activeBefore, e.activeAfter, e.fadingBefore ? "yes" : "no",
                    e.fadingAfter ? "yes" : "no", static_cast<unsigned long long>(e.added[0]),
                    static_cast<unsigned long long>(e.added[1]), e.occupancy[0], e.occupancy[1],
                    engine::slotStateName(e.state[0]), engine::slotStateName(e.state[1]),
                    static_cast<unsigned long long>(e.failoversAfter));
    std::printf("\n");
}

std::string realtimeText(const audio::AudioDriver& d, const EngineStats& s) {
    const auto rt = d.realtimeStatus();
    return fmt("audio thread %s; workers %s/%s",
               rt.state == audio::RealtimeState::Granted ? fmt("SCHED_FIFO %d", rt.priority).c_str() : "not real-time",
               s.slot[0].realtime ? "SCHED_FIFO" : "not RT", s.slot[1].realtime ? "SCHED_FIFO" : "not RT");
}

// ------------------------------------------------------------------------------------------------
// 1. Prime time and commit latency.

int runPrime(const Options& opt) {
    std::FILE* csv = opt.csv.empty() ? nullptr : std::fopen(opt.csv.c_str(), "w");
    if (csv)
        std::fprintf(csv, "modules,edit,kind,rep,prime_ms,stats_prime_ms,commit_ms,request_to_fade_ms,commit_call_ms,"
                          "none_reads\n");
    struct Row {
        int modules, voices, cables;
        bool structural = true;
        std::vector<double> commitCall; // commit() call -> return, both kinds of commit
        std::vector<double> prime, statsPrime, commitAfter, wallAfter;          // explicit prime, then commit
        std::vector<double> primeIn, commitIn, wallIn, engineIn;                 // commit that primes
        std::uint64_t noneReads = 0, errors = 0;
        std::vector<NoneReadEvent> events;
        std::int64_t originNs = 0;
        std::string error; // what stopped this row early, with the engine's state then
        std::uint64_t failovers = 0, stalls = 0;
    };
    std::vector<Row> rows;
    std::string rtLine;
    bool allOk = true;
    for (int size : opt.sizes) {
      for (const bool structural : {true, false}) {
        EngineConfig config;
        config.workers = opt.workers;
        NullRig rig(config);
        Row row{};
        row.originNs = nowNs();
        row.structural = structural;
        rig.start();
        SlotEngine& e = rig.engine;
        row.modules = size;
        int variant = 0;
        {
            const BuiltPatch p = buildPatch(size, 0);
            row.voices = p.voices;
            row.cables = static_cast<int>(p.graph.cables().size());
        }
        // One unmeasured cycle first (the first compile of each module type fills its tables).
        loadAndSettle(e, buildPatch(size, variant++, structural).graph);
        check(e.commit().status(), "warm-up commit");
        waitMirrorInStep(e);
        const auto noneReads = [&] {
            const EngineStats s = e.stats();
            return s.slot[0].noneReads + s.slot[1].noneReads;
        };
        const std::uint64_t none0 = noneReads();
        logLine(fmt("prime/commit: %d modules (%d voices, %d cables), %s edits, %d repetitions", size, row.voices,
                    row.cables, structural ? "structural" : "parameter", opt.reps));
        for (int rep = 0; rep < opt.reps; ++rep) {
            // (a) explicit prime, then commit.
            if (engine::Status st = tryLoadAndSettle(e, buildPatch(size, variant++, structural).graph); !st) {
                row.error = fmt("rep %d: loading the patch failed: \"%s\" [%s]", rep, st.message().c_str(),
                                engineState(e).c_str());
                break;
            }
            auto primed = e.prime(std::chrono::milliseconds(10000));
            if (!primed) {
                row.error = fmt("rep %d: prime failed: \"%s\" [%s]", rep, primed.status().message().c_str(),
                                engineState(e).c_str());
                break;
            }
            const double primeMs = primed.value();
            const double statsPrime = e.stats().lastPrimeMs;
            std::this_thread::sleep_for(std::chrono::milliseconds(5)); // the primed ring is full
            const std::uint64_t fades = rig.callback.fadeStarts();
            const std::int64_t t0 = nowNs();
            auto report = e.commit(-1.0, std::chrono::milliseconds(10000));
            const std::int64_t t1 = nowNs();
            if (!report) {
                ++row.errors;
                logLine("commit failed: " + report.status().message());
                continue;
            }
            const double toFade = rig.callback.fadeStarts() > fades ? msBetween(t0, rig.callback.fadeStartNs()) : kNaN;
            row.prime.push_back(primeMs);
            row.statsPrime.push_back(statsPrime);
            row.commitAfter.push_back(report.value().commitMs);
            row.wallAfter.push_back(toFade);
            row.commitCall.push_back(msBetween(t0, t1));
            if (report.value().primeMs != 0.0)
                logLine(fmt("note: commit after an explicit prime primed again (%.3f ms)", report.value().primeMs));
            if (csv)
                std::fprintf(csv, "%d,%s,after_prime,%d,%.4f,%.4f,%.4f,%.4f,%.3f,%llu\n", size,
                             structural ? "structural" : "parameter", rep, primeMs, statsPrime,
                             report.value().commitMs, toFade, msBetween(t0, t1),
                             static_cast<unsigned long long>(noneReads() - none0));
            waitMirrorInStep(e);

            // (b) commit with an unprimed standby: it primes first.
            if (engine::Status st = tryLoadAndSettle(e, buildPatch(size, variant++, structural).graph); !st) {
                row.error = fmt("rep %d: loading the patch failed: \"%s\" [%s]", rep, st.message().c_str(),
                                engineState(e).c_str());
                break;
            }
            const std::uint64_t fades2 = rig.callback.fadeStarts();
            const std::int64_t u0 = nowNs();
            auto r2 = e.commit(-1.0, std::chrono::milliseconds(10000));
            const std::int64_t u1 = nowNs();
            if (!r2) {
                ++row.errors;
                logLine("commit failed: " + r2.status().message());
                continue;
            }
            const double toFade2 = rig.callback.fadeStarts() > fades2 ? msBetween(u0, rig.callback.fadeStartNs()) : kNaN;
            row.primeIn.push_back(r2.value().primeMs);
            row.commitIn.push_back(r2.value().commitMs);
            row.engineIn.push_back(r2.value().primeMs + r2.value().commitMs);
            row.wallIn.push_back(toFade2);
            row.commitCall.push_back(msBetween(u0, u1));
            if (csv)
                std::fprintf(csv, "%d,%s,including_prime,%d,%.4f,%.4f,%.4f,%.4f,%.3f,%llu\n", size,
                             structural ? "structural" : "parameter", rep, r2.value().primeMs,
                             e.stats().lastPrimeMs, r2.value().commitMs, toFade2, msBetween(u0, u1),
                             static_cast<unsigned long long>(noneReads() - none0));
            waitMirrorInStep(e);
        }
        row.noneReads = noneReads() - none0;
        row.events = rig.callback.noneReadEvents();
        row.failovers = e.stats().failovers;
        row.stalls = e.stats().stalls;
        if (!row.error.empty())
            logLine(fmt("%d modules: stopped early: %s", size, row.error.c_str()));
        if (rtLine.empty())
            rtLine = realtimeText(rig.driver, e.stats());
        rows.push_back(std::move(row));
      }
    }
    if (csv)
        std::fclose(csv);

    std::printf("### Prime time and commit latency (NullDriver, %d-frame blocks, %.0f Hz; %d repetitions; workers: "
                "%s; %s)\n\n",
                kBlock, kRate, opt.reps, engine::workerModeName(opt.workers), rtLine.c_str());
    std::printf("Times in ms, median / max. 2 blocks = %.2f ms. Structural edit: the oscillator types change (the "
                "standby compiles a new plan); parameter edit: only oscillator frequencies change.\n\n",
                2 * kBlockMs);
    std::printf("| modules (voices, cables), edit | prime() | stats().lastPrimeMs | commit after explicit prime: "
                "commitMs | same, measured: commit() call -> fade's first callback | commit that primes: primeMs | "
                "its commitMs | its primeMs + commitMs | measured: commit() call -> fade's first callback | "
                "commit() returns after | none-reads | errors |\n");
    std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    auto mm = [](const std::vector<double>& v) { return fmt("%.3f / %.3f", median(v), maxOf(v)); };
    auto label = [](const Row& r) {
        return fmt("%d (%d, %d), %s", r.modules, r.voices, r.cables, r.structural ? "structural" : "parameter");
    };
    for (const Row& r : rows)
        std::printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %.1f / %.1f | %llu | %llu |\n", label(r).c_str(),
                    mm(r.prime).c_str(), mm(r.statsPrime).c_str(), mm(r.commitAfter).c_str(),
                    mm(r.wallAfter).c_str(), mm(r.primeIn).c_str(), mm(r.commitIn).c_str(), mm(r.engineIn).c_str(),
                    mm(r.wallIn).c_str(), median(r.commitCall), maxOf(r.commitCall),
                    static_cast<unsigned long long>(r.noneReads), static_cast<unsigned long long>(r.errors));

    std::printf("\n");
    bool anyFailover = false;
    for (const Row& r : rows)
        anyFailover |= r.failovers > 0 || r.stalls > 0;
    if (anyFailover) {
        std::printf("Failovers during these runs (nothing was injected: the supervisor saw the active worker "
                    "stall on its own):");
        for (const Row& r : rows)
            if (r.failovers > 0 || r.stalls > 0)
                std::printf(" %s: %llu stalls, %llu failovers;", label(r).c_str(),
                            static_cast<unsigned long long>(r.stalls), static_cast<unsigned long long>(r.failovers));
        std::printf("\n\n");
    }
    for (const Row& r : rows)
        if (!r.error.empty()) {
            std::printf("**%s: stopped after %zu of %d repetitions: %s**\n\n", label(r).c_str(), r.prime.size(),
                        opt.reps, r.error.c_str());
            allOk = false;
        }
    for (const Row& r : rows)
        if (!r.events.empty()) {
            std::printf("%s: ", label(r).c_str());
            printNoneReadEvents(r.events, r.originNs);
        }
    std::printf("| bar | measured | median | max |\n|---|---|---|---|\n");
    for (const Row& r : rows) {
        if (r.modules == 64) {
            const bool okMed = median(r.prime) <= kPrimeBarMs, okMax = maxOf(r.prime) <= kPrimeBarMs;
            std::printf("| prime of 64 modules <= %.0f ms, %s edit | prime() %.3f / %.3f ms | %s | %s |\n", kPrimeBarMs,
                        r.structural ? "structural" : "parameter", median(r.prime), maxOf(r.prime), verdict(okMed),
                        verdict(okMax));
            allOk &= okMed && okMax;
        }
    }
    for (const Row& r : rows) {
        // After an explicit prime, the commit itself primes nothing: its bar is 2 blocks.
        const double slack = kCommitSlackBlocks * kBlockMs;
        const bool aMed = median(r.commitAfter) <= slack, aMax = maxOf(r.commitAfter) <= slack;
        std::printf("| %s: commit latency after explicit prime <= 0 + 2 blocks (%.2f ms) | commitMs %.3f / %.3f ms "
                    "| %s | %s |\n",
                    label(r).c_str(), slack, median(r.commitAfter), maxOf(r.commitAfter), verdict(aMed), verdict(aMax));
        // Including the prime: request -> first sample of the fade, against that commit's own prime + 2 blocks.
        std::vector<double> excess;
        for (std::size_t i = 0; i < r.wallIn.size(); ++i)
            excess.push_back(r.wallIn[i] - r.primeIn[i]);
        const bool bMed = median(excess) <= slack, bMax = maxOf(excess) <= slack;
        std::printf("| %s: commit latency including prime <= its prime + 2 blocks | (call -> fade) - primeMs "
                    "%.3f / %.3f ms | %s | %s |\n",
                    label(r).c_str(), median(excess), maxOf(excess), verdict(bMed), verdict(bMax));
        allOk &= aMed && aMax && bMed && bMax;
        if (r.noneReads != 0 || r.errors != 0)
            allOk = false;
    }
    std::printf("\n");
    return allOk ? 0 : 1;
}

// ------------------------------------------------------------------------------------------------
// 2. Failover.

float largestStep(const std::vector<float>& x, std::size_t from, std::size_t to) {
    float m = 0.0f;
    for (std::size_t i = std::max<std::size_t>(from, 1); i < std::min(to, x.size()); ++i)
        m = std::max(m, std::fabs(x[i] - x[i - 1]));
    return m;
}

int runFailover(const Options& opt) {
    prctl(PR_SET_TIMERSLACK, 1UL); // fine polling
    EngineConfig config; // defaults: hot mirror, stall deadline 3 blocks (min 2 ms)
    config.ringTargetBlocks = opt.ringTarget;
    config.workers = opt.workers;
    const std::size_t recordFrames = static_cast<std::size_t>(kRate); // 1 s
    NullRig rig(config, recordFrames, 4096);
    const std::int64_t originNs = nowNs();
    rig.start();
    SlotEngine& e = rig.engine;
    const double deadlineMs = e.config().stallDeadlineMs;
    const double target = e.config().ringTargetBlocks;
    // A steady sine (constant amplitude), so a gap, a repeated or a skipped frame at the switch shows
    // as a sample step larger than the sine's own largest step.
    PatchGraph patch;
    check(patch.addModule("osc", "sine"), "add sine");
    check(patch.setParam("osc", "freq", 440.0).status(), "sine freq");
    check(patch.setParam("osc", "gain", 0.5).status(), "sine gain");
    check(patch.connect("osc", "out"), "sine -> out");
    loadAndSettle(e, patch);
    check(e.commit().status(), "commit");
    std::FILE* csv = opt.csv.empty() ? nullptr : std::fopen(opt.csv.c_str(), "w");
    if (csv)
        std::fprintf(csv, "rep,from_slot,inject_to_switch_ms,onset_to_switch_ms,detectable_to_switch_ms,"
                          "onset_to_supervisor_flag_ms,path,none_reads,steady_step,switch_step,longest_zero_run,"
                          "poll_interval_us\n");
    struct Rep {
        double injectToSwitch, onsetToSwitch, detectableToSwitch, onsetToFlag;
        bool supervisor;
        std::uint64_t noneReads;
        float steady, step;
        std::size_t zeroRun;
    };
    std::vector<Rep> reps;
    std::vector<double> pollIntervals;
    int failures = 0;
    logLine(fmt("failover: %d repetitions, stall 200 ms, deadline %.2f ms", opt.reps, deadlineMs));
    int followed = 0;
    std::string controllerError;
    for (int rep = 0; rep < opt.reps; ++rep) {
        if (opt.notInStep) {
            // A live change between prime and commit (the user turns a knob after priming): the
            // commit's timeline is then not exact (SlotEngine::sendLive clears m_primedExact), and
            // the old active comes back as a mirror of the committed patch that is not in step with
            // the active. The edit adds an idle module (a structural change, so the standby compiles a
            // new plan; the sound stays the same sine).
            patch = PatchGraph{};
            check(patch.addModule("osc", "sine"), "add sine");
            check(patch.addModule(rep % 2 ? "idleA" : "idleB", "lfo"), "add idle lfo");
            check(patch.setParam("osc", "freq", 440.0).status(), "sine freq");
            check(patch.setParam("osc", "gain", 0.5).status(), "sine gain");
            check(patch.connect("osc", "out"), "sine -> out");
            if (engine::Status st = tryLoadAndSettle(e, patch); !st) {
                controllerError = fmt("rep %d: loading a patch failed: %s [%s]", rep, st.message().c_str(), engineState(e).c_str());
                break;
            }
            if (auto r = e.prime(); !r) {
                controllerError = fmt("rep %d: prime failed: %s", rep, r.status().message().c_str());
                break;
            }
            if (auto r = e.setLive("osc", "gain", 0.5); !r) {
                controllerError = fmt("rep %d: setLive failed: %s", rep, r.status().message().c_str());
                break;
            }
            if (auto r = e.commit(); !r) {
                controllerError = fmt("rep %d: commit failed: %s [%s]", rep, r.status().message().c_str(), engineState(e).c_str());
                break;
            }
            if (!waitUntil([&] {
                    const EngineStats st = e.stats();
                    return st.slot[static_cast<std::size_t>(1 - st.activeSlot)].state == engine::SlotState::Mirror &&
                           !st.fading;
                }, 10000, 500)) {
                logLine("the mirror did not come back within 10 s");
                ++failures;
                break;
            }
        } else if (!waitMirrorInStep(e, 10000)) {
            logLine("the mirror did not come back in step within 10 s");
            ++failures;
            break;
        }
        const bool mirrorInStep = e.stats().slot[static_cast<std::size_t>(1 - e.stats().activeSlot)].inStep;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        rig.callback.arm();
        if (!rig.callback.waitRecorded(4800)) // 100 ms of steady signal
            die("recording stalled");
        EngineStats s0 = e.stats();
        const int a = s0.activeSlot;
        const std::size_t ai = static_cast<std::size_t>(a);
        std::uint64_t lastBlocks = s0.slot[ai].blocksRendered;
        std::int64_t lastProgress = nowNs(), flagNs = 0, switchPollNs = 0;
        const std::int64_t injectNs = nowNs();
        e.injectFault(a, engine::Fault::Stall, 200.0);
        std::int64_t prevPoll = injectNs;
        for (;;) {
            const EngineStats s = e.stats();
            const std::int64_t t = nowNs();
            pollIntervals.push_back(static_cast<double>(t - prevPoll) * 1e-3);
            prevPoll = t;
            if (s.failovers > s0.failovers) {
                switchPollNs = t;
                break;
            }
            // The supervisor's notion of progress: a new block, or a ring at its target.
            if (s.slot[ai].blocksRendered != lastBlocks || s.slot[ai].occupancy >= target) {
                lastBlocks = s.slot[ai].blocksRendered;
                lastProgress = t;
            }
            if (!flagNs && s.stalls > s0.stalls)
                flagNs = t;
            if (t - injectNs > 1'000'000'000)
                break;
            std::this_thread::sleep_for(std::chrono::microseconds(20));
        }
        if (!rig.callback.waitRecorded(4800 + 24000)) // 500 ms more
            die("recording stalled");
        rig.callback.disarm();
        const std::vector<float> x = rig.callback.left();
        const std::vector<TraceEntry> tr = rig.callback.trace();
        const EngineStats s1 = e.stats();
        if (!switchPollNs) {
            logLine(fmt("rep %d: no failover within 1 s", rep));
            ++failures;
            continue;
        }
        // The callback in which the output moved to the mirror.
        std::size_t k = 0;
        while (k < tr.size() && tr[k].failovers <= s0.failovers)
            ++k;
        if (k == tr.size())
            die("the trace missed the failover");
        const std::int64_t switchNs = tr[k].tNs;
        const bool supervisor = tr[k].stalls > s0.stalls;
        if (supervisor && !flagNs)
            flagNs = switchPollNs; // flagged between two polls
        Rep r{};
        r.injectToSwitch = msBetween(injectNs, switchNs);
        r.onsetToSwitch = msBetween(lastProgress, switchNs);
        r.detectableToSwitch = r.onsetToSwitch - deadlineMs;
        r.onsetToFlag = flagNs ? msBetween(lastProgress, flagNs) : kNaN;
        r.supervisor = supervisor;
        r.noneReads = (s1.slot[0].noneReads + s1.slot[1].noneReads) - (s0.slot[0].noneReads + s0.slot[1].noneReads);
        const std::size_t injectFrame = 4800;
        r.steady = largestStep(x, 0, injectFrame);
        const std::size_t at = static_cast<std::size_t>(tr[k].recFrame);
        r.step = largestStep(x, at > 480 ? at - 480 : 0, at + 480); // 10 ms either side of the switch
        std::size_t run = 0;
        for (std::size_t i = injectFrame; i < x.size(); ++i) {
            run = x[i] == 0.0f ? run + 1 : 0;
            r.zeroRun = std::max(r.zeroRun, run);
        }
        reps.push_back(r);
        if (csv)
            std::fprintf(csv, "%d,%d,%.4f,%.4f,%.4f,%.4f,%s,%llu,%.6f,%.6f,%zu,%.1f\n", rep, a, r.injectToSwitch,
                         r.onsetToSwitch, r.detectableToSwitch, r.onsetToFlag, supervisor ? "supervisor" : "dry-ring",
                         static_cast<unsigned long long>(r.noneReads), static_cast<double>(r.steady),
                         static_cast<double>(r.step), r.zeroRun, median(pollIntervals));
        // The stalled slot wakes after 200 ms and is rebuilt as the new mirror; the controller
        // follows the switch (its active slot is the callback's). Whichever slot plays by then: on a
        // loaded machine the supervisor may switch again by itself.
        const bool rebuilt = waitUntil(
            [&] {
                const EngineStats st = e.stats();
                const std::size_t standby = static_cast<std::size_t>(1 - st.activeSlot);
                return !st.fading && st.slot[standby].state == engine::SlotState::Mirror &&
                       (opt.notInStep || st.slot[standby].inStep) && e.activeSlot() == st.activeSlot;
            },
            5000, 500);
        if (rebuilt) {
            ++followed;
        } else {
            controllerError = fmt("rep %d (mirror %s in step): 5 s after the failover: %s", rep,
                                  mirrorInStep ? "was" : "was not", engineState(e).c_str());
            if (engine::Status st = tryLoadAndSettle(e, patch); !st)
                controllerError += fmt("; loading a patch then fails: \"%s\"", st.message().c_str());
            else
                controllerError += "; loading a patch then works";
            break;
        }
    }
    if (csv)
        std::fclose(csv);
    const EngineStats fin = e.stats();

    auto col = [&](auto get) {
        std::vector<double> v;
        for (const Rep& r : reps)
            v.push_back(static_cast<double>(get(r)));
        return v;
    };
    const auto inj = col([](const Rep& r) { return r.injectToSwitch; });
    const auto ons = col([](const Rep& r) { return r.onsetToSwitch; });
    const auto det = col([](const Rep& r) { return r.detectableToSwitch; });
    const auto flag = col([](const Rep& r) { return r.onsetToFlag; });
    const auto none = col([](const Rep& r) { return r.noneReads; });
    const auto ratio = col([](const Rep& r) { return r.steady > 0 ? static_cast<double>(r.step) / static_cast<double>(r.steady) : kNaN; });
    const auto zero = col([](const Rep& r) { return r.zeroRun; });
    int bySupervisor = 0;
    for (const Rep& r : reps)
        bySupervisor += r.supervisor;
    std::vector<double> flagged;
    for (double f : flag)
        if (!std::isnan(f))
            flagged.push_back(f);

    std::printf("### Failover on a stalled active worker (NullDriver, %d-frame blocks, %.0f Hz; %zu repetitions; "
                "stall deadline %.2f ms = %.1f blocks; ring target %d blocks; %s)\n\n",
                kBlock, kRate, reps.size(), deadlineMs, deadlineMs / kBlockMs, e.config().ringTargetBlocks,
                realtimeText(rig.driver, fin).c_str());
    std::printf("Patch: sine 440 Hz, gain 0.5 -> out. Stall: injectFault(active, Stall, 200 ms). "
                "Median state-poll interval %.0f us.\n\n",
                median(pollIntervals));
    std::printf("| figure (ms unless noted) | median | min | max |\n|---|---:|---:|---:|\n");
    auto line = [](const char* name, const std::vector<double>& v, const char* f) {
        std::printf("| %s | %s | %s | %s |\n", name, fmt(f, median(v)).c_str(), fmt(f, minOf(v)).c_str(),
                    fmt(f, maxOf(v)).c_str());
    };
    line("injectFault() -> switching callback", inj, "%.3f");
    line("stall onset (last progress) -> switching callback", ons, "%.3f");
    line("stall detectable (onset + deadline) -> switching callback", det, "%.3f");
    if (!flagged.empty())
        line("stall onset -> supervisor flags the stall", flagged, "%.3f");
    line("none-reads during the failover (count)", none, "%.0f");
    line("largest sample step within 10 ms of the switch / largest step of the steady signal", ratio, "%.4f");
    line("longest run of exact zeros after the injection (samples)", zero, "%.0f");
    std::printf("\n");
    printNoneReadEvents(rig.callback.noneReadEvents(), originNs);
    std::printf("Mirror %s. Controller followed the failover (its active slot = the callback's, the stalled slot "
                "rebuilt as mirror) in %d of %zu.%s%s\n\n",
                opt.notInStep ? "NOT in step (a live change between prime and commit before each stall)"
                              : "in step (hot mirror)",
                followed, reps.size(), controllerError.empty() ? "" : " **Stopped: ", 
                controllerError.empty() ? "" : (controllerError + "**").c_str());
    std::printf("Switched by: the supervisor's stall request in %d of %zu, the callback on a dry active ring in "
                "%zu. Failovers %llu, stalls flagged %llu, rebuilds %llu.\n\n",
                bySupervisor, reps.size(), reps.size() - static_cast<std::size_t>(bySupervisor),
                static_cast<unsigned long long>(fin.failovers), static_cast<unsigned long long>(fin.stalls),
                static_cast<unsigned long long>(fin.rebuilds));
    const double bar = kFailoverBarBlocks * kBlockMs;
    const bool okSwitch = !det.empty() && maxOf(det) <= bar;
    const bool okNone = !none.empty() && maxOf(none) == 0.0;
    const bool okStep = !ratio.empty() && maxOf(ratio) <= 1.0001;
    std::printf("| bar | measured (max over repetitions) | result |\n|---|---|---|\n");
    std::printf("| switched within 3 blocks (%.2f ms) of the stall being detectable | %.3f ms | %s |\n", bar, maxOf(det),
                verdict(okSwitch));
    std::printf("| zero none-reads | %.0f | %s |\n", maxOf(none), verdict(okNone));
    std::printf("| no step larger than the steady signal's at the switch (seamless) | ratio %.4f | %s |\n\n",
                maxOf(ratio), verdict(okStep));
    const bool okFollow = controllerError.empty() && followed == static_cast<int>(reps.size());
    std::printf("| the controller follows the switch and edits go on | followed %d of %zu | %s |\n\n", followed,
                reps.size(), verdict(okFollow));
    return (okSwitch && okNone && okStep && okFollow && failures == 0 && !reps.empty()) ? 0 : 1;
}

// ------------------------------------------------------------------------------------------------
// 4. Output latency: device block + ring target + the driver's reported output latency.

struct DeviceLatency {
    std::string name;
    int block = 0;
    int outputLatency = 0;
    double rate = 0.0;
};

void printLatency(const std::vector<DeviceLatency>& devices, int& meetsDefault, int& largestMeeting) {
    const int defaultRing = EngineConfig{}.ringTargetBlocks;
    std::printf("### Output latency at %d-frame blocks (device block + ringTargetBlocks x block + the driver's "
                "reported output latency)\n\n",
                kBlock);
    std::printf("| driver | device block | reported output latency |");
    for (int r = 1; r <= 4; ++r)
        std::printf(" ring target %d%s |", r, r == defaultRing ? " (default)" : "");
    std::printf("\n|---|---:|---:|---:|---:|---:|---:|\n");
    std::array<bool, 5> meets{true, true, true, true, true}; // per ring target, on every driver
    bool defaultMeets = true;
    for (const DeviceLatency& d : devices) {
        std::printf("| %s | %d | %d |", d.name.c_str(), d.block, d.outputLatency);
        for (int r = 1; r <= 4; ++r) {
            const int frames = d.block + r * kBlock + d.outputLatency;
            const double ms = 1000.0 * frames / d.rate;
            const bool ok = ms <= kLatencyBarMs + 1e-9;
            std::printf(" %d fr = %.2f ms %s |", frames, ms, ok ? "PASS" : "FAIL");
            meets[static_cast<std::size_t>(r)] = meets[static_cast<std::size_t>(r)] && ok;
        }
        std::printf("\n");
        const double defaultMs = 1000.0 * (d.block + defaultRing * kBlock + d.outputLatency) / d.rate;
        defaultMeets = defaultMeets && defaultMs <= kLatencyBarMs + 1e-9;
    }
    meetsDefault = defaultMeets ? 1 : 0;
    largestMeeting = 0;
    for (int r = 1; r <= 4; ++r)
        if (meets[static_cast<std::size_t>(r)])
            largestMeeting = r;
    std::printf("\nBar: <= %.0f ms at 48 kHz (192 frames). Default ring target (%d blocks): %s.\n\n", kLatencyBarMs,
                defaultRing, meetsDefault ? "PASS" : "**FAIL**");
}

int runLatency(const Options& opt) {
    std::vector<DeviceLatency> devices;
    {
        audio::NullDriver null;
        audio::DriverConfig dc;
        dc.sampleRate = kRate;
        dc.blockSize = kBlock;
        check(null.open(dc), "null driver open");
        devices.push_back({"null (NullDriver)", null.blockSize(), null.outputLatencyFrames(), null.sampleRate()});
        null.stop();
    }
    const std::string jackd = JackServer::find(opt.jackd);
    bool skippedJack = false;
    if (jackd.empty()) {
        std::printf("JACK: skipped, jackd is not installed (Debian package jackd2).\n\n");
        skippedJack = true;
    } else {
        JackServer server;
        audio::DriverConfig dc;
        dc.sampleRate = kRate;
        dc.blockSize = kBlock;
        dc.clientName = "chronus-bench";
        std::string error;
        auto driver = server.start(jackd, opt.jackLog, dc, error);
        if (!driver)
            die("JACK: " + error);
        devices.push_back({"jack (RtAudio, jackd -d dummy -r 48000 -p 64)", driver->blockSize(),
                           driver->outputLatencyFrames(), driver->sampleRate()});
        if (!driver->notice().empty())
            logLine("JACK notice: " + driver->notice());
        driver->stop();
        server.stop();
    }
    int meetsDefault = 0, lowest = 0;
    printLatency(devices, meetsDefault, lowest);
    std::printf("Largest ring target meeting the bar on every driver measured: %s.\n\n",
                lowest ? std::to_string(lowest).c_str() : "none (not even 1 block)");
    (void)skippedJack;
    return meetsDefault ? 0 : 1;
}

// ------------------------------------------------------------------------------------------------
// 3. Soak on the JACK dummy server.

// Samples kept during a soak in storage allocated and touched up front, so that the benchmark's own
// bookkeeping does not grow the RSS the soak watches. Samples beyond the capacity are dropped.
class Series {
public:
    explicit Series(std::size_t capacity) : m_values(capacity, 0.0) {} // value-initialised: pages touched
    void add(double x) noexcept {
        if (m_size < m_values.size())
            m_values[m_size++] = x;
    }
    std::vector<double> values() const {
        return {m_values.begin(), m_values.begin() + static_cast<std::ptrdiff_t>(m_size)};
    }
    std::size_t size() const noexcept { return m_size; }
    double at(std::size_t i) const noexcept { return m_values[i]; }

private:
    std::vector<double> m_values;
    std::size_t m_size = 0;
};

long countServerXruns(const std::string& logPath) {
    if (logPath.empty())
        return -1;
    std::ifstream log(logPath);
    std::string line;
    long n = 0;
    while (std::getline(log, line))
        n += line.find("XRun") != std::string::npos;
    return n;
}

// The floor: the same server and driver with a callback that writes silence and nothing else, so the
// soak's xruns can be told apart from what this machine's JACK dummy backend does on its own.
int runJackIdle(const Options& opt) {
    const std::string jackd = JackServer::find(opt.jackd);
    if (jackd.empty()) {
        std::printf("### JACK idle baseline: SKIPPED (jackd is not installed; Debian package jackd2)\n\n");
        return 77;
    }
    class Silence final : public audio::AudioCallback {
    public:
        void process(float* out, const audio::CallbackInfo& info) noexcept override {
            std::fill(out, out + 2 * info.frames, 0.0f);
            m_calls.fetch_add(1, std::memory_order_relaxed);
        }
        std::atomic<std::uint64_t> m_calls{0};
    } silence;
    JackServer server;
    audio::DriverConfig dc;
    dc.sampleRate = kRate;
    dc.blockSize = kBlock;
    dc.clientName = "chronus-bench";
    std::string error;
    std::unique_ptr<audio::AudioDriver> driver = server.start(jackd, opt.jackLog, dc, error, opt.jackPriority);
    if (!driver)
        die("JACK: " + error);
    check(driver->start(silence), "JACK driver start");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const std::uint64_t x0 = driver->xruns();
    const long serverX0 = countServerXruns(opt.jackLog);
    const auto t0 = Clock::now();
    std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<long>(opt.seconds * 1000.0)));
    const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    const std::uint64_t xruns = driver->xruns() - x0;
    const auto rt = driver->realtimeStatus();
    driver->stop();
    server.stop();
    const long serverXruns = countServerXruns(opt.jackLog) - serverX0;
    std::printf("### JACK idle baseline: %.0f s, a callback that writes silence (no engine)\n\n", elapsed);
    std::printf("| figure | value |\n|---|---|\n");
    std::printf("| audio thread | %s |\n",
                rt.state == audio::RealtimeState::Granted ? fmt("SCHED_FIFO %d", rt.priority).c_str() : "not real-time");
    std::printf("| callbacks | %llu |\n", static_cast<unsigned long long>(silence.m_calls.load()));
    std::printf("| xruns: RtAudio underflow flags / late cycles in jackd's log | %llu / %ld |\n\n",
                static_cast<unsigned long long>(xruns), serverXruns);
    return 0;
}

int runSoak(const Options& opt) {
    const std::int64_t originNs = nowNs();
    const std::string jackd = JackServer::find(opt.jackd);
    if (jackd.empty()) {
        std::printf("### Soak: SKIPPED\n\njackd is not installed (Debian package jackd2); the soak needs a JACK "
                    "server (it starts a private `jackd -d dummy -r 48000 -p 64`).\n\n");
        return 77;
    }
    prctl(PR_SET_TIMERSLACK, 1UL);
    JackServer server;
    audio::DriverConfig dc;
    dc.sampleRate = kRate;
    dc.blockSize = kBlock;
    dc.clientName = "chronus-bench";
    std::string error;
    std::unique_ptr<audio::AudioDriver> driver = server.start(jackd, opt.jackLog, dc, error, opt.jackPriority);
    if (!driver)
        die("JACK: " + error);
    if (driver->blockSize() != kBlock || driver->sampleRate() != kRate)
        die(fmt("JACK gave %g Hz / %d frames, not 48000 / 64", driver->sampleRate(), driver->blockSize()));

    EngineConfig config;
    config.ringTargetBlocks = opt.ringTarget;
    config.workers = opt.workers;
    if (opt.workerPriority == 0)
        config.realtimeWorkers = false;
    else if (opt.workerPriority > 0)
        config.workerPriority = opt.workerPriority;
    SlotEngine engine(config);
    BenchCallback callback(engine, 0, 0);
    check(engine.start(), "engine start");
    check(driver->start(callback), "JACK driver start");
    callback.waitCalls(10);

    constexpr int kModules = 64;
    int variant = 0;
    BuiltPatch first = buildPatch(kModules, variant++);
    const std::vector<std::string> targets = first.filters;
    loadAndSettle(engine, first.graph);
    check(engine.commit().status(), "first commit");
    waitMirrorInStep(engine);
    callback.resetOccupancy();
    // All the benchmark's own storage, before the first RSS sample.
    const auto capacity = [&](double perSecond) { return static_cast<std::size_t>(opt.seconds * perSecond + 1000.0); };
    Series paramLatencyUs(capacity(std::max(opt.paramRate, 0.0)));
    Series primeMs(capacity(1.0)), commitMs(capacity(1.0)), rssTime(capacity(1.0)), rssValue(capacity(1.0));
    std::array<double, 2> dspSum{}, dspMax{}, occMinLow{1e9, 1e9}, occMaxHigh{};
    std::uint64_t commitsOk = 0, commitsErr = 0, maxNoneWindow = 0, samples = 0, mirrorInStep = 0;
    int ringSeen = engine.config().ringTargetBlocks;
    std::string growths; // "3 at 12.0 s, 4 at 130.2 s"
    std::string soakError, desync;
    soakError.reserve(1024);
    desync.reserve(1024);
    int desyncSamples = 0;
    std::uint64_t desyncEpisodes = 0;

    // 100 live parameter changes per second on the committed patch (filter cutoffs), paced by
    // absolute deadlines from their own thread: setLive waits while a commit holds the engine.
    std::atomic<bool> stopParams{false};
    std::atomic<std::uint64_t> paramOk{0}, paramErr{0};
    std::atomic<std::int64_t> paramMaxNs{0};
    std::thread params([&] {
        if (opt.paramRate <= 0.0)
            return;
        const auto period = std::chrono::microseconds(static_cast<long>(1e6 / opt.paramRate));
        auto next = Clock::now();
        std::uint64_t i = 0;
        while (!stopParams.load(std::memory_order_acquire)) {
            next += period;
            std::this_thread::sleep_until(next);
            const std::string& id = targets[i % targets.size()];
            const double value = 500.0 + 3500.0 * (0.5 + 0.5 * std::sin(static_cast<double>(i) * 0.05));
            const std::int64_t t0 = nowNs();
            auto r = engine.setLive(id, "cutoff", value);
            const std::int64_t dt = nowNs() - t0;
            (r ? paramOk : paramErr).fetch_add(1, std::memory_order_relaxed);
            paramLatencyUs.add(static_cast<double>(dt) * 1e-3);
            if (dt > paramMaxNs.load(std::memory_order_relaxed))
                paramMaxNs.store(dt, std::memory_order_relaxed);
            ++i;
            // Behind by more than a second (a long commit): skip ahead rather than burst.
            if (Clock::now() - next > std::chrono::seconds(1))
                next = Clock::now();
        }
    });

    // 1 commit per second (a new variant of the patch each time), and the engine's figures sampled
    // every 100 ms.
    std::this_thread::sleep_for(std::chrono::milliseconds(100)); // the parameter thread is running
    const EngineStats s0 = engine.stats();
    const std::uint64_t xrun0 = driver->xruns();
    const long rss0 = rssKiB();
    logLine(fmt("soak: %.0f s on JACK dummy, ring target %d, %d-module patch, RSS at start %ld KiB", opt.seconds,
                opt.ringTarget, kModules, rss0));
    const auto start = Clock::now();
    const auto commitPeriod = std::chrono::milliseconds(opt.commitEvery > 0.0 ? static_cast<long>(opt.commitEvery * 1000.0)
                                                                              : 1000L * 1000 * 1000);
    auto nextCommit = start + commitPeriod;
    auto nextSample = start + std::chrono::milliseconds(100);
    auto nextRss = start;
    auto nextProgress = start + std::chrono::seconds(60);
    const auto end = start + std::chrono::milliseconds(static_cast<long>(opt.seconds * 1000.0));
    while (Clock::now() < end) {
        const auto now = Clock::now();
        if (now >= nextCommit) {
            nextCommit += commitPeriod;
            // Even commits: a structural edit (a new plan compiles); odd: a parameter edit.
            const bool structural = variant % 2 == 0;
            if (engine::Status st = tryLoadAndSettle(engine, buildPatch(kModules, variant++, structural).graph); !st) {
                // Reported, and the soak stops: the engine refuses edits from here on.
                soakError = fmt("at %.1f s: loading the next patch failed: \"%s\" [%s]",
                                std::chrono::duration<double>(Clock::now() - start).count(), st.message().c_str(),
                                engineState(engine).c_str());
                logLine(soakError);
                break;
            }
            auto r = engine.commit(-1.0, std::chrono::milliseconds(5000));
            if (r) {
                ++commitsOk;
                primeMs.add(r.value().primeMs);
                commitMs.add(r.value().commitMs);
            } else {
                ++commitsErr;
                logLine("commit failed: " + r.status().message());
            }
            if (Clock::now() > nextCommit)
                nextCommit = Clock::now() + std::chrono::milliseconds(100);
            continue;
        }
        if (now >= nextSample) {
            nextSample += std::chrono::milliseconds(100);
            const EngineStats s = engine.stats();
            ++samples;
            mirrorInStep += s.slot[static_cast<std::size_t>(1 - s.activeSlot)].inStep;
            if (s.ringTargetBlocks > ringSeen) { // when the ring grew (a near-miss or a none-read)
                ringSeen = s.ringTargetBlocks;
                growths += fmt("%s%d at %.1f s", growths.empty() ? "" : ", ", ringSeen,
                               std::chrono::duration<double>(now - start).count());
            }
            // The controller's active slot against the callback's: after a failover the controller
            // follows within a few ms; a disagreement that lasts 300 ms is a desync.
            if (engine.activeSlot() != engine.stats().activeSlot && !engine.stats().fading) {
                if (++desyncSamples == 3) {
                    ++desyncEpisodes;
                    if (desync.empty())
                        desync = fmt("first at %.1f s: %s", std::chrono::duration<double>(now - start).count(),
                                     engineState(engine).c_str());
                }
            } else {
                desyncSamples = 0;
            }
            for (std::size_t i = 0; i < 2; ++i) {
                dspSum[i] += s.slot[i].dspLoad;
                dspMax[i] = std::max(dspMax[i], s.slot[i].dspLoad);
                occMinLow[i] = std::min(occMinLow[i], s.slot[i].occupancyMin);
                occMaxHigh[i] = std::max(occMaxHigh[i], s.slot[i].occupancyMax);
                maxNoneWindow = std::max(maxNoneWindow, s.slot[i].noneReadsWindow);
            }
        }
        if (now >= nextRss) {
            nextRss += std::chrono::seconds(1);
            rssTime.add(std::chrono::duration<double>(now - start).count());
            rssValue.add(static_cast<double>(rssKiB()));
        }
        if (now >= nextProgress) {
            nextProgress += std::chrono::seconds(60);
            const EngineStats s = engine.stats();
            logLine(fmt("soak %.0f s: commits %llu, none-reads %llu, xruns %llu, RSS %ld KiB",
                        std::chrono::duration<double>(now - start).count(), static_cast<unsigned long long>(commitsOk),
                        static_cast<unsigned long long>(s.slot[0].noneReads + s.slot[1].noneReads - s0.slot[0].noneReads -
                                                        s0.slot[1].noneReads),
                        static_cast<unsigned long long>(driver->xruns() - xrun0), rssKiB()));
        }
        std::this_thread::sleep_until(std::min({nextCommit, nextSample, nextRss, end}));
    }
    stopParams.store(true, std::memory_order_release);
    params.join();
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    const long rss1 = rssKiB();
    const EngineStats s1 = engine.stats();
    const std::uint64_t xruns = driver->xruns() - xrun0;
    const std::uint64_t callbacks = callback.calls();
    const auto rt = driver->realtimeStatus();
    const int latency = driver->outputLatencyFrames();
    // As `status` reports it: device block + the device's latency + the ring target.
    const double latencyMs = app::latencyMs(s1, app::driverStatus(*driver));
    driver->stop();
    engine.stop();
    server.stop();
    if (!opt.csv.empty())
        if (std::FILE* f = std::fopen(opt.csv.c_str(), "w")) {
            std::fprintf(f, "seconds,rss_kib\n");
            for (std::size_t i = 0; i < rssTime.size(); ++i)
                std::fprintf(f, "%.1f,%.0f\n", rssTime.at(i), rssValue.at(i));
            std::fclose(f);
        }

    const std::uint64_t none = (s1.slot[0].noneReads + s1.slot[1].noneReads) - (s0.slot[0].noneReads + s0.slot[1].noneReads);
    const std::uint64_t nearMisses =
        (s1.slot[0].nearMisses + s1.slot[1].nearMisses) - (s0.slot[0].nearMisses + s0.slot[1].nearMisses);
    long rssMax = rss0;
    for (std::size_t i = 0; i < rssValue.size(); ++i)
        rssMax = std::max(rssMax, static_cast<long>(rssValue.at(i)));
    // RSS once warmed up: after max(10 s, 10 % of the run), at most half of it (the first commits grow
    // the allocator's arenas, one per thread that allocates). And the trend after that point: the
    // least-squares slope of the 1-s samples, in KiB per minute.
    const double warmAt = std::min(std::max(10.0, 0.1 * opt.seconds), 0.5 * opt.seconds);
    long rssWarm = rss0;
    double sx = 0, sy = 0, sxx = 0, sxy = 0, n = 0;
    for (std::size_t i = 0; i < rssTime.size(); ++i) {
        const double t = rssTime.at(i);
        const long kib = static_cast<long>(rssValue.at(i));
        if (t <= warmAt)
            rssWarm = kib;
        else {
            sx += t;
            sy += static_cast<double>(kib);
            sxx += t * t;
            sxy += t * static_cast<double>(kib);
            n += 1;
        }
    }
    const double slopePerMin = n >= 2 && n * sxx - sx * sx > 0 ? 60.0 * (n * sxy - sx * sy) / (n * sxx - sx * sx) : 0.0;
    // The server's own log: the dummy backend prints a line per late cycle ("JackTimedDriver::Process XRun").
    const long serverXruns = countServerXruns(opt.jackLog);
    const std::vector<double> pl = paramLatencyUs.values();

    std::printf("### Soak: %.0f s on JACK dummy (`jackd -d dummy -r 48000 -p 64`), worker %s, ring target %d blocks "
                "at start (%d at the end), %d-module patch, %s (structural and parameter edits alternating), %g live "
                "parameter changes/s\n\n",
                elapsed, engine::workerModeName(opt.workers), engine.config().ringTargetBlocks, s1.ringTargetBlocks, kModules,
                opt.commitEvery > 0.0 ? fmt("1 commit every %g s", opt.commitEvery).c_str() : "no commits",
                opt.paramRate);
    std::printf("Audio thread (JACK's client thread): %s; render workers: %s; jackd priority: %s. JACK reported "
                "output latency %d frames. Callbacks %llu.\n\n",
                rt.state == audio::RealtimeState::Granted ? fmt("SCHED_FIFO %d", rt.priority).c_str() : "not real-time",
                s1.slot[0].realtime && s1.slot[1].realtime ? fmt("SCHED_FIFO %d", config.workerPriority).c_str()
                                                           : "not real-time",
                opt.jackPriority > 0 ? std::to_string(opt.jackPriority).c_str() : "default (-P 10)", latency,
                static_cast<unsigned long long>(callbacks));
    std::printf("| figure | value |\n|---|---|\n");
    std::printf("| commits done / failed | %llu / %llu |\n", static_cast<unsigned long long>(commitsOk),
                static_cast<unsigned long long>(commitsErr));
    std::printf("| prime time in the commits, median / max | %.3f / %.3f ms |\n", median(primeMs.values()),
                maxOf(primeMs.values()));
    std::printf("| commit latency (commitMs), median / max | %.3f / %.3f ms |\n", median(commitMs.values()),
                maxOf(commitMs.values()));
    std::printf("| live parameter changes done / failed (rate) | %llu / %llu (%.1f /s) |\n",
                static_cast<unsigned long long>(paramOk.load()), static_cast<unsigned long long>(paramErr.load()),
                static_cast<double>(paramOk.load()) / elapsed);
    std::printf("| setLive() call time, median / p99 / max | %.1f us / %.1f us / %.1f ms |\n", median(pl),
                [&] {
                    std::vector<double> v = pl;
                    std::sort(v.begin(), v.end());
                    return v.empty() ? kNaN : v[static_cast<std::size_t>(0.99 * static_cast<double>(v.size() - 1))];
                }(),
                static_cast<double>(paramMaxNs.load()) * 1e-6);
    std::printf("| **none-reads** (both slots, whole run) | **%llu** (max in one 1-s window: %llu) |\n",
                static_cast<unsigned long long>(none), static_cast<unsigned long long>(maxNoneWindow));
    std::printf("| near-misses (a callback found the playing ring one block from empty) / the ring grew to | %llu / %s |\n",
                static_cast<unsigned long long>(nearMisses), growths.empty() ? "- (never grew)" : growths.c_str());
    std::printf("| xruns (RtAudio output underflow flags) | %llu (flags seen by the callback: %llu) |\n",
                static_cast<unsigned long long>(xruns), static_cast<unsigned long long>(callback.xrunFlags()));
    std::printf("| active ring occupancy before each callback's read, min / max | %.2f / %.2f blocks |\n",
                callback.occMin(), callback.occMax());
    {
        std::string hist;
        const auto& h = callback.histogram();
        for (int b = 0; b < BenchCallback::kHistBins; ++b)
            if (h[static_cast<std::size_t>(b)])
                hist += fmt("%s[%d,%d): %llu", hist.empty() ? "" : ", ", b, b + 1, static_cast<unsigned long long>(h[static_cast<std::size_t>(b)]));
        std::printf("| same, histogram (blocks: callbacks) | %s |\n", hist.c_str());
    }
    for (std::size_t i = 0; i < 2; ++i)
        std::printf("| slot %zu occupancy as the engine reports it (per-window min / max; lowest min, highest max) | "
                    "%.2f / %.2f blocks |\n",
                    i, occMinLow[i], occMaxHigh[i]);
    for (std::size_t i = 0; i < 2; ++i)
        std::printf("| slot %zu DSP load (render time / real time), mean / max of 100-ms samples | %.3f / %.3f |\n", i,
                    samples ? dspSum[i] / static_cast<double>(samples) : kNaN, dspMax[i]);
    std::printf("| engine.process() time per callback, mean / max | %.1f / %.1f us |\n", callback.procMeanUs(),
                callback.procMaxUs());
    std::printf("| standby was an in-step mirror (share of 100-ms samples) | %.1f %% |\n",
                samples ? 100.0 * static_cast<double>(mirrorInStep) / static_cast<double>(samples) : 0.0);
    std::printf("| controller's active slot != callback's for >= 300 ms (episodes) | %llu%s%s |\n",
                static_cast<unsigned long long>(desyncEpisodes), desync.empty() ? "" : "; ", desync.c_str());
    std::printf("| failovers / stalls / rollbacks / muted chunks | %llu / %llu / %llu / %llu |\n",
                static_cast<unsigned long long>(s1.failovers - s0.failovers),
                static_cast<unsigned long long>(s1.stalls - s0.stalls),
                static_cast<unsigned long long>(s1.rollbacks - s0.rollbacks),
                static_cast<unsigned long long>(s1.mutedChunks - s0.mutedChunks));
    std::printf("| queue drops / late live changes (both slots) | %llu / %llu |\n",
                static_cast<unsigned long long>(s1.slot[0].queueDrops + s1.slot[1].queueDrops),
                static_cast<unsigned long long>(s1.slot[0].lateLiveChanges + s1.slot[1].lateLiveChanges));
    std::printf("| RSS: start (after the first commit) / at %.0f s (warmed up) / max / end | %ld / %ld / %ld / %ld KiB |\n",
                warmAt, rss0, rssWarm, rssMax, rss1);
    std::printf("| RSS trend after %.0f s (least-squares slope of 1-s samples) | %+.1f KiB/min |\n", warmAt, slopePerMin);
    const bool okNone = none == 0;
    // "No growth": from the warmed-up sample to the end within 256 KiB (64 pages), so a leak of a few
    // hundred bytes per commit over a 10-minute run (600 commits) would show. The growth from the
    // very start is printed next to it.
    const long growth = rss1 - rssWarm;
    const bool okRss = growth <= 256;
    std::printf("\n");
    printNoneReadEvents(callback.noneReadEvents(), originNs);
    // One line with the figures the latency work compares across runs (bench/run.sh soak greps it).
    std::printf("soak: workers %s, ring %d (at start %d; grew to %s), none_reads %llu, near_misses %llu, xruns %llu, "
                "occupancy_min %.2f, commits %llu, "
                "live_changes %llu, dsp_load %.3f %.3f (mean, slot 0 and 1), dsp_load_max %.3f %.3f, latency_ms %.2f\n\n",
                engine::workerModeName(opt.workers), s1.ringTargetBlocks, engine.config().ringTargetBlocks,
                growths.empty() ? "-" : growths.c_str(), static_cast<unsigned long long>(none),
                static_cast<unsigned long long>(nearMisses),
                static_cast<unsigned long long>(xruns), callback.occMin(), static_cast<unsigned long long>(commitsOk),
                static_cast<unsigned long long>(paramOk.load()), samples ? dspSum[0] / static_cast<double>(samples) : kNaN,
                samples ? dspSum[1] / static_cast<double>(samples) : kNaN, dspMax[0], dspMax[1], latencyMs);
    std::printf("| bar | measured | result |\n|---|---|---|\n");
    std::printf("| none-reads = 0 | %llu | %s |\n", static_cast<unsigned long long>(none), verdict(okNone));
    std::printf("| RSS: no growth (end - warmed-up sample <= 256 KiB) | %+ld KiB (%+ld KiB from the start) | %s |\n",
                growth, rss1 - rss0, verdict(okRss));
    std::printf("| xruns (no bar): RtAudio underflow flags / late cycles in jackd's log | %llu / %ld | - |\n",
                static_cast<unsigned long long>(xruns), serverXruns);
    std::printf("| commits all succeeded | %llu failed | %s |\n", static_cast<unsigned long long>(commitsErr),
                verdict(commitsErr == 0));
    std::printf("| the controller follows every failover (no lasting desync) | %llu episodes | %s |\n",
                static_cast<unsigned long long>(desyncEpisodes), verdict(desyncEpisodes == 0));
    std::printf("| the soak ran its full length | %s | %s |\n\n", soakError.empty() ? "yes" : soakError.c_str(),
                verdict(soakError.empty()));
    return okNone && okRss && commitsErr == 0 && soakError.empty() && desyncEpisodes == 0 ? 0 : 1;
}


// ------------------------------------------------------------------------------------------------
// 4. Music: an example track (a patch file) rendered offline and played live.

struct MusicLevels {
    double peak = 0.0, rms = 0.0;
    bool finite = true;
};

int runMusic(const Options& opt) {
    if (opt.patch.empty())
        die("music needs --patch FILE");
    auto loaded = app::loadPatchFile(QString::fromStdString(opt.patch));
    if (!loaded)
        die(opt.patch + ": " + loaded.status().message());
    for (const QString& w : loaded.value().warnings)
        logLine("patch warning: " + w.toStdString());
    const PatchGraph graph = loaded.value().graph;
    const int modules = static_cast<int>(graph.nodes().size()) - 1; // without `out`
    const int cables = static_cast<int>(graph.cables().size());
    std::string name = opt.patch.substr(opt.patch.find_last_of('/') + 1);

    // Offline: the patch's Plan alone on this thread (what one slot's worker does), --render-seconds
    // of audio per repetition, each from a fresh compile (not timed: the first block).
    std::vector<double> renderSec;
    MusicLevels lv;
    {
        engine::OfflineRenderer r(kRate, kBlock);
        r.setGraph(graph);
        const std::size_t frames = static_cast<std::size_t>(opt.renderSeconds * kRate);
        std::vector<float> left(frames + kBlock), right(frames + kBlock);
        for (int rep = 0; rep < opt.reps; ++rep) {
            r.reset();
            check(r.renderInto(left.data(), right.data(), kBlock), "offline render (compile)");
            const std::int64_t t0 = nowNs();
            check(r.renderInto(left.data(), right.data(), frames), "offline render");
            const std::int64_t t1 = nowNs();
            renderSec.push_back(static_cast<double>(t1 - t0) * 1e-9);
            logLine(fmt("%s: offline render %d: %.0f s of audio in %.3f s", name.c_str(), rep + 1, opt.renderSeconds,
                        renderSec.back()));
        }
        double sum = 0.0;
        for (std::size_t i = 0; i < frames; ++i)
            for (float x : {left[i], right[i]}) {
                lv.finite = lv.finite && std::isfinite(x);
                lv.peak = std::max(lv.peak, static_cast<double>(std::fabs(x)));
                sum += static_cast<double>(x) * static_cast<double>(x);
            }
        lv.rms = std::sqrt(sum / (2.0 * static_cast<double>(frames)));
    }
    const double renderMed = median(renderSec), renderMin = minOf(renderSec);
    const double xrtMed = opt.renderSeconds / renderMed, xrtBest = opt.renderSeconds / renderMin;
    const double loadOffline = renderMed / opt.renderSeconds;
    if (opt.offlineOnly) {
        std::printf("### %s: %d modules, %d cables, offline only\n\n| figure | value |\n|---|---|\n", name.c_str(),
                    modules, cables);
        std::printf("| offline render: %g s of audio, %d runs, time median / best | %.3f / %.3f s |\n",
                    opt.renderSeconds, opt.reps, renderMed, renderMin);
        std::printf("| offline output: peak / RMS (both channels), finite | %.1f / %.1f dBFS, %s |\n\n",
                    20.0 * std::log10(std::max(lv.peak, 1e-12)), 20.0 * std::log10(std::max(lv.rms, 1e-12)),
                    lv.finite ? "yes" : "**NO**");
        return lv.finite ? 0 : 1;
    }

    // Live: the dual-slot engine in its default configuration (hot mirror: both slots render the
    // committed patch), on a private JACK dummy server at 64 frames, or the NullDriver.
    prctl(PR_SET_TIMERSLACK, 1UL);
    const std::string jackd = opt.null ? std::string() : JackServer::find(opt.jackd);
    JackServer server;
    audio::NullDriver nullDriver;
    std::unique_ptr<audio::AudioDriver> jackDriver;
    std::string driverName;
    audio::DriverConfig dc;
    dc.sampleRate = kRate;
    dc.blockSize = kBlock;
    dc.clientName = "chronus-bench";
    if (!jackd.empty()) {
        std::string error;
        jackDriver = server.start(jackd, opt.jackLog, dc, error, opt.jackPriority);
        if (!jackDriver)
            die("JACK: " + error);
        if (jackDriver->blockSize() != kBlock || jackDriver->sampleRate() != kRate)
            die(fmt("JACK gave %g Hz / %d frames, not 48000 / 64", jackDriver->sampleRate(), jackDriver->blockSize()));
        driverName = "JACK dummy (`jackd -d dummy -r 48000 -p 64`)";
    } else {
        driverName = opt.null ? "NullDriver (--null)" : "NullDriver (jackd is not installed)";
    }
    audio::AudioDriver& driver = jackDriver ? *jackDriver : static_cast<audio::AudioDriver&>(nullDriver);

    EngineConfig config; // the defaults: hot mirror on, the default ring target, real-time workers
    SlotEngine engine(config);
    BenchCallback callback(engine, 0, 0);
    check(engine.start(), "engine start");
    if (jackDriver)
        check(driver.start(callback), "JACK driver start");
    else
        check(driver.start(callback, dc), "null driver start");
    callback.waitCalls(10);
    loadAndSettle(engine, graph);
    check(engine.commit().status(), "commit");
    if (!waitMirrorInStep(engine, 10000))
        logLine("the mirror is not in step 10 s after the commit: " + engineState(engine));
    std::this_thread::sleep_for(std::chrono::milliseconds(1000)); // the load figures settle
    callback.resetOccupancy();

    const std::size_t cap = static_cast<std::size_t>(opt.seconds * 10.0 + 100.0);
    std::array<Series, 2> load{Series(cap), Series(cap)};
    std::uint64_t samples = 0, mirrorInStep = 0, maxNoneWindow = 0;
    const EngineStats s0 = engine.stats();
    const std::uint64_t xrun0 = driver.xruns();
    const long serverX0 = countServerXruns(opt.jackLog);
    logLine(fmt("%s: %.0f s live on %s, %d modules", name.c_str(), opt.seconds, driverName.c_str(), modules));
    const auto start = Clock::now();
    const auto end = start + std::chrono::milliseconds(static_cast<long>(opt.seconds * 1000.0));
    auto next = start + std::chrono::milliseconds(100);
    while (Clock::now() < end) {
        std::this_thread::sleep_until(std::min(next, end));
        next += std::chrono::milliseconds(100);
        const EngineStats s = engine.stats();
        ++samples;
        mirrorInStep += s.slot[static_cast<std::size_t>(1 - s.activeSlot)].inStep;
        for (std::size_t i = 0; i < 2; ++i) {
            load[i].add(s.slot[i].dspLoad);
            maxNoneWindow = std::max(maxNoneWindow, s.slot[i].noneReadsWindow);
        }
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    const EngineStats s1 = engine.stats();
    const std::uint64_t xruns = driver.xruns() - xrun0;
    const std::uint64_t callbacks = callback.calls();
    const auto rt = driver.realtimeStatus();
    driver.stop();
    engine.stop();
    server.stop();
    const long serverXruns = jackDriver ? countServerXruns(opt.jackLog) - serverX0 : -1;
    const std::uint64_t none = (s1.slot[0].noneReads + s1.slot[1].noneReads) - (s0.slot[0].noneReads + s0.slot[1].noneReads);
    const std::uint64_t nearMisses =
        (s1.slot[0].nearMisses + s1.slot[1].nearMisses) - (s0.slot[0].nearMisses + s0.slot[1].nearMisses);
    const int active = s1.activeSlot;
    const auto mean = [](const std::vector<double>& v) {
        return v.empty() ? kNaN : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
    };
    const std::array<std::vector<double>, 2> lv2{load[0].values(), load[1].values()};

    std::printf("### %s: %d modules, %d cables\n\n", name.c_str(), modules, cables);
    std::printf("| figure | value |\n|---|---|\n");
    std::printf("| offline render (OfflineRenderer, this thread, 64-frame blocks): %g s of audio, %d runs, time median "
                "/ best | %.3f / %.3f s |\n",
                opt.renderSeconds, opt.reps, renderMed, renderMin);
    std::printf("| offline speed, median (best) | **%.0fx** real time (%.0fx) |\n", xrtMed, xrtBest);
    std::printf("| single-core DSP load it implies (render time / audio time), one slot / both slots (hot mirror) | "
                "**%.2f %%** / %.2f %% |\n",
                100.0 * loadOffline, 200.0 * loadOffline);
    std::printf("| offline output: peak / RMS (both channels), finite | %.1f / %.1f dBFS, %s |\n",
                20.0 * std::log10(std::max(lv.peak, 1e-12)), 20.0 * std::log10(std::max(lv.rms, 1e-12)),
                lv.finite ? "yes" : "**NO**");
    std::printf("| live: driver, length | %s, %.1f s, %llu callbacks |\n", driverName.c_str(), elapsed,
                static_cast<unsigned long long>(callbacks));
    std::printf("| live: audio thread / render workers | %s / %s |\n",
                rt.state == audio::RealtimeState::Granted ? fmt("SCHED_FIFO %d", rt.priority).c_str() : "not real-time",
                s1.slot[0].realtime && s1.slot[1].realtime ? fmt("SCHED_FIFO %d", config.workerPriority).c_str()
                                                           : "not real-time");
    for (std::size_t i = 0; i < 2; ++i)
        std::printf("| live: slot %zu (%s) DSP load, median / mean / max of %llu 100-ms samples | **%.2f %%** / %.2f %% / "
                    "%.2f %% |\n",
                    i, static_cast<int>(i) == active ? "active" : "mirror", static_cast<unsigned long long>(samples),
                    100.0 * median(lv2[i]), 100.0 * mean(lv2[i]), 100.0 * maxOf(lv2[i]));
    std::printf("| live: standby was an in-step mirror (share of samples) | %.1f %% |\n",
                samples ? 100.0 * static_cast<double>(mirrorInStep) / static_cast<double>(samples) : 0.0);
    std::printf("| live: none-reads (both slots; max in one 1-s window) | **%llu** (%llu) |\n",
                static_cast<unsigned long long>(none), static_cast<unsigned long long>(maxNoneWindow));
    std::printf("| live: xruns, the driver's underflows (RtAudio flags on JACK) / late cycles in jackd's log | %llu / %s |\n",
                static_cast<unsigned long long>(xruns), serverXruns >= 0 ? std::to_string(serverXruns).c_str() : "-");
    std::printf("| live: engine.process() per callback (ring read, the audio thread's share), mean / max | %.1f / "
                "%.1f us |\n",
                callback.procMeanUs(), callback.procMaxUs());
    std::printf("| live: failovers / stalls during the run | %llu / %llu |\n\n",
                static_cast<unsigned long long>(s1.failovers - s0.failovers),
                static_cast<unsigned long long>(s1.stalls - s0.stalls));
    std::printf("DSP load is the engine's own figure (SlotStats::dspLoad: the render time of a block over its "
                "duration, smoothed over about 20 blocks), sampled every 100 ms.\n\n");

    if (!opt.csv.empty()) {
        std::FILE* f = std::fopen(opt.csv.c_str(), "a");
        if (!f)
            die("cannot write " + opt.csv);
        std::fseek(f, 0, SEEK_END);
        if (std::ftell(f) == 0)
            std::fprintf(f, "patch,modules,cables,render_seconds,reps,render_s_median,render_s_best,x_realtime_median,"
                            "x_realtime_best,offline_load,peak,rms,driver,live_seconds,samples,active_slot,"
                            "load0_median,load0_mean,load0_max,load1_median,load1_mean,load1_max,mirror_in_step,"
                            "none_reads,xruns,server_xruns,process_us_mean,process_us_max\n");
        std::fprintf(f, "%s,%d,%d,%g,%d,%.4f,%.4f,%.2f,%.2f,%.5f,%.4f,%.4f,%s,%.1f,%llu,%d,%.5f,%.5f,%.5f,%.5f,%.5f,%.5f,"
                        "%.3f,%llu,%llu,%ld,%.2f,%.2f\n",
                     name.c_str(), modules, cables, opt.renderSeconds, opt.reps, renderMed, renderMin, xrtMed, xrtBest,
                     loadOffline, lv.peak, lv.rms, jackDriver ? "jack-dummy" : "null", elapsed,
                     static_cast<unsigned long long>(samples), active, median(lv2[0]), mean(lv2[0]), maxOf(lv2[0]),
                     median(lv2[1]), mean(lv2[1]), maxOf(lv2[1]),
                     samples ? static_cast<double>(mirrorInStep) / static_cast<double>(samples) : 0.0,
                     static_cast<unsigned long long>(none), static_cast<unsigned long long>(xruns), serverXruns,
                     callback.procMeanUs(), callback.procMaxUs());
        std::fclose(f);
    }
    return lv.finite && none == 0 ? 0 : 1;
}
// ------------------------------------------------------------------------------------------------
// Worker processes against worker threads (WorkerMode), in the real-time engine path.

// CPU time and context switches of a set of threads.
struct CpuUse {
    std::int64_t ns = 0;         // time on a CPU
    std::int64_t switches = 0;   // times switched in (schedstat's third field: voluntary and not)
    CpuUse& operator+=(const CpuUse& o) {
        ns += o.ns;
        switches += o.switches;
        return *this;
    }
};

// Every thread of process `pid` ("self" for this one), from /proc/PID/task/*/schedstat (time on a
// CPU in ns, time waiting for one, times it ran). Zero when the process is gone.
CpuUse processCpu(const std::string& pid) {
    const std::string dir = "/proc/" + pid + "/task";
    CpuUse total;
    if (DIR* d = opendir(dir.c_str())) {
        while (const dirent* ent = readdir(d)) {
            if (ent->d_name[0] == '.')
                continue;
            std::ifstream f(dir + "/" + ent->d_name + "/schedstat");
            long long ns = 0, waited = 0, runs = 0;
            if (f >> ns >> waited >> runs) {
                total.ns += ns;
                total.switches += runs;
            }
        }
        closedir(d);
    }
    return total;
}

// The engine's: this process (audio thread, supervisor, control thread) plus, with worker
// processes, both workers'. With threads the workers are threads of this process.
CpuUse engineCpu(const EngineStats& s) {
    CpuUse use = processCpu("self");
    for (const engine::SlotStats& slot : s.slot)
        if (slot.pid > 0)
            use += processCpu(std::to_string(slot.pid));
    return use;
}

// The worker processes' share of it (0 with threads: their CPU time is this process's).
std::int64_t workersCpuNs(const EngineStats& s) {
    std::int64_t ns = 0;
    for (const engine::SlotStats& slot : s.slot)
        if (slot.pid > 0)
            ns += processCpu(std::to_string(slot.pid)).ns;
    return ns;
}

// The reference voice workload (BENCHMARKS.md, "The workload"; bench/VoiceBench.cpp builds the same
// patch): N x (saw -> svf low-pass -> adsr) gated by one square LFO.
PatchGraph voicePatch(int n) {
    PatchGraph g;
    check(g.addModule("gate", "lfo"), "add lfo");
    check(g.setParam("gate", "shape", 3).status(), "lfo shape");
    check(g.setParam("gate", "rate", 2).status(), "lfo rate");
    check(g.setParam("gate", "width", 0.6).status(), "lfo width");
    const double level = 0.5 / n;
    for (int i = 0; i < n; ++i) {
        const std::string k = std::to_string(i), saw = "saw" + k, svf = "svf" + k, env = "env" + k;
        check(g.addModule(saw, "saw"), "add saw");
        check(g.setParam(saw, "freq", 55.0 * std::exp2(i / 48.0)).status(), "saw freq");
        check(g.setParam(saw, "gain", 1.0).status(), "saw gain");
        check(g.addModule(svf, "svf"), "add svf");
        check(g.setParam(svf, "cutoff", 2000.0).status(), "svf cutoff");
        check(g.setParam(svf, "q", 2.0).status(), "svf q");
        check(g.addModule(env, "adsr"), "add adsr");
        check(g.setParam(env, "attack", 5.0).status(), "adsr attack");
        check(g.setParam(env, "decay", 100.0).status(), "adsr decay");
        check(g.setParam(env, "sustain", 0.5).status(), "adsr sustain");
        check(g.setParam(env, "release", 100.0).status(), "adsr release");
        check(g.setParam(env, "level", level).status(), "adsr level");
        check(g.connect(saw, svf + ".in"), "saw -> svf");
        check(g.connect(svf + ".lp", env + ".in"), "svf -> adsr");
        check(g.connect("gate", env + ".gate"), "lfo -> adsr gate");
        check(g.connect(env, "out"), "adsr -> out");
    }
    return g;
}

// The driver for the live modes: a private JACK dummy server at 48 kHz / 64 frames when jackd is
// there (and --null is not given), else the NullDriver. A new driver (JACK client) per engine.
struct LiveDriver {
    JackServer server;
    std::string jackd;
    std::string name;
    std::unique_ptr<audio::AudioDriver> first; // the one opened while the server came up
    audio::DriverConfig dc;

    explicit LiveDriver(const Options& opt) : jackd(opt.null ? std::string() : JackServer::find(opt.jackd)) {
        dc.sampleRate = kRate;
        dc.blockSize = kBlock;
        dc.clientName = "chronus-bench";
        if (jackd.empty()) {
            name = opt.null ? "NullDriver (--null)" : "NullDriver (jackd is not installed)";
            return;
        }
        std::string error;
        first = server.start(jackd, opt.jackLog, dc, error, opt.jackPriority);
        if (!first)
            die("JACK: " + error);
        if (first->blockSize() != kBlock || first->sampleRate() != kRate)
            die(fmt("JACK gave %g Hz / %d frames, not 48000 / 64", first->sampleRate(), first->blockSize()));
        name = "JACK dummy (`jackd -d dummy -r 48000 -p 64`)";
    }
    bool jack() const { return !jackd.empty(); }
    std::unique_ptr<audio::AudioDriver> open() {
        if (!jack())
            return std::make_unique<audio::NullDriver>();
        if (first)
            return std::move(first);
        auto opened = audio::openDriver("jack", dc);
        if (!opened)
            die("JACK: " + opened.status().message());
        return std::move(opened.value().driver);
    }
    void start(audio::AudioDriver& d, BenchCallback& cb) {
        if (jack())
            check(d.start(cb), "JACK driver start");
        else
            check(d.start(cb, dc), "null driver start");
        cb.waitCalls(10);
    }
};

// An engine playing on the live driver; the driver stops first, then the engine.
struct LiveRig {
    LiveRig(LiveDriver& live, EngineConfig config, std::size_t recordFrames = 0, std::size_t trace = 0)
        : engine(config), callback(engine, recordFrames, trace), driver(live.open()) {
        check(engine.start(), "engine start");
        live.start(*driver, callback);
    }
    ~LiveRig() {
        driver->stop();
        engine.stop();
    }
    SlotEngine engine;
    BenchCallback callback;
    std::unique_ptr<audio::AudioDriver> driver;
};

// Voices: the reference voice workload in the real-time engine (default configuration: hot mirror,
// both slots render it) with worker threads and with worker processes, alternating, at each voice
// count: the engine's CPU per second of audio, its context switches, each slot's DSP load,
// none-reads.
int runVoices(const Options& opt) {
    prctl(PR_SET_TIMERSLACK, 1UL);
    LiveDriver live(opt);
    struct Cell {
        std::vector<double> cores, workerCores, loadActive, loadMirror;
        std::vector<double> switches;  // the engine's threads switched in, per second (per run)
        std::vector<double> outsideUs; // engine CPU outside the render, µs per block (per run)
        std::uint64_t noneReads = 0, failovers = 0, restarts = 0, xruns = 0;
        int runs = 0;
        bool realtime = true;
    };
    const engine::WorkerMode modes[] = {engine::WorkerMode::Threads, engine::WorkerMode::Processes};
    const double blocksPerSecond = kRate / kBlock;
    std::vector<std::array<Cell, 2>> cells(opt.voiceCounts.size());
    logLine(fmt("voices: %zu voice counts x 2 worker modes x %d repetitions, %.1f s each, on %s", opt.voiceCounts.size(),
                opt.reps, opt.seconds, live.name.c_str()));
    for (int rep = 0; rep < opt.reps; ++rep) {
        for (std::size_t v = 0; v < opt.voiceCounts.size(); ++v) {
            const int n = opt.voiceCounts[v];
            const PatchGraph patch = voicePatch(n);
            for (int k = 0; k < 2; ++k) {
                const int m = (k + rep + static_cast<int>(v)) % 2; // the order alternates
                EngineConfig config;
                config.workers = modes[m];
                config.hotMirror = !opt.noHotMirror;
                LiveRig rig(live, config);
                SlotEngine& e = rig.engine;
                loadAndSettle(e, patch);
                check(e.commit(-1.0, std::chrono::milliseconds(10000)).status(), "commit");
                if (!waitMirrorInStep(e, 10000))
                    logLine("the mirror is not in step 10 s after the commit: " + engineState(e));
                std::this_thread::sleep_for(std::chrono::milliseconds(500)); // DSP load settles (~20 blocks)
                const EngineStats s0 = e.stats();
                const std::uint64_t x0 = rig.driver->xruns();
                const CpuUse cpu0 = engineCpu(s0);
                const std::int64_t w0 = workersCpuNs(s0), t0 = nowNs();
                Cell& c = cells[v][static_cast<std::size_t>(m)];
                std::vector<double> loadActive, loadMirror;
                const auto end = Clock::now() + std::chrono::milliseconds(static_cast<long>(opt.seconds * 1000.0));
                while (Clock::now() < end) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(100));
                    const EngineStats s = e.stats();
                    loadActive.push_back(s.slot[static_cast<std::size_t>(s.activeSlot)].dspLoad);
                    loadMirror.push_back(s.slot[static_cast<std::size_t>(1 - s.activeSlot)].dspLoad);
                }
                const EngineStats s1 = e.stats();
                const CpuUse cpu1 = engineCpu(s1);
                const std::int64_t w1 = workersCpuNs(s1), t1 = nowNs();
                const double wall = static_cast<double>(t1 - t0);
                const double cores = static_cast<double>(cpu1.ns - cpu0.ns) / wall;
                c.cores.push_back(cores);
                c.workerCores.push_back(static_cast<double>(w1 - w0) / wall);
                c.switches.push_back(static_cast<double>(cpu1.switches - cpu0.switches) / (wall * 1e-9));
                // The render's share is the DSP load (render time over block time) of each slot
                // that renders; the rest is waking, sleeping, mixing and supervising.
                const double renderCores = median(loadActive) + (opt.noHotMirror ? 0.0 : median(loadMirror));
                c.outsideUs.push_back((cores - renderCores) * 1e6 / blocksPerSecond);
                c.loadActive.insert(c.loadActive.end(), loadActive.begin(), loadActive.end());
                c.loadMirror.insert(c.loadMirror.end(), loadMirror.begin(), loadMirror.end());
                c.noneReads += (s1.slot[0].noneReads + s1.slot[1].noneReads) - (s0.slot[0].noneReads + s0.slot[1].noneReads);
                c.failovers += s1.failovers - s0.failovers;
                c.restarts += s1.workerRestarts - s0.workerRestarts;
                c.xruns += rig.driver->xruns() - x0;
                c.realtime = c.realtime && s1.slot[0].realtime && s1.slot[1].realtime;
                ++c.runs;
                logLine(fmt("voices %d, %s, rep %d: engine CPU %.4f cores, %.0f switches/s, outside the render %.1f us "
                            "per block, DSP load active %.4f, none-reads %llu",
                            n, engine::workerModeName(modes[m]), rep + 1, cores, c.switches.back(), c.outsideUs.back(),
                            median(loadActive), static_cast<unsigned long long>(c.noneReads)));
            }
        }
    }
    std::printf("### Voices: worker threads against worker processes (%s, %d-frame blocks, %s; %d repetitions of "
                "%.1f s per cell, the modes alternating)\n\n",
                live.name.c_str(), kBlock,
                opt.noHotMirror ? "**no hot mirror: only the active slot renders**" : "default configuration: hot mirror",
                opt.reps, opt.seconds);
    std::printf("Engine CPU: CPU time of this process (audio thread, supervisor, control) plus, with processes, both "
                "workers' (/proc/PID/task/*/schedstat), per second of wall time: cores in use, median (and least) "
                "of the repetitions. %s Voices per core = voices / engine CPU (median). Switches: times the engine's "
                "threads were switched in (schedstat), per second. Outside the render: engine CPU minus the "
                "rendering slots' DSP load, per block, in µs: the cost of waking, sleeping, mixing and "
                "supervising, which is all the worker mode can change. DSP load: SlotStats::dspLoad (render time "
                "of a block / its duration), median of 100-ms samples.\n\n",
                opt.noHotMirror ? "Only the active slot renders the voices." : "Both slots render every voice (hot mirror).");
    std::printf("| voices | workers | engine CPU (cores), median / least / most | of it the worker processes | voices "
                "per core | switches/s | outside the render (µs per block) | DSP load active / mirror (median) | DSP "
                "load per voice, active | none-reads | failovers | restarts | xruns | workers RT |\n");
    std::printf("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    bool ok = true, noneOk = true;
    std::string verdicts, beside;
    for (std::size_t v = 0; v < opt.voiceCounts.size(); ++v) {
        const int n = opt.voiceCounts[v];
        double vpc[2]{};
        for (int m = 0; m < 2; ++m) {
            const Cell& c = cells[v][static_cast<std::size_t>(m)];
            vpc[m] = n / median(c.cores);
            std::printf("| %d | %s | %.4f / %.4f / %.4f | %s | %.0f | %.0f | %.1f | %.4f / %.4f | %.3g | %llu | %llu | "
                        "%llu | %llu | %s |\n",
                        n, engine::workerModeName(modes[m]), median(c.cores), minOf(c.cores), maxOf(c.cores),
                        m == 1 ? fmt("%.4f", median(c.workerCores)).c_str() : "-", vpc[m], median(c.switches),
                        median(c.outsideUs), median(c.loadActive), median(c.loadMirror), median(c.loadActive) / n,
                        static_cast<unsigned long long>(c.noneReads), static_cast<unsigned long long>(c.failovers),
                        static_cast<unsigned long long>(c.restarts), static_cast<unsigned long long>(c.xruns),
                        c.realtime ? "SCHED_FIFO" : "not RT");
            noneOk = noneOk && c.noneReads == 0;
        }
        const double ratio = vpc[1] / vpc[0];
        const bool pass = ratio >= 0.95;
        ok = ok && pass;
        // The noise: the same ratio per repetition, from the two runs of that repetition (adjacent
        // in time, so under about the same load from the rest of the machine).
        const Cell& threads = cells[v][0];
        const Cell& processes = cells[v][1];
        std::vector<double> paired;
        for (std::size_t r = 0; r < std::min(threads.cores.size(), processes.cores.size()); ++r)
            paired.push_back(threads.cores[r] / processes.cores[r]);
        std::string spread;
        for (double x : paired)
            spread += fmt("%s%.3f", spread.empty() ? "" : ", ", x);
        verdicts += fmt("| %d voices: processes' voices per core >= 95 %% of threads' | %.0f / %.0f = %.3f (per repetition: "
                        "%s; their median %.3f) | %s |\n",
                        n, vpc[1], vpc[0], ratio, spread.c_str(), paired.empty() ? 0.0 : median(paired), verdict(pass));
        // Beside the bar, other views of the same runs: the least CPU of each mode, the ratio per
        // repetition, the cost outside the render per block (all that the worker mode can change).
        beside += fmt("| %d | %.3f | %.3f (%.3f-%.3f) | %.1f / %.1f (%+.1f) | %.0f / %.0f |\n", n,
                      minOf(threads.cores) / minOf(processes.cores), paired.empty() ? 0.0 : median(paired),
                      paired.empty() ? 0.0 : minOf(paired), paired.empty() ? 0.0 : maxOf(paired),
                      median(threads.outsideUs), median(processes.outsideUs),
                      median(processes.outsideUs) - median(threads.outsideUs), median(threads.switches),
                      median(processes.switches));
    }
    std::printf("\n| bar | measured | result |\n|---|---|---|\n%s", verdicts.c_str());
    std::printf("| none-reads 0 in every cell | see the table | %s |\n\n", verdict(noneOk));
    std::printf("Beside the bar (informational, processes against threads): the ratio of each mode's least engine CPU "
                "(threads' / processes': voices per core of each mode's cheapest run), the median and range of the "
                "ratio per repetition (threads' engine CPU / processes', the two runs of one repetition, adjacent in "
                "time), the engine CPU outside the render per block, and the switches per second. None of these is free "
                "of the machine's other load, which has moved a run's CPU time both ways.\n\n");
    std::printf("| voices | least CPU ratio | per repetition: median (range) | outside the render, threads / "
                "processes (µs per block) | switches/s, threads / processes |\n|---:|---:|---:|---:|---:|\n%s\n",
                beside.c_str());
    return ok && noneOk ? 0 : 1;
}

// Kill: kill -9 of the active worker process while a patch plays (worker processes, real-time
// path): from the kill() call to the supervisor's death notice (the slot's pid goes to 0), to the
// callback that plays the mirror (stats().failovers goes up in it), and to the dead slot's successor
// being an in-step mirror again.
int runKill(const Options& opt) {
    if (opt.patch.empty())
        die("kill needs --patch FILE");
    auto loaded = app::loadPatchFile(QString::fromStdString(opt.patch));
    if (!loaded)
        die(opt.patch + ": " + loaded.status().message());
    const PatchGraph graph = loaded.value().graph;
    const std::string name = opt.patch.substr(opt.patch.find_last_of('/') + 1);
    prctl(PR_SET_TIMERSLACK, 1UL);
    LiveDriver live(opt);
    EngineConfig config; // the defaults (hot mirror, the default ring target), worker processes
    config.workers = engine::WorkerMode::Processes;
    LiveRig rig(live, config, 0, 16384);
    SlotEngine& e = rig.engine;
    loadAndSettle(e, graph);
    check(e.commit(-1.0, std::chrono::milliseconds(10000)).status(), "commit");
    if (!waitMirrorInStep(e, 10000))
        die("the mirror is not in step 10 s after the commit: " + engineState(e));
    std::FILE* csv = opt.csv.empty() ? nullptr : std::fopen(opt.csv.c_str(), "w");
    if (csv)
        std::fprintf(csv, "rep,slot,pid,kill_to_notice_ms,kill_to_switch_ms,kill_to_switch_blocks,kill_to_in_step_ms,"
                          "notice_to_in_step_ms,none_reads,last_exit\n");
    std::vector<double> notice, toSwitch, inStep, noticeToInStep;
    std::uint64_t noneTotal = 0;
    int failed = 0;
    std::string failure;
    const EngineStats first = e.stats();
    const std::uint64_t x0 = rig.driver->xruns();
    logLine(fmt("kill: %d kills of the active worker during %s on %s", opt.reps, name.c_str(), live.name.c_str()));
    for (int rep = 0; rep < opt.reps; ++rep) {
        // Steady: an in-step mirror, both workers alive, then a little more playing.
        if (!waitUntil([&] {
                const EngineStats s = e.stats();
                return s.slot[static_cast<std::size_t>(1 - s.activeSlot)].inStep && !s.fading && s.slot[0].pid > 0 &&
                       s.slot[1].pid > 0;
            }, 10000, 500)) {
            failure = fmt("rep %d: no steady state within 10 s [%s]", rep, engineState(e).c_str());
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        rig.callback.arm();
        // arm() returns just after a callback: the kills land at phases spread over one period
        // (eighths), or every kill would find the next callback equally far away.
        std::this_thread::sleep_for(std::chrono::microseconds(static_cast<long>(kBlockMs * 1000.0 * (rep % 8) / 8.0)));
        const EngineStats s0 = e.stats();
        const int a = s0.activeSlot;
        const pid_t pid = s0.slot[static_cast<std::size_t>(a)].pid;
        const std::int64_t tKill = nowNs();
        ::kill(pid, SIGKILL);
        std::int64_t tNotice = 0, tInStep = 0;
        const std::int64_t limit = tKill + 10'000'000'000LL;
        for (std::int64_t now = nowNs(); now < limit; now = nowNs()) {
            const EngineStats s = e.stats();
            if (!tNotice && s.slot[static_cast<std::size_t>(a)].pid != static_cast<int>(pid))
                tNotice = now;
            if (s.activeSlot != a && s.workerRestarts > s0.workerRestarts && s.slot[static_cast<std::size_t>(a)].inStep) {
                tInStep = now;
                break;
            }
            std::this_thread::sleep_for(std::chrono::microseconds(20));
        }
        rig.callback.disarm();
        const EngineStats s1 = e.stats();
        std::int64_t tSwitch = 0;
        for (const TraceEntry& t : rig.callback.trace())
            if (t.failovers > s0.failovers) {
                tSwitch = t.tNs;
                break;
            }
        const std::uint64_t none = (s1.slot[0].noneReads + s1.slot[1].noneReads) - (s0.slot[0].noneReads + s0.slot[1].noneReads);
    const std::uint64_t nearMisses =
        (s1.slot[0].nearMisses + s1.slot[1].nearMisses) - (s0.slot[0].nearMisses + s0.slot[1].nearMisses);
        noneTotal += none;
        if (!tNotice || !tSwitch || !tInStep) {
            ++failed;
            failure = fmt("rep %d: notice %s, switch %s, in-step mirror %s within 10 s [%s]", rep, tNotice ? "yes" : "no",
                          tSwitch ? "yes" : "no", tInStep ? "yes" : "no", engineState(e).c_str());
            logLine(failure);
            continue;
        }
        notice.push_back(msBetween(tKill, tNotice));
        toSwitch.push_back(msBetween(tKill, tSwitch));
        inStep.push_back(msBetween(tKill, tInStep));
        noticeToInStep.push_back(msBetween(tNotice, tInStep));
        const std::string exit = s1.slot[static_cast<std::size_t>(a)].lastExit;
        if (csv)
            std::fprintf(csv, "%d,%d,%d,%.4f,%.4f,%.3f,%.3f,%.3f,%llu,\"%s\"\n", rep, a, static_cast<int>(pid),
                         notice.back(), toSwitch.back(), toSwitch.back() / kBlockMs, inStep.back(), noticeToInStep.back(),
                         static_cast<unsigned long long>(none), exit.c_str());
        logLine(fmt("kill %d (slot %d, pid %d): notice %.3f ms, switch %.3f ms (%.2f blocks), in-step mirror %.1f ms; %s",
                    rep + 1, a, static_cast<int>(pid), notice.back(), toSwitch.back(), toSwitch.back() / kBlockMs,
                    inStep.back(), exit.c_str()));
    }
    if (csv)
        std::fclose(csv);
    const EngineStats last = e.stats();
    const std::uint64_t xruns = rig.driver->xruns() - x0;
    std::printf("### Failover on kill -9 of the active worker process (%s, %s, %d-frame blocks = %.3f ms; default "
                "configuration, worker processes; %d kills)\n\n",
                name.c_str(), live.name.c_str(), kBlock, kBlockMs, opt.reps);
    std::printf("Times from the kill() call. Death notice: the supervisor reaped the worker (its pidfd became "
                "readable; the slot's pid in stats() changes). Switch: the start of the callback in which "
                "stats().failovers went up (it plays the mirror from that callback on). In-step mirror: the dead "
                "slot's successor (a fork of the playing worker) is an in-step mirror (stats().slot[dead].inStep), "
                "polled every ~20 us.\n\n");
    std::printf("| figure | median | max | min |\n|---|---:|---:|---:|\n");
    auto row = [](const char* what, const std::vector<double>& v, double scale, const char* unit) {
        std::printf("| %s | %.3f %s | %.3f %s | %.3f %s |\n", what, median(v) * scale, unit, maxOf(v) * scale, unit,
                    minOf(v) * scale, unit);
    };
    row("kill -> death notice", notice, 1.0, "ms");
    row("kill -> switch to the mirror", toSwitch, 1.0, "ms");
    row("kill -> switch to the mirror, in blocks", toSwitch, 1.0 / kBlockMs, "blocks");
    row("kill -> in-step mirror again", inStep, 1.0, "ms");
    row("death notice -> in-step mirror again", noticeToInStep, 1.0, "ms");
    std::printf("\nKills survived %zu of %d; failovers %llu, worker restarts %llu, none-reads %llu, xruns (driver) "
                "%llu, muted chunks %llu.\n\n",
                toSwitch.size(), opt.reps, static_cast<unsigned long long>(last.failovers - first.failovers),
                static_cast<unsigned long long>(last.workerRestarts - first.workerRestarts),
                static_cast<unsigned long long>(noneTotal), static_cast<unsigned long long>(xruns),
                static_cast<unsigned long long>(last.mutedChunks - first.mutedChunks));
    if (!failure.empty())
        std::printf("**%s**\n\n", failure.c_str());
    const bool all = static_cast<int>(toSwitch.size()) == opt.reps && failed == 0;
    const bool detect = all && maxOf(toSwitch) <= kFailoverBarBlocks * kBlockMs;
    const bool restart = all && maxOf(inStep) <= 1000.0;
    const bool none = noneTotal == 0;
    std::printf("| bar | measured (max) | result |\n|---|---|---|\n");
    std::printf("| kill -> switch to the mirror <= 3 blocks (%.2f ms) | %.3f ms (%.2f blocks) | %s |\n",
                kFailoverBarBlocks * kBlockMs, maxOf(toSwitch), maxOf(toSwitch) / kBlockMs, verdict(detect));
    std::printf("| kill -> in-step mirror <= 1 s | %.1f ms | %s |\n", maxOf(inStep), verdict(restart));
    std::printf("| none-reads 0 | %llu | %s |\n\n", static_cast<unsigned long long>(noneTotal), verdict(none));
    return detect && restart && none ? 0 : 1;
}

// ------------------------------------------------------------------------------------------------

[[noreturn]] void usage(int code) {
    std::fprintf(code ? stderr : stdout,
                 "usage: chronus_slot_bench prime [--reps N] [--sizes 4,64,1024] [--csv FILE]\n"
                 "       chronus_slot_bench failover [--reps N] [--ring-target N] [--not-in-step] [--csv FILE]\n"
                 "       chronus_slot_bench latency [--jackd PATH] [--jack-log FILE]\n"
                 "       chronus_slot_bench soak [--seconds S] [--ring-target N] [--jackd PATH] [--jack-log FILE] "
                 "[--csv FILE]\n"
                 "                               [--worker-priority N (0: not real-time)] [--jack-priority N]\n"
                 "       chronus_slot_bench jack-idle [--seconds S] [--jackd PATH] [--jack-log FILE] [--jack-priority N]\n"
                 "       chronus_slot_bench music --patch FILE [--seconds S] [--render-seconds S] [--reps N] [--null]\n"
                 "                                [--offline-only]\n"
                 "                                [--jackd PATH] [--jack-log FILE] [--csv FILE (appended)]\n"
                 "       chronus_slot_bench voices [--voice-counts 16,128,512] [--reps N] [--seconds S] [--null] [--no-hot-mirror]\n"
                 "                                 [--jackd PATH] [--jack-log FILE]\n"
                 "       chronus_slot_bench kill --patch FILE [--reps N] [--null] [--jackd PATH] [--jack-log FILE] [--csv FILE]\n"
                 "prime, failover and soak: --workers threads|processes (default threads).\n"
                 "Any mode: --info (a configuration other than the default: bars shown, exit status 0).\n"
                 "Benchmarks of the dual-slot engine (see BENCHMARKS.md). Markdown on stdout; exit 0 when the bars\n"
                 "pass, 1 when one fails, 2 on error, 77 when skipped (no jackd).\n");
    std::exit(code);
}

Options parse(int argc, char** argv) {
    if (argc < 2)
        usage(2);
    Options o;
    o.mode = argv[1];
    if (o.mode == "--help" || o.mode == "-h")
        usage(0);
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--info") {
            o.info = true;
            continue;
        }
        if (a == "--not-in-step") {
            o.notInStep = true;
            continue;
        }
        if (a == "--null") {
            o.null = true;
            continue;
        }
        if (a == "--offline-only") {
            o.offlineOnly = true;
            continue;
        }
        if (a == "--no-hot-mirror") {
            o.noHotMirror = true;
            continue;
        }
        if (i + 1 >= argc)
            usage(2);
        const char* v = argv[++i];
        if (a == "--reps")
            o.reps = std::atoi(v);
        else if (a == "--seconds")
            o.seconds = std::atof(v);
        else if (a == "--ring-target")
            o.ringTarget = std::atoi(v);
        else if (a == "--jackd")
            o.jackd = v;
        else if (a == "--csv")
            o.csv = v;
        else if (a == "--jack-log")
            o.jackLog = v;
        else if (a == "--worker-priority")
            o.workerPriority = std::atoi(v);
        else if (a == "--jack-priority")
            o.jackPriority = std::atoi(v);
        else if (a == "--param-rate")
            o.paramRate = std::atof(v);
        else if (a == "--commit-every")
            o.commitEvery = std::atof(v);
        else if (a == "--patch")
            o.patch = v;
        else if (a == "--render-seconds")
            o.renderSeconds = std::atof(v);
        else if (a == "--workers") {
            const auto m = engine::workerModeFromName(v);
            if (!m)
                usage(2);
            o.workers = *m;
        } else if (a == "--voice-counts") {
            o.voiceCounts.clear();
            std::stringstream ss(v);
            std::string item;
            while (std::getline(ss, item, ','))
                o.voiceCounts.push_back(std::atoi(item.c_str()));
        } else if (a == "--sizes") {
            o.sizes.clear();
            std::stringstream ss(v);
            std::string item;
            while (std::getline(ss, item, ','))
                o.sizes.push_back(std::atoi(item.c_str()));
        } else
            usage(2);
    }
    if (o.reps < 1 || !(o.seconds > 0.0) || o.ringTarget < 1)
        usage(2);
    return o;
}

} // namespace

int main(int argc, char** argv) {
    const Options opt = parse(argc, argv);
    signal(SIGPIPE, SIG_IGN);
#ifdef CHRONUS_SLOT_WORKER_BINARY
    // Worker processes: the worker program of this build, unless the environment names another.
    setenv("CHRONUS_SLOT_WORKER", CHRONUS_SLOT_WORKER_BINARY, 0);
#endif
    int rc = 2;
    if (opt.mode == "prime")
        rc = runPrime(opt);
    else if (opt.mode == "failover")
        rc = runFailover(opt);
    else if (opt.mode == "latency")
        rc = runLatency(opt);
    else if (opt.mode == "soak")
        rc = runSoak(opt);
    else if (opt.mode == "jack-idle")
        rc = runJackIdle(opt);
    else if (opt.mode == "music")
        rc = runMusic(opt);
    else if (opt.mode == "voices")
        rc = runVoices(opt);
    else if (opt.mode == "kill")
        rc = runKill(opt);
    else
        usage(2);
    if (opt.info && (rc == 0 || rc == 1)) {
        std::printf("(Informational run, not the default configuration: the bars above do not decide the exit "
                    "status.)\n\n");
        rc = 0;
    }
    std::fflush(stdout);
    return rc;
}
