#pragma once
// Plain descriptions shared by modules, the registry and the graph.

#include <cstdint>
#include <span>

namespace chronus::engine {

using ParamIndex = int;
using PortIndex = int;

// The kind of signal a port carries. All are float streams at the sample rate; the kind tells
// editors how to colour a port and which cables make sense.
enum class Signal : std::uint8_t { Audio, Cv, Gate };

enum ParamFlags : std::uint8_t {
    ParamSmooth = 0,       // ramps per sample toward a new value (the default)
    ParamDiscrete = 1 << 0, // integer choices (mode, shape); applied at once, never ramped
    ParamHidden = 1 << 1,   // one of many (a sequencer's steps), set through the module's text form
                            // (`pattern`, `notes`); editors show the text, not a knob per value
    ParamLog = 1 << 2,      // a wide range heard in ratios (frequencies, times): a knob moves it
                            // logarithmically, so equal travel multiplies the value (see paramLogFloor)
    ParamStructural = 1 << 3 // changes how many channels the module's outputs carry: a compiled plan
                             // cannot follow it, so it is set on the pending patch and committed,
                             // never changed live
};

// One parameter, declared once next to the module's DSP. `id` is stable forever (patch files, OSC, QML).
struct ParamSpec {
    const char* id;
    const char* name;
    const char* unit;
    float min;
    float max;
    float def;
    std::uint8_t flags = ParamSmooth;
    const char* alias = nullptr; // the predecessor's name for it, accepted on input
    const char* choices = nullptr; // discrete params: labels separated by '|', index = value
};

// Where a ParamLog parameter's logarithmic travel starts: its min, or for a range from 0 a
// thousandth of its max (20 Hz of 0..20 kHz); 0 itself is the very start of the travel.
constexpr double paramLogFloor(const ParamSpec& spec) {
    return spec.min > 0.0f ? static_cast<double>(spec.min) : static_cast<double>(spec.max) / 1000.0;
}

// A parameter value addressed by index (the result of parsing a module's text form).
struct ParamValue {
    ParamIndex index;
    double value;
};

// A text form of a module: a string that stands for many parameters at once (a sequencer's
// `pattern` sets its step parameters). Parsed on the control thread; the parameters carry it
// everywhere else (live changes, both slots, files), so no string reaches the audio thread.
struct TextParamSpec {
    const char* id;
    const char* name;
    const char* help;
};

struct PortSpec {
    const char* id;
    const char* name;
    Signal kind;
};

struct PrepareInfo {
    double sampleRate = 48000.0;
    int maxBlock = 4096;
};

// Polyphony follows VCV Rack's convention: a cable carries 1 to kMaxChannels channels. A buffer of C
// channels is interleaved by frame, channelStride(C) floats per frame: channel c of frame i is
// buf[i * stride + c]. Poly strides are whole groups of kPolyLanes (one AVX vector), so a kernel
// never handles a partial group; the lanes from C up to the stride are padding, which consumers
// ignore and producers may fill with anything finite. One channel is stride 1: a mono buffer is
// exactly what it was before polyphony.
inline constexpr int kMaxChannels = 16;
inline constexpr int kPolyLanes = 8;
constexpr int channelStride(int channels) noexcept {
    return channels <= 1 ? 1 : (channels + kPolyLanes - 1) / kPolyLanes * kPolyLanes;
}

// How a module type treats channels (ModuleType::polyphony).
enum class Polyphony : std::uint8_t {
    Mono,   // every input arrives summed to one channel; every output carries one channel
    Poly,   // channels = the most on any connected input (1 when none); every connected input
            // arrives at that width (a mono cable feeds every channel, a narrower cable is padded
            // with zeros); every output carries that many. Params and gates apply to every channel.
    Custom  // ModuleType::channels says what each output carries; inputs arrive as connected
};

// What a module sees in process(). Inputs are nullptr when nothing is connected; outputs always
// point at `frames` writable frames of their channel count (see channelStride), the same buffers
// every block of a plan, written by no one else: what a module wrote stays there (const relies on it).
struct ProcessContext {
    int frames = 0;
    const float* const* inputs = nullptr;
    float* const* outputs = nullptr;
    int channels = 1;                             // Poly: the module's channel count; else 1
    const std::uint8_t* inputChannels = nullptr;  // per input: channels arriving (0: unconnected)
    const std::uint8_t* outputChannels = nullptr; // per output
    // Bit o set: no cable reads output o, so the module may leave it unwritten (skip its work).
    std::uint32_t unreadOutputs = 0;
};

inline constexpr double kMinSampleRate = 22050.0;
inline constexpr double kMaxSampleRate = 192000.0;
inline constexpr int kMaxBlock = 4096;
inline constexpr std::size_t kMaxModules = 4096; // per patch, `out` included

} // namespace chronus::engine
