#include "GridItem.hpp"

#include <QPainter>

#include <algorithm>
#include <cmath>

namespace chronus::editor {

GridItem::GridItem(QQuickItem* parent) : QQuickPaintedItem(parent) {
    setOpaquePainting(true); // the background is part of the picture: drawn without blending
    setAntialiasing(false);
    connect(this, &QQuickItem::widthChanged, this, [this] { update(); });
    connect(this, &QQuickItem::heightChanged, this, [this] { update(); });
}

void GridItem::setMinor(double minor) {
    minor = std::max(1.0, minor);
    if (minor == m_minor)
        return;
    m_minor = minor;
    update();
    emit minorChanged();
}

void GridItem::setMajorEvery(int every) {
    every = std::max(1, every);
    if (every == m_majorEvery)
        return;
    m_majorEvery = every;
    update();
    emit majorEveryChanged();
}

void GridItem::setColor(QColor& field, const QColor& color) {
    if (color == field)
        return;
    field = color;
    update();
    emit colorsChanged();
}

void GridItem::setBackground(const QColor& color) { setColor(m_background, color); }
void GridItem::setMinorColor(const QColor& color) { setColor(m_minorColor, color); }
void GridItem::setMajorColor(const QColor& color) { setColor(m_majorColor, color); }

void GridItem::paint(QPainter* painter) {
    const int w = static_cast<int>(std::ceil(width()));
    const int h = static_cast<int>(std::ceil(height()));
    painter->fillRect(0, 0, w, h, m_background);
    // Line i at round(i * minor), one pixel wide, as the lines of the lattice were.
    const int columns = static_cast<int>(std::ceil(w / m_minor));
    for (int i = 0; i <= columns; ++i) {
        const int x = static_cast<int>(std::lround(i * m_minor));
        painter->fillRect(x, 0, 1, h, i % m_majorEvery == 0 ? m_majorColor : m_minorColor);
    }
    const int rows = static_cast<int>(std::ceil(h / m_minor));
    for (int i = 0; i <= rows; ++i) {
        const int y = static_cast<int>(std::lround(i * m_minor));
        painter->fillRect(0, y, w, 1, i % m_majorEvery == 0 ? m_majorColor : m_minorColor);
    }
}

} // namespace chronus::editor
