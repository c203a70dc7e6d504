import QtQuick
import Chronus.Editor

// A message that shows for a few seconds over the canvas (a refused cable, a failed commit).
// `text` keeps the last message for tests and screen readers; `shown` says whether it is up.
Rectangle {
    id: toast

    property string text: ""
    property color tone: Theme.error
    readonly property bool shown: opacity > 0

    function show(message, color) {
        text = message
        tone = color ?? Theme.error
        opacity = 1
        hideTimer.restart()
    }
    function hide() { opacity = 0 }

    width: Math.min(label.implicitWidth + 36, parent ? parent.width - 40 : 600)
    height: label.implicitHeight + 18
    radius: 6
    color: "#2a1f22"
    border.color: tone
    border.width: 1
    opacity: 0
    visible: opacity > 0
    Behavior on opacity { NumberAnimation { duration: 160 } }

    Accessible.role: Accessible.AlertMessage
    Accessible.name: text

    Rectangle {
        x: 0; y: 0
        width: 4
        height: parent.height
        radius: 2
        color: toast.tone
    }
    Text {
        id: label
        anchors.centerIn: parent
        width: Math.min(implicitWidth, toast.parent ? toast.parent.width - 76 : 560)
        text: toast.text
        color: Theme.text
        font.pixelSize: 13
        wrapMode: Text.Wrap
    }
    MouseArea {
        anchors.fill: parent
        onClicked: toast.hide()
    }
    Timer {
        id: hideTimer
        interval: 4500
        onTriggered: toast.hide()
    }
}
