#pragma once
// The canvas grid as one painted item: the background colour and the minor and major lines of a
// lattice, painted once into the item's image and repainted only when the cell size, the colours
// or the size change. A pan moves the item (GridBackground.qml wraps it by one major cell), so the
// renderer moves one image instead of a hundred line items: with Qt Quick's software renderer
// every opaque line also cut the frame's dirty region into strips, and every card and cable above
// then paid for the strips.

#include <QColor>
#include <QQuickPaintedItem>
#include <QtQml/qqmlregistration.h>

namespace chronus::editor {

class GridItem : public QQuickPaintedItem {
    Q_OBJECT
    QML_ELEMENT

    // The minor cell in item pixels (lines at 0, minor, 2 minor, ...; whole pixels).
    Q_PROPERTY(double minor READ minor WRITE setMinor NOTIFY minorChanged FINAL)
    // Every majorEvery-th line is a major line (1: all lines are major).
    Q_PROPERTY(int majorEvery READ majorEvery WRITE setMajorEvery NOTIFY majorEveryChanged FINAL)
    Q_PROPERTY(QColor background READ background WRITE setBackground NOTIFY colorsChanged FINAL)
    Q_PROPERTY(QColor minorColor READ minorColor WRITE setMinorColor NOTIFY colorsChanged FINAL)
    Q_PROPERTY(QColor majorColor READ majorColor WRITE setMajorColor NOTIFY colorsChanged FINAL)

public:
    explicit GridItem(QQuickItem* parent = nullptr);

    double minor() const noexcept { return m_minor; }
    void setMinor(double minor);
    int majorEvery() const noexcept { return m_majorEvery; }
    void setMajorEvery(int every);
    QColor background() const { return m_background; }
    void setBackground(const QColor& color);
    QColor minorColor() const { return m_minorColor; }
    void setMinorColor(const QColor& color);
    QColor majorColor() const { return m_majorColor; }
    void setMajorColor(const QColor& color);

    void paint(QPainter* painter) override;

signals:
    void minorChanged();
    void majorEveryChanged();
    void colorsChanged();

private:
    void setColor(QColor& field, const QColor& color);

    double m_minor = 20.0;
    int m_majorEvery = 5;
    QColor m_background{0x1e, 0x1f, 0x24};
    QColor m_minorColor{0x24, 0x25, 0x2b};
    QColor m_majorColor{0x2c, 0x2d, 0x34};
};

} // namespace chronus::editor
