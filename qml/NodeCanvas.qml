import QtQuick
import QtQuick.Controls
import QtQuick.Shapes
import Chronus.Editor

// The patch canvas: nodes and cables on an unbounded plane with pan and zoom.
//   Pan: middle or right drag, Space + left drag, arrow keys. Zoom: wheel (around the cursor),
//   + / - / 0, F fits the patch. Select: click, Shift/Ctrl+click adds, left drag on empty canvas
//   draws a rubber band. Cables: drag from an output to an input; drag a fed input to move or
//   drop its cable; click a cable to select it. Tab, Ctrl+K or / opens the quick-add box.
// Canvas coordinates are the controller's; `content` maps them to the view (x, y, scale).
FocusScope {
    id: root

    objectName: "canvas"
    clip: true
    activeFocusOnTab: true
    Accessible.role: Accessible.Pane
    Accessible.name: "Patch canvas"

    property alias content: content
    readonly property real zoom: content.scale
    readonly property real minZoom: 0.15
    readonly property real maxZoom: 2.5

    // --- The id -> node item map, for cables to find their ends ---
    property var nodeMap: ({})
    property int nodeMapVersion: 0
    function registerNode(id, item) {
        const old = nodeMap[id]
        // A ghost (removed, pending) never hides a live node of the same id.
        if (old && !old.ghost && item.ghost)
            return
        nodeMap[id] = item
        ++nodeMapVersion
    }
    function unregisterNode(id, item) {
        if (nodeMap[id] === item) {
            delete nodeMap[id]
            ++nodeMapVersion
        }
    }
    function nodeItem(id) { return nodeMap[id] ?? null }

    // --- Culling and level of detail ---
    // Items outside the view leave the scene graph (visible: false; they stay in the tree, so
    // lookups by objectName still find them): the software renderer walks every item in the graph
    // on every frame, so without this a pan would cost as much as the whole patch. The rect is the
    // view snapped outwards to cells of 96 view pixels, so it changes, and the items check
    // themselves against it, once per cell of panning rather than on every frame (smaller cells
    // keep fewer unseen cards in the graph, at a re-check every 24 frames of a 4-pixel pan).
    readonly property real cullCell: 96
    readonly property real cullLeft: Math.floor(-content.x / cullCell) * cullCell / zoom
    readonly property real cullTop: Math.floor(-content.y / cullCell) * cullCell / zoom
    readonly property real cullRight: Math.ceil((width - content.x) / cullCell) * cullCell / zoom
    readonly property real cullBottom: Math.ceil((height - content.y) / cullCell) * cullCell / zoom
    // The view itself, for cables: Qt Quick's software renderer (Qt 6.4) paints a Shape whose
    // bounds lie wholly outside the canvas's clip without any clip at all, over the panels beside
    // the canvas, so a cable is in the scene graph only while it crosses the view.
    readonly property real viewLeft: -content.x / zoom
    readonly property real viewTop: -content.y / zoom
    readonly property real viewRight: (width - content.x) / zoom
    readonly property real viewBottom: (height - content.y) / zoom
    // The controller puts an agent's unconnected modules where the person is looking.
    readonly property rect viewRect: Qt.rect(viewLeft, viewTop, viewRight - viewLeft, viewBottom - viewTop)
    onViewRectChanged: Editor.setViewRect(viewRect)
    // Zoomed out, text and controls are too small to read or use: cards draw a summary.
    readonly property bool detailed: zoom >= 0.45
    // Further out (a whole big patch in view) names and port dots are a few pixels of noise: cards
    // are plain blocks with their pending marks, and cost a fraction to draw.
    readonly property bool overview: zoom < 0.3
    // Qt Quick's software renderer (no GPU; e.g. offscreen): see the cable picture and the repaint
    // sheet below.
    readonly property bool softwareRendering: GraphicsInfo.api === GraphicsInfo.Software

    // --- View mapping ---
    function canvasPoint(vx, vy) { return Qt.point((vx - content.x) / zoom, (vy - content.y) / zoom) }
    function viewCenterInCanvas() { return canvasPoint(width / 2, height / 2) }
    // Where a new node goes for a keyboard action: under the mouse when it is over the root.
    function mouseOrCenterInCanvas() {
        if (hover.hovered)
            return canvasPoint(hover.point.position.x, hover.point.position.y)
        return viewCenterInCanvas()
    }
    function setZoom(z, vx, vy) {
        z = Math.max(minZoom, Math.min(maxZoom, z))
        const c = canvasPoint(vx, vy)
        content.scale = z
        content.x = vx - c.x * z
        content.y = vy - c.y * z
    }
    function zoomBy(factor) { setZoom(zoom * factor, width / 2, height / 2) }
    function resetZoom() { setZoom(1.0, width / 2, height / 2) }
    function panBy(dx, dy) { content.x += dx; content.y += dy }

    // A document opens fitted, and stays fitted while the window settles, until the user touches
    // the view (pans, zooms, adds or drags something). Modules an agent adds never move the view:
    // they are placed where the patch has room (the controller), and the person keeps their zoom.
    property bool autoFit: true
    readonly property bool fitPending: fitTimer.running
    function scheduleFit() {
        if (autoFit)
            fitTimer.restart()
    }
    Timer {
        id: fitTimer
        interval: 30
        onTriggered: root.fitToView()
    }
    onWidthChanged: scheduleFit()
    onHeightChanged: scheduleFit()
    // The whole patch in view, at most at 100 %.
    function fitToView() {
        let r = Editor.itemsBoundingRect()
        // The controller knows positions; the cards' sizes are the view's, so widen by them.
        let x0 = r.x, y0 = r.y, x1 = r.x + r.width, y1 = r.y + r.height
        let any = r.width > 0 || r.height > 0
        for (const id in nodeMap) {
            const n = nodeMap[id]
            x0 = any ? Math.min(x0, n.x) : n.x
            y0 = any ? Math.min(y0, n.y) : n.y
            x1 = any ? Math.max(x1, n.x + n.width) : n.x + n.width
            y1 = any ? Math.max(y1, n.y + n.height) : n.y + n.height
            any = true
        }
        if (!any || width <= 0 || height <= 0) {
            content.scale = 1.0
            content.x = width / 2
            content.y = height / 2
            return
        }
        const margin = 60
        const z = Math.max(minZoom, Math.min(1.0, Math.min((width - 2 * margin) / Math.max(1, x1 - x0),
                                                           (height - 2 * margin) / Math.max(1, y1 - y0))))
        content.scale = z
        content.x = width / 2 - (x0 + x1) / 2 * z
        content.y = height / 2 - (y0 + y1) / 2 * z
    }

    // Lays the patch out in columns by signal flow (the controller's arrange: one undo step), then
    // fits the view to it.
    function arrange() {
        Editor.arrange()
        autoFit = true
        scheduleFit()
    }

    function addAt(type, cx, cy) {
        autoFit = false
        // The drop point lands on the new card's header.
        const id = Editor.addModule(type, Math.round(cx - 24), Math.round(cy - 14))
        if (id !== "")
            forceActiveFocus()
        return id
    }
    function addAtCenter(type) {
        const c = viewCenterInCanvas()
        return addAt(type, c.x, c.y)
    }

    // --- Selection of a cable (its cableId in Editor.cables; -1: none), editor-only ---
    property int selectedCable: -1
    function cableAt(cx, cy) {
        const tolerance = 7 / zoom
        let best = null, bestDistance = tolerance
        for (let i = 0; i < cables.count; ++i) {
            const c = cables.itemAt(i)
            if (!c || !c.fromItem || !c.toItem || c.pending === "removed")
                continue
            if (cx < c.x - tolerance || cx > c.x + c.width + tolerance || cy < c.y - tolerance
                    || cy > c.y + c.height + tolerance)
                continue
            const d = c.distanceTo(cx, cy)
            if (d < bestDistance) {
                best = c
                bestDistance = d
            }
        }
        return best
    }
    function deleteSelection() {
        if (selectedCable >= 0) {
            const c = Editor.cables.get(Editor.cables.rowOfCable(selectedCable))
            selectedCable = -1
            if (c.fromId !== undefined)
                Editor.disconnectPorts(c.fromId, c.fromPort, c.toId, c.toPort)
            return
        }
        Editor.removeSelected()
    }

    // --- The cable being drawn ---
    property bool cableDragging: false
    property string dragFromId: ""
    property string dragFromPort: ""
    property string dragKind: ""
    property point dragEnd
    property int pickupCable: -1      // the cable picked up from its input (cableId), if any
    property string pickupToId: ""
    property string pickupToPort: ""
    property string dropNodeId: ""    // the input under the mouse
    property string dropPortId: ""
    property string dropProblem: ""   // "" = the controller would accept the cable

    function beginCable(nodeId, portId, kind, p) {
        selectedCable = -1
        pickupCable = -1
        dragFromId = nodeId
        dragFromPort = portId
        dragKind = kind
        dragEnd = p
        cableDragging = true
        clearDropTarget()
    }
    // A press on an input: picks up its cable if it has one.
    function beginPickup(nodeId, portId, p) {
        const id = Editor.cables.cableInto(nodeId, portId)
        if (id < 0)
            return
        const c = Editor.cables.get(Editor.cables.rowOfCable(id))
        beginCable(c.fromId, c.fromPort, c.kind, p)
        pickupToId = nodeId
        pickupToPort = portId
        pickupCable = id
        updateCableDrag(p)
    }
    function clearDropTarget() {
        dropNodeId = ""
        dropPortId = ""
        dropProblem = ""
    }
    function updateCableDrag(p) {
        if (!cableDragging)
            return
        dragEnd = p
        // The node under the point (the input dots hang past the left edge: look a bit right too).
        let n = nodes.childAt(p.x, p.y) ?? nodes.childAt(p.x + 10, p.y)
        const port = n && n.inputAt ? n.inputAt(p.x - n.x, p.y - n.y) : ""
        if (port === "") {
            clearDropTarget()
            return
        }
        if (n.nodeId === dropNodeId && port === dropPortId)
            return
        dropNodeId = n.nodeId
        dropPortId = port
        dropProblem = (pickupCable >= 0 && n.nodeId === pickupToId && port === pickupToPort)
                ? "" : Editor.connectionProblem(dragFromId, dragFromPort, n.nodeId, port)
    }
    function endCableDrag() {
        if (!cableDragging)
            return
        const from = dragFromId, fromPort = dragFromPort
        const toId = dropNodeId, toPort = dropPortId, problem = dropProblem
        const picked = pickupCable >= 0, oldTo = pickupToId, oldPort = pickupToPort
        cancelCableDrag()
        if (toId === "") {
            if (picked) // dragged off its input: the cable goes
                Editor.disconnectPorts(from, fromPort, oldTo, oldPort)
            return
        }
        if (picked && toId === oldTo && toPort === oldPort)
            return
        if (picked && problem === "")
            Editor.disconnectPorts(from, fromPort, oldTo, oldPort)
        // A refused cable says why through cableRefused (the toast); the picked one then stays.
        Editor.connectPorts(from, fromPort, toId, toPort)
    }
    function cancelCableDrag() {
        cableDragging = false
        pickupCable = -1
        pickupToId = ""
        pickupToPort = ""
        clearDropTarget()
    }

    // --- Drawing ---
    Rectangle {
        anchors.fill: parent
        color: Theme.canvasBg
    }
    GridBackground {
        objectName: "grid"
        anchors.fill: parent
        step: 20 * root.zoom // the controller snaps positions to 20
        originX: content.x
        originY: content.y
    }

    // Without a GPU the cables are one picture (CableLayerItem: Shapes cost a stroke each per
    // frame there); with one, each CableItem draws itself. Under the cards either way.
    CableLayerItem {
        id: cablePicture
        objectName: "cablePicture"
        anchors.fill: parent
        visible: root.softwareRendering
        nodes: Editor.nodes
        cables: Editor.cables
        originX: content.x
        originY: content.y
        zoom: root.zoom
        selectedCable: root.selectedCable
        pickupCable: root.pickupCable
        audioColor: Theme.audio
        cvColor: Theme.cv
        gateColor: Theme.gate
        otherColor: Theme.textDim
        labelBackground: Theme.canvasBg
    }

    // Empty canvas: press, drag, wheel.
    MouseArea {
        id: background
        anchors.fill: parent
        acceptedButtons: Qt.LeftButton | Qt.MiddleButton | Qt.RightButton
        preventStealing: true
        property point pressPoint
        property point lastPoint
        property bool panning: false
        property bool banding: false
        property bool additive: false

        onPressed: mouse => {
            root.forceActiveFocus()
            root.autoFit = false
            pressPoint = Qt.point(mouse.x, mouse.y)
            lastPoint = pressPoint
            panning = mouse.button !== Qt.LeftButton || root.spaceHeld
            banding = false
            additive = (mouse.modifiers & (Qt.ShiftModifier | Qt.ControlModifier)) !== 0
            cursorShape = panning ? Qt.ClosedHandCursor : Qt.ArrowCursor
        }
        onPositionChanged: mouse => {
            if (panning) {
                root.panBy(mouse.x - lastPoint.x, mouse.y - lastPoint.y)
                lastPoint = Qt.point(mouse.x, mouse.y)
                return
            }
            if (!banding && Math.abs(mouse.x - pressPoint.x) + Math.abs(mouse.y - pressPoint.y) > 4)
                banding = true
            if (banding) {
                band.x = Math.min(pressPoint.x, mouse.x)
                band.y = Math.min(pressPoint.y, mouse.y)
                band.width = Math.abs(mouse.x - pressPoint.x)
                band.height = Math.abs(mouse.y - pressPoint.y)
            }
        }
        onReleased: mouse => {
            cursorShape = Qt.ArrowCursor
            if (panning) {
                panning = false
                return
            }
            if (banding) {
                banding = false
                const a = root.canvasPoint(band.x, band.y)
                Editor.selection.selectInRect(a.x, a.y, band.width / root.zoom, band.height / root.zoom, additive)
                root.selectedCable = -1
                return
            }
            // A click: a cable under it, or nothing (clears the selection).
            const p = root.canvasPoint(mouse.x, mouse.y)
            const c = root.cableAt(p.x, p.y)
            if (c) {
                root.selectedCable = c.cableId
                if (!additive)
                    Editor.selection.clear()
            } else {
                root.selectedCable = -1
                if (!additive)
                    Editor.selection.clear()
            }
        }
        onWheel: wheel => {
            root.autoFit = false
            const notches = wheel.angleDelta.y / 120
            if (notches !== 0)
                root.setZoom(root.zoom * Math.pow(1.15, notches), wheel.x, wheel.y)
            else
                root.panBy(wheel.pixelDelta.x, wheel.pixelDelta.y)
        }
    }

    Item {
        id: content
        transformOrigin: Item.TopLeft
        // Cables under nodes; the cable being drawn over both.
        Item {
            id: cableLayer
            objectName: "cableLayer"
            Repeater {
                id: cables
                model: Editor.cables
                delegate: CableItem { canvas: root }
            }
        }
        Item {
            id: nodes
            objectName: "nodeLayer"
            Repeater {
                model: Editor.nodes
                delegate: NodeItem { canvas: root }
            }
        }
        // Software renderer only (no GPU): when the view pans or zooms, everything in it is
        // repainted anyway. This sheet moves with the content, over the cards and cables, so it is
        // the first thing the renderer finds dirty and the frame's dirty region starts as one
        // rectangle covering the view. Without it the region grows card by card into hundreds of
        // fragments, and the renderer's cost per item grows with them (a pan with the whole patch
        // in view took three times as long). Alpha 1/255: not visible, and almost free to fill.
        Rectangle {
            objectName: "repaintSheet"
            visible: root.softwareRendering
            x: root.cullLeft
            y: root.cullTop
            width: root.cullRight - root.cullLeft
            height: root.cullBottom - root.cullTop
            color: "#01000000"
        }
        Shape {
            id: liveCable
            visible: root.cableDragging
            z: 10
            readonly property NodeItem source: root.cableDragging ? root.nodeItem(root.dragFromId) : null
            readonly property real x0: {
                if (!source)
                    return 0
                return source.x + source.width
            }
            readonly property real y0: {
                if (!source)
                    return 0
                for (let i = 0; i < source.outputs.length; ++i)
                    if (source.outputs[i].id === root.dragFromPort)
                        return source.y + source.outputY(i)
                return source.y
            }
            readonly property real bend: Math.max(40, Math.abs(root.dragEnd.x - x0) * 0.5)
            // Covers the curve, which is drawn relative to it (as CableItem).
            x: Math.min(x0, root.dragEnd.x - bend) - 6
            y: Math.min(y0, root.dragEnd.y) - 6
            width: Math.max(x0 + bend, root.dragEnd.x) + 6 - x
            height: Math.max(y0, root.dragEnd.y) + 6 - y
            ShapePath {
                strokeColor: root.dropNodeId === "" ? Theme.kindColor(root.dragKind)
                           : root.dropProblem === "" ? Theme.ok : Theme.error
                strokeWidth: 2.5
                fillColor: "transparent"
                capStyle: ShapePath.RoundCap
                startX: liveCable.x0 - liveCable.x; startY: liveCable.y0 - liveCable.y
                PathCubic {
                    x: root.dragEnd.x - liveCable.x; y: root.dragEnd.y - liveCable.y
                    control1X: liveCable.x0 + liveCable.bend - liveCable.x; control1Y: liveCable.y0 - liveCable.y
                    control2X: root.dragEnd.x - liveCable.bend - liveCable.x; control2Y: root.dragEnd.y - liveCable.y
                }
            }
        }
    }

    // Why the cable under the mouse would be refused, next to the pointer.
    Rectangle {
        id: problemTip
        readonly property point at: Qt.point(content.x + root.dragEnd.x * root.zoom,
                                             content.y + root.dragEnd.y * root.zoom)
        visible: root.cableDragging && root.dropNodeId !== ""
        x: Math.min(root.width - width - 4, at.x + 16)
        y: Math.max(4, at.y - height - 10)
        width: problemText.implicitWidth + 16
        height: problemText.implicitHeight + 8
        radius: 4
        color: Theme.panelRaised
        border.color: root.dropProblem === "" ? Theme.ok : Theme.error
        Text {
            id: problemText
            anchors.centerIn: parent
            text: root.dropProblem === "" ? "connect to " + root.dropNodeId + "." + root.dropPortId
                                            : root.dropProblem
            color: root.dropProblem === "" ? Theme.ok : Theme.error
            font.pixelSize: 11
        }
    }

    Rectangle {
        id: band
        visible: background.banding
        color: Qt.rgba(1.0, 0.54, 0.24, 0.08)
        border.color: Theme.accent
        border.width: 1
    }

    // Modules dragged from the palette.
    DropArea {
        anchors.fill: parent
        keys: ["chronus/module"]
        onDropped: drop => {
            const p = root.canvasPoint(drop.x, drop.y)
            root.addAt(drop.source.typeId, p.x, p.y)
            drop.accept(Qt.CopyAction)
        }
    }

    // Space + left drag pans from anywhere, over nodes too.
    property bool spaceHeld: false
    MouseArea {
        anchors.fill: parent
        visible: root.spaceHeld
        cursorShape: pressed ? Qt.ClosedHandCursor : Qt.OpenHandCursor
        property point last
        onPressed: mouse => last = Qt.point(mouse.x, mouse.y)
        onPositionChanged: mouse => {
            root.panBy(mouse.x - last.x, mouse.y - last.y)
            last = Qt.point(mouse.x, mouse.y)
        }
    }

    HoverHandler { id: hover }

    // --- Overlays ---
    Text {
        anchors.centerIn: parent
        visible: Editor.nodes.count === 0
        text: "Drag a module here from the palette, or press Tab to add one by name"
        color: Theme.textFaint
        font.pixelSize: 15
    }

    Toast {
        id: toast
        objectName: "refusalToast"
        anchors.horizontalCenter: parent.horizontalCenter
        anchors.bottom: parent.bottom
        anchors.bottomMargin: 48
    }
    Connections {
        target: Editor
        function onCableRefused(reason) { toast.show("Cable refused: " + reason, Theme.error) }
        function onCommitFailed(reason) { toast.show("Commit failed: " + reason, Theme.error) }
        function onDocumentReplaced() {
            root.autoFit = true
            root.scheduleFit()
        }
    }

    ZoomControls {
        canvas: root
        anchors.right: parent.right
        anchors.bottom: parent.bottom
        anchors.margins: 10
    }

    QuickAddPopup {
        id: quickAdd
        canvas: root
    }
    function openQuickAdd() {
        const v = hover.hovered ? hover.point.position : Qt.point(width / 2, height / 2)
        quickAdd.openAt(v.x, v.y, canvasPoint(v.x, v.y))
    }

    Keys.onPressed: event => {
        autoFit = false
        const ctrl = (event.modifiers & Qt.ControlModifier) !== 0
        switch (event.key) {
        case Qt.Key_Space:
            if (!event.isAutoRepeat)
                spaceHeld = true
            break
        case Qt.Key_Tab:
        case Qt.Key_Slash:
            openQuickAdd()
            break
        case Qt.Key_K:
            if (!ctrl)
                return
            openQuickAdd()
            break
        case Qt.Key_Plus:
        case Qt.Key_Equal:
            zoomBy(1.2)
            break
        case Qt.Key_Minus:
            zoomBy(1 / 1.2)
            break
        case Qt.Key_0:
            resetZoom()
            break
        case Qt.Key_F:
            if (ctrl)
                return
            fitToView()
            break
        case Qt.Key_Left:  panBy(60, 0); break
        case Qt.Key_Right: panBy(-60, 0); break
        case Qt.Key_Up:    panBy(0, 60); break
        case Qt.Key_Down:  panBy(0, -60); break
        case Qt.Key_Escape:
            if (cableDragging)
                cancelCableDrag()
            else if (selectedCable >= 0)
                selectedCable = -1
            else
                Editor.selection.clear()
            break
        default:
            return
        }
        event.accepted = true
    }
    Keys.onReleased: event => {
        if (event.key === Qt.Key_Space && !event.isAutoRepeat) {
            spaceHeld = false
            event.accepted = true
        }
    }

    Component.onCompleted: scheduleFit()
}
