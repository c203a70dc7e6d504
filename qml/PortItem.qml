import QtQuick
import QtQuick.Controls
import Chronus.Editor

// One port of a node: a dot on the card's edge coloured by signal kind (filled when connected) and
// its name. Pressing an output starts a cable; pressing a fed input picks its cable up.
Item {
    id: port

    required property Item canvas  // the NodeCanvas (typed as Item: the types refer to each other)
    required property string nodeId
    required property string portId
    required property string portName
    required property string kind
    required property bool connected
    required property bool isInput
    required property bool interactive
    // The width its name may take (NodeItem gives it what the port across the card leaves free).
    property real labelWidth: width - 12

    objectName: "port-" + nodeId + (isInput ? "-in-" : "-out-") + portId
    height: Theme.portRow

    readonly property color kindColor: Theme.kindColor(kind)
    // The port the cable being drawn would land on.
    readonly property bool isDropTarget: isInput && canvas.dropNodeId === nodeId && canvas.dropPortId === portId
    readonly property bool isDragSource: !isInput && canvas.cableDragging && canvas.dragFromId === nodeId
                                         && canvas.dragFromPort === portId

    Accessible.role: Accessible.Button
    Accessible.name: (isInput ? "input " : "output ") + portName + " (" + kind + ")"

    Rectangle {
        id: dot
        visible: !port.canvas.overview || port.isDropTarget || port.isDragSource
        x: port.isInput ? -width / 2 : port.width - width / 2
        anchors.verticalCenter: parent.verticalCenter
        width: port.isDropTarget ? 14 : 11
        height: width
        radius: width / 2
        color: port.connected || port.isDragSource ? port.kindColor : Theme.panel
        border.width: port.isDropTarget ? 3 : 2
        border.color: port.isDropTarget ? (port.canvas.dropProblem === "" ? Theme.ok : Theme.error) : port.kindColor
    }

    Text {
        objectName: "portLabel"
        visible: port.canvas.detailed
        anchors.verticalCenter: parent.verticalCenter
        anchors.left: port.isInput ? parent.left : undefined
        anchors.right: port.isInput ? undefined : parent.right
        anchors.leftMargin: 10
        anchors.rightMargin: 10
        width: port.labelWidth
        horizontalAlignment: port.isInput ? Text.AlignLeft : Text.AlignRight
        text: port.portName
        color: port.connected ? Theme.text : Theme.textDim
        font.pixelSize: Theme.portFontSize
        elide: Text.ElideRight
    }

    MouseArea {
        id: area
        // The dot sits half outside the card: the hit area reaches past the edge.
        x: port.isInput ? -9 : 0
        width: port.width + 9
        height: port.height
        enabled: port.interactive
        hoverEnabled: true
        preventStealing: true
        cursorShape: Qt.CrossCursor
        onPressed: mouse => {
            port.canvas.forceActiveFocus()
            const p = mapToItem(port.canvas.content, mouse.x, mouse.y)
            if (port.isInput)
                port.canvas.beginPickup(port.nodeId, port.portId, p)
            else
                port.canvas.beginCable(port.nodeId, port.portId, port.kind, p)
        }
        onPositionChanged: mouse => {
            if (pressed)
                port.canvas.updateCableDrag(mapToItem(port.canvas.content, mouse.x, mouse.y))
        }
        onReleased: port.canvas.endCableDrag()
        onCanceled: port.canvas.cancelCableDrag()

        ToolTip.visible: containsMouse && !pressed && !port.canvas.cableDragging
        ToolTip.delay: 600
        ToolTip.text: port.portName + " — " + port.kind + (port.isInput ? " input" : " output")
    }
}
