#pragma once
// One folder's sub-folders and patch files, for the editor's own file dialog (PatchFileDialog.qml),
// and the rules by which a typed name becomes a path. The editor does not use Qt Quick Dialogs'
// FileDialog: on a machine without a platform file dialog (no desktop theme) Qt 6.4 falls back to a
// QML dialog whose name field is read only when editing finishes (so a click on its button after
// typing a name saves nothing) and which joins a typed absolute path to the current folder.
//
// GUI thread only. The listing is read at once from the file system (a folder of patches is small).

#include <QAbstractListModel>
#include <QFileInfoList>
#include <QString>
#include <QStringList>
#include <QUrl>
#include <QtQml/qqmlregistration.h>

namespace chronus::editor {

class FolderModel : public QAbstractListModel {
    Q_OBJECT
    QML_ELEMENT

    // An absolute, cleaned path; set to a folder that does not exist, the listing is empty.
    Q_PROPERTY(QString folder READ folder WRITE setFolder NOTIFY folderChanged FINAL)
    // Globs for the files listed ("*.json"); folders are always listed.
    Q_PROPERTY(QStringList nameFilters READ nameFilters WRITE setNameFilters NOTIFY nameFiltersChanged FINAL)
    Q_PROPERTY(int count READ count NOTIFY countChanged FINAL)

public:
    enum Role { FileNameRole = Qt::UserRole + 1, FilePathRole, IsDirRole };

    explicit FolderModel(QObject* parent = nullptr);

    QString folder() const { return m_folder; }
    void setFolder(const QString& folder);
    QStringList nameFilters() const { return m_nameFilters; }
    void setNameFilters(const QStringList& filters);
    int count() const { return static_cast<int>(m_entries.size()); }

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    // Reads the folder again (after a save, or when the dialog opens).
    Q_INVOKABLE void refresh();
    // The row of the entry named `fileName`, or -1.
    Q_INVOKABLE int rowOf(const QString& fileName) const;
    Q_INVOKABLE QVariantMap get(int row) const;

    // What a typed name means: an absolute path stays as it is, `~` is the home folder, anything
    // else is inside `folder`. The result is absolute and cleaned ("" for blank text).
    Q_INVOKABLE QString resolve(const QString& typed) const;
    // `path` with `.suffix` appended unless it already ends with it (case-insensitive).
    Q_INVOKABLE static QString withSuffix(const QString& path, const QString& suffix);
    Q_INVOKABLE static bool isDir(const QString& path);
    Q_INVOKABLE static bool isFile(const QString& path);
    // The folder that holds `path` ("" at the root).
    Q_INVOKABLE static QString parentFolder(const QString& path);
    Q_INVOKABLE static QString fileName(const QString& path);
    Q_INVOKABLE static QUrl urlOf(const QString& path) { return QUrl::fromLocalFile(path); }
    Q_INVOKABLE static QString pathOf(const QUrl& url) { return url.toLocalFile(); }

signals:
    void folderChanged();
    void nameFiltersChanged();
    void countChanged();

private:
    QString m_folder;
    QStringList m_nameFilters;
    QFileInfoList m_entries; // folders first, then files; each group by name, case-insensitive
};

} // namespace chronus::editor
