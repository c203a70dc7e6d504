#pragma once
// Patch files: versioned JSON keyed by stable ids (the README's "Patch files"), the same shape as the OSC vocabulary.
// Control thread only. Parsing never throws; every problem comes back as a message naming the file,
// the line (JSON syntax) or the field (content), and the reason.

#include "engine/PatchGraph.hpp"
#include "engine/Status.hpp"

#include <QByteArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace chronus::app {

inline constexpr int kPatchFormatVersion = 1;
inline constexpr qint64 kMaxPatchFileBytes = 16 * 1024 * 1024;

struct LoadedPatch {
    engine::PatchGraph graph;
    QStringList warnings; // values clamped to their range, and the like: loaded, but said
};

// `source` names the input in messages (a file name, "OSC", ...).
engine::Result<LoadedPatch> parsePatch(const QByteArray& json, const QString& source);
// Whether a load opens the file a symbolic link points to (the command line's files) or refuses a
// link (names inside the patches folder, which must not lead out of it).
enum class FollowLinks { Yes, No };
engine::Result<LoadedPatch> loadPatchFile(const QString& path, FollowLinks follow = FollowLinks::Yes);

// Indented for files people read; compact for the wire (/patch/dump).
enum class JsonLayout { Indented, Compact };
QByteArray serializePatch(const engine::PatchGraph& graph, JsonLayout layout = JsonLayout::Indented);
// The same as a JSON object (the journal's records hold patches this way).
QJsonObject patchJson(const engine::PatchGraph& graph);
// Writes atomically (a temporary file renamed over the target): a failed save leaves the old file.
engine::Status savePatchFile(const engine::PatchGraph& graph, const QString& path);

} // namespace chronus::app
