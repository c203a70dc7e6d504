#pragma once
// The one door to the engine's patch. The person (the editor) and the agents (every OSC client)
// edit the same patch through this controller, which is the only writer of the engine's pending
// and committed patches. It keeps the undo history per author: the person's Ctrl+Z takes back the
// person's last step and never an agent's edit made since, an agent's /patch/undo takes back the
// agents' last step and never the person's. An undo of a step that is not the newest is applied as
// its inverse difference on top of the patch as it is now; when the other author changed what the
// step changed since, it is refused with a message saying what, and nothing is clobbered.
//
// Every OSC client is the one author "agent" (requests carry no identity of their agent): two
// agents share one history. An agent's burst (edits closer together than agentBurstMs, nothing
// sealed between) is one step; a person's gesture (a knob drag, a card drag) is one step. A step
// never grows over the other author's change to what it changed (that change would be taken back
// with it).
//
// Edits are transactions: edit() runs a body of engine edits, and when the body fails the pending
// patch is loaded back as it was; batch() (a request of several groups) first runs its body on a
// copy of the pending patch, so a batch that fails sends the engine nothing.
//
// Threads: one thread, the controller's: the editor's GUI thread (the OSC server posts its requests
// there and waits for their answer), or the OSC server's controller thread (`chronus serve`).
// Slot operations (prime, commit, undo of a commit, abort) take the engine tens of milliseconds:
// with `asynchronous` they are submitted to it and their outcome comes back on this thread as an
// event (this thread needs an event loop); without, they block this thread (serve's).

#include "UndoHistory.hpp"
#include "engine/PatchGraph.hpp"
#include "engine/SlotEngine.hpp"
#include "engine/Status.hpp"

#include <QElapsedTimer>
#include <QObject>
#include <QSocketNotifier>
#include <QString>
#include <QTimer>

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>
#include <string>

namespace chronus::app {

class PatchDiff;
using Author = UndoStep::Author;

struct PatchControllerOptions {
    std::size_t undoByteBudget = UndoHistory::kDefaultByteBudget; // per author
    int undoStepLimit = UndoHistory::kDefaultStepLimit;           // per author
    int agentBurstMs = 1000; // an agent's edits this close together are one step; 0: each its own
    bool asynchronous = false; // slot operations are submitted; their outcome comes as an event
};

class PatchController : public QObject {
    Q_OBJECT

public:
    PatchController(engine::SlotEngine& engine, PatchControllerOptions options = {}, QObject* parent = nullptr);
    ~PatchController() override;

    engine::SlotEngine& engine() noexcept { return m_engine; }
    // The engine's pending patch with the positions not sent to it yet (see placeModule).
    engine::PatchGraph pending() const;
    engine::PatchGraph committed() const { return m_engine.committed(); }

    // The edits one step is made of: each reaches the engine at once.
    // In a dry run (batch()) they are made on a copy of the pending patch, which the engine never
    // sees.
    class Edit {
    public:
        engine::Status addModule(std::string_view id, std::string_view type) {
            m_structural = true;
            return m_dry ? m_dry->addModule(id, type) : m_e.addModule(id, type);
        }
        engine::Status removeModule(std::string_view id) {
            m_structural = true;
            return m_dry ? m_dry->removeModule(id) : m_e.removeModule(id);
        }
        engine::Status connect(std::string_view src, std::string_view dst) {
            m_structural = true;
            return m_dry ? m_dry->connect(src, dst) : m_e.connect(src, dst);
        }
        engine::Status disconnect(std::string_view src, std::string_view dst) {
            m_structural = true;
            return m_dry ? m_dry->disconnect(src, dst) : m_e.disconnect(src, dst);
        }
        engine::Result<double> setPending(std::string_view id, std::string_view param, double value) {
            m_structural = true;
            return m_dry ? m_dry->setParam(id, param, value) : m_e.setPending(id, param, value);
        }
        engine::Result<std::string> setPendingText(std::string_view id, std::string_view name, std::string_view text) {
            m_structural = true;
            return m_dry ? m_dry->setText(id, name, text) : m_e.setPendingText(id, name, text);
        }
        // Live on the committed patch too; a step made only of live changes is undone live.
        engine::Result<double> setLive(std::string_view id, std::string_view param, double value) {
            m_live = true;
            return m_dry ? m_dry->setParam(id, param, value) : m_e.setLive(id, param, value);
        }
        engine::Result<std::string> setLiveText(std::string_view id, std::string_view name, std::string_view text) {
            m_live = true;
            return m_dry ? m_dry->setText(id, name, text) : m_e.setLiveText(id, name, text);
        }
        // MIDI mappings: they act at once (see SlotEngine::setMidiMapping); undone as they were made.
        engine::Result<engine::MidiMapping> setMidiMapping(const engine::MidiMapping& mapping) {
            m_structural = true;
            return m_dry ? m_dry->setMidiMapping(mapping) : m_e.setMidiMapping(mapping);
        }
        engine::Status removeMidiMapping(std::string_view id, std::string_view param) {
            m_structural = true;
            return m_dry ? m_dry->removeMidiMapping(id, param) : m_e.removeMidiMapping(id, param);
        }
        engine::Status clear() {
            m_structural = true;
            if (!m_dry)
                return m_e.clear();
            m_dry->clear();
            return {};
        }
        engine::Status load(const engine::PatchGraph& graph) {
            m_structural = true;
            if (!m_dry)
                return m_e.loadPending(graph);
            *m_dry = graph;
            return {};
        }
        void setPosition(std::string_view id, double x, double y) {
            if (m_dry)
                (void)m_dry->setPosition(id, x, y);
            else
                m_c.placeModule(std::string(id), x, y);
        }

    private:
        friend class PatchController;
        Edit(PatchController& c, engine::PatchGraph* dry = nullptr) : m_c(c), m_e(c.m_engine), m_dry(dry) {}
        PatchController& m_c;
        engine::SlotEngine& m_e;
        engine::PatchGraph* m_dry;
        bool m_structural = false; // something else than live changes
        bool m_live = false;
    };

    // Runs `body` as one step of `author`: every edit of it, or (it returned an error) none; the
    // pending patch is what it was then. A `mergeKey` (not empty: one gesture of the person's, a
    // knob drag) merges with the author's last step of the same key. An edit that changed nothing
    // leaves no step.
    engine::Status edit(Author author, const QString& text, const std::function<engine::Status(Edit&)>& body,
                        const QString& mergeKey = {});
    // The same for a request of several groups (an agent's /patch/create a saw b lfo): `body` runs
    // first on a copy of the pending patch, and only when all of it takes there is it made on the
    // engine (so a batch that fails sends the engine nothing). `body` runs twice: it must start
    // from scratch each time (clear what it collects).
    engine::Status batch(Author author, const QString& text, const std::function<engine::Status(Edit&)>& body);
    // An edit already made (the pending patch went from `before` to `after`: an abort, the
    // layout), recorded as a step of `author`.
    void record(Author author, const QString& text, const engine::PatchGraph& before, const engine::PatchGraph& after,
                const QString& mergeKey = {});

    // The author's last step taken back / made again, on the patch as it is. Refused (the history
    // stays, the status says why) when the other author changed what the step changed.
    engine::Status undo(Author author);
    engine::Status redo(Author author);
    UndoHistory& history(Author author) noexcept { return author == Author::User ? m_user : m_agent; }
    const UndoHistory& history(Author author) const noexcept { return author == Author::User ? m_user : m_agent; }
    // The next edits start steps of their own (a commit, a save, an undo happened).
    void seal();

    // Live, no step: a gate.
    engine::Status gate(std::string_view id, bool on) { return m_engine.gate(id, on); }

    // Layout only (no step, no slot hears of it): the engine's pending patch keeps where a module
    // is shown. Never waits for a busy engine: what it cannot take now goes shortly after.
    void placeModule(const std::string& id, double x, double y);
    // Waits until the engine took every position (before a slot operation commits them).
    void sendPositions();

    // Slot operations. `done` gets the outcome on this thread (asynchronous: later, from the
    // event loop; else before this returns). A commit or an undo of one seals both histories.
    void run(Author author, engine::SlotOperation operation, double fadeMs,
             std::function<void(const engine::OperationEvent&)> done);
    // The same, blocking this thread whatever the mode (a restore at start-up). Emits nothing.
    engine::OperationEvent runBlocking(engine::SlotOperation operation, double fadeMs = -1.0);
    bool busy() const noexcept { return m_running > 0; }

    // Asynchronous: runs `task` on this controller's thread (queued) and returns at once. Else runs
    // it now. The OSC server hands its requests over through this.
    void post(std::function<void()> task);

signals:
    // The pending or committed patch changed: an edit, an undo or redo, a slot operation's outcome.
    void changed(chronus::app::UndoStep::Author author);
    // A step was refused or something went wrong that the author should hear of.
    void refused(chronus::app::UndoStep::Author author, const QString& reason);

private:
    class Step;
    engine::Status apply(Step& step, bool undo);
    void push(Author author, const QString& text, PatchDiff diff, bool live, const QString& mergeKey,
              const engine::PatchGraph& before, const engine::PatchGraph& after);
    void finish(Author author, const engine::OperationEvent& event,
                const std::function<void(const engine::OperationEvent&)>& done);
    // Any thread: `task` runs on this object's thread. Threads that are not Qt's (the OSC server's,
    // the engine's operations thread) leave it under a mutex and wake this thread through an
    // eventfd and a QSocketNotifier: no Qt call crosses the threads.
    void enqueue(std::function<void()> task);
    void takeInbox(); // this object's thread, when m_inboxWake fires

    engine::SlotEngine& m_engine;
    PatchControllerOptions m_options;
    UndoHistory m_user, m_agent;
    QElapsedTimer m_clock; // stamps agents' edits (bursts)
    // During push: the patch before the new edit and after it (a merge chains the differences).
    const engine::PatchGraph* m_mergeBefore = nullptr;
    const engine::PatchGraph* m_mergeEnd = nullptr;
    engine::Status m_refusal; // why the last undo or redo was refused
    std::map<std::string, std::array<double, 2>> m_unsentPositions; // the engine was busy
    QTimer m_positionsTimer;
    int m_running = 0; // slot operations in flight
    std::mutex m_inboxMutex;
    std::vector<std::function<void()>> m_inbox; // guarded by m_inboxMutex
    int m_inboxWake = -1;                        // eventfd (asynchronous only)
    std::unique_ptr<QSocketNotifier> m_inboxNotifier;
};

} // namespace chronus::app
