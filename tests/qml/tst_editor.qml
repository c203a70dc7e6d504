import QtQuick
import QtQuick.Controls
import QtTest
import Chronus.Editor
import Chronus.EditorTest

// The editor window with real mouse and key events on real items, against a real engine
// (tst_editor_quick.cpp): palette drag adds a node, a port drag draws a cable the engine's standby
// receives, Commit swaps the slots, a refused cable says why, Del and Ctrl+Z.
TestCase {
    id: testCase
    name: "EditorQuick"
    when: windowShown
    width: 200
    height: 100

    Component {
        id: mainComponent
        Main {}
    }

    property Main win: null
    property NodeCanvas canvas: null

    function init() {
        failOnWarning(/.?/) // any QML warning fails the test
        // Each test starts from an empty patch, committed (no ghosts of an earlier test's modules).
        Editor.newPatch()
        Editor.palette.filter = ""
        if (Editor.pendingChanges > 0) {
            Editor.commit()
            tryCompare(Editor, "busy", false, 10000)
        }
        compare(Editor.pendingChanges, 0)
        win = createTemporaryObject(mainComponent, testCase)
        verify(win)
        win.requestActivate()
        tryVerify(() => win.active, 5000, "the editor window gets the focus")
        canvas = findChild(win.contentItem, "canvas")
        verify(canvas)
        waitForRendering(win.contentItem)
    }

    // The node item of `id` once its delegate exists.
    function nodeItem(id) {
        let item = null
        tryVerify(() => (item = findChild(canvas, "node-" + id)) !== null, 3000, "node item " + id)
        return item
    }
    function port(id, dir, portId) {
        let item = null
        tryVerify(() => (item = findChild(canvas, "port-" + id + "-" + dir + "-" + portId)) !== null, 3000,
                  "port " + id + "." + portId)
        return item
    }
    function nodeIds() {
        const ids = []
        for (let i = 0; i < Editor.nodes.count; ++i)
            ids.push(Editor.nodes.get(i).nodeId)
        return ids
    }
    // Press on `from` (an output), move in steps onto `to` (an input), release there.
    function dragCable(from, to) {
        const start = from.mapToItem(canvas, from.width, from.height / 2)
        const end = to.mapToItem(canvas, 0, to.height / 2)
        mousePress(canvas, start.x, start.y, Qt.LeftButton)
        for (let i = 1; i <= 8; ++i)
            mouseMove(canvas, start.x + (end.x - start.x) * i / 8, start.y + (end.y - start.y) * i / 8, 10,
                      Qt.LeftButton)
        mouseRelease(canvas, end.x, end.y, Qt.LeftButton)
    }

    function test_dragModuleFromPaletteAddsNode() {
        const list = findChild(win.contentItem, "paletteList")
        const search = findChild(win.contentItem, "paletteSearch")
        verify(list && search)
        mouseClick(search)
        for (const c of "vca")
            keyClick(c)
        tryCompare(Editor.palette, "filter", "vca")
        let entry = null
        tryVerify(() => (entry = findChild(list, "palette-vca")) !== null, 3000, "palette entry for vca")
        waitForRendering(list)
        const before = nodeIds()
        const start = entry.mapToItem(canvas, 20, entry.height / 2)
        const drop = Qt.point(canvas.width / 2, canvas.height / 2)
        mousePress(entry, 20, entry.height / 2, Qt.LeftButton)
        for (let i = 1; i <= 10; ++i)
            mouseMove(canvas, start.x + (drop.x - start.x) * i / 10, start.y + (drop.y - start.y) * i / 10, 10,
                      Qt.LeftButton)
        mouseRelease(canvas, drop.x, drop.y, Qt.LeftButton)

        tryCompare(Editor.nodes, "count", before.length + 1)
        const added = nodeIds().filter(id => before.indexOf(id) < 0)
        compare(added.length, 1)
        const row = Editor.nodes.get(Editor.nodes.rowOf(added[0]))
        compare(row.type, "vca")
        compare(row.pending, "added")
        // It landed where it was dropped (the header under the pointer).
        const item = nodeItem(added[0])
        const dropInCanvas = canvas.canvasPoint(drop.x, drop.y)
        verify(dropInCanvas.x >= item.x && dropInCanvas.x <= item.x + item.width, "dropped over the card")
        verify(dropInCanvas.y >= item.y && dropInCanvas.y <= item.y + 40, "dropped on the header")
        tryVerify(() => EngineProbe.pendingHasModule(added[0]), 3000, "the engine's pending patch has it")
    }

    function test_portDragConnectsOnStandby() {
        const saw = Editor.addModule("saw", 40, 40)
        const vca = Editor.addModule("vca", 340, 60)
        verify(saw !== "" && vca !== "")
        canvas.fitToView()
        const from = port(saw, "out", "out")
        const to = port(vca, "in", "in")
        waitForRendering(win.contentItem)
        const standby = EngineProbe.standbySlot()
        const active = 1 - standby
        tryVerify(() => EngineProbe.pendingHasModule(vca), 3000)
        const editsBefore = EngineProbe.editsApplied(standby)
        const activeEditsBefore = EngineProbe.editsApplied(active)
        const cablesBefore = Editor.cables.count

        dragCable(from, to)

        tryCompare(Editor.cables, "count", cablesBefore + 1)
        tryVerify(() => findChild(canvas, "cable-" + saw + ".out-" + vca + ".in") !== null, 3000, "the cable item")
        verify(EngineProbe.pendingHasCable(saw, "out", vca, "in"), "the engine's pending patch has the cable")
        tryVerify(() => EngineProbe.editsApplied(standby) > editsBefore, 5000, "the standby slot applied the connect")
        compare(EngineProbe.activeSlot(), active)
        compare(EngineProbe.editsApplied(active), activeEditsBefore, "the active slot got no edit")
        verify(!EngineProbe.committedHasCable(saw, "out", vca, "in"))
    }

    function test_commitButtonSwapsSlots() {
        const saw = Editor.addModule("saw", 40, 40)
        verify(Editor.connectPorts(saw, "out", "out", "left"))
        const button = findChild(win.contentItem, "commitButton")
        verify(button)
        tryVerify(() => Editor.pendingChanges > 0)
        verify(button.text.indexOf("(" + Editor.pendingChanges + ")") >= 0, "the button counts the pending edits")
        const before = EngineProbe.activeSlot()

        mouseClick(button)

        tryCompare(Editor, "busy", false, 10000)
        tryVerify(() => EngineProbe.activeSlot() === 1 - before, 10000, "the other slot plays (" + Editor.message + "; busy " + Editor.busy + ")")
        if (Editor.status)
            tryCompare(Editor.status, "activeSlot", 1 - before, 3000, "the status shows the other slot active")
        verify(EngineProbe.committedHasCable(saw, "out", "out", "left"))
        tryCompare(Editor, "pendingChanges", 0)
    }

    function test_refusedCableShowsReason() {
        const a = Editor.addModule("vca", 40, 40)
        const b = Editor.addModule("vca", 360, 40)
        verify(Editor.connectPorts(a, "out", b, "in"))
        canvas.fitToView()
        const toast = findChild(win.contentItem, "refusalToast")
        verify(toast)
        verify(!toast.visible)
        const cables = Editor.cables.count

        // b.out -> a.in closes a loop.
        dragCable(port(b, "out", "out"), port(a, "in", "in"))

        tryVerify(() => toast.visible, 3000, "the refusal shows")
        verify(toast.text.indexOf("cycle") >= 0, "it says why: " + toast.text)
        verify(Editor.message.indexOf("cycle") >= 0)
        compare(Editor.cables.count, cables)
        verify(!EngineProbe.pendingHasCable(b, "out", a, "in"))
    }

    function test_deleteKeyRemovesSelectedNodeAndUndoBringsItBack() {
        const vca = Editor.addModule("vca", 100, 100)
        const item = nodeItem(vca)
        const count = Editor.nodes.count
        waitForRendering(win.contentItem)

        mouseClick(item, 60, 12) // the header
        tryVerify(() => item.selected, 2000, "a click selects the node")
        keyClick(Qt.Key_Delete)

        tryCompare(Editor.nodes, "count", count - 1)
        tryVerify(() => findChild(canvas, "node-" + vca) === null, 3000, "its item is gone")
        tryVerify(() => !EngineProbe.pendingHasModule(vca), 3000)

        keyClick(Qt.Key_Z, Qt.ControlModifier)

        tryCompare(Editor.nodes, "count", count)
        verify(nodeItem(vca))
        tryVerify(() => EngineProbe.pendingHasModule(vca), 3000, "the engine has it again")
    }

    // The undo button's tip says what the next Ctrl+Z undoes and what the bounded history holds.
    function test_undoTipSaysWhatTheHistoryKeeps() {
        Editor.addModule("saw", 100, 100)
        const button = findChild(win.contentItem, "undoButton")
        verify(button)
        button.hoverEnabled = true // the offscreen platform asks for no hover effects
        mouseMove(button, 2, 2)
        mouseMove(button, button.width / 2, button.height / 2)
        tryVerify(() => button.hovered, 3000, "the pointer is on the button")
        tryVerify(() => button.ToolTip.visible, 3000, "the tip shows on hover")
        verify(button.ToolTip.text.startsWith("Undo Add saw1 (Ctrl+Z)\n"), button.ToolTip.text)
        verify(/\d+ steps? kept \(.+ of 16 MiB\)$/.test(button.ToolTip.text), button.ToolTip.text)
        if (EngineProbe.grabDir() !== "") {
            waitForRendering(win.contentItem)
            grabImage(win.contentItem).save(EngineProbe.grabDir() + "/editor-undo-tip.png")
        }
        mouseMove(canvas, 400, 400)
    }

    // A middle-button drag on empty canvas pans: the view follows the pointer, cards and cables
    // with it, and nothing in the patch or the selection changes.
    function test_middleDragPansTheView() {
        const saw = Editor.addModule("saw", 40, 40)
        const vca = Editor.addModule("vca", 340, 60)
        verify(Editor.connectPorts(saw, "out", vca, "in"))
        canvas.fitToView()
        canvas.autoFit = false // no fit of its own while the test looks
        canvas.resetZoom()
        const card = nodeItem(vca)
        let cable = null
        tryVerify(() => (cable = findChild(canvas, "cable-" + saw + ".out-" + vca + ".in")) !== null, 3000, "the cable")
        waitForRendering(win.contentItem)
        const cardBefore = card.mapToItem(canvas, 0, 0)
        const cableBefore = cable.mapToItem(canvas, 0, 0)
        const row = Editor.nodes.get(Editor.nodes.rowOf(vca))
        const selected = Editor.nodes.selectedCount
        const picture = findChild(canvas, "cablePicture")
        verify(picture)
        const start = Qt.point(canvas.width * 0.5, canvas.height * 0.85) // empty canvas
        const shift = Qt.point(-60, -120)
        // Once the patch rests, the picture grows margins: the pan then starts without painting.
        if (canvas.softwareRendering)
            tryVerify(() => picture.hasMargins, 3000, "the cable picture is ready for a pan")
        const paints = picture.paints
        mousePress(canvas, start.x, start.y, Qt.MiddleButton)
        for (let i = 1; i <= 6; ++i) {
            mouseMove(canvas, start.x + shift.x * i / 6, start.y + shift.y * i / 6, 10, Qt.MiddleButton)
            waitForRendering(win.contentItem)
        }
        if (canvas.softwareRendering)
            compare(picture.paints, paints, "a pan shows another part of the cable picture, it does not paint it again")
        mouseRelease(canvas, start.x + shift.x, start.y + shift.y, Qt.MiddleButton)
        waitForRendering(win.contentItem)

        const cardAfter = card.mapToItem(canvas, 0, 0)
        const cableAfter = cable.mapToItem(canvas, 0, 0)
        compare(cardAfter.x, cardBefore.x + shift.x, "the card moved with the view")
        compare(cardAfter.y, cardBefore.y + shift.y)
        compare(cableAfter.x, cableBefore.x + shift.x, "the cable moved with the view")
        compare(cableAfter.y, cableBefore.y + shift.y)
        const rowAfter = Editor.nodes.get(Editor.nodes.rowOf(vca))
        compare(rowAfter.x, row.x, "the patch did not change")
        compare(rowAfter.y, row.y)
        compare(Editor.nodes.selectedCount, selected, "the selection did not change")
    }

    // The cables on screen: committed, a cable is a solid line of its signal's colour between its
    // ports; without a GPU it is drawn by the canvas's cable picture, with the item kept for clicks.
    function test_cablesAreDrawnBetweenTheirPorts() {
        const saw = Editor.addModule("saw", 40, 40)
        const vca = Editor.addModule("vca", 400, 160)
        verify(Editor.connectPorts(saw, "out", vca, "in"))
        Editor.commit()
        tryCompare(Editor, "busy", false, 10000)
        Editor.selection.clear()
        canvas.fitToView()
        canvas.autoFit = false
        canvas.resetZoom()
        let cable = null
        tryVerify(() => (cable = findChild(canvas, "cable-" + saw + ".out-" + vca + ".in")) !== null, 3000, "the cable")
        waitForRendering(win.contentItem)
        if (canvas.softwareRendering)
            verify(!cable.visible, "the picture draws it")
        // The curve's middle: halfway between the ports (the control points are symmetric).
        const mid = canvas.content.mapToItem(win.contentItem, (cable.x0 + cable.x1) / 2, (cable.y0 + cable.y1) / 2)
        const image = grabImage(win.contentItem)
        let best = 1
        for (let dy = -2; dy <= 2; ++dy) {
            const p = image.pixel(Math.round(mid.x), Math.round(mid.y) + dy)
            best = Math.min(best, Math.abs(p.r - Theme.audio.r) + Math.abs(p.g - Theme.audio.g) + Math.abs(p.b - Theme.audio.b))
        }
        verify(best < 0.1, "an audio-blue line through the middle of the cable (closest: " + best + ")")
        const empty = image.pixel(Math.round(mid.x), Math.round(mid.y) + 40)
        verify(Math.abs(empty.b - Theme.audio.b) > 0.3, "and not a blue patch")
        // A click on it selects it (the halo), a click beside it does not.
        // Where a port's cable meets its card is CardGeometry's, for the cards and the cables alike.
        compare(cable.y0, nodeItem(saw).y + CardGeometry.portAt(0))
        compare(cable.x0, nodeItem(saw).x + CardGeometry.nodeWidth)
        // A click on it selects it (the halo), a click beside it does not. A cable is named by its id.
        mouseClick(win.contentItem, mid.x, mid.y)
        verify(canvas.selectedCable >= 0)
        compare(canvas.selectedCable, Editor.cables.cableInto(vca, "in"))
        mouseClick(win.contentItem, mid.x, mid.y + 40)
        compare(canvas.selectedCable, -1)
        // A selected node's cables are drawn by their items: a drag moves them, not the picture.
        Editor.selection.select(saw, false)
        tryVerify(() => cable.visible, 2000, "the cable of a selected node draws itself")
        Editor.selection.clear()
        tryVerify(() => cable.visible === !canvas.softwareRendering, 2000)
    }

    // A selected cable goes with Delete (found by its id, not by parsing a name), and comes back
    // with Ctrl+Z under the same ends (a new id: a new row).
    function test_deleteKeyRemovesTheSelectedCable() {
        const saw = Editor.addModule("saw", 40, 40)
        const vca = Editor.addModule("vca", 400, 160)
        verify(Editor.connectPorts(saw, "out", vca, "in"))
        const id = Editor.cables.cableInto(vca, "in")
        verify(id >= 0)
        canvas.forceActiveFocus()
        canvas.selectedCable = id
        keyClick(Qt.Key_Delete)
        compare(Editor.cables.cableInto(vca, "in"), -1)
        compare(canvas.selectedCable, -1)
        keyClick(Qt.Key_Z, Qt.ControlModifier)
        tryVerify(() => Editor.cables.cableInto(vca, "in") >= 0, 2000, "the cable is back")
        const back = Editor.cables.get(Editor.cables.rowOfCable(Editor.cables.cableInto(vca, "in")))
        compare(back.fromId, saw)
        compare(back.fromPort, "out")
    }

    // Arrange (the controller's layout, one undo step): columns by signal flow, sources left.
    function test_arrangeLaysOutBySignalFlow() {
        const saw = Editor.addModule("saw", 700, 400)
        const vca = Editor.addModule("vca", 40, 40)
        verify(Editor.connectPorts(saw, "out", vca, "in"))
        verify(Editor.connectPorts(vca, "out", "out", "left"))
        const steps = Editor.undoText
        canvas.arrange()
        const x = id => Editor.nodes.get(Editor.nodes.rowOf(id)).x
        verify(x(saw) < x(vca), "the saw feeds the vca: left of it")
        verify(x(vca) < x("out"), "the vca feeds out: left of it")
        compare(Editor.nodes.get(Editor.nodes.rowOf(saw)).y, 40)
        verify(Editor.undoText !== steps)
        Editor.undo()
        compare(x(saw), 700)
        compare(x(vca), 40)
    }

    // An agent over OSC adds modules while the person watches: the view keeps its zoom and pan
    // (it was fitted when the patch opened and never touched), and every new card lands in free
    // space, on no card and no ghost, next to what it is cabled to.
    function test_agentModulesKeepTheViewAndLandInFreeSpace() {
        const vca = Editor.addModule("vca", 600, 200)
        verify(Editor.connectPorts(vca, "out", "out", "left"))
        const noise = Editor.addModule("noise", 320, 200)
        Editor.commit()
        tryCompare(Editor, "busy", false, 10000)
        verify(Editor.removeModule(noise)) // its ghost lies where a module feeding the VCA would go
        canvas.autoFit = true // as after opening: fitted, not touched since
        canvas.scheduleFit()
        tryVerify(() => !canvas.fitPending, 3000, "the view settled")
        nodeItem(noise)
        waitForRendering(win.contentItem)
        const zoom = canvas.zoom, panX = canvas.content.x, panY = canvas.content.y

        verify(EngineProbe.agent("/patch/create", ["osc2", "saw"]))
        verify(EngineProbe.agent("/patch/connect", ["osc2", "vca1.in"]))
        verify(EngineProbe.agent("/patch/create", ["env2", "adsr"]))
        verify(EngineProbe.agent("/patch/connect", ["env2", "vca1.cv"]))
        verify(EngineProbe.agent("/patch/create", ["lfo9", "lfo"]))
        tryVerify(() => Editor.nodes.rowOf("lfo9") >= 0 && Editor.cables.count === 3, 3000, "the agent's edits shown")
        tryVerify(() => Editor.message.startsWith("agent: created osc2 (saw), env2 (adsr), lfo9 (lfo); connected"), 3000,
                  Editor.message)
        const ids = nodeIds()
        for (const id of ids)
            nodeItem(id)
        waitForRendering(win.contentItem)
        tryVerify(() => !canvas.fitPending, 3000)
        compare(canvas.zoom, zoom, "the agent's modules did not change the zoom")
        compare(canvas.content.x, panX, "nor the pan")
        compare(canvas.content.y, panY)

        for (let i = 0; i < ids.length; ++i) {
            const a = nodeItem(ids[i])
            for (let j = i + 1; j < ids.length; ++j) {
                const b = nodeItem(ids[j])
                const apart = a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y
                verify(apart, ids[i] + " and " + ids[j] + " overlap")
            }
        }
        const v = nodeItem(vca)
        for (const id of ["osc2", "env2"]) {
            const n = nodeItem(id)
            verify(n.x + n.width < v.x && v.x - (n.x + n.width) <= 120, id + " is next to the VCA it feeds")
        }
        if (EngineProbe.grabDir() !== "")
            grabImage(win.contentItem).save(EngineProbe.grabDir() + "/editor-agent-modules.png")
    }

    // The line at the bottom follows what plays: after "the previous patch plays again (slot X)"
    // a failover to the other slot replaces it; it never goes on naming the slot that stopped.
    function test_theMessageFollowsAFailover() {
        const sine = Editor.addModule("sine", 200, 200)
        verify(Editor.connectPorts(sine, "out", "out", "left"))
        Editor.commit()
        tryCompare(Editor, "busy", false, 10000)
        Editor.undoCommit()
        tryCompare(Editor, "busy", false, 10000)
        const line = findChild(win.contentItem, "messageLine")
        verify(line)
        const name = slot => slot === 0 ? "A" : "B"
        // (A loaded machine may fail over by itself meanwhile: then the line says that instead.)
        tryVerify(() => line.text === "the previous patch plays again (slot " + name(EngineProbe.activeSlot()) + ")"
                  || line.text.startsWith("failover:"), 5000, line.text)
        const active = EngineProbe.activeSlot()
        tryVerify(() => EngineProbe.inStep(1 - active), 5000, "the mirror in step")
        const failovers = EngineProbe.failovers()
        EngineProbe.injectFault(active)
        tryVerify(() => EngineProbe.failovers() > failovers, 5000, "a failover")
        // On a busy machine the new active slot may fail back later: the line names whichever plays.
        tryVerify(() => line.text.startsWith("failover:")
                  && line.text.indexOf("slot " + name(EngineProbe.activeSlot()) + " plays") >= 0, 5000, line.text)
        waitForRendering(win.contentItem)
        if (EngineProbe.grabDir() !== "")
            grabImage(win.contentItem.parent).save(EngineProbe.grabDir() + "/editor-failover-message.png")
    }

    // Right-click a knob: its menu offers MIDI learn; chosen, the knob shows it is learning (an
    // outline) until a controller moves or the learn is cancelled from the same menu.
    function test_rightClickAKnobOffersMidiLearn() {
        const saw = Editor.addModule("saw", 200, 160)
        nodeItem(saw)
        let row = null
        tryVerify(() => (row = findChild(canvas, "param-" + saw + "-freq")) !== null, 3000, "the freq knob")
        waitForRendering(win.contentItem)
        mouseClick(row, row.width / 3, row.height / 2, Qt.RightButton)
        const menu = findChild(row, "paramMenu")
        verify(menu)
        tryCompare(menu, "opened", true)
        const learn = menu.itemAt(1)
        compare(learn.objectName, "midiLearnItem")
        compare(learn.text, "MIDI learn")
        verify(!menu.itemAt(2).enabled, "nothing to forget yet")
        mouseClick(learn)
        tryCompare(menu, "opened", false)
        compare(Editor.midiLearning, saw + ".freq")
        const outline = findChild(row, "midiLearning")
        verify(outline && outline.visible)
        verify(findChild(row, "midiMark").visible)
        waitForRendering(win.contentItem)
        if (EngineProbe.grabDir() !== "")
            grabImage(win.contentItem).save(EngineProbe.grabDir() + "/editor-midi-learn.png")
        mouseClick(row, row.width / 3, row.height / 2, Qt.RightButton)
        tryCompare(menu, "opened", true)
        compare(menu.itemAt(1).text, "Cancel MIDI learn")
        mouseClick(menu.itemAt(1))
        tryCompare(Editor, "midiLearning", "")
        verify(!outline.visible)
    }

    function test_audioSettingsAreSavedForTheNextStart() {
        const dialog = findChild(win.contentItem, "audioSettingsDialog") || win.audioSettingsDialogForTests
        verify(dialog, "the audio settings dialog")
        dialog.open()
        tryCompare(dialog, "opened", true)
        const backend = findChild(dialog.contentItem, "audioBackend")
        const rate = findChild(dialog.contentItem, "audioRate")
        verify(backend && rate)
        backend.currentIndex = backend.model.indexOf("null")
        rate.currentIndex = 1 // 44100 Hz
        dialog.accept()
        tryCompare(dialog, "visible", false)
        compare(Editor.audio.settings.backend, "null")
        compare(Number(Editor.audio.settings.sampleRate), 44100)
        verify(Editor.message.indexOf("next time") >= 0, Editor.message)
    }

    // --- The patch-file dialogs, driven as a user does: the dialog the machine really has ---

    // Every visible item under `item` (popups live in the window's overlay, beside the content item) that `accept` says yes to.
    function itemsUnder(item, accept, found) {
        found = found || []
        if (!item)
            return found
        if (item.visible && accept(item))
            found.push(item)
        for (let i = 0; i < item.children.length; ++i)
            itemsUnder(item.children[i], accept, found)
        return found
    }
    // The open file dialog's name field and its accept button ("Save" or "Open").
    function dialogNameField() {
        let field = null
        tryVerify(() => (field = itemsUnder(win.contentItem.parent, i => i.objectName === "fileNameTextField")[0] || null) !== null,
                  3000, "the file dialog's name field")
        return field
    }
    function dialogAcceptButton() {
        let button = null
        tryVerify(() => (button = itemsUnder(win.contentItem.parent, i => i.DialogButtonBox !== undefined && i.text !== undefined
                                             && i.DialogButtonBox.buttonRole === DialogButtonBox.AcceptRole
                                             && i.hasOwnProperty("checkable"))[0] || null) !== null,
                  3000, "the file dialog's accept button")
        return button
    }
    function typeText(text) {
        for (const c of text)
            keyClick(c)
    }
    function openSaveAs() {
        keyClick(Qt.Key_S, Qt.ControlModifier | Qt.ShiftModifier)
        const field = dialogNameField()
        waitForRendering(win.contentItem)
        mouseClick(field)
        keySequence("Ctrl+A")
        keyClick(Qt.Key_Backspace)
        return field
    }

    // Save As with the mouse: a name typed into the field, then a click on the dialog's button.
    function test_saveAsByMouseWritesTheFile() {
        verify(Editor.addModule("saw", 40, 40) !== "")
        openSaveAs()
        typeText("mouse-save")
        mouseClick(dialogAcceptButton())
        tryVerify(() => Editor.files.filePath.endsWith("/mouse-save.json"), 3000, "saved: " + Editor.message)
        verify(EngineProbe.fileExists(Editor.files.filePath), Editor.files.filePath)
        compare(Editor.files.filePath, Editor.files.patchesFolder() + "/mouse-save.json", "a new patch is saved in the patches folder")
        compare(Editor.dirty, false)
    }

    // Save As by keyboard alone: Ctrl+Shift+S, the name, Return (Escape first cancels).
    function test_saveAsByKeyboardWritesTheFile() {
        verify(Editor.addModule("saw", 40, 40) !== "")
        openSaveAs()
        typeText("escaped")
        keyClick(Qt.Key_Escape)
        tryCompare(win.saveDialog, "visible", false)
        compare(Editor.files.filePath, "")
        openSaveAs()
        typeText("key-save")
        keyClick(Qt.Key_Return)
        tryVerify(() => Editor.files.filePath.endsWith("/key-save.json"), 3000, "saved: " + Editor.message)
        verify(EngineProbe.fileExists(Editor.files.filePath), Editor.files.filePath)
    }

    // A full path typed into the name field is that path, not a name inside the current folder.
    // Saving over an existing file takes a second click (the button says Replace first).
    function test_saveAsAsksBeforeReplacing() {
        verify(Editor.addModule("saw", 40, 40) !== "")
        verify(Editor.files.saveAs(Editor.files.patchesFolder() + "/twice.json"))
        Editor.newPatch()
        verify(Editor.addModule("vca", 40, 40) !== "")
        openSaveAs()
        typeText("twice")
        const button = dialogAcceptButton()
        mouseClick(button)
        verify(win.saveDialog.opened, "still open: it asks first")
        compare(button.text, "Replace")
        verify(findChild(win.saveDialog.contentItem, "fileDialogProblem").text.indexOf("twice.json already exists") >= 0)
        compare(Editor.files.filePath, "")
        mouseClick(button)
        tryCompare(Editor.files, "filePath", Editor.files.patchesFolder() + "/twice.json", 3000, Editor.message)
        tryCompare(win.saveDialog, "visible", false)
    }

    function test_saveAsTakesATypedAbsolutePath() {
        verify(Editor.addModule("saw", 40, 40) !== "")
        const target = EngineProbe.scratchFolder() + "/typed-absolute.json"
        openSaveAs()
        typeText(target)
        mouseClick(dialogAcceptButton())
        tryCompare(Editor.files, "filePath", target, 3000, "saved there: " + Editor.message)
        verify(EngineProbe.fileExists(target))
    }

    // A patch to open: written by the controller, then a new document.
    function patchToOpen(name) {
        verify(Editor.addModule("vca", 40, 40) !== "")
        verify(Editor.addModule("saw", 300, 40) !== "")
        const path = Editor.files.patchesFolder() + "/" + name
        verify(Editor.files.saveAs(path))
        Editor.newPatch()
        compare(Editor.nodes.count, 1) // out
        return path
    }

    // Open by mouse: the dialog starts in the patches folder; a click on the file, then Open.
    function test_openByMouseOpensTheClickedFile() {
        const path = patchToOpen("by-mouse.json")
        keyClick(Qt.Key_O, Qt.ControlModifier)
        dialogNameField()
        compare(win.openDialog.folder, Editor.files.patchesFolder())
        let entry = null
        tryVerify(() => (entry = itemsUnder(win.contentItem.parent, i => i.objectName === "fileDialogEntry-by-mouse.json")[0] || null) !== null,
                  3000, "the file is listed")
        waitForRendering(win.contentItem)
        mouseClick(entry)
        mouseClick(dialogAcceptButton())
        tryCompare(Editor.files, "filePath", path, 3000, Editor.message)
        compare(Editor.nodes.count, 3)
    }

    // Open by keyboard: Ctrl+O, the name (without .json), Return; and Down, Return in the list.
    function test_openByKeyboard() {
        const path = patchToOpen("by-keys.json")
        keyClick(Qt.Key_O, Qt.ControlModifier)
        dialogNameField()
        typeText("by-keys")
        keyClick(Qt.Key_Return)
        tryCompare(Editor.files, "filePath", path, 3000, Editor.message)
        compare(Editor.nodes.count, 3)

        Editor.newPatch()
        keyClick(Qt.Key_O, Qt.ControlModifier)
        dialogNameField()
        const list = findChild(win.openDialog.contentItem, "fileDialogList")
        tryVerify(() => list.count > 0)
        keyClick(Qt.Key_Down)
        while (list.currentItem && list.currentItem.fileName !== "by-keys.json" && list.currentIndex < list.count - 1)
            keyClick(Qt.Key_Down)
        compare(list.currentItem.fileName, "by-keys.json")
        keyClick(Qt.Key_Return)
        tryCompare(Editor.files, "filePath", path, 3000, Editor.message)
    }

    // --- Parameter bars ---

    // A module's parameter bar at 100 % zoom, the view still.
    function paramBar(id, param) {
        canvas.fitToView()
        canvas.autoFit = false
        canvas.resetZoom()
        let row = null
        tryVerify(() => (row = findChild(canvas, "param-" + id + "-" + param)) !== null, 3000, "the " + param + " bar")
        waitForRendering(win.contentItem)
        return row
    }
    // A plain left-button drag of dx pixels along the bar, as a user makes it.
    function dragBar(row, dx) {
        const x = 40, y = row.height / 2
        mousePress(row, x, y, Qt.LeftButton)
        for (let i = 1; i <= 5; ++i)
            mouseMove(row, x + dx * i / 5, y, 5, Qt.LeftButton)
        mouseRelease(row, x + dx, y, Qt.LeftButton)
    }

    // An oscillator's pitch is dialled in ratios: equal drags multiply the frequency by the same
    // factor, and 50 px from 440 Hz lands within two octaves (it took 440 Hz to 5995.56 Hz).
    function test_frequencyBarDragsMultiply() {
        const saw = Editor.addModule("saw", 40, 40)
        const row = paramBar(saw, "freq")
        compare(row.value, 440)
        verify(row.logScale, "the schema says freq is logarithmic")

        dragBar(row, 25)
        const a = row.value
        dragBar(row, 25)
        const b = row.value
        verify(a > 440 && b > a, "a drag to the right raises it: " + a + ", " + b)
        verify(Math.abs(b / a - a / 440) < 0.01 * (a / 440), "the same drag multiplies by the same factor: "
               + (a / 440) + " then " + (b / a))
        verify(Math.abs((b - a) - (a - 440)) > 10, "it does not add a fixed step")
        verify(b > 440 && b < 4 * 440, "50 px from 440 Hz stays within two octaves: " + b)

        // Back down: the same travel to the left divides by the same factor.
        dragBar(row, -50)
        verify(Math.abs(row.value - 440) < 0.5, "back to 440 Hz: " + row.value)
    }

    // Shift drags ten times finer (in octaves, on a log bar).
    function test_shiftDragIsFiner() {
        const saw = Editor.addModule("saw", 40, 40)
        const row = paramBar(saw, "freq")
        EngineProbe.dragWithModifiers(row, 40, row.height / 2, 50, 10, Qt.NoModifier)
        const coarse = Math.log2(row.value / 440)
        verify(coarse > 0.5, "a plain drag moves: " + row.value)
        verify(Editor.setParam(saw, "freq", 440))
        EngineProbe.dragWithModifiers(row, 40, row.height / 2, 50, 10, Qt.ShiftModifier)
        const fine = Math.log2(row.value / 440)
        verify(fine > 0, "a Shift drag moves too: " + row.value)
        verify(Math.abs(fine - coarse / 10) < 0.01 * coarse, "ten times finer: " + fine + " octaves against " + coarse)
    }

    // A range from 0 (an oscillator's 0..20 kHz) keeps 0 at the start of the bar and is
    // logarithmic above it; a linear bar (a VCA's level) still adds.
    function test_barEndsAndLinearBars() {
        const saw = Editor.addModule("saw", 40, 40)
        const row = paramBar(saw, "freq")
        compare(row.fromFraction(0), 0)
        compare(row.fromFraction(1), 20000)
        verify(Math.abs(row.fromFraction(row.toFraction(440)) - 440) < 1e-9)
        verify(Math.abs(row.fromFraction(0.5) - Math.sqrt(20 * 20000)) < 1e-6, "the middle of the bar is the geometric middle")
        const vca = Editor.addModule("vca", 300, 40)
        const level = paramBar(vca, "level")
        verify(!level.logScale)
        verify(Math.abs(level.fromFraction(0.5) - 1.0) < 1e-9, "0..2, linear")
    }

    // The person turns a knob while an agent (a real OSC client) adds a module in the middle of the
    // drag, well within one 33 ms tick: each undoes only their own. Ctrl+Z takes back the drag and
    // leaves the agent's module; the agent's /patch/undo takes back its module and leaves the drag.
    function test_userAndAgentEachUndoTheirOwn() {
        const saw = Editor.addModule("saw", 40, 40)
        const row = paramBar(saw, "freq")
        compare(row.value, 440)
        const x = 40, y = row.height / 2
        mousePress(row, x, y, Qt.LeftButton)
        mouseMove(row, x + 10, y, 0, Qt.LeftButton)
        verify(EngineProbe.agent("/patch/create", ["lfo7", "lfo"]), "the agent's create is answered")
        mouseMove(row, x + 30, y, 0, Qt.LeftButton)
        mouseRelease(row, x + 30, y, Qt.LeftButton)
        const dragged = row.value
        verify(dragged > 440, "the drag raised it: " + dragged)
        tryVerify(() => Editor.nodes.rowOf("lfo7") >= 0, 3000, "the agent's module is shown")

        keyClick(Qt.Key_Z, Qt.ControlModifier)
        tryCompare(row, "value", 440)
        compare(EngineProbe.pendingParam(saw, "freq"), 440)
        verify(EngineProbe.pendingHasModule("lfo7"), "Ctrl+Z left the agent's module")
        verify(Editor.nodes.rowOf("lfo7") >= 0)

        keyClick(Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
        tryCompare(row, "value", dragged)

        verify(EngineProbe.agent("/patch/undo", []), "the agent undoes its own step")
        tryVerify(() => Editor.nodes.rowOf("lfo7") < 0, 3000, "the agent's module is gone")
        verify(!EngineProbe.pendingHasModule("lfo7"))
        compare(EngineProbe.pendingParam(saw, "freq"), dragged, "the person's edit stays")
        compare(row.value, dragged)

        verify(EngineProbe.agent("/patch/redo", []), "and redoes it")
        tryVerify(() => EngineProbe.pendingHasModule("lfo7"), 3000)
        compare(EngineProbe.pendingParam(saw, "freq"), dragged)
    }

    // The Edit menu offers the agent's last step: a click takes back the agent's module only.
    function test_undoAgentsLastFromTheEditMenu() {
        const saw = Editor.addModule("saw", 40, 40)
        verify(EngineProbe.agent("/patch/create", ["noise8", "noise"]))
        tryVerify(() => Editor.nodes.rowOf("noise8") >= 0, 3000)
        const editMenu = win.menuBar.menus[1]
        editMenu.open()
        tryCompare(editMenu, "opened", true)
        let item = null
        for (let i = 0; i < editMenu.count; ++i) {
            const it = editMenu.itemAt(i)
            if (it && it.text !== undefined && String(it.text).replace("&", "") === "Undo agent's last")
                item = it
        }
        verify(item, "the Edit menu offers it")
        verify(item.enabled)
        compare(Editor.agentUndoText, "Agent edit (OSC)")
        if (EngineProbe.grabDir() !== "") {
            waitForRendering(win.contentItem)
            grabImage(win.contentItem.parent).save(EngineProbe.grabDir() + "/editor-edit-menu.png")
        }
        mouseClick(item)
        tryVerify(() => Editor.nodes.rowOf("noise8") < 0, 3000, "the agent's module is gone")
        verify(!EngineProbe.pendingHasModule("noise8"))
        verify(EngineProbe.pendingHasModule(saw), "the person's stays")
    }

    // A typed value is what was typed: 440 is 440, 261.63 is 261.63.
    function test_typedValueIsKeptExactly() {
        const saw = Editor.addModule("saw", 40, 40)
        const row = paramBar(saw, "freq")
        dragBar(row, 37)
        verify(row.value !== 440)
        for (const typed of ["440", "261.63"]) {
            mouseDoubleClickSequence(row, row.width * 0.8, row.height / 2)
            let field = null
            tryVerify(() => (field = findChild(row, "paramEditor")) !== null, 2000, "the value field")
            tryVerify(() => field.activeFocus)
            keySequence("Ctrl+A")
            typeText(typed)
            keyClick(Qt.Key_Return)
            tryCompare(row, "value", Number(typed))
        }
        compare(row.display, "262 Hz")
    }

    // --- Labels ---

    // Every port name of every module type is shown whole (the facing side lends its room).
    function test_portLabelsAreNotCut() {
        const ids = []
        for (let i = 0; i < Editor.palette.count; ++i)
            ids.push(Editor.addModule(Editor.palette.typeAt(i), (i % 6) * 240, Math.floor(i / 6) * 420))
        canvas.autoFit = false
        canvas.resetZoom()
        for (const id of ids) {
            const row = Editor.nodes.get(Editor.nodes.rowOf(id))
            for (const [dir, list] of [["in", row.inputs], ["out", row.outputs]]) {
                for (const p of list) {
                    const label = findChild(port(id, dir, p.id), "portLabel")
                    verify(label, "a label for " + id + "." + p.id)
                    verify(!label.truncated, row.type + " " + dir + " '" + p.name + "' is cut to " + label.width + " px")
                }
            }
        }
    }

    // The palette's descriptions wrap: the ones on screen are whole.
    function test_paletteDescriptionsAreNotCut() {
        const list = findChild(win.contentItem, "paletteList")
        waitForRendering(list)
        const descriptions = itemsUnder(list, i => i.objectName === "paletteDescription")
        verify(descriptions.length > 5)
        for (const d of descriptions)
            verify(!d.truncated, "'" + d.text + "' is cut")
    }

    // The menus show each action's shortcut beside it.
    function test_menusShowTheirShortcuts() {
        const fileMenu = win.menuBar.menus[0]
        fileMenu.open()
        tryCompare(fileMenu, "opened", true)
        const shown = itemsUnder(win.contentItem.parent, i => i.objectName === "shortcutLabel").map(l => l.text)
        verify(shown.indexOf("Ctrl+S") >= 0, "Save shows Ctrl+S: " + shown)
        verify(shown.indexOf("Ctrl+Shift+S") >= 0, "Save as shows Ctrl+Shift+S: " + shown)
        verify(shown.indexOf("Ctrl+O") >= 0, "Open shows Ctrl+O: " + shown)
        fileMenu.close()
        tryCompare(fileMenu, "visible", false)
    }
}
