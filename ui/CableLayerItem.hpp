#pragma once
// Every cable of the patch painted into one image, for Qt Quick's software renderer (no GPU).
// There a cable drawn as a Shape was re-stroked, antialiased, on every frame of a pan (the most
// expensive thing on the canvas), and Qt 6.4 painted a Shape lying outside the canvas's clip with
// no clip at all (stray cable pieces over the panels). This item reads the cables and the node
// positions from the controller's models and paints them, in view coordinates, into an image:
// - the cables of selected nodes are left to their CableItems (Shapes), so dragging a selection
//   moves a few Shapes and leaves the picture alone;
// - when the patch changes (a cable added, a node moved by undo) it paints just the view, and a
//   quarter of a second later, if nothing changed meanwhile, a picture half a view larger on each
//   side;
// - when only the view moves (a pan), it shows another part of that picture, and paints a new one
//   around the view when the view leaves it (or the zoom changes).
// CableItem.qml keeps one item per cable for hit testing and tests; with a GPU every cable is a
// Shape, as before, and this item is not used.

#include "GraphModels.hpp"

#include <QColor>
#include <QImage>
#include <QPointer>
#include <QQuickItem>
#include <QRectF>
#include <QString>
#include <QTimer>
#include <QtQml/qqmlregistration.h>

#include <cstdint>

namespace chronus::editor {

class CableLayerItem : public QQuickItem {
    Q_OBJECT
    QML_ELEMENT

    Q_PROPERTY(chronus::editor::NodeModel* nodes READ nodes WRITE setNodes NOTIFY modelsChanged FINAL)
    Q_PROPERTY(chronus::editor::CableModel* cables READ cables WRITE setCables NOTIFY modelsChanged FINAL)
    // The view: where canvas (0, 0) is in this item, and the zoom.
    Q_PROPERTY(double originX READ originX WRITE setOriginX NOTIFY viewChanged FINAL)
    Q_PROPERTY(double originY READ originY WRITE setOriginY NOTIFY viewChanged FINAL)
    Q_PROPERTY(double zoom READ zoom WRITE setZoom NOTIFY viewChanged FINAL)
    // The cable ids (CableModel's cableId) of the selected cable and of the one picked up by a
    // drag (-1 = none). Where a port's cable attaches is CardGeometry's.
    Q_PROPERTY(int selectedCable READ selectedCable WRITE setSelectedCable NOTIFY styleChanged FINAL)
    Q_PROPERTY(int pickupCable READ pickupCable WRITE setPickupCable NOTIFY styleChanged FINAL)
    Q_PROPERTY(QColor audioColor MEMBER m_audio NOTIFY styleChanged FINAL)
    Q_PROPERTY(QColor cvColor MEMBER m_cv NOTIFY styleChanged FINAL)
    Q_PROPERTY(QColor gateColor MEMBER m_gate NOTIFY styleChanged FINAL)
    Q_PROPERTY(QColor otherColor MEMBER m_other NOTIFY styleChanged FINAL)
    Q_PROPERTY(QColor labelBackground MEMBER m_labelBackground NOTIFY styleChanged FINAL)
    // How many times the picture was painted (for tests and the bench: a pan shows, not paints).
    Q_PROPERTY(int paints READ paints NOTIFY painted FINAL)
    // The picture reaches half a view past the view on each side (ready for a pan).
    Q_PROPERTY(bool hasMargins READ hasMargins NOTIFY painted FINAL)

public:
    explicit CableLayerItem(QQuickItem* parent = nullptr);

    NodeModel* nodes() const { return m_nodes; }
    void setNodes(NodeModel* nodes);
    CableModel* cables() const { return m_cables; }
    void setCables(CableModel* cables);
    double originX() const noexcept { return m_originX; }
    void setOriginX(double x);
    double originY() const noexcept { return m_originY; }
    void setOriginY(double y);
    double zoom() const noexcept { return m_zoom; }
    void setZoom(double zoom);
    int selectedCable() const noexcept { return m_selectedCable; }
    void setSelectedCable(int cableId);
    int pickupCable() const noexcept { return m_pickupCable; }
    void setPickupCable(int cableId);
    int paints() const noexcept { return m_paints; }
    bool hasMargins() const noexcept { return m_pictureHasMargins; }

    // Paints the cables of the canvas rect `area` (canvas coordinates) at `zoom` into `image`,
    // whose pixel (0, 0) is the canvas point area.topLeft(). Public for tests.
    void paintCables(QImage& image, const QRectF& area, double zoom) const;

signals:
    void modelsChanged();
    void viewChanged();
    void styleChanged();
    void painted();

protected:
    void itemChange(ItemChange change, const ItemChangeData& value) override;
    void updatePolish() override;
    QSGNode* updatePaintNode(QSGNode* old, UpdatePaintNodeData* data) override;

private:
    void patchChanged();
    void setView(double& field, double value);
    void watch(QAbstractItemModel* model);

    QPointer<NodeModel> m_nodes;
    QPointer<CableModel> m_cables;
    double m_originX = 0.0, m_originY = 0.0, m_zoom = 1.0;
    int m_selectedCable = -1, m_pickupCable = -1;
    QColor m_audio{0x4f, 0xc3, 0xf7}, m_cv{0xff, 0xb7, 0x4d}, m_gate{0x81, 0xc7, 0x84}, m_other{0x8c, 0x8f, 0x99};
    QColor m_labelBackground{0x1e, 0x1f, 0x24}; // a poly cable's channel count sits on it

    // The picture: `m_picture` shows the canvas rect m_pictureArea at m_pictureZoom (in device
    // pixels: m_pictureDpr per item pixel), painted for m_pictureGeneration of the patch.
    std::uint64_t m_generation = 1, m_pictureGeneration = 0;
    QImage m_picture;
    QRectF m_pictureArea;
    double m_pictureZoom = 0.0, m_pictureDpr = 1.0;
    bool m_pictureChanged = false, m_pictureHasMargins = false, m_wantMargins = false;
    QTimer m_marginTimer;
    int m_paints = 0;
};

} // namespace chronus::editor
