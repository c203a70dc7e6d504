import QtQuick
import QtQuick.Controls
import Chronus.Editor

// The zoom level and its buttons in the canvas' corner.
Rectangle {
    id: controls

    required property Item canvas  // the NodeCanvas (typed as Item: the types refer to each other)

    width: row.implicitWidth + 8
    height: row.implicitHeight + 6
    radius: 5
    color: Qt.rgba(0.145, 0.149, 0.173, 0.92)
    border.color: Theme.border

    Row {
        id: row
        anchors.centerIn: parent
        spacing: 2
        ToolButton {
            text: "−"
            implicitWidth: 26; implicitHeight: 24
            onClicked: controls.canvas.zoomBy(1 / 1.2)
            ToolTip.visible: hovered; ToolTip.delay: 600; ToolTip.text: "Zoom out (-)"
            Accessible.name: "Zoom out"
        }
        ToolButton {
            objectName: "zoomLabel"
            text: Math.round(controls.canvas.zoom * 100) + " %"
            implicitWidth: 54; implicitHeight: 24
            font.pixelSize: 11
            onClicked: controls.canvas.resetZoom()
            ToolTip.visible: hovered; ToolTip.delay: 600; ToolTip.text: "Actual size (0)"
            Accessible.name: "Actual size"
        }
        ToolButton {
            text: "+"
            implicitWidth: 26; implicitHeight: 24
            onClicked: controls.canvas.zoomBy(1.2)
            ToolTip.visible: hovered; ToolTip.delay: 600; ToolTip.text: "Zoom in (+)"
            Accessible.name: "Zoom in"
        }
        ToolButton {
            text: "Fit"
            implicitWidth: 36; implicitHeight: 24
            font.pixelSize: 11
            onClicked: controls.canvas.fitToView()
            ToolTip.visible: hovered; ToolTip.delay: 600; ToolTip.text: "Fit the patch in view (F)"
            Accessible.name: "Fit to view"
        }
    }
}
