import QtQuick
import Chronus.Editor

// What follows the mouse while a module is dragged from the palette; the canvas' DropArea takes
// it (keys "chronus/module", source.typeId). Lives on top of the window so it can cross panels.
Rectangle {
    id: proxy

    property string typeId: ""
    property string typeName: ""
    readonly property real hotX: 16
    readonly property real hotY: 12

    function start(type, name, at) {
        typeId = type
        typeName = name
        x = at.x - hotX
        y = at.y - hotY
    }
    function finish() {
        if (Drag.active)
            Drag.drop()
        Drag.active = false
    }
    function cancel() { Drag.active = false }

    visible: Drag.active
    width: label.implicitWidth + 24
    height: 28
    radius: 6
    color: Theme.panelRaised
    border.color: Theme.accent
    opacity: 0.92
    Drag.keys: ["chronus/module"]
    Drag.hotSpot.x: hotX
    Drag.hotSpot.y: hotY
    Drag.supportedActions: Qt.CopyAction
    Drag.proposedAction: Qt.CopyAction

    Text {
        id: label
        anchors.centerIn: parent
        text: "+ " + proxy.typeName
        color: Theme.text
        font.pixelSize: 12
    }
}
