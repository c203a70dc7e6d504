#pragma once
// The graph as item models for the canvas: NodeModel (one row per module, plus ghost rows
// for modules the pending patch removed), ParamModel (one per node: its knobs) and CableModel.
// Each row carries how it differs from the committed patch ("added", "changed", "removed" or "").
// The models are views: EditorController::updateModels() hands them the pending and committed
// patches and the layout, and they emit the narrowest signals that say what changed (rows in and
// out, dataChanged for the roles that moved), so delegates survive a knob turn or a drag.
// GUI thread only. No QML needed: the tests drive them with QAbstractItemModelTester.

#include "engine/ModuleRegistry.hpp"
#include "engine/PatchGraph.hpp"

#include <QAbstractListModel>
#include <QPointF>
#include <QVariantList>
#include <QtQml/qqmlregistration.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace chronus::editor {

// "added", "changed", "removed" or "" (as committed).
enum class PendingMark { None, Added, Changed, Removed };
QString pendingMarkName(PendingMark mark);

class ParamModel : public QAbstractListModel {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("one per node, owned by NodeModel")
    Q_PROPERTY(QString nodeId READ nodeId CONSTANT FINAL)
public:
    enum Role {
        ParamIdRole = Qt::UserRole + 1,
        NameRole,
        UnitRole,
        MinRole,
        MaxRole,
        DefaultRole,
        ValueRole,
        DisplayRole,   // "440 Hz", "saw", "-6.0 dB"
        DiscreteRole,
        ChoicesRole,   // QStringList for discrete params with labels, else empty
        ChangedRole,   // differs from the committed value
        LogScaleRole,  // a knob should move logarithmically (the engine's ParamLog: frequencies, times)
        LogFloorRole,  // where that travel starts (engine::paramLogFloor; 0 sits below it for ranges from 0)
    };
    Q_ENUM(Role)
    ParamModel(const engine::ModuleType& type, QString nodeId, QObject* parent = nullptr);

    QString nodeId() const { return m_nodeId; }
    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    // The values of every ParamSpec (hidden ones included); rows are the visible params only.
    void update(const std::vector<double>& values, const std::vector<double>* committedValues);
    Q_INVOKABLE int rowOf(const QString& paramId) const;

private:
    const engine::ModuleType& m_type;
    QString m_nodeId;
    std::vector<int> m_visible; // row -> ParamSpec index
    std::vector<double> m_values;
    std::vector<bool> m_changed;
};

class NodeModel : public QAbstractListModel {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("owned by the controller")
    Q_PROPERTY(int count READ count NOTIFY countChanged FINAL)
    Q_PROPERTY(int selectedCount READ selectedCount NOTIFY selectionChanged FINAL)
public:
    enum Role {
        NodeIdRole = Qt::UserRole + 1,
        TypeRole,        // type id ("saw")
        TypeNameRole,    // "Saw oscillator"
        CategoryRole,
        DescriptionRole,
        XRole,
        YRole,
        SelectedRole,
        PendingRole,     // pendingMarkName
        InputsRole,      // [{id, name, kind: "audio"|"cv"|"gate", connected}]
        OutputsRole,     // [{id, name, kind, connected}]
        ParamsRole,      // ParamModel*
        TextsRole,       // [{id, name, help, value}] (a sequencer's pattern and notes)
        RemovableRole,   // false for `out` and ghost rows
    };
    Q_ENUM(Role)
    explicit NodeModel(QObject* parent = nullptr);
    ~NodeModel() override;

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;
    int count() const { return rowCount(); }
    int selectedCount() const { return static_cast<int>(m_selected.size()); }

    void update(const engine::PatchGraph& pending, const engine::PatchGraph& committed,
                const std::map<std::string, QPointF>& positions);
    Q_INVOKABLE int rowOf(const QString& id) const;
    Q_INVOKABLE QVariantMap get(int row) const; // every role by name, for tests and QML
    Q_INVOKABLE chronus::editor::ParamModel* paramsOf(const QString& id) const;
    // Moves only (a node drag): dataChanged for x and y of the rows that moved.
    void updatePositions(const std::map<std::string, QPointF>& positions);
    bool isGhost(int row) const;

    const std::set<std::string>& selection() const noexcept { return m_selected; }
    void setSelection(std::set<std::string> ids);

signals:
    void countChanged();
    void selectionChanged();

private:
    struct Row;
    std::vector<std::unique_ptr<Row>> m_rows;
    std::set<std::string> m_selected;
};

class CableModel : public QAbstractListModel {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("owned by the controller")
    Q_PROPERTY(int count READ count NOTIFY countChanged FINAL)
public:
    enum Role {
        FromIdRole = Qt::UserRole + 1,
        FromPortRole,      // port id
        FromPortIndexRole,
        ToIdRole,
        ToPortRole,
        ToPortIndexRole,
        KindRole,          // the source port's kind: "audio", "cv", "gate"
        PendingRole,       // "added", "removed" or ""
    };
    Q_ENUM(Role)
    explicit CableModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;
    int count() const { return rowCount(); }

    void update(const engine::PatchGraph& pending, const engine::PatchGraph& committed);
    Q_INVOKABLE QVariantMap get(int row) const;

signals:
    void countChanged();

private:
    struct Row {
        engine::Cable cable;
        QString fromPort, toPort, kind;
        PendingMark mark = PendingMark::None;
    };
    std::vector<Row> m_rows;
};

QString signalKindName(engine::Signal kind);

} // namespace chronus::editor
