#include "PatchFile.hpp"

#include "engine/ModuleRegistry.hpp"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <set>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace chronus::app {

using engine::ErrorCode;
using engine::PatchGraph;
using engine::Result;
using engine::Status;

namespace {

constexpr int kMaxModules = 4096;
constexpr int kMaxCables = 16384;

// A message about a file quotes what the file holds (an id, a type) and its name: control characters
// among them (an escape sequence, a NUL) come out as \xNN, so printing the message cannot drive the
// terminal it is printed on.
Status error(const QString& message) {
    QString out;
    out.reserve(message.size());
    for (const QChar c : message) {
        if (c.unicode() < 0x20 || c.unicode() == 0x7f)
            out += QStringLiteral("\\x%1").arg(c.unicode(), 2, 16, QLatin1Char('0'));
        else
            out += c;
    }
    return Status::error(ErrorCode::InvalidArgument, out.toStdString());
}

Status fail(const QString& source, const QString& where, const QString& why) {
    return error(QStringLiteral("%1: %2: %3").arg(source, where, why));
}

// 1-based line and column of a byte offset, for JSON syntax errors.
std::pair<int, int> lineColumn(const QByteArray& text, int offset) {
    int line = 1, column = 1;
    for (int i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return {line, column};
}

QString typeName(const QJsonValue& v) {
    switch (v.type()) {
    case QJsonValue::Null: return QStringLiteral("null");
    case QJsonValue::Bool: return QStringLiteral("a boolean");
    case QJsonValue::Double: return QStringLiteral("a number");
    case QJsonValue::String: return QStringLiteral("a string");
    case QJsonValue::Array: return QStringLiteral("an array");
    case QJsonValue::Object: return QStringLiteral("an object");
    case QJsonValue::Undefined: break;
    }
    return QStringLiteral("missing");
}

Status checkKeys(const QJsonObject& object, const std::set<QString>& known, const QString& source,
                 const QString& where) {
    for (auto it = object.begin(); it != object.end(); ++it) {
        if (known.count(it.key()) == 0) {
            QStringList names(known.begin(), known.end());
            return fail(source, where, QStringLiteral("unknown key '%1' (known: %2)").arg(it.key(), names.join(", ")));
        }
    }
    return {};
}

// One function per format change, applied in order: a v1 file needs none yet.
Status migrate(QJsonObject& /*root*/, int fromVersion, const QString& source) {
    if (fromVersion == kPatchFormatVersion)
        return {};
    return fail(source, QStringLiteral("version"), QStringLiteral("no migration from version %1").arg(fromVersion));
}

} // namespace

// The patch's MIDI mappings (optional; files before them have none):
// [{"to": "id.param", "cc": 0-127, "channel": 0 (any) or 1-16, "min": n, "max": n}], channel, min
// and max optional (any channel, the parameter's whole range). A mapping the patch cannot take
// refuses the file, as a bad cable does.
static Status parseMidiMap(const QJsonValue& value, const QString& source, PatchGraph& graph) {
    if (value.isUndefined())
        return {};
    if (!value.isArray())
        return fail(source, QStringLiteral("midi_map"), QStringLiteral("expected an array, found %1").arg(typeName(value)));
    const QJsonArray maps = value.toArray();
    if (static_cast<std::size_t>(maps.size()) > PatchGraph::kMaxMidiMappings)
        return fail(source, QStringLiteral("midi_map"), QStringLiteral("more than %1 mappings").arg(PatchGraph::kMaxMidiMappings));
    for (int i = 0; i < maps.size(); ++i) {
        const QString where = QStringLiteral("midi_map[%1]").arg(i);
        if (!maps[i].isObject())
            return fail(source, where, QStringLiteral("expected an object, found %1").arg(typeName(maps[i])));
        const QJsonObject m = maps[i].toObject();
        if (Status s = checkKeys(m, {"to", "cc", "channel", "min", "max"}, source, where); !s)
            return s;
        const QString to = m.value("to").toString();
        const qsizetype dot = to.indexOf('.');
        if (!m.value("to").isString() || dot <= 0 || dot == to.size() - 1)
            return fail(source, where + ".to", QStringLiteral("expected \"module.param\""));
        // Integers within their range first: casting a huge double to int is undefined behaviour.
        const auto integer = [&](const char* key, int lo, int hi, int fallback, int& out) -> Status {
            const QJsonValue v = m.value(QLatin1String(key));
            if (v.isUndefined() && fallback >= 0) {
                out = fallback;
                return {};
            }
            const double d = v.toDouble(-1);
            if (!v.isDouble() || !(d >= lo && d <= hi) || d != std::floor(d))
                return fail(source, where + "." + key, QStringLiteral("expected a whole number %1-%2").arg(lo).arg(hi));
            out = static_cast<int>(d);
            return {};
        };
        engine::MidiMapping mapping;
        mapping.module = to.left(dot).toStdString();
        mapping.param = to.mid(dot + 1).toStdString();
        if (Status s = integer("cc", 0, 127, -1, mapping.cc); !s)
            return s;
        if (Status s = integer("channel", 0, 16, 0, mapping.channel); !s)
            return s;
        const engine::PatchNode* node = graph.find(mapping.module);
        const engine::ParamIndex index = node ? node->type->findParam(mapping.param) : -1;
        if (index >= 0) { // else setMidiMapping says what is wrong
            const engine::ParamSpec& spec = node->type->params[static_cast<std::size_t>(index)];
            mapping.min = spec.min;
            mapping.max = spec.max;
        }
        for (const char* key : {"min", "max"}) {
            const QJsonValue v = m.value(QLatin1String(key));
            if (v.isUndefined())
                continue;
            if (!v.isDouble())
                return fail(source, where + "." + key, QStringLiteral("expected a number, found %1").arg(typeName(v)));
            (key[1] == 'i' ? mapping.min : mapping.max) = v.toDouble();
        }
        if (auto applied = graph.setMidiMapping(mapping); !applied)
            return fail(source, where, QString::fromStdString(applied.status().message()));
    }
    return {};
}

Result<LoadedPatch> parsePatch(const QByteArray& json, const QString& source) {
    if (json.size() > kMaxPatchFileBytes)
        return fail(source, QStringLiteral("file"), QStringLiteral("larger than %1 bytes").arg(kMaxPatchFileBytes));
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        const auto [line, column] = lineColumn(json, parseError.offset);
        return error(QStringLiteral("%1:%2:%3: invalid JSON: %4").arg(source).arg(line).arg(column).arg(parseError.errorString()));
    }
    if (!doc.isObject())
        return fail(source, QStringLiteral("top level"), QStringLiteral("expected an object"));
    QJsonObject root = doc.object();
    if (Status s = checkKeys(root, {"format", "version", "modules", "cables", "midi_map"}, source, "top level"); !s)
        return s;
    if (root.value("format").toString() != QLatin1String("chronus-patch"))
        return fail(source, QStringLiteral("format"), QStringLiteral("expected \"chronus-patch\", found %1")
                                                          .arg(typeName(root.value("format"))));
    const QJsonValue versionValue = root.value("version");
    const double version = versionValue.toDouble(-1);
    // Range first: casting a huge double to int is undefined behaviour (found by the fuzzer).
    if (!versionValue.isDouble() || !(version >= 1 && version <= 1e6) || version != std::floor(version))
        return fail(source, QStringLiteral("version"), QStringLiteral("expected a positive integer"));
    if (version > kPatchFormatVersion)
        return fail(source, QStringLiteral("version"),
                    QStringLiteral("version %1 is newer than this Chronus understands (%2)")
                        .arg(static_cast<int>(version))
                        .arg(kPatchFormatVersion));
    if (Status s = migrate(root, static_cast<int>(version), source); !s)
        return s;

    LoadedPatch loaded;
    PatchGraph& graph = loaded.graph;
    const QJsonValue modulesValue = root.value("modules");
    if (!modulesValue.isUndefined() && !modulesValue.isArray())
        return fail(source, QStringLiteral("modules"), QStringLiteral("expected an array, found %1").arg(typeName(modulesValue)));
    const QJsonArray modules = modulesValue.toArray();
    if (modules.size() > kMaxModules)
        return fail(source, QStringLiteral("modules"), QStringLiteral("more than %1 modules").arg(kMaxModules));
    for (int i = 0; i < modules.size(); ++i) {
        const QString where = QStringLiteral("modules[%1]").arg(i);
        if (!modules[i].isObject())
            return fail(source, where, QStringLiteral("expected an object, found %1").arg(typeName(modules[i])));
        const QJsonObject m = modules[i].toObject();
        if (Status s = checkKeys(m, {"id", "type", "params", "position"}, source, where); !s)
            return s;
        if (!m.value("id").isString())
            return fail(source, where + ".id", QStringLiteral("expected a string, found %1").arg(typeName(m.value("id"))));
        if (!m.value("type").isString())
            return fail(source, where + ".type", QStringLiteral("expected a string, found %1").arg(typeName(m.value("type"))));
        const std::string id = m.value("id").toString().toStdString();
        const std::string type = m.value("type").toString().toStdString();
        if (id == engine::ModuleRegistry::kOutputId) {
            if (type != engine::ModuleRegistry::kOutputType)
                return fail(source, where + ".type", QStringLiteral("'out' is the output module; its type is 'output'"));
        } else if (Status s = graph.addModule(id, type); !s) {
            return fail(source, where, QString::fromStdString(s.message()));
        }
        const QJsonValue params = m.value("params");
        if (!params.isUndefined() && !params.isObject())
            return fail(source, where + ".params", QStringLiteral("expected an object, found %1").arg(typeName(params)));
        const QJsonObject paramObject = params.toObject();
        for (auto it = paramObject.begin(); it != paramObject.end(); ++it) {
            const QString field = where + ".params." + it.key();
            if (it.value().isString()) { // a text form (a sequencer's pattern or notes) or a label ("square")
                auto applied = graph.setText(id, it.key().toStdString(), it.value().toString().toStdString());
                if (!applied)
                    return fail(source, field, QString::fromStdString(applied.status().message()));
                continue;
            }
            if (!it.value().isDouble()) // files before labels hold the numbers, still read
                return fail(source, field, QStringLiteral("expected a number, found %1").arg(typeName(it.value())));
            auto applied = graph.setParam(id, it.key().toStdString(), it.value().toDouble());
            if (!applied)
                return fail(source, field, QString::fromStdString(applied.status().message()));
            if (applied.value() != it.value().toDouble())
                loaded.warnings << QStringLiteral("%1: %2: %3 is out of range, set to %4")
                                       .arg(source, field)
                                       .arg(it.value().toDouble())
                                       .arg(applied.value());
        }
        const QJsonValue position = m.value("position");
        if (!position.isUndefined()) {
            const QJsonArray xy = position.toArray();
            if (!position.isArray() || xy.size() != 2 || !xy[0].isDouble() || !xy[1].isDouble())
                return fail(source, where + ".position", QStringLiteral("expected [x, y] numbers"));
            graph.setPosition(id, xy[0].toDouble(), xy[1].toDouble());
        }
    }

    const QJsonValue cablesValue = root.value("cables");
    if (!cablesValue.isUndefined() && !cablesValue.isArray())
        return fail(source, QStringLiteral("cables"), QStringLiteral("expected an array, found %1").arg(typeName(cablesValue)));
    const QJsonArray cables = cablesValue.toArray();
    if (cables.size() > kMaxCables)
        return fail(source, QStringLiteral("cables"), QStringLiteral("more than %1 cables").arg(kMaxCables));
    for (int i = 0; i < cables.size(); ++i) {
        const QString where = QStringLiteral("cables[%1]").arg(i);
        if (!cables[i].isObject())
            return fail(source, where, QStringLiteral("expected an object, found %1").arg(typeName(cables[i])));
        const QJsonObject c = cables[i].toObject();
        if (Status s = checkKeys(c, {"from", "to"}, source, where); !s)
            return s;
        if (!c.value("from").isString() || !c.value("to").isString())
            return fail(source, where, QStringLiteral("expected \"from\" and \"to\" strings"));
        if (Status s = graph.connect(c.value("from").toString().toStdString(), c.value("to").toString().toStdString()); !s)
            return fail(source, where, QString::fromStdString(s.message()));
    }
    if (Status s = parseMidiMap(root.value("midi_map"), source, graph); !s)
        return s;
    return loaded;
}

Result<LoadedPatch> loadPatchFile(const QString& path, FollowLinks follow) {
    // Only a regular file, read to a limit: a FIFO would block open() (and with it the thread
    // that serves every request) until a writer came, and /dev/zero would be read until memory
    // ran out. O_NONBLOCK makes open() of a FIFO return at once; fstat then refuses it.
    const QByteArray native = QFile::encodeName(path);
    const int fd = ::open(native.constData(),
                          O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | (follow == FollowLinks::No ? O_NOFOLLOW : 0));
    if (fd < 0 && errno == ELOOP && follow == FollowLinks::No)
        return fail(path, QStringLiteral("file"), QStringLiteral("a symbolic link, which is not followed here"));
    if (fd < 0)
        return error(QStringLiteral("%1: cannot open: %2").arg(path, QString::fromLocal8Bit(std::strerror(errno))));
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat info {};
    if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode))
        return fail(path, QStringLiteral("file"), QStringLiteral("not a regular file (a patch file is plain JSON text)"));
    if (info.st_size > kMaxPatchFileBytes)
        return fail(path, QStringLiteral("file"),
                    QStringLiteral("%1 bytes, larger than the limit of %2 bytes (16 MiB)").arg(info.st_size).arg(kMaxPatchFileBytes));
    QFile file;
    if (!file.open(fd, QIODevice::ReadOnly, QFileDevice::DontCloseHandle))
        return error(QStringLiteral("%1: cannot read: %2").arg(path, file.errorString()));
    // Read to one byte past its size: a file that grew since fstat (past the limit) is still refused,
    // not read whole; and a small file does not reserve the whole limit.
    const QByteArray text = file.read(std::min<qint64>(info.st_size, kMaxPatchFileBytes) + 1);
    if (text.size() > kMaxPatchFileBytes)
        return fail(path, QStringLiteral("file"), QStringLiteral("larger than the limit of %1 bytes (16 MiB)").arg(kMaxPatchFileBytes));
    return parsePatch(text, path);
}

QJsonObject patchJson(const PatchGraph& graph) {
    QJsonArray modules;
    for (const engine::PatchNode& node : graph.nodes()) {
        const bool isOut = node.id == engine::ModuleRegistry::kOutputId;
        QJsonObject params;
        bool nonDefault = false;
        for (std::size_t p = 0; p < node.params.size(); ++p) {
            const engine::ParamSpec& spec = node.type->params[p];
            if (!(spec.flags & engine::ParamHidden)) { // those travel as their text form, below
                const QString key = QString::fromLatin1(spec.id);
                if (spec.choices) // a discrete parameter by its label: "shape": "square"
                    params.insert(key, QString::fromStdString(engine::paramLabel(spec, node.params[p])));
                else
                    params.insert(key, node.params[p]);
            }
            nonDefault |= node.params[p] != static_cast<double>(spec.def);
        }
        if (node.type->text)
            for (std::size_t t = 0; t < node.type->text->texts.size(); ++t)
                params.insert(QString::fromLatin1(node.type->text->texts[t].id),
                              QString::fromStdString(PatchGraph::textOf(node, static_cast<int>(t))));
        if (isOut && !nonDefault && !node.position)
            continue; // the implicit output module at its defaults needs no entry
        QJsonObject m{{"id", QString::fromStdString(node.id)}, {"type", QString::fromLatin1(node.type->id)}};
        if (!params.isEmpty())
            m.insert("params", params);
        if (node.position)
            m.insert("position", QJsonArray{(*node.position)[0], (*node.position)[1]});
        modules.append(m);
    }
    QJsonArray cables;
    for (const engine::Cable& cable : graph.cables()) {
        const engine::PatchNode* from = graph.find(cable.from);
        const engine::PatchNode* to = graph.find(cable.to);
        cables.append(QJsonObject{
            {"from", QString::fromStdString(engine::describeEndpoint(*from, cable.fromPort, true))},
            {"to", QString::fromStdString(engine::describeEndpoint(*to, cable.toPort, false))}});
    }
    QJsonObject root{{"format", "chronus-patch"}, {"version", kPatchFormatVersion}, {"modules", modules}, {"cables", cables}};
    QJsonArray maps; // only when there are some: a patch without mappings reads as it always did
    for (const engine::MidiMapping& m : graph.midiMappings()) {
        QJsonObject o{{"to", QString::fromStdString(m.target())}, {"cc", m.cc}, {"min", m.min}, {"max", m.max}};
        if (m.channel != 0)
            o.insert("channel", m.channel);
        maps.append(o);
    }
    if (!maps.isEmpty())
        root.insert("midi_map", maps);
    return root;
}

QByteArray serializePatch(const PatchGraph& graph, JsonLayout layout) {
    return QJsonDocument(patchJson(graph)).toJson(layout == JsonLayout::Compact ? QJsonDocument::Compact : QJsonDocument::Indented);
}

namespace {
// Creates the folders missing above `path`, or says why not in the system's words ("Read-only file
// system", "Not a directory", "Permission denied"): QDir::mkpath only answers false, and the save
// that followed then blamed a missing file.
Status makeParentFolders(const QString& path) {
    QStringList missing;
    for (QString dir = QFileInfo(path).absolutePath(); !QFileInfo::exists(dir);) {
        missing.prepend(dir);
        const QString up = QFileInfo(dir).absolutePath();
        if (up == dir)
            break;
        dir = up;
    }
    for (const QString& dir : std::as_const(missing))
        if (::mkdir(QFile::encodeName(dir).constData(), 0777) != 0 && errno != EEXIST)
            return Status::error(ErrorCode::InvalidArgument,
                                 QStringLiteral("%1: cannot create the folder %2: %3")
                                     .arg(path, dir, QString::fromLocal8Bit(std::strerror(errno)))
                                     .toStdString());
    return {};
}
} // namespace

Status savePatchFile(const PatchGraph& graph, const QString& path) {
    if (Status s = makeParentFolders(path); !s)
        return s;
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return Status::error(ErrorCode::InvalidArgument,
                             QStringLiteral("%1: cannot write: %2").arg(path, file.errorString()).toStdString());
    const QByteArray data = serializePatch(graph);
    if (file.write(data) != data.size() || !file.commit())
        return Status::error(ErrorCode::InvalidArgument,
                             QStringLiteral("%1: write failed: %2").arg(path, file.errorString()).toStdString());
    return {};
}

} // namespace chronus::app
