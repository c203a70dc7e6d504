#include "UserPaths.hpp"

#include <QDir>
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

QStringList migrateOldDataFolder() {
    QStringList lines;
    const QDir old(QDir(dataFolder()).filePath(kFolder));
    if (!old.exists())
        return lines;
    const auto move = [&](const QString& name, const QString& toFolder) {
        const QString from = old.filePath(name);
        if (!QFileInfo::exists(from))
            return;
        const QString to = QDir(toFolder).filePath(name);
        if (QFileInfo::exists(to)) {
            lines << QStringLiteral("kept %1: %2 exists already").arg(from, to);
            return;
        }
        if (!QDir().mkpath(toFolder) || !QDir().rename(from, to)) {
            lines << QStringLiteral("could not move %1 to %2").arg(from, to);
            return;
        }
        lines << QStringLiteral("moved %1 to %2").arg(from, to);
    };
    move(QStringLiteral("patches"), dataFolder());
    move(QStringLiteral("autosave.json"), stateFolder());
    move(QStringLiteral("editor-autosave.json"), stateFolder());
    if (old.isEmpty())
        QDir().rmdir(old.absolutePath());
    return lines;
}

} // namespace chronus::app
