#include "FolderModel.hpp"

#include <QDir>
#include <QFileInfo>

namespace chronus::editor {

FolderModel::FolderModel(QObject* parent) : QAbstractListModel(parent) {}

void FolderModel::setFolder(const QString& folder) {
    const QString cleaned = folder.isEmpty() ? QString() : QDir::cleanPath(QDir(folder).absolutePath());
    if (cleaned == m_folder)
        return;
    m_folder = cleaned;
    emit folderChanged();
    refresh();
}

void FolderModel::setNameFilters(const QStringList& filters) {
    if (filters == m_nameFilters)
        return;
    m_nameFilters = filters;
    emit nameFiltersChanged();
    refresh();
}

void FolderModel::refresh() {
    const int before = count();
    beginResetModel();
    m_entries.clear();
    if (!m_folder.isEmpty()) {
        const QDir dir(m_folder);
        const auto sort = QDir::Name | QDir::IgnoreCase;
        m_entries = dir.entryInfoList(QDir::Dirs | QDir::NoDotAndDotDot, sort);
        m_entries += dir.entryInfoList(m_nameFilters, QDir::Files, sort);
    }
    endResetModel();
    if (count() != before)
        emit countChanged();
}

int FolderModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : count(); }

QVariant FolderModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const QFileInfo& info = m_entries[index.row()];
    switch (role) {
    case Qt::DisplayRole:
    case FileNameRole: return info.fileName();
    case FilePathRole: return info.absoluteFilePath();
    case IsDirRole: return info.isDir();
    default: return {};
    }
}

QHash<int, QByteArray> FolderModel::roleNames() const {
    return {{FileNameRole, "fileName"}, {FilePathRole, "filePath"}, {IsDirRole, "isDir"}};
}

int FolderModel::rowOf(const QString& fileName) const {
    for (int row = 0; row < count(); ++row)
        if (m_entries[row].fileName() == fileName)
            return row;
    return -1;
}

QVariantMap FolderModel::get(int row) const {
    if (row < 0 || row >= count())
        return {};
    const QFileInfo& info = m_entries[row];
    return {{QStringLiteral("fileName"), info.fileName()},
            {QStringLiteral("filePath"), info.absoluteFilePath()},
            {QStringLiteral("isDir"), info.isDir()}};
}

QString FolderModel::resolve(const QString& typed) const {
    const QString text = typed.trimmed();
    if (text.isEmpty())
        return {};
    QString path;
    if (text == QLatin1String("~"))
        path = QDir::homePath();
    else if (text.startsWith(QLatin1String("~/")))
        path = QDir::homePath() + text.mid(1);
    else if (QDir::isAbsolutePath(text))
        path = text;
    else
        path = QDir(m_folder.isEmpty() ? QDir::currentPath() : m_folder).filePath(text);
    return QDir::cleanPath(path);
}

QString FolderModel::withSuffix(const QString& path, const QString& suffix) {
    if (path.isEmpty() || suffix.isEmpty() || path.endsWith(QLatin1Char('.') + suffix, Qt::CaseInsensitive))
        return path;
    return path + QLatin1Char('.') + suffix;
}

bool FolderModel::isDir(const QString& path) { return !path.isEmpty() && QFileInfo(path).isDir(); }

bool FolderModel::isFile(const QString& path) { return !path.isEmpty() && QFileInfo(path).isFile(); }

QString FolderModel::parentFolder(const QString& path) {
    const QString cleaned = QDir::cleanPath(path);
    if (cleaned.isEmpty() || QDir(cleaned).isRoot())
        return {};
    return QFileInfo(cleaned).absolutePath();
}

QString FolderModel::fileName(const QString& path) { return QFileInfo(path).fileName(); }

} // namespace chronus::editor
