import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Chronus.Editor

// The module palette: every module type of the engine's registry, grouped by category, filtered by
// the search field. Drag an entry onto the canvas, or double-click it to add it at the view centre.
Rectangle {
    id: panel

    required property Item canvas  // the NodeCanvas (typed as Item: the types refer to each other)
    required property DragProxy dragProxy
    property alias searchField: search

    color: Theme.panel
    Accessible.role: Accessible.Pane
    Accessible.name: "Module palette"

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 8
        spacing: 6

        Label {
            text: "MODULES"
            color: Theme.textDim
            font.pixelSize: 11
            font.bold: true
            font.letterSpacing: 1.2
            Layout.leftMargin: 2
        }
        TextField {
            id: search
            objectName: "paletteSearch"
            Layout.fillWidth: true
            placeholderText: "Search (Ctrl+F)"
            selectByMouse: true
            Accessible.name: "Search modules"
            onTextChanged: Editor.palette.filter = text
            Keys.onEscapePressed: { text = ""; panel.canvas.forceActiveFocus() }
            Keys.onReturnPressed: {
                const type = Editor.palette.typeAt(0)
                if (type !== "")
                    panel.canvas.addAtCenter(type)
            }
        }
        ListView {
            id: list
            objectName: "paletteList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            model: Editor.palette
            boundsBehavior: Flickable.StopAtBounds
            reuseItems: true
            ScrollBar.vertical: ScrollBar { policy: ScrollBar.AsNeeded }
            section.property: "category"
            section.delegate: Item {
                required property string section
                width: ListView.view.width
                height: 28
                Text {
                    anchors.left: parent.left
                    anchors.leftMargin: 4
                    anchors.bottom: parent.bottom
                    anchors.bottomMargin: 5
                    text: parent.section
                    color: Theme.accent
                    font.pixelSize: 11
                    font.bold: true
                }
                Rectangle {
                    anchors.bottom: parent.bottom
                    width: parent.width
                    height: 1
                    color: Theme.border
                }
            }
            delegate: Rectangle {
                id: entry
                required property string typeId
                required property string name
                required property string description
                required property int inputCount
                required property int outputCount

                objectName: "palette-" + typeId
                width: ListView.view.width
                height: Math.max(40, entryText.implicitHeight + 10)
                radius: 4
                color: area.containsMouse ? Theme.panelRaised : "transparent"
                Accessible.role: Accessible.ListItem
                Accessible.name: name
                Accessible.description: description

                Column {
                    id: entryText
                    anchors.left: parent.left
                    anchors.leftMargin: 8
                    anchors.right: parent.right
                    anchors.rightMargin: 6
                    anchors.verticalCenter: parent.verticalCenter
                    spacing: 1
                    Text {
                        width: parent.width
                        text: entry.name
                        color: Theme.text
                        font.pixelSize: 12
                        elide: Text.ElideRight
                    }
                    Text {
                        width: parent.width
                        objectName: "paletteDescription"
                        text: entry.description
                        color: Theme.textDim
                        font.pixelSize: 10
                        // Wrapped: a description cut after four words said little.
                        wrapMode: Text.Wrap
                        maximumLineCount: 3
                        elide: Text.ElideRight
                    }
                }
                MouseArea {
                    id: area
                    anchors.fill: parent
                    hoverEnabled: true
                    preventStealing: true
                    cursorShape: Qt.OpenHandCursor
                    drag.target: panel.dragProxy
                    drag.threshold: 4
                    onPressed: mouse => {
                        const p = mapToItem(panel.dragProxy.parent, mouse.x, mouse.y)
                        panel.dragProxy.start(entry.typeId, entry.name, p)
                    }
                    onPositionChanged: {
                        // The proxy's Drag goes active once the mouse passed the drag threshold.
                        if (drag.active && !panel.dragProxy.Drag.active)
                            panel.dragProxy.Drag.active = true
                    }
                    onReleased: panel.dragProxy.finish()
                    onCanceled: panel.dragProxy.cancel()
                    onDoubleClicked: panel.canvas.addAtCenter(entry.typeId)
                    ToolTip.visible: containsMouse && !pressed
                    ToolTip.delay: 800
                    ToolTip.text: entry.name + " — " + entry.description + "\n" + entry.inputCount + " in, "
                                  + entry.outputCount + " out. Drag onto the canvas or double-click."
                }
            }
        }
    }
}
