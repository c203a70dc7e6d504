import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Chronus.Editor

// Audio settings: backend, device, sample rate and block size, kept for the next start (the engine
// keeps its rate while it runs; the command line's --audio, --device, --rate and --block win); and
// the MIDI input, which changes when saved (and is kept for the next start too).
Dialog {
    id: dialog
    objectName: "audioSettingsDialog"
    title: qsTr("Audio settings")
    modal: true
    standardButtons: Dialog.Save | Dialog.Cancel
    width: 460

    readonly property var rates: [22050, 44100, 48000, 88200, 96000, 192000]
    readonly property var blocks: [16, 32, 64, 128, 256, 512, 1024]

    function load() {
        const s = Editor.audio.settings
        backend.currentIndex = Math.max(0, backend.model.indexOf(s.backend))
        refreshDevices(s.device)
        const sources = Editor.audio.midiSources()
        const current = Editor.audio.midiIn
        midiIn.model = sources.indexOf(current) >= 0 ? sources : sources.concat([current])
        midiIn.currentIndex = Math.max(0, midiIn.model.indexOf(current))
        midiStatus.text = Editor.audio.midiStatus()
        rate.currentIndex = Math.max(0, rates.indexOf(Number(s.sampleRate)))
        block.currentIndex = Math.max(0, blocks.indexOf(Number(s.blockSize)))
    }
    function refreshDevices(selected) {
        const names = Editor.audio.devices(backend.currentText)
        device.model = names.length > 0 ? names : [""]
        device.currentIndex = Math.max(0, device.model.indexOf(selected))
    }
    onAboutToShow: load()
    onAccepted: {
        if (midiIn.currentText !== Editor.audio.midiIn)
            Editor.audio.setMidiIn(midiIn.currentText)
        Editor.audio.save(backend.currentText, device.currentText, rates[rate.currentIndex], blocks[block.currentIndex])
    }

    GridLayout {
        width: parent.width
        columns: 2
        columnSpacing: 12
        rowSpacing: 8

        Label { text: qsTr("Now") }
        Label {
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            color: Editor.audio.isNull ? Theme.changed : Theme.textDim
            text: Editor.audio.description
        }
        Label { text: qsTr("Backend") }
        ComboBox {
            id: backend
            objectName: "audioBackend"
            Layout.fillWidth: true
            model: Editor.audio.backends()
            Accessible.name: qsTr("Audio backend")
            onActivated: dialog.refreshDevices("")
            ToolTip.visible: hovered
            ToolTip.text: qsTr("auto: JACK if a server runs, else PulseAudio, else ALSA, else the null driver")
        }
        Label { text: qsTr("Device") }
        ComboBox {
            id: device
            objectName: "audioDevice"
            Layout.fillWidth: true
            displayText: currentText === "" ? qsTr("(default output)") : currentText
            delegate: ItemDelegate {
                required property string modelData
                width: device.width
                text: modelData === "" ? qsTr("(default output)") : modelData
            }
            Accessible.name: qsTr("Output device")
        }
        Label { text: qsTr("Sample rate") }
        ComboBox {
            id: rate
            objectName: "audioRate"
            Layout.fillWidth: true
            model: dialog.rates.map(r => r + " Hz")
            Accessible.name: qsTr("Sample rate")
        }
        Label { text: qsTr("Block size") }
        ComboBox {
            id: block
            objectName: "audioBlock"
            Layout.fillWidth: true
            model: dialog.blocks.map(b => b + " frames")
            Accessible.name: qsTr("Block size")
        }
        Label {
            Layout.columnSpan: 2
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            color: Theme.textDim
            text: qsTr("Saved for the next start of Chronus. JACK imposes its own rate and block size.")
        }
        Label { text: qsTr("MIDI input") }
        ComboBox {
            id: midiIn
            objectName: "midiIn"
            Layout.fillWidth: true
            displayText: currentText === "none" ? qsTr("(none)")
                       : currentText === "auto" ? qsTr("auto (the first hardware source)") : currentText
            delegate: ItemDelegate {
                required property string modelData
                width: midiIn.width
                text: modelData === "none" ? qsTr("(none)")
                    : modelData === "auto" ? qsTr("auto (the first hardware source)") : modelData
            }
            Accessible.name: qsTr("MIDI input")
        }
        Label { text: "" }
        Label {
            id: midiStatus
            objectName: "midiStatus"
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            color: Theme.textDim
            font.pixelSize: 11
        }
    }
}
