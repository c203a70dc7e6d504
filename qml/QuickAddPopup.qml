import QtQuick
import QtQuick.Controls
import Chronus.Editor

// The quick-add box: type part of a module's name, Return adds the highlighted match where the
// box was opened. It borrows the palette's filter and gives it back on close.
Popup {
    id: popup

    required property Item canvas  // the NodeCanvas (typed as Item: the types refer to each other)
    property point target          // canvas coordinates of the new node
    property string savedFilter: ""

    function openAt(vx, vy, canvasTarget) {
        target = canvasTarget
        x = Math.max(4, Math.min(canvas.width - width - 4, vx))
        y = Math.max(4, Math.min(canvas.height - height - 4, vy))
        open()
    }

    objectName: "quickAdd"
    width: 280
    height: 300
    padding: 6
    modal: false
    focus: true
    closePolicy: Popup.CloseOnEscape | Popup.CloseOnPressOutside

    background: Rectangle {
        color: Theme.panelRaised
        border.color: Theme.accent
        radius: 6
    }

    onOpened: {
        savedFilter = Editor.palette.filter
        Editor.palette.filter = ""
        field.text = ""
        list.currentIndex = 0
        field.forceActiveFocus()
    }
    onClosed: {
        Editor.palette.filter = savedFilter
        canvas.forceActiveFocus()
    }

    function accept() {
        const type = Editor.palette.typeAt(Math.max(0, list.currentIndex))
        if (type === "")
            return
        close()
        canvas.addAt(type, target.x, target.y)
    }

    contentItem: Column {
        spacing: 4
        TextField {
            id: field
            objectName: "quickAddField"
            width: parent.width
            placeholderText: "Add module…"
            selectByMouse: true
            Accessible.name: "Quick add module"
            onTextEdited: {
                Editor.palette.filter = text
                list.currentIndex = 0
            }
            Keys.onReturnPressed: popup.accept()
            Keys.onEnterPressed: popup.accept()
            Keys.onDownPressed: list.incrementCurrentIndex()
            Keys.onUpPressed: list.decrementCurrentIndex()
            Keys.onTabPressed: list.incrementCurrentIndex()
        }
        ListView {
            id: list
            width: parent.width
            height: parent.height - field.height - 4
            clip: true
            model: popup.opened ? Editor.palette : null
            currentIndex: 0
            highlightMoveDuration: 0
            boundsBehavior: Flickable.StopAtBounds
            highlight: Rectangle { color: Theme.accentDim; radius: 4 }
            delegate: Item {
                required property int index
                required property string typeId
                required property string name
                required property string category
                width: ListView.view.width
                height: 26
                Text {
                    anchors.left: parent.left
                    anchors.leftMargin: 8
                    anchors.verticalCenter: parent.verticalCenter
                    text: parent.name
                    color: Theme.text
                    font.pixelSize: 12
                }
                Text {
                    anchors.right: parent.right
                    anchors.rightMargin: 8
                    anchors.verticalCenter: parent.verticalCenter
                    text: parent.category
                    color: Theme.textDim
                    font.pixelSize: 10
                }
                MouseArea {
                    anchors.fill: parent
                    onClicked: { list.currentIndex = parent.index; popup.accept() }
                }
            }
        }
    }
}
