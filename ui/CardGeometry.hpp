#pragma once
// A module card's measures on the canvas and where its ports' cables attach, defined once: the
// cards (NodeItem.qml, through Theme.qml), the cable picture (CableLayerItem), the cables drawn as
// Shapes (CableItem.qml) and the controller's placing of cards the view has not measured yet all
// read them here. Canvas units (1 = one pixel at 100 %). Any thread: constants only.

#include <QObject>
#include <QtQml/qqmlregistration.h>

#include <cmath>

namespace chronus::editor {

class CardGeometry : public QObject {
    Q_OBJECT
    QML_ELEMENT
    QML_SINGLETON
    Q_PROPERTY(int nodeWidth READ nodeWidth CONSTANT FINAL)
    Q_PROPERTY(int headerHeight READ headerHeight CONSTANT FINAL)
    Q_PROPERTY(int portsTop READ portsTop CONSTANT FINAL)
    Q_PROPERTY(int portRow READ portRow CONSTANT FINAL)
    Q_PROPERTY(double polyCableExtraWidth READ polyCableExtraWidth CONSTANT FINAL)

public:
    static constexpr int kNodeWidth = 196;
    static constexpr int kHeaderHeight = 34;
    static constexpr int kPortsTop = kHeaderHeight + 4; // the first port row, from the card's top
    static constexpr int kPortRow = 20;
    // A cable of several channels is drawn this much thicker than a mono one (and labelled).
    static constexpr double kPolyCableExtraWidth = 2.5;

    // Where the cable of port `index` (an input on the left edge, an output on the right) meets
    // the card, from its top: the middle of the port's row.
    static constexpr double portY(int index) noexcept { return kPortsTop + (index + 0.5) * kPortRow; }
    // The port row at `y` (from the card's top); -1 above the first. Not bounded by a port count.
    static int portRowAt(double y) noexcept {
        const double row = std::floor((y - kPortsTop) / kPortRow);
        return row < 0.0 ? -1 : static_cast<int>(row);
    }

    explicit CardGeometry(QObject* parent = nullptr) : QObject(parent) {}
    int nodeWidth() const noexcept { return kNodeWidth; }
    int headerHeight() const noexcept { return kHeaderHeight; }
    int portsTop() const noexcept { return kPortsTop; }
    int portRow() const noexcept { return kPortRow; }
    double polyCableExtraWidth() const noexcept { return kPolyCableExtraWidth; }
    Q_INVOKABLE double portAt(int index) const noexcept { return portY(index); }
    Q_INVOKABLE int rowAt(double y) const noexcept { return portRowAt(y); }
};

} // namespace chronus::editor
