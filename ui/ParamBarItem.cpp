#include "ParamBarItem.hpp"

#include <QFontMetrics>
#include <QPainter>
#include <QQuickWindow>

#include <algorithm>
#include <cmath>

namespace chronus::editor {

namespace {
constexpr double kRadius = 3.0;
constexpr int kTextMargin = 6;
constexpr int kPixelSize = 11;
} // namespace

ParamBarItem::ParamBarItem(QQuickItem* parent) : QQuickPaintedItem(parent) {
    setAntialiasing(true);
    m_nameFont.setPixelSize(kPixelSize);
    m_valueFont.setPixelSize(kPixelSize);
    connect(this, &QQuickItem::widthChanged, this, &ParamBarItem::updateTextureSize);
    connect(this, &QQuickItem::heightChanged, this, &ParamBarItem::updateTextureSize);
}

void ParamBarItem::setRenderScale(double scale) {
    scale = std::clamp(scale, 0.05, 8.0);
    if (scale == m_renderScale)
        return;
    m_renderScale = scale;
    updateTextureSize();
    emit renderScaleChanged();
}

// paint() keeps drawing in item coordinates; Qt scales the painter to the texture.
void ParamBarItem::updateTextureSize() {
    const double pixels = m_renderScale * (window() ? window()->effectiveDevicePixelRatio() : 1.0);
    setTextureSize(QSize(std::max(1, static_cast<int>(std::ceil(width() * pixels))),
                         std::max(1, static_cast<int>(std::ceil(height() * pixels)))));
    update();
}

void ParamBarItem::itemChange(ItemChange change, const ItemChangeData& value) {
    if (change == ItemSceneChange || change == ItemDevicePixelRatioHasChanged)
        updateTextureSize();
    QQuickPaintedItem::itemChange(change, value);
}

template <typename T>
void ParamBarItem::set(T& field, const T& value) {
    if (field == value)
        return;
    field = value;
    update();
    emit faceChanged();
}

void ParamBarItem::setName(const QString& name) { set(m_name, name); }
void ParamBarItem::setDisplay(const QString& display) { set(m_display, display); }
void ParamBarItem::setFraction(double fraction) { set(m_fraction, std::clamp(fraction, 0.0, 1.0)); }
void ParamBarItem::setChanged(bool changed) { set(m_changed, changed); }
void ParamBarItem::setHot(bool hot) { set(m_hot, hot); }
void ParamBarItem::setShowValue(bool show) { set(m_showValue, show); }
void ParamBarItem::setTrackColor(const QColor& c) { set(m_track, c); }
void ParamBarItem::setOutlineColor(const QColor& c) { set(m_outline, c); }
void ParamBarItem::setAccentColor(const QColor& c) { set(m_accent, c); }
void ParamBarItem::setChangedColor(const QColor& c) { set(m_changedColor, c); }
void ParamBarItem::setTextColor(const QColor& c) { set(m_text, c); }

void ParamBarItem::setValueFontFamily(const QString& family) {
    if (family == m_valueFont.family())
        return;
    m_valueFont.setFamily(family);
    update();
    emit faceChanged();
}

void ParamBarItem::paint(QPainter* painter) {
    const double w = width(), h = height();
    if (w <= 0 || h <= 0)
        return;
    painter->setRenderHint(QPainter::Antialiasing, true);
    painter->setPen(Qt::NoPen);
    painter->setBrush(m_track);
    painter->drawRoundedRect(QRectF(0, 0, w, h), kRadius, kRadius);

    // The fill up to the value.
    const double filled = std::round(m_fraction * w);
    if (filled > 0) {
        painter->setBrush(m_changed ? QColor::fromRgbF(1.0f, 0.72f, 0.30f, 0.30f) : QColor::fromRgbF(1.0f, 0.54f, 0.24f, 0.26f));
        painter->drawRoundedRect(QRectF(0, 0, filled, h), std::min(kRadius, filled / 2), kRadius);
    }

    // The name and the value, as laid out below: the edge must not cut through them.
    const QFontMetrics nameMetrics(m_nameFont), valueMetrics(m_valueFont);
    const QRectF nameBox(kTextMargin, 0, w * 0.5, h);
    const QString name = nameMetrics.elidedText(m_name, Qt::ElideRight, static_cast<int>(nameBox.width()));
    const QRectF valueBox(w - kTextMargin - w * 0.48, 0, w * 0.48, h);
    const QString value = m_showValue ? valueMetrics.elidedText(m_display, Qt::ElideLeft, static_cast<int>(valueBox.width()))
                                      : QString();

    // The value's edge (easier to read than the fill alone): full height in the clear, two short
    // notches above and below where a label is, so "Attack" is never drawn as "Attac|k".
    QColor edge = m_changed ? m_changedColor : m_accent;
    edge.setAlphaF(0.9f);
    const double edgeX = std::min(w - 2, filled);
    const auto crosses = [edgeX](double left, double right) { return edgeX + 2 >= left - 1 && edgeX <= right + 1; };
    const double nameRight = nameBox.left() + nameMetrics.horizontalAdvance(name);
    const double valueLeft = valueBox.right() - valueMetrics.horizontalAdvance(value);
    const bool underText = (!name.isEmpty() && crosses(nameBox.left(), nameRight)) ||
                           (!value.isEmpty() && crosses(valueLeft, valueBox.right()));
    painter->setRenderHint(QPainter::Antialiasing, false);
    if (underText) {
        const double notch = std::max(2.0, std::floor((h - nameMetrics.height()) / 2.0));
        painter->fillRect(QRectF(edgeX, 0, 2, notch), edge);
        painter->fillRect(QRectF(edgeX, h - notch, 2, notch), edge);
    } else {
        painter->fillRect(QRectF(edgeX, 0, 2, h), edge);
    }
    painter->setRenderHint(QPainter::Antialiasing, true);

    if (m_hot) {
        painter->setBrush(Qt::NoBrush);
        painter->setPen(QPen(m_outline, 1.0));
        painter->drawRoundedRect(QRectF(0.5, 0.5, w - 1, h - 1), kRadius - 0.5, kRadius - 0.5);
    }

    painter->setPen(m_text);
    painter->setFont(m_nameFont);
    painter->drawText(nameBox, Qt::AlignLeft | Qt::AlignVCenter, name);
    if (m_showValue) {
        painter->setPen(m_changed ? m_changedColor : m_text);
        painter->setFont(m_valueFont);
        painter->drawText(valueBox, Qt::AlignRight | Qt::AlignVCenter, value);
    }
}

} // namespace chronus::editor
