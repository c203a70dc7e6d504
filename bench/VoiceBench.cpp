// chronus_bench: renders the reference voice workload (BENCHMARKS.md) through the public engine API,
// exactly as users run it: a PatchGraph built with addModule / connect / setParam, compiled by
// Plan::compile, rendered by Plan::process in blocks of 64 with denormals flushed.
//
// Voice i (i = 0..N-1): saw at 55 * 2^(i/48) Hz -> svf (cutoff 2000 Hz, Q 2, lp output) -> adsr
// (A 5 ms, D 100 ms, S 0.5, R 100 ms, level 0.5/N) -> out (both channels). One shared square LFO
// (2 Hz, width 0.6: high 0.3 s of every 0.5 s) gates every envelope.
//
// Usage: chronus_bench [--voices N] [--seconds S] [--rate HZ] [--block N] [--wav FILE]
// Prints one line of key=value pairs. Without --wav the audio is rendered and discarded (a checksum
// of it is printed so the work cannot be skipped).

#include "engine/Denormals.hpp"
#include "engine/PatchGraph.hpp"
#include "engine/Plan.hpp"

#include <sndfile.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

using namespace chronus::engine;

struct Options {
    int voices = 16;
    double seconds = 60.0;
    double rate = 48000.0;
    int block = 64;
    std::string wav;
};

[[noreturn]] void usage(int code) {
    std::fprintf(code ? stderr : stdout,
                 "usage: chronus_bench [--voices N] [--seconds S] [--rate HZ] [--block N] [--wav FILE]\n"
                 "Renders the reference voice workload (see BENCHMARKS.md) and prints timing and levels.\n");
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
        if (a == "--voices")
            o.voices = std::atoi(v);
        else if (a == "--seconds")
            o.seconds = std::atof(v);
        else if (a == "--rate")
            o.rate = std::atof(v);
        else if (a == "--block")
            o.block = std::atoi(v);
        else if (a == "--wav")
            o.wav = v;
        else
            usage(2);
    }
    if (o.voices < 1 || !(o.seconds > 0.0) || o.block < 1)
        usage(2);
    return o;
}

void check(const Status& s, const char* what) {
    if (!s) {
        std::fprintf(stderr, "chronus_bench: %s: %s\n", what, s.message().c_str());
        std::exit(1);
    }
}

template <class T>
void check(const Result<T>& r, const char* what) {
    check(r.status(), what);
}

// The reference patch for `voices` voices.
PatchGraph buildPatch(int voices) {
    PatchGraph g;
    check(g.addModule("gate", "lfo"), "add lfo");
    check(g.setParam("gate", "shape", 3), "lfo shape");  // square: +1 while phase < width, else -1
    check(g.setParam("gate", "rate", 2), "lfo rate");    // one retrigger every 0.5 s
    check(g.setParam("gate", "width", 0.6), "lfo width"); // high for 0.3 s
    const double level = 0.5 / voices;
    for (int i = 0; i < voices; ++i) {
        const std::string n = std::to_string(i);
        const std::string saw = "saw" + n, svf = "svf" + n, env = "env" + n;
        check(g.addModule(saw, "saw"), "add saw");
        check(g.setParam(saw, "freq", 55.0 * std::exp2(i / 48.0)), "saw freq");
        check(g.setParam(saw, "gain", 1.0), "saw gain");
        check(g.addModule(svf, "svf"), "add svf");
        check(g.setParam(svf, "cutoff", 2000.0), "svf cutoff");
        check(g.setParam(svf, "q", 2.0), "svf q");
        check(g.addModule(env, "adsr"), "add adsr");
        check(g.setParam(env, "attack", 5.0), "adsr attack");
        check(g.setParam(env, "decay", 100.0), "adsr decay");
        check(g.setParam(env, "sustain", 0.5), "adsr sustain");
        check(g.setParam(env, "release", 100.0), "adsr release");
        check(g.setParam(env, "level", level), "adsr level");
        check(g.connect(saw, svf + ".in"), "saw -> svf");
        check(g.connect(svf + ".lp", env + ".in"), "svf -> adsr");
        check(g.connect("gate", env + ".gate"), "lfo -> adsr gate");
        check(g.connect(env, "out"), "adsr -> out");
    }
    return g;
}

double secondsSince(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

} // namespace

int main(int argc, char** argv) {
    const Options opt = parse(argc, argv);
    const auto start = std::chrono::steady_clock::now();

    const PatchGraph graph = buildPatch(opt.voices);
    auto compiled = Plan::compile(graph, {opt.rate, opt.block});
    check(compiled, "compile");
    Plan& plan = *compiled.value();
    const double setupSeconds = secondsSince(start);

    const auto frames = static_cast<long long>(std::llround(opt.seconds * opt.rate));
    const auto block = static_cast<std::size_t>(opt.block);
    std::vector<float> left(block), right(block), interleaved;
    SNDFILE* file = nullptr;
    if (!opt.wav.empty()) {
        SF_INFO info{};
        info.samplerate = static_cast<int>(opt.rate);
        info.channels = 2;
        info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
        file = sf_open(opt.wav.c_str(), SFM_WRITE, &info);
        if (!file) {
            std::fprintf(stderr, "chronus_bench: cannot write %s: %s\n", opt.wav.c_str(), sf_strerror(nullptr));
            return 1;
        }
        interleaved.resize(2 * block);
    }

    // Levels of the left channel: peak and sum of squares (also keeps the render observable).
    double sumSquares = 0.0;
    float peak = 0.0f;
    const auto renderStart = std::chrono::steady_clock::now();
    {
        ScopedFlushDenormals ftz; // as the engine's render workers do
        for (long long done = 0; done < frames;) {
            const int n = static_cast<int>(std::min<long long>(frames - done, opt.block));
            plan.process(left.data(), right.data(), n);
            for (int i = 0; i < n; ++i) {
                const float x = left[static_cast<std::size_t>(i)];
                sumSquares += static_cast<double>(x * x);
                peak = std::max(peak, std::fabs(x));
            }
            if (file) {
                for (int i = 0; i < n; ++i) {
                    interleaved[2 * static_cast<std::size_t>(i)] = left[static_cast<std::size_t>(i)];
                    interleaved[2 * static_cast<std::size_t>(i) + 1] = right[static_cast<std::size_t>(i)];
                }
                sf_writef_float(file, interleaved.data(), n);
            }
            done += n;
        }
    }
    const double renderSeconds = secondsSince(renderStart);
    if (file)
        sf_close(file);

    const double audioSeconds = static_cast<double>(frames) / opt.rate;
    std::printf("voices=%d seconds=%g frames=%lld setup_s=%.6f render_s=%.6f render_rtf=%.2f peak=%.6f rms=%.6f\n",
                opt.voices, audioSeconds, frames, setupSeconds, renderSeconds,
                renderSeconds > 0.0 ? audioSeconds / renderSeconds : 0.0, static_cast<double>(peak),
                std::sqrt(sumSquares / static_cast<double>(frames > 0 ? frames : 1)));
    return 0;
}
