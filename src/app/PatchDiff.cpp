#include "PatchDiff.hpp"

#include "engine/ModuleRegistry.hpp"

#include <algorithm>
#include <functional>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace chronus::app {

using engine::Cable;
using engine::PatchGraph;
using engine::PatchNode;

struct PatchDiff::Content {
    std::vector<PatchNode> nodes;
    std::vector<Cable> cables;
    std::vector<engine::MidiMapping> mappings;
};

namespace {

struct CableHash {
    std::size_t operator()(const Cable& c) const noexcept {
        const std::size_t h = std::hash<std::string_view>{}(c.from) * 31u + std::hash<std::string_view>{}(c.to);
        return h ^ (static_cast<std::size_t>(c.fromPort) << 8) ^ static_cast<std::size_t>(c.toPort);
    }
};
struct CablePtrHash {
    std::size_t operator()(const Cable* c) const noexcept { return CableHash{}(*c); }
};
struct CablePtrEqual {
    bool operator()(const Cable* a, const Cable* b) const noexcept { return *a == *b; }
};

std::size_t stringBytes(const std::string& s) noexcept {
    // Short strings live inside the object (libstdc++ keeps up to 15 characters there).
    return s.capacity() > 15 ? s.capacity() + 1 : 0;
}

std::size_t nodeHeapBytes(const PatchNode& n) noexcept {
    return stringBytes(n.id) + n.params.capacity() * sizeof(double);
}

std::size_t cableHeapBytes(const Cable& c) noexcept { return stringBytes(c.from) + stringBytes(c.to); }

} // namespace

PatchDiff PatchDiff::between(const PatchGraph& before, const PatchGraph& after) {
    PatchDiff diff = between(before.nodes(), before.cables(), after.nodes(), after.cables());
    diff.takeMappings(before.midiMappings(), after.midiMappings());
    return diff;
}

PatchDiff PatchDiff::between(const Content& before, const Content& after) {
    PatchDiff diff = between(before.nodes, before.cables, after.nodes, after.cables);
    diff.takeMappings(before.mappings, after.mappings);
    return diff;
}

void PatchDiff::takeMappings(const std::vector<engine::MidiMapping>& before, const std::vector<engine::MidiMapping>& after) {
    m_mappingsChanged = before != after;
    if (m_mappingsChanged) {
        m_mappingsBefore = before;
        m_mappingsAfter = after;
    }
}

namespace {
// `g`'s mappings replaced by `mappings`, less those it cannot take (their module went).
void setMappings(PatchGraph& g, const std::vector<engine::MidiMapping>& mappings) {
    while (!g.midiMappings().empty()) {
        const engine::MidiMapping m = g.midiMappings().front();
        (void)g.removeMidiMapping(m.module, m.param);
    }
    for (const engine::MidiMapping& m : mappings)
        (void)g.setMidiMapping(m);
}
} // namespace

// The lists are read in place: only what differs is copied.
PatchDiff PatchDiff::between(const std::vector<PatchNode>& beforeNodes, const std::vector<Cable>& beforeCables,
                             const std::vector<PatchNode>& afterNodes, const std::vector<Cable>& afterCables) {
    struct Lists {
        const std::vector<PatchNode>& nodes;
        const std::vector<Cable>& cables;
    };
    const Lists before{beforeNodes, beforeCables}, after{afterNodes, afterCables};
    PatchDiff diff;
    std::unordered_map<std::string_view, std::size_t> beforeIndex;
    beforeIndex.reserve(before.nodes.size());
    for (std::size_t i = 0; i < before.nodes.size(); ++i)
        beforeIndex.emplace(before.nodes[i].id, i);
    // A module is kept when `after` has it with the same type and in the same order relative to
    // the other kept modules; one that moved in the list goes and comes back, so that inserting
    // at the recorded indices restores the order exactly.
    std::vector<char> kept(before.nodes.size(), 0);
    bool anyKept = false;
    std::size_t lastKept = 0;
    for (std::size_t j = 0; j < after.nodes.size(); ++j) {
        const PatchNode& n = after.nodes[j];
        const auto it = beforeIndex.find(n.id);
        if (it == beforeIndex.end() || before.nodes[it->second].type != n.type || (anyKept && it->second < lastKept)) {
            diff.m_addedNodes.push_back({j, n});
            continue;
        }
        const std::size_t i = it->second;
        kept[i] = 1;
        anyKept = true;
        lastKept = i;
        const PatchNode& old = before.nodes[i];
        NodeChange change;
        for (std::size_t p = 0; p < n.params.size() && p < old.params.size(); ++p)
            if (n.params[p] != old.params[p])
                change.params.push_back({static_cast<std::uint32_t>(p), old.params[p], n.params[p]});
        if (n.position != old.position) {
            change.positionChanged = true;
            change.positionBefore = old.position;
            change.positionAfter = n.position;
        }
        if (!change.params.empty() || change.positionChanged) {
            change.id = n.id;
            diff.m_changedNodes.push_back(std::move(change));
        }
    }
    for (std::size_t i = 0; i < before.nodes.size(); ++i)
        if (!kept[i])
            diff.m_removedNodes.push_back({i, before.nodes[i]});

    // Cables have no id: a cable is its two ends. The same rule keeps their order.
    std::unordered_map<const Cable*, std::size_t, CablePtrHash, CablePtrEqual> cableIndex;
    cableIndex.reserve(before.cables.size());
    for (std::size_t i = 0; i < before.cables.size(); ++i)
        cableIndex.emplace(&before.cables[i], i);
    std::vector<char> cableKept(before.cables.size(), 0);
    anyKept = false;
    lastKept = 0;
    for (std::size_t j = 0; j < after.cables.size(); ++j) {
        const auto it = cableIndex.find(&after.cables[j]);
        if (it == cableIndex.end() || (anyKept && it->second < lastKept)) {
            diff.m_addedCables.push_back({j, after.cables[j]});
            continue;
        }
        cableKept[it->second] = 1;
        anyKept = true;
        lastKept = it->second;
    }
    for (std::size_t i = 0; i < before.cables.size(); ++i)
        if (!cableKept[i])
            diff.m_removedCables.push_back({i, before.cables[i]});
    return diff;
}

PatchDiff::Content PatchDiff::applyTo(Content content, Direction direction) const {
    const bool forward = direction == Direction::Forward;
    const auto& goes = forward ? m_removedNodes : m_addedNodes;
    const auto& comes = forward ? m_addedNodes : m_removedNodes;

    std::unordered_set<std::string_view> gone;
    gone.reserve(goes.size());
    for (const PlacedNode& p : goes)
        gone.insert(p.node.id);
    std::unordered_map<std::string_view, const NodeChange*> changes;
    changes.reserve(m_changedNodes.size());
    for (const NodeChange& c : m_changedNodes)
        changes.emplace(c.id, &c);

    Content out;
    out.nodes.reserve(content.nodes.size() + comes.size());
    for (PatchNode& n : content.nodes) {
        if (gone.count(n.id))
            continue;
        if (const auto it = changes.find(n.id); it != changes.end()) {
            const NodeChange& c = *it->second;
            for (const ParamChange& p : c.params)
                if (p.index < n.params.size())
                    n.params[p.index] = forward ? p.after : p.before;
            if (c.positionChanged)
                n.position = forward ? c.positionAfter : c.positionBefore;
        }
        out.nodes.push_back(std::move(n));
    }
    // Modules that come (back) go where they were; one already there under the same id (edits
    // this diff does not know of) gives way.
    std::unordered_set<std::string_view> present;
    for (const PatchNode& n : out.nodes)
        present.insert(n.id);
    for (const PlacedNode& p : comes) {
        if (present.count(p.node.id))
            std::erase_if(out.nodes, [&](const PatchNode& n) { return n.id == p.node.id; });
        present.insert(p.node.id);
        const std::size_t at = std::min(p.index, out.nodes.size());
        out.nodes.insert(out.nodes.begin() + static_cast<std::ptrdiff_t>(at), p.node);
    }

    const auto& cablesGo = forward ? m_removedCables : m_addedCables;
    const auto& cablesCome = forward ? m_addedCables : m_removedCables;
    std::unordered_set<Cable, CableHash> cableGone;
    cableGone.reserve(cablesGo.size());
    for (const PlacedCable& p : cablesGo)
        cableGone.insert(p.cable);
    out.cables.reserve(content.cables.size() + cablesCome.size());
    std::unordered_set<Cable, CableHash> cablePresent;
    for (Cable& c : content.cables)
        if (!cableGone.count(c)) {
            cablePresent.insert(c);
            out.cables.push_back(std::move(c));
        }
    out.mappings = m_mappingsChanged ? (forward ? m_mappingsAfter : m_mappingsBefore) : std::move(content.mappings);
    for (const PlacedCable& p : cablesCome) {
        if (!cablePresent.insert(p.cable).second)
            continue;
        const std::size_t at = std::min(p.index, out.cables.size());
        out.cables.insert(out.cables.begin() + static_cast<std::ptrdiff_t>(at), p.cable);
    }
    return out;
}

namespace {
std::string cableSource(const PatchNode& from, const Cable& c) {
    return c.from + "." + from.type->outputs[static_cast<std::size_t>(c.fromPort)].id;
}
std::string cableDestination(const PatchNode& to, const Cable& c) {
    return c.to + "." + to.type->inputs[static_cast<std::size_t>(c.toPort)].id;
}
bool portsFit(const PatchNode& from, const PatchNode& to, const Cable& c) {
    return static_cast<std::size_t>(c.fromPort) < from.type->outputs.size() &&
           static_cast<std::size_t>(c.toPort) < to.type->inputs.size();
}
} // namespace

// The common case (a parameter set, a module added at the end or removed, a cable drawn): the
// edits made in place on a copy, each as cheap as the edit itself was. Null when the diff needs
// an insertion before the end of a list, or a position taken away (PatchGraph has no edit for
// either): then apply() rebuilds.
std::optional<PatchGraph> PatchDiff::applyInPlace(const PatchGraph& graph, Direction direction,
                                                  std::vector<std::string>* refused) const {
    const bool forward = direction == Direction::Forward;
    const auto& goes = forward ? m_removedNodes : m_addedNodes;
    const auto& comes = forward ? m_addedNodes : m_removedNodes;
    const auto& cablesGo = forward ? m_removedCables : m_addedCables;
    const auto& cablesCome = forward ? m_addedCables : m_removedCables;
    for (const NodeChange& c : m_changedNodes)
        if (c.positionChanged && !(forward ? c.positionAfter : c.positionBefore))
            return std::nullopt;

    PatchGraph g = graph;
    // Cables first, while their modules are there to name their ports.
    for (const PlacedCable& p : cablesGo) {
        const PatchNode* from = g.find(p.cable.from);
        const PatchNode* to = g.find(p.cable.to);
        if (from && to && portsFit(*from, *to, p.cable))
            (void)g.disconnect(cableSource(*from, p.cable), cableDestination(*to, p.cable)); // gone already: fine
    }
    for (const PlacedNode& p : goes)
        (void)g.removeModule(p.node.id); // its cables go with it
    for (const NodeChange& c : m_changedNodes) {
        const PatchNode* n = g.find(c.id);
        if (!n)
            continue;
        for (const ParamChange& p : c.params)
            if (p.index < n->type->params.size())
                (void)g.setParam(c.id, n->type->params[p.index].id, forward ? p.after : p.before);
        if (c.positionChanged) {
            const auto& at = forward ? c.positionAfter : c.positionBefore;
            (void)g.setPosition(c.id, (*at)[0], (*at)[1]);
        }
    }
    for (const PlacedNode& p : comes) {
        if (p.index != g.nodes().size() || g.find(p.node.id) || p.node.id == engine::ModuleRegistry::kOutputId)
            return std::nullopt;
        if (auto s = g.addModule(p.node.id, p.node.type->id); !s)
            return std::nullopt;
        for (std::size_t i = 0; i < p.node.params.size() && i < p.node.type->params.size(); ++i)
            if (p.node.params[i] != static_cast<double>(p.node.type->params[i].def))
                (void)g.setParam(p.node.id, p.node.type->params[i].id, p.node.params[i]);
        if (p.node.position)
            (void)g.setPosition(p.node.id, (*p.node.position)[0], (*p.node.position)[1]);
    }
    for (const PlacedCable& p : cablesCome) {
        if (p.index != g.cables().size())
            return std::nullopt;
        if (std::find(g.cables().begin(), g.cables().end(), p.cable) != g.cables().end())
            continue;
        const PatchNode* from = g.find(p.cable.from);
        const PatchNode* to = g.find(p.cable.to);
        if (!from || !to || !portsFit(*from, *to, p.cable))
            continue; // its module went: the cable goes with it, as removeModule does
        if (auto s = g.connect(cableSource(*from, p.cable), cableDestination(*to, p.cable)); !s && refused)
            refused->push_back(s.message());
    }
    if (m_mappingsChanged)
        setMappings(g, forward ? m_mappingsAfter : m_mappingsBefore);
    return g;
}

PatchGraph PatchDiff::apply(const PatchGraph& graph, Direction direction, std::vector<std::string>* refused) const {
    {
        std::vector<std::string> inPlaceRefused;
        if (std::optional<PatchGraph> g = applyInPlace(graph, direction, &inPlaceRefused)) {
            if (refused)
                refused->insert(refused->end(), inPlaceRefused.begin(), inPlaceRefused.end());
            return std::move(*g);
        }
    }
    const Content content = applyTo(Content{graph.nodes(), graph.cables(), graph.midiMappings()}, direction);
    // A PatchGraph is built only through its checked edits: module by module, then cable by cable.
    PatchGraph g;
    std::unordered_set<std::string_view> ids;
    ids.reserve(content.nodes.size());
    for (const PatchNode& n : content.nodes) {
        if (n.id != engine::ModuleRegistry::kOutputId) {
            if (auto s = g.addModule(n.id, n.type->id); !s) {
                if (refused)
                    refused->push_back(s.message());
                continue;
            }
        }
        ids.insert(n.id);
        for (std::size_t p = 0; p < n.params.size() && p < n.type->params.size(); ++p)
            if (n.params[p] != static_cast<double>(n.type->params[p].def))
                (void)g.setParam(n.id, n.type->params[p].id, n.params[p]);
        if (n.position)
            (void)g.setPosition(n.id, (*n.position)[0], (*n.position)[1]);
    }
    for (const Cable& c : content.cables) {
        if (!ids.count(c.from) || !ids.count(c.to))
            continue; // its module went: the cable goes with it, as removeModule does
        const PatchNode* from = g.find(c.from);
        const PatchNode* to = g.find(c.to);
        if (!portsFit(*from, *to, c))
            continue;
        if (auto s = g.connect(cableSource(*from, c), cableDestination(*to, c)); !s && refused)
            refused->push_back(s.message());
    }
    setMappings(g, content.mappings);
    return g;
}

PatchDiff PatchDiff::then(const PatchDiff& next, const PatchGraph& end) const {
    Content last{end.nodes(), end.cables(), end.midiMappings()};
    Content first = applyTo(next.applyTo(last, Direction::Backward), Direction::Backward);
    return between(first, last);
}

bool PatchDiff::empty() const noexcept {
    return m_removedNodes.empty() && m_addedNodes.empty() && m_changedNodes.empty() && m_removedCables.empty() &&
           m_addedCables.empty() && !m_mappingsChanged;
}

std::size_t PatchDiff::bytes() const noexcept {
    std::size_t total = sizeof(PatchDiff);
    for (const auto* list : {&m_removedNodes, &m_addedNodes}) {
        total += list->capacity() * sizeof(PlacedNode);
        for (const PlacedNode& p : *list)
            total += nodeHeapBytes(p.node);
    }
    total += m_changedNodes.capacity() * sizeof(NodeChange);
    for (const NodeChange& c : m_changedNodes)
        total += stringBytes(c.id) + c.params.capacity() * sizeof(ParamChange);
    for (const auto* list : {&m_removedCables, &m_addedCables}) {
        total += list->capacity() * sizeof(PlacedCable);
        for (const PlacedCable& p : *list)
            total += cableHeapBytes(p.cable);
    }
    for (const auto* list : {&m_mappingsBefore, &m_mappingsAfter}) {
        total += list->capacity() * sizeof(engine::MidiMapping);
        for (const engine::MidiMapping& m : *list)
            total += stringBytes(m.module) + stringBytes(m.param);
    }
    return total;
}

} // namespace chronus::app
