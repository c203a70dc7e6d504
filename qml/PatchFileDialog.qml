import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Chronus.Editor

// Open or Save As for patch files: a folder list and a name field. The editor's own dialog, the
// same on every machine (see FolderModel.hpp for why not QtQuick.Dialogs' FileDialog).
//
// Mouse: click a file to take its name, double-click a folder to enter it (or a file to choose
// it), then the Save / Open button. Keyboard: type a name, a path relative to the folder, an
// absolute path or ~/…, then Return; Down moves into the list, Return there enters a folder or
// chooses a file, Backspace in the list goes up a folder, Escape cancels. A typed folder is
// entered rather than chosen. Saving over an existing file asks once more.
Dialog {
    id: dialog

    // Save As (a new name may be typed) or Open (an existing file must be chosen).
    property bool saving: false
    property alias folder: folderModel.folder
    // Each start: the folder the dialog shows when it opens.
    property string startFolder: ""
    // The file chosen; `chosen` carries it as a URL for the controller.
    property string selectedPath: ""
    signal chosen(url file)

    property string problem: ""
    property string replacePath: "" // the existing file a second accept replaces

    objectName: saving ? "saveDialog" : "openDialog"
    modal: true
    focus: true
    width: Math.min(640, (parent ? parent.width : 640) - 60)
    height: Math.min(500, (parent ? parent.height : 500) - 60)
    padding: 10

    function openIn(folderPath, name) {
        problem = ""
        replacePath = ""
        selectedPath = ""
        folderModel.folder = folderPath
        folderModel.refresh()
        nameField.text = name || ""
        list.currentIndex = -1
        open()
    }

    // A file: URL as a path.
    function pathOf(url) {
        return folderModel.pathOf(url)
    }

    function enterFolder(path) {
        folderModel.folder = path
        list.currentIndex = -1
        problem = ""
        replacePath = ""
    }

    function goUp() {
        const up = folderModel.parentFolder(folderModel.folder)
        if (up === "")
            return
        const from = folderModel.fileName(folderModel.folder)
        enterFolder(up)
        list.currentIndex = folderModel.rowOf(from) // where we came from
    }

    // The list's entry: a folder is entered, a file chosen.
    function activate(row) {
        const entry = folderModel.get(row)
        if (entry.filePath === undefined)
            return
        if (entry.isDir) {
            enterFolder(entry.filePath)
            return
        }
        nameField.text = entry.fileName
        tryAccept()
    }

    // What the name field says: a folder to enter, or the file to save or open.
    function tryAccept() {
        const typed = nameField.text.trim()
        if (typed === "") {
            if (list.currentIndex >= 0 && folderModel.get(list.currentIndex).isDir)
                activate(list.currentIndex)
            else
                problem = saving ? qsTr("Type a name for the patch.") : qsTr("Choose a patch file.")
            return
        }
        let path = folderModel.resolve(typed)
        if (folderModel.isDir(path)) {
            enterFolder(path)
            nameField.text = ""
            return
        }
        if (saving) {
            path = folderModel.withSuffix(path, "json")
            if (!folderModel.isDir(folderModel.parentFolder(path))) {
                problem = qsTr("There is no folder %1.").arg(folderModel.parentFolder(path))
                return
            }
            if (folderModel.isFile(path) && replacePath !== path) {
                replacePath = path
                problem = qsTr("%1 already exists. Replace it?").arg(folderModel.fileName(path))
                return
            }
        } else if (!folderModel.isFile(path) && folderModel.isFile(folderModel.withSuffix(path, "json"))) {
            path = folderModel.withSuffix(path, "json")
        } else if (!folderModel.isFile(path)) {
            problem = qsTr("There is no file %1.").arg(path)
            return
        }
        selectedPath = path
        close()
        chosen(folderModel.urlOf(path))
    }

    onOpened: nameField.forceActiveFocus()

    FolderModel {
        id: folderModel
        nameFilters: ["*.json"]
    }

    contentItem: ColumnLayout {
        spacing: 8

        // Places and where we are.
        RowLayout {
            Layout.fillWidth: true
            spacing: 4
            Button {
                objectName: "fileDialogUp"
                text: "↑"
                enabled: folderModel.parentFolder(folderModel.folder) !== ""
                focusPolicy: Qt.TabFocus
                implicitWidth: 32
                Accessible.name: qsTr("Up one folder")
                ToolTip.visible: hovered
                ToolTip.delay: 500
                ToolTip.text: qsTr("Up one folder (Backspace in the list)")
                onClicked: dialog.goUp()
            }
            Button {
                objectName: "fileDialogPatches"
                text: qsTr("Patches")
                focusPolicy: Qt.TabFocus
                onClicked: dialog.enterFolder(Editor.files.patchesFolder())
            }
            Button {
                objectName: "fileDialogExamples"
                text: qsTr("Examples")
                focusPolicy: Qt.TabFocus
                onClicked: dialog.enterFolder(folderModel.pathOf(Editor.files.examplesFolder()))
            }
            Label {
                objectName: "fileDialogFolder"
                Layout.fillWidth: true
                Layout.leftMargin: 6
                text: folderModel.folder
                elide: Text.ElideMiddle
                color: Theme.textDim
                font.pixelSize: 12
            }
        }

        Frame {
            Layout.fillWidth: true
            Layout.fillHeight: true
            padding: 1

            ListView {
                id: list
                objectName: "fileDialogList"
                anchors.fill: parent
                clip: true
                model: folderModel
                currentIndex: -1
                activeFocusOnTab: true
                boundsBehavior: Flickable.StopAtBounds
                highlightMoveDuration: 0
                ScrollBar.vertical: ScrollBar {}
                Keys.onReturnPressed: dialog.activate(currentIndex)
                Keys.onEnterPressed: dialog.activate(currentIndex)
                Keys.onPressed: event => {
                    if (event.key === Qt.Key_Backspace) {
                        dialog.goUp()
                        event.accepted = true
                    } else if (event.key === Qt.Key_Up && currentIndex <= 0) {
                        nameField.forceActiveFocus()
                        event.accepted = true
                    }
                }
                onCurrentIndexChanged: {
                    const entry = folderModel.get(currentIndex)
                    if (activeFocus && entry.filePath !== undefined && !entry.isDir)
                        nameField.text = entry.fileName
                }

                delegate: ItemDelegate {
                    required property int index
                    required property string fileName
                    required property bool isDir
                    objectName: "fileDialogEntry-" + fileName
                    width: ListView.view.width
                    height: 26
                    highlighted: ListView.isCurrentItem
                    focusPolicy: Qt.NoFocus
                    text: isDir ? fileName + "/" : fileName
                    font.pixelSize: 13
                    font.bold: isDir
                    onClicked: {
                        list.currentIndex = index
                        if (!isDir)
                            nameField.text = fileName
                    }
                    onDoubleClicked: dialog.activate(index)
                }

                Label {
                    anchors.centerIn: parent
                    visible: list.count === 0
                    text: folderModel.isDir(folderModel.folder) ? qsTr("No patches here") : qsTr("No such folder")
                    color: Theme.textFaint
                }
            }
        }

        RowLayout {
            Layout.fillWidth: true
            spacing: 8
            Label {
                text: qsTr("File name")
            }
            TextField {
                id: nameField
                objectName: "fileNameTextField"
                Layout.fillWidth: true
                selectByMouse: true
                placeholderText: dialog.saving ? qsTr("name, or a path (.json is added)") : qsTr("name or path")
                Accessible.name: qsTr("File name")
                onTextEdited: {
                    dialog.problem = ""
                    dialog.replacePath = ""
                }
                onAccepted: dialog.tryAccept()
                Keys.onDownPressed: {
                    if (list.count > 0) {
                        list.forceActiveFocus()
                        if (list.currentIndex < 0)
                            list.currentIndex = 0
                    }
                }
            }
        }

        Label {
            objectName: "fileDialogProblem"
            Layout.fillWidth: true
            visible: text !== ""
            text: dialog.problem
            color: dialog.replacePath !== "" ? Theme.warning : Theme.error
            wrapMode: Text.Wrap
        }
    }

    // Not the dialog's own button box (that would close the dialog before the name is checked).
    footer: Item {
        implicitHeight: buttons.implicitHeight
        DialogButtonBox {
            id: buttons
            anchors.fill: parent
            Button {
                objectName: "fileDialogAccept"
                text: dialog.replacePath !== "" ? qsTr("Replace") : dialog.saving ? qsTr("Save") : qsTr("Open")
                DialogButtonBox.buttonRole: DialogButtonBox.AcceptRole
                Accessible.name: text
            }
            Button {
                objectName: "fileDialogCancel"
                text: qsTr("Cancel")
                DialogButtonBox.buttonRole: DialogButtonBox.RejectRole
                Accessible.name: text
            }
            onAccepted: dialog.tryAccept()
            onRejected: dialog.reject()
        }
    }
}
