// chronus_module_bench: the cost of every registered module type per sample, the module alone.
// See BENCHMARKS.md ("Music: the example tracks and every module"); bench/run.sh music runs it twice:
// natively (time per sample, median of --reps) and under callgrind (instructions per sample).
//
// For each type in engine::ModuleRegistry::instance().types(), in palette order: one instance at its
// default parameters, prepared at 48 kHz with 64-frame blocks, its process() called block after
// block exactly as Plan::processBlock calls it (a ProcessContext with input pointers, nullptr for an
// unconnected input, and output buffers), denormals flushed as on the render thread. The inputs are
// computed up front by this program (so generating them costs nothing in the measured loop):
//   audio inputs             a naive saw at 110 Hz, +-0.5 (a "right" input: 110.5 Hz)
//   gate inputs              a gate at every 16th note at 175 BPM (high for half a step); an `open`
//                            input (hi-hat) only on quarter notes; a `reset` input stays unconnected
//   cv inputs                a slow LFO: `tempo` holds 175/60 beats/s (a clock's tempo output);
//                            1/oct inputs (`fm`, `cutoff`) a +-0.5 octave sine at 0.5 Hz; `accent` and
//                            the rest 0.5 + 0.5 sin at 0.25 Hz
// A type with a gate input is also measured "idle": the same inputs with its gates held low (a drum
// that is not hit, an envelope that is not gated).
//
// The measured region is --warmup seconds after prepare (not counted) and then --seconds of blocks.
// Natively it is timed --reps times (fresh prepare each time) and the median printed. Under
// callgrind (run with --collect-atstart=no) each measured region is bracketed by client requests:
// collection switched on, the blocks, collection off, and the counters dumped with the row's label
// ("type/active", "type/idle"), so each dump file holds the instructions of that module's process()
// calls alone (plus a loop of a few instructions per 64-frame block).
//
// Usage: chronus_module_bench [--seconds S] [--warmup S] [--reps N] [--only type,type]
// Prints CSV on stdout: type,category,variant,inputs,samples,ns_per_sample,ns_min,out_rms,out_peak

#include "engine/Denormals.hpp"
#include "engine/Module.hpp"
#include "engine/ModuleRegistry.hpp"

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define CHRONUS_HAVE_CALLGRIND 1
#else
#define CALLGRIND_ZERO_STATS
#define CALLGRIND_TOGGLE_COLLECT
#define CALLGRIND_DUMP_STATS_AT(x)
#define RUNNING_ON_VALGRIND 0
#endif

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <numbers>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace chronus::engine;

constexpr double kRate = 48000.0;
constexpr int kBlock = 64;
constexpr double kBpm = 175.0;

struct Options {
    double seconds = 4.0;
    double warmup = 0.5;
    int reps = 5;
    std::vector<std::string> only;
};

[[noreturn]] void usage(int code) {
    std::fprintf(code ? stderr : stdout,
                 "usage: chronus_module_bench [--seconds S] [--warmup S] [--reps N] [--only type,type]\n"
                 "The cost of every registered module's process() per sample (see BENCHMARKS.md). CSV on stdout.\n"
                 "Run under `valgrind --tool=callgrind --collect-atstart=no` for instructions: one dump per row.\n");
    std::exit(code);
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--help" || a == "-h")
            usage(0);
        if (i + 1 >= argc)
            usage(2);
        const char* v = argv[++i];
        if (a == "--seconds")
            o.seconds = std::atof(v);
        else if (a == "--warmup")
            o.warmup = std::atof(v);
        else if (a == "--reps")
            o.reps = std::atoi(v);
        else if (a == "--only") {
            std::stringstream ss(v);
            std::string item;
            while (std::getline(ss, item, ','))
                o.only.push_back(item);
        } else
            usage(2);
    }
    if (!(o.seconds > 0.0) || o.warmup < 0.0 || o.reps < 1)
        usage(2);
    return o;
}

// The signal an input port is fed with, and its name in the table.
enum class Feed { None, Saw, SawRight, Gate16, GateQuarter, GateLow, Tempo, Octave, Unipolar };

const char* feedName(Feed f) {
    switch (f) {
    case Feed::None: return "-";
    case Feed::Saw: return "saw 110 Hz";
    case Feed::SawRight: return "saw 110.5 Hz";
    case Feed::Gate16: return "16ths";
    case Feed::GateQuarter: return "4ths";
    case Feed::GateLow: return "low";
    case Feed::Tempo: return "175 BPM";
    case Feed::Octave: return "LFO +-0.5 oct";
    case Feed::Unipolar: return "LFO 0..1";
    }
    return "?";
}

Feed feedFor(const PortSpec& port, bool idle) {
    const std::string id = port.id;
    switch (port.kind) {
    case Signal::Audio:
        return id == "right" ? Feed::SawRight : Feed::Saw;
    case Signal::Gate:
        if (id == "reset")
            return Feed::None;
        if (idle)
            return Feed::GateLow;
        return id == "open" ? Feed::GateQuarter : Feed::Gate16;
    case Signal::Cv:
        if (id == "tempo")
            return Feed::Tempo;
        if (id == "fm" || id == "cutoff" || id == "pitch")
            return Feed::Octave;
        return Feed::Unipolar;
    }
    return Feed::None;
}

std::vector<float> makeSignal(Feed f, std::size_t frames) {
    std::vector<float> s(frames, 0.0f);
    const double step = 60.0 / kBpm / 4.0 * kRate; // samples per 16th
    for (std::size_t i = 0; i < frames; ++i) {
        const double t = static_cast<double>(i) / kRate;
        double v = 0.0;
        switch (f) {
        case Feed::None:
        case Feed::GateLow: v = 0.0; break;
        case Feed::Saw: v = std::fmod(110.0 * t, 1.0) - 0.5; break;
        case Feed::SawRight: v = std::fmod(110.5 * t, 1.0) - 0.5; break;
        case Feed::Gate16: v = std::fmod(static_cast<double>(i), step) < 0.5 * step ? 1.0 : 0.0; break;
        case Feed::GateQuarter: v = std::fmod(static_cast<double>(i), 4.0 * step) < 0.5 * step ? 1.0 : 0.0; break;
        case Feed::Tempo: v = kBpm / 60.0; break;
        case Feed::Octave: v = 0.5 * std::sin(2.0 * std::numbers::pi * 0.5 * t); break;
        case Feed::Unipolar: v = 0.5 + 0.5 * std::sin(2.0 * std::numbers::pi * 0.25 * t); break;
        }
        s[i] = static_cast<float>(v);
    }
    return s;
}

struct Row {
    std::string inputs;
    double nsMedian = 0.0, nsMin = 0.0, rms = 0.0, peak = 0.0;
};

// The measured loop: kept out of line so that a profile shows it as one function.
[[gnu::noinline]] void runBlocks(Module& m, const std::vector<const float*>& base, std::vector<const float*>& in,
                                 float* const* outs, std::size_t firstFrame, std::size_t blocks) {
    std::uint8_t inChannels[64], outChannels[64]; // one channel each, as mono cables give
    for (std::size_t k = 0; k < std::size(inChannels); ++k) {
        inChannels[k] = k < in.size() && base[k] ? 1 : 0;
        outChannels[k] = 1;
    }
    for (std::size_t b = 0; b < blocks; ++b) {
        const std::size_t at = firstFrame + b * kBlock;
        for (std::size_t k = 0; k < in.size(); ++k)
            in[k] = base[k] ? base[k] + at : nullptr;
        m.process({kBlock, in.data(), outs, 1, inChannels, outChannels});
    }
}

Row measure(const ModuleType& type, bool idle, const Options& opt, bool underValgrind) {
    const std::size_t warmBlocks = static_cast<std::size_t>(std::ceil(opt.warmup * kRate / kBlock));
    const std::size_t blocks = static_cast<std::size_t>(std::ceil(opt.seconds * kRate / kBlock));
    const std::size_t frames = (warmBlocks + blocks) * kBlock;
    Row row;
    std::vector<std::vector<float>> signals;
    std::vector<const float*> base, in(type.inputs.size(), nullptr);
    signals.reserve(type.inputs.size());
    for (const PortSpec& port : type.inputs) {
        const Feed f = feedFor(port, idle);
        if (!row.inputs.empty())
            row.inputs += "; ";
        row.inputs += std::string(port.id) + ": " + feedName(f);
        signals.push_back(f == Feed::None ? std::vector<float>() : makeSignal(f, frames));
        base.push_back(f == Feed::None ? nullptr : signals.back().data());
    }
    if (row.inputs.empty())
        row.inputs = "(none)";
    // The output module writes the master pair (Plan gives it two buffers); give every type at least two.
    const std::size_t outCount = std::max<std::size_t>(type.outputs.size(), 2);
    std::vector<std::vector<float>> outBuf(outCount, std::vector<float>(kBlock, 0.0f));
    std::vector<float*> outs;
    for (auto& o : outBuf)
        outs.push_back(o.data());

    const std::string label = std::string(type.id) + (idle ? "/idle" : "/active");
    const int reps = underValgrind ? 1 : opt.reps;
    std::vector<double> ns;
    for (int rep = 0; rep < reps; ++rep) {
        std::unique_ptr<Module> m = type.create(type);
        m->setInstanceSeed(seedFromId(type.id));
        m->prepare({kRate, kBlock});
        ScopedFlushDenormals ftz;
        runBlocks(*m, base, in, outs.data(), 0, warmBlocks);
        if (underValgrind) {
            CALLGRIND_ZERO_STATS;
            CALLGRIND_TOGGLE_COLLECT;
        }
        const auto t0 = std::chrono::steady_clock::now();
        runBlocks(*m, base, in, outs.data(), warmBlocks * kBlock, blocks);
        const auto t1 = std::chrono::steady_clock::now();
        if (underValgrind) {
            CALLGRIND_TOGGLE_COLLECT;
            CALLGRIND_DUMP_STATS_AT(label.c_str());
        }
        ns.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / static_cast<double>(blocks * kBlock));
    }
    // Not timed: the level of the first output over the measured region (the module made a signal, or
    // a CV, at all).
    if (!underValgrind && !type.outputs.empty()) {
        std::unique_ptr<Module> m = type.create(type);
        m->setInstanceSeed(seedFromId(type.id));
        m->prepare({kRate, kBlock});
        ScopedFlushDenormals ftz;
        runBlocks(*m, base, in, outs.data(), 0, warmBlocks);
        double sum = 0.0;
        for (std::size_t b = 0; b < blocks; ++b) {
            runBlocks(*m, base, in, outs.data(), (warmBlocks + b) * kBlock, 1);
            for (float x : outBuf[0]) {
                sum += static_cast<double>(x) * static_cast<double>(x);
                row.peak = std::max(row.peak, static_cast<double>(std::fabs(x)));
            }
        }
        row.rms = std::sqrt(sum / static_cast<double>(blocks * kBlock));
    }
    std::vector<double> sorted = ns;
    std::sort(sorted.begin(), sorted.end());
    const std::size_t n = sorted.size();
    row.nsMedian = n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    row.nsMin = sorted.front();
    return row;
}

} // namespace

int main(int argc, char** argv) {
    const Options opt = parse(argc, argv);
    const bool underValgrind = RUNNING_ON_VALGRIND != 0;
#ifndef CHRONUS_HAVE_CALLGRIND
    if (underValgrind)
        std::fprintf(stderr, "chronus_module_bench: built without valgrind/callgrind.h: no per-row dumps\n");
#endif
    std::printf("type,category,variant,inputs,samples,ns_per_sample,ns_min,out_rms,out_peak\n");
    for (const ModuleType* type : ModuleRegistry::instance().types()) {
        if (!opt.only.empty() && std::find(opt.only.begin(), opt.only.end(), type->id) == opt.only.end())
            continue;
        bool hasGate = false;
        for (const PortSpec& p : type->inputs)
            hasGate = hasGate || (p.kind == Signal::Gate && std::string(p.id) != "reset");
        for (int idle = 0; idle <= (hasGate ? 1 : 0); ++idle) {
            const Row r = measure(*type, idle != 0, opt, underValgrind);
            const std::size_t samples = static_cast<std::size_t>(std::ceil(opt.seconds * kRate / kBlock)) * kBlock;
            std::printf("%s,%s,%s,\"%s\",%zu,%.3f,%.3f,%.4g,%.4g\n", type->id, type->category, idle ? "idle" : "active",
                        r.inputs.c_str(), samples, r.nsMedian, r.nsMin, r.rms, r.peak);
            std::fflush(stdout);
        }
    }
    return 0;
}
