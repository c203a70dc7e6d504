#include "GraphModels.hpp"

#include <QSet>

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
    default: return {};
    }
}

QHash<int, QByteArray> ParamModel::roleNames() const {
    return {{ParamIdRole, "paramId"},   {NameRole, "name"},         {UnitRole, "unit"},
            {MinRole, "min"},           {MaxRole, "max"},           {DefaultRole, "defaultValue"},
            {ValueRole, "value"},       {DisplayRole, "display"},   {DiscreteRole, "discrete"},
            {ChoicesRole, "choices"},   {ChangedRole, "changed"},   {LogScaleRole, "logScale"},
            {LogFloorRole, "logFloor"}};
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

int ParamModel::rowOf(const QString& paramId) const {
    for (std::size_t row = 0; row < m_visible.size(); ++row)
        if (paramId == QLatin1String(m_type.params[static_cast<std::size_t>(m_visible[row])].id))
            return static_cast<int>(row);
    return -1;
}

// ---------------------------------------------------------------------------------------------
// NodeModel

struct NodeModel::Row {
    std::string id;
    const ModuleType* type = nullptr;
    bool ghost = false; // committed, removed from the pending patch
    double x = 0.0, y = 0.0;
    PendingMark mark = PendingMark::None;
    QVariantList inputs, outputs, texts;
    ParamModel* params = nullptr; // child of the model
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
    default: return {};
    }
}

QHash<int, QByteArray> NodeModel::roleNames() const {
    return {{NodeIdRole, "nodeId"},     {TypeRole, "type"},         {TypeNameRole, "typeName"},
            {CategoryRole, "category"}, {DescriptionRole, "description"}, {XRole, "x"},
            {YRole, "y"},               {SelectedRole, "selected"}, {PendingRole, "pending"},
            {InputsRole, "inputs"},     {OutputsRole, "outputs"},   {ParamsRole, "params"},
            {TextsRole, "texts"},       {RemovableRole, "removable"}};
}

void NodeModel::update(const PatchGraph& pending, const PatchGraph& committed,
                       const std::map<std::string, QPointF>& positions) {
    struct Wanted {
        const PatchNode* node;
        bool ghost;
    };
    const int countBefore = rowCount();
    std::vector<Wanted> wanted;
    for (const PatchNode& n : pending.nodes())
        wanted.push_back({&n, false});
    for (const PatchNode& n : committed.nodes())
        if (!pending.find(n.id))
            wanted.push_back({&n, true});
    auto wantedIndex = [&](const Row& r) -> int {
        for (std::size_t i = 0; i < wanted.size(); ++i)
            if (wanted[i].ghost == r.ghost && wanted[i].node->id == r.id && wanted[i].node->type == r.type)
                return static_cast<int>(i);
        return -1;
    };

    // Rows that went away (from the end, so indices stay valid).
    for (int row = static_cast<int>(m_rows.size()) - 1; row >= 0; --row) {
        if (wantedIndex(*m_rows[static_cast<std::size_t>(row)]) >= 0)
            continue;
        beginRemoveRows({}, row, row);
        m_rows[static_cast<std::size_t>(row)]->params->deleteLater();
        m_selected.erase(m_rows[static_cast<std::size_t>(row)]->id);
        m_rows.erase(m_rows.begin() + row);
        endRemoveRows();
    }

    // Which inputs and outputs carry a cable, per node id.
    auto connectedPorts = [&](const PatchNode& node, bool outputs) {
        std::vector<bool> flags(outputs ? node.type->outputs.size() : node.type->inputs.size());
        for (const engine::Cable& c : pending.cables()) {
            if (outputs && c.from == node.id && static_cast<std::size_t>(c.fromPort) < flags.size())
                flags[static_cast<std::size_t>(c.fromPort)] = true;
            if (!outputs && c.to == node.id && static_cast<std::size_t>(c.toPort) < flags.size())
                flags[static_cast<std::size_t>(c.toPort)] = true;
        }
        return flags;
    };
    auto fill = [&](Row& r, const Wanted& w, QList<int>* roles) {
        const PatchNode& n = *w.node;
        const auto pos = positions.find(n.id);
        const double x = pos != positions.end() ? pos->second.x() : (n.position ? (*n.position)[0] : 0.0);
        const double y = pos != positions.end() ? pos->second.y() : (n.position ? (*n.position)[1] : 0.0);
        const PatchNode* before = committed.find(n.id);
        PendingMark mark = PendingMark::None;
        if (w.ghost)
            mark = PendingMark::Removed;
        else if (!before || before->type != n.type)
            mark = PendingMark::Added;
        else if (before->params != n.params)
            mark = PendingMark::Changed;
        QVariantList inputs = portList(n.type->inputs, w.ghost ? std::vector<bool>{} : connectedPorts(n, false));
        QVariantList outputs = portList(n.type->outputs, w.ghost ? std::vector<bool>{} : connectedPorts(n, true));
        QVariantList texts;
        if (n.type->text) {
            for (std::size_t t = 0; t < n.type->text->texts.size(); ++t) {
                const engine::TextParamSpec& spec = n.type->text->texts[t];
                texts.append(QVariantMap{{QStringLiteral("id"), QString::fromUtf8(spec.id)},
                                         {QStringLiteral("name"), QString::fromUtf8(spec.name)},
                                         {QStringLiteral("help"), QString::fromUtf8(spec.help)},
                                         {QStringLiteral("value"),
                                          QString::fromStdString(PatchGraph::textOf(n, static_cast<int>(t)))}});
            }
        }
        auto set = [&](auto& field, auto value, int role) {
            if (field != value) {
                field = std::move(value);
                if (roles)
                    roles->append(role);
            }
        };
        set(r.x, x, XRole);
        set(r.y, y, YRole);
        set(r.mark, mark, PendingRole);
        set(r.inputs, std::move(inputs), InputsRole);
        set(r.outputs, std::move(outputs), OutputsRole);
        set(r.texts, std::move(texts), TextsRole);
        const bool compare = !w.ghost && before && before->type == n.type;
        r.params->update(n.params, compare ? &before->params : nullptr);
    };

    // Rows that stay: what changed.
    std::vector<bool> present(wanted.size());
    for (std::size_t row = 0; row < m_rows.size(); ++row) {
        Row& r = *m_rows[row];
        const int w = wantedIndex(r);
        present[static_cast<std::size_t>(w)] = true;
        QList<int> roles;
        fill(r, wanted[static_cast<std::size_t>(w)], &roles);
        if (!roles.isEmpty()) {
            const QModelIndex i = index(static_cast<int>(row));
            emit dataChanged(i, i, roles);
        }
    }

    // New rows, appended in the patch's order.
    std::vector<std::unique_ptr<Row>> added;
    for (std::size_t w = 0; w < wanted.size(); ++w) {
        if (present[w])
            continue;
        auto r = std::make_unique<Row>();
        r->id = wanted[w].node->id;
        r->type = wanted[w].node->type;
        r->ghost = wanted[w].ghost;
        r->params = new ParamModel(*r->type, QString::fromStdString(r->id), this);
        fill(*r, wanted[w], nullptr);
        added.push_back(std::move(r));
    }
    if (!added.empty()) {
        const int first = static_cast<int>(m_rows.size());
        beginInsertRows({}, first, first + static_cast<int>(added.size()) - 1);
        for (auto& r : added)
            m_rows.push_back(std::move(r));
        endInsertRows();
    }
    if (rowCount() != countBefore)
        emit countChanged();
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
    for (std::size_t row = 0; row < m_rows.size(); ++row)
        if (m_rows[row]->id == key && !m_rows[row]->ghost)
            return static_cast<int>(row);
    for (std::size_t row = 0; row < m_rows.size(); ++row)
        if (m_rows[row]->id == key)
            return static_cast<int>(row);
    return -1;
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
    for (const auto& r : m_rows)
        if (!r->ghost && ids.count(r->id))
            live.insert(r->id);
    if (live == m_selected)
        return;
    std::set<std::string> old = std::move(m_selected);
    m_selected = std::move(live);
    for (std::size_t row = 0; row < m_rows.size(); ++row) {
        const std::string& id = m_rows[row]->id;
        if ((old.count(id) > 0) != (m_selected.count(id) > 0)) {
            const QModelIndex i = index(static_cast<int>(row));
            emit dataChanged(i, i, {SelectedRole});
        }
    }
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
    default: return {};
    }
}

QHash<int, QByteArray> CableModel::roleNames() const {
    return {{FromIdRole, "fromId"}, {FromPortRole, "fromPort"}, {FromPortIndexRole, "fromPortIndex"},
            {ToIdRole, "toId"},     {ToPortRole, "toPort"},     {ToPortIndexRole, "toPortIndex"},
            {KindRole, "kind"},     {PendingRole, "pending"}};
}

void CableModel::update(const PatchGraph& pending, const PatchGraph& committed) {
    struct Wanted {
        const engine::Cable* cable;
        const PatchGraph* graph;
        PendingMark mark;
    };
    std::vector<Wanted> wanted;
    auto contains = [](const PatchGraph& g, const engine::Cable& c) {
        return std::find(g.cables().begin(), g.cables().end(), c) != g.cables().end();
    };
    for (const engine::Cable& c : pending.cables())
        wanted.push_back({&c, &pending, contains(committed, c) ? PendingMark::None : PendingMark::Added});
    for (const engine::Cable& c : committed.cables())
        if (!contains(pending, c))
            wanted.push_back({&c, &committed, PendingMark::Removed});
    auto wantedIndex = [&](const Row& r) -> int {
        for (std::size_t i = 0; i < wanted.size(); ++i)
            if (*wanted[i].cable == r.cable && (wanted[i].mark == PendingMark::Removed) == (r.mark == PendingMark::Removed))
                return static_cast<int>(i);
        return -1;
    };
    const int before = rowCount();
    for (int row = static_cast<int>(m_rows.size()) - 1; row >= 0; --row) {
        if (wantedIndex(m_rows[static_cast<std::size_t>(row)]) >= 0)
            continue;
        beginRemoveRows({}, row, row);
        m_rows.erase(m_rows.begin() + row);
        endRemoveRows();
    }
    std::vector<bool> present(wanted.size());
    for (std::size_t row = 0; row < m_rows.size(); ++row) {
        const int w = wantedIndex(m_rows[row]);
        present[static_cast<std::size_t>(w)] = true;
        if (m_rows[row].mark != wanted[static_cast<std::size_t>(w)].mark) {
            m_rows[row].mark = wanted[static_cast<std::size_t>(w)].mark;
            const QModelIndex i = index(static_cast<int>(row));
            emit dataChanged(i, i, {PendingRole});
        }
    }
    std::vector<Row> added;
    for (std::size_t w = 0; w < wanted.size(); ++w) {
        if (present[w])
            continue;
        const engine::Cable& c = *wanted[w].cable;
        const PatchNode* from = wanted[w].graph->find(c.from);
        const PatchNode* to = wanted[w].graph->find(c.to);
        if (!from || !to)
            continue;
        const engine::PortSpec& out = from->type->outputs[static_cast<std::size_t>(c.fromPort)];
        Row r;
        r.cable = c;
        r.fromPort = QString::fromUtf8(out.id);
        r.toPort = QString::fromUtf8(to->type->inputs[static_cast<std::size_t>(c.toPort)].id);
        r.kind = signalKindName(out.kind);
        r.mark = wanted[w].mark;
        added.push_back(std::move(r));
    }
    if (!added.empty()) {
        const int first = rowCount();
        beginInsertRows({}, first, first + static_cast<int>(added.size()) - 1);
        for (Row& r : added)
            m_rows.push_back(std::move(r));
        endInsertRows();
    }
    if (rowCount() != before)
        emit countChanged();
}

QVariantMap CableModel::get(int row) const { return rowAsMap(*this, row); }

} // namespace chronus::editor
