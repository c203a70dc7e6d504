import QtQuick
import Chronus.Editor

// The canvas grid, drawn in view coordinates so lines stay one pixel thick at every zoom. Panning
// moves one item (the lattice wraps by one major cell); only a zoom rebuilds the lines.
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

    Item {
        x: grid.wrap(grid.originX, grid.major)
        y: grid.wrap(grid.originY, grid.major)
        width: grid.width + 2 * grid.major
        height: grid.height + 2 * grid.major
        Repeater {
            model: Math.ceil(parent.width / grid.minor) + 1
            Rectangle {
                required property int index
                x: Math.round(index * grid.minor)
                width: 1
                height: parent.height
                color: index % grid.majorEvery === 0 ? Theme.gridMajor : Theme.gridMinor
            }
        }
        Repeater {
            model: Math.ceil(parent.height / grid.minor) + 1
            Rectangle {
                required property int index
                y: Math.round(index * grid.minor)
                height: 1
                width: parent.width
                color: index % grid.majorEvery === 0 ? Theme.gridMajor : Theme.gridMinor
            }
        }
    }
}
