#pragma once
// The face of one parameter bar on a card (ParamRow.qml): the track, the fill up to the value,
// the value's edge, the name on the left and the value with its unit on the right, painted as one
// image. It repaints when the value or the hover state changes; a pan or a drag moves the image.
// (As separate Rectangles and Texts a bar was five scene-graph nodes, and a 200-module patch has
// a thousand bars: without a GPU every frame of a pan walked and redrew every one of them.)

#include <QColor>
#include <QFont>
#include <QQuickPaintedItem>
#include <QString>
#include <QtQml/qqmlregistration.h>

namespace chronus::editor {

class ParamBarItem : public QQuickPaintedItem {
    Q_OBJECT
    QML_ELEMENT

    Q_PROPERTY(QString name READ name WRITE setName NOTIFY faceChanged FINAL)
    Q_PROPERTY(QString display READ display WRITE setDisplay NOTIFY faceChanged FINAL)
    // Where the value sits in its range, 0..1 (ParamRow maps log ranges).
    Q_PROPERTY(double fraction READ fraction WRITE setFraction NOTIFY faceChanged FINAL)
    // Changed against the committed patch: amber value and edge.
    Q_PROPERTY(bool changed READ changed WRITE setChanged NOTIFY faceChanged FINAL)
    // Under the mouse or being dragged: a thin outline.
    Q_PROPERTY(bool hot READ hot WRITE setHot NOTIFY faceChanged FINAL)
    // False while the value is being typed (a field covers it).
    Q_PROPERTY(bool showValue READ showValue WRITE setShowValue NOTIFY faceChanged FINAL)
    Q_PROPERTY(QColor trackColor MEMBER m_track WRITE setTrackColor NOTIFY faceChanged FINAL)
    Q_PROPERTY(QColor outlineColor MEMBER m_outline WRITE setOutlineColor NOTIFY faceChanged FINAL)
    Q_PROPERTY(QColor accentColor MEMBER m_accent WRITE setAccentColor NOTIFY faceChanged FINAL)
    Q_PROPERTY(QColor changedColor MEMBER m_changedColor WRITE setChangedColor NOTIFY faceChanged FINAL)
    Q_PROPERTY(QColor textColor MEMBER m_text WRITE setTextColor NOTIFY faceChanged FINAL)
    Q_PROPERTY(QString valueFontFamily READ valueFontFamily WRITE setValueFontFamily NOTIFY faceChanged FINAL)
    // How much the canvas scales the item (its zoom): the image is painted at that size, so text
    // stays sharp when zoomed in or out rather than being resampled.
    Q_PROPERTY(double renderScale READ renderScale WRITE setRenderScale NOTIFY renderScaleChanged FINAL)

public:
    explicit ParamBarItem(QQuickItem* parent = nullptr);

    QString name() const { return m_name; }
    void setName(const QString& name);
    QString display() const { return m_display; }
    void setDisplay(const QString& display);
    double fraction() const noexcept { return m_fraction; }
    void setFraction(double fraction);
    bool changed() const noexcept { return m_changed; }
    void setChanged(bool changed);
    bool hot() const noexcept { return m_hot; }
    void setHot(bool hot);
    bool showValue() const noexcept { return m_showValue; }
    void setShowValue(bool show);
    void setTrackColor(const QColor& c);
    void setOutlineColor(const QColor& c);
    void setAccentColor(const QColor& c);
    void setChangedColor(const QColor& c);
    void setTextColor(const QColor& c);
    QString valueFontFamily() const { return m_valueFont.family(); }
    void setValueFontFamily(const QString& family);
    double renderScale() const noexcept { return m_renderScale; }
    void setRenderScale(double scale);

    void paint(QPainter* painter) override;

protected:
    void itemChange(ItemChange change, const ItemChangeData& value) override;

signals:
    void faceChanged();
    void renderScaleChanged();

private:
    template <typename T>
    void set(T& field, const T& value);
    void updateTextureSize();

    QString m_name, m_display;
    double m_fraction = 0.0;
    bool m_changed = false, m_hot = false, m_showValue = true;
    QColor m_track{0x16, 0x17, 0x1b}, m_outline{0x7a, 0x4a, 0x2a}, m_accent{0xff, 0x8a, 0x3d},
        m_changedColor{0xff, 0xb7, 0x4d}, m_text{0xd8, 0xda, 0xe0};
    QFont m_nameFont, m_valueFont;
    double m_renderScale = 1.0;
};

} // namespace chronus::editor
