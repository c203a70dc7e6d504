#include "CableLayerItem.hpp"

#include "CardGeometry.hpp"

#include <QHash>
#include <QFontMetricsF>
#include <QPainter>
#include <QPainterPath>
#include <QQuickWindow>
#include <QSGImageNode>
#include <QSGTexture>

#include <algorithm>
#include <utility>
#include <cmath>
#include <memory>
#include <vector>

namespace chronus::editor {

CableLayerItem::CableLayerItem(QQuickItem* parent) : QQuickItem(parent) {
    setFlag(ItemHasContents, true);
    // A quarter of a second after the patch last changed, the picture of just the view grows its
    // margins, so the next pan starts without painting.
    m_marginTimer.setSingleShot(true);
    m_marginTimer.setInterval(250);
    connect(&m_marginTimer, &QTimer::timeout, this, [this] {
        m_wantMargins = true;
        polish();
    });
    connect(this, &CableLayerItem::styleChanged, this, &CableLayerItem::patchChanged);
    connect(this, &QQuickItem::widthChanged, this, [this] { polish(); });
    connect(this, &QQuickItem::heightChanged, this, [this] { polish(); });
}

void CableLayerItem::watch(QAbstractItemModel* model) {
    if (model == m_nodes) {
        // A selected node's cables are not in the picture (their items draw them while the node
        // is dragged): moving only selected nodes changes nothing here.
        connect(model, &QAbstractItemModel::dataChanged, this,
                [this](const QModelIndex& first, const QModelIndex& last, const QList<int>& roles) {
                    // Parameters and texts do not move cables.
                    static const QList<int> shaping{NodeModel::NodeIdRole, NodeModel::XRole,      NodeModel::YRole,
                                                    NodeModel::SelectedRole, NodeModel::PendingRole,
                                                    NodeModel::InputsRole, NodeModel::OutputsRole};
                    if (!roles.isEmpty() &&
                        std::none_of(roles.begin(), roles.end(), [](int r) { return shaping.contains(r); }))
                        return;
                    const bool moveOnly = !roles.isEmpty() && std::all_of(roles.begin(), roles.end(), [](int r) {
                        return r == NodeModel::XRole || r == NodeModel::YRole;
                    });
                    if (moveOnly && m_nodes) {
                        bool unselectedMoved = false;
                        for (int row = first.row(); row <= last.row() && !unselectedMoved; ++row)
                            unselectedMoved = !m_nodes->index(row).data(NodeModel::SelectedRole).toBool();
                        if (!unselectedMoved)
                            return;
                    }
                    patchChanged();
                });
    } else {
        connect(model, &QAbstractItemModel::dataChanged, this, &CableLayerItem::patchChanged);
    }
    connect(model, &QAbstractItemModel::rowsInserted, this, &CableLayerItem::patchChanged);
    connect(model, &QAbstractItemModel::rowsRemoved, this, &CableLayerItem::patchChanged);
    connect(model, &QAbstractItemModel::modelReset, this, &CableLayerItem::patchChanged);
    connect(model, &QAbstractItemModel::layoutChanged, this, &CableLayerItem::patchChanged);
}

void CableLayerItem::setNodes(NodeModel* nodes) {
    if (m_nodes == nodes)
        return;
    if (m_nodes)
        disconnect(m_nodes, nullptr, this, nullptr);
    m_nodes = nodes;
    if (nodes)
        watch(nodes);
    emit modelsChanged();
    patchChanged();
}

void CableLayerItem::setCables(CableModel* cables) {
    if (m_cables == cables)
        return;
    if (m_cables)
        disconnect(m_cables, nullptr, this, nullptr);
    m_cables = cables;
    if (cables)
        watch(cables);
    emit modelsChanged();
    patchChanged();
}

void CableLayerItem::setView(double& field, double value) {
    if (value == field)
        return;
    field = value;
    emit viewChanged();
    polish(); // a new picture only when the view leaves the one there is (updatePolish)
}

void CableLayerItem::setOriginX(double x) { setView(m_originX, x); }
void CableLayerItem::setOriginY(double y) { setView(m_originY, y); }

void CableLayerItem::setZoom(double zoom) {
    if (zoom > 0.0)
        setView(m_zoom, zoom);
}

void CableLayerItem::setSelectedCable(int cableId) {
    if (cableId == m_selectedCable)
        return;
    m_selectedCable = cableId;
    emit styleChanged();
}

void CableLayerItem::setPickupCable(int cableId) {
    if (cableId == m_pickupCable)
        return;
    m_pickupCable = cableId;
    emit styleChanged();
}

void CableLayerItem::patchChanged() {
    ++m_generation;
    polish();
}

void CableLayerItem::itemChange(ItemChange change, const ItemChangeData& value) {
    if (change == ItemVisibleHasChanged && value.boolValue)
        polish(); // what changed while hidden
    QQuickItem::itemChange(change, value);
}

void CableLayerItem::updatePolish() {
    // Hidden (a GPU draws the cables as Shapes): nothing to paint, however the patch changes.
    if (!isVisible() || !window() || width() <= 0 || height() <= 0)
        return;
    const double dpr = window()->effectiveDevicePixelRatio();
    const QRectF view(-m_originX / m_zoom, -m_originY / m_zoom, width() / m_zoom, height() / m_zoom);
    const bool samePatch = m_pictureGeneration == m_generation && m_pictureZoom == m_zoom && m_pictureDpr == dpr;
    const bool wantMargins = std::exchange(m_wantMargins, false) && samePatch && !m_pictureHasMargins;
    if (samePatch && m_pictureArea.contains(view) && !wantMargins) {
        update(); // only another part of the picture to show
        return;
    }
    // The patch changed: paint what is in view (the next change may come with the next frame),
    // and the margins once it rests. Only the view moved: paint a picture half a view larger on
    // every side, for the pan to come.
    const bool margins = samePatch;
    const QRectF area = margins ? view.adjusted(-view.width() / 2, -view.height() / 2, view.width() / 2, view.height() / 2)
                                : view;
    if (margins)
        m_marginTimer.stop();
    else
        m_marginTimer.start();
    m_pictureHasMargins = margins;
    const QSize pixels(static_cast<int>(std::ceil(area.width() * m_zoom * dpr)) + 1,
                       static_cast<int>(std::ceil(area.height() * m_zoom * dpr)) + 1);
    if (m_picture.size() != pixels)
        m_picture = QImage(pixels, QImage::Format_ARGB32_Premultiplied);
    m_picture.fill(Qt::transparent);
    paintCables(m_picture, area, m_zoom * dpr);
    m_pictureArea = area;
    m_pictureZoom = m_zoom;
    m_pictureDpr = dpr;
    m_pictureGeneration = m_generation;
    m_pictureChanged = true;
    ++m_paints;
    emit painted();
    update();
}

void CableLayerItem::paintCables(QImage& image, const QRectF& area, double zoom) const {
    if (!m_nodes || !m_cables)
        return;
    struct Node {
        double x = 0, y = 0;
        bool ghost = true, selected = false;
    };
    QHash<QString, Node> nodes;
    nodes.reserve(m_nodes->rowCount());
    for (int row = 0; row < m_nodes->rowCount(); ++row) {
        const QModelIndex i = m_nodes->index(row);
        const QString id = i.data(NodeModel::NodeIdRole).toString();
        const bool ghost = m_nodes->isGhost(row);
        auto found = nodes.find(id);
        if (found != nodes.end() && !found->ghost)
            continue; // a ghost (removed, pending) never hides a live node of the same id
        nodes.insert(id, Node{i.data(NodeModel::XRole).toDouble(), i.data(NodeModel::YRole).toDouble(), ghost,
                              i.data(NodeModel::SelectedRole).toBool()});
    }

    struct Cable {
        QPainterPath path;
        QColor color;
        double opacity = 1.0;
        bool dashed = false, selected = false, poly = false;
        int channels = 1;
        QPointF start;
    };
    std::vector<Cable> visible;
    for (int row = 0; row < m_cables->rowCount(); ++row) {
        const QModelIndex i = m_cables->index(row);
        const QString fromId = i.data(CableModel::FromIdRole).toString();
        const QString toId = i.data(CableModel::ToIdRole).toString();
        const auto from = nodes.constFind(fromId), to = nodes.constFind(toId);
        if (from == nodes.cend() || to == nodes.cend() || from->selected || to->selected)
            continue;
        const double x0 = from->x + CardGeometry::kNodeWidth;
        const double y0 = from->y + CardGeometry::portY(i.data(CableModel::FromPortIndexRole).toInt());
        const double x1 = to->x;
        const double y1 = to->y + CardGeometry::portY(i.data(CableModel::ToPortIndexRole).toInt());
        const double bend = std::max(40.0, std::abs(x1 - x0) * 0.5);
        const QRectF box = QRectF(QPointF(std::min(x0, x1 - bend), std::min(y0, y1)),
                                  QPointF(std::max(x0 + bend, x1), std::max(y0, y1)))
                               .adjusted(-6, -6, 6, 6);
        if (!box.intersects(area))
            continue;
        Cable c;
        c.path.moveTo(x0, y0);
        c.path.cubicTo(x0 + bend, y0, x1 - bend, y1, x1, y1);
        const QString kind = i.data(CableModel::KindRole).toString();
        c.color = kind == QLatin1String("audio") ? m_audio
                  : kind == QLatin1String("cv")  ? m_cv
                  : kind == QLatin1String("gate") ? m_gate
                                                  : m_other;
        const QString pending = i.data(CableModel::PendingRole).toString();
        const int cableId = i.data(CableModel::CableIdRole).toInt();
        c.dashed = !pending.isEmpty();
        c.opacity = cableId == m_pickupCable ? 0.2 : pending == QLatin1String("removed") ? 0.3 : 1.0;
        c.selected = cableId == m_selectedCable;
        c.channels = i.data(CableModel::ChannelsRole).toInt();
        c.poly = c.channels > 1;
        c.start = QPointF(x0, y0);
        visible.push_back(std::move(c));
    }
    // The selected cable on top, as its item's z says.
    std::stable_partition(visible.begin(), visible.end(), [](const Cable& c) { return !c.selected; });

    QPainter painter(&image);
    painter.setRenderHint(QPainter::Antialiasing, true);
    painter.scale(zoom, zoom);
    painter.translate(-area.left(), -area.top());
    painter.setBrush(Qt::NoBrush);
    for (const Cable& c : visible) {
        painter.setOpacity(c.opacity);
        if (c.selected) {
            QPen halo(QColor::fromRgbF(1.0f, 0.54f, 0.24f, 0.45f), 8.0, Qt::SolidLine, Qt::RoundCap);
            painter.setPen(halo);
            painter.drawPath(c.path);
        }
        QPen pen(c.color, (c.selected ? 3.5 : 2.5) + (c.poly ? CardGeometry::kPolyCableExtraWidth : 0.0), Qt::SolidLine,
                 Qt::RoundCap);
        if (c.dashed)
            pen.setDashPattern({3.0, 2.0});
        painter.setPen(pen);
        painter.drawPath(c.path);
    }
    // The channel counts of poly cables, by their output ports (as CableItem.qml draws them).
    QFont font = painter.font();
    font.setPixelSize(10);
    font.setBold(true);
    painter.setFont(font);
    const QFontMetricsF metrics(font);
    for (const Cable& c : visible) {
        if (!c.poly)
            continue;
        painter.setOpacity(c.opacity);
        const QString text = QString::number(c.channels);
        const QSizeF size(metrics.horizontalAdvance(text) + 6.0, metrics.height() + 2.0);
        const QRectF box(QPointF(c.start.x() + 6.0, c.start.y() - size.height() - 3.0), size);
        painter.setPen(QPen(c.color, 1.0));
        painter.setBrush(m_labelBackground);
        painter.drawRoundedRect(box, 3.0, 3.0);
        painter.setBrush(Qt::NoBrush);
        painter.drawText(box, Qt::AlignCenter, text);
    }
}

namespace {
// The picture and its texture (the image node does not own it: see ScopeItem).
struct PictureNode : QSGNode {
    QSGImageNode* image = nullptr;
    std::unique_ptr<QSGTexture> texture;
};
} // namespace

QSGNode* CableLayerItem::updatePaintNode(QSGNode* old, UpdatePaintNodeData*) {
    auto* node = static_cast<PictureNode*>(old);
    if (m_picture.isNull() || m_pictureZoom <= 0.0) {
        delete node;
        return nullptr;
    }
    if (!node) {
        node = new PictureNode;
        node->image = window()->createImageNode();
        node->image->setOwnsTexture(false);
        node->image->setFiltering(QSGTexture::Nearest);
        node->appendChildNode(node->image);
    }
    if (m_pictureChanged || !node->texture) {
        node->texture.reset(window()->createTextureFromImage(m_picture));
        node->image->setTexture(node->texture.get());
        m_pictureChanged = false;
    }
    // The picture's pixel (0, 0) is the canvas point m_pictureArea.topLeft(); show the part of it in
    // the item, at whole device pixels.
    const double dpr = m_pictureDpr;
    const QPointF at(std::round((m_originX + m_pictureArea.left() * m_zoom) * dpr) / dpr,
                     std::round((m_originY + m_pictureArea.top() * m_zoom) * dpr) / dpr);
    const QRectF picture(at, QSizeF(m_picture.size()) / dpr);
    const QRectF shown = picture.intersected(QRectF(0, 0, width(), height()));
    if (shown.isEmpty()) {
        node->image->setRect(QRectF());
        node->image->setSourceRect(QRectF());
    } else {
        const QRectF source = shown.translated(-at);
        node->image->setRect(shown);
        node->image->setSourceRect(QRectF(source.topLeft() * dpr, source.size() * dpr));
    }
    node->image->markDirty(QSGNode::DirtyGeometry);
    return node;
}

} // namespace chronus::editor
