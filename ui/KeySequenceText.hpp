#pragma once
// The platform's text for a key sequence as QML holds one (an Action's `shortcut`: a string such
// as "Ctrl+Shift+S" or a StandardKey), for menus that show their shortcuts. QML's own Shortcut
// gives this text only for sequences with a single binding.

#include <QObject>
#include <QString>
#include <QVariant>
#include <QtQml/qqmlregistration.h>

namespace chronus::editor {

class KeySequenceText : public QObject {
    Q_OBJECT
    QML_ELEMENT
    QML_SINGLETON

public:
    using QObject::QObject;
    // "" for no sequence; a StandardKey with several bindings gives its first (the platform's own).
    Q_INVOKABLE static QString of(const QVariant& sequence);
};

} // namespace chronus::editor
