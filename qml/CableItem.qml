import QtQuick
import QtQuick.Shapes
import Chronus.Editor

// One cable: a cubic curve from an output port to an input port, coloured by the source's signal
// kind. It binds to its two nodes' positions, so it follows a drag with no script per frame.
// Pending "added" cables are dashed, "removed" ones faint; a selected cable is thicker with a halo.
// A poly cable (several channels) is thicker and says its channel count by its output port.
Shape {
    id: cable

    required property var model
    required property Item canvas  // the NodeCanvas (typed as Item: the types refer to each other)

    readonly property string fromId: model.fromId
    readonly property string fromPort: model.fromPort
    readonly property string toId: model.toId
    readonly property string toPort: model.toPort
    readonly property string pending: model.pending
    readonly property int cableId: model.cableId
    readonly property int channels: model.channels
    readonly property bool selected: canvas.selectedCable === cableId
    // Picked up by a drag from its input: drawn faint until the drop decides.
    readonly property bool pickedUp: canvas.pickupCable === cableId

    // Looked up again when nodes come and go (canvas.nodeMapVersion).
    readonly property Item fromItem: { canvas.nodeMapVersion; return canvas.nodeItem(fromId) }
    readonly property Item toItem: { canvas.nodeMapVersion; return canvas.nodeItem(toId) }

    readonly property real x0: fromItem ? fromItem.x + fromItem.width : 0
    readonly property real y0: fromItem ? fromItem.y + fromItem.outputY(model.fromPortIndex) : 0
    readonly property real x1: toItem ? toItem.x : 0
    readonly property real y1: toItem ? toItem.y + toItem.inputY(model.toPortIndex) : 0
    readonly property real bend: Math.max(40, Math.abs(x1 - x0) * 0.5)
    // The item covers the curve (its control points' hull) so renderers can bound and clip it; the
    // path is drawn relative to it.
    readonly property real pad: 6
    x: Math.min(x0, x1 - bend) - pad
    y: Math.min(y0, y1) - pad
    width: Math.max(x0 + bend, x1) + pad - x
    height: Math.max(y0, y1) + pad - y

    objectName: "cable-" + fromId + "." + fromPort + "-" + toId + "." + toPort
    // Without a GPU the canvas's cable picture draws the cables, except those of selected nodes
    // (they move with a drag), and those only while they cross the view itself: Qt 6.4's software
    // renderer paints a Shape lying wholly outside its clip with no clip at all. The other items
    // stay for hit testing, and do not depend on the view (nothing to evaluate while panning).
    // With a GPU every cable draws itself, culled like the cards.
    visible: fromItem !== null && toItem !== null
             && (canvas.softwareRendering
                 ? (fromItem.selected || toItem.selected) && x < canvas.viewRight && x + width > canvas.viewLeft
                   && y < canvas.viewBottom && y + height > canvas.viewTop
                 : x < canvas.cullRight && x + width > canvas.cullLeft && y < canvas.cullBottom
                   && y + height > canvas.cullTop)
    opacity: pickedUp ? 0.2 : pending === "removed" ? 0.3 : 1.0
    z: selected ? 1 : 0

    // Distance from a canvas point to the curve (sampled), for clicking a cable.
    function distanceTo(px, py) {
        let best = 1e9
        for (let i = 0; i <= 24; ++i) {
            const t = i / 24, u = 1 - t
            const bx = u * u * u * x0 + 3 * u * u * t * (x0 + bend) + 3 * u * t * t * (x1 - bend) + t * t * t * x1
            const by = u * u * u * y0 + 3 * u * u * t * y0 + 3 * u * t * t * y1 + t * t * t * y1
            best = Math.min(best, Math.hypot(bx - px, by - py))
        }
        return best
    }

    readonly property color kindColor: Theme.kindColor(model.kind)

    ShapePath { // the halo of a selected cable
        strokeColor: Qt.rgba(1.0, 0.54, 0.24, 0.45)
        strokeWidth: cable.selected ? 8 : -1 // negative: not stroked at all (0 would be a hairline)
        fillColor: "transparent"
        capStyle: ShapePath.RoundCap
        startX: cable.x0 - cable.x; startY: cable.y0 - cable.y
        PathCubic {
            x: cable.x1 - cable.x; y: cable.y1 - cable.y
            control1X: cable.x0 + cable.bend - cable.x; control1Y: cable.y0 - cable.y
            control2X: cable.x1 - cable.bend - cable.x; control2Y: cable.y1 - cable.y
        }
    }
    ShapePath {
        strokeColor: cable.kindColor
        strokeWidth: (cable.selected ? 3.5 : 2.5) + (cable.channels > 1 ? CardGeometry.polyCableExtraWidth : 0)
        fillColor: "transparent"
        capStyle: ShapePath.RoundCap
        strokeStyle: cable.pending === "" ? ShapePath.SolidLine : ShapePath.DashLine
        dashPattern: [3, 2]
        startX: cable.x0 - cable.x; startY: cable.y0 - cable.y
        PathCubic {
            x: cable.x1 - cable.x; y: cable.y1 - cable.y
            control1X: cable.x0 + cable.bend - cable.x; control1Y: cable.y0 - cable.y
            control2X: cable.x1 - cable.bend - cable.x; control2Y: cable.y1 - cable.y
        }
    }

    Rectangle { // the channel count of a poly cable, just right of the output port
        objectName: "channels-" + cable.fromId + "." + cable.fromPort
        visible: cable.channels > 1
        x: cable.x0 - cable.x + 6
        y: cable.y0 - cable.y - height - 3
        width: channelText.implicitWidth + 6
        height: channelText.implicitHeight + 2
        radius: 3
        color: Theme.canvasBg
        border.color: cable.kindColor
        border.width: 1
        Text {
            id: channelText
            anchors.centerIn: parent
            text: cable.channels
            color: cable.kindColor
            font.pixelSize: 10
            font.bold: true
        }
    }
}
