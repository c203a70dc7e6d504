#pragma once
// The editor's controller: the one object QML talks to (as the singleton Editor). Every intent
// from the canvas (add a module, draw a cable, turn a knob, commit) is a Q_INVOKABLE here; it goes
// to the patch controller (app::PatchController, the one writer of the engine's patch, which this
// object owns) as the person's step, and the models follow. What is not patch editing is an object
// of its own, a CONSTANT property here: the document's file (`files`, DocumentFiles), the selection
// and clipboard (`selection`), the audio settings (`audio`) and the record button (`recording`).
//
// The OSC server is the patch controller's other client: its requests are posted to this (the GUI)
// thread and run there, as the agent's steps; the patch controller's changed() signal tells the
// models to catch up, so a person watches an agent's edits live. Undo is per author: Ctrl+Z takes
// back the person's last step, never an agent's; undoAgent() takes back the agent's last.
//
// Threads: GUI thread only. Commit, prime, abort and undo of a commit take the engine tens of
// milliseconds: they are submitted to it and their outcome arrives as an event; `busy` is true
// meanwhile. Edits and knob turns meanwhile do not wait for them.

#include "PatchController.hpp"
#include "engine/PatchGraph.hpp"
#include "engine/SlotEngine.hpp"

#include <QJsonObject>
#include <QObject>
#include <QPointF>
#include <QRectF>
#include <QSizeF>
#include <QString>
#include <QElapsedTimer>
#include <QTimer>
#include <QtQml/qqmlregistration.h>

#include <functional>
#include <string>
#include <set>
#include <vector>
#include <map>
#include <memory>
#include <optional>

namespace chronus::app {
class EditJournal;
}

namespace chronus::editor {

class AudioSettings;
class CableModel;
class DocumentFiles;
class NodeModel;
class PaletteModel;
class RecordingControl;
class Selection;

struct EditorOptions {
    QString autosavePath;   // the document with its pending edits (+ ".journal"); empty: no autosave
    QString settingsScope;  // QSettings group for recent files ("" = the default)
    QString patchesFolder;  // where the file dialogs start (OSC's /patch/save folder); "" = home
    int autoCommitDelayMs = 400;
    int autosaveDelayMs = 1000; // after a change, the journal is compacted into the autosave file (fsync'd)
    // The undo history's bounds (see UndoHistory), and how far apart an agent's edits may come
    // and still be one undo step (a burst); 0: each edit is a step of its own.
    std::size_t undoByteBudget = app::UndoHistory::kDefaultByteBudget;
    int undoStepLimit = app::UndoHistory::kDefaultStepLimit;
    int agentBurstMs = 1000;
};

class EditorController : public QObject {
    Q_OBJECT
    Q_MOC_INCLUDE("GraphModels.hpp")
    Q_MOC_INCLUDE("PaletteModel.hpp")
    Q_MOC_INCLUDE("AudioSettings.hpp")
    Q_MOC_INCLUDE("DocumentFiles.hpp")
    Q_MOC_INCLUDE("RecordingControl.hpp")
    Q_MOC_INCLUDE("Selection.hpp")
    QML_NAMED_ELEMENT(EditorController)
    QML_UNCREATABLE("the controller is built in main()")

    Q_PROPERTY(chronus::editor::NodeModel* nodes READ nodes CONSTANT FINAL)
    Q_PROPERTY(chronus::editor::CableModel* cables READ cables CONSTANT FINAL)
    Q_PROPERTY(chronus::editor::PaletteModel* palette READ palette CONSTANT FINAL)
    // The StatusModel (see StatusModel.hpp), as a QObject so this header does not depend on it.
    Q_PROPERTY(QObject* status READ statusObject NOTIFY statusChanged FINAL)
    // The parts of the editor that are not patch editing, each an object of its own.
    Q_PROPERTY(chronus::editor::DocumentFiles* files READ files CONSTANT FINAL)
    Q_PROPERTY(chronus::editor::Selection* selection READ selection CONSTANT FINAL)
    Q_PROPERTY(chronus::editor::AudioSettings* audio READ audio CONSTANT FINAL)
    Q_PROPERTY(chronus::editor::RecordingControl* recording READ recording CONSTANT FINAL)

    // The document.
    Q_PROPERTY(bool dirty READ dirty NOTIFY dirtyChanged FINAL)
    Q_PROPERTY(bool hasAutosave READ hasAutosave NOTIFY hasAutosaveChanged FINAL)

    // Pending against committed.
    Q_PROPERTY(int pendingChanges READ pendingChanges NOTIFY pendingChanged FINAL)
    Q_PROPERTY(bool busy READ busy NOTIFY busyChanged FINAL)
    Q_PROPERTY(bool canUndoCommit READ canUndoCommit NOTIFY pendingChanged FINAL)
    Q_PROPERTY(bool autoCommit READ autoCommit WRITE setAutoCommit NOTIFY autoCommitChanged FINAL)

    // Undo/redo of edits.
    Q_PROPERTY(bool canUndo READ canUndo NOTIFY undoChanged FINAL)
    Q_PROPERTY(bool canRedo READ canRedo NOTIFY undoChanged FINAL)
    Q_PROPERTY(QString undoText READ undoText NOTIFY undoChanged FINAL)
    Q_PROPERTY(QString redoText READ redoText NOTIFY undoChanged FINAL)
    // "12 steps kept (40 KiB of 16 MiB)": what the bounded history holds, for the undo button's tip.
    Q_PROPERTY(QString undoHistoryText READ undoHistoryText NOTIFY undoChanged FINAL)
    // The agent's (every OSC client's) own last step, for "Undo agent's last".
    Q_PROPERTY(bool canUndoAgent READ canUndoAgent NOTIFY undoChanged FINAL)
    Q_PROPERTY(QString agentUndoText READ agentUndoText NOTIFY undoChanged FINAL)

    // The last thing that went wrong (a refused cable, a file that did not load), for a message line.
    Q_PROPERTY(QString message READ message NOTIFY messageChanged FINAL)
    // "id.param" while MIDI learn waits for a controller for it (a knob shows it), else "".
    Q_PROPERTY(QString midiLearning READ midiLearning NOTIFY midiLearningChanged FINAL)

public:
    EditorController(engine::SlotEngine& engine, EditorOptions options, QObject* parent = nullptr);
    ~EditorController() override;

    NodeModel* nodes() const noexcept { return m_nodes.get(); }
    CableModel* cables() const noexcept { return m_cables.get(); }
    PaletteModel* palette() const noexcept { return m_palette.get(); }
    QObject* statusObject() const noexcept { return m_status; }
    // main() builds the StatusModel (it needs the driver and the callback's meter) and hands it over.
    void setStatusModel(QObject* status);
    DocumentFiles* files() const noexcept { return m_files.get(); }
    Selection* selection() const noexcept { return m_selection.get(); }
    AudioSettings* audio() const noexcept { return m_audio.get(); }
    RecordingControl* recording() const noexcept { return m_recording.get(); }
    // The person's undo history (the agent's: patch().history(app::Author::Agent)).
    app::UndoHistory* undoHistory() noexcept { return &m_patch.history(app::Author::User); }
    app::PatchController& patch() noexcept { return m_patch; }
    // The document is saved (or new): both authors' histories mark it.
    void setClean() {
        m_patch.history(app::Author::User).setClean();
        m_patch.history(app::Author::Agent).setClean();
    }
    engine::SlotEngine& engine() noexcept { return m_engine; }

    bool dirty() const {
        return !m_patch.history(app::Author::User).isClean() || !m_patch.history(app::Author::Agent).isClean() ||
               m_dirtyWithoutUndo;
    }
    bool hasAutosave() const { return m_autosaveOffered; }
    int pendingChanges() const noexcept { return m_pendingChanges; }
    bool busy() const noexcept { return m_busy; }
    bool canUndoCommit() const;
    bool autoCommit() const noexcept { return m_autoCommit; }
    void setAutoCommit(bool on);
    bool canUndo() const { return m_patch.history(app::Author::User).canUndo(); }
    bool canRedo() const { return m_patch.history(app::Author::User).canRedo(); }
    QString undoText() const { return m_patch.history(app::Author::User).undoText(); }
    QString redoText() const { return m_patch.history(app::Author::User).redoText(); }
    bool canUndoAgent() const { return m_patch.history(app::Author::Agent).canUndo(); }
    QString agentUndoText() const { return m_patch.history(app::Author::Agent).undoText(); }
    QString undoHistoryText() const;
    QString message() const { return m_message; }

    // --- Structure (each is one undo step; the engine's standby gets the edit) ---
    // A new module of `type` at canvas position (x, y), id made from the type ("saw1", "saw2", ...).
    // Returns the id, or "" with `message` saying why not.
    Q_INVOKABLE QString addModule(const QString& type, double x, double y);
    Q_INVOKABLE bool removeModule(const QString& id);
    Q_INVOKABLE bool removeSelected();
    // Ports by id ("out", "freq"). Refused cables return false and say why in `message` and
    // cableRefused(reason).
    Q_INVOKABLE bool connectPorts(const QString& fromId, const QString& fromPort, const QString& toId,
                                  const QString& toPort);
    // "" when the cable would be accepted, else the reason (for the canvas while dragging).
    Q_INVOKABLE QString connectionProblem(const QString& fromId, const QString& fromPort, const QString& toId,
                                          const QString& toPort) const;
    Q_INVOKABLE bool disconnectPorts(const QString& fromId, const QString& fromPort, const QString& toId,
                                     const QString& toPort);

    // --- Parameters (live on committed modules; one undo step per gesture, see beginGesture) ---
    Q_INVOKABLE bool setParam(const QString& id, const QString& param, double value);
    Q_INVOKABLE bool resetParam(const QString& id, const QString& param);
    Q_INVOKABLE bool setText(const QString& id, const QString& textId, const QString& text);
    // Successive setParam/moveNode calls within one gesture (a knob drag, a node drag) merge into
    // one undo step.
    // MIDI learn: the next controller that moves maps to the parameter (over its whole range, on
    // the controller's channel), as the person's step; learning another parameter or cancelling
    // ends the wait, and so does kMidiLearnTimeoutMs without a controller (said in the message).
    Q_INVOKABLE void midiLearn(const QString& id, const QString& param);
    Q_INVOKABLE void cancelMidiLearn();
    Q_INVOKABLE bool forgetMidiMapping(const QString& id, const QString& param);
    QString midiLearning() const { return m_midiLearning; }
    static constexpr int kMidiLearnTimeoutMs = 30000;
    Q_INVOKABLE void beginGesture();

    // --- Layout (saved in the file, undoable; the engine keeps it with the pending patch, so it
    // travels into commits and their undo, but no slot hears of it) ---
    Q_INVOKABLE void moveNode(const QString& id, double x, double y);
    Q_INVOKABLE void moveSelectionBy(double dx, double dy);
    // Every card in columns by signal flow (arrangeByFlow, PatchLayout.hpp). One undo step.
    Q_INVOKABLE void arrange();
    // The size the view gives a module's card (canvas units). Placing an agent's module keeps clear
    // of every card by these; a card not reported yet counts at its estimate (cardSize).
    Q_INVOKABLE void setCardSize(const QString& id, double width, double height);
    // Where a card of `id` lies on the canvas (its position and size), or an empty rect.
    Q_INVOKABLE QRectF cardRect(const QString& id) const;
    // The part of the canvas the view shows: an agent's module without a cable goes there.
    Q_INVOKABLE void setViewRect(const QRectF& rect) { m_viewRect = rect; }

    // The bounding box of every node (canvas coordinates) for fit-to-view; empty when none.
    Q_INVOKABLE QRectF itemsBoundingRect() const;

    // --- The slot protocol ---
    Q_INVOKABLE void commit();
    Q_INVOKABLE void abort();
    Q_INVOKABLE void prime();
    Q_INVOKABLE void undoCommit();
    // The person's last step (never an agent's made since), on the patch as it is; refused, with
    // `message` saying why, when the agent changed the same thing since.
    Q_INVOKABLE void undo();
    Q_INVOKABLE void redo();
    // The agent's last step (the person's edits stay).
    Q_INVOKABLE void undoAgent();

    // --- The document (opening and saving files: `files`) ---
    Q_INVOKABLE void newPatch();
    // The demo patch (oscillator → filter → envelope → output), as on first start.
    Q_INVOKABLE void loadDemo();
    Q_INVOKABLE bool restoreAutosave();
    Q_INVOKABLE void discardAutosave();
    // Tests and quit: waits (running the event loop) until no slot operation is in progress.
    Q_INVOKABLE bool waitForIdle(int timeoutMs = 5000);

    // Puts the document and the committed patch on disk now: one record in the autosave's journal
    // (the autosave file itself, fsync'd, after a commit). Every change calls it before the
    // window shows the change. Not while an earlier run's autosave waits for an answer, nor while a
    // slot operation runs (its end writes). False, with `message` saying why, when it failed.
    bool writeAutosave();
    // After an agent's change and before its reply: the committed patch and the document go into
    // the journal. Returns a warning for the reply
    // when they could not be written (the window hears of it too).
    std::string persistExternalChange(const std::string& address);
    // A clean quit: the autosave goes (nothing to offer at the next start).
    void removeAutosaveOnQuit();

    engine::PatchGraph document() const; // the pending patch with the editor's positions

signals:
    void statusChanged();
    void dirtyChanged();
    void hasAutosaveChanged();
    void pendingChanged();
    void busyChanged();
    void autoCommitChanged();
    void undoChanged();
    void messageChanged();
    void midiLearningChanged();
    void cableRefused(const QString& reason);
    // After a commit (or an undo of a commit) took: the slot now active (0 = A, 1 = B).
    void committed(int activeSlot);
    void commitFailed(const QString& reason);
    // A new document took the canvas (new, open, demo, restore): the view fits it.
    void documentReplaced();

private:
    friend class DocumentFiles; // open: replaceDocument; messages
    friend class Selection;     // paste, duplicate: insertPatch; messages
    // `namesSlot`: the slot the text says plays (0 A, 1 B), or -1; followActiveSlot keeps it true.
    void setMessage(const QString& text, int namesSlot = -1);
    // The last autosave failure, said with every message until a write works again ("" clears it).
    void setAutosaveFailure(const QString& failure);
    void followActiveSlot();
    void setBusy(bool busy);
    QString freshId(const QString& type) const;
    // After the person's structural edit (a step of the patch controller's): the models, the
    // selection, the autosave.
    void afterUserEdit(const std::set<std::string>& select = {});
    // The patch controller changed the patch: an agent's step (the models catch up, the agent's
    // modules get a place), an undo.
    void patchChanged(app::Author author);
    // After an undo or redo: positions the patch carries become the editor's.
    void afterUndo();

    void applyPositions(const std::map<std::string, QPointF>& positions);
    void moveNodesTo(const std::map<std::string, QPointF>& target);
    bool removeIds(const std::vector<std::string>& ids);
    // Inserts `json`'s modules (not its `out`) under fresh ids, moved so their top-left corner is
    // at (x, y), with their parameters and inner cables; selects them. One undo step.
    bool insertPatch(const QByteArray& json, double x, double y, const QString& verb);
    void placeUnplaced(const engine::PatchGraph& graph);
    // The editor's position of `id`, in the engine's pending patch too when the module is there.
    void setPosition(const std::string& id, QPointF p);
    // Positions the graph carries become the editor's (an undo of a commit, a file an agent loaded).
    void adoptPositions(const engine::PatchGraph& graph);
    QSizeF cardSize(const engine::PatchNode& node) const;
    // The agent's new modules (no position yet) go next to a module they are cabled to, else into
    // free space right of the patch; one placed unconnected moves next to its first cable's other
    // end, unless somebody moved it meanwhile. Never onto a card or a ghost.
    void placeAgentModules(const engine::PatchGraph& pending);
    QPointF freeSpotNear(QPointF wanted, QSizeF size, int direction, const std::string& skip,
                         const engine::PatchGraph& pending) const;
    bool replaceDocument(const engine::PatchGraph& graph, const QString& undoText);
    void updateModels();
    // Submits `operation` to the engine; `done` runs on the GUI thread when it was done.
    void runSlotOperation(const QString& what, engine::SlotOperation operation,
                          std::function<void(const engine::OperationEvent&)> done);
    void finishSlotOperation(const engine::OperationEvent& event);
    // Journals the change at once (writeAutosave); the autosave file follows within autosaveDelayMs.
    void scheduleAutosave();
    bool compactAutosave();
    QJsonObject autosaveState() const;

    engine::SlotEngine& m_engine; // read only: every change goes through m_patch
    EditorOptions m_options;
    app::PatchController m_patch;
    std::unique_ptr<NodeModel> m_nodes;
    std::unique_ptr<CableModel> m_cables;
    std::unique_ptr<PaletteModel> m_palette;
    std::unique_ptr<DocumentFiles> m_files;
    std::unique_ptr<Selection> m_selection;
    std::unique_ptr<AudioSettings> m_audio;
    std::unique_ptr<RecordingControl> m_recording;
    QObject* m_status = nullptr;
    std::map<std::string, QPointF> m_positions; // editor layout by module id
    std::map<std::string, QSizeF> m_cardSizes;  // as the view reported them
    std::set<std::string> m_floating;           // an agent's modules placed before they had a cable
    std::set<std::string> m_floatingPending;    // while placing: modules waiting for their place
    engine::PatchGraph m_lastCommitted;         // what the models show as playing
    QRectF m_viewRect;                          // what the view shows (canvas units); empty: no view
    engine::PatchGraph m_lastPending;           // what the models show (to see external changes)
    // The agent's step the message describes (its pushes and index) and the patch before it.
    std::pair<std::uint64_t, int> m_agentStep{0, -1};
    std::optional<engine::PatchGraph> m_agentStepStart;
    QString m_message;
    int m_messageSlot = -1; // the slot m_message says plays, -1: it names none
    std::uint64_t m_seenFailovers = 0, m_seenRollbacks = 0;
    bool m_dirtyWithoutUndo = false;
    bool m_autosaveOffered = false; // an autosave from an earlier run waits for Restore or Discard
    int m_pendingChanges = 0;
    bool m_busy = false;
    bool m_autoCommit = false;
    int m_gesture = 0;
    QTimer m_autoCommitTimer;
    QTimer m_autosaveTimer;
    std::unique_ptr<app::EditJournal> m_journal; // null: no autosave
    std::uint64_t m_snapshotCommits = 0;         // the engine's commit count when the autosave file was written
    QString m_autosaveFailure; // see setAutosaveFailure
    // Failovers and rollbacks are the engine's own: its counters are watched for them (the patch
    // itself is not polled: its changes come as the patch controller's signals).
    QTimer m_slotWatch;
    // MIDI learn (see midiLearn): what waits, the controller count when it began, since when; and
    // the count the models last showed (mapped knobs follow their controller).
    QString m_midiLearning;
    std::uint64_t m_learnSeen = 0;
    QElapsedTimer m_learnClock;
    QTimer m_learnWatch;
    std::uint64_t m_controllersShown = 0;
    void watchMidiLearn();
    QString m_operationWhat; // the slot operation in flight (m_busy)
    std::function<void(const engine::OperationEvent&)> m_operationDone;
};

} // namespace chronus::editor
