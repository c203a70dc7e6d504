#pragma once
// Which modules are selected on the canvas, and the clipboard: select by click, rubber band or
// all; copy, paste and duplicate. The selection itself lives in NodeModel (its `selected` role);
// paste and duplicate make their edit through the controller's patch editing (one undo step).
// QML reaches it as Editor.selection. GUI thread only.

#include <QByteArray>
#include <QObject>
#include <QRectF>
#include <QString>
#include <QtQml/qqmlregistration.h>

namespace chronus::editor {

class EditorController;
class NodeModel;

class Selection : public QObject {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("the controller's `selection`")

    Q_PROPERTY(bool canPaste READ canPaste NOTIFY clipboardChanged FINAL)

public:
    Selection(EditorController& controller, NodeModel& nodes, QObject* parent = nullptr);

    // `id` alone, or added to (toggled in) the selection when `additive`; "" clears unless additive.
    Q_INVOKABLE void select(const QString& id, bool additive);
    // The modules whose cards' corners lie in the canvas rect.
    Q_INVOKABLE void selectInRect(double x, double y, double w, double h, bool additive);
    Q_INVOKABLE void selectAll();
    Q_INVOKABLE void clear();
    // The selected modules (not `out`) and the cables between them, kept here and put on the
    // system clipboard as a patch file's text.
    Q_INVOKABLE void copy();
    // The clipboard's modules under fresh ids, their top-left card at canvas (x, y); selected.
    Q_INVOKABLE bool paste(double x, double y);
    // The selection copied and pasted 40 units down and right of it.
    Q_INVOKABLE bool duplicate();
    bool canPaste() const { return !m_clipboard.isEmpty(); }
    // The bounding box of the selected cards' corners (canvas coordinates); null when none.
    QRectF rect() const;

signals:
    void clipboardChanged();

private:
    QByteArray asPatch() const;

    EditorController& m_controller;
    NodeModel& m_nodes;
    QByteArray m_clipboard; // copied modules and their inner cables, as a patch file
};

} // namespace chronus::editor
