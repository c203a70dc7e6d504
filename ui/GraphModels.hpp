#pragma once
// The graph as item models for the canvas: NodeModel (one row per module, plus ghost rows
// for modules the pending patch removed), ParamModel (one per node: its knobs) and CableModel.
// Each row carries how it differs from the committed patch ("added", "changed", "removed" or "").
// The models are views: EditorController::updateModels() hands them the pending and committed
// patches and the layout, and they emit the narrowest signals that say what changed (rows in and
// out, dataChanged for the roles that moved), so delegates survive a knob turn or a drag.
// An update finds each module's and cable's row by its key in a hash (no row is matched against
// every other) and rebuilds a row's port and text lists only when its cables or values changed:
// an agent's edit on a big patch costs a pass over the patch, not a pass per row.
// Every row carries a stable integer id (NodeModel's `uid`, CableModel's `cableId`), kept while the
// row lives and never reused: QML names a cable by it (selection, the cable picked up by a drag).
// GUI thread only. No QML needed: the tests drive them with QAbstractItemModelTester.

#include "engine/ModuleRegistry.hpp"
#include "engine/PatchGraph.hpp"

#include <QAbstractListModel>
#include <QPointF>
#include <QVariantList>
#include <QtQml/qqmlregistration.h>

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
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
        MidiRole,      // its MIDI mapping ("CC 74", "CC 74 ch 2"), "" when it has none
    };
    Q_ENUM(Role)
    ParamModel(const engine::ModuleType& type, QString nodeId, QObject* parent = nullptr);

    QString nodeId() const { return m_nodeId; }
    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    // The values of every ParamSpec (hidden ones included); rows are the visible params only.
    void update(const std::vector<double>& values, const std::vector<double>* committedValues);
    // The MIDI mappings of `pending` that move this node's parameters.
    void updateMidi(const engine::PatchGraph& pending);
    Q_INVOKABLE int rowOf(const QString& paramId) const;

private:
    const engine::ModuleType& m_type;
    QString m_nodeId;
    std::vector<int> m_visible; // row -> ParamSpec index
    std::vector<double> m_values;
    std::vector<bool> m_changed;
    std::vector<QString> m_midi; // per ParamSpec
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
        UidRole,         // the row's stable integer id (a ghost is another row than the live node)
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
    // Rows marked against the committed patch (added, changed, removed).
    int pendingCount() const noexcept { return m_pendingCount; }
    // The row of the node with stable id `uid`, or -1.
    Q_INVOKABLE int rowOfUid(int uid) const;

    const std::set<std::string>& selection() const noexcept { return m_selected; }
    void setSelection(std::set<std::string> ids);

signals:
    void countChanged();
    void selectionChanged();

private:
    struct Row;
    void removeUnseenRows();
    void indexRows(std::size_t from);

    std::vector<std::unique_ptr<Row>> m_rows;
    std::unordered_map<std::string, int> m_liveRow, m_ghostRow; // module id -> row
    std::unordered_map<int, int> m_uidRow;                      // uid -> row
    std::set<std::string> m_selected;
    std::uint64_t m_pass = 0; // update() count: rows stamped with an older one went away
    int m_nextUid = 1;
    int m_pendingCount = 0;
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
        CableIdRole,       // the row's stable integer id
        ChannelsRole,      // how many channels it carries (1 to 16; poly cables are drawn thicker)
    };
    Q_ENUM(Role)
    explicit CableModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;
    int count() const { return rowCount(); }

    void update(const engine::PatchGraph& pending, const engine::PatchGraph& committed);
    Q_INVOKABLE QVariantMap get(int row) const;
    // The row of the cable with stable id `cableId`, or -1.
    Q_INVOKABLE int rowOfCable(int cableId) const;
    // The id of the pending cable feeding input `toPort` of `toId`, or -1.
    Q_INVOKABLE int cableInto(const QString& toId, const QString& toPort) const;
    // Rows marked against the committed patch (added, removed).
    int pendingCount() const noexcept { return m_pendingCount; }

    // A cable and whether it is a ghost (committed, gone from the pending patch): a row's identity.
    struct Key {
        engine::Cable cable;
        bool removed = false;
        bool operator==(const Key&) const = default;
    };
    struct KeyHash {
        std::size_t operator()(const Key& k) const noexcept;
    };

signals:
    void countChanged();

private:
    struct Row {
        int uid = 0;
        engine::Cable cable;
        QString fromPort, toPort, kind;
        PendingMark mark = PendingMark::None;
        std::uint64_t pass = 0;
        int channels = 1;
    };
    void indexRows(std::size_t from);
    void updateChannels(const engine::PatchGraph& pending, const engine::PatchGraph& committed);

    std::vector<Row> m_rows;
    std::unordered_map<Key, int, KeyHash> m_rowOf;
    std::unordered_map<int, int> m_uidRow;
    std::uint64_t m_pass = 0;
    int m_nextUid = 1;
    int m_pendingCount = 0;
};

QString signalKindName(engine::Signal kind);

} // namespace chronus::editor
