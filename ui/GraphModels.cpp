#include "GraphModels.hpp"

#include <QSet>

#include <string_view>

#include <algorithm>
#include <cmath>

namespace chronus::editor {

using engine::ModuleType;
using engine::PatchGraph;
using engine::PatchNode;

QString pendingMarkName(PendingMark mark) {
    switch (mark) {
    case PendingMark::Added: return QStringLiteral("added");
    case PendingMark::Changed: return QStringLiteral("changed");
    case PendingMark::Removed: return QStringLiteral("removed");
    case PendingMark::None: break;
    }
    return {};
}

QString signalKindName(engine::Signal kind) {
    switch (kind) {
    case engine::Signal::Audio: return QStringLiteral("audio");
    case engine::Signal::Cv: return QStringLiteral("cv");
    case engine::Signal::Gate: return QStringLiteral("gate");
    }
    return {};
}

namespace {

QStringList choiceLabels(const engine::ParamSpec& spec) {
    if (!spec.choices)
        return {};
    return QString::fromUtf8(spec.choices).split(QLatin1Char('|'));
}

// "440 Hz", "1.20 kHz", "12.5 ms", "0.70", "saw".
QString displayValue(const engine::ParamSpec& spec, double value) {
    const QStringList labels = choiceLabels(spec);
    if (!labels.isEmpty()) {
        const auto i = static_cast<qsizetype>(std::lround(value));
        if (i >= 0 && i < labels.size())
            return labels[i];
    }
    QString unit = QString::fromUtf8(spec.unit);
    if (unit == QLatin1String("Hz") && std::fabs(value) >= 1000.0) {
        value /= 1000.0;
        unit = QStringLiteral("kHz");
    } else if (unit == QLatin1String("ms") && std::fabs(value) >= 1000.0) {
        value /= 1000.0;
        unit = QStringLiteral("s");
    }
    QString number;
    if (spec.flags & engine::ParamDiscrete)
        number = QString::number(std::lround(value));
    else {
        const double a = std::fabs(value);
        const int decimals = a >= 100.0 ? 0 : a >= 10.0 ? 1 : 2;
        number = QString::number(value, 'f', decimals);
    }
    return unit.isEmpty() ? number : number + QLatin1Char(' ') + unit;
}

// Every role of one row, by role name (a model's get() for QML and tests).
QVariantMap rowAsMap(const QAbstractListModel& model, int row) {
    QVariantMap map;
    if (row < 0 || row >= model.rowCount())
        return map;
    const auto names = model.roleNames();
    for (auto it = names.begin(); it != names.end(); ++it)
        map.insert(QString::fromUtf8(it.value()), model.data(model.index(row), it.key()));
    return map;
}

bool isLogScale(const engine::ParamSpec& spec) {
    return (spec.flags & engine::ParamLog) && !(spec.flags & engine::ParamDiscrete) && spec.max > 0.0f;
}

QVariantList portList(std::span<const engine::PortSpec> ports, const std::vector<bool>& connected) {
    QVariantList list;
    list.reserve(static_cast<qsizetype>(ports.size()));
    for (std::size_t i = 0; i < ports.size(); ++i) {
        list.append(QVariantMap{{QStringLiteral("id"), QString::fromUtf8(ports[i].id)},
                                {QStringLiteral("name"), QString::fromUtf8(ports[i].name)},
                                {QStringLiteral("kind"), signalKindName(ports[i].kind)},
                                {QStringLiteral("connected"), i < connected.size() && connected[i]}});
    }
    return list;
}

} // namespace

// ---------------------------------------------------------------------------------------------
// ParamModel

ParamModel::ParamModel(const ModuleType& type, QString nodeId, QObject* parent)
    : QAbstractListModel(parent), m_type(type), m_nodeId(std::move(nodeId)) {
    for (std::size_t i = 0; i < type.params.size(); ++i)
        if (!(type.params[i].flags & engine::ParamHidden))
            m_visible.push_back(static_cast<int>(i));
    m_values.resize(type.params.size());
    m_changed.resize(type.params.size());
    m_midi.resize(type.params.size());
    for (std::size_t i = 0; i < type.params.size(); ++i)
        m_values[i] = type.params[i].def;
}

int ParamModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_visible.size());
}

QVariant ParamModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const auto p = static_cast<std::size_t>(m_visible[static_cast<std::size_t>(index.row())]);
    const engine::ParamSpec& spec = m_type.params[p];
    switch (role) {
    case Qt::DisplayRole:
    case DisplayRole: return displayValue(spec, m_values[p]);
    case ParamIdRole: return QString::fromUtf8(spec.id);
    case NameRole: return QString::fromUtf8(spec.name);
    case UnitRole: return QString::fromUtf8(spec.unit);
    case MinRole: return static_cast<double>(spec.min);
    case MaxRole: return static_cast<double>(spec.max);
    case DefaultRole: return static_cast<double>(spec.def);
    case ValueRole: return m_values[p];
    case DiscreteRole: return (spec.flags & engine::ParamDiscrete) != 0;
    case ChoicesRole: return choiceLabels(spec);
    case ChangedRole: return static_cast<bool>(m_changed[p]);
    case LogScaleRole: return isLogScale(spec);
    case LogFloorRole: return engine::paramLogFloor(spec);
    case MidiRole: return p < m_midi.size() ? m_midi[p] : QString();
    default: return {};
    }
}

QHash<int, QByteArray> ParamModel::roleNames() const {
    return {{ParamIdRole, "paramId"},   {NameRole, "name"},         {UnitRole, "unit"},
            {MinRole, "min"},           {MaxRole, "max"},           {DefaultRole, "defaultValue"},
            {ValueRole, "value"},       {DisplayRole, "display"},   {DiscreteRole, "discrete"},
            {ChoicesRole, "choices"},   {ChangedRole, "changed"},   {LogScaleRole, "logScale"},
            {LogFloorRole, "logFloor"}, {MidiRole, "midi"}};
}

void ParamModel::update(const std::vector<double>& values, const std::vector<double>* committedValues) {
    for (std::size_t row = 0; row < m_visible.size(); ++row) {
        const auto p = static_cast<std::size_t>(m_visible[row]);
        const double value = p < values.size() ? values[p] : m_values[p];
        const bool changed = committedValues && p < committedValues->size() && (*committedValues)[p] != value;
        QList<int> roles;
        if (value != m_values[p]) {
            m_values[p] = value;
            roles << ValueRole << DisplayRole << Qt::DisplayRole;
        }
        if (changed != m_changed[p]) {
            m_changed[p] = changed;
            roles << ChangedRole;
        }
        if (!roles.isEmpty()) {
            const QModelIndex i = index(static_cast<int>(row));
            emit dataChanged(i, i, roles);
        }
    }
    // Hidden values (a sequencer's steps) have no rows; keep them for completeness.
    for (std::size_t p = 0; p < values.size() && p < m_values.size(); ++p)
        m_values[p] = values[p];
}

void ParamModel::updateMidi(const engine::PatchGraph& pending) {
    std::vector<QString> labels(m_type.params.size());
    const std::string id = m_nodeId.toStdString();
    for (const engine::MidiMapping& m : pending.midiMappings()) {
        if (m.module != id)
            continue;
        const engine::ParamIndex p = m_type.findParam(m.param);
        if (p >= 0)
            labels[static_cast<std::size_t>(p)] =
                m.channel == 0 ? QStringLiteral("CC %1").arg(m.cc) : QStringLiteral("CC %1 ch %2").arg(m.cc).arg(m.channel);
    }
    if (m_midi.size() != labels.size())
        m_midi.resize(labels.size());
    for (std::size_t row = 0; row < m_visible.size(); ++row) {
        const auto p = static_cast<std::size_t>(m_visible[row]);
        if (labels[p] == m_midi[p])
            continue;
        m_midi[p] = labels[p];
        const QModelIndex i = index(static_cast<int>(row));
        emit dataChanged(i, i, {MidiRole});
    }
}

int ParamModel::rowOf(const QString& paramId) const {
    for (std::size_t row = 0; row < m_visible.size(); ++row)
        if (paramId == QLatin1String(m_type.params[static_cast<std::size_t>(m_visible[row])].id))
            return static_cast<int>(row);
    return -1;
}

// ---------------------------------------------------------------------------------------------
// NodeModel

struct NodeModel::Row {
    int uid = 0;
    std::string id;
    const ModuleType* type = nullptr;
    bool ghost = false; // committed, removed from the pending patch
    double x = 0.0, y = 0.0;
    PendingMark mark = PendingMark::None;
    std::vector<bool> inputsConnected, outputsConnected;
    std::vector<double> values; // what `texts` was made from
    QVariantList inputs, outputs, texts;
    ParamModel* params = nullptr; // child of the model
    std::uint64_t pass = 0;       // the last update() that found this row wanted
};

NodeModel::NodeModel(QObject* parent) : QAbstractListModel(parent) {}
NodeModel::~NodeModel() = default;

int NodeModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

QVariant NodeModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row& r = *m_rows[static_cast<std::size_t>(index.row())];
    switch (role) {
    case Qt::DisplayRole:
    case NodeIdRole: return QString::fromStdString(r.id);
    case TypeRole: return QString::fromUtf8(r.type->id);
    case TypeNameRole: return QString::fromUtf8(r.type->name);
    case CategoryRole: return QString::fromUtf8(r.type->category);
    case DescriptionRole: return QString::fromUtf8(r.type->description);
    case XRole: return r.x;
    case YRole: return r.y;
    case SelectedRole: return !r.ghost && m_selected.count(r.id) > 0;
    case PendingRole: return pendingMarkName(r.mark);
    case InputsRole: return r.inputs;
    case OutputsRole: return r.outputs;
    case ParamsRole: return QVariant::fromValue(r.params);
    case TextsRole: return r.texts;
    case RemovableRole: return !r.ghost && r.id != engine::ModuleRegistry::kOutputId;
    case UidRole: return r.uid;
    default: return {};
    }
}

QHash<int, QByteArray> NodeModel::roleNames() const {
    return {{NodeIdRole, "nodeId"},     {TypeRole, "type"},         {TypeNameRole, "typeName"},
            {CategoryRole, "category"}, {DescriptionRole, "description"}, {XRole, "x"},
            {YRole, "y"},               {SelectedRole, "selected"}, {PendingRole, "pending"},
            {InputsRole, "inputs"},     {OutputsRole, "outputs"},   {ParamsRole, "params"},
            {TextsRole, "texts"},       {RemovableRole, "removable"}, {UidRole, "uid"}};
}

void NodeModel::update(const PatchGraph& pending, const PatchGraph& committed,
                       const std::map<std::string, QPointF>& positions) {
    ++m_pass;
    const int countBefore = rowCount();
    // Each patch's modules by id, and which ports of the pending patch's modules carry a cable:
    // one pass over each patch (PatchGraph::find is a linear search).
    std::unordered_map<std::string_view, const PatchNode*> pendingById, committedById;
    pendingById.reserve(pending.nodes().size());
    committedById.reserve(committed.nodes().size());
    for (const PatchNode& n : pending.nodes())
        pendingById.emplace(n.id, &n);
    for (const PatchNode& n : committed.nodes())
        committedById.emplace(n.id, &n);
    std::unordered_map<std::string_view, std::pair<std::vector<bool>, std::vector<bool>>> connected; // inputs, outputs
    for (const engine::Cable& c : pending.cables()) {
        const auto from = pendingById.find(c.from), to = pendingById.find(c.to);
        if (from != pendingById.end()) {
            auto& outs = connected[from->second->id].second;
            outs.resize(from->second->type->outputs.size());
            if (static_cast<std::size_t>(c.fromPort) < outs.size())
                outs[static_cast<std::size_t>(c.fromPort)] = true;
        }
        if (to != pendingById.end()) {
            auto& ins = connected[to->second->id].first;
            ins.resize(to->second->type->inputs.size());
            if (static_cast<std::size_t>(c.toPort) < ins.size())
                ins[static_cast<std::size_t>(c.toPort)] = true;
        }
    }
    static const std::vector<bool> kNone;

    // Brings row `r` to what node `n` is now; the roles that changed go to `roles` (null: a new row).
    auto fill = [&](Row& r, const PatchNode& n, bool ghost, QList<int>* roles) {
        const auto pos = positions.find(n.id);
        const double x = pos != positions.end() ? pos->second.x() : (n.position ? (*n.position)[0] : 0.0);
        const double y = pos != positions.end() ? pos->second.y() : (n.position ? (*n.position)[1] : 0.0);
        const auto found = committedById.find(n.id);
        const PatchNode* before = found != committedById.end() ? found->second : nullptr;
        PendingMark mark = PendingMark::None;
        if (ghost)
            mark = PendingMark::Removed;
        else if (!before || before->type != n.type)
            mark = PendingMark::Added;
        else if (before->params != n.params)
            mark = PendingMark::Changed;
        auto note = [roles](int role) {
            if (roles)
                roles->append(role);
        };
        if (r.x != x) {
            r.x = x;
            note(XRole);
        }
        if (r.y != y) {
            r.y = y;
            note(YRole);
        }
        if (r.mark != mark) {
            r.mark = mark;
            note(PendingRole);
        }
        const auto ports = ghost ? connected.end() : connected.find(n.id);
        const std::vector<bool>& ins = ports != connected.end() ? ports->second.first : kNone;
        const std::vector<bool>& outs = ports != connected.end() ? ports->second.second : kNone;
        if (!roles || ins != r.inputsConnected) {
            r.inputsConnected = ins;
            r.inputs = portList(n.type->inputs, ins);
            note(InputsRole);
        }
        if (!roles || outs != r.outputsConnected) {
            r.outputsConnected = outs;
            r.outputs = portList(n.type->outputs, outs);
            note(OutputsRole);
        }
        // Text forms read the values: made again only when those changed.
        if (n.type->text && (!roles || r.values != n.params)) {
            QVariantList texts;
            for (std::size_t t = 0; t < n.type->text->texts.size(); ++t) {
                const engine::TextParamSpec& spec = n.type->text->texts[t];
                texts.append(QVariantMap{{QStringLiteral("id"), QString::fromUtf8(spec.id)},
                                         {QStringLiteral("name"), QString::fromUtf8(spec.name)},
                                         {QStringLiteral("help"), QString::fromUtf8(spec.help)},
                                         {QStringLiteral("value"),
                                          QString::fromStdString(PatchGraph::textOf(n, static_cast<int>(t)))}});
            }
            r.values = n.params;
            if (texts != r.texts) {
                r.texts = std::move(texts);
                note(TextsRole);
            }
        }
        const bool compare = !ghost && before && before->type == n.type;
        r.params->update(n.params, compare ? &before->params : nullptr);
        r.params->updateMidi(pending);
    };

    // Rows that stay: what changed. What is new waits until the rows that went are gone.
    struct Wanted {
        const PatchNode* node;
        bool ghost;
    };
    std::vector<Wanted> added;
    auto visit = [&](const PatchNode& n, bool ghost) {
        auto& rows = ghost ? m_ghostRow : m_liveRow;
        const auto found = rows.find(n.id);
        if (found == rows.end() || m_rows[static_cast<std::size_t>(found->second)]->type != n.type) {
            added.push_back({&n, ghost}); // a module of another type under the same id is a new row
            return;
        }
        Row& r = *m_rows[static_cast<std::size_t>(found->second)];
        r.pass = m_pass;
        QList<int> roles;
        fill(r, n, ghost, &roles);
        if (!roles.isEmpty()) {
            const QModelIndex i = index(found->second);
            emit dataChanged(i, i, roles);
        }
    };
    for (const PatchNode& n : pending.nodes())
        visit(n, false);
    for (const PatchNode& n : committed.nodes())
        if (!pendingById.count(n.id))
            visit(n, true);

    removeUnseenRows();

    // New rows, appended in the patch's order.
    if (!added.empty()) {
        const int first = rowCount();
        beginInsertRows({}, first, first + static_cast<int>(added.size()) - 1);
        for (const Wanted& w : added) {
            auto r = std::make_unique<Row>();
            r->uid = m_nextUid++;
            r->id = w.node->id;
            r->type = w.node->type;
            r->ghost = w.ghost;
            r->pass = m_pass;
            r->params = new ParamModel(*r->type, QString::fromStdString(r->id), this);
            fill(*r, *w.node, w.ghost, nullptr);
            m_rows.push_back(std::move(r));
        }
        indexRows(static_cast<std::size_t>(first));
        endInsertRows();
    }
    m_pendingCount = 0;
    for (const auto& r : m_rows)
        m_pendingCount += r->mark != PendingMark::None;
    if (rowCount() != countBefore)
        emit countChanged();
}

// Rows the last update() did not find wanted go, a run of neighbours at a time (from the end, so
// indices stay valid).
void NodeModel::removeUnseenRows() {
    std::size_t lowest = m_rows.size();
    for (int last = static_cast<int>(m_rows.size()) - 1; last >= 0;) {
        if (m_rows[static_cast<std::size_t>(last)]->pass == m_pass) {
            --last;
            continue;
        }
        int first = last;
        while (first > 0 && m_rows[static_cast<std::size_t>(first - 1)]->pass != m_pass)
            --first;
        beginRemoveRows({}, first, last);
        for (int row = first; row <= last; ++row) {
            Row& r = *m_rows[static_cast<std::size_t>(row)];
            r.params->deleteLater();
            auto& rows = r.ghost ? m_ghostRow : m_liveRow;
            if (auto it = rows.find(r.id); it != rows.end() && it->second == row)
                rows.erase(it);
            m_uidRow.erase(r.uid);
            if (!r.ghost)
                m_selected.erase(r.id);
        }
        m_rows.erase(m_rows.begin() + first, m_rows.begin() + last + 1);
        endRemoveRows();
        lowest = static_cast<std::size_t>(first);
        last = first - 1;
    }
    indexRows(lowest);
}

// The hashes say where rows from `from` on are now.
void NodeModel::indexRows(std::size_t from) {
    for (std::size_t row = from; row < m_rows.size(); ++row) {
        const Row& r = *m_rows[row];
        (r.ghost ? m_ghostRow : m_liveRow)[r.id] = static_cast<int>(row);
        m_uidRow[r.uid] = static_cast<int>(row);
    }
}

void NodeModel::updatePositions(const std::map<std::string, QPointF>& positions) {
    for (std::size_t row = 0; row < m_rows.size(); ++row) {
        Row& r = *m_rows[row];
        const auto pos = positions.find(r.id);
        if (pos == positions.end() || r.ghost)
            continue;
        if (r.x == pos->second.x() && r.y == pos->second.y())
            continue;
        r.x = pos->second.x();
        r.y = pos->second.y();
        const QModelIndex i = index(static_cast<int>(row));
        emit dataChanged(i, i, {XRole, YRole});
    }
}

int NodeModel::rowOf(const QString& id) const {
    const std::string key = id.toStdString();
    if (auto it = m_liveRow.find(key); it != m_liveRow.end())
        return it->second;
    if (auto it = m_ghostRow.find(key); it != m_ghostRow.end())
        return it->second;
    return -1;
}

int NodeModel::rowOfUid(int uid) const {
    const auto it = m_uidRow.find(uid);
    return it == m_uidRow.end() ? -1 : it->second;
}

QVariantMap NodeModel::get(int row) const { return rowAsMap(*this, row); }

ParamModel* NodeModel::paramsOf(const QString& id) const {
    const int row = rowOf(id);
    return row < 0 ? nullptr : m_rows[static_cast<std::size_t>(row)]->params;
}

bool NodeModel::isGhost(int row) const {
    return row >= 0 && row < rowCount() && m_rows[static_cast<std::size_t>(row)]->ghost;
}

void NodeModel::setSelection(std::set<std::string> ids) {
    // Only live rows can be selected.
    std::set<std::string> live;
    for (const std::string& id : ids)
        if (m_liveRow.count(id))
            live.insert(id);
    if (live == m_selected)
        return;
    std::set<std::string> old = std::move(m_selected);
    m_selected = std::move(live);
    auto changed = [this](const std::string& id) {
        const QModelIndex i = index(m_liveRow.at(id));
        emit dataChanged(i, i, {SelectedRole});
    };
    for (const std::string& id : old)
        if (!m_selected.count(id) && m_liveRow.count(id))
            changed(id);
    for (const std::string& id : m_selected)
        if (!old.count(id))
            changed(id);
    emit selectionChanged();
}

// ---------------------------------------------------------------------------------------------
// CableModel

CableModel::CableModel(QObject* parent) : QAbstractListModel(parent) {}

int CableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_rows.size());
}

QVariant CableModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row& r = m_rows[static_cast<std::size_t>(index.row())];
    switch (role) {
    case Qt::DisplayRole:
        return QStringLiteral("%1.%2 -> %3.%4")
            .arg(QString::fromStdString(r.cable.from), r.fromPort, QString::fromStdString(r.cable.to), r.toPort);
    case FromIdRole: return QString::fromStdString(r.cable.from);
    case FromPortRole: return r.fromPort;
    case FromPortIndexRole: return r.cable.fromPort;
    case ToIdRole: return QString::fromStdString(r.cable.to);
    case ToPortRole: return r.toPort;
    case ToPortIndexRole: return r.cable.toPort;
    case KindRole: return r.kind;
    case PendingRole: return pendingMarkName(r.mark);
    case CableIdRole: return r.uid;
    case ChannelsRole: return r.channels;
    default: return {};
    }
}

QHash<int, QByteArray> CableModel::roleNames() const {
    return {{FromIdRole, "fromId"}, {FromPortRole, "fromPort"}, {FromPortIndexRole, "fromPortIndex"},
            {ToIdRole, "toId"},     {ToPortRole, "toPort"},     {ToPortIndexRole, "toPortIndex"},
            {KindRole, "kind"},     {PendingRole, "pending"},   {CableIdRole, "cableId"},
            {ChannelsRole, "channels"}};
}

std::size_t CableModel::KeyHash::operator()(const Key& k) const noexcept {
    const std::hash<std::string> text;
    std::size_t h = text(k.cable.from);
    h = h * 31 + static_cast<std::size_t>(k.cable.fromPort);
    h = h * 31 + text(k.cable.to);
    h = h * 31 + static_cast<std::size_t>(k.cable.toPort);
    return h * 2 + (k.removed ? 1 : 0);
}

void CableModel::update(const PatchGraph& pending, const PatchGraph& committed) {
    ++m_pass;
    const int before = rowCount();
    std::unordered_map<Key, bool, KeyHash> inPending, inCommitted; // as live keys
    inPending.reserve(pending.cables().size());
    inCommitted.reserve(committed.cables().size());
    for (const engine::Cable& c : pending.cables())
        inPending.emplace(Key{c, false}, true);
    for (const engine::Cable& c : committed.cables())
        inCommitted.emplace(Key{c, false}, true);

    struct Wanted {
        const engine::Cable* cable;
        const PatchGraph* graph;
        PendingMark mark;
    };
    std::vector<Wanted> added;
    auto visit = [&](const engine::Cable& c, const PatchGraph& graph, PendingMark mark) {
        const auto found = m_rowOf.find(Key{c, mark == PendingMark::Removed});
        if (found == m_rowOf.end()) {
            added.push_back({&c, &graph, mark});
            return;
        }
        Row& r = m_rows[static_cast<std::size_t>(found->second)];
        r.pass = m_pass;
        if (r.mark != mark) {
            r.mark = mark;
            const QModelIndex i = index(found->second);
            emit dataChanged(i, i, {PendingRole});
        }
    };
    for (const engine::Cable& c : pending.cables())
        visit(c, pending, inCommitted.count(Key{c, false}) ? PendingMark::None : PendingMark::Added);
    for (const engine::Cable& c : committed.cables())
        if (!inPending.count(Key{c, false}))
            visit(c, committed, PendingMark::Removed);

    // Rows that went, a run of neighbours at a time, from the end.
    std::size_t lowest = m_rows.size();
    for (int last = static_cast<int>(m_rows.size()) - 1; last >= 0;) {
        if (m_rows[static_cast<std::size_t>(last)].pass == m_pass) {
            --last;
            continue;
        }
        int first = last;
        while (first > 0 && m_rows[static_cast<std::size_t>(first - 1)].pass != m_pass)
            --first;
        beginRemoveRows({}, first, last);
        for (int row = first; row <= last; ++row) {
            const Row& r = m_rows[static_cast<std::size_t>(row)];
            m_rowOf.erase(Key{r.cable, r.mark == PendingMark::Removed});
            m_uidRow.erase(r.uid);
        }
        m_rows.erase(m_rows.begin() + first, m_rows.begin() + last + 1);
        endRemoveRows();
        lowest = static_cast<std::size_t>(first);
        last = first - 1;
    }
    indexRows(lowest);

    // New rows, appended in the patch's order.
    std::vector<Row> rows;
    for (const Wanted& w : added) {
        const engine::Cable& c = *w.cable;
        const PatchNode* from = w.graph->find(c.from);
        const PatchNode* to = w.graph->find(c.to);
        if (!from || !to)
            continue;
        const engine::PortSpec& out = from->type->outputs[static_cast<std::size_t>(c.fromPort)];
        Row r;
        r.uid = m_nextUid++;
        r.cable = c;
        r.fromPort = QString::fromUtf8(out.id);
        r.toPort = QString::fromUtf8(to->type->inputs[static_cast<std::size_t>(c.toPort)].id);
        r.kind = signalKindName(out.kind);
        r.mark = w.mark;
        r.pass = m_pass;
        rows.push_back(std::move(r));
    }
    if (!rows.empty()) {
        const int first = rowCount();
        beginInsertRows({}, first, first + static_cast<int>(rows.size()) - 1);
        for (Row& r : rows)
            m_rows.push_back(std::move(r));
        indexRows(static_cast<std::size_t>(first));
        endInsertRows();
    }
    m_pendingCount = 0;
    for (const Row& r : m_rows)
        m_pendingCount += r.mark != PendingMark::None;
    updateChannels(pending, committed);
    if (rowCount() != before)
        emit countChanged();
}

void CableModel::updateChannels(const PatchGraph& pending, const PatchGraph& committed) {
    // Working the counts out walks the whole patch: skipped while every module is mono, where
    // every cable carries one channel.
    const auto allMono = [](const PatchGraph& g) {
        return std::all_of(g.nodes().begin(), g.nodes().end(),
                           [](const PatchNode& n) { return n.type->polyphony == engine::Polyphony::Mono; });
    };
    const bool pendingMono = allMono(pending), committedMono = allMono(committed);
    if (pendingMono && committedMono && std::all_of(m_rows.begin(), m_rows.end(), [](const Row& r) { return r.channels == 1; }))
        return;
    const PatchGraph::ChannelLayout pendingLayout = pendingMono ? PatchGraph::ChannelLayout{} : pending.channelLayout();
    const PatchGraph::ChannelLayout committedLayout =
        committedMono ? PatchGraph::ChannelLayout{} : committed.channelLayout();
    for (std::size_t row = 0; row < m_rows.size(); ++row) {
        Row& r = m_rows[row];
        const bool ghost = r.mark == PendingMark::Removed;
        const PatchGraph& graph = ghost ? committed : pending;
        const PatchGraph::ChannelLayout& layout = ghost ? committedLayout : pendingLayout;
        const int from = graph.indexOf(r.cable.from);
        int channels = 1;
        if (from >= 0 && static_cast<std::size_t>(from) < layout.outputs.size())
            channels = layout.outputs[static_cast<std::size_t>(from)][static_cast<std::size_t>(r.cable.fromPort)];
        if (channels != r.channels) {
            r.channels = channels;
            const QModelIndex i = index(static_cast<int>(row));
            emit dataChanged(i, i, {ChannelsRole});
        }
    }
}

void CableModel::indexRows(std::size_t from) {
    for (std::size_t row = from; row < m_rows.size(); ++row) {
        const Row& r = m_rows[row];
        m_rowOf[Key{r.cable, r.mark == PendingMark::Removed}] = static_cast<int>(row);
        m_uidRow[r.uid] = static_cast<int>(row);
    }
}

int CableModel::rowOfCable(int cableId) const {
    const auto it = m_uidRow.find(cableId);
    return it == m_uidRow.end() ? -1 : it->second;
}

int CableModel::cableInto(const QString& toId, const QString& toPort) const {
    const std::string to = toId.toStdString();
    for (const Row& r : m_rows)
        if (r.mark != PendingMark::Removed && r.cable.to == to && r.toPort == toPort)
            return r.uid;
    return -1;
}

QVariantMap CableModel::get(int row) const { return rowAsMap(*this, row); }

} // namespace chronus::editor
