#pragma once
// What turned one patch into another, as a list of changes: modules added or removed (whole: type,
// parameters, position, and where in the module list), cables added or removed (and where in the
// cable list), parameter and position changes of the modules in both. Applied forward to `before`
// it gives `after`, applied backward to `after` it gives `before`, equal in every field and in
// order. Its size grows with what changed, not with the patch: the editor's undo history keeps
// these instead of copies of the patch.
//
// Computing one, and chaining two, costs time linear in the patch's size (modules and cables are
// looked up by id through hash tables), so a burst of edits on a big patch stays cheap. Applying
// one makes its edits on a copy of the patch when they fit there (removals, parameters, positions,
// additions at the end of the lists); otherwise (a module restored to the middle of the list) it
// rebuilds the patch through PatchGraph's checked edits, which costs what loading it costs.
//
// A value type; control thread only (it allocates).

#include "engine/PatchGraph.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace chronus::app {

class PatchDiff {
public:
    enum class Direction { Forward, Backward };

    struct ParamChange {
        std::uint32_t index = 0; // into the module type's params
        double before = 0.0, after = 0.0;
        bool operator==(const ParamChange&) const = default;
    };
    // A module in both patches: what changed about it.
    struct NodeChange {
        std::string id;
        std::vector<ParamChange> params;
        bool positionChanged = false;
        std::optional<std::array<double, 2>> positionBefore, positionAfter;
        bool operator==(const NodeChange&) const = default;
    };
    // A module that only one side has, and its index in that side's module list.
    struct PlacedNode {
        std::size_t index = 0;
        engine::PatchNode node;
        bool operator==(const PlacedNode&) const = default;
    };
    struct PlacedCable {
        std::size_t index = 0;
        engine::Cable cable;
        bool operator==(const PlacedCable&) const = default;
    };

    PatchDiff() = default;
    static PatchDiff between(const engine::PatchGraph& before, const engine::PatchGraph& after);

    // `graph` with the changes made (Forward) or taken back (Backward). On the patch the diff was
    // made from (its `before` forward, its `after` backward) the result is the other side exactly.
    // On another patch (edits since that the diff does not know of) the changes still apply where
    // they can: a parameter is set to the value it had, a module comes back or goes by its id,
    // and a cable that no longer fits (its module gone, it would close a cycle) is left out and
    // named in `refused`.
    engine::PatchGraph apply(const engine::PatchGraph& graph, Direction direction,
                             std::vector<std::string>* refused = nullptr) const;

    // This diff followed by `next`, as one diff: from this one's `before` to next's `after`, which
    // is `end` (the patch as it is after both).
    PatchDiff then(const PatchDiff& next, const engine::PatchGraph& end) const;

    bool empty() const noexcept;
    // What this diff holds on the heap and in itself, in bytes (an estimate: the allocator adds
    // its own per-allocation overhead).
    std::size_t bytes() const noexcept;

    const std::vector<PlacedNode>& removedNodes() const noexcept { return m_removedNodes; }
    const std::vector<PlacedNode>& addedNodes() const noexcept { return m_addedNodes; }
    const std::vector<NodeChange>& changedNodes() const noexcept { return m_changedNodes; }
    const std::vector<PlacedCable>& removedCables() const noexcept { return m_removedCables; }
    const std::vector<PlacedCable>& addedCables() const noexcept { return m_addedCables; }
    // The MIDI mappings, when they changed: the whole list before and after (a patch holds few).
    // Applied, the list is set as the diff has it, less the mappings whose module is not there.
    bool mappingsChanged() const noexcept { return m_mappingsChanged; }
    const std::vector<engine::MidiMapping>& mappings(Direction direction) const noexcept {
        return direction == Direction::Forward ? m_mappingsAfter : m_mappingsBefore;
    }

    bool operator==(const PatchDiff&) const = default;

private:
    struct Content; // a patch as plain lists, for computing without a PatchGraph's checks
    static PatchDiff between(const Content& before, const Content& after);
    static PatchDiff between(const std::vector<engine::PatchNode>& beforeNodes,
                             const std::vector<engine::Cable>& beforeCables,
                             const std::vector<engine::PatchNode>& afterNodes,
                             const std::vector<engine::Cable>& afterCables);
    Content applyTo(Content content, Direction direction) const;
    std::optional<engine::PatchGraph> applyInPlace(const engine::PatchGraph& graph, Direction direction,
                                                   std::vector<std::string>* refused) const;

    std::vector<PlacedNode> m_removedNodes;  // index in `before`, ascending
    std::vector<PlacedNode> m_addedNodes;    // index in `after`, ascending
    std::vector<NodeChange> m_changedNodes;  // in `after`'s order
    std::vector<PlacedCable> m_removedCables; // index in `before`, ascending
    std::vector<PlacedCable> m_addedCables;   // index in `after`, ascending
    bool m_mappingsChanged = false;
    std::vector<engine::MidiMapping> m_mappingsBefore, m_mappingsAfter;
    void takeMappings(const std::vector<engine::MidiMapping>& before, const std::vector<engine::MidiMapping>& after);
};

} // namespace chronus::app
