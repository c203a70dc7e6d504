import QtQuick
import Chronus.Editor

// A thin divider between groups of toolbar buttons.
Rectangle {
    implicitWidth: 1
    implicitHeight: 22
    color: Theme.border
}
