import QtQuick
import Chronus.Editor

// The canvas grid, drawn in view coordinates so lines stay one pixel thick at every zoom. The
// lattice is one painted image (GridItem) one major cell larger than the view on each side:
// panning moves it and wraps it by a major cell, only a zoom or a resize repaints it.
Item {
    id: grid

    property real step: 20      // minor cell, in view pixels
    property real originX: 0    // where canvas (0, 0) is, in view pixels
    property real originY: 0

    clip: true

    // Below ~8 px the minor lines are noise: draw majors only.
    readonly property real minor: step >= 8 ? step : step * 5
    readonly property int majorEvery: step >= 8 ? 5 : 1
    readonly property real major: minor * majorEvery

    function wrap(v, m) { return ((v % m) + m) % m - m }

    GridItem {
        objectName: "gridLattice"
        x: grid.wrap(grid.originX, grid.major)
        y: grid.wrap(grid.originY, grid.major)
        width: Math.ceil(grid.width + 2 * grid.major)
        height: Math.ceil(grid.height + 2 * grid.major)
        minor: grid.minor
        majorEvery: grid.majorEvery
        background: Theme.canvasBg
        minorColor: Theme.gridMinor
        majorColor: Theme.gridMajor
    }
}
