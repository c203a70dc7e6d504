#pragma once
// The module palette: every type of the engine's registry, in the registry's palette order (grouped
// by category), filtered by a search text that matches the type id, its name, category or
// description, and the predecessor's aliases. GUI thread only.

#include <QAbstractListModel>
#include <QtQml/qqmlregistration.h>

#include <vector>

namespace chronus::engine {
struct ModuleType;
}

namespace chronus::editor {

class PaletteModel : public QAbstractListModel {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("owned by the controller")
    Q_PROPERTY(QString filter READ filter WRITE setFilter NOTIFY filterChanged FINAL)
    Q_PROPERTY(int count READ count NOTIFY countChanged FINAL)
public:
    enum Role {
        TypeIdRole = Qt::UserRole + 1,
        NameRole,
        CategoryRole,
        DescriptionRole,
        InputCountRole,
        OutputCountRole,
    };
    Q_ENUM(Role)
    explicit PaletteModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;
    int count() const { return rowCount(); }

    QString filter() const { return m_filter; }
    void setFilter(const QString& filter);
    // The type id of a row ("" when out of range): the quick-add box takes row 0 on Return.
    Q_INVOKABLE QString typeAt(int row) const;

signals:
    void filterChanged();
    void countChanged();

private:
    std::vector<const engine::ModuleType*> m_all;
    std::vector<const engine::ModuleType*> m_shown;
    QString m_filter;
};

} // namespace chronus::editor
