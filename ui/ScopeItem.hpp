#pragma once
// The status panel's oscilloscope: the StatusModel's scope frames (left and right, overlaid) drawn
// as two line strips in the scene graph (with the software renderer, which draws no custom
// geometry, the same lines painted into an image). It repaints when the model's poll brings new
// frames (scopeUpdated), at the poll's rate; the audio thread never knows it exists.

#include "StatusModel.hpp"

#include <QColor>
#include <QPointer>
#include <QQuickItem>
#include <QtQml/qqmlregistration.h>

namespace chronus::editor {

class ScopeItem : public QQuickItem {
    Q_OBJECT
    QML_ELEMENT

    Q_PROPERTY(chronus::editor::StatusModel* source READ source WRITE setSource NOTIFY sourceChanged FINAL)
    Q_PROPERTY(QColor leftColor READ leftColor WRITE setLeftColor NOTIFY colorsChanged FINAL)
    Q_PROPERTY(QColor rightColor READ rightColor WRITE setRightColor NOTIFY colorsChanged FINAL)
    // Vertical scale: a sample of 1/gain reaches the top edge.
    Q_PROPERTY(double gain READ gain WRITE setGain NOTIFY gainChanged FINAL)

public:
    explicit ScopeItem(QQuickItem* parent = nullptr);

    StatusModel* source() const { return m_source; }
    void setSource(StatusModel* source);
    QColor leftColor() const { return m_leftColor; }
    void setLeftColor(const QColor& color);
    QColor rightColor() const { return m_rightColor; }
    void setRightColor(const QColor& color);
    double gain() const noexcept { return m_gain; }
    void setGain(double gain);

signals:
    void sourceChanged();
    void colorsChanged();
    void gainChanged();

protected:
    // Render thread, while the GUI thread waits (the scene graph's sync): reads the model's frames.
    QSGNode* updatePaintNode(QSGNode* old, UpdatePaintNodeData* data) override;

private:
    QSGNode* updateLineNodes(QSGNode* old);
    QSGNode* updateImageNode(QSGNode* old);
    // Where frame `i` of `points` of `channel` goes in the item.
    QPointF point(int i, int points, int channel) const;

    QPointer<StatusModel> m_source;
    QMetaObject::Connection m_connection;
    QColor m_leftColor{0x4c, 0xc9, 0x8a};
    QColor m_rightColor{0x5a, 0xa8, 0xf0};
    double m_gain = 1.0;
    bool m_colorsDirty = true;
};

} // namespace chronus::editor
