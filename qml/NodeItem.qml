import QtQuick
import QtQuick.Controls
import QtQuick.Shapes
import Chronus.Editor

// One module on the canvas: a card with its id and type, input ports on the left, output ports on
// the right, its parameters and its text forms. The card itself is the drag handle (the controls
// inside take their own presses). Pending marks against the committed patch: "added" a green
// edge and badge, "changed" amber, "removed" a ghost that takes no input.
Item {
    id: node

    required property var model
    required property Item canvas  // the NodeCanvas (typed as Item: the types refer to each other)

    readonly property string nodeId: model.nodeId
    readonly property string pending: model.pending
    readonly property bool selected: model.selected
    readonly property bool ghost: pending === "removed"
    readonly property var inputs: model.inputs
    readonly property var outputs: model.outputs
    readonly property int portRows: Math.max(inputs.length, outputs.length)
    readonly property real portsTop: Theme.portsTop

    objectName: "node-" + nodeId
    x: model.x
    y: model.y
    z: selected ? 2 : ghost ? 0 : 1
    width: Theme.nodeWidth
    height: body.y + body.height + 8
    opacity: ghost ? 0.35 : 1.0
    visible: x < canvas.cullRight && x + width > canvas.cullLeft && y < canvas.cullBottom && y + height > canvas.cullTop

    // Where the cables attach, in node coordinates (CableItem binds to these plus x/y).
    function inputY(index) { return CardGeometry.portAt(index) }
    function outputY(index) { return CardGeometry.portAt(index) }
    // The input port under a point in node coordinates, or "" (for the cable being drawn).
    function inputAt(px, py) {
        if (ghost || px > width * 0.6)
            return ""
        const i = CardGeometry.rowAt(py)
        return i >= 0 && i < inputs.length ? inputs[i].id : ""
    }

    Component.onCompleted: {
        canvas.registerNode(nodeId, node)
        Editor.setCardSize(nodeId, width, height)
    }
    onHeightChanged: Editor.setCardSize(nodeId, width, height) // where the controller places an agent's modules
    Component.onDestruction: if (canvas) canvas.unregisterNode(nodeId, node)

    Accessible.role: Accessible.Grouping
    Accessible.name: nodeId + " (" + model.typeName + ")"

    // --- The card ---
    Rectangle {
        id: card
        anchors.fill: parent
        radius: Theme.cardRadius
        color: Theme.panel
        border.width: node.selected ? 2 : 1
        border.color: node.selected ? Theme.accent
                    : node.pending === "added" ? Theme.added
                    : node.pending === "changed" ? Theme.changed
                    : Theme.border
        visible: !node.ghost
    }
    // A ghost's dashed outline: what the commit will take away.
    Loader {
        anchors.fill: parent
        active: node.ghost
        sourceComponent: Shape {
            ShapePath {
                strokeColor: Theme.removed
                strokeWidth: 1.5
                strokeStyle: ShapePath.DashLine
                dashPattern: [4, 3]
                fillColor: Qt.rgba(0.15, 0.15, 0.17, 0.6)
                startX: 0; startY: 0
                PathLine { x: node.width; y: 0 }
                PathLine { x: node.width; y: node.height }
                PathLine { x: 0; y: node.height }
                PathLine { x: 0; y: 0 }
            }
        }
    }

    // Header.
    Rectangle {
        id: header
        x: 1; y: 1
        width: parent.width - 2
        height: Theme.headerHeight - 1
        radius: Theme.cardRadius - 1
        color: node.selected ? "#3a2d24" : Theme.panelRaised
        Rectangle { // squares the header's lower corners
            anchors.bottom: parent.bottom
            width: parent.width
            height: parent.radius
            color: Theme.notOpaque(parent.color)
        }
        Rectangle { // the pending mark's edge
            visible: node.pending === "added" || node.pending === "changed"
            x: 0; y: 0
            width: 4
            height: parent.height
            radius: 2
            color: Theme.markColor(node.pending)
        }
        Column {
            visible: !node.canvas.overview
            anchors.left: parent.left
            anchors.leftMargin: 10
            anchors.right: badge.left
            anchors.rightMargin: 4
            anchors.verticalCenter: parent.verticalCenter
            spacing: 0
            Text {
                width: parent.width
                text: node.nodeId
                color: Theme.text
                font.pixelSize: 13
                font.bold: true
                elide: Text.ElideRight
                font.strikeout: node.ghost
            }
            Text {
                visible: node.canvas.detailed
                width: parent.width
                text: node.model.typeName
                color: Theme.textDim
                font.pixelSize: 10
                elide: Text.ElideRight
            }
        }
        Rectangle {
            id: badge
            anchors.right: parent.right
            anchors.rightMargin: 8
            anchors.verticalCenter: parent.verticalCenter
            visible: node.pending !== "" && !node.canvas.overview
            width: visible ? badgeText.implicitWidth + 10 : 0
            height: 16
            radius: 8
            color: "transparent"
            border.color: Theme.markColor(node.pending)
            Text {
                id: badgeText
                anchors.centerIn: parent
                text: node.pending === "added" ? "new" : node.pending === "changed" ? "edited" : "removed"
                color: Theme.markColor(node.pending)
                font.pixelSize: 9
                font.bold: true
            }
        }
    }

    // Selecting and moving: the whole card (controls on top take their own presses).
    MouseArea {
        id: dragArea
        anchors.fill: parent
        enabled: !node.ghost
        acceptedButtons: Qt.LeftButton
        preventStealing: true
        cursorShape: pressed ? Qt.ClosedHandCursor : Qt.OpenHandCursor
        property point last
        property bool moved: false
        property bool additive: false

        onPressed: mouse => {
            node.canvas.forceActiveFocus()
            node.canvas.autoFit = false
            node.canvas.selectedCable = -1
            additive = (mouse.modifiers & (Qt.ShiftModifier | Qt.ControlModifier)) !== 0
            if (additive || !node.selected)
                Editor.selection.select(node.nodeId, additive)
            Editor.beginGesture()
            last = mapToItem(node.canvas.content, mouse.x, mouse.y)
            moved = false
        }
        onPositionChanged: mouse => {
            const p = mapToItem(node.canvas.content, mouse.x, mouse.y)
            const dx = p.x - last.x, dy = p.y - last.y
            if (!moved && Math.abs(dx) + Math.abs(dy) < 2)
                return
            moved = true
            Editor.moveSelectionBy(dx, dy)
            last = p
        }
        onReleased: {
            // A plain click on a node of a multi-selection selects that node alone.
            if (!moved && !additive && Editor.nodes.selectedCount > 1)
                Editor.selection.select(node.nodeId, false)
        }
    }

    // --- Body: ports, parameters, texts ---
    // The width a port's name may take: all of the card when no port faces it on the other
    // side, else what the facing name leaves (at least half).
    function portLabelWidth(facing) {
        const room = width - 28
        if (!facing)
            return room
        const other = Theme.portMetrics.advanceWidth(facing.name)
        return Math.min(room, Math.max(room / 2, room - other - 8))
    }
    Item {
        id: ports
        y: node.portsTop
        width: parent.width
        height: node.portRows * Theme.portRow
        Repeater {
            model: node.inputs
            delegate: PortItem {
                required property var modelData
                required property int index
                canvas: node.canvas
                nodeId: node.nodeId
                portId: modelData.id
                portName: modelData.name
                kind: modelData.kind
                connected: modelData.connected
                isInput: true
                interactive: !node.ghost
                x: 0
                y: index * Theme.portRow
                width: node.width / 2
                labelWidth: node.portLabelWidth(node.outputs[index])
            }
        }
        Repeater {
            model: node.outputs
            delegate: PortItem {
                required property var modelData
                required property int index
                canvas: node.canvas
                nodeId: node.nodeId
                portId: modelData.id
                portName: modelData.name
                kind: modelData.kind
                connected: modelData.connected
                isInput: false
                interactive: !node.ghost
                x: node.width / 2
                y: index * Theme.portRow
                width: node.width / 2
                labelWidth: node.portLabelWidth(node.inputs[index])
            }
        }
    }

    // Zoomed out: one block where the parameters are (the rows stay, out of the scene graph, and
    // keep the card's height).
    Rectangle {
        visible: !node.canvas.detailed && body.height > 0
        x: body.x
        y: body.y
        width: body.width
        height: body.height
        color: Theme.notOpaque(Theme.windowBg)
    }
    Column {
        id: body
        visible: node.canvas.detailed
        x: 8
        y: ports.y + ports.height + (node.portRows > 0 ? 6 : 0)
        width: parent.width - 16
        spacing: 2
        Repeater {
            model: node.model.params
            delegate: ParamRow {
                nodeId: node.nodeId
                interactive: !node.ghost
                zoom: node.canvas.zoom
                width: body.width
            }
        }
        Repeater {
            model: node.model.texts
            delegate: TextField {
                id: textField
                required property var modelData
                objectName: "text-" + node.nodeId + "-" + modelData.id
                width: body.width
                height: Theme.textRow - 4
                enabled: !node.ghost
                font.family: Theme.monoFont
                font.pixelSize: 11
                padding: 4
                placeholderText: modelData.name
                selectByMouse: true
                Accessible.name: modelData.name
                ToolTip.visible: hovered && modelData.help !== undefined && modelData.help !== ""
                ToolTip.delay: 900
                ToolTip.text: modelData.name + ": " + (modelData.help || "")
                Component.onCompleted: text = modelData.value
                onAccepted: {
                    Editor.setText(node.nodeId, modelData.id, text)
                    node.canvas.forceActiveFocus()
                }
                Keys.onEscapePressed: { text = modelData.value; node.canvas.forceActiveFocus() }
            }
        }
    }
}
