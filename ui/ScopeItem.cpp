#include "ScopeItem.hpp"

#include "StatusModel.hpp"

#include <QPainter>
#include <QQuickWindow>
#include <QSGFlatColorMaterial>
#include <QSGGeometryNode>
#include <QSGImageNode>
#include <QSGRendererInterface>
#include <QtMath>

#include <algorithm>
#include <memory>

namespace chronus::editor {

namespace {
QSGGeometryNode* newLine(const QColor& color) {
    auto* node = new QSGGeometryNode;
    auto* geometry = new QSGGeometry(QSGGeometry::defaultAttributes_Point2D(), 0);
    geometry->setDrawingMode(QSGGeometry::DrawLineStrip);
    geometry->setLineWidth(1.0f);
    node->setGeometry(geometry);
    node->setFlag(QSGNode::OwnsGeometry);
    auto* material = new QSGFlatColorMaterial;
    material->setColor(color);
    node->setMaterial(material);
    node->setFlag(QSGNode::OwnsMaterial);
    return node;
}
} // namespace

ScopeItem::ScopeItem(QQuickItem* parent) : QQuickItem(parent) { setFlag(ItemHasContents, true); }

void ScopeItem::setSource(StatusModel* source) {
    if (m_source == source)
        return;
    disconnect(m_connection);
    m_source = source;
    if (source)
        m_connection = connect(source, &StatusModel::scopeUpdated, this, &QQuickItem::update);
    emit sourceChanged();
    update();
}

void ScopeItem::setLeftColor(const QColor& color) {
    if (m_leftColor == color)
        return;
    m_leftColor = color;
    m_colorsDirty = true;
    emit colorsChanged();
    update();
}

void ScopeItem::setRightColor(const QColor& color) {
    if (m_rightColor == color)
        return;
    m_rightColor = color;
    m_colorsDirty = true;
    emit colorsChanged();
    update();
}

void ScopeItem::setGain(double gain) {
    if (m_gain == gain || !(gain > 0.0))
        return;
    m_gain = gain;
    emit gainChanged();
    update();
}

QPointF ScopeItem::point(int i, int points, int channel) const {
    const int frames = m_source ? m_source->scopeFrameCount() : 0;
    const double mid = height() / 2.0;
    // Without frames, a flat line: the scope is there and silent.
    const double sample = frames >= 2 ? static_cast<double>(m_source->scopeFrames()[static_cast<std::size_t>(2 * i + channel)]) : 0.0;
    return {width() * i / (points - 1), std::clamp(mid - sample * mid * m_gain, 0.0, 2.0 * mid)};
}

QSGNode* ScopeItem::updatePaintNode(QSGNode* old, UpdatePaintNodeData*) {
    if (width() <= 0.0 || height() <= 0.0) {
        delete old;
        return nullptr;
    }
    // The software renderer draws no custom geometry: there the lines go through an image.
    if (window()->rendererInterface()->graphicsApi() == QSGRendererInterface::Software)
        return updateImageNode(old);
    return updateLineNodes(old);
}

QSGNode* ScopeItem::updateLineNodes(QSGNode* old) {
    QSGNode* root = old;
    if (!root) {
        root = new QSGNode;
        root->appendChildNode(newLine(m_rightColor)); // left drawn last, on top
        root->appendChildNode(newLine(m_leftColor));
        m_colorsDirty = false;
    }
    const int points = std::max(m_source ? m_source->scopeFrameCount() : 0, 2);
    for (int c = 0; c < 2; ++c) {
        auto* node = static_cast<QSGGeometryNode*>(c == 0 ? root->lastChild() : root->firstChild());
        if (m_colorsDirty) {
            static_cast<QSGFlatColorMaterial*>(node->material())->setColor(c == 0 ? m_leftColor : m_rightColor);
            node->markDirty(QSGNode::DirtyMaterial);
        }
        QSGGeometry* geometry = node->geometry();
        if (geometry->vertexCount() != points)
            geometry->allocate(points);
        QSGGeometry::Point2D* v = geometry->vertexDataAsPoint2D();
        for (int i = 0; i < points; ++i) {
            const QPointF p = point(i, points, c);
            v[i].set(static_cast<float>(p.x()), static_cast<float>(p.y()));
        }
        node->markDirty(QSGNode::DirtyGeometry);
    }
    m_colorsDirty = false;
    return root;
}

namespace {
// The image a software-rendered scope shows, and the texture made of it (the image node does not
// own it: whether replacing an owned texture deletes the old one differs between Qt versions).
struct ImageScopeNode : QSGNode {
    QSGImageNode* image = nullptr;
    std::unique_ptr<QSGTexture> texture;
};
} // namespace

QSGNode* ScopeItem::updateImageNode(QSGNode* old) {
    auto* node = static_cast<ImageScopeNode*>(old);
    if (!node) {
        node = new ImageScopeNode;
        node->image = window()->createImageNode();
        node->image->setOwnsTexture(false);
        node->image->setFiltering(QSGTexture::Linear);
        node->appendChildNode(node->image);
    }
    const qreal dpr = window()->effectiveDevicePixelRatio();
    QImage image(QSize(qCeil(width() * dpr), qCeil(height() * dpr)), QImage::Format_ARGB32_Premultiplied);
    image.setDevicePixelRatio(dpr);
    image.fill(Qt::transparent);
    {
        // The raster engine's cost is per segment: one point per pixel column is all a screen shows
        // (1024 antialiased segments per channel took ~9 ms of the GUI thread at 30 Hz).
        QPainter painter(&image);
        painter.setRenderHint(QPainter::Antialiasing);
        const int frames = std::max(m_source ? m_source->scopeFrameCount() : 0, 2);
        const int columns = std::clamp(static_cast<int>(width()), 2, frames);
        QPolygonF line(columns);
        for (int c : {1, 0}) { // left on top
            for (int k = 0; k < columns; ++k) {
                const int i = static_cast<int>(static_cast<long long>(k) * (frames - 1) / (columns - 1));
                line[k] = point(i, frames, c);
            }
            painter.setPen(QPen(c == 0 ? m_leftColor : m_rightColor, 1.0));
            painter.drawPolyline(line);
        }
    }
    QSGTexture* texture = window()->createTextureFromImage(image);
    node->image->setTexture(texture);
    node->image->setRect(boundingRect());
    node->texture.reset(texture); // the previous one, no longer drawn, goes
    return node;
}

} // namespace chronus::editor
