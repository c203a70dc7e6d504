#include "UserPaths.hpp"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>
#include <QStringList>

namespace chronus::app {

namespace {
const QString kFolder = QStringLiteral("chronus");
} // namespace

QString dataFolder() {
    return QDir(QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation)).filePath(kFolder);
}

QString stateFolder() {
    // Qt 6.4 has no StateLocation: the base directory spec's rule, by hand. A relative
    // XDG_STATE_HOME is invalid and ignored, as the spec says.
    QString base = qEnvironmentVariable("XDG_STATE_HOME");
    if (base.isEmpty() || QDir::isRelativePath(base))
        base = QDir::home().filePath(QStringLiteral(".local/state"));
    return QDir(base).filePath(kFolder);
}

namespace {
// `name` in `folder`, or, when that is taken, name.wave1.json (then -2, -3, ...) beside it.
QString freeName(const QString& folder, const QString& name) {
    const QDir dir(folder);
    if (!QFileInfo::exists(dir.filePath(name)))
        return dir.filePath(name);
    const QString stem = QFileInfo(name).completeBaseName() + QStringLiteral(".wave1");
    QString candidate = dir.filePath(stem + QStringLiteral(".json"));
    for (int n = 2; QFileInfo::exists(candidate); ++n)
        candidate = dir.filePath(stem + QStringLiteral("-%1.json").arg(n));
    return candidate;
}
} // namespace

QStringList migrateOldDataFolder() {
    QStringList lines;
    const QDir old(QDir(dataFolder()).filePath(kFolder));
    if (!old.exists())
        return lines;
    // One file: QFile::rename copies across file systems (data and state may be on two).
    const auto moveFile = [&](const QString& from, const QString& toFolder) {
        const QString to = freeName(toFolder, QFileInfo(from).fileName());
        if (!QDir().mkpath(toFolder) || !QFile::rename(from, to))
            lines << QStringLiteral("could not move %1 to %2").arg(from, to);
        else
            lines << QStringLiteral("moved %1 to %2").arg(from, to);
    };
    const QString oldPatches = old.filePath(QStringLiteral("patches"));
    const QString patches = QDir(dataFolder()).filePath(QStringLiteral("patches"));
    if (QFileInfo(oldPatches).isDir()) {
        if (!QFileInfo::exists(patches) && QDir().rename(oldPatches, patches)) {
            lines << QStringLiteral("moved %1 to %2").arg(oldPatches, patches);
        } else { // file by file: into a folder that exists already, or across file systems
            for (const QFileInfo& f : QDir(oldPatches).entryInfoList(QDir::Files | QDir::Hidden))
                moveFile(f.absoluteFilePath(), patches);
            QDir().rmdir(oldPatches);
        }
    }
    for (const QString& name : {QStringLiteral("autosave.json"), QStringLiteral("editor-autosave.json")})
        if (QFileInfo::exists(old.filePath(name)))
            moveFile(old.filePath(name), stateFolder());
    if (old.isEmpty())
        QDir().rmdir(old.absolutePath());
    return lines;
}

} // namespace chronus::app
