// The engine's live status, readable at a glance: which slot plays, each slot's state,
// prime flag, ring occupancy against the target, DSP load and none-reads; the counters; the
// crossfade while it runs; the output level and a scope. Green when all is well, amber for a
// warning, red for an error, with one line saying what is wrong. Everything comes from `status`
// (a StatusModel, polled at 30 Hz); nothing here writes to it.
import QtQuick
import QtQuick.Layouts
import Chronus.Editor

Rectangle {
    id: root
    required property var status

    // The panel's palette: the editor's dark theme.
    readonly property color textColor: "#d8dae0"
    readonly property color mutedColor: "#8b8f9a"
    readonly property color surfaceColor: "#26282f"
    readonly property color lineColor: "#363943"
    readonly property color okColor: "#4cc98a"
    readonly property color warningColor: "#e8b04a"
    readonly property color errorColor: "#e5534b"
    readonly property color accentColor: "#5aa8f0"
    readonly property string monoFamily: "DejaVu Sans Mono"

    function healthColor(health) {
        return health === "error" ? errorColor : health === "warning" ? warningColor : okColor
    }
    function fixed(value, digits) { return Number(value).toFixed(digits) }
    function dbText(db) { return db <= status.floorDb ? "-inf" : fixed(db, 1) }

    objectName: "statusPanel"
    implicitWidth: 360
    implicitHeight: column.implicitHeight + 24
    color: "#1e1f24"
    Accessible.role: Accessible.Pane
    Accessible.name: qsTr("Engine status")

    ColumnLayout {
        id: column
        anchors.fill: parent
        anchors.margins: 12
        spacing: 10

        // --- Active slot and health --------------------------------------------------------
        RowLayout {
            Layout.fillWidth: true
            spacing: 10

            Rectangle {
                id: activeBadge
                objectName: "activeBadge"
                Accessible.role: Accessible.StaticText
                Accessible.name: qsTr("Active slot %1").arg(root.status.activeSlotName)
                implicitWidth: 64
                implicitHeight: 56
                radius: 8
                color: Qt.darker(root.healthColor(root.status.health), 2.4)
                border.color: root.healthColor(root.status.health)
                border.width: 2
                Behavior on color { ColorAnimation { duration: 150 } }

                Column {
                    anchors.centerIn: parent
                    spacing: -2
                    Text {
                        anchors.horizontalCenter: parent.horizontalCenter
                        text: qsTr("ACTIVE")
                        color: root.mutedColor
                        font.pixelSize: 9
                        font.bold: true
                        font.letterSpacing: 1.2
                    }
                    Text {
                        anchors.horizontalCenter: parent.horizontalCenter
                        text: root.status.activeSlotName
                        color: root.textColor
                        font.pixelSize: 30
                        font.bold: true
                    }
                }
            }

            ColumnLayout {
                Layout.fillWidth: true
                spacing: 4

                RowLayout {
                    id: healthIndicator
                    objectName: "healthIndicator"
                    Accessible.role: Accessible.StaticText
                    Accessible.name: qsTr("Health: %1").arg(healthLabel.text)
                    Accessible.description: root.status.healthText
                    spacing: 6
                    Rectangle {
                        implicitWidth: 10
                        implicitHeight: 10
                        radius: 5
                        color: root.healthColor(root.status.health)
                    }
                    Text {
                        id: healthLabel
                        text: root.status.health === "ok" ? qsTr("All good")
                              : root.status.health === "warning" ? qsTr("Warning") : qsTr("Error")
                        color: root.healthColor(root.status.health)
                        font.pixelSize: 14
                        font.bold: true
                    }
                }
                // Always two lines high: "all good" (one line) and a warning (up to two) take the
                // same room, so nothing under them jumps when the health changes.
                FontMetrics {
                    id: healthMetrics
                    font.pixelSize: 11
                }
                Text {
                    objectName: "healthText"
                    Layout.fillWidth: true
                    Layout.preferredHeight: Math.ceil(2 * healthMetrics.lineSpacing)
                    Layout.maximumHeight: Layout.preferredHeight
                    verticalAlignment: Text.AlignTop
                    text: root.status.healthText !== "" ? root.status.healthText
                          : qsTr("%1 Hz · %2-frame blocks · ring target %3")
                                .arg(root.status.sampleRate).arg(root.status.blockSize).arg(root.status.ringTarget)
                    color: root.status.health === "ok" ? root.mutedColor : root.textColor
                    font.pixelSize: 11
                    wrapMode: Text.Wrap // a narrow panel still says the whole problem
                    maximumLineCount: 2
                    elide: Text.ElideRight
                    Accessible.ignored: true
                }
                // The crossfade while it runs; the space stays so nothing jumps.
                Item {
                    Layout.fillWidth: true
                    implicitHeight: 12
                    Rectangle {
                        id: fadeBar
                        objectName: "fadeBar"
                        Accessible.role: Accessible.ProgressBar
                        Accessible.name: qsTr("Crossfade")
                        visible: root.status.fading
                        anchors.left: parent.left
                        anchors.right: fadeLabel.left
                        anchors.rightMargin: 6
                        anchors.verticalCenter: parent.verticalCenter
                        height: 4
                        radius: 2
                        color: root.lineColor
                        Rectangle {
                            width: parent.width * Math.max(0, Math.min(1, root.status.fadeProgress))
                            height: parent.height
                            radius: 2
                            color: root.accentColor
                        }
                    }
                    Text {
                        id: fadeLabel
                        visible: root.status.fading
                        anchors.right: parent.right
                        anchors.verticalCenter: parent.verticalCenter
                        text: qsTr("fade %1%").arg(Math.round(100 * root.status.fadeProgress))
                        color: root.accentColor
                        font.pixelSize: 10
                    }
                }
            }
        }

        // --- The two slots ------------------------------------------------------------------
        Repeater {
            model: root.status.slots
            delegate: Rectangle {
                id: slotRow
                required property string name
                required property string state
                required property bool active
                required property bool primeReady
                required property bool inStep
                required property double occupancy
                required property double occupancyMin
                required property double occupancyMax
                required property var noneReads
                required property var noneReadsWindow
                required property double dspLoad
                required property bool realtime
                required property string health
                required property int pid
                required property var restarts
                required property string lastExit

                // The bar's full scale: twice the target, or more when the ring held more.
                readonly property double scale: Math.max(2 * root.status.ringTarget, occupancyMax, 1)

                objectName: "slotRow_" + name
                Accessible.role: Accessible.Row
                Accessible.name: qsTr("Slot %1: %2%3, occupancy %4, DSP %5%")
                    .arg(name).arg(state).arg(primeReady ? qsTr(", primed") : "")
                    .arg(root.fixed(occupancy, 1)).arg(Math.round(100 * dspLoad))
                Layout.fillWidth: true
                implicitHeight: rowColumn.implicitHeight + 14
                radius: 6
                color: root.surfaceColor
                border.width: health === "ok" ? (active ? 1 : 0) : 2
                border.color: health === "ok" ? root.lineColor : root.healthColor(health)

                // The active slot's stripe.
                Rectangle {
                    visible: slotRow.active
                    width: 3
                    radius: 1.5
                    anchors { left: parent.left; top: parent.top; bottom: parent.bottom; margins: 6 }
                    color: root.okColor
                }

                ColumnLayout {
                    id: rowColumn
                    anchors { fill: parent; leftMargin: 16; rightMargin: 10; topMargin: 7; bottomMargin: 7 }
                    spacing: 5

                    RowLayout {
                        Layout.fillWidth: true
                        spacing: 8
                        Text {
                            text: slotRow.name
                            color: slotRow.active ? root.textColor : root.mutedColor
                            font.pixelSize: 15
                            font.bold: true
                        }
                        Text {
                            text: slotRow.state
                            color: slotRow.state === "failed" ? root.errorColor : root.textColor
                            font.pixelSize: 12
                        }
                        Item { Layout.fillWidth: true }
                        // Flags: small chips, filled when set; when not, an outline whose label is
                        // still readable.
                        Repeater {
                            model: [
                                { label: qsTr("PRIMED"), on: slotRow.primeReady, tip: qsTr("prime flag") },
                                { label: qsTr("IN STEP"), on: slotRow.inStep, tip: qsTr("mirror in step") },
                                { label: qsTr("RT"), on: slotRow.realtime, tip: qsTr("real-time worker") }
                            ]
                            delegate: Rectangle {
                                required property var modelData
                                objectName: "flag_" + slotRow.name + "_" + modelData.label.replace(" ", "")
                                Accessible.role: Accessible.Indicator
                                Accessible.name: modelData.tip + (modelData.on ? qsTr(" on") : qsTr(" off"))
                                implicitWidth: chip.implicitWidth + 8
                                implicitHeight: 15
                                radius: 3
                                color: modelData.on ? root.accentColor : "transparent"
                                border.width: 1
                                border.color: modelData.on ? root.accentColor : root.mutedColor
                                Text {
                                    id: chip
                                    anchors.centerIn: parent
                                    text: parent.modelData.label
                                    color: parent.modelData.on ? "#1e1f24" : root.mutedColor
                                    font.pixelSize: 9
                                    font.bold: true
                                }
                            }
                        }
                    }

                    RowLayout {
                        Layout.fillWidth: true
                        spacing: 8
                        // Ring occupancy now (fill), its min and max over the last window (ticks)
                        // and the target (a marker).
                        Item {
                            id: bar
                            objectName: "occupancy_" + slotRow.name
                            Accessible.role: Accessible.ProgressBar
                            Accessible.name: qsTr("Slot %1 ring occupancy").arg(slotRow.name)
                            Layout.fillWidth: true
                            implicitHeight: 12
                            function at(blocks) { return width * Math.min(1, blocks / slotRow.scale) }
                            Rectangle {
                                anchors.fill: parent
                                radius: 2
                                color: "#17181c"
                                border.color: root.lineColor
                            }
                            Rectangle { // min..max over the window
                                x: bar.at(slotRow.occupancyMin)
                                width: Math.max(2, bar.at(slotRow.occupancyMax) - x)
                                y: 2
                                height: parent.height - 4
                                color: Qt.rgba(root.accentColor.r, root.accentColor.g, root.accentColor.b, 0.25)
                            }
                            Rectangle { // now
                                x: 1
                                y: 3
                                width: Math.max(0, bar.at(slotRow.occupancy) - 1)
                                height: parent.height - 6
                                radius: 1
                                color: slotRow.occupancy < 1 && slotRow.active ? root.errorColor : root.accentColor
                            }
                            Repeater { // min and max ticks
                                model: [slotRow.occupancyMin, slotRow.occupancyMax]
                                delegate: Rectangle {
                                    required property double modelData
                                    x: bar.at(modelData) - 1
                                    width: 2
                                    height: bar.height
                                    color: root.textColor
                                    opacity: 0.7
                                }
                            }
                            Rectangle { // target
                                x: bar.at(root.status.ringTarget) - 1
                                y: -2
                                width: 2
                                height: bar.height + 4
                                color: root.okColor
                            }
                        }
                        Text {
                            horizontalAlignment: Text.AlignRight
                            text: qsTr("%1 [%2–%3]").arg(root.fixed(slotRow.occupancy, 1))
                                .arg(root.fixed(slotRow.occupancyMin, 0)).arg(root.fixed(slotRow.occupancyMax, 0))
                            color: root.mutedColor
                            font.pixelSize: 10
                            font.family: root.monoFamily
                        }
                    }

                    RowLayout {
                        Layout.fillWidth: true
                        spacing: 8
                        Text {
                            objectName: "noneReads_" + slotRow.name
                            Accessible.role: Accessible.StaticText
                            Accessible.name: qsTr("none-reads: %1 in the last window, %2 since start")
                                .arg(slotRow.noneReadsWindow).arg(slotRow.noneReads)
                            Layout.fillWidth: true
                            text: qsTr("none-reads %1 · total %2").arg(slotRow.noneReadsWindow).arg(slotRow.noneReads)
                            color: Number(slotRow.noneReadsWindow) > 0 ? root.errorColor : root.mutedColor
                            font.pixelSize: 10
                            elide: Text.ElideRight
                        }
                        Text {
                            objectName: "dsp_" + slotRow.name
                            Accessible.role: Accessible.StaticText
                            Accessible.name: qsTr("Slot %1 DSP load %2%").arg(slotRow.name).arg(Math.round(100 * slotRow.dspLoad))
                            text: qsTr("DSP %1%").arg(root.fixed(100 * slotRow.dspLoad, 0))
                            color: slotRow.dspLoad >= 1 ? root.errorColor
                                   : slotRow.dspLoad >= 0.75 ? root.warningColor : root.mutedColor
                            font.pixelSize: 10
                            font.family: root.monoFamily
                        }
                    }
                    Text {
                        objectName: "worker_" + slotRow.name
                        Accessible.role: Accessible.StaticText
                        Accessible.name: text
                        visible: slotRow.pid > 0 || Number(slotRow.restarts) > 0
                        Layout.fillWidth: true
                        text: (slotRow.pid > 0 ? qsTr("process %1").arg(slotRow.pid) : qsTr("process restarting"))
                              + (Number(slotRow.restarts) > 0
                                 ? qsTr(" · restarts %1 · last: %2").arg(slotRow.restarts).arg(slotRow.lastExit) : "")
                        color: Number(slotRow.restarts) > 0 ? root.warningColor : root.mutedColor
                        font.pixelSize: 10
                        wrapMode: Text.Wrap
                    }
                }
            }
        }

        // --- Counters -----------------------------------------------------------------------
        GridLayout {
            objectName: "counters"
            Layout.fillWidth: true
            columns: root.width >= 330 ? 4 : 3
            columnSpacing: 6
            rowSpacing: 6

            Repeater {
                model: [
                    { key: "xruns", label: qsTr("xruns"), value: String(root.status.xruns), bad: root.status.xruns > 0 },
                    { key: "noneReads", label: qsTr("none-reads"),
                      value: root.status.noneReadsWindow + "/" + root.status.noneReadsTotal,
                      bad: root.status.noneReadsWindow > 0 },
                    { key: "failovers", label: qsTr("failovers"), value: String(root.status.failovers), bad: false },
                    { key: "rollbacks", label: qsTr("rollbacks"), value: String(root.status.rollbacks), bad: false },
                    { key: "commits", label: qsTr("commits"), value: String(root.status.commits), bad: false },
                    { key: "prime", label: qsTr("last prime"), value: root.fixed(root.status.lastPrimeMs, 1) + " ms", bad: false },
                    { key: "commit", label: qsTr("last commit"), value: root.fixed(root.status.lastCommitMs, 1) + " ms", bad: false },
                    { key: "dsp", label: qsTr("DSP total"), value: Math.round(100 * root.status.dspLoadTotal) + "%",
                      bad: root.status.dspLoadTotal >= 1.5 }
                ]
                delegate: Rectangle {
                    required property var modelData
                    objectName: "counter_" + modelData.key
                    Accessible.role: Accessible.StaticText
                    Accessible.name: modelData.label + ": " + modelData.value
                    Layout.fillWidth: true
                    Layout.preferredWidth: 1
                    implicitHeight: 38
                    radius: 5
                    color: root.surfaceColor
                    Column {
                        anchors { left: parent.left; leftMargin: 7; verticalCenter: parent.verticalCenter }
                        spacing: 1
                        Text {
                            text: parent.parent.modelData.value
                            color: parent.parent.modelData.bad ? root.errorColor : root.textColor
                            font.pixelSize: 13
                            font.family: root.monoFamily
                        }
                        Text {
                            text: parent.parent.modelData.label
                            color: root.mutedColor
                            font.pixelSize: 9
                        }
                    }
                }
            }
        }

        // --- Output level -------------------------------------------------------------------
        ColumnLayout {
            id: meter
            objectName: "levelMeter"
            Accessible.role: Accessible.Indicator
            Accessible.name: qsTr("Output level: left %1 dB, right %2 dB%3")
                .arg(root.dbText(root.status.levelDbL)).arg(root.dbText(root.status.levelDbR))
                .arg(root.status.clipping ? qsTr(", clipping") : "")
            Layout.fillWidth: true
            spacing: 4

            readonly property double lowDb: -60
            readonly property double highDb: 6
            function frac(db) { return Math.max(0, Math.min(1, (db - lowDb) / (highDb - lowDb))) }

            Repeater {
                model: [
                    { label: "L", peak: root.status.levelDbL, hold: root.status.peakHoldDbL, rms: root.status.rmsDbL },
                    { label: "R", peak: root.status.levelDbR, hold: root.status.peakHoldDbR, rms: root.status.rmsDbR }
                ]
                delegate: RowLayout {
                    required property var modelData
                    Layout.fillWidth: true
                    spacing: 6
                    Text {
                        text: parent.modelData.label
                        color: root.mutedColor
                        font.pixelSize: 10
                        font.bold: true
                    }
                    Item {
                        id: track
                        Layout.fillWidth: true
                        implicitHeight: 10
                        readonly property var m: parent.modelData
                        Rectangle {
                            anchors.fill: parent
                            radius: 2
                            color: "#17181c"
                        }
                        // The peak: a window onto a gradient as wide as the track, green up to
                        // -12 dB, amber up to 0 dB, red above; the RMS inside it, brighter.
                        Item {
                            height: parent.height
                            width: parent.width * meter.frac(track.m.peak)
                            clip: true
                            Rectangle {
                                width: track.width
                                height: track.height
                                radius: 2
                                gradient: Gradient {
                                    orientation: Gradient.Horizontal
                                    GradientStop { position: 0.0; color: Qt.darker(root.okColor, 1.8) }
                                    GradientStop { position: meter.frac(-12); color: Qt.darker(root.okColor, 1.1) }
                                    GradientStop { position: meter.frac(-6); color: root.warningColor }
                                    GradientStop { position: meter.frac(0) - 0.01; color: root.warningColor }
                                    GradientStop { position: meter.frac(0); color: root.errorColor }
                                }
                            }
                        }
                        Rectangle {
                            y: 3
                            height: parent.height - 6
                            width: parent.width * meter.frac(track.m.rms)
                            color: Qt.lighter(root.okColor, 1.25)
                            opacity: 0.85
                        }
                        Rectangle { // peak hold
                            x: parent.width * meter.frac(track.m.hold) - 1
                            width: 2
                            height: parent.height
                            visible: track.m.hold > meter.lowDb
                            color: track.m.hold >= 0 ? root.errorColor : root.textColor
                        }
                        Rectangle { // 0 dBFS
                            x: parent.width * meter.frac(0)
                            width: 1
                            height: parent.height
                            color: "#5c606b"
                        }
                    }
                    Text {
                        Layout.preferredWidth: 40
                        horizontalAlignment: Text.AlignRight
                        text: root.dbText(parent.modelData.hold)
                        color: parent.modelData.hold >= 0 ? root.errorColor : root.textColor
                        font.pixelSize: 10
                        font.family: root.monoFamily
                    }
                }
            }

            RowLayout { // the dB scale under the bars, and the clip light
                Layout.fillWidth: true
                spacing: 6
                Item { implicitWidth: 7 } // under the L/R labels
                Item {
                    Layout.fillWidth: true
                    implicitHeight: 11
                    Repeater {
                        model: [-60, -40, -24, -12, -6, 0, 6]
                        delegate: Text {
                            required property int modelData
                            x: parent.width * meter.frac(modelData) - width / 2
                            text: modelData
                            color: "#5c606b"
                            font.pixelSize: 8
                        }
                    }
                }
                Rectangle {
                    id: clipLight
                    objectName: "clipIndicator"
                    Accessible.role: Accessible.Indicator
                    Accessible.name: root.status.clipping ? qsTr("Clipping") : qsTr("Not clipping")
                    Layout.preferredWidth: 40
                    implicitHeight: 13
                    radius: 3
                    color: root.status.clipping ? root.errorColor : "transparent"
                    border.color: root.status.clipping ? root.errorColor : root.lineColor
                    Text {
                        anchors.centerIn: parent
                        text: qsTr("CLIP")
                        color: root.status.clipping ? "#1e1f24" : "#5c606b"
                        font.pixelSize: 8
                        font.bold: true
                    }
                }
            }
        }

        // --- Scope --------------------------------------------------------------------------
        Rectangle {
            objectName: "scopeFrame"
            Layout.fillWidth: true
            Layout.fillHeight: true
            Layout.minimumHeight: 70
            implicitHeight: 96
            radius: 6
            color: "#17181c"
            border.color: root.lineColor
            clip: true

            Repeater { // grid: the zero line and half scale
                model: [0.25, 0.5, 0.75]
                delegate: Rectangle {
                    required property double modelData
                    y: parent.height * modelData
                    width: parent.width
                    height: 1
                    color: modelData === 0.5 ? "#33363f" : "#24262c"
                }
            }
            ScopeItem {
                objectName: "scope"
                Accessible.role: Accessible.Graphic
                Accessible.name: qsTr("Oscilloscope of the output")
                anchors.fill: parent
                anchors.margins: 2
                source: root.status
                leftColor: root.okColor
                rightColor: Qt.rgba(root.accentColor.r, root.accentColor.g, root.accentColor.b, 0.8)
            }
            Text {
                anchors { right: parent.right; top: parent.top; margins: 5 }
                text: "<font color='" + root.okColor + "'>L</font> <font color='" + root.accentColor + "'>R</font>"
                textFormat: Text.StyledText
                font.pixelSize: 9
                font.bold: true
            }
        }
    }
}
