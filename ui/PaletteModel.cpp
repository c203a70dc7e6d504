#include "PaletteModel.hpp"

#include "engine/ModuleRegistry.hpp"

namespace chronus::editor {

PaletteModel::PaletteModel(QObject* parent) : QAbstractListModel(parent) {
    const auto& registry = engine::ModuleRegistry::instance();
    for (const engine::ModuleType* type : registry.types())
        if (type->id != engine::ModuleRegistry::kOutputType) // every patch has its one output
            m_all.push_back(type);
    m_shown = m_all;
}

int PaletteModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_shown.size());
}

QVariant PaletteModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const engine::ModuleType& t = *m_shown[static_cast<std::size_t>(index.row())];
    switch (role) {
    case Qt::DisplayRole:
    case NameRole: return QString::fromUtf8(t.name);
    case TypeIdRole: return QString::fromUtf8(t.id);
    case CategoryRole: return QString::fromUtf8(t.category);
    case DescriptionRole: return QString::fromUtf8(t.description);
    case InputCountRole: return static_cast<int>(t.inputs.size());
    case OutputCountRole: return static_cast<int>(t.outputs.size());
    default: return {};
    }
}

QHash<int, QByteArray> PaletteModel::roleNames() const {
    return {{TypeIdRole, "typeId"},           {NameRole, "name"},
            {CategoryRole, "category"},       {DescriptionRole, "description"},
            {InputCountRole, "inputCount"},   {OutputCountRole, "outputCount"}};
}

void PaletteModel::setFilter(const QString& filter) {
    if (filter == m_filter)
        return;
    m_filter = filter;
    const QString needle = filter.trimmed();
    std::vector<const engine::ModuleType*> shown;
    // Matches on the id or name first (what the user is typing), then anywhere else.
    std::vector<const engine::ModuleType*> weaker;
    for (const engine::ModuleType* t : m_all) {
        bool strong = needle.isEmpty() || QString::fromUtf8(t->id).startsWith(needle, Qt::CaseInsensitive) ||
                      QString::fromUtf8(t->name).contains(needle, Qt::CaseInsensitive);
        for (const engine::TypeAlias& a : engine::ModuleRegistry::instance().aliases())
            if (!strong && QLatin1String(a.type) == QLatin1String(t->id) &&
                QString::fromUtf8(a.alias).startsWith(needle, Qt::CaseInsensitive))
                strong = true;
        if (strong)
            shown.push_back(t);
        else if (QString::fromUtf8(t->category).contains(needle, Qt::CaseInsensitive) ||
                 QString::fromUtf8(t->description).contains(needle, Qt::CaseInsensitive))
            weaker.push_back(t);
    }
    shown.insert(shown.end(), weaker.begin(), weaker.end());
    if (shown != m_shown) {
        const int before = rowCount();
        beginResetModel();
        m_shown = std::move(shown);
        endResetModel();
        if (rowCount() != before)
            emit countChanged();
    }
    emit filterChanged();
}

QString PaletteModel::typeAt(int row) const {
    if (row < 0 || row >= rowCount())
        return {};
    return QString::fromUtf8(m_shown[static_cast<std::size_t>(row)]->id);
}

} // namespace chronus::editor
