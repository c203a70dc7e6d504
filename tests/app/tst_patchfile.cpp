// Patch files: every module type round-trips exactly; bad files give errors naming the field or line.

#include "PatchFile.hpp"
#include "engine/ModuleRegistry.hpp"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <map>

using namespace chronus;
using engine::ModuleRegistry;
using engine::PatchGraph;

class TestPatchFile : public QObject {
    Q_OBJECT

private slots:
    void everyModuleTypeRoundTripsExactly();
    void saveLoadSaveIsByteIdentical();
    void fileOnDiskRoundTrips();
    void predecessorAliasesLoadAsOurTypes();
    void discreteParamsAreWrittenAsLabelsAndReadEitherWay();
    void notesKeepTheirSpellingInFiles();
    void outOfRangeValuesAreClampedAndReported();
    void badFilesAreRejectedWithFieldAndReason_data();
    void badFilesAreRejectedWithFieldAndReason();
    void syntaxErrorNamesLineAndColumn();
    void midiMappingsRoundTripAndOldFilesHaveNone();
    void shippedExamplesLoad();
};

void TestPatchFile::everyModuleTypeRoundTripsExactly() {
    PatchGraph graph;
    int n = 0;
    for (const engine::ModuleType* type : ModuleRegistry::instance().types()) {
        if (type->id == ModuleRegistry::kOutputType)
            continue;
        const std::string id = std::string(type->id) + "_" + std::to_string(n++);
        QVERIFY2(graph.addModule(id, type->id).ok(), type->id);
        // A non-default value for every param: somewhere inside the range, a different one per param.
        for (std::size_t p = 0; p < type->params.size(); ++p) {
            const engine::ParamSpec& spec = type->params[p];
            if (spec.flags & engine::ParamHidden)
                continue; // files carry these as text forms, set below
            double v = static_cast<double>(spec.min) + (static_cast<double>(spec.max) - static_cast<double>(spec.min)) * (0.3 + 0.1 * static_cast<double>(p));
            QVERIFY(graph.setParam(id, spec.id, v).ok());
        }
        if (type->findText("pattern") >= 0) {
            QVERIFY(graph.setText(id, "pattern", "x..X.x").ok());
            QVERIFY(graph.setText(id, "notes", "C2 D#2 55hz 40.25").ok()); // names, Hz, fractional MIDI
        }
        QVERIFY(graph.setPosition(id, 10.5 * n, -3.25 * n).ok());
        if (!type->outputs.empty())
            QVERIFY(graph.connect(id, "out.left").ok());
    }
    QVERIFY(graph.setParam("out", "level", 0.75).ok());
    auto loaded = app::parsePatch(app::serializePatch(graph), "memory");
    QVERIFY2(loaded.ok(), loaded.status().message().c_str());
    QVERIFY(loaded->warnings.isEmpty());
    QVERIFY(loaded->graph == graph);
}

void TestPatchFile::saveLoadSaveIsByteIdentical() {
    PatchGraph graph;
    QVERIFY(graph.addModule("osc1", "saw").ok());
    QVERIFY(graph.addModule("env1", "adsr").ok());
    QVERIFY(graph.setParam("osc1", "freq", 110.1).ok());
    QVERIFY(graph.setParam("env1", "attack", 5).ok());
    QVERIFY(graph.connect("osc1", "env1").ok());
    QVERIFY(graph.connect("env1.out", "out").ok());
    const QByteArray first = app::serializePatch(graph);
    auto loaded = app::parsePatch(first, "memory");
    QVERIFY(loaded.ok());
    QCOMPARE(app::serializePatch(loaded->graph), first);
}

void TestPatchFile::fileOnDiskRoundTrips() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    PatchGraph graph;
    QVERIFY(graph.addModule("n", "noise").ok());
    QVERIFY(graph.setParam("n", "color", 1).ok());
    const QString path = dir.filePath("p.json");
    QVERIFY(app::savePatchFile(graph, path).ok());
    auto loaded = app::loadPatchFile(path);
    QVERIFY2(loaded.ok(), loaded.status().message().c_str());
    QVERIFY(loaded->graph == graph);
    // A failed save (the target is a directory) reports an error and leaves nothing half-written.
    QVERIFY(!app::savePatchFile(graph, dir.path()).ok());
}

void TestPatchFile::predecessorAliasesLoadAsOurTypes() {
    const QByteArray json = R"({"format": "chronus-patch", "version": 1,
        "modules": [{"id": "osc1", "type": "simple_sine", "params": {"freq": 330}},
                    {"id": "f", "type": "biquad_filter", "params": {"resonance": 3, "mode": 2}},
                    {"id": "osc2", "type": "simple_sine", "params": {"frequency": 660}}],
        "cables": [{"from": "osc1", "to": "f"}, {"from": "f", "to": "out"}]})";
    auto loaded = app::parsePatch(json, "seed");
    QVERIFY2(loaded.ok(), loaded.status().message().c_str());
    QCOMPARE(std::string(loaded->graph.find("osc1")->type->id), std::string("sine"));
    const engine::PatchNode* f = loaded->graph.find("f");
    QCOMPARE(std::string(f->type->id), std::string("biquad"));
    QCOMPARE(f->params[static_cast<std::size_t>(f->type->findParam("q"))], 3.0);
    QCOMPARE(loaded->graph.cables().size(), std::size_t(3)); // osc1 -> f, f -> out.left, f -> out.right
    const engine::PatchNode* osc2 = loaded->graph.find("osc2"); // `frequency` is the predecessor's `freq`
    QCOMPARE(osc2->params[static_cast<std::size_t>(osc2->type->findParam("freq"))], 660.0);
}

// A discrete parameter is written as its label ("shape": "square"); files from before labels
// (numbers) still load, labels load in any case, and an unknown label names the field and the
// valid labels.
void TestPatchFile::discreteParamsAreWrittenAsLabelsAndReadEitherWay() {
    PatchGraph graph;
    QVERIFY(graph.addModule("l1", "lfo").ok());
    QVERIFY(graph.addModule("d", "distortion").ok());
    QVERIFY(graph.addModule("lim", "limiter").ok());
    QVERIFY(graph.setParam("l1", "shape", 3).ok());
    QVERIFY(graph.setParam("l1", "sync", 4).ok());
    QVERIFY(graph.setParam("d", "mode", 2).ok());
    const QJsonObject root = QJsonDocument::fromJson(app::serializePatch(graph)).object();
    std::map<QString, QJsonObject> params;
    for (const QJsonValue m : root.value("modules").toArray())
        params[m.toObject().value("id").toString()] = m.toObject().value("params").toObject();
    QCOMPARE(params["l1"].value("shape"), QJsonValue("square"));
    QCOMPARE(params["l1"].value("sync"), QJsonValue("1/8"));
    QCOMPARE(params["l1"].value("rate"), QJsonValue(1.0)); // not discrete: a number
    QCOMPARE(params["d"].value("mode"), QJsonValue("fold"));
    QCOMPARE(params["lim"].value("true_peak"), QJsonValue("on"));
    auto reloaded = app::parsePatch(app::serializePatch(graph), "memory");
    QVERIFY2(reloaded.ok(), reloaded.status().message().c_str());
    QVERIFY(reloaded->graph == graph);

    // Numbers (files written before labels) and labels in any case load to the same patch.
    const QByteArray numbers = R"({"format": "chronus-patch", "version": 1, "modules": [
        {"id": "l1", "type": "lfo", "params": {"shape": 3, "sync": 4}},
        {"id": "d", "type": "distortion", "params": {"mode": 2}}, {"id": "lim", "type": "limiter"}]})";
    const QByteArray labels = R"({"format": "chronus-patch", "version": 1, "modules": [
        {"id": "l1", "type": "lfo", "params": {"shape": "Square", "sync": "1/8"}},
        {"id": "d", "type": "distortion", "params": {"mode": "FOLD"}}, {"id": "lim", "type": "limiter"}]})";
    for (const QByteArray& json : {numbers, labels}) {
        auto loaded = app::parsePatch(json, "p.json");
        QVERIFY2(loaded.ok(), loaded.status().message().c_str());
        QVERIFY(loaded->warnings.isEmpty());
        QVERIFY(loaded->graph == graph);
    }

    auto bad = app::parsePatch(R"({"format": "chronus-patch", "version": 1, "modules": [
        {"id": "l1", "type": "lfo", "params": {"shape": "squar"}}]})",
                               "p.json");
    QVERIFY(!bad.ok());
    const QString message = QString::fromStdString(bad.status().message());
    QVERIFY2(message.contains("p.json: modules[0].params.shape:") && message.contains("'squar'") &&
                 message.contains("sine, triangle, saw, square, s&h"),
             qPrintable(message));
}

// A sequencer's notes are saved as they were written (Ab1 stays Ab1) and load back the same.
void TestPatchFile::notesKeepTheirSpellingInFiles() {
    PatchGraph graph;
    QVERIFY(graph.addModule("bseq", "sequencer").ok());
    QVERIFY(graph.setText("bseq", "pattern", "x.xX.xx.x.Xx.x.x").ok());
    const char* notes = "F1 F1 F2 F1 F1 Ab1 F1 C2 F1 F1 Eb2 F1 F1 C2 F1 Ab1";
    QVERIFY(graph.setText("bseq", "notes", notes).ok());
    const QByteArray json = app::serializePatch(graph);
    const QJsonObject root = QJsonDocument::fromJson(json).object();
    const QJsonObject params = root.value("modules").toArray().at(0).toObject().value("params").toObject();
    QCOMPARE(params.value("notes").toString(), QString::fromLatin1(notes));
    auto loaded = app::parsePatch(json, "memory");
    QVERIFY2(loaded.ok(), loaded.status().message().c_str());
    QVERIFY(loaded->graph == graph);
    QCOMPARE(app::serializePatch(loaded->graph), json);
}

void TestPatchFile::outOfRangeValuesAreClampedAndReported() {
    const QByteArray json = R"({"format": "chronus-patch", "version": 1,
        "modules": [{"id": "osc1", "type": "saw", "params": {"freq": 1e9, "gain": -4}}]})";
    auto loaded = app::parsePatch(json, "p.json");
    QVERIFY(loaded.ok());
    QCOMPARE(loaded->warnings.size(), 2);
    QVERIFY2(loaded->warnings.join('\n').contains("modules[0].params.freq"), qPrintable(loaded->warnings.join('\n')));
    const engine::PatchNode* osc = loaded->graph.find("osc1");
    QCOMPARE(osc->params[0], 20000.0);
    QCOMPARE(osc->params[1], 0.0);
}

void TestPatchFile::badFilesAreRejectedWithFieldAndReason_data() {
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("expected");
    const QByteArray head = R"("format": "chronus-patch", "version": 1)";
    QTest::addRow("not an object") << QByteArray("[1, 2]") << "top level: expected an object";
    QTest::addRow("wrong format") << QByteArray(R"({"format": "x", "version": 1})") << "format";
    QTest::addRow("newer version") << QByteArray(R"({"format": "chronus-patch", "version": 7})") << "newer";
    QTest::addRow("unknown top key") << ("{" + head + R"(, "modles": []})") << "unknown key 'modles'";
    QTest::addRow("unknown type")
        << ("{" + head + R"(, "modules": [{"id": "a", "type": "wobbulator"}]})") << "modules[0]: unknown module type 'wobbulator' (known: sine, saw";
    QTest::addRow("duplicate id")
        << ("{" + head + R"(, "modules": [{"id": "a", "type": "saw"}, {"id": "a", "type": "sine"}]})")
        << "modules[1]: a module with id 'a' already exists";
    QTest::addRow("bad id") << ("{" + head + R"(, "modules": [{"id": "a/b", "type": "saw"}]})") << "invalid module id";
    QTest::addRow("id not a string") << ("{" + head + R"(, "modules": [{"id": 3, "type": "saw"}]})")
                                     << "modules[0].id: expected a string, found a number";
    QTest::addRow("param not a number")
        << ("{" + head + R"(, "modules": [{"id": "a", "type": "saw", "params": {"freq": "high"}}]})")
        << "modules[0].params.freq: a.freq takes a number, not text";
    QTest::addRow("unknown param")
        << ("{" + head + R"(, "modules": [{"id": "a", "type": "saw", "params": {"frq": 1}}]})")
        << "has no parameter 'frq' (parameters: freq, gain)";
    QTest::addRow("unknown port")
        << ("{" + head + R"(, "modules": [{"id": "a", "type": "saw"}], "cables": [{"from": "a.sine", "to": "out"}]})")
        << "cables[0]: module 'a' (saw) has no output 'sine' (outputs: out)";
    QTest::addRow("cycle")
        << ("{" + head + R"(, "modules": [{"id": "a", "type": "vca"}, {"id": "b", "type": "vca"}],
              "cables": [{"from": "a", "to": "b"}, {"from": "b", "to": "a"}]})")
        << "cables[1]: connecting b to a would make a cycle: b -> a -> b";
    QTest::addRow("bad position")
        << ("{" + head + R"(, "modules": [{"id": "a", "type": "saw", "position": [1]}]})") << "modules[0].position";
    const QByteArray saw = "{" + head + R"(, "modules": [{"id": "a", "type": "saw"}, {"id": "k", "type": "midi_in"}], "midi_map": )";
    QTest::addRow("midi_map not an array") << (saw + "{}}") << "midi_map: expected an array, found an object";
    QTest::addRow("midi_map unknown module") << (saw + R"([{"to": "b.freq", "cc": 1}]})") << "midi_map[0]: no module 'b'";
    QTest::addRow("midi_map unknown param") << (saw + R"([{"to": "a.frq", "cc": 1}]})") << "midi_map[0]: module 'a' (saw) has no parameter 'frq'";
    QTest::addRow("midi_map no dot") << (saw + R"([{"to": "a", "cc": 1}]})") << "midi_map[0].to: expected \"module.param\"";
    QTest::addRow("midi_map cc too big") << (saw + R"([{"to": "a.freq", "cc": 128}]})") << "midi_map[0].cc: expected a whole number 0-127";
    QTest::addRow("midi_map cc missing") << (saw + R"([{"to": "a.freq"}]})") << "midi_map[0].cc: expected a whole number 0-127";
    QTest::addRow("midi_map cc huge") << (saw + R"([{"to": "a.freq", "cc": 1e300}]})") << "midi_map[0].cc";
    QTest::addRow("midi_map channel 17") << (saw + R"([{"to": "a.freq", "cc": 1, "channel": 17}]})") << "midi_map[0].channel: expected a whole number 0-16";
    QTest::addRow("midi_map min text") << (saw + R"([{"to": "a.freq", "cc": 1, "min": "low"}]})") << "midi_map[0].min: expected a number, found a string";
    QTest::addRow("midi_map structural") << (saw + R"([{"to": "k.voices", "cc": 1}]})") << "midi_map[0]: k.voices changes how many channels";
    QTest::addRow("midi_map unknown key") << (saw + R"([{"to": "a.freq", "cc": 1, "chan": 2}]})") << "unknown key 'chan'";
}

void TestPatchFile::midiMappingsRoundTripAndOldFilesHaveNone() {
    PatchGraph graph;
    QVERIFY(graph.addModule("a", "saw").ok());
    QVERIFY(graph.addModule("f", "svf").ok());
    engine::MidiMapping m;
    m.module = "a";
    m.param = "freq";
    m.cc = 74;
    m.channel = 3;
    m.min = 55.0;
    m.max = 880.0;
    QVERIFY(graph.setMidiMapping(m).ok());
    m.module = "f";
    m.param = "q"; // an alias: stored as the id
    m.cc = 1;
    m.channel = 0;
    m.min = 0.5;
    m.max = 1e9; // clamped to the range
    auto applied = graph.setMidiMapping(m);
    QVERIFY(applied.ok());
    QCOMPARE(applied.value().max, static_cast<double>(graph.find("f")->type->params[static_cast<std::size_t>(graph.find("f")->type->findParam("q"))].max));
    const QByteArray text = app::serializePatch(graph);
    QVERIFY2(text.contains("\"midi_map\""), text.constData());
    auto loaded = app::parsePatch(text, "memory");
    QVERIFY2(loaded.ok(), loaded.status().message().c_str());
    QCOMPARE(loaded.value().graph, graph);
    QCOMPARE(loaded.value().graph.midiMappings().size(), std::size_t{2});
    QCOMPARE(app::serializePatch(loaded.value().graph), text);
    // A module removed takes its mapping along; a patch without mappings writes no key.
    QVERIFY(graph.removeModule("a").ok());
    QVERIFY(graph.removeMidiMapping("f", "q").ok());
    QVERIFY(!graph.removeMidiMapping("f", "q").ok());
    QVERIFY(graph.midiMappings().empty());
    QVERIFY(!app::serializePatch(graph).contains("midi_map"));
    // Files from before mappings load with none.
    auto old = app::parsePatch(R"({"format": "chronus-patch", "version": 1, "modules": [{"id": "a", "type": "saw"}]})", "old");
    QVERIFY(old.ok());
    QVERIFY(old.value().graph.midiMappings().empty());
}

void TestPatchFile::badFilesAreRejectedWithFieldAndReason() {
    QFETCH(QByteArray, json);
    QFETCH(QString, expected);
    auto loaded = app::parsePatch(json, "bad.json");
    QVERIFY(!loaded.ok());
    const QString message = QString::fromStdString(loaded.status().message());
    QVERIFY2(message.startsWith("bad.json"), qPrintable(message));
    QVERIFY2(message.contains(expected), qPrintable(message));
}

void TestPatchFile::syntaxErrorNamesLineAndColumn() {
    auto loaded = app::loadPatchFile(CHRONUS_TEST_DATA_DIR "/patches/bad-syntax.json");
    QVERIFY(!loaded.ok());
    const QString message = QString::fromStdString(loaded.status().message());
    // The missing comma is at the start of line 6.
    QVERIFY2(message.contains("bad-syntax.json:6:"), qPrintable(message));
    QVERIFY2(message.contains("invalid JSON"), qPrintable(message));
}

void TestPatchFile::shippedExamplesLoad() {
    const QDir dir(CHRONUS_SOURCE_DIR "/resources/patches");
    const QStringList files = dir.entryList({"*.json"}, QDir::Files);
    QVERIFY(!files.isEmpty());
    for (const QString& name : files) {
        auto loaded = app::loadPatchFile(dir.filePath(name));
        QVERIFY2(loaded.ok(), loaded.status().message().c_str());
        QVERIFY2(loaded->warnings.isEmpty(), qPrintable(loaded->warnings.join('\n')));
    }
}

QTEST_GUILESS_MAIN(TestPatchFile)
#include "tst_patchfile.moc"
