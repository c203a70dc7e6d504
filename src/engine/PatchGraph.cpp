#include "PatchGraph.hpp"

#include "ModuleRegistry.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <queue>
#include <unordered_map>

namespace chronus::engine {

namespace {
template <class Specs>
std::string portList(const Specs& specs) {
    std::string list;
    for (const auto& spec : specs) {
        if (!list.empty())
            list += ", ";
        list += spec.id;
    }
    return list.empty() ? std::string("none") : list;
}

// The parameters a person sets one by one, then the text forms ("length, gate, pattern, notes").
std::string paramList(const ModuleType& type) {
    std::string list;
    for (const ParamSpec& spec : type.params) {
        if (spec.flags & ParamHidden)
            continue;
        if (!list.empty())
            list += ", ";
        list += spec.id;
    }
    if (type.text)
        for (const TextParamSpec& spec : type.text->texts) {
            if (!list.empty())
                list += ", ";
            list += spec.id;
        }
    return list.empty() ? std::string("none") : list;
}

PatchNode makeNode(std::string id, const ModuleType* type) {
    PatchNode node{std::move(id), type, {}, std::nullopt};
    for (const ParamSpec& spec : type->params)
        node.params.push_back(static_cast<double>(spec.def));
    return node;
}
} // namespace

std::string describeEndpoint(const PatchNode& node, PortIndex port, bool output) {
    const auto& specs = output ? node.type->outputs : node.type->inputs;
    return node.id + "." + specs[static_cast<std::size_t>(port)].id;
}

PatchGraph::PatchGraph() { clear(); }

void PatchGraph::clear() {
    m_nodes.clear();
    m_cables.clear();
    m_mappings.clear();
    m_nodes.push_back(makeNode(std::string(ModuleRegistry::kOutputId),
                               ModuleRegistry::instance().find(ModuleRegistry::kOutputType)));
}

bool PatchGraph::isValidId(std::string_view id) noexcept {
    if (id.empty() || id.size() > 64)
        return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}

const PatchNode* PatchGraph::find(std::string_view id) const noexcept {
    for (const PatchNode& node : m_nodes)
        if (node.id == id)
            return &node;
    return nullptr;
}

PatchNode* PatchGraph::findMutable(std::string_view id) noexcept {
    return const_cast<PatchNode*>(std::as_const(*this).find(id));
}

std::string PatchGraph::moduleIdList() const {
    constexpr std::size_t kListed = 24; // an error message names some, not thousands
    std::string list;
    for (std::size_t i = 0; i < std::min(kListed, m_nodes.size()); ++i) {
        if (!list.empty())
            list += ", ";
        list += m_nodes[i].id;
    }
    if (m_nodes.size() > kListed)
        list += ", ... (" + std::to_string(m_nodes.size()) + " in all)";
    return list;
}

Status PatchGraph::addModule(std::string_view id, std::string_view typeOrAlias) {
    if (!isValidId(id))
        return Status::error(ErrorCode::InvalidId, "invalid module id '" + std::string(id.substr(0, 80)) +
                                                       (id.size() > 80 ? "...' (" + std::to_string(id.size()) + " bytes)" : "'") +
                                                       ": use 1-64 letters, digits, '_' or '-'");
    if (m_nodes.size() >= kMaxModules)
        return Status::error(ErrorCode::InvalidArgument, "a patch has at most " + std::to_string(kMaxModules) +
                                                             " modules (out included)");
    if (find(id))
        return Status::error(ErrorCode::DuplicateId, "a module with id '" + std::string(id) + "' already exists");
    const ModuleType* type = ModuleRegistry::instance().find(typeOrAlias);
    if (typeOrAlias == ModuleRegistry::kOutputId || (type && type->id == ModuleRegistry::kOutputType))
        return Status::error(ErrorCode::ProtectedModule,
                             "the output module is built in: every patch has exactly one, '" +
                                 std::string(ModuleRegistry::kOutputId) + "' (type '" +
                                 std::string(ModuleRegistry::kOutputType) +
                                 "'), and no other can be created; " +
                                 "connect to out, out.left or out.right");
    if (!type)
        return Status::error(ErrorCode::UnknownModuleType, "unknown module type '" + std::string(typeOrAlias.substr(0, 80)) +
                                                               "' (known: " +
                                                               ModuleRegistry::instance().knownTypesList() + ")");
    m_nodes.push_back(makeNode(std::string(id), type));
    return {};
}

Status PatchGraph::removeModule(std::string_view id) {
    if (id == ModuleRegistry::kOutputId)
        return Status::error(ErrorCode::ProtectedModule, "the output module 'out' cannot be deleted");
    const auto it = std::find_if(m_nodes.begin(), m_nodes.end(), [&](const PatchNode& n) { return n.id == id; });
    if (it == m_nodes.end())
        return Status::error(ErrorCode::UnknownModule,
                             "no module '" + std::string(id) + "' (modules: " + moduleIdList() + ")");
    m_nodes.erase(it);
    std::erase_if(m_cables, [&](const Cable& c) { return c.from == id || c.to == id; });
    std::erase_if(m_mappings, [&](const MidiMapping& m) { return m.module == id; });
    return {};
}

Result<MidiMapping> PatchGraph::setMidiMapping(MidiMapping mapping) {
    const PatchNode* node = find(mapping.module);
    if (!node)
        return Status::error(ErrorCode::UnknownModule,
                             "no module '" + mapping.module + "' (modules: " + moduleIdList() + ")");
    const ParamIndex index = node->type->findParam(mapping.param);
    if (index < 0)
        return Status::error(ErrorCode::UnknownParam, "module '" + node->id + "' (" + node->type->id +
                                                          ") has no parameter '" + mapping.param +
                                                          "' (parameters: " + paramList(*node->type) + ")");
    const ParamSpec& spec = node->type->params[static_cast<std::size_t>(index)];
    mapping.param = spec.id;
    if (spec.flags & (ParamStructural | ParamHidden))
        return Status::error(ErrorCode::InvalidArgument,
                             mapping.target() + (spec.flags & ParamStructural
                                                     ? " changes how many channels its cables carry: it cannot follow a controller"
                                                     : " is set through its module's text form: it cannot follow a controller"));
    if (mapping.cc < 0 || mapping.cc > 127)
        return Status::error(ErrorCode::InvalidValue, "MIDI controller " + std::to_string(mapping.cc) +
                                                          " for " + mapping.target() + " is not 0-127");
    if (mapping.channel < 0 || mapping.channel > 16)
        return Status::error(ErrorCode::InvalidValue, "MIDI channel " + std::to_string(mapping.channel) + " for " +
                                                          mapping.target() + " is not 0 (any) or 1-16");
    if (!std::isfinite(mapping.min) || !std::isfinite(mapping.max))
        return Status::error(ErrorCode::InvalidValue, "the range of the MIDI mapping of " + mapping.target() +
                                                          " is not two finite numbers");
    mapping.min = std::clamp(mapping.min, static_cast<double>(spec.min), static_cast<double>(spec.max));
    mapping.max = std::clamp(mapping.max, static_cast<double>(spec.min), static_cast<double>(spec.max));
    for (MidiMapping& m : m_mappings)
        if (m.module == mapping.module && m.param == mapping.param) {
            m = mapping;
            return mapping;
        }
    if (m_mappings.size() >= kMaxMidiMappings)
        return Status::error(ErrorCode::InvalidArgument, "a patch holds at most " + std::to_string(kMaxMidiMappings) +
                                                             " MIDI mappings");
    m_mappings.push_back(mapping);
    return mapping;
}

const MidiMapping* PatchGraph::findMidiMapping(std::string_view id, std::string_view param) const noexcept {
    const PatchNode* node = find(id);
    if (!node)
        return nullptr;
    const ParamIndex index = node->type->findParam(param);
    if (index < 0)
        return nullptr;
    const std::string_view paramId = node->type->params[static_cast<std::size_t>(index)].id;
    for (const MidiMapping& m : m_mappings)
        if (m.module == id && m.param == paramId)
            return &m;
    return nullptr;
}

Status PatchGraph::removeMidiMapping(std::string_view id, std::string_view param) {
    const MidiMapping* found = findMidiMapping(id, param);
    if (!found)
        return Status::error(ErrorCode::InvalidArgument,
                             "'" + std::string(id) + "." + std::string(param) + "' has no MIDI mapping");
    m_mappings.erase(m_mappings.begin() + (found - m_mappings.data()));
    return {};
}

Result<PatchGraph::Endpoint> PatchGraph::resolveSource(std::string_view src) const {
    const std::size_t dot = src.find('.');
    const std::string_view id = src.substr(0, dot);
    const PatchNode* node = find(id);
    if (!node)
        return Status::error(ErrorCode::UnknownModule,
                             "no module '" + std::string(id) + "' (modules: " + moduleIdList() + ")");
    if (node->type->outputs.empty())
        return Status::error(ErrorCode::UnknownPort, "module '" + node->id + "' (" + node->type->id +
                                                         ") has no outputs");
    if (dot == std::string_view::npos)
        return Endpoint{node, {0}};
    const std::string_view port = src.substr(dot + 1);
    const PortIndex index = node->type->findOutput(port);
    if (index < 0)
        return Status::error(ErrorCode::UnknownPort, "module '" + node->id + "' (" + node->type->id +
                                                         ") has no output '" + std::string(port) +
                                                         "' (outputs: " + portList(node->type->outputs) + ")");
    return Endpoint{node, {index}};
}

Result<PatchGraph::Endpoint> PatchGraph::resolveDestination(std::string_view dst) const {
    const std::size_t dot = dst.find('.');
    const std::string_view id = dst.substr(0, dot);
    const PatchNode* node = find(id);
    if (!node)
        return Status::error(ErrorCode::UnknownModule,
                             "no module '" + std::string(id) + "' (modules: " + moduleIdList() + ")");
    if (node->type->inputs.empty())
        return Status::error(ErrorCode::UnknownPort, "module '" + node->id + "' (" + node->type->id +
                                                         ") has no inputs");
    if (dot == std::string_view::npos) {
        if (id == ModuleRegistry::kOutputId)
            return Endpoint{node, {0, 1}};
        return Endpoint{node, {0}};
    }
    const std::string_view port = dst.substr(dot + 1);
    const PortIndex index = node->type->findInput(port);
    if (index < 0)
        return Status::error(ErrorCode::UnknownPort, "module '" + node->id + "' (" + node->type->id +
                                                         ") has no input '" + std::string(port) +
                                                         "' (inputs: " + portList(node->type->inputs) + ")");
    return Endpoint{node, {index}};
}

std::optional<std::vector<std::string>> PatchGraph::pathBetween(std::string_view from, std::string_view to) const {
    // Depth-first search along cables; returns the module ids from `from` to `to` inclusive.
    std::vector<std::string> path{std::string(from)};
    std::vector<std::string> visited;
    // `at` by value: it may name an element of `path`, which push_back reallocates (found by the fuzzer).
    auto dfs = [&](auto&& self, std::string at) -> bool {
        if (at == to)
            return true;
        visited.push_back(at);
        for (const Cable& c : m_cables) {
            if (c.from != at || std::find(visited.begin(), visited.end(), c.to) != visited.end())
                continue;
            path.push_back(c.to);
            if (self(self, c.to))
                return true;
            path.pop_back();
        }
        return false;
    };
    if (dfs(dfs, path.front()))
        return path;
    return std::nullopt;
}

Status PatchGraph::connect(std::string_view src, std::string_view dst) {
    auto source = resolveSource(src);
    if (!source)
        return source.status();
    auto dest = resolveDestination(dst);
    if (!dest)
        return dest.status();
    const PatchNode& from = *source->node;
    const PatchNode& to = *dest->node;
    if (auto path = pathBetween(to.id, from.id)) {
        std::string cycle = from.id;
        for (const std::string& id : *path)
            cycle += " -> " + id;
        return Status::error(ErrorCode::Cycle, "connecting " + std::string(src) + " to " + std::string(dst) +
                                                   " would make a cycle: " + cycle);
    }
    std::vector<Cable> added;
    for (PortIndex port : dest->ports) {
        Cable cable{from.id, source->ports.front(), to.id, port};
        if (std::find(m_cables.begin(), m_cables.end(), cable) != m_cables.end())
            continue;
        added.push_back(std::move(cable));
    }
    if (added.empty())
        return Status::error(ErrorCode::AlreadyConnected, describeEndpoint(from, source->ports.front(), true) +
                                                              " is already connected to " + std::string(dst));
    m_cables.insert(m_cables.end(), added.begin(), added.end());
    return {};
}

Status PatchGraph::disconnect(std::string_view src, std::string_view dst) {
    auto source = resolveSource(src);
    if (!source)
        return source.status();
    auto dest = resolveDestination(dst);
    if (!dest)
        return dest.status();
    std::size_t removed = 0;
    for (PortIndex port : dest->ports)
        removed += std::erase(m_cables, Cable{source->node->id, source->ports.front(), dest->node->id, port});
    if (removed == 0)
        return Status::error(ErrorCode::NotConnected,
                             describeEndpoint(*source->node, source->ports.front(), true) + " is not connected to " +
                                 std::string(dst));
    return {};
}

Result<double> PatchGraph::setParam(std::string_view id, std::string_view param, double value) {
    PatchNode* node = findMutable(id);
    if (!node)
        return Status::error(ErrorCode::UnknownModule,
                             "no module '" + std::string(id) + "' (modules: " + moduleIdList() + ")");
    const ParamIndex index = node->type->findParam(param);
    if (index < 0) {
        if (const int text = node->type->findText(param); text >= 0)
            return Status::error(ErrorCode::InvalidValue, node->id + "." + std::string(param) + " takes text, not a number: " +
                                                              node->type->text->texts[static_cast<std::size_t>(text)].help);
        return Status::error(ErrorCode::UnknownParam, "module '" + node->id + "' (" + node->type->id +
                                                          ") has no parameter '" + std::string(param) +
                                                          "' (parameters: " + paramList(*node->type) + ")");
    }
    if (!std::isfinite(value))
        return Status::error(ErrorCode::InvalidValue, "value for " + node->id + "." + std::string(param) +
                                                          " is not a finite number");
    const ParamSpec& spec = node->type->params[static_cast<std::size_t>(index)];
    double applied = std::clamp(value, static_cast<double>(spec.min), static_cast<double>(spec.max));
    if (spec.flags & ParamDiscrete)
        applied = std::round(applied);
    node->params[static_cast<std::size_t>(index)] = applied;
    return applied;
}

void PatchGraph::setParamAt(std::size_t node, ParamIndex param, double value) noexcept {
    if (node >= m_nodes.size() || param < 0 || !std::isfinite(value))
        return;
    PatchNode& n = m_nodes[node];
    if (static_cast<std::size_t>(param) >= n.params.size())
        return;
    const ParamSpec& spec = n.type->params[static_cast<std::size_t>(param)];
    double applied = std::clamp(value, static_cast<double>(spec.min), static_cast<double>(spec.max));
    if (spec.flags & ParamDiscrete)
        applied = std::round(applied);
    n.params[static_cast<std::size_t>(param)] = applied;
}

int PatchGraph::indexOf(std::string_view id) const noexcept {
    const PatchNode* node = find(id);
    return node ? static_cast<int>(node - m_nodes.data()) : -1;
}

Result<std::vector<ParamValue>> PatchGraph::parseText(std::string_view id, std::string_view name,
                                                      std::string_view text) const {
    const PatchNode* node = find(id);
    if (!node)
        return Status::error(ErrorCode::UnknownModule,
                             "no module '" + std::string(id) + "' (modules: " + moduleIdList() + ")");
    const int index = node->type->findText(name);
    if (index < 0) {
        if (const ParamIndex param = node->type->findParam(name); param >= 0) {
            const ParamSpec& spec = node->type->params[static_cast<std::size_t>(param)];
            if (!spec.choices)
                return Status::error(ErrorCode::InvalidValue,
                                     node->id + "." + std::string(name) + " takes a number, not text");
            // A discrete parameter by its label: `shape square`, `sync 1/8`.
            if (const std::optional<double> value = paramLabelValue(spec, text))
                return std::vector<ParamValue>{{param, *value}};
            return Status::error(ErrorCode::InvalidValue,
                                 node->id + "." + std::string(name) + ": '" +
                                     std::string(text.substr(0, 80)) +
                                     "' is not one of its choices: " + paramLabelList(spec) +
                                     " (or a number " + std::to_string(static_cast<int>(spec.min)) + "-" +
                                     std::to_string(static_cast<int>(spec.max)) + ")");
        }
        return Status::error(ErrorCode::UnknownParam, "module '" + node->id + "' (" + node->type->id +
                                                          ") has no parameter '" + std::string(name) +
                                                          "' (parameters: " + paramList(*node->type) + ")");
    }
    if (text.size() > kMaxTextSize)
        return Status::error(ErrorCode::InvalidValue, node->id + "." + std::string(name) + ": text longer than " +
                                                          std::to_string(kMaxTextSize) + " characters");
    std::vector<ParamValue> values;
    if (Status s = node->type->text->parse(index, text, values); !s)
        return Status::error(s.code(), node->id + "." + s.message());
    return values;
}

Result<std::string> PatchGraph::setText(std::string_view id, std::string_view name, std::string_view text) {
    auto values = parseText(id, name, text);
    if (!values)
        return values.status();
    PatchNode* node = findMutable(id);
    for (const ParamValue& v : values.value()) {
        const ParamSpec& spec = node->type->params[static_cast<std::size_t>(v.index)];
        double applied = std::clamp(v.value, static_cast<double>(spec.min), static_cast<double>(spec.max));
        if (spec.flags & ParamDiscrete)
            applied = std::round(applied);
        node->params[static_cast<std::size_t>(v.index)] = applied;
    }
    return valueText(*node, name);
}

std::string PatchGraph::textOf(const PatchNode& node, int textIndex) {
    return node.type->text->format(textIndex, node.params);
}

std::string PatchGraph::valueText(const PatchNode& node, std::string_view name) {
    if (const int text = node.type->findText(name); text >= 0)
        return textOf(node, text);
    const ParamIndex param = node.type->findParam(name);
    if (param < 0)
        return {};
    return paramLabel(node.type->params[static_cast<std::size_t>(param)],
                      node.params[static_cast<std::size_t>(param)]);
}

Status PatchGraph::setPosition(std::string_view id, double x, double y) {
    PatchNode* node = findMutable(id);
    if (!node)
        return Status::error(ErrorCode::UnknownModule, "no module '" + std::string(id) + "'");
    if (!std::isfinite(x) || !std::isfinite(y))
        return Status::error(ErrorCode::InvalidValue, "position of '" + node->id + "' is not finite");
    node->position = std::array<double, 2>{x, y};
    return {};
}

std::vector<Cable> PatchGraph::effectiveCables() const {
    std::vector<Cable> cables = m_cables;
    const bool outFed = std::any_of(m_cables.begin(), m_cables.end(),
                                    [](const Cable& c) { return c.to == ModuleRegistry::kOutputId; });
    if (outFed)
        return cables;
    for (const PatchNode& node : m_nodes) {
        if (node.type->outputs.empty())
            continue;
        const bool feeds = std::any_of(m_cables.begin(), m_cables.end(),
                                       [&](const Cable& c) { return c.from == node.id; });
        if (feeds)
            continue;
        cables.push_back({node.id, 0, std::string(ModuleRegistry::kOutputId), 0});
        cables.push_back({node.id, 0, std::string(ModuleRegistry::kOutputId), 1});
    }
    return cables;
}

std::vector<std::size_t> PatchGraph::topologicalOrder() const {
    // Kahn's algorithm; picking the lowest ready index keeps the order stable and predictable. A
    // min-heap of the ready modules and each module's outgoing cables make it O((n + cables) log n):
    // the memory estimate runs it at every module added.
    const std::vector<Cable> cables = effectiveCables();
    std::unordered_map<std::string_view, std::size_t> indexOf;
    for (std::size_t i = 0; i < m_nodes.size(); ++i)
        indexOf.emplace(m_nodes[i].id, i);
    std::vector<int> pending(m_nodes.size(), 0);
    std::vector<std::vector<std::size_t>> feeds(m_nodes.size());
    for (const Cable& c : cables) {
        const std::size_t to = indexOf.at(c.to);
        ++pending[to];
        feeds[indexOf.at(c.from)].push_back(to);
    }
    std::priority_queue<std::size_t, std::vector<std::size_t>, std::greater<>> ready;
    for (std::size_t i = 0; i < m_nodes.size(); ++i)
        if (pending[i] == 0)
            ready.push(i);
    std::vector<std::size_t> order;
    order.reserve(m_nodes.size());
    while (!ready.empty()) { // connect() refuses cycles: every module is reached
        const std::size_t next = ready.top();
        ready.pop();
        order.push_back(next);
        for (std::size_t to : feeds[next])
            if (--pending[to] == 0)
                ready.push(to);
    }
    return order;
}

PatchGraph::ChannelLayout PatchGraph::channelLayout() const {
    ChannelLayout layout;
    layout.inputs.resize(m_nodes.size());
    layout.outputs.resize(m_nodes.size());
    layout.width.assign(m_nodes.size(), 1);
    std::unordered_map<std::string_view, std::size_t> indexOf;
    for (std::size_t i = 0; i < m_nodes.size(); ++i) {
        indexOf.emplace(m_nodes[i].id, i);
        layout.inputs[i].assign(m_nodes[i].type->inputs.size(), 0);
        layout.outputs[i].assign(m_nodes[i].type->outputs.size(), 1);
    }
    const std::vector<Cable> cables = effectiveCables();
    std::vector<std::vector<const Cable*>> into(m_nodes.size());
    for (const Cable& c : cables)
        into[indexOf.at(c.to)].push_back(&c);
    // Topological order: every module's inputs are known before its outputs are worked out.
    for (std::size_t index : topologicalOrder()) {
        const PatchNode& node = m_nodes[index];
        auto& inputs = layout.inputs[index];
        for (const Cable* c : into[index]) {
            const std::uint8_t carried = layout.outputs[indexOf.at(c->from)][static_cast<std::size_t>(c->fromPort)];
            auto& arriving = inputs[static_cast<std::size_t>(c->toPort)];
            arriving = std::max(arriving, carried); // cables into one input add up, channel by channel
        }
        auto& outputs = layout.outputs[index];
        switch (node.type->polyphony) {
        case Polyphony::Mono:
            break;
        case Polyphony::Poly: {
            std::uint8_t width = 1;
            for (std::uint8_t n : inputs)
                width = std::max(width, n);
            layout.width[index] = width;
            std::fill(outputs.begin(), outputs.end(), width);
            break;
        }
        case Polyphony::Custom:
            if (node.type->channels)
                node.type->channels(inputs, node.params, outputs);
            for (std::uint8_t& n : outputs)
                n = static_cast<std::uint8_t>(std::clamp<int>(n, 1, kMaxChannels));
            break;
        }
    }
    return layout;
}

std::size_t moduleBytes(const ModuleType& type, double sampleRate) {
    return kModuleBaseBytes + type.outputs.size() * kPortBufferBytes + (type.stateBytes ? type.stateBytes(sampleRate) : 0);
}

std::size_t estimatePatchBytes(const PatchGraph& graph, double sampleRate) {
    // Poly ports cost a buffer lane per channel, and so do the inputs the plan widens or sums for
    // them (see Plan::compile); mono patches cost what moduleBytes says.
    // Only Custom types (const, merge, noise, midi_in) make a cable wider than one channel.
    const bool mono = std::none_of(graph.nodes().begin(), graph.nodes().end(), [](const PatchNode& n) {
        return n.type->polyphony == Polyphony::Custom;
    });
    if (mono) {
        std::size_t total = 0;
        for (const PatchNode& node : graph.nodes())
            total += moduleBytes(*node.type, sampleRate);
        return total;
    }
    const PatchGraph::ChannelLayout layout = graph.channelLayout();
    std::size_t total = 0;
    for (std::size_t i = 0; i < graph.nodes().size(); ++i) {
        const ModuleType& type = *graph.nodes()[i].type;
        total += moduleBytes(type, sampleRate);
        for (std::uint8_t n : layout.outputs[i])
            total += static_cast<std::size_t>(channelStride(n) - 1) * kPortBufferBytes;
        const int wanted = type.polyphony == Polyphony::Poly ? layout.width[i] : 1;
        for (std::uint8_t n : layout.inputs[i])
            if (n > 0 && n != wanted && type.polyphony != Polyphony::Custom)
                total += static_cast<std::size_t>(channelStride(std::max<int>(n, wanted))) * kPortBufferBytes;
    }
    return total;
}

} // namespace chronus::engine
