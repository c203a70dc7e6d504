import QtQuick
import QtQuick.Controls
import Chronus.Editor

// One parameter of a node, as a compact horizontal bar: name on the left, value with unit on the
// right, the fill showing where the value sits in its range (logarithmically for the engine's log
// parameters: frequencies, times). Drag to change (Shift: ten times finer), wheel to step, double-click the value to type one,
// double-click the name to reset; right-click for a menu: reset, MIDI learn, forget the MIDI mapping.
// A mapped parameter shows a small dot (its controller in the tooltip); one learning, an outline.
// Discrete parameters with labels get a ComboBox.
Item {
    id: row

    required property string nodeId
    required property bool interactive
    property real zoom: 1.0 // the canvas's: the bar's face is painted at that size
    // ParamModel roles.
    required property string paramId
    required property string name
    required property string unit
    required property real min
    required property real max
    required property real value
    required property string display
    required property bool discrete
    required property var choices
    required property bool changed
    required property bool logScale
    required property real logFloor
    required property string midi // "CC 74" when a MIDI controller moves it

    objectName: "param-" + nodeId + "-" + paramId
    height: Theme.paramRow

    readonly property bool hasChoices: discrete && choices && choices.length > 0
    readonly property bool learning: Editor.midiLearning === nodeId + "." + paramId
    // Log travel from `low` to max; a range from 0 keeps 0 at the very start, below `low`.
    readonly property bool useLog: logScale && max > logFloor && logFloor > 0
    readonly property real low: useLog ? logFloor : min
    readonly property real fraction: toFraction(value)
    // A drag's pixels per unit of travel: the bar's width, and for a log range at least
    // kPixelsPerOctave for each octave (50 px from 440 Hz is 1.25 octaves, not 13 of them).
    readonly property real kPixelsPerOctave: 40
    readonly property real dragTravel: useLog ? Math.max(bar.width, kPixelsPerOctave * Math.log2(max / low))
                                              : bar.width

    function toFraction(v) {
        if (max <= min)
            return 0
        const f = useLog ? (v <= low ? 0 : Math.log(v / low) / Math.log(max / low)) : (v - min) / (max - min)
        return Math.max(0, Math.min(1, f))
    }
    function fromFraction(f) {
        f = Math.max(0, Math.min(1, f))
        if (useLog && f === 0)
            return min
        let v = useLog ? low * Math.pow(max / low, f) : min + f * (max - min)
        return discrete ? Math.round(v) : v
    }
    function setValue(v) {
        Editor.setParam(nodeId, paramId, Math.max(min, Math.min(max, v)))
    }

    Accessible.role: hasChoices ? Accessible.ComboBox : Accessible.Slider
    Accessible.name: name
    Accessible.description: display

    // --- The bar: one painted face (track, fill, edge, name, value) ---
    ParamBarItem {
        id: bar
        visible: !row.hasChoices
        anchors.fill: parent
        anchors.topMargin: 2
        anchors.bottomMargin: 2
        name: row.name
        display: row.display
        fraction: row.fraction
        changed: row.changed
        hot: barArea.containsMouse || barArea.pressed
        showValue: !editorLoader.active
        trackColor: Theme.windowBg
        outlineColor: Theme.accentDim
        accentColor: Theme.accent
        changedColor: Theme.changed
        textColor: Theme.text
        valueFontFamily: Theme.monoFont
        renderScale: row.zoom
    }

    MouseArea {
        id: barArea
        anchors.fill: bar
        visible: !row.hasChoices
        enabled: row.interactive
        hoverEnabled: true
        preventStealing: true
        acceptedButtons: Qt.LeftButton | Qt.RightButton
        cursorShape: Qt.SizeHorCursor
        // Where the drag has taken the travel (0..1): each move adds to it, so Shift can be
        // pressed or let go mid-drag without a jump.
        property real lastX: 0
        property real dragFraction: 0
        property real wheelTime: 0

        onPressed: mouse => {
            if (mouse.button === Qt.RightButton) {
                paramMenu.popup()
                return
            }
            Editor.beginGesture()
            lastX = mouse.x
            dragFraction = row.fraction
        }
        onPositionChanged: mouse => {
            if (!pressed || !(mouse.buttons & Qt.LeftButton))
                return
            const fine = (mouse.modifiers & Qt.ShiftModifier) ? 0.1 : 1.0
            dragFraction = Math.max(0, Math.min(1, dragFraction + (mouse.x - lastX) / row.dragTravel * fine))
            lastX = mouse.x
            row.setValue(row.fromFraction(dragFraction))
        }
        onDoubleClicked: mouse => {
            if (mouse.x > width * 0.5)
                editorLoader.active = true
            else
                Editor.resetParam(row.nodeId, row.paramId)
        }
        onWheel: wheel => {
            const now = Date.now()
            if (now - wheelTime > 600) // a burst of wheel steps is one undo step
                Editor.beginGesture()
            wheelTime = now
            const notches = wheel.angleDelta.y / 120
            if (notches === 0)
                return
            const step = row.discrete ? Math.sign(notches) : notches * ((wheel.modifiers & Qt.ShiftModifier) ? 0.002 : 0.02)
            if (row.discrete)
                row.setValue(row.value + step)
            else
                row.setValue(row.fromFraction(row.fraction + step))
        }

        ToolTip.visible: containsMouse && !pressed && !editorLoader.active
        ToolTip.delay: 900
        ToolTip.text: row.name + ": " + row.display + (row.midi !== "" ? "  [MIDI " + row.midi + "]" : "")
                      + "  (drag, wheel; double-click the value to type; right-click: reset, MIDI learn)"
    }

    // MIDI: a mapped parameter's dot; the outline of one waiting for its controller.
    Rectangle {
        objectName: "midiMark"
        visible: row.midi !== "" || row.learning
        // In the card's margin, left of the bar: the bar's face stays as it is.
        x: bar.x - width - 1
        anchors.verticalCenter: bar.verticalCenter
        width: 5
        height: 5
        radius: 2.5
        color: row.learning ? Theme.warning : Theme.midi
    }
    Rectangle {
        objectName: "midiLearning"
        visible: row.learning
        anchors.fill: bar
        color: "transparent"
        border.color: Theme.warning
        border.width: 1
        radius: 2
        SequentialAnimation on opacity {
            running: row.learning
            loops: Animation.Infinite
            NumberAnimation { from: 1; to: 0.3; duration: 500 }
            NumberAnimation { from: 0.3; to: 1; duration: 500 }
        }
    }

    Menu {
        id: paramMenu
        objectName: "paramMenu"
        MenuItem {
            text: qsTr("Reset to default")
            onTriggered: Editor.resetParam(row.nodeId, row.paramId)
        }
        MenuItem {
            objectName: "midiLearnItem"
            text: row.learning ? qsTr("Cancel MIDI learn") : qsTr("MIDI learn")
            onTriggered: row.learning ? Editor.cancelMidiLearn() : Editor.midiLearn(row.nodeId, row.paramId)
        }
        MenuItem {
            objectName: "midiForgetItem"
            text: row.midi !== "" ? qsTr("Forget MIDI mapping (%1)").arg(row.midi) : qsTr("Forget MIDI mapping")
            enabled: row.midi !== ""
            onTriggered: Editor.forgetMidiMapping(row.nodeId, row.paramId)
        }
    }

    // Typing a value: a field over the value text; Return applies, Escape cancels.
    Loader {
        id: editorLoader
        active: false
        anchors.right: parent.right
        anchors.verticalCenter: parent.verticalCenter
        width: parent.width * 0.55
        height: parent.height
        sourceComponent: TextField {
            objectName: "paramEditor"
            text: String(Number(row.value.toPrecision(6)))
            font.pixelSize: 11
            font.family: Theme.monoFont
            padding: 2
            horizontalAlignment: Text.AlignRight
            selectByMouse: true
            Accessible.name: row.name + " value"
            Component.onCompleted: { forceActiveFocus(); selectAll() }
            onAccepted: {
                const v = parseFloat(text)
                if (!isNaN(v)) {
                    Editor.beginGesture()
                    row.setValue(v)
                }
                editorLoader.active = false
            }
            onActiveFocusChanged: if (!activeFocus) editorLoader.active = false
            Keys.onEscapePressed: editorLoader.active = false
        }
    }

    // --- Discrete choices ---
    Loader {
        anchors.fill: parent
        active: row.hasChoices
        sourceComponent: ComboBox {
            objectName: "paramChoice-" + row.nodeId + "-" + row.paramId
            enabled: row.interactive
            model: row.choices
            currentIndex: Math.round(row.value) // labels are indexed by value
            font.pixelSize: 11
            topInset: 1
            bottomInset: 1
            leftPadding: 6
            displayText: row.name + ": " + currentText
            Accessible.name: row.name
            onActivated: index => {
                Editor.beginGesture()
                row.setValue(index)
            }
        }
    }
}
