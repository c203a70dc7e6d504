#include "Selection.hpp"

#include "EditorController.hpp"
#include "GraphModels.hpp"
#include "PatchFile.hpp"

#include "engine/ModuleRegistry.hpp"

#include <QClipboard>
#include <QGuiApplication>

#include <set>
#include <string>

namespace chronus::editor {

using engine::PatchGraph;
using engine::PatchNode;

Selection::Selection(EditorController& controller, NodeModel& nodes, QObject* parent)
    : QObject(parent), m_controller(controller), m_nodes(nodes) {}

void Selection::select(const QString& id, bool additive) {
    std::set<std::string> sel = additive ? m_nodes.selection() : std::set<std::string>{};
    const std::string key = id.toStdString();
    if (additive && sel.count(key))
        sel.erase(key);
    else if (!id.isEmpty())
        sel.insert(key);
    m_nodes.setSelection(std::move(sel));
}

void Selection::selectInRect(double x, double y, double w, double h, bool additive) {
    const QRectF rect = QRectF(x, y, w, h).normalized();
    std::set<std::string> sel = additive ? m_nodes.selection() : std::set<std::string>{};
    for (int row = 0; row < m_nodes.rowCount(); ++row) {
        const QModelIndex i = m_nodes.index(row);
        if (!m_nodes.isGhost(row) &&
            rect.contains(QPointF(i.data(NodeModel::XRole).toDouble(), i.data(NodeModel::YRole).toDouble())))
            sel.insert(i.data(NodeModel::NodeIdRole).toString().toStdString());
    }
    m_nodes.setSelection(std::move(sel));
}

void Selection::selectAll() {
    std::set<std::string> sel;
    for (int row = 0; row < m_nodes.rowCount(); ++row)
        if (!m_nodes.isGhost(row))
            sel.insert(m_nodes.index(row).data(NodeModel::NodeIdRole).toString().toStdString());
    m_nodes.setSelection(std::move(sel));
}

void Selection::clear() { m_nodes.setSelection({}); }

QRectF Selection::rect() const {
    QRectF box;
    for (const std::string& id : m_nodes.selection()) {
        const int row = m_nodes.rowOf(QString::fromStdString(id));
        if (row < 0)
            continue;
        const QModelIndex i = m_nodes.index(row);
        const QRectF corner(QPointF(i.data(NodeModel::XRole).toDouble(), i.data(NodeModel::YRole).toDouble()),
                            QSizeF(1, 1));
        box = box.isNull() ? corner : box.united(corner);
    }
    return box;
}

// The selected modules (not `out`) and the cables between them, as a patch file.
QByteArray Selection::asPatch() const {
    PatchGraph fragment;
    const PatchGraph doc = m_controller.document();
    const auto& sel = m_nodes.selection();
    for (const PatchNode& n : doc.nodes()) {
        if (!sel.count(n.id) || n.id == engine::ModuleRegistry::kOutputId)
            continue;
        (void)fragment.addModule(n.id, n.type->id);
        for (std::size_t p = 0; p < n.params.size(); ++p)
            (void)fragment.setParam(n.id, n.type->params[p].id, n.params[p]);
        if (n.position)
            (void)fragment.setPosition(n.id, (*n.position)[0], (*n.position)[1]);
    }
    for (const engine::Cable& c : doc.cables()) {
        if (!fragment.find(c.from) || !fragment.find(c.to))
            continue;
        const PatchNode* from = doc.find(c.from);
        const PatchNode* to = doc.find(c.to);
        (void)fragment.connect(c.from + "." + from->type->outputs[static_cast<std::size_t>(c.fromPort)].id,
                               c.to + "." + to->type->inputs[static_cast<std::size_t>(c.toPort)].id);
    }
    return fragment.nodes().size() > 1 ? app::serializePatch(fragment) : QByteArray();
}

bool Selection::duplicate() {
    const QByteArray json = asPatch();
    if (json.isEmpty()) {
        m_controller.setMessage(QStringLiteral("select modules to duplicate"));
        return false;
    }
    const QRectF box = rect();
    return m_controller.insertPatch(json, box.x() + 40.0, box.y() + 40.0, QStringLiteral("Duplicate"));
}

void Selection::copy() {
    const QByteArray json = asPatch();
    if (json.isEmpty()) {
        m_controller.setMessage(QStringLiteral("select modules to copy"));
        return;
    }
    m_clipboard = json;
    // Also as text: a patch fragment an agent or a text editor can read.
    if (auto* clipboard = QGuiApplication::clipboard())
        clipboard->setText(QString::fromUtf8(json));
    m_controller.setMessage(QStringLiteral("copied %1 modules").arg(m_nodes.selectedCount()));
    emit clipboardChanged();
}

bool Selection::paste(double x, double y) {
    if (m_clipboard.isEmpty()) {
        m_controller.setMessage(QStringLiteral("nothing to paste"));
        return false;
    }
    return m_controller.insertPatch(m_clipboard, x, y, QStringLiteral("Paste"));
}

} // namespace chronus::editor
