#pragma once
// The document's file: its path and name, the recent files (QSettings), the example tracks and the
// patches folder, and open / save / save as of the patch-file format (README, "Patch files").
// Opening replaces the document through the controller's patch editing (an undo step). QML reaches
// it as Editor.files. GUI thread only.

#include <QObject>
#include <QString>
#include <QStringList>
#include <QUrl>
#include <QtQml/qqmlregistration.h>

namespace chronus::editor {

class EditorController;

class DocumentFiles : public QObject {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("the controller's `files`")

    Q_PROPERTY(QString filePath READ filePath NOTIFY filePathChanged FINAL)
    Q_PROPERTY(QString documentName READ documentName NOTIFY filePathChanged FINAL)
    Q_PROPERTY(QStringList recentFiles READ recentFiles NOTIFY recentFilesChanged FINAL)

public:
    // `settingsScope`: the QSettings group of the recent files ("" = "editor"); `patchesFolder`:
    // where the file dialogs start ("" = home).
    DocumentFiles(EditorController& controller, QString settingsScope, QString patchesFolder,
                  QObject* parent = nullptr);

    QString filePath() const { return m_filePath; }
    QString documentName() const;
    QStringList recentFiles() const { return m_recent; }
    // The document's file now ("" = untitled): after a new patch, a restore.
    void setFilePath(const QString& path);

    Q_INVOKABLE bool open(const QUrl& fileOrPath);
    Q_INVOKABLE bool save();
    Q_INVOKABLE bool saveAs(const QUrl& fileOrPath);
    // The folder of the example tracks (resources/patches), as a URL for file dialogs.
    Q_INVOKABLE QUrl examplesFolder() const;
    // The user's patches folder, a path (made when missing): where Open and Save As start.
    Q_INVOKABLE QString patchesFolder() const;
    // The example tracks, full paths, for an "Open example" menu.
    Q_INVOKABLE QStringList examples() const;

signals:
    void filePathChanged();
    void recentFilesChanged();

private:
    void addRecent(const QString& path);
    QString settingsGroup() const;

    EditorController& m_controller;
    QString m_settingsScope;
    QString m_patchesFolder;
    QString m_filePath;
    QStringList m_recent;
};

} // namespace chronus::editor
