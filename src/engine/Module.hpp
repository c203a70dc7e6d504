#pragma once
// The base of every DSP module. A module type declares its params and ports once, next to its DSP
// (see modules/), and registers a ModuleType that the graph, the patch files and the UI read.

#include "SmoothedValue.hpp"
#include "Types.hpp"

#include "Status.hpp"
#include "MidiOutVoices.hpp"
#include "rt/MidiEvent.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace chronus::engine {

class Module;

// The text forms of a module type (see TextParamSpec). Control thread only.
struct TextForm {
    std::span<const TextParamSpec> texts;
    // Appends the parameter values text form `index` stands for, or says what is wrong with it.
    Status (*parse)(int index, std::string_view text, std::vector<ParamValue>& out);
    // The text form of the current parameter values (one per ParamSpec).
    std::string (*format)(int index, std::span<const double> params);
};

// Everything known about a module type without instantiating it. Static data; safe from any thread.
struct ModuleType {
    const char* id;       // stable forever
    const char* name;     // for people
    const char* category; // palette group: Oscillators, Envelopes, Filters, ...
    const char* description;
    std::span<const ParamSpec> params;
    std::span<const PortSpec> inputs;
    std::span<const PortSpec> outputs;
    std::unique_ptr<Module> (*create)(const ModuleType&);
    const TextForm* text = nullptr; // text forms, for the few types that have them
    // An upper bound of the memory prepare() allocates at this sample rate beyond kModuleBaseBytes
    // (delay lines, look-ahead buffers), so that a patch's cost is known before it is compiled.
    // Null for the types whose state fits in kModuleBaseBytes; a test measures every type.
    std::size_t (*stateBytes)(double sampleRate) = nullptr;
    Polyphony polyphony = Polyphony::Mono;
    // Custom types: each output's channel count (1..kMaxChannels) from the connected inputs'
    // counts (0: unconnected) and the parameter values. Any thread; allocates nothing.
    void (*channels)(std::span<const std::uint8_t> inputs, std::span<const double> params,
                     std::span<std::uint8_t> outputs) = nullptr;
    // The MIDI the type takes (Module::midi), kMidiChannel and/or kMidiTransport (0: none): the
    // engine sends each event of those kinds to every module of it. `true` means channel messages.
    std::uint8_t takesMidi = 0;
    // The type makes MIDI (Module::midiOut): the plan collects it after each block.
    bool makesMidi = false;

    // Control thread. -1 when unknown; accepts ids and the predecessor's aliases.
    ParamIndex findParam(std::string_view idOrAlias) const noexcept;
    // Control thread. Index into text->texts; -1 when unknown or the type has no text forms.
    int findText(std::string_view textId) const noexcept;
    PortIndex findInput(std::string_view portId) const noexcept;
    PortIndex findOutput(std::string_view portId) const noexcept;
};

// ModuleType::takesMidi: channel messages (notes, controllers, bend, ...); the transport (timing
// clock, start, stop, continue, song position).
inline constexpr std::uint8_t kMidiChannel = 1;
inline constexpr std::uint8_t kMidiTransport = 2;

// Whether a type that takes `takes` gets `event`.
inline bool takesMidiEvent(std::uint8_t takes, const MidiEvent& event) noexcept {
    return (takes & (event.isTransport() ? kMidiTransport : kMidiChannel)) != 0;
}

class Module {
public:
    explicit Module(const ModuleType& type);
    virtual ~Module();
    Module(const Module&) = delete;
    Module& operator=(const Module&) = delete;

    const ModuleType& type() const noexcept { return m_type; }
    double sampleRate() const noexcept { return m_sampleRate; }

    // Control thread; may allocate. Sets up parameter ramps, then calls onPrepare(). Params keep
    // their values across prepare; state is reset.
    void prepare(const PrepareInfo& info);

    // Audio or render thread. RT-safe: no allocation, locks, I/O or exceptions.
    virtual void process(const ProcessContext& ctx) noexcept = 0;

    // RT-safe. A gate event (note on/off) addressed to this module. Modules without a gate ignore it.
    virtual void gate(bool /*on*/) noexcept {}

    // RT-safe. A MIDI event for the block about to be processed (types with takesMidi): it applies at
    // frame `event.offset` of that block. Called before process(), in the order the events happened;
    // the module keeps what it needs in fixed storage (no allocation).
    virtual void midi(const MidiEvent& /*event*/) noexcept {}

    // RT-safe. The other way (types with makesMidi): right after process(), the MIDI events the
    // module made in that block, appended to `out` in the order they happened, each one's offset
    // (its frame in the block) moved on by `frameBase`. The module makes them in fixed storage.
    virtual void midiOut(MidiOutBlock& /*out*/, int /*frameBase*/) noexcept {}

    // RT-safe. Musical time starts again: a clock at its first step, a sequencer before its step 1.
    // Called once after a plan's warm-up, so a new patch's first beat is heard at its first sample
    // instead of being rendered into the warm-up. Other modules keep their settled state.
    virtual void restartTransport() noexcept {}

    // RT-safe. Clamps to the declared range; ramps per sample unless the param is discrete.
    void setParam(ParamIndex index, float value) noexcept;
    // RT-safe. The same, starting at frame `frame` of the next process() call (a MIDI-mapped
    // controller's sample); a discrete param changes at the block's start.
    void setParamAt(ParamIndex index, float value, int frame) noexcept;
    // RT-safe. Jumps without a ramp (initial values from a patch).
    void setParamImmediate(ParamIndex index, float value) noexcept;
    float paramTarget(ParamIndex index) const noexcept { return m_params[index].target(); }

    // Control thread, before prepare(). A seed derived from the module's id, so random modules
    // (noise) are uncorrelated with each other yet render identically every time and in both slots.
    void setInstanceSeed(std::uint32_t seed) noexcept { m_seed = seed; }
    std::uint32_t instanceSeed() const noexcept { return m_seed; }

protected:
    virtual void onPrepare(const PrepareInfo& info) = 0;
    SmoothedValue& param(ParamIndex index) noexcept { return m_params[index]; }
    // RT-safe. Whether any parameter is ramping (modules pick a per-sample or a constant path).
    bool anyParamSmoothing() const noexcept {
        for (std::size_t i = 0; i < m_type.params.size(); ++i)
            if (m_params[i].isSmoothing())
                return true;
        return false;
    }
    const SmoothedValue& param(ParamIndex index) const noexcept { return m_params[index]; }

private:
    const ModuleType& m_type;
    std::unique_ptr<SmoothedValue[]> m_params;
    double m_sampleRate = 48000.0;
    std::uint32_t m_seed = 0x9E3779B9u;
};

// What one module costs whatever its type (the object, its parameter ramps, the plan's bookkeeping),
// for the patch memory estimate; each output port adds a buffer of the largest block
// (kPortBufferBytes per channel-stride lane: a 16-channel cable costs 16 of them); stateBytes adds
// the rest.
inline constexpr std::size_t kModuleBaseBytes = 32 * 1024;
inline constexpr std::size_t kPortBufferBytes = (kMaxBlock + 16) * sizeof(float);

// How long parameter ramps take. Short enough to feel immediate, long enough to avoid zipper noise.
inline constexpr double kParamRampSeconds = 0.010;

// The labels of a discrete parameter (ParamSpec::choices): label i stands for the value min + i.
// Control thread (they allocate); the audio thread only ever sees the values.
std::vector<std::string_view> paramLabels(const ParamSpec& spec);
// The value `label` stands for (ASCII case ignored), or nullopt when it is not one of the labels.
std::optional<double> paramLabelValue(const ParamSpec& spec, std::string_view label);
// The label of `value` (rounded), or "" when the param has no labels or the value none.
std::string paramLabel(const ParamSpec& spec, double value);
// "sine, triangle, saw" for error messages.
std::string paramLabelList(const ParamSpec& spec);

// A stable 32-bit hash of a module id (FNV-1a), for instance seeds.
inline std::uint32_t seedFromId(std::string_view id) noexcept {
    std::uint32_t h = 2166136261u;
    for (char c : id) {
        h ^= static_cast<std::uint8_t>(c);
        h *= 16777619u;
    }
    return h;
}

// Registration helper: `&createModule<Saw>` fills ModuleType::create.
template <class M>
std::unique_ptr<Module> createModule(const ModuleType& type) {
    return std::make_unique<M>(type);
}

} // namespace chronus::engine
