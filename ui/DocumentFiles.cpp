#include "DocumentFiles.hpp"

#include "EditorController.hpp"
#include "PatchFile.hpp"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QSettings>

namespace chronus::editor {

namespace {
constexpr int kMaxRecentFiles = 8;

QString localPath(const QUrl& url) {
    return url.isLocalFile() ? url.toLocalFile() : url.toString(QUrl::PreferLocalFile);
}
} // namespace

DocumentFiles::DocumentFiles(EditorController& controller, QString settingsScope, QString patchesFolder,
                             QObject* parent)
    : QObject(parent), m_controller(controller), m_settingsScope(std::move(settingsScope)),
      m_patchesFolder(std::move(patchesFolder)) {
    QSettings settings;
    settings.beginGroup(settingsGroup());
    m_recent = settings.value(QStringLiteral("recentFiles")).toStringList();
    settings.endGroup();
}

QString DocumentFiles::settingsGroup() const {
    return m_settingsScope.isEmpty() ? QStringLiteral("editor") : m_settingsScope;
}

QString DocumentFiles::documentName() const {
    return m_filePath.isEmpty() ? QStringLiteral("Untitled") : QFileInfo(m_filePath).fileName();
}

void DocumentFiles::setFilePath(const QString& path) {
    if (path == m_filePath)
        return;
    m_filePath = path;
    emit filePathChanged();
}

void DocumentFiles::addRecent(const QString& path) {
    const QString absolute = QFileInfo(path).absoluteFilePath();
    m_recent.removeAll(absolute);
    m_recent.prepend(absolute);
    while (m_recent.size() > kMaxRecentFiles)
        m_recent.removeLast();
    QSettings settings;
    settings.beginGroup(settingsGroup());
    settings.setValue(QStringLiteral("recentFiles"), m_recent);
    settings.endGroup();
    emit recentFilesChanged();
}

bool DocumentFiles::open(const QUrl& fileOrPath) {
    const QString path = localPath(fileOrPath);
    auto loaded = app::loadPatchFile(path);
    if (!loaded) {
        m_controller.setMessage(QString::fromStdString(loaded.status().message()));
        return false;
    }
    if (!m_controller.replaceDocument(loaded->graph, QStringLiteral("Open %1").arg(QFileInfo(path).fileName())))
        return false;
    setFilePath(QFileInfo(path).absoluteFilePath());
    m_controller.setClean(); // both authors' histories
    addRecent(path);
    m_controller.setMessage(loaded->warnings.isEmpty()
                                ? QStringLiteral("opened %1: Commit to hear it").arg(QFileInfo(path).fileName())
                                : QStringLiteral("opened with warnings: ") + loaded->warnings.join(QStringLiteral("; ")));
    return true;
}

bool DocumentFiles::save() {
    if (m_filePath.isEmpty()) {
        m_controller.setMessage(QStringLiteral("choose a file name (Save As)"));
        return false;
    }
    return saveAs(QUrl::fromLocalFile(m_filePath));
}

bool DocumentFiles::saveAs(const QUrl& fileOrPath) {
    QString path = localPath(fileOrPath);
    if (!path.endsWith(QLatin1String(".json"), Qt::CaseInsensitive))
        path += QStringLiteral(".json");
    if (auto s = app::savePatchFile(m_controller.document(), path); !s) {
        m_controller.setMessage(QString::fromStdString(s.message()));
        return false;
    }
    setFilePath(QFileInfo(path).absoluteFilePath());
    m_controller.setClean(); // both authors' histories
    addRecent(path);
    m_controller.setMessage(QStringLiteral("saved %1").arg(QDir::toNativeSeparators(path)));
    return true;
}

QUrl DocumentFiles::examplesFolder() const {
    // Installed: <prefix>/share/chronus/patches next to <prefix>/bin; else the source tree's.
    const QString installed =
        QDir(QCoreApplication::applicationDirPath()).absoluteFilePath(QStringLiteral("../share/chronus/patches"));
    if (QFileInfo(installed).isDir())
        return QUrl::fromLocalFile(QDir::cleanPath(installed));
    return QUrl::fromLocalFile(QStringLiteral(CHRONUS_EXAMPLES_DIR));
}

QString DocumentFiles::patchesFolder() const {
    if (m_patchesFolder.isEmpty())
        return QDir::homePath();
    const QString folder = QDir::cleanPath(QDir(m_patchesFolder).absolutePath());
    QDir().mkpath(folder);
    return folder;
}

QStringList DocumentFiles::examples() const {
    const QDir dir(examplesFolder().toLocalFile());
    QStringList list;
    for (const QString& name : dir.entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name))
        list << dir.absoluteFilePath(name);
    return list;
}

} // namespace chronus::editor
