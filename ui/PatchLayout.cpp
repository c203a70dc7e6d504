#include "PatchLayout.hpp"

#include "CardGeometry.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <unordered_map>
#include <vector>

namespace chronus::editor {

namespace {
constexpr double kGrid = 20.0;
constexpr double kMargin = 40.0;     // the first column's left, every column's top
constexpr double kColumnGap = 90.0;  // room for the cables between columns
constexpr double kRowGap = 30.0;
double upToGrid(double v) { return std::ceil(v / kGrid) * kGrid; }
} // namespace

std::map<std::string, QPointF> arrangeByFlow(const engine::PatchGraph& graph,
                                             const std::function<QSizeF(const engine::PatchNode&)>& size,
                                             const std::map<std::string, QPointF>& positions) {
    std::unordered_map<std::string, std::vector<std::string>> feeds; // id -> the modules feeding it
    for (const engine::Cable& c : graph.cables())
        feeds[c.to].push_back(c.from);
    // The longest chain of modules feeding each one. A patch has no loops (PatchGraph refuses
    // them); `seen` only keeps a malformed one from recursing without end.
    std::unordered_map<std::string, int> depth;
    std::function<int(const std::string&, std::set<std::string>&)> depthOf = [&](const std::string& id,
                                                                                 std::set<std::string>& seen) {
        if (auto it = depth.find(id); it != depth.end())
            return it->second;
        if (!seen.insert(id).second)
            return 0;
        int d = 0;
        if (auto it = feeds.find(id); it != feeds.end())
            for (const std::string& from : it->second)
                d = std::max(d, depthOf(from, seen) + 1);
        depth[id] = d;
        return d;
    };
    std::vector<std::vector<const engine::PatchNode*>> columns;
    for (const engine::PatchNode& n : graph.nodes()) {
        std::set<std::string> seen;
        const auto d = static_cast<std::size_t>(depthOf(n.id, seen));
        if (columns.size() <= d)
            columns.resize(d + 1);
        columns[d].push_back(&n);
    }
    auto yOf = [&](const engine::PatchNode* n) {
        const auto p = positions.find(n->id);
        return p != positions.end() ? p->second.y() : 0.0;
    };
    std::map<std::string, QPointF> placed;
    double x = kMargin;
    for (auto& column : columns) {
        if (column.empty())
            continue;
        std::stable_sort(column.begin(), column.end(),
                         [&](const engine::PatchNode* a, const engine::PatchNode* b) { return yOf(a) < yOf(b); });
        double y = kMargin;
        for (const engine::PatchNode* n : column) {
            placed[n->id] = QPointF(x, y);
            y += upToGrid(size(*n).height() + kRowGap);
        }
        x += upToGrid(CardGeometry::kNodeWidth + kColumnGap);
    }
    return placed;
}

} // namespace chronus::editor
