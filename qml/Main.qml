import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Chronus.Editor

// The editor window: menus and a toolbar over the palette (left), the patch canvas (centre) and
// the status panel (right), and a status line. Every action goes to the `Editor` controller.
ApplicationWindow {
    id: window

    width: 1400
    height: 860
    minimumWidth: 900
    minimumHeight: 560
    visible: true
    color: Theme.windowBg
    title: Editor.files.documentName + (Editor.dirty ? "*" : "") + " — Chronus"

    property alias canvas: canvas

    // The controls' palette: dark, with the accent for highlights (Basic and Fusion follow it).
    palette.window: Theme.windowBg
    palette.windowText: Theme.text
    palette.base: "#1b1c21"
    palette.alternateBase: Theme.panel
    palette.text: Theme.text
    palette.button: Theme.panelRaised
    palette.buttonText: Theme.text
    palette.brightText: "#ffffff"
    palette.highlight: Theme.accent
    palette.highlightedText: "#1a1a1a"
    palette.light: "#3b3d46"
    palette.midlight: "#33353d"
    palette.mid: "#2a2b31"
    palette.dark: "#141518"
    palette.shadow: "#000000"
    palette.placeholderText: Theme.textFaint
    palette.toolTipBase: Theme.panelRaised
    palette.toolTipText: Theme.text
    palette.link: Theme.audio

    function formatSeconds(s) {
        const m = Math.floor(s / 60), r = Math.floor(s % 60)
        return m + ":" + (r < 10 ? "0" : "") + r
    }

    // --- Actions (menus, toolbar and shortcuts share them) ---
    Action {
        id: newAction
        text: qsTr("&New")
        shortcut: StandardKey.New
        onTriggered: Editor.newPatch()
    }
    Action {
        id: openAction
        text: qsTr("&Open…")
        shortcut: StandardKey.Open
        onTriggered: openDialog.openIn(window.documentFolder() || Editor.files.patchesFolder())
    }
    Action {
        id: openExampleAction
        text: qsTr("Open &example…")
        onTriggered: openDialog.openIn(openDialog.pathOf(Editor.files.examplesFolder()))
    }
    Action {
        id: saveAction
        text: qsTr("&Save")
        shortcut: StandardKey.Save
        onTriggered: Editor.files.filePath === "" ? saveAsAction.trigger() : Editor.files.save()
    }
    Action {
        id: saveAsAction
        text: qsTr("Save &as…")
        shortcut: "Ctrl+Shift+S"
        onTriggered: saveDialog.openIn(window.saveFolder(), window.documentFolder() !== "" ? Editor.files.documentName : "")
    }
    Action {
        id: quitAction
        text: qsTr("&Quit")
        shortcut: StandardKey.Quit
        onTriggered: window.close()
    }
    Action {
        id: undoAction
        text: Editor.undoText === "" ? qsTr("&Undo") : qsTr("&Undo %1").arg(Editor.undoText)
        enabled: Editor.canUndo
        shortcut: "Ctrl+Z"
        onTriggered: Editor.undo()
    }
    Action {
        id: redoAction
        text: Editor.redoText === "" ? qsTr("&Redo") : qsTr("&Redo %1").arg(Editor.redoText)
        enabled: Editor.canRedo
        shortcut: "Ctrl+Shift+Z"
        onTriggered: Editor.redo()
    }
    // An agent's (OSC client's) edits are its own undo steps: Ctrl+Z never takes them back, this does.
    Action {
        id: undoAgentAction
        text: qsTr("Undo &agent's last")
        enabled: Editor.canUndoAgent
        onTriggered: Editor.undoAgent()
    }
    Action {
        id: copyAction
        text: qsTr("&Copy")
        shortcut: StandardKey.Copy
        enabled: Editor.nodes.selectedCount > 0
        onTriggered: Editor.selection.copy()
    }
    Action {
        id: pasteAction
        text: qsTr("&Paste")
        shortcut: StandardKey.Paste
        onTriggered: {
            const p = canvas.mouseOrCenterInCanvas()
            Editor.selection.paste(p.x, p.y)
        }
    }
    Action {
        id: duplicateAction
        text: qsTr("&Duplicate")
        shortcut: "Ctrl+D"
        enabled: Editor.nodes.selectedCount > 0
        onTriggered: Editor.selection.duplicate()
    }
    Action {
        id: deleteAction
        text: qsTr("De&lete")
        shortcut: StandardKey.Delete
        onTriggered: canvas.deleteSelection()
    }
    Action {
        id: selectAllAction
        text: qsTr("Select &all")
        shortcut: StandardKey.SelectAll
        onTriggered: Editor.selection.selectAll()
    }
    Action {
        id: commitAction
        text: Editor.pendingChanges > 0 ? qsTr("Commit (%1)").arg(Editor.pendingChanges) : qsTr("Commit")
        shortcut: "Ctrl+Return"
        enabled: !Editor.busy
        onTriggered: Editor.commit()
    }
    Action {
        id: abortAction
        text: qsTr("Abort")
        enabled: !Editor.busy && Editor.pendingChanges > 0
        onTriggered: Editor.abort()
    }
    Action {
        id: primeAction
        text: qsTr("Prime")
        enabled: !Editor.busy
        onTriggered: Editor.prime()
    }
    Action {
        id: undoCommitAction
        text: qsTr("Undo commit")
        enabled: !Editor.busy && Editor.canUndoCommit
        onTriggered: Editor.undoCommit()
    }
    Action {
        id: autoCommitAction
        text: qsTr("Auto-commit")
        checkable: true
        checked: Editor.autoCommit
        onTriggered: Editor.autoCommit = checked
    }
    Action {
        id: recordAction
        text: Editor.recording.active ? qsTr("Stop recording") : qsTr("Record")
        shortcut: "Ctrl+R"
        onTriggered: Editor.recording.toggle()
    }
    Action {
        id: fitAction
        text: qsTr("&Fit to view")
        onTriggered: canvas.fitToView()
    }
    Action {
        id: arrangeAction
        text: qsTr("A&rrange modules")
        shortcut: "Ctrl+L"
        onTriggered: canvas.arrange()
    }
    Action {
        id: zoomInAction
        text: qsTr("Zoom &in")
        shortcut: StandardKey.ZoomIn
        onTriggered: canvas.zoomBy(1.2)
    }
    Action {
        id: zoomOutAction
        text: qsTr("Zoom &out")
        shortcut: StandardKey.ZoomOut
        onTriggered: canvas.zoomBy(1 / 1.2)
    }
    Action {
        id: zoomResetAction
        text: qsTr("&Actual size")
        shortcut: "Ctrl+0"
        onTriggered: canvas.resetZoom()
    }
    Action {
        id: aboutAction
        text: qsTr("&About Chronus")
        onTriggered: aboutDialog.open()
    }
    // Second keys for the same actions.
    Shortcut { sequences: ["Ctrl+Enter"]; onActivated: commitAction.trigger() }
    Shortcut { sequences: ["Ctrl+Y"]; onActivated: redoAction.trigger() }
    Shortcut { sequences: ["Backspace"]; onActivated: canvas.deleteSelection() }
    Shortcut { sequences: ["Ctrl+K"]; onActivated: canvas.openQuickAdd() }
    Shortcut { sequences: [StandardKey.Find]; onActivated: palettePanel.searchField.forceActiveFocus() }

    Component {
        id: recentItem
        // An Action, not a MenuItem: menus are popups, not items, so an item made for one warns.
        Action {
            property string path
            property bool brief: false
            text: brief ? path.substring(path.lastIndexOf("/") + 1)
                        : path.substring(path.lastIndexOf("/") + 1) + "  —  " + path
            onTriggered: Editor.files.open(path)
        }
    }
    Connections {
        target: Editor.files
        function onRecentFilesChanged() { recentMenu.rebuild() }
    }

    menuBar: MenuBar {
        Menu {
            title: qsTr("&File")
            ShortcutMenuItem { action: newAction }
            ShortcutMenuItem { action: openAction }
            ShortcutMenuItem { action: openExampleAction }
            Menu {
                id: examplesMenu
                title: qsTr("E&xamples")
                Component.onCompleted: {
                    for (const path of Editor.files.examples())
                        addAction(recentItem.createObject(examplesMenu, { path: path, brief: true }))
                }
            }
            Menu {
                id: recentMenu
                title: qsTr("Open &recent")
                enabled: Editor.files.recentFiles.length > 0
                // Rebuilt from Editor.files.recentFiles (QtQml.Models' Instantiator is not in the deps).
                function rebuild() {
                    while (count > 0)
                        takeAction(0).destroy()
                    for (const path of Editor.files.recentFiles)
                        addAction(recentItem.createObject(recentMenu, { path: path }))
                }
                Component.onCompleted: rebuild()
            }
            MenuSeparator {}
            ShortcutMenuItem { action: saveAction }
            ShortcutMenuItem { action: saveAsAction }
            MenuSeparator {}
            ShortcutMenuItem { action: quitAction }
        }
        Menu {
            title: qsTr("&Edit")
            ShortcutMenuItem { action: undoAction }
            ShortcutMenuItem { action: redoAction }
            ShortcutMenuItem { action: undoAgentAction }
            MenuSeparator {}
            ShortcutMenuItem { action: copyAction }
            ShortcutMenuItem { action: pasteAction }
            ShortcutMenuItem { action: duplicateAction }
            ShortcutMenuItem { action: deleteAction }
            MenuSeparator {}
            ShortcutMenuItem { action: selectAllAction }
            ShortcutMenuItem { text: qsTr("Add module…"); shortcutHint: "Tab"; onTriggered: canvas.openQuickAdd() }
        }
        Menu {
            title: qsTr("&View")
            ShortcutMenuItem { action: fitAction; shortcutHint: "F" }
            ShortcutMenuItem { action: arrangeAction }
            ShortcutMenuItem { action: zoomInAction }
            ShortcutMenuItem { action: zoomOutAction }
            ShortcutMenuItem { action: zoomResetAction }
        }
        Menu {
            title: qsTr("&Engine")
            ShortcutMenuItem { action: commitAction }
            ShortcutMenuItem { action: abortAction }
            ShortcutMenuItem { action: primeAction }
            ShortcutMenuItem { action: undoCommitAction }
            MenuSeparator {}
            ShortcutMenuItem { action: autoCommitAction }
            ShortcutMenuItem { action: recordAction }
            MenuSeparator {}
            MenuItem {
                text: qsTr("Audio &settings…")
                onTriggered: audioSettingsDialog.open()
            }
        }
        Menu {
            title: qsTr("&Help")
            ShortcutMenuItem { action: aboutAction }
        }
    }

    header: ToolBar {
        id: toolbar
        background: Rectangle {
            color: Theme.panel
            Rectangle { anchors.bottom: parent.bottom; width: parent.width; height: 1; color: Theme.border }
        }
        RowLayout {
            anchors.fill: parent
            anchors.leftMargin: 8
            anchors.rightMargin: 8
            spacing: 4

            BarButton { action: newAction; tip: qsTr("New patch (Ctrl+N)") }
            BarButton { action: openAction; tip: qsTr("Open a patch file (Ctrl+O)") }
            BarButton { action: saveAction; tip: qsTr("Save (Ctrl+S)") }
            BarSeparator {}
            BarButton {
                objectName: "undoButton"
                action: undoAction
                text: "↶"
                font.pixelSize: 17
                tip: undoAction.text.replace("&", "") + " (Ctrl+Z)"
                ToolTip.text: tip + "\n" + Editor.undoHistoryText
            }
            BarButton {
                objectName: "redoButton"
                action: redoAction
                text: "↷"
                font.pixelSize: 17
                tip: redoAction.text.replace("&", "") + " (Ctrl+Shift+Z)"
            }
            BarSeparator {}
            Button {
                id: commitButton
                objectName: "commitButton"
                action: commitAction
                highlighted: Editor.pendingChanges > 0
                Accessible.name: text
                ToolTip.visible: hovered
                ToolTip.delay: 500
                ToolTip.text: qsTr("Send the pending edits to the audio: crossfade to the standby slot (Ctrl+Return)")
                contentItem: Text {
                    text: commitButton.text
                    font.bold: true
                    font.pixelSize: 13
                    color: commitButton.highlighted ? "#1a1a1a" : Theme.text
                    opacity: commitButton.enabled ? 1 : 0.5
                    horizontalAlignment: Text.AlignHCenter
                    verticalAlignment: Text.AlignVCenter
                }
                background: Rectangle {
                    implicitWidth: 110
                    implicitHeight: 30
                    radius: 5
                    color: commitButton.highlighted ? (commitButton.down ? "#e07430" : Theme.accent)
                                                    : (commitButton.hovered ? Theme.border : Theme.panelRaised)
                    border.color: commitButton.highlighted ? "#ffb07a" : Theme.border
                }
            }
            BarButton { objectName: "abortButton"; action: abortAction; tip: qsTr("Drop the pending edits: the standby goes back to the committed patch") }
            BarButton { objectName: "primeButton"; action: primeAction; tip: qsTr("Build and warm up the pending patch on the standby slot now, so Commit is instant") }
            BarButton { objectName: "undoCommitButton"; action: undoCommitAction; tip: qsTr("Bring back the patch before the last commit (with the same crossfade)") }
            Switch {
                objectName: "autoCommitSwitch"
                text: qsTr("Auto")
                checked: Editor.autoCommit
                onToggled: Editor.autoCommit = checked
                font.pixelSize: 12
                Accessible.name: qsTr("Auto-commit")
                ToolTip.visible: hovered
                ToolTip.delay: 500
                ToolTip.text: qsTr("Auto-commit: commit shortly after each structural edit")
            }
            BarSeparator {}
            Button {
                id: recordButton
                objectName: "recordButton"
                action: recordAction
                Accessible.name: text
                ToolTip.visible: hovered
                ToolTip.delay: 500
                ToolTip.text: Editor.recording.active ? qsTr("Recording to %1").arg(Editor.recording.path)
                                               : qsTr("Record the output to a WAV file (Ctrl+R)")
                contentItem: Row {
                    spacing: 6
                    Rectangle {
                        anchors.verticalCenter: parent.verticalCenter
                        width: 10; height: 10
                        radius: Editor.recording.active ? 2 : 5
                        color: Theme.error
                        SequentialAnimation on opacity {
                            running: Editor.recording.active
                            loops: Animation.Infinite
                            NumberAnimation { to: 0.3; duration: 600 }
                            NumberAnimation { to: 1.0; duration: 600 }
                        }
                    }
                    Text {
                        anchors.verticalCenter: parent.verticalCenter
                        text: Editor.recording.active ? window.formatSeconds(Editor.recording.seconds) : qsTr("Rec")
                        color: Editor.recording.active ? Theme.error : Theme.text
                        font.pixelSize: 12
                    }
                }
                background: Rectangle {
                    implicitWidth: 70
                    implicitHeight: 30
                    radius: 5
                    color: recordButton.hovered ? Theme.border : Theme.panelRaised
                    border.color: Editor.recording.active ? Theme.error : Theme.border
                }
            }
            Item { Layout.fillWidth: true }
            BusyIndicator {
                running: Editor.busy
                visible: Editor.busy
                implicitWidth: 26
                implicitHeight: 26
            }
            BarButton { action: fitAction; text: qsTr("Fit"); tip: qsTr("Fit the patch in view (F)") }
            BarButton { action: aboutAction; text: "?"; tip: qsTr("About Chronus") }
        }
    }

    SplitView {
        id: split
        anchors.fill: parent
        orientation: Qt.Horizontal
        handle: Rectangle {
            implicitWidth: 3
            color: SplitHandle.pressed ? Theme.accent : SplitHandle.hovered ? Theme.border : Theme.windowBg
        }

        PalettePanel {
            id: palettePanel
            canvas: canvas
            dragProxy: dragProxy
            SplitView.preferredWidth: 230
            SplitView.minimumWidth: 160
        }
        NodeCanvas {
            id: canvas
            SplitView.fillWidth: true
            SplitView.minimumWidth: 300
            focus: true
        }
        // The live status of the engine; the QML tests run without a status model.
        Loader {
            objectName: "statusPanelLoader"
            SplitView.preferredWidth: 300
            SplitView.minimumWidth: 220
            active: Editor.status !== null
            sourceComponent: StatusPanel {
                objectName: "statusPanel"
                status: Editor.status
            }
        }
    }

    footer: Rectangle {
        implicitHeight: 26
        color: Theme.panel
        Rectangle { width: parent.width; height: 1; color: Theme.border }
        RowLayout {
            anchors.fill: parent
            anchors.leftMargin: 10
            anchors.rightMargin: 10
            spacing: 16
            Text {
                objectName: "messageLine"
                Layout.fillWidth: true
                text: Editor.message
                color: Theme.text
                font.pixelSize: 12
                elide: Text.ElideRight
            }
            Text {
                text: Editor.pendingChanges > 0 ? qsTr("%1 pending").arg(Editor.pendingChanges) : qsTr("in sync")
                color: Editor.pendingChanges > 0 ? Theme.accent : Theme.textDim
                font.pixelSize: 12
            }
            Rectangle {
                objectName: "audioLine"
                implicitWidth: audioText.implicitWidth + 14
                implicitHeight: 20
                radius: 3
                color: Editor.audio.isNull ? "#4a3416" : "transparent"
                border.color: Editor.audio.isNull ? Theme.warning : "transparent"
                Text {
                    id: audioText
                    anchors.centerIn: parent
                    text: Editor.audio.isNull ? qsTr("no audio device — running on the null driver")
                                              : Editor.audio.description
                    color: Editor.audio.isNull ? Theme.warning : Theme.textDim
                    font.pixelSize: 12
                }
                ToolTip.visible: audioHover.hovered && Editor.audio.description !== ""
                ToolTip.text: Editor.audio.description
                HoverHandler { id: audioHover }
            }
            Text {
                visible: Editor.audio.oscDescription !== ""
                text: Editor.audio.oscDescription
                color: Theme.textDim
                font.pixelSize: 12
            }
        }
    }

    // Follows the mouse while a module is dragged from the palette.
    DragProxy {
        id: dragProxy
        parent: window.contentItem
        z: 1000
    }

    // The folder of the open file ("" for a new patch).
    function documentFolder() {
        return Editor.files.filePath !== "" ? Editor.files.filePath.substring(0, Editor.files.filePath.lastIndexOf("/")) : ""
    }
    // Save As starts beside the open file, unless that is an example (read-only when installed):
    // then, and for a new patch, in the patches folder.
    function saveFolder() {
        const folder = documentFolder()
        return folder === "" || folder === openDialog.pathOf(Editor.files.examplesFolder()) ? Editor.files.patchesFolder() : folder
    }

    // The patch-file dialogs (for the QML tests too: popups are not in the item tree until opened).
    readonly property alias openDialog: openDialog
    readonly property alias saveDialog: saveDialog
    PatchFileDialog {
        id: openDialog
        title: qsTr("Open patch")
        anchors.centerIn: parent
        onChosen: file => Editor.files.open(file)
    }
    PatchFileDialog {
        id: saveDialog
        title: qsTr("Save patch as")
        saving: true
        anchors.centerIn: parent
        onChosen: file => Editor.files.saveAs(file)
    }

    Dialog {
        id: aboutDialog
        objectName: "aboutDialog"
        title: qsTr("About Chronus")
        anchors.centerIn: parent
        modal: true
        standardButtons: Dialog.Close
        width: 420
        Column {
            width: parent.width
            spacing: 8
            Label {
                text: "Chronus " + Qt.application.version
                font.pixelSize: 20
                font.bold: true
                color: Theme.accent
            }
            Label {
                width: parent.width
                wrapMode: Text.Wrap
                text: qsTr("A modular synthesizer with a dual-slot engine: edits go to the standby slot and "
                           + "Commit crossfades to it, so the music never stops while you patch.")
            }
            Label {
                width: parent.width
                wrapMode: Text.Wrap
                color: Theme.textDim
                text: qsTr("Tab adds a module by name · drag from an output to an input to patch · "
                           + "Ctrl+Return commits · F fits the patch in view")
            }
        }
    }

    // For the QML tests (popups are not in the item tree until opened).
    readonly property alias audioSettingsDialogForTests: audioSettingsDialog
    AudioSettingsDialog {
        id: audioSettingsDialog
        anchors.centerIn: parent
    }

    Dialog {
        id: restoreDialog
        objectName: "restoreDialog"
        title: qsTr("Restore unsaved work?")
        anchors.centerIn: parent
        modal: true
        closePolicy: Popup.NoAutoClose
        width: 460
        Label {
            width: parent.width
            wrapMode: Text.Wrap
            text: qsTr("Chronus did not close cleanly last time. The autosaved patch, with its pending edits, "
                       + "can be restored.")
        }
        footer: DialogButtonBox {
            Button {
                text: qsTr("Restore")
                DialogButtonBox.buttonRole: DialogButtonBox.AcceptRole
                Accessible.name: text
            }
            Button {
                text: qsTr("Discard")
                DialogButtonBox.buttonRole: DialogButtonBox.DestructiveRole
                Accessible.name: text
                onClicked: { Editor.discardAutosave(); restoreDialog.close() }
            }
        }
        onAccepted: Editor.restoreAutosave()
    }

    Component.onCompleted: {
        canvas.forceActiveFocus()
        if (Editor.hasAutosave)
            restoreDialog.open()
    }
}
