#include "PatchController.hpp"

#include "PatchDiff.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>

namespace chronus::app {

using engine::ErrorCode;
using engine::PatchGraph;
using engine::PatchNode;
using engine::Status;

namespace {

std::string paramName(const PatchGraph& g, const std::string& id, std::uint32_t index) {
    const PatchNode* node = g.find(id);
    return id + "." + (node ? node->type->params[index].id : "?");
}

// Empty when `diff` can be taken back (undo) or made again (redo) on `now`: what it would change is
// still as the step left it. Otherwise what somebody else changed since, for the refusal.
std::string conflictOf(const PatchDiff& diff, bool undo, const PatchGraph& now) {
    if (diff.mappingsChanged() &&
        now.midiMappings() != diff.mappings(undo ? PatchDiff::Direction::Forward : PatchDiff::Direction::Backward))
        return "the MIDI mappings were changed since";
    const auto& made = undo ? diff.addedNodes() : diff.removedNodes();  // they go again
    const auto& gone = undo ? diff.removedNodes() : diff.addedNodes();  // they come back
    const auto& madeCables = undo ? diff.addedCables() : diff.removedCables();
    for (const PatchDiff::PlacedNode& p : gone)
        if (now.find(p.node.id))
            return p.node.id + " was made again since";
    for (const PatchDiff::PlacedNode& p : made) {
        const PatchNode* node = now.find(p.node.id);
        if (!node || node->type != p.node.type)
            return p.node.id + (node ? " was replaced since" : " was deleted since");
        for (std::size_t k = 0; k < node->params.size(); ++k)
            if (node->params[k] != p.node.params[k])
                return paramName(now, p.node.id, static_cast<std::uint32_t>(k)) + " was changed since";
        const auto mine = [&](const engine::Cable& c) {
            return std::any_of(madeCables.begin(), madeCables.end(),
                               [&](const PatchDiff::PlacedCable& m) { return m.cable == c; });
        };
        for (const engine::Cable& c : now.cables())
            if ((c.from == p.node.id || c.to == p.node.id) && !mine(c))
                return p.node.id + " was cabled since";
    }
    const auto cableName = [&](const engine::Cable& c) { // "saw1.out -> out.left"
        const PatchNode* from = now.find(c.from);
        const PatchNode* to = now.find(c.to);
        return c.from + "." + (from ? from->type->outputs[static_cast<std::size_t>(c.fromPort)].id : "?") + " -> " +
               c.to + "." + (to ? to->type->inputs[static_cast<std::size_t>(c.toPort)].id : "?");
    };
    const auto& goneCables = undo ? diff.removedCables() : diff.addedCables(); // they come back
    for (const PatchDiff::PlacedCable& c : madeCables)
        if (std::find(now.cables().begin(), now.cables().end(), c.cable) == now.cables().end())
            return "the cable " + cableName(c.cable) + " was removed since";
    for (const PatchDiff::PlacedCable& c : goneCables)
        if (std::find(now.cables().begin(), now.cables().end(), c.cable) != now.cables().end())
            return "the cable " + cableName(c.cable) + " was made again since";
    for (const PatchDiff::NodeChange& change : diff.changedNodes()) {
        const PatchNode* node = now.find(change.id);
        if (!node)
            return change.id + " was deleted since";
        for (const PatchDiff::ParamChange& p : change.params)
            if (node->params[p.index] != (undo ? p.after : p.before))
                return paramName(now, change.id, p.index) + " was changed since";
    }
    return {};
}

bool onlyParamsAndPositions(const PatchDiff& diff) {
    return diff.addedNodes().empty() && diff.removedNodes().empty() && diff.addedCables().empty() &&
           diff.removedCables().empty();
}

} // namespace

// One step: the difference the author's edit made to the pending patch (with the layout), and
// whether it was made live (then it is taken back live: the committed patch follows too).
class PatchController::Step : public UndoStep {
public:
    Step(PatchController& c, const QString& text, Author author, PatchDiff diff, bool live, QString mergeKey, qint64 at)
        : UndoStep(text, author), m_c(c), m_diff(std::move(diff)), m_live(live), m_mergeKey(std::move(mergeKey)),
          m_at(at) {}

    bool undo() override { return done(m_c.apply(*this, true)); }
    bool redo() override { return done(m_c.apply(*this, false)); }
    std::size_t bytes() const override { return sizeof(*this) + textBytes() + m_diff.bytes() - sizeof(PatchDiff); }

    // An agent's next edit within its burst, the person's next edit of the same gesture.
    bool mergeWith(const UndoStep& next) override {
        const auto* o = dynamic_cast<const Step*>(&next);
        if (!o || !m_c.m_mergeEnd || o->author() != author())
            return false;
        // Not over the other author's change to what this step changed (made between its edits):
        // the merged difference would hold it, and this author's undo would take it back too.
        if (!conflictOf(m_diff, true, *m_c.m_mergeBefore).empty())
            return false;
        if (author() == Author::Agent) {
            if (o->m_at - m_at >= m_c.m_options.agentBurstMs)
                return false;
            setText(QStringLiteral("Agent edits (OSC)"));
        } else if (m_mergeKey.isEmpty() || o->m_mergeKey != m_mergeKey) {
            return false;
        }
        m_diff = m_diff.then(o->m_diff, *m_c.m_mergeEnd);
        m_live = m_live && o->m_live;
        m_at = o->m_at;
        return true;
    }

    const PatchDiff& diff() const noexcept { return m_diff; }
    bool live() const noexcept { return m_live; }

private:
    bool done(Status s) {
        m_c.m_refusal = s;
        return s.ok();
    }
    PatchController& m_c;
    PatchDiff m_diff;
    bool m_live;
    QString m_mergeKey; // the person's steps with the same key merge (one gesture)
    qint64 m_at; // the last edit's time (m_clock)
};

PatchController::PatchController(engine::SlotEngine& engine, PatchControllerOptions options, QObject* parent)
    : QObject(parent), m_engine(engine), m_options(options) {
    m_user.setLimits(m_options.undoByteBudget, m_options.undoStepLimit);
    m_agent.setLimits(m_options.undoByteBudget, m_options.undoStepLimit);
    m_clock.start();
    if (m_options.asynchronous) {
        m_inboxWake = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (m_inboxWake >= 0) {
            m_inboxNotifier = std::make_unique<QSocketNotifier>(m_inboxWake, QSocketNotifier::Read, this);
            connect(m_inboxNotifier.get(), &QSocketNotifier::activated, this, &PatchController::takeInbox);
        }
    }
    m_positionsTimer.setSingleShot(true);
    m_positionsTimer.setInterval(20);
    connect(&m_positionsTimer, &QTimer::timeout, this, [this] {
        for (auto it = m_unsentPositions.begin(); it != m_unsentPositions.end();) {
            if (!m_engine.trySetPendingPosition(it->first, it->second[0], it->second[1])) {
                m_positionsTimer.start(); // still busy
                return;
            }
            it = m_unsentPositions.erase(it);
        }
    });
}

PatchController::~PatchController() {
    m_engine.waitForOperations(); // their outcomes are posted to this object
    m_inboxNotifier.reset();
    if (m_inboxWake >= 0)
        ::close(m_inboxWake);
}

void PatchController::enqueue(std::function<void()> task) {
    {
        std::lock_guard lock(m_inboxMutex);
        m_inbox.push_back(std::move(task));
    }
    if (m_inboxWake < 0) { // no eventfd to be had (out of descriptors): a queued call
        QMetaObject::invokeMethod(this, &PatchController::takeInbox, Qt::QueuedConnection);
        return;
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(m_inboxWake, &one, sizeof one);
}

void PatchController::takeInbox() {
    if (m_inboxWake >= 0) { // the count does not matter: every task waiting is taken below
        std::uint64_t count = 0;
        [[maybe_unused]] const ssize_t n = ::read(m_inboxWake, &count, sizeof count);
    }
    std::vector<std::function<void()>> tasks;
    {
        std::lock_guard lock(m_inboxMutex);
        tasks.swap(m_inbox);
    }
    for (std::function<void()>& task : tasks)
        task();
}

PatchGraph PatchController::pending() const {
    PatchGraph graph = m_engine.pending();
    for (const auto& [id, p] : m_unsentPositions)
        (void)graph.setPosition(id, p[0], p[1]);
    return graph;
}

void PatchController::placeModule(const std::string& id, double x, double y) {
    if (m_engine.trySetPendingPosition(id, x, y)) {
        m_unsentPositions.erase(id);
        return;
    }
    m_unsentPositions[id] = {x, y};
    if (m_options.asynchronous && !m_positionsTimer.isActive())
        m_positionsTimer.start();
}

void PatchController::sendPositions() {
    for (const auto& [id, p] : m_unsentPositions)
        (void)m_engine.setPendingPosition(id, p[0], p[1]);
    m_unsentPositions.clear();
    m_positionsTimer.stop();
}

void PatchController::seal() {
    m_user.seal();
    m_agent.seal();
}

Status PatchController::edit(Author author, const QString& text, const std::function<Status(Edit&)>& body,
                             const QString& mergeKey) {
    const PatchGraph before = pending();
    Edit e(*this);
    const Status s = body(e);
    PatchGraph after = pending();
    if (!s) {
        // None of it: the pending patch as it was (live changes are taken back live).
        if (!(after == before)) {
            Step back(*this, text, author, PatchDiff::between(before, after), !e.m_structural, {}, 0);
            if (Status undone = apply(back, true); !undone)
                (void)m_engine.loadPending(before);
            emit changed(author);
        }
        return s;
    }
    PatchDiff diff = PatchDiff::between(before, after);
    if (diff.empty())
        return s;
    push(author, text, std::move(diff), e.m_live && !e.m_structural, mergeKey, before, after);
    emit changed(author);
    return s;
}

Status PatchController::batch(Author author, const QString& text, const std::function<Status(Edit&)>& body) {
    PatchGraph dry = pending();
    Edit check(*this, &dry);
    if (Status s = body(check); !s)
        return s;
    return edit(author, text, body); // what only the engine checks (its memory budget) is undone there
}

void PatchController::record(Author author, const QString& text, const PatchGraph& before, const PatchGraph& after,
                             const QString& mergeKey) {
    PatchDiff diff = PatchDiff::between(before, after);
    if (!diff.empty())
        push(author, text, std::move(diff), false, mergeKey, before, after);
}

void PatchController::push(Author author, const QString& text, PatchDiff diff, bool live, const QString& mergeKey,
                           const PatchGraph& before, const PatchGraph& after) {
    m_mergeBefore = &before;
    m_mergeEnd = &after;
    history(author).push(std::make_unique<Step>(*this, text, author, std::move(diff), live, mergeKey, m_clock.elapsed()));
    m_mergeBefore = m_mergeEnd = nullptr;
}

Status PatchController::undo(Author author) {
    UndoHistory& h = history(author);
    if (!h.canUndo())
        return Status::error(ErrorCode::InvalidArgument, "nothing to undo");
    m_refusal = {};
    if (!h.undo()) {
        const Status why = m_refusal;
        emit refused(author, QString::fromStdString(why.message()));
        return why;
    }
    emit changed(author);
    return {};
}

Status PatchController::redo(Author author) {
    UndoHistory& h = history(author);
    if (!h.canRedo())
        return Status::error(ErrorCode::InvalidArgument, "nothing to redo");
    m_refusal = {};
    if (!h.redo()) {
        const Status why = m_refusal;
        emit refused(author, QString::fromStdString(why.message()));
        return why;
    }
    emit changed(author);
    return {};
}

// The step taken back (undo) or made again, on the pending patch as it is now. Parameters and
// positions alone are set one by one (live when the step was live); anything structural loads the
// patch the difference gives.
Status PatchController::apply(Step& step, bool undo) {
    const PatchDiff& diff = step.diff();
    const PatchGraph now = pending();
    const QString verb = undo ? QStringLiteral("undo") : QStringLiteral("redo");
    // "since": by the other author, or by a slot operation (an abort, an undo of a commit).
    if (const std::string why = conflictOf(diff, undo, now); !why.empty())
        return Status::error(ErrorCode::InvalidArgument, verb.toStdString() + " of '" + step.text().toStdString() +
                                                             "' refused: " + why + "; nothing was changed");
    if (onlyParamsAndPositions(diff)) {
        for (const PatchDiff::NodeChange& change : diff.changedNodes()) {
            const PatchNode* node = now.find(change.id);
            PatchNode target = *node;
            bool texts = false;
            for (const PatchDiff::ParamChange& p : change.params) {
                const double value = undo ? p.before : p.after;
                target.params[p.index] = value;
                const engine::ParamSpec& spec = node->type->params[p.index];
                if (spec.flags & engine::ParamHidden) {
                    texts = true; // set through its text form, below
                    continue;
                }
                auto set = step.live() ? m_engine.setLive(change.id, spec.id, value)
                                       : m_engine.setPending(change.id, spec.id, value);
                if (!set)
                    return set.status();
            }
            if (texts && node->type->text) {
                const auto& forms = node->type->text->texts;
                for (std::size_t t = 0; t < forms.size(); ++t) {
                    const std::string want = PatchGraph::textOf(target, static_cast<int>(t));
                    if (want == PatchGraph::textOf(*node, static_cast<int>(t)))
                        continue;
                    auto set = step.live() ? m_engine.setLiveText(change.id, forms[t].id, want)
                                           : m_engine.setPendingText(change.id, forms[t].id, want);
                    if (!set)
                        return set.status();
                }
            }
            if (change.positionChanged)
                if (const auto& p = undo ? change.positionBefore : change.positionAfter)
                    placeModule(change.id, (*p)[0], (*p)[1]);
        }
        if (diff.mappingsChanged()) {
            const auto& want = diff.mappings(undo ? PatchDiff::Direction::Backward : PatchDiff::Direction::Forward);
            for (const engine::MidiMapping& m : now.midiMappings())
                if (std::none_of(want.begin(), want.end(), [&](const engine::MidiMapping& w) {
                        return w.module == m.module && w.param == m.param;
                    }))
                    if (Status s = m_engine.removeMidiMapping(m.module, m.param); !s)
                        return s;
            for (const engine::MidiMapping& m : want)
                if (auto set = m_engine.setMidiMapping(m); !set)
                    return set.status();
        }
        return {};
    }
    std::vector<std::string> left;
    const PatchGraph target = diff.apply(now, undo ? PatchDiff::Direction::Backward : PatchDiff::Direction::Forward,
                                         &left);
    if (!left.empty())
        return Status::error(ErrorCode::InvalidArgument, verb.toStdString() + " of '" + step.text().toStdString() +
                                                             "' refused: " + left.front() + "; nothing was changed");
    if (Status s = m_engine.loadPending(target); !s)
        return s;
    m_unsentPositions.clear(); // the patch loaded carries them
    return {};
}

void PatchController::post(std::function<void()> task) {
    if (m_options.asynchronous)
        enqueue(std::move(task));
    else
        task();
}

void PatchController::run(Author author, engine::SlotOperation operation, double fadeMs,
                          std::function<void(const engine::OperationEvent&)> done) {
    sendPositions(); // the layout goes into what the operation commits
    seal();          // edits after it are steps of their own
    if (m_options.asynchronous) {
        ++m_running;
        // The outcome comes on the engine's operations thread: over to this one through the inbox (the
        // destructor waits for the engine's operations before the inbox goes).
        m_engine.submit(
            operation,
            [this, author, done = std::move(done)](const engine::OperationEvent& event) {
                enqueue([this, author, done, event] {
                    --m_running;
                    finish(author, event, done);
                });
            },
            fadeMs);
        return;
    }
    finish(author, runBlocking(operation, fadeMs), done);
}

engine::OperationEvent PatchController::runBlocking(engine::SlotOperation operation, double fadeMs) {
    sendPositions();
    seal();
    engine::OperationEvent event;
    event.operation = operation;
    const auto failed = [&event](const Status& s) {
        event.outcome = engine::OperationOutcome::Refused;
        event.status = s;
    };
    switch (operation) {
    case engine::SlotOperation::Prime:
        if (auto r = m_engine.prime())
            event.primeMs = r.value();
        else
            failed(r.status());
        break;
    case engine::SlotOperation::Commit:
    case engine::SlotOperation::UndoCommit:
        if (auto r = operation == engine::SlotOperation::Commit ? m_engine.commit(fadeMs) : m_engine.undoCommit(fadeMs))
            event.report = r.value();
        else
            failed(r.status());
        break;
    case engine::SlotOperation::Abort:
        if (Status s = m_engine.abort(); !s)
            failed(s);
        break;
    }
    return event;
}

void PatchController::finish(Author author, const engine::OperationEvent& event,
                             const std::function<void(const engine::OperationEvent&)>& done) {
    seal();
    if (event.operation != engine::SlotOperation::Prime)
        emit changed(author);
    if (done)
        done(event);
}

} // namespace chronus::app
