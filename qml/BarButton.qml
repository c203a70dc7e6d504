import QtQuick
import QtQuick.Controls
import Chronus.Editor

// A toolbar button with a tooltip and an accessible name.
ToolButton {
    id: button
    property string tip: ""
    font.pixelSize: 12
    implicitHeight: 30
    Accessible.name: tip !== "" ? tip : text
    ToolTip.visible: hovered && tip !== ""
    ToolTip.delay: 500
    ToolTip.text: tip
}
