#pragma once
// The patch as a description: modules (id, type, parameter values, editor position) and cables.
// No DSP lives here; Plan::compile turns a PatchGraph into something that renders.
// Control thread only: every method may allocate.

#include "Module.hpp"
#include "Status.hpp"

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chronus::engine {

struct Cable {
    std::string from;
    PortIndex fromPort = 0;
    std::string to;
    PortIndex toPort = 0;
    bool operator==(const Cable&) const = default;
};

struct PatchNode {
    std::string id;
    const ModuleType* type = nullptr;
    std::vector<double> params; // one per ParamSpec, always within range
    std::optional<std::array<double, 2>> position;
    bool operator==(const PatchNode&) const = default;
};

// A MIDI controller bound to a parameter (MIDI learn): control change `cc` on `channel` (0: any,
// 1-16) sets module.param from `min` (controller value 0) to `max` (127), live, at the
// controller's own sample in both slots (SlotEngine::midi). Part of the patch: saved with it.
struct MidiMapping {
    std::string module;
    std::string param; // the parameter's id (an alias given is stored as the id)
    int cc = 0;
    int channel = 0;
    double min = 0.0, max = 1.0;
    bool operator==(const MidiMapping&) const = default;
    std::string target() const { return module + "." + param; }
    // The parameter value controller value `value` (0..127) stands for.
    double valueAt(int value) const noexcept { return min + (max - min) * static_cast<double>(value) / 127.0; }
};

class PatchGraph {
public:
    PatchGraph(); // holds the output module `out`

    Status addModule(std::string_view id, std::string_view typeOrAlias);
    // Removes the module and every cable touching it. `out` cannot be removed.
    Status removeModule(std::string_view id);
    // `src` is `id` or `id.port` (bare id: first output); `dst` is `id` or `id.port` (bare id: first
    // input; bare `out`: both `left` and `right`). Fails on unknown ids or ports, duplicates, cycles.
    Status connect(std::string_view src, std::string_view dst);
    Status disconnect(std::string_view src, std::string_view dst);
    // Sets a parameter by id or alias. Out-of-range values are clamped: the applied value is returned.
    Result<double> setParam(std::string_view id, std::string_view param, double value);
    // RT-safe. The same for a module and parameter already found (indices into nodes() and its
    // type's params; out of range: nothing), clamped and rounded alike; returns nothing, fails
    // never, allocates nothing.
    void setParamAt(std::size_t node, ParamIndex param, double value) noexcept;
    // Index of module `id` in nodes(), or -1.
    int indexOf(std::string_view id) const noexcept;
    // Text forms (a sequencer's `pattern`, `notes`; see TextForm), and the labels of discrete
    // parameters (`shape` "square", see ParamSpec::choices). parseText says which parameter values
    // `text` stands for without applying them; setText applies them all and returns the text as the
    // patch now reads it (normalised, see valueText).
    Result<std::vector<ParamValue>> parseText(std::string_view id, std::string_view name, std::string_view text) const;
    Result<std::string> setText(std::string_view id, std::string_view name, std::string_view text);
    // The text form `textIndex` (into type->text->texts) of a node's current parameter values.
    static std::string textOf(const PatchNode& node, int textIndex);
    // What `name` reads as text: a text form, or the label of a discrete parameter's value ("" for
    // parameters without labels).
    static std::string valueText(const PatchNode& node, std::string_view name);
    static constexpr std::size_t kMaxTextSize = 4096;
    Status setPosition(std::string_view id, double x, double y);
    // MIDI mappings. set: a parameter bound to a controller (replacing the parameter's mapping, if
    // any); the module and parameter must exist and change live (not a channel count, not a step
    // of a text form), cc 0-127, channel 0-16, min and max finite (clamped to the parameter's
    // range: the applied mapping is returned). remove: the parameter's mapping, an error when it
    // has none. A module removed takes its mappings with it.
    static constexpr std::size_t kMaxMidiMappings = 1024;
    Result<MidiMapping> setMidiMapping(MidiMapping mapping);
    Status removeMidiMapping(std::string_view id, std::string_view param);
    const std::vector<MidiMapping>& midiMappings() const noexcept { return m_mappings; }
    // The mapping of module.param (alias accepted), or null.
    const MidiMapping* findMidiMapping(std::string_view id, std::string_view param) const noexcept;
    // Back to a patch holding only `out` at its defaults.
    void clear();

    const std::vector<PatchNode>& nodes() const noexcept { return m_nodes; }
    const std::vector<Cable>& cables() const noexcept { return m_cables; }
    const PatchNode* find(std::string_view id) const noexcept;

    // The cables the audio follows: the patch's own, plus, when nothing reaches `out`, one cable
    // from each sink module (a module whose outputs feed nothing) to both sides of `out`.
    std::vector<Cable> effectiveCables() const;
    // Node indices, every module after the modules feeding it (stable: ties keep insertion order).
    std::vector<std::size_t> topologicalOrder() const;
    // How many channels every port carries (see Polyphony), over the effective cables.
    struct ChannelLayout {
        std::vector<std::vector<std::uint8_t>> inputs;  // [node][input]: what the cables bring (0: none)
        std::vector<std::vector<std::uint8_t>> outputs; // [node][output]
        std::vector<std::uint8_t> width;                // [node]: a Poly module's channels, else 1
    };
    ChannelLayout channelLayout() const;
    // "osc1, env1, out" for error messages.
    std::string moduleIdList() const;

    static bool isValidId(std::string_view id) noexcept;
    bool operator==(const PatchGraph&) const = default;

private:
    struct Endpoint {
        const PatchNode* node;
        std::vector<PortIndex> ports;
    };
    Result<Endpoint> resolveSource(std::string_view src) const;
    Result<Endpoint> resolveDestination(std::string_view dst) const;
    std::optional<std::vector<std::string>> pathBetween(std::string_view from, std::string_view to) const;
    PatchNode* findMutable(std::string_view id) noexcept;

    std::vector<PatchNode> m_nodes;
    std::vector<Cable> m_cables;
    std::vector<MidiMapping> m_mappings;
};

std::string describeEndpoint(const PatchNode& node, PortIndex port, bool output);

// An upper bound of the memory one module of `type` takes in a compiled plan at `sampleRate`:
// kModuleBaseBytes, a port buffer per output, the type's stateBytes. Any thread.
std::size_t moduleBytes(const ModuleType& type, double sampleRate);
// The sum over the patch's modules: checked against the engine's budget before compiling.
std::size_t estimatePatchBytes(const PatchGraph& graph, double sampleRate);

} // namespace chronus::engine
