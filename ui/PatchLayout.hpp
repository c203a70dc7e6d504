#pragma once
// The editor's layout algorithm: where "Arrange" puts the cards. Columns by signal flow (a module
// one column right of the furthest module feeding it; sources left, `out` right), each column
// stacked in its present top-to-bottom order by the cards' heights, on the canvas's 20-unit grid.
// Plain function of the patch and the cards' sizes: no Qt Quick, no engine; GUI thread or any.

#include "engine/PatchGraph.hpp"

#include <QPointF>
#include <QSizeF>

#include <functional>
#include <map>
#include <string>

namespace chronus::editor {

// Every module of `graph` (its cables: what feeds what) at its arranged place. `size` measures a
// card; `positions` are where the cards are now (a column keeps its cards' order by y).
std::map<std::string, QPointF> arrangeByFlow(const engine::PatchGraph& graph,
                                             const std::function<QSizeF(const engine::PatchNode&)>& size,
                                             const std::map<std::string, QPointF>& positions);

} // namespace chronus::editor
