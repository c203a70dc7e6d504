import QtQuick
import QtQuick.Controls
import Chronus.Editor

// A menu item that shows its action's shortcut at the right, as desktop menus do (Qt 6.4's
// Controls menus show only the text).
MenuItem {
    id: item

    // Keys to show that are no Action's shortcut (Tab opens Add module in the canvas).
    property string shortcutHint: ""
    readonly property string shortcutText: shortcutHint !== "" ? shortcutHint
                                                               : item.action ? KeySequenceText.of(item.action.shortcut) : ""

    rightPadding: padding + (shortcutText !== "" ? shortcutLabel.implicitWidth + 24 : 0)

    Text {
        id: shortcutLabel
        objectName: "shortcutLabel"
        parent: item
        visible: item.shortcutText !== ""
        anchors.right: parent.right
        anchors.rightMargin: item.padding + 4
        anchors.verticalCenter: parent.verticalCenter
        text: item.shortcutText
        font.pixelSize: item.font.pixelSize > 0 ? item.font.pixelSize - 1 : 11
        color: item.highlighted ? item.palette.highlightedText : Theme.textDim
        opacity: item.enabled ? 1 : 0.5
    }
}
