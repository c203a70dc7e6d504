#include "EditorController.hpp"

#include "AudioSettings.hpp"
#include "DocumentFiles.hpp"
#include "EditJournal.hpp"
#include "RecordingControl.hpp"
#include "Selection.hpp"

#include "CardGeometry.hpp"
#include "GraphModels.hpp"
#include "PatchLayout.hpp"
#include "PaletteModel.hpp"
#include "PatchFile.hpp"
#include "engine/ModuleRegistry.hpp"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>
#include <QSaveFile>

#include <algorithm>
#include <cmath>

namespace chronus::editor {

using app::Author;
using engine::PatchGraph;
using engine::PatchNode;
using Edit = app::PatchController::Edit;

namespace {

constexpr double kGridStep = 20.0;
// A card's measures as NodeItem.qml draws them (CardGeometry, Theme.qml), for placing cards the
// view has not reported yet.
constexpr double kCardWidth = CardGeometry::kNodeWidth;
constexpr double kCardHeader = CardGeometry::kPortsTop;
constexpr double kPortRow = CardGeometry::kPortRow;
constexpr double kParamRow = 24.0;
constexpr double kTextRow = 26.0;
constexpr double kCardGap = 20.0;   // kept clear around every card
constexpr double kColumnGap = 80.0; // between a card and the one it is cabled to: room for the cable

QString fromStd(const std::string& s) { return QString::fromStdString(s); }
std::string toStd(const QString& s) { return s.toStdString(); }

// Module ids in undo texts: "Delete saw1", "Delete 3 modules".
QString describeIds(const std::vector<std::string>& ids, const QString& verb) {
    if (ids.size() == 1)
        return verb + QLatin1Char(' ') + fromStd(ids.front());
    return QStringLiteral("%1 %2 modules").arg(verb).arg(ids.size());
}

QString cableText(const PatchGraph& g, const engine::Cable& c) {
    const PatchNode* from = g.find(c.from);
    const PatchNode* to = g.find(c.to);
    return QStringLiteral("%1.%2 → %3.%4")
        .arg(fromStd(c.from), QString::fromUtf8(from->type->outputs[static_cast<std::size_t>(c.fromPort)].id),
             fromStd(c.to), QString::fromUtf8(to->type->inputs[static_cast<std::size_t>(c.toPort)].id));
}

// What changed from `before` to `after`, for the status line: "created osc2 (saw)", "connected
// osc2.out → vca1.in", "set osc2.freq 220"; a summary when it is a lot.
QStringList describeEdit(const PatchGraph& before, const PatchGraph& after) {
    QStringList created, deleted, connected, disconnected, set;
    for (const PatchNode& n : after.nodes()) {
        const PatchNode* old = before.find(n.id);
        if (!old || old->type != n.type) {
            created << QStringLiteral("%1 (%2)").arg(fromStd(n.id), QString::fromUtf8(n.type->id));
            continue;
        }
        for (std::size_t p = 0; p < n.params.size(); ++p)
            if (n.params[p] != old->params[p])
                set << QStringLiteral("%1.%2 %3").arg(fromStd(n.id), QString::fromUtf8(n.type->params[p].id),
                                                      QString::number(n.params[p], 'g', 6));
    }
    for (const PatchNode& n : before.nodes())
        if (!after.find(n.id))
            deleted << fromStd(n.id);
    for (const engine::Cable& c : after.cables())
        if (std::find(before.cables().begin(), before.cables().end(), c) == before.cables().end())
            connected << cableText(after, c);
    for (const engine::Cable& c : before.cables())
        if (std::find(after.cables().begin(), after.cables().end(), c) == after.cables().end())
            disconnected << cableText(before, c);
    QStringList out;
    auto add = [&out](const QStringList& items, const char* verb, const char* one, const char* many) {
        if (items.isEmpty())
            return;
        out << (items.size() <= 3 ? QLatin1String(verb) + QLatin1Char(' ') + items.join(QStringLiteral(", "))
                                  : QStringLiteral("%1 %2 %3").arg(QLatin1String(verb)).arg(items.size()).arg(
                                        QLatin1String(items.size() == 1 ? one : many)));
    };
    add(created, "created", "module", "modules");
    add(deleted, "deleted", "module", "modules");
    add(disconnected, "disconnected", "cable", "cables");
    add(connected, "connected", "cable", "cables");
    add(set, "set", "parameter", "parameters");
    return out;
}

} // namespace

EditorController::EditorController(engine::SlotEngine& engine, EditorOptions options, QObject* parent)
    : QObject(parent), m_engine(engine), m_options(std::move(options)),
      m_patch(engine, {m_options.undoByteBudget, m_options.undoStepLimit, m_options.agentBurstMs, true}),
      m_nodes(std::make_unique<NodeModel>()), m_cables(std::make_unique<CableModel>()),
      m_palette(std::make_unique<PaletteModel>()),
      m_files(std::make_unique<DocumentFiles>(*this, m_options.settingsScope, m_options.patchesFolder)),
      m_selection(std::make_unique<Selection>(*this, *m_nodes)), m_audio(std::make_unique<AudioSettings>()),
      m_recording(std::make_unique<RecordingControl>()) {
    connect(m_audio.get(), &AudioSettings::message, this, [this](const QString& text) { setMessage(text); });
    connect(m_recording.get(), &RecordingControl::message, this, [this](const QString& text) { setMessage(text); });
    for (Author author : {Author::User, Author::Agent}) {
        app::UndoHistory& history = m_patch.history(author);
        connect(&history, &app::UndoHistory::changed, this, &EditorController::undoChanged);
        connect(&history, &app::UndoHistory::cleanChanged, this, &EditorController::dirtyChanged);
        // A save changes what the autosave says of the file: whether it has unsaved changes.
        connect(&history, &app::UndoHistory::cleanChanged, this, &EditorController::scheduleAutosave);
    }
    connect(&m_patch, &app::PatchController::changed, this, &EditorController::patchChanged);
    connect(&m_patch, &app::PatchController::refused, this, [this](Author, const QString& reason) { setMessage(reason); });

    m_autoCommitTimer.setSingleShot(true);
    m_autoCommitTimer.setInterval(m_options.autoCommitDelayMs);
    connect(&m_autoCommitTimer, &QTimer::timeout, this, [this] {
        if (m_autoCommit && m_pendingChanges > 0)
            commit();
    });
    m_autosaveTimer.setSingleShot(true);
    m_autosaveTimer.setInterval(m_options.autosaveDelayMs);
    connect(&m_autosaveTimer, &QTimer::timeout, this, [this] { compactAutosave(); });
    // A save changes what the autosave says of the file: its name.
    connect(m_files.get(), &DocumentFiles::filePathChanged, this, &EditorController::scheduleAutosave);
    m_slotWatch.setInterval(100);
    connect(&m_slotWatch, &QTimer::timeout, this, &EditorController::followActiveSlot);
    m_slotWatch.start();
    m_learnWatch.setInterval(20);
    connect(&m_learnWatch, &QTimer::timeout, this, &EditorController::watchMidiLearn);
    // An earlier run's autosave (its file, or a journal with records) waits for Restore or Discard;
    // until then this run's changes are not journaled, so they cannot bury it.
    if (!m_options.autosavePath.isEmpty()) {
        m_journal = std::make_unique<app::EditJournal>(app::EditJournal::pathFor(m_options.autosavePath));
        m_autosaveOffered = QFileInfo::exists(m_options.autosavePath) || QFileInfo(m_journal->path()).size() > 0;
        if (m_autosaveOffered)
            m_journal->close(QStringLiteral("the autosave of an earlier session waits for Restore or Discard in the "
                                            "editor; until then changes are not kept"));
        else if (auto s = m_journal->open(); !s)
            setAutosaveFailure(QStringLiteral("autosave failed: ") + fromStd(s.message()));
    }
    m_lastPending = m_patch.pending();
    adoptPositions(m_lastPending);
    placeUnplaced(m_lastPending);
    updateModels();
    const engine::EngineStats stats = m_engine.stats();
    m_seenFailovers = stats.failovers;
    m_seenRollbacks = stats.rollbacks;
}

EditorController::~EditorController() {
    for (Author author : {Author::User, Author::Agent}) // the histories outlive the journal
        disconnect(&m_patch.history(author), &app::UndoHistory::cleanChanged, this, &EditorController::scheduleAutosave);
    m_engine.waitForOperations(); // their outcomes are posted to m_patch
}

void EditorController::setStatusModel(QObject* status) {
    m_status = status;
    emit statusChanged();
}

bool EditorController::canUndoCommit() const { return !m_busy && m_engine.canUndoCommit(); }

void EditorController::setAutoCommit(bool on) {
    if (on == m_autoCommit)
        return;
    m_autoCommit = on;
    emit autoCommitChanged();
    if (on && m_pendingChanges > 0)
        m_autoCommitTimer.start();
}

QString EditorController::undoHistoryText() const {
    const QLocale locale;
    const app::UndoHistory& history = m_patch.history(Author::User);
    return QStringLiteral("%1 %2 kept (%3 of %4)")
        .arg(locale.toString(history.count()), history.count() == 1 ? QStringLiteral("step") : QStringLiteral("steps"),
             locale.formattedDataSize(static_cast<qint64>(history.bytes()), 0),
             locale.formattedDataSize(static_cast<qint64>(history.byteBudget()), 0));
}

void EditorController::setMessage(const QString& text, int namesSlot) {
    m_messageSlot = namesSlot;
    // Until an autosave works again, every message says that changes are not kept.
    const QString shown = m_autosaveFailure.isEmpty() || text.contains(m_autosaveFailure)
                              ? text
                              : text + QStringLiteral(" \u2014 ") + m_autosaveFailure;
    if (shown == m_message)
        return;
    m_message = shown;
    emit messageChanged();
}

void EditorController::setAutosaveFailure(const QString& failure) {
    m_autosaveFailure = failure;
    if (!failure.isEmpty())
        setMessage(failure);
}

void EditorController::setBusy(bool busy) {
    if (busy == m_busy)
        return;
    m_busy = busy;
    emit busyChanged();
    emit pendingChanged(); // canUndoCommit
}

// ---------------------------------------------------------------------------------------------
// Models

void EditorController::updateModels() {
    const PatchGraph pending = m_patch.pending();
    const PatchGraph committed = m_engine.committed();
    m_lastPending = pending;
    m_lastCommitted = committed;
    // Layout of modules that are in neither patch is history: the undo stack's patches carry their
    // own, and a new module that takes a gone one's id must be placed afresh.
    for (auto it = m_positions.begin(); it != m_positions.end();) {
        if (!pending.find(it->first) && !committed.find(it->first)) {
            m_cardSizes.erase(it->first);
            m_floating.erase(it->first);
            it = m_positions.erase(it);
        } else {
            ++it;
        }
    }
    m_nodes->update(pending, committed, m_positions);
    m_cables->update(pending, committed);
    const int changes = m_nodes->pendingCount() + m_cables->pendingCount();
    if (changes != m_pendingChanges) {
        m_pendingChanges = changes;
        emit pendingChanged();
    }
}

void EditorController::patchChanged(Author author) {
    if (author == Author::User)
        return; // the person's edits and undos update the window where they are made
    const PatchGraph before = m_lastPending;
    const PatchGraph committedBefore = m_lastCommitted;
    PatchGraph now = m_patch.pending();
    if (!(now == before)) {
        adoptPositions(now); // a patch the agent loaded comes with its layout
        placeAgentModules(now);
        now = m_patch.pending();
    }
    updateModels();
    // The message says what the agent's step did so far (a burst of edits is one step).
    const app::UndoHistory& agent = m_patch.history(Author::Agent);
    const std::pair<std::uint64_t, int> step{agent.pushes(), agent.index()};
    if (!(m_lastCommitted == committedBefore))
        m_agentStepStart = now; // a commit ends the step: the message says what it did
    if (!m_agentStepStart || step != m_agentStep) {
        m_agentStepStart = before;
        m_agentStep = step;
    }
    QStringList done = describeEdit(*m_agentStepStart, now);
    if (!m_busy && !(m_lastCommitted == committedBefore))
        done << QStringLiteral("committed (slot %1 plays)").arg(m_engine.stats().activeSlot == 0 ? QStringLiteral("A")
                                                                                               : QStringLiteral("B"));
    if (!done.isEmpty())
        setMessage(QStringLiteral("agent: ") + done.join(QStringLiteral("; ")),
                   !(m_lastCommitted == committedBefore) ? m_engine.stats().activeSlot : -1);
    emit pendingChanged();
}

// The engine switched slots on its own (a failover, a rollback): a message that names the slot
// playing must not go on naming the other one.
void EditorController::followActiveSlot() {
    // Mapped parameters move with their controllers, in the engine's pending patch: the knobs follow.
    if (const std::uint64_t seen = m_engine.lastController().count; seen != m_controllersShown) {
        m_controllersShown = seen;
        if (!m_lastPending.midiMappings().empty())
            updateModels();
    }
    const engine::EngineStats s = m_engine.stats();
    const bool failover = s.failovers > m_seenFailovers;
    const bool rollback = s.rollbacks > m_seenRollbacks;
    m_seenFailovers = s.failovers;
    m_seenRollbacks = s.rollbacks;
    if (m_busy || s.activeSlot == m_messageSlot || m_messageSlot < 0)
        return;
    const QString now = s.activeSlot == 0 ? QStringLiteral("A") : QStringLiteral("B");
    const QString before = s.activeSlot == 0 ? QStringLiteral("B") : QStringLiteral("A");
    if (rollback)
        setMessage(QStringLiteral("commit rolled back: slot %1 plays the previous patch").arg(now), s.activeSlot);
    else if (failover)
        setMessage(QStringLiteral("failover: slot %1 failed, slot %2 plays the committed patch").arg(before, now),
                   s.activeSlot);
    else
        setMessage(QStringLiteral("slot %1 plays now").arg(now), s.activeSlot);
}

void EditorController::setPosition(const std::string& id, QPointF p) {
    m_positions[id] = p;
    // Ghosts (committed, gone from the pending patch) and ids not added yet are refused: fine.
    // Never waits for the engine (a commit holds it through its fade): the patch controller sends
    // what could not go now shortly after, or before the next slot operation.
    m_patch.placeModule(id, p.x(), p.y());
    (void)m_lastPending.setPosition(id, p.x(), p.y());
}

void EditorController::adoptPositions(const PatchGraph& graph) {
    for (const PatchNode& n : graph.nodes()) {
        if (!n.position)
            continue;
        const QPointF p((*n.position)[0], (*n.position)[1]);
        if (auto it = m_positions.find(n.id); it == m_positions.end() || it->second != p) {
            m_positions[n.id] = p;
            m_floating.erase(n.id); // placed by whoever sent it
        }
    }
}

void EditorController::setCardSize(const QString& id, double width, double height) {
    if (width > 0.0 && height > 0.0)
        m_cardSizes[toStd(id)] = QSizeF(width, height);
}

// What a card of this type measures in the view (NodeItem.qml: header, a row per port pair, a
// row per visible parameter, a row per text form), for cards the view has not reported yet.
QSizeF EditorController::cardSize(const PatchNode& node) const {
    if (auto it = m_cardSizes.find(node.id); it != m_cardSizes.end())
        return it->second;
    const engine::ModuleType& t = *node.type;
    const std::size_t ports = std::max(t.inputs.size(), t.outputs.size());
    std::size_t params = 0;
    for (const engine::ParamSpec& p : t.params)
        params += (p.flags & engine::ParamHidden) ? 0 : 1;
    const std::size_t texts = t.text ? t.text->texts.size() : 0;
    const double height = kCardHeader + kPortRow * static_cast<double>(ports) + (ports > 0 ? 6.0 : 0.0) +
                          kParamRow * static_cast<double>(params) + kTextRow * static_cast<double>(texts) + 8.0;
    return {kCardWidth, height};
}

QRectF EditorController::cardRect(const QString& id) const {
    const std::string key = toStd(id);
    const auto p = m_positions.find(key);
    const PatchNode* node = m_lastPending.find(key);
    if (!node)
        node = m_lastCommitted.find(key);
    if (p == m_positions.end() || !node)
        return {};
    return {p->second, cardSize(*node)};
}

// The nearest free place for a card of `size` to `wanted`: down or up the column first (cards
// stack by signal flow), then the next column out in `direction` (-1 left, +1 right; 0: this
// column only, downwards). Every card of the pending patch and every ghost counts, but `skip`
// (the card being placed) and the cards still waiting for their place.
QPointF EditorController::freeSpotNear(QPointF wanted, QSizeF size, int direction, const std::string& skip,
                                       const PatchGraph& pending) const {
    std::vector<QRectF> taken;
    auto take = [&](const PatchNode& n) {
        if (n.id == skip)
            return;
        if (auto p = m_positions.find(n.id); p != m_positions.end() && !m_floatingPending.count(n.id))
            taken.push_back(QRectF(p->second, cardSize(n)).adjusted(-kCardGap, -kCardGap, kCardGap, kCardGap));
    };
    for (const PatchNode& n : pending.nodes())
        take(n);
    for (const PatchNode& n : m_lastCommitted.nodes())
        if (!pending.find(n.id))
            take(n);
    auto snap = [](double v) { return std::round(v / kGridStep) * kGridStep; };
    auto freeAt = [&](QPointF p) {
        const QRectF r(p, size);
        return std::none_of(taken.begin(), taken.end(), [&](const QRectF& t) { return t.intersects(r); });
    };
    for (int column = 0; column < (direction == 0 ? 1 : 12); ++column) {
        const double x = snap(wanted.x() + direction * column * (kCardWidth + kColumnGap));
        for (int step = 0; step <= 60; ++step) {
            for (int sign : {1, -1}) {
                if (direction == 0 && sign < 0)
                    break; // one column, downwards only
                const QPointF p(x, snap(wanted.y() + sign * step * kGridStep));
                if (freeAt(p))
                    return p;
                if (step == 0)
                    break;
            }
        }
    }
    // A very crowded canvas: right of everything.
    double right = wanted.x();
    for (const QRectF& t : taken)
        right = std::max(right, t.right());
    return {snap(right + kColumnGap), snap(wanted.y())};
}

void EditorController::placeAgentModules(const PatchGraph& pending) {
    // The ends of every cable, both ways, by id.
    std::map<std::string, std::vector<std::pair<std::string, int>>> peers; // id -> (peer, -1 feeds it / +1 fed by it)
    for (const engine::Cable& c : pending.cables()) {
        peers[c.from].push_back({c.to, -1}); // `from` sits left of what it feeds
        peers[c.to].push_back({c.from, +1});
    }
    std::vector<std::string> todo;
    for (const PatchNode& n : pending.nodes())
        if (!m_positions.count(n.id) || (m_floating.count(n.id) && peers.count(n.id)))
            todo.push_back(n.id);
    m_floatingPending.clear();
    for (const std::string& id : todo)
        m_floatingPending.insert(id); // not an obstacle until placed again
    // Modules next to a placed peer first, repeatedly (a chain an agent built in one go grows from
    // what was there); what is left has no placed peer.
    bool progress = true;
    while (progress && !todo.empty()) {
        progress = false;
        for (auto it = todo.begin(); it != todo.end();) {
            const PatchNode& node = *pending.find(*it);
            const PatchNode* anchor = nullptr;
            int side = 0;
            for (const auto& [peer, dir] : peers[*it]) {
                if (!m_positions.count(peer) || m_floatingPending.count(peer))
                    continue;
                anchor = pending.find(peer);
                side = dir;
                break;
            }
            if (!anchor) {
                ++it;
                continue;
            }
            const QPointF at = m_positions.at(anchor->id);
            const QSizeF size = cardSize(node);
            const QPointF wanted = side < 0 ? QPointF(at.x() - size.width() - kColumnGap, at.y())
                                            : QPointF(at.x() + cardSize(*anchor).width() + kColumnGap, at.y());
            setPosition(node.id, freeSpotNear(wanted, size, side, node.id, pending));
            m_floatingPending.erase(node.id);
            m_floating.erase(node.id);
            it = todo.erase(it);
            progress = true;
        }
    }
    for (const std::string& id : todo) {
        const PatchNode& node = *pending.find(id);
        if (m_positions.count(id)) { // floating, still without a placed peer: stays
            m_floatingPending.erase(id);
            continue;
        }
        // Right of the patch, level with its top.
        double right = 0.0, top = 1e300;
        bool any = false;
        for (const auto& [other, p] : m_positions) {
            if (m_floatingPending.count(other))
                continue;
            const PatchNode* n = pending.find(other);
            if (!n)
                n = m_lastCommitted.find(other);
            if (!n)
                continue;
            right = std::max(right, p.x() + cardSize(*n).width());
            top = std::min(top, p.y());
            any = true;
        }
        const QPointF wanted = any ? QPointF(right + kColumnGap, top) : QPointF(80.0, 80.0);
        const QSizeF size = cardSize(node);
        QPointF spot = freeSpotNear(wanted, size, +1, id, pending);
        // Out of the person's sight: the first free place in view instead, from the top, columns
        // from the middle outwards; if the view has none, right of the patch it stays.
        if (!m_viewRect.isEmpty() && !m_viewRect.contains(QRectF(spot, size))) {
            const double columns = std::floor((m_viewRect.width() - kCardGap) / (kCardWidth + kCardGap));
            for (int k = 0; k < static_cast<int>(columns) * 2; ++k) {
                const int column = (k % 2 ? -1 : 1) * ((k + 1) / 2);
                const QPointF columnTop(m_viewRect.center().x() - size.width() / 2 + column * (kCardWidth + kCardGap),
                                        m_viewRect.top() + kCardGap);
                const QPointF p = freeSpotNear(columnTop, size, 0, id, pending);
                if (m_viewRect.contains(QRectF(p, size)) && p.y() >= columnTop.y() - kGridStep) {
                    spot = p;
                    break;
                }
            }
        }
        setPosition(id, spot);
        m_floatingPending.erase(id);
        m_floating.insert(id);
    }
    m_floatingPending.clear();
}

// Modules without a position in a new document (a file without layout) get one: to the right of
// what is there, in a column. An agent's modules are placed by placeAgentModules.
void EditorController::placeUnplaced(const PatchGraph& graph) {
    double right = 0.0, top = 1e300;
    for (const auto& [id, p] : m_positions) {
        right = std::max(right, p.x());
        top = std::min(top, p.y());
    }
    if (top == 1e300)
        top = 80.0;
    double y = top;
    bool any = false;
    for (const PatchNode& n : graph.nodes()) {
        if (m_positions.count(n.id))
            continue;
        if (n.position) {
            m_positions[n.id] = QPointF((*n.position)[0], (*n.position)[1]);
            continue;
        }
        if (!any)
            right = m_positions.empty() ? 80.0 : right + 260.0;
        any = true;
        setPosition(n.id, QPointF(right, y));
        y += 200.0;
    }
}

PatchGraph EditorController::document() const {
    PatchGraph doc = m_patch.pending();
    for (const auto& [id, p] : m_positions) // ids no longer in the patch are refused: fine
        (void)doc.setPosition(id, std::round(p.x()), std::round(p.y()));
    return doc;
}

// ---------------------------------------------------------------------------------------------
// Structure

QString EditorController::freshId(const QString& type) const {
    const PatchGraph committed = m_engine.committed();
    for (int n = 1;; ++n) {
        const std::string id = toStd(type) + std::to_string(n);
        if (!m_lastPending.find(id) && !committed.find(id))
            return fromStd(id);
    }
}

void EditorController::afterUserEdit(const std::set<std::string>& select) {
    updateModels();
    if (!select.empty())
        m_nodes->setSelection(select);
    if (m_autoCommit && m_pendingChanges > 0)
        m_autoCommitTimer.start();
    writeAutosave(); // structural edits are saved at once: a kill right after loses nothing
}

void EditorController::afterUndo() {
    adoptPositions(m_patch.pending());
    afterUserEdit();
    emit pendingChanged();
}

void EditorController::undo() {
    if (auto s = m_patch.undo(Author::User); s)
        afterUndo();
}

void EditorController::redo() {
    if (auto s = m_patch.redo(Author::User); s)
        afterUndo();
}

void EditorController::undoAgent() {
    const QString text = m_patch.history(Author::Agent).undoText();
    if (auto s = m_patch.undo(Author::Agent); s) {
        afterUndo();
        setMessage(QStringLiteral("undid the agent's last step (%1)").arg(text));
    }
}

QString EditorController::addModule(const QString& type, double x, double y) {
    const engine::ModuleType* t = engine::ModuleRegistry::instance().find(toStd(type));
    if (!t) {
        setMessage(QStringLiteral("unknown module type '%1'").arg(type));
        return {};
    }
    const QString id = freshId(QString::fromUtf8(t->id));
    if (auto s = m_patch.edit(Author::User, QStringLiteral("Add %1").arg(id),
                              [&](Edit& e) {
                                  if (auto added = e.addModule(toStd(id), t->id); !added)
                                      return added;
                                  setPosition(toStd(id), QPointF(std::round(x / kGridStep) * kGridStep,
                                                                 std::round(y / kGridStep) * kGridStep));
                                  return engine::Status{};
                              });
        !s) {
        setMessage(fromStd(s.message()));
        return {};
    }
    afterUserEdit({toStd(id)});
    setMessage(QStringLiteral("added %1 (%2)").arg(id, QString::fromUtf8(t->name)));
    return id;
}

bool EditorController::removeIds(const std::vector<std::string>& ids) {
    std::vector<std::string> removable;
    for (const std::string& id : ids)
        if (id != engine::ModuleRegistry::kOutputId && m_lastPending.find(id))
            removable.push_back(id);
    if (removable.empty()) {
        if (!ids.empty())
            setMessage(QStringLiteral("the output module stays: every patch has one"));
        return false;
    }
    QString failure;
    (void)m_patch.edit(Author::User, describeIds(removable, QStringLiteral("Delete")), [&](Edit& e) {
        for (const std::string& id : removable)
            if (auto s = e.removeModule(id); !s)
                failure = fromStd(s.message());
        return engine::Status{}; // what could go went
    });
    afterUserEdit();
    setMessage(failure.isEmpty() ? describeIds(removable, QStringLiteral("deleted")) : failure);
    return failure.isEmpty();
}

bool EditorController::removeModule(const QString& id) { return removeIds({toStd(id)}); }

bool EditorController::removeSelected() {
    const auto& sel = m_nodes->selection();
    return removeIds(std::vector<std::string>(sel.begin(), sel.end()));
}

// Inserts `json`'s modules (not its `out`) under fresh ids, moved so their top-left corner is at
// (x, y), with their parameters and inner cables. One undo step.
bool EditorController::insertPatch(const QByteArray& json, double x, double y, const QString& verb) {
    auto parsed = app::parsePatch(json, QStringLiteral("clipboard"));
    if (!parsed) {
        setMessage(fromStd(parsed.status().message()));
        return false;
    }
    const PatchGraph& fragment = parsed->graph;
    double left = 1e300, top = 1e300;
    for (const PatchNode& n : fragment.nodes())
        if (n.id != engine::ModuleRegistry::kOutputId && n.position) {
            left = std::min(left, (*n.position)[0]);
            top = std::min(top, (*n.position)[1]);
        }
    if (left == 1e300)
        left = top = 0.0;
    const PatchGraph before = m_lastPending;
    std::map<std::string, std::string> renamed;
    std::set<std::string> created;
    QString failure;
    (void)m_patch.edit(Author::User, verb, [&](Edit& e) {
        for (const PatchNode& n : fragment.nodes()) {
            if (n.id == engine::ModuleRegistry::kOutputId)
                continue;
            const std::string id = toStd(freshId(QString::fromUtf8(n.type->id)));
            if (auto s = e.addModule(id, n.type->id); !s) {
                failure = fromStd(s.message());
                break;
            }
            m_lastPending = m_patch.pending(); // freshId looks here
            renamed[n.id] = id;
            created.insert(id);
            for (std::size_t p = 0; p < n.params.size(); ++p)
                if (n.params[p] != static_cast<double>(n.type->params[p].def))
                    (void)e.setPending(id, n.type->params[p].id, n.params[p]);
            const double nx = n.position ? (*n.position)[0] - left : 0.0;
            const double ny = n.position ? (*n.position)[1] - top : 0.0;
            setPosition(id, QPointF(x + nx, y + ny));
        }
        for (const engine::Cable& c : fragment.cables()) {
            if (!renamed.count(c.from) || !renamed.count(c.to))
                continue;
            const PatchNode* from = fragment.find(c.from);
            const PatchNode* to = fragment.find(c.to);
            (void)e.connect(renamed[c.from] + "." + from->type->outputs[static_cast<std::size_t>(c.fromPort)].id,
                            renamed[c.to] + "." + to->type->inputs[static_cast<std::size_t>(c.toPort)].id);
        }
        return engine::Status{}; // what could be pasted was
    });
    m_lastPending = before;
    if (created.empty()) {
        setMessage(failure.isEmpty() ? QStringLiteral("nothing to paste") : failure);
        return false;
    }
    afterUserEdit(created);
    setMessage(failure.isEmpty() ? describeIds(std::vector<std::string>(created.begin(), created.end()), verb.toLower())
                                 : failure);
    return failure.isEmpty();
}

QString EditorController::connectionProblem(const QString& fromId, const QString& fromPort, const QString& toId,
                                            const QString& toPort) const {
    PatchGraph probe = m_lastPending;
    if (auto s = probe.connect(toStd(fromId + QLatin1Char('.') + fromPort), toStd(toId + QLatin1Char('.') + toPort)); !s)
        return fromStd(s.message());
    return {};
}

bool EditorController::connectPorts(const QString& fromId, const QString& fromPort, const QString& toId,
                                    const QString& toPort) {
    const QString src = fromId + QLatin1Char('.') + fromPort;
    const QString dst = toId + QLatin1Char('.') + toPort;
    if (auto s = m_patch.edit(Author::User, QStringLiteral("Connect %1 → %2").arg(src, dst),
                              [&](Edit& e) { return e.connect(toStd(src), toStd(dst)); });
        !s) {
        const QString reason = fromStd(s.message());
        setMessage(QStringLiteral("cable refused: ") + reason);
        emit cableRefused(reason);
        return false;
    }
    afterUserEdit();
    setMessage(QStringLiteral("connected %1 → %2").arg(src, dst));
    return true;
}

bool EditorController::disconnectPorts(const QString& fromId, const QString& fromPort, const QString& toId,
                                       const QString& toPort) {
    const QString src = fromId + QLatin1Char('.') + fromPort;
    const QString dst = toId + QLatin1Char('.') + toPort;
    if (auto s = m_patch.edit(Author::User, QStringLiteral("Disconnect %1 → %2").arg(src, dst),
                              [&](Edit& e) { return e.disconnect(toStd(src), toStd(dst)); });
        !s) {
        setMessage(fromStd(s.message()));
        return false;
    }
    afterUserEdit();
    setMessage(QStringLiteral("disconnected %1 → %2").arg(src, dst));
    return true;
}

// ---------------------------------------------------------------------------------------------
// Parameters

void EditorController::beginGesture() { ++m_gesture; }

void EditorController::midiLearn(const QString& id, const QString& param) {
    const PatchNode* node = m_lastPending.find(toStd(id));
    const engine::ParamIndex p = node ? node->type->findParam(toStd(param)) : -1;
    if (p < 0) {
        setMessage(QStringLiteral("no parameter %1.%2 to learn").arg(id, param));
        return;
    }
    engine::PatchGraph probe = m_lastPending; // refused targets are said now, not after the wait
    engine::MidiMapping m;
    m.module = toStd(id);
    m.param = toStd(param);
    if (auto checked = probe.setMidiMapping(m); !checked) {
        setMessage(fromStd(checked.status().message()));
        return;
    }
    m_midiLearning = id + "." + QString::fromUtf8(node->type->params[static_cast<std::size_t>(p)].id);
    m_learnSeen = m_engine.lastController().count;
    m_learnClock.start();
    m_learnWatch.start();
    setMessage(QStringLiteral("MIDI learn: move a controller for %1").arg(m_midiLearning));
    emit midiLearningChanged();
}

void EditorController::cancelMidiLearn() {
    if (m_midiLearning.isEmpty())
        return;
    m_learnWatch.stop();
    m_midiLearning.clear();
    emit midiLearningChanged();
}

void EditorController::watchMidiLearn() {
    const engine::SlotEngine::ControllerSeen seen = m_engine.lastController();
    if (seen.count == m_learnSeen) {
        if (m_learnClock.elapsed() >= kMidiLearnTimeoutMs) {
            setMessage(QStringLiteral("MIDI learn: no controller moved for %1; nothing was mapped").arg(m_midiLearning));
            cancelMidiLearn();
        }
        return;
    }
    const QString target = m_midiLearning;
    cancelMidiLearn();
    const qsizetype dot = target.indexOf('.');
    engine::MidiMapping m;
    m.module = toStd(target.left(dot));
    m.param = toStd(target.mid(dot + 1));
    m.cc = seen.cc;
    m.channel = seen.channel;
    if (const PatchNode* node = m_lastPending.find(m.module)) {
        const engine::ParamIndex p = node->type->findParam(m.param);
        if (p >= 0) {
            m.min = node->type->params[static_cast<std::size_t>(p)].min;
            m.max = node->type->params[static_cast<std::size_t>(p)].max;
        }
    }
    if (auto s = m_patch.edit(Author::User, QStringLiteral("MIDI learn %1").arg(target),
                              [&](Edit& e) { return e.setMidiMapping(m).status(); });
        !s) {
        setMessage(fromStd(s.message()));
        return;
    }
    setMessage(QStringLiteral("%1 follows MIDI CC %2 on channel %3").arg(target).arg(m.cc).arg(m.channel));
    updateModels();
    scheduleAutosave();
}

bool EditorController::forgetMidiMapping(const QString& id, const QString& param) {
    if (m_midiLearning == id + "." + param)
        cancelMidiLearn();
    if (!m_lastPending.findMidiMapping(toStd(id), toStd(param)))
        return false;
    if (auto s = m_patch.edit(Author::User, QStringLiteral("Forget MIDI mapping of %1.%2").arg(id, param),
                              [&](Edit& e) { return e.removeMidiMapping(toStd(id), toStd(param)); });
        !s) {
        setMessage(fromStd(s.message()));
        return false;
    }
    updateModels();
    scheduleAutosave();
    return true;
}

bool EditorController::setParam(const QString& id, const QString& param, double value) {
    const PatchNode* node = m_lastPending.find(toStd(id));
    if (!node) {
        setMessage(QStringLiteral("no module '%1'").arg(id));
        return false;
    }
    const engine::ParamIndex p = node->type->findParam(toStd(param));
    if (p < 0) {
        setMessage(QStringLiteral("%1 has no parameter '%2'").arg(id, param));
        return false;
    }
    const QString paramId = QString::fromUtf8(node->type->params[static_cast<std::size_t>(p)].id);
    // A channel count cannot change while a plan plays: it is an edit of the pending patch, heard
    // at the next commit, like a cable.
    const bool structural = node->type->params[static_cast<std::size_t>(p)].flags & engine::ParamStructural;
    // One gesture on one parameter (a knob drag) is one step.
    if (auto s = m_patch.edit(Author::User, QStringLiteral("Set %1.%2").arg(id, paramId),
                              [&](Edit& e) {
                                  return structural ? e.setPending(toStd(id), toStd(paramId), value).status()
                                                    : e.setLive(toStd(id), toStd(paramId), value).status();
                              },
                              QStringLiteral("%1 param %2.%3").arg(m_gesture).arg(id, paramId));
        !s) {
        setMessage(fromStd(s.message()));
        return false;
    }
    updateModels();
    scheduleAutosave();
    return true;
}

bool EditorController::resetParam(const QString& id, const QString& param) {
    const PatchNode* node = m_lastPending.find(toStd(id));
    if (!node)
        return false;
    const engine::ParamIndex p = node->type->findParam(toStd(param));
    if (p < 0)
        return false;
    beginGesture();
    return setParam(id, param, node->type->params[static_cast<std::size_t>(p)].def);
}

bool EditorController::setText(const QString& id, const QString& textId, const QString& text) {
    const PatchNode* node = m_lastPending.find(toStd(id));
    if (!node || !node->type->text) {
        setMessage(QStringLiteral("%1 has no text '%2'").arg(id, textId));
        return false;
    }
    const int t = node->type->findText(toStd(textId));
    if (t < 0) {
        setMessage(QStringLiteral("%1 has no text '%2'").arg(id, textId));
        return false;
    }
    if (auto s = m_patch.edit(Author::User, QStringLiteral("Set %1.%2").arg(id, textId),
                              [&](Edit& e) { return e.setLiveText(toStd(id), toStd(textId), toStd(text)).status(); });
        !s) {
        setMessage(QStringLiteral("%1.%2: %3").arg(id, textId, fromStd(s.message())));
        return false;
    }
    updateModels();
    scheduleAutosave();
    return true;
}

// ---------------------------------------------------------------------------------------------
// Layout and selection

void EditorController::applyPositions(const std::map<std::string, QPointF>& positions) {
    for (const auto& [id, p] : positions)
        setPosition(id, p);
    m_nodes->updatePositions(m_positions);
    scheduleAutosave();
}

void EditorController::moveNodesTo(const std::map<std::string, QPointF>& target) {
    std::map<std::string, QPointF> before, after;
    for (const auto& [id, p] : target) {
        const auto old = m_positions.find(id);
        if (old == m_positions.end() || old->second == p)
            continue;
        before[id] = old->second;
        after[id] = p;
    }
    if (after.empty())
        return;
    for (const auto& [id, p] : after)
        m_floating.erase(id); // somebody put it there: it stays
    // A layout step: the patch with the cards where they were, and where they are now.
    PatchGraph from = m_lastPending;
    for (const auto& [id, p] : before)
        (void)from.setPosition(id, p.x(), p.y());
    PatchGraph to = from;
    for (const auto& [id, p] : after)
        (void)to.setPosition(id, p.x(), p.y());
    m_patch.record(Author::User,
                   after.size() == 1 ? QStringLiteral("Move %1").arg(fromStd(after.begin()->first))
                                     : QStringLiteral("Move %1 modules").arg(after.size()),
                   from, to, QStringLiteral("%1 move").arg(m_gesture));
    applyPositions(after);
}

void EditorController::moveNode(const QString& id, double x, double y) {
    moveNodesTo({{toStd(id), QPointF(x, y)}});
}

void EditorController::moveSelectionBy(double dx, double dy) {
    std::map<std::string, QPointF> target;
    for (const std::string& id : m_nodes->selection())
        if (auto p = m_positions.find(id); p != m_positions.end())
            target[id] = p->second + QPointF(dx, dy);
    moveNodesTo(target);
}

void EditorController::arrange() {
    beginGesture();
    moveNodesTo(arrangeByFlow(m_lastPending, [this](const PatchNode& n) { return cardSize(n); }, m_positions));
}

QRectF EditorController::itemsBoundingRect() const {
    QRectF box;
    for (const PatchNode& n : m_lastPending.nodes())
        if (auto p = m_positions.find(n.id); p != m_positions.end())
            box = box.isNull() ? QRectF(p->second, QSizeF(1, 1)) : box.united(QRectF(p->second, QSizeF(1, 1)));
    return box;
}

// ---------------------------------------------------------------------------------------------
// The slot protocol. Each operation is submitted to the engine, which runs it on its operations
// thread; its outcome comes back to the GUI thread as an event.

void EditorController::runSlotOperation(const QString& what, engine::SlotOperation operation,
                                        std::function<void(const engine::OperationEvent&)> done) {
    if (m_busy) {
        setMessage(QStringLiteral("%1: still busy with the last operation").arg(what));
        return;
    }
    setBusy(true);
    setMessage(what + QStringLiteral("…"));
    m_operationWhat = what;
    m_operationDone = std::move(done);
    // The patch controller sends the layout first (it goes into what the operation commits), seals
    // both histories, and hands the outcome back on this thread.
    m_patch.run(Author::User, operation, -1.0, [this](const engine::OperationEvent& event) { finishSlotOperation(event); });
}

void EditorController::finishSlotOperation(const engine::OperationEvent& event) {
    const bool isCommit = event.operation == engine::SlotOperation::Commit ||
                          event.operation == engine::SlotOperation::UndoCommit;
    setBusy(false);
    updateModels();
    if (event.outcome != engine::OperationOutcome::Done) {
        const QString error = fromStd(event.status.message());
        setMessage(QStringLiteral("%1 failed: %2").arg(m_operationWhat, error));
        writeAutosave(); // a failed commit may have changed what plays (a rollback)
        if (isCommit)
            emit commitFailed(error);
        return;
    }
    if (m_operationDone)
        m_operationDone(event);
    writeAutosave(); // a commit, an abort, an undo of a commit: kept before the window shows it
    if (isCommit)
        emit committed(event.report.slot);
}

void EditorController::commit() {
    m_autoCommitTimer.stop();
    runSlotOperation(QStringLiteral("Commit"), engine::SlotOperation::Commit, [this](const engine::OperationEvent& e) {
        setMessage(QStringLiteral("committed: slot %1 plays (prime %2 ms, commit %3 ms)")
                       .arg(e.report.slot == 0 ? QStringLiteral("A") : QStringLiteral("B"))
                       .arg(e.report.primeMs, 0, 'f', 1)
                       .arg(e.report.commitMs, 0, 'f', 1),
                   e.report.slot);
    });
}

void EditorController::undoCommit() {
    runSlotOperation(QStringLiteral("Undo commit"), engine::SlotOperation::UndoCommit,
                     [this](const engine::OperationEvent& e) {
                         // The patch that plays again comes back where its cards were when it was committed.
                         adoptPositions(m_lastPending);
                         m_nodes->updatePositions(m_positions);
                         setMessage(QStringLiteral("the previous patch plays again (slot %1)")
                                        .arg(e.report.slot == 0 ? QStringLiteral("A") : QStringLiteral("B")),
                                    e.report.slot);
                     });
}

void EditorController::abort() {
    m_autoCommitTimer.stop();
    const PatchGraph before = m_lastPending;
    runSlotOperation(
        QStringLiteral("Abort"), engine::SlotOperation::Abort,
        [this](const engine::OperationEvent&) {
            // The edits go, the layout stays: cards keep where they were put since the commit.
            for (const PatchNode& n : m_lastPending.nodes())
                if (auto p = m_positions.find(n.id); p != m_positions.end())
                    setPosition(n.id, p->second);
            setMessage(QStringLiteral("pending edits dropped: the standby follows the committed patch again"));
        });
    // The abort is undoable: the edits it dropped come back with Ctrl+Z.
    PatchGraph after = m_engine.committed();
    for (const auto& [id, p] : m_positions)
        (void)after.setPosition(id, p.x(), p.y());
    m_patch.record(Author::User, QStringLiteral("Abort pending edits"), before, after);
}

void EditorController::prime() {
    runSlotOperation(QStringLiteral("Prime"), engine::SlotOperation::Prime, [this](const engine::OperationEvent& e) {
        setMessage(QStringLiteral("standby primed in %1 ms").arg(e.primeMs, 0, 'f', 1));
    });
}

bool EditorController::waitForIdle(int timeoutMs) {
    QElapsedTimer t;
    t.start();
    while (m_busy && t.elapsed() < timeoutMs)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
    return !m_busy;
}

// ---------------------------------------------------------------------------------------------
// Files

bool EditorController::replaceDocument(const PatchGraph& graph, const QString& undoText) {
    if (auto s = m_patch.edit(Author::User, undoText,
                              [&](Edit& e) {
                                  if (auto loaded = e.load(graph); !loaded)
                                      return loaded;
                                  m_positions.clear();
                                  m_floating.clear();
                                  adoptPositions(graph);
                                  placeUnplaced(graph);
                                  return engine::Status{};
                              });
        !s) {
        setMessage(fromStd(s.message()));
        return false;
    }
    m_selection->clear();
    afterUserEdit();
    emit documentReplaced();
    return true;
}

void EditorController::newPatch() {
    if (replaceDocument(PatchGraph(), QStringLiteral("New patch"))) {
        m_files->setFilePath({});
        setClean();
        setMessage(QStringLiteral("new patch: Commit to hear it (silence)"));
    }
}

void EditorController::loadDemo() {
    // Oscillator -> filter -> envelope -> output, the envelope opened by a clock: it sounds after
    // one Commit.
    PatchGraph g;
    auto add = [&g](const char* id, const char* type, double x, double y) {
        (void)g.addModule(id, type);
        (void)g.setPosition(id, x, y);
    };
    add("clock1", "clock", 80, 360);
    add("saw1", "saw", 80, 80);
    add("svf1", "svf", 380, 80);
    add("adsr1", "adsr", 680, 180);
    (void)g.setPosition("out", 980, 180);
    (void)g.setParam("clock1", "bpm", 120);
    (void)g.setParam("saw1", "freq", 110);
    (void)g.setParam("svf1", "cutoff", 900);
    (void)g.setParam("svf1", "resonance", 0.5);
    (void)g.setParam("adsr1", "attack", 5);
    (void)g.setParam("adsr1", "decay", 180);
    (void)g.setParam("adsr1", "sustain", 0.3);
    (void)g.setParam("adsr1", "release", 250);
    (void)g.connect("saw1.out", "svf1.in");
    (void)g.connect("svf1.lp", "adsr1.in");
    (void)g.connect("clock1.beat", "adsr1.gate");
    (void)g.connect("adsr1.out", "out");
    if (replaceDocument(g, QStringLiteral("Demo patch"))) {
        m_files->setFilePath({});
        setMessage(QStringLiteral("demo patch: press Commit (Ctrl+Return) to hear it"));
    }
}

// The autosave: the committed patch and the document (pending edits and layout), so a restore
// brings back both what played and what was being edited. A snapshot file (written atomically,
// fsync'd) and its journal: each change is one record appended before the window shows it.
QJsonObject EditorController::autosaveState() const {
    return QJsonObject{{QStringLiteral("format"), QStringLiteral("chronus-autosave")},
                       {QStringLiteral("version"), 1},
                       {QStringLiteral("file"), m_files->filePath()},
                       {QStringLiteral("dirty"), dirty()},
                       {QStringLiteral("committed"), app::patchJson(m_engine.committed())},
                       {QStringLiteral("document"), app::patchJson(document())}};
}

bool EditorController::writeAutosave() {
    if (!m_journal || m_autosaveOffered)
        return false;
    if (m_busy) { // the engine is held by a commit or prime: the file follows when it is done
        m_autosaveTimer.start();
        return false;
    }
    // A commit (not a knob on what plays: that is a record like any other) goes into the file at once.
    if (m_engine.stats().commits != m_snapshotCommits || m_journal->size() > 4 * 1024 * 1024)
        return compactAutosave();
    if (auto s = m_journal->append([this] { return autosaveState(); }); !s) {
        setAutosaveFailure(QStringLiteral("autosave failed: ") + fromStd(s.message()));
        return false;
    }
    setAutosaveFailure({});
    // The file (fsync'd) follows within autosaveDelayMs, also while changes keep coming: that bounds
    // what a power loss can take.
    if (!m_autosaveTimer.isActive())
        m_autosaveTimer.start();
    return true;
}

bool EditorController::compactAutosave() {
    if (!m_journal || m_autosaveOffered)
        return false;
    if (m_busy) {
        m_autosaveTimer.start(); // the engine is busy; the next round
        return false;
    }
    std::uint64_t commits = 0;
    const engine::Status s = m_journal->compact([&]() -> engine::Status {
        commits = m_engine.stats().commits;
        const QJsonObject state = autosaveState();
        QDir().mkpath(QFileInfo(m_options.autosavePath).absolutePath());
        QSaveFile file(m_options.autosavePath);
        if (!file.open(QIODevice::WriteOnly) || !file.write(QJsonDocument(state).toJson(QJsonDocument::Indented)) ||
            !file.commit())
            return engine::Status::error(engine::ErrorCode::Device,
                                         (m_options.autosavePath + QStringLiteral(": ") + file.errorString()).toStdString());
        return {};
    });
    if (!s) {
        setAutosaveFailure(QStringLiteral("autosave failed: ") + fromStd(s.message()));
        return false;
    }
    m_snapshotCommits = commits;
    setAutosaveFailure({});
    return true;
}

std::string EditorController::persistExternalChange(const std::string& address) {
    if (!m_journal)
        return {};
    const engine::Status s = m_journal->append([this] {
        return QJsonObject{{QStringLiteral("committed"), app::patchJson(m_engine.committed())},
                           {QStringLiteral("document"), app::patchJson(document())}};
    });
    if (address == "/patch/commit" || address == "/patch/undo_commit")
        QTimer::singleShot(0, this, [this] { writeAutosave(); }); // the commit goes into the file (fsync'd)
    if (s)
        return {};
    if (s.code() == engine::ErrorCode::NotRunning) // an earlier run's autosave is on offer: the window shows it
        return "not kept: " + s.message();
    const std::string warning = "autosave failed: " + s.message() + " (the change is made, but not kept)";
    setAutosaveFailure(fromStd(warning));
    return warning;
}

void EditorController::scheduleAutosave() { writeAutosave(); }

bool EditorController::restoreAutosave() {
    QJsonObject root;
    if (QFile file(m_options.autosavePath); file.open(QIODevice::ReadOnly))
        root = QJsonDocument::fromJson(file.readAll()).object();
    // The journal's records since that file was written, on top of it.
    const app::EditJournal::Replay replay =
        m_journal ? app::EditJournal::replay(m_journal->path()) : app::EditJournal::Replay{};
    for (auto it = replay.state.begin(); it != replay.state.end(); ++it)
        root.insert(it.key(), it.value());
    if (root.isEmpty()) {
        setMessage(QStringLiteral("no autosave to restore"));
        return false;
    }
    if (root.value(QStringLiteral("format")).toString() != QLatin1String("chronus-autosave")) {
        setMessage(QStringLiteral("the autosave is not readable; starting fresh"));
        return false;
    }
    const QString source = QDir::toNativeSeparators(m_options.autosavePath);
    auto committed = app::parsePatch(QJsonDocument(root.value(QStringLiteral("committed")).toObject()).toJson(), source);
    auto doc = app::parsePatch(QJsonDocument(root.value(QStringLiteral("document")).toObject()).toJson(), source);
    if (!committed || !doc) {
        setMessage(fromStd((!committed ? committed.status() : doc.status()).message()));
        return false;
    }
    // What played comes back playing (when there is a device to commit on); the document's pending
    // edits come back pending.
    if (!(committed->graph == PatchGraph())) {
        if (auto s = m_patch.edit(Author::User, QStringLiteral("Restore autosave"),
                                  [&](Edit& e) { return e.load(committed->graph); });
            s) {
            if (m_patch.runBlocking(engine::SlotOperation::Commit).outcome != engine::OperationOutcome::Done)
                (void)m_patch.runBlocking(engine::SlotOperation::Abort);
        }
    }
    m_autosaveOffered = false;
    emit hasAutosaveChanged();
    if (m_journal) // appends go on top of the earlier run's records until the compaction below
        if (auto s = m_journal->open(); !s)
            setAutosaveFailure(QStringLiteral("autosave failed: ") + fromStd(s.message()));
    if (!replaceDocument(doc->graph, QStringLiteral("Restore autosave")))
        return false;
    m_files->setFilePath(root.value(QStringLiteral("file")).toString());
    if (!root.value(QStringLiteral("dirty")).toBool())
        setClean();
    else
        m_dirtyWithoutUndo = true;
    emit dirtyChanged();
    compactAutosave();
    setMessage(QStringLiteral("restored the autosaved patch (%1 modules)").arg(doc->graph.nodes().size()) +
               (replay.problem.isEmpty() ? QString() : QStringLiteral("; ") + replay.problem));
    return true;
}

void EditorController::discardAutosave() {
    if (!m_journal)
        return;
    QFile::remove(m_options.autosavePath);
    if (auto s = m_journal->discard(); !s) // emptied, and open for this run's changes
        setAutosaveFailure(QStringLiteral("autosave failed: ") + fromStd(s.message()));
    if (m_autosaveOffered) {
        m_autosaveOffered = false;
        emit hasAutosaveChanged();
    }
}

void EditorController::removeAutosaveOnQuit() {
    m_autosaveTimer.stop();
    if (m_journal && !m_autosaveOffered) {
        m_journal->close(QStringLiteral("the editor has quit"));
        QFile::remove(m_options.autosavePath);
        QFile::remove(m_journal->path());
    }
}

} // namespace chronus::editor
