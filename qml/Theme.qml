pragma Singleton
import QtQuick
import Chronus.Editor

// The editor's palette and sizes, in one place so every panel agrees. Dark, low-contrast chrome so
// the signal colours (audio blue, CV amber, gate green) and the accent stand out.
QtObject {
    readonly property color windowBg: "#16171b"
    readonly property color canvasBg: "#1e1f24"
    readonly property color panel: "#25262c"
    readonly property color panelRaised: "#2d2e35"
    readonly property color border: "#383a42"
    readonly property color gridMinor: "#24252b"
    readonly property color gridMajor: "#2c2d34"
    readonly property color text: "#d8dae0"
    readonly property color textDim: "#8c8f99"
    readonly property color textFaint: "#5d606a"
    readonly property color accent: "#ff8a3d"
    readonly property color accentDim: "#7a4a2a"
    readonly property color audio: "#4fc3f7"
    readonly property color cv: "#ffb74d"
    readonly property color gate: "#81c784"
    readonly property color added: "#66bb6a"
    readonly property color changed: "#ffb74d"
    readonly property color removed: "#ef5350"
    readonly property color ok: "#66bb6a"
    readonly property color error: "#ef5350"
    readonly property color warning: "#ffca28"
    readonly property color midi: "#ce93d8" // a knob a MIDI controller moves

    // A card's measures where cables meet it: CardGeometry (C++), shared with the cable picture
    // and the controller.
    readonly property int nodeWidth: CardGeometry.nodeWidth
    readonly property int headerHeight: CardGeometry.headerHeight
    readonly property int portsTop: CardGeometry.portsTop // a card's first port row, from its top
    readonly property int portRow: CardGeometry.portRow
    readonly property int paramRow: 22
    readonly property int textRow: 28
    readonly property int cardRadius: 7
    readonly property string monoFont: "DejaVu Sans Mono"
    readonly property int portFontSize: 11
    // Measures port names, so a card gives a long name the room its neighbour does not use.
    readonly property FontMetrics portMetrics: FontMetrics {
        font.pixelSize: portFontSize
    }

    // The colour with alpha 252/255: looks the same, but the software renderer does not take the
    // item out of what is under it. Many small opaque items (one or two per card) cut everything
    // below them into thousands of clip rectangles, which costs far more than the overdraw saves.
    function notOpaque(c) {
        return Qt.rgba(c.r, c.g, c.b, 0.99)
    }

    function kindColor(kind) {
        return kind === "audio" ? audio : kind === "cv" ? cv : kind === "gate" ? gate : textDim
    }
    function markColor(mark) {
        return mark === "added" ? added : mark === "changed" ? changed : mark === "removed" ? removed : border
    }
}
