// The editor's controller on a real engine played by the null driver: each edit reaches the
// standby slot (and only it), parameters play live, commit flips the active slot, undo and redo
// restore both the models and the engine, files and the autosave round-trip, and an agent's edit
// (over OSC, or made as the OSC server makes it: an agent's step of the patch controller) shows up
// in the models; each author undoes only their own steps.

#include "EditorRig.hpp"
#include "GraphModels.hpp"
#include "OscTestClient.hpp"
#include "PaletteModel.hpp"
#include "PatchFile.hpp"
#include "UndoHistory.hpp"
#include "app/OscServer.hpp"
#include "audio/MidiFeed.hpp"

#include <QAbstractItemModelTester>
#include <QFile>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QLocale>
#include <QSettings>
#include <QSignalSpy>
#include <QTest>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

using namespace chronus;
using chronus::editor::EditorController;
using chronus::editor::NodeModel;
using chronus::editor::test::EditorRig;

#define START_RIG(rig)                                                                                  \
    do {                                                                                                \
        const std::string why_ = (rig).start();                                                         \
        QVERIFY2(why_.empty(), why_.c_str());                                                           \
    } while (false)

namespace {
QPointF cardAt(const EditorController& c, const QString& id) {
    const QVariantMap row = c.nodes()->get(c.nodes()->rowOf(id));
    return {row.value("x").toDouble(), row.value("y").toDouble()};
}

// The card's place and size as the controller keeps clear of it.
QRectF cardRect(const EditorController& c, const QString& id) { return c.cardRect(id); }

// Writes a patch file: osc1 -> env1 -> out, laid out left to right, `out` right of the sources.
QString writeLaidOutPatch(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return {};
    file.write(R"({ "format": "chronus-patch", "version": 1,
  "modules": [ {"id": "osc1", "type": "saw", "params": {"freq": 110}, "position": [100, 120]},
               {"id": "clk1", "type": "clock", "position": [100, 420]},
               {"id": "env1", "type": "adsr", "position": [420, 120]},
               {"id": "out", "type": "output", "position": [740, 120]} ],
  "cables":  [ {"from": "osc1", "to": "env1"}, {"from": "clk1.beat", "to": "env1.gate"},
               {"from": "env1.out", "to": "out"} ] })");
    return path;
}

// `pairs` sine -> vca chains into `out`, laid out in a grid: a big patch as an agent builds one.
engine::PatchGraph chainsPatch(int pairs) {
    engine::PatchGraph g;
    for (int i = 0; i < pairs; ++i) {
        const std::string sine = "sine" + std::to_string(i + 1), vca = "vca" + std::to_string(i + 1);
        (void)g.addModule(sine, "sine");
        (void)g.addModule(vca, "vca");
        (void)g.setPosition(sine, 80.0 + 600.0 * (i % 20), 80.0 + 200.0 * (i / 20));
        (void)g.setPosition(vca, 380.0 + 600.0 * (i % 20), 80.0 + 200.0 * (i / 20));
        (void)g.connect(sine, vca);
        (void)g.connect(vca, "out");
    }
    return g;
}

// Bytes the heap hands out now (glibc), 0 where that cannot be told (another malloc, a sanitizer's).
std::size_t heapInUse() {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
    return mallinfo2().uordblks;
#else
    return 0;
#endif
}

// An agent's request over real OSC while this (the GUI) thread keeps handling events: the editor's
// patch controller runs the request here.
std::optional<test::OscReply> callPumping(test::OscTestClient& agent, const std::string& address,
                                          const test::OscMessage& message) {
    std::atomic<bool> done{false};
    std::optional<test::OscReply> reply;
    std::thread call([&] {
        reply = agent.call(address, message);
        done.store(true);
    });
    while (!done.load())
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    call.join();
    return reply;
}

// What the OSC server does with an agent's request: one agent's step of the patch controller.
bool agentEdit(EditorController& c, const std::function<engine::Status(app::PatchController::Edit&)>& body) {
    return c.patch().edit(app::Author::Agent, QStringLiteral("Agent edit (OSC)"), body).ok();
}

std::uint64_t edits(const engine::SlotEngine& e, int slot) { return e.stats().slot[static_cast<std::size_t>(slot)].editsApplied; }
std::uint64_t commands(const engine::SlotEngine& e, int slot) {
    return e.stats().slot[static_cast<std::size_t>(slot)].commandsApplied;
}
} // namespace

class TestEditorController : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        // Settings (recent files, audio) go to a file of their own, not the user's.
        QCoreApplication::setOrganizationName(QStringLiteral("chronus-tests"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_editor_controller"));
        QSettings().clear();
    }
    void init() { QTest::failOnWarning(QRegularExpression(QStringLiteral(".*"))); }

    // The controller is patch editing; files, selection, audio settings and recording are objects
    // of their own that QML reaches as constant properties, and the ones that need no patch work
    // without a controller at all.
    void theEditorsPartsAreObjectsOfTheirOwn() {
        EditorRig rig;
        START_RIG(rig);
        EditorController& c = *rig.controller;
        const QMetaObject* meta = c.metaObject();
        for (const char* name : {"files", "selection", "audio", "recording", "nodes", "cables"}) {
            const QMetaProperty p = meta->property(meta->indexOfProperty(name));
            QVERIFY2(p.isValid() && p.isConstant(), name);
            QVERIFY2(p.read(&c).value<QObject*>() != nullptr, name);
        }
        for (const char* gone : {"filePath", "recentFiles", "audioSettings", "recordingPath", "canPaste"})
            QVERIFY2(meta->indexOfProperty(gone) < 0, gone);
        for (const char* gone : {"open(QUrl)", "saveAs(QUrl)", "select(QString,bool)", "copySelected()",
                                 "toggleRecording()", "audioDevices(QString)"})
            QVERIFY2(meta->indexOfMethod(gone) < 0, gone);

        editor::AudioSettings audio;
        QSignalSpy said(&audio, &editor::AudioSettings::message);
        QVERIFY(!audio.save(QStringLiteral("jack"), {}, 1000, 64));
        QCOMPARE(said.count(), 1);
        QSignalSpy described(&audio, &editor::AudioSettings::descriptionChanged);
        audio.setDescription(QStringLiteral("null driver"), true);
        audio.setDescription(QStringLiteral("null driver"), true);
        QCOMPARE(described.count(), 1);
        editor::RecordingControl recording;
        QSignalSpy recordingSaid(&recording, &editor::RecordingControl::message);
        recording.toggle();
        QVERIFY(!recording.active());
        QCOMPARE(recordingSaid.count(), 1);

        // The parts speak through the controller's message line.
        QVERIFY(!c.audio()->save(QStringLiteral("oss"), {}, 48000, 64));
        QVERIFY(c.message().contains(QStringLiteral("oss")));
        c.selection()->copy();
        QCOMPARE(c.message(), QStringLiteral("select modules to copy"));
    }

    // Right-click → MIDI learn: the next controller that moves maps to the knob, as the person's
    // step (undone by Ctrl+Z); the knob's row says so (its `midi` role) and follows the controller;
    // forgetting ends the mapping; a controller that moved before the learn began is not taken.
    void midiLearnMapsTheNextControllerToAKnob() {
        EditorRig rig;
        START_RIG(rig);
        EditorController& c = *rig.controller;
        const QString id = c.addModule(QStringLiteral("saw"), 0, 0);
        QVERIFY(!id.isEmpty());
        const auto cc = [&](int channel, int number, int value) {
            engine::MidiEvent e;
            e.status = static_cast<std::uint8_t>(0xB0 | (channel - 1));
            e.data1 = static_cast<std::uint8_t>(number);
            e.data2 = static_cast<std::uint8_t>(value);
            QVERIFY(rig.engine.midi(e).ok());
        };
        cc(1, 10, 5); // before the learn: not taken
        QSignalSpy learning(&c, &EditorController::midiLearningChanged);
        c.midiLearn(id, QStringLiteral("freq"));
        QCOMPARE(c.midiLearning(), id + QStringLiteral(".freq"));
        QCOMPARE(learning.count(), 1);
        cc(3, 74, 0);
        QTRY_VERIFY(c.midiLearning().isEmpty());
        const engine::PatchGraph pending = rig.engine.pending();
        QCOMPARE(pending.midiMappings().size(), std::size_t{1});
        const engine::MidiMapping m = pending.midiMappings()[0];
        QCOMPARE(m.cc, 74);
        QCOMPARE(m.channel, 3);
        editor::ParamModel* params = c.nodes()->paramsOf(id);
        QVERIFY(params);
        const QModelIndex freq = params->index(params->rowOf(QStringLiteral("freq")));
        QCOMPARE(params->data(freq, editor::ParamModel::MidiRole).toString(), QStringLiteral("CC 74 ch 3"));
        // The knob follows its controller.
        cc(3, 74, 127);
        QTRY_COMPARE(params->data(freq, editor::ParamModel::ValueRole).toDouble(), m.max);
        // One undo step of the person's.
        c.undo();
        QVERIFY(rig.engine.pending().midiMappings().empty());
        QCOMPARE(params->data(freq, editor::ParamModel::MidiRole).toString(), QString());
        c.redo();
        QCOMPARE(rig.engine.pending().midiMappings().size(), std::size_t{1});
        QVERIFY(c.forgetMidiMapping(id, QStringLiteral("freq")));
        QVERIFY(rig.engine.pending().midiMappings().empty());
        // Cancelled: nothing is mapped when a controller moves after.
        c.midiLearn(id, QStringLiteral("freq"));
        c.cancelMidiLearn();
        QVERIFY(c.midiLearning().isEmpty());
        cc(1, 20, 64);
        QTest::qWait(100); // the learn watch would have run several times by now
        QVERIFY(rig.engine.pending().midiMappings().empty());
        // A structural parameter cannot learn, and says why.
        const QString keys = c.addModule(QStringLiteral("midi_in"), 0, 200);
        c.midiLearn(keys, QStringLiteral("voices"));
        QVERIFY(c.midiLearning().isEmpty());
        QVERIFY2(c.message().contains(QStringLiteral("cannot follow a controller")), qPrintable(c.message()));
    }

    // Audio settings choose the MIDI input through the editor's MidiFeed (the door --midi-in and
    // /midi/in use): at once, and kept for the next start unless its command line says otherwise.
    void audioSettingsChooseTheMidiInput() {
        EditorRig rig;
        START_RIG(rig);
        audio::MidiFeed feed(rig.engine, "chronus-settings-test");
        editor::AudioSettings& settings = *rig.controller->audio();
        settings.setMidi(&feed);
        QSignalSpy changed(&settings, &editor::AudioSettings::midiChanged);
        const QStringList sources = settings.midiSources();
        QVERIFY(sources.size() >= 2);
        QCOMPARE(sources[0], QStringLiteral("none"));
        QCOMPARE(sources[1], QStringLiteral("auto"));
        QVERIFY(settings.setMidiIn(QStringLiteral("none")));
        QCOMPARE(settings.midiIn(), QStringLiteral("none"));
        QCOMPARE(settings.midiStatus(), QStringLiteral("none"));
        QCOMPARE(QString::fromStdString(feed.requested()), QString());
        QCOMPARE(QSettings().value(QStringLiteral("midi/in")).toString(), QStringLiteral("none"));
        // A name no source has yet: listened for, connected when it appears.
        if (settings.setMidiIn(QStringLiteral("no-such-keyboard"))) {
            QCOMPARE(settings.midiIn(), QStringLiteral("no-such-keyboard"));
            QCOMPARE(QString::fromStdString(feed.requested()), QStringLiteral("no-such-keyboard"));
            QVERIFY2(settings.midiStatus().startsWith(QStringLiteral("waiting for 'no-such-keyboard'")),
                     qPrintable(settings.midiStatus()));
            QCOMPARE(QSettings().value(QStringLiteral("midi/in")).toString(), QStringLiteral("no-such-keyboard"));
        } else { // no MIDI system on this machine: said, and the choice kept as it was
            QVERIFY(rig.controller->message().startsWith(QStringLiteral("MIDI input: ")));
            QCOMPARE(QSettings().value(QStringLiteral("midi/in")).toString(), QStringLiteral("none"));
        }
        QVERIFY(changed.count() >= 2);
        const QString stored = QSettings().value(QStringLiteral("midi/in")).toString();
        const QStringList args = editor::AudioSettings::storedArguments({});
        QVERIFY2(args.contains(QStringLiteral("--midi-in")) && args[args.indexOf(QStringLiteral("--midi-in")) + 1] == stored,
                 qPrintable(args.join(' ')));
        QVERIFY(!editor::AudioSettings::storedArguments({QStringLiteral("--midi-in"), QStringLiteral("x")})
                     .contains(QStringLiteral("--midi-in")));
        QVERIFY(settings.setMidiIn(QStringLiteral("none")));
        settings.setMidi(nullptr);
        feed.close();
        QSettings().remove(QStringLiteral("midi/in")); // the other tests' stored arguments have none
    }

    void anEditPostsOneCommandOnTheStandbyOnly() {
        EditorRig rig;
        START_RIG(rig);
        EditorController& c = *rig.controller;
        QAbstractItemModelTester nodes(c.nodes(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester cables(c.cables(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        const int active = rig.engine.activeSlot();
        const int standby = 1 - active;
        // Settled: the standby follows the active in step, and the active applied its start-up
        // commands (its Sync and its MarkActive).
        QTRY_VERIFY(rig.engine.stats().slot[static_cast<std::size_t>(standby)].inStep &&
                    commands(rig.engine, active) == 2);
        const auto standbyBefore = edits(rig.engine, standby);
        const auto activeBefore = commands(rig.engine, active);
        const QString id = c.addModule(QStringLiteral("saw"), 100, 100);
        QCOMPARE(id, QStringLiteral("saw1"));
        QTRY_COMPARE(edits(rig.engine, standby), standbyBefore + 1);
        QCOMPARE(commands(rig.engine, active), activeBefore);
        QVERIFY(rig.engine.pending().find("saw1"));
        QVERIFY(!rig.engine.committed().find("saw1"));
        QCOMPARE(c.nodes()->get(c.nodes()->rowOf(id)).value("pending").toString(), QStringLiteral("added"));
        QCOMPARE(c.pendingChanges(), 1);

        QVERIFY(c.connectPorts(id, QStringLiteral("out"), QStringLiteral("out"), QStringLiteral("left")));
        QTRY_COMPARE(edits(rig.engine, standby), standbyBefore + 2);
        QCOMPARE(commands(rig.engine, active), activeBefore);
        QCOMPARE(c.cables()->count(), 1);
        const engine::PatchGraph pending = rig.engine.pending(); // a copy, taken under the engine's lock
        const auto& pendingCables = pending.cables();
        QVERIFY(std::any_of(pendingCables.begin(), pendingCables.end(), [](const engine::Cable& cable) {
            return cable.from == "saw1" && cable.fromPort == 0 && cable.to == "out" && cable.toPort == 0;
        }));
    }

    void aRefusedCableSaysWhy() {
        EditorRig rig;
        START_RIG(rig);
        EditorController& c = *rig.controller;
        const auto start = edits(rig.engine, rig.engine.standbySlot());
        const QString a = c.addModule(QStringLiteral("svf"), 0, 0);
        const QString b = c.addModule(QStringLiteral("svf"), 300, 0);
        QVERIFY(c.connectPorts(a, QStringLiteral("lp"), b, QStringLiteral("in")));
        QSignalSpy refused(&c, &EditorController::cableRefused);
        // The standby applies edits on its own thread: count from when these three are in.
        QTRY_COMPARE(edits(rig.engine, rig.engine.standbySlot()), start + 3);
        const auto before = start + 3;
        QVERIFY(!c.connectionProblem(b, QStringLiteral("lp"), a, QStringLiteral("in")).isEmpty());
        QVERIFY(!c.connectPorts(b, QStringLiteral("lp"), a, QStringLiteral("in")));
        QCOMPARE(refused.count(), 1);
        QVERIFY2(refused.first().first().toString().contains(QStringLiteral("cycle")),
                 qPrintable(refused.first().first().toString()));
        QVERIFY(c.message().contains(QStringLiteral("cycle")));
        // The same cable twice.
        QVERIFY(!c.connectPorts(a, QStringLiteral("lp"), b, QStringLiteral("in")));
        QCOMPARE(refused.count(), 2);
        QVERIFY(c.connectionProblem(a, QStringLiteral("hp"), b, QStringLiteral("cutoff")).isEmpty());
        QCOMPARE(edits(rig.engine, rig.engine.standbySlot()), before); // nothing reached the engine
    }

    void commitFlipsTheActiveSlotAndParametersThenPlayLive() {
        EditorRig rig;
        START_RIG(rig);
        EditorController& c = *rig.controller;
        const QString id = c.addModule(QStringLiteral("sine"), 0, 0);
        QVERIFY(c.connectPorts(id, QStringLiteral("out"), QStringLiteral("out"), QStringLiteral("left")));
        const int activeBefore = rig.engine.stats().activeSlot;
        QSignalSpy committed(&c, &EditorController::committed);
        c.commit();
        QVERIFY(c.busy());
        QTRY_COMPARE_WITH_TIMEOUT(committed.count(), 1, 5000);
        QCOMPARE(committed.first().first().toInt(), 1 - activeBefore);
        QCOMPARE(rig.engine.stats().activeSlot, 1 - activeBefore);
        QVERIFY(!c.busy());
        QCOMPARE(c.pendingChanges(), 0);
        QCOMPARE(c.nodes()->get(c.nodes()->rowOf(id)).value("pending").toString(), QString());
        QVERIFY(c.canUndoCommit());

        // A knob on a committed module: live on both slots, the committed patch follows.
        const auto a0 = commands(rig.engine, 0), b0 = commands(rig.engine, 1);
        c.beginGesture();
        QVERIFY(c.setParam(id, QStringLiteral("freq"), 660.0));
        QVERIFY(c.setParam(id, QStringLiteral("freq"), 880.0));
        QTRY_VERIFY(commands(rig.engine, 0) >= a0 + 2 && commands(rig.engine, 1) >= b0 + 2);
        QCOMPARE(rig.engine.committed().find("sine1")->params[0], 880.0);
        QCOMPARE(c.pendingChanges(), 0); // live, not pending
        QCOMPARE(c.undoText(), QStringLiteral("Set sine1.freq")); // one gesture, one step
        c.undo();
        QCOMPARE(rig.engine.committed().find("sine1")->params[0], 440.0);
        c.redo();
        QCOMPARE(rig.engine.committed().find("sine1")->params[0], 880.0);
    }

    void aChannelCountKnobEditsThePendingPatch() {
        // merge's `channels` sets how wide its cable is, which a playing plan cannot change: on a
        // committed module the knob edits the pending patch (heard at the next commit) instead
        // of failing as a live change would.
        EditorRig rig;
        START_RIG(rig);
        EditorController& c = *rig.controller;
        const QString id = c.addModule(QStringLiteral("merge"), 0, 0);
        QSignalSpy committed(&c, &EditorController::committed);
        c.commit();
        QTRY_COMPARE_WITH_TIMEOUT(committed.count(), 1, 10000);
        QVERIFY(rig.engine.committed().find(id.toStdString()));
        QVERIFY2(c.setParam(id, QStringLiteral("channels"), 4), qPrintable(c.message()));
        QCOMPARE(rig.engine.pending().find(id.toStdString())->params[0], 4.0);
        QCOMPARE(rig.engine.committed().find(id.toStdString())->params[0], 0.0);
        QCOMPARE(c.pendingChanges(), 1);
        c.commit();
        QTRY_COMPARE_WITH_TIMEOUT(committed.count(), 2, 10000);
        QCOMPARE(rig.engine.committed().find(id.toStdString())->params[0], 4.0);
    }

    void knobsAndEditsDuringACommitsFadeDoNotWait() {
        // A 1.5 s fade: a knob dragged meanwhile moves the sound at once (a live change on both
        // slots, stamped two blocks ahead), and a module added meanwhile is pending at once; neither
        // waits for the commit, which reports its outcome later.
        engine::EngineConfig config = EditorRig::engineConfig();
        config.fadeMs = 1500.0;
        EditorRig rig(400, config);
        START_RIG(rig);
        EditorController& c = *rig.controller;
        const QString id = c.addModule(QStringLiteral("sine"), 0, 0);
        QVERIFY(c.connectPorts(id, QStringLiteral("out"), QStringLiteral("out"), QStringLiteral("left")));
        QSignalSpy committed(&c, &EditorController::committed);
        c.commit();
        QTRY_COMPARE_WITH_TIMEOUT(committed.count(), 1, 10000);
        QVERIFY(c.setParam(id, QStringLiteral("gain"), 0.25)); // something for the next commit to fade to
        c.commit();
        QTRY_VERIFY_WITH_TIMEOUT(rig.engine.stats().fading, 5000);
        std::vector<qint64> callNs;
        QElapsedTimer t;
        c.beginGesture();
        for (int step = 0; step <= 40; ++step) {
            t.start();
            QVERIFY(c.setParam(id, QStringLiteral("freq"), 440.0 + 10.0 * step));
            callNs.push_back(t.nsecsElapsed());
        }
        t.start();
        const QString added = c.addModule(QStringLiteral("saw"), 200, 0);
        const qint64 addNs = t.nsecsElapsed();
        QVERIFY(!added.isEmpty());
        const bool stillFading = rig.engine.stats().fading && c.busy();
        QVERIFY2(stillFading, "a knob or an edit waited for the commit's fade");
        QTRY_COMPARE_WITH_TIMEOUT(committed.count(), 2, 10000);
        QCOMPARE(rig.engine.committed().find(id.toStdString())->params[0], 840.0); // the drag's last value
        QVERIFY(!rig.engine.committed().find(added.toStdString()));
        QVERIFY(rig.engine.pending().find(added.toStdString()));
        QCOMPARE(c.pendingChanges(), 1);
        std::sort(callNs.begin(), callNs.end());
        qInfo("during a 1500 ms fade: knob call median %.3f ms, max %.3f ms; add module %.3f ms",
              static_cast<double>(callNs[callNs.size() / 2]) * 1e-6, static_cast<double>(callNs.back()) * 1e-6,
              static_cast<double>(addNs) * 1e-6);
    }

    void undoAndRedoRestoreModelAndEngine() {
        EditorRig rig;
        START_RIG(rig);
        EditorController& c = *rig.controller;
        QAbstractItemModelTester nodes(c.nodes(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester cables(c.cables(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        const engine::PatchGraph empty = rig.engine.pending();
        const QString saw = c.addModule(QStringLiteral("saw"), 0, 0);
        QVERIFY(c.connectPorts(saw, QStringLiteral("out"), QStringLiteral("out"), QStringLiteral("right")));
        const engine::PatchGraph built = rig.engine.pending();
        QCOMPARE(c.nodes()->count(), 2);
        c.undo(); // the cable
        QCOMPARE(c.cables()->count(), 0);
        QVERIFY(rig.engine.pending().cables().empty());
        c.undo(); // the module
        QCOMPARE(c.nodes()->count(), 1);
        QVERIFY(rig.engine.pending() == empty);
        QVERIFY(!c.canUndo());
        c.redo();
        c.redo();
        QVERIFY(rig.engine.pending() == built);
        QCOMPARE(c.nodes()->count(), 2);
        QCOMPARE(c.cables()->count(), 1);

        // Delete a selected module, bring it back with its cable.
        c.selection()->select(saw, false);
        QCOMPARE(c.nodes()->selectedCount(), 1);
        QVERIFY(c.removeSelected());
        QVERIFY(!rig.engine.pending().find("saw1"));
        QCOMPARE(c.cables()->count(), 0);
        c.undo();
        QVERIFY(rig.engine.pending() == built);
        QCOMPARE(c.cables()->count(), 1);
        // The standby really holds it again: a commit plays it.
        QSignalSpy committed(&c, &EditorController::committed);
        c.commit();
        QTRY_COMPARE_WITH_TIMEOUT(committed.count(), 1, 5000);
        QVERIFY(rig.engine.committed().find("saw1"));
    }

    void theOutputStays() {
        EditorRig rig;
        START_RIG(rig);
        EditorController& c = *rig.controller;
        QVERIFY(!c.removeModule(QStringLiteral("out")));
        QVERIFY(rig.engine.pending().find("out"));
    }

    void duplicateAndPasteKeepParametersAndInnerCables() {
        EditorRig rig;
        START_RIG(rig);
        EditorController& c = *rig.controller;
        const QString saw = c.addModule(QStringLiteral("saw"), 100, 100);
        const QString svf = c.addModule(QStringLiteral("svf"), 400, 100);
        QVERIFY(c.connectPorts(saw, QStringLiteral("out"), svf, QStringLiteral("in")));
        QVERIFY(c.connectPorts(svf, QStringLiteral("lp"), QStringLiteral("out"), QStringLiteral("left")));
        QVERIFY(c.setParam(svf, QStringLiteral("cutoff"), 1234.0));
        c.selection()->select(saw, false);
        c.selection()->select(svf, true);
        QVERIFY(c.selection()->duplicate());
        const engine::PatchGraph g = rig.engine.pending();
        QVERIFY(g.find("saw2") && g.find("svf2"));
        QCOMPARE(g.find("svf2")->params[static_cast<std::size_t>(g.find("svf2")->type->findParam("cutoff"))], 1234.0);
        // saw2 -> svf2 came along; svf2 -> out did not (out was not selected).
        int inner = 0, toOut = 0;
        for (const auto& cable : g.cables()) {
            inner += cable.from == "saw2" && cable.to == "svf2";
            toOut += cable.from == "svf2" && cable.to == "out";
        }
        QCOMPARE(inner, 1);
        QCOMPARE(toOut, 0);
        QCOMPARE(c.nodes()->selectedCount(), 2); // the copies are selected
        QCOMPARE(c.nodes()->get(c.nodes()->rowOf("saw2")).value("x").toDouble(), 140.0);

        c.selection()->copy();
        QVERIFY(c.selection()->canPaste());
        QVERIFY(c.selection()->paste(1000, 1000));
        QVERIFY(rig.engine.pending().find("saw3") && rig.engine.pending().find("svf3"));
        QCOMPARE(c.nodes()->get(c.nodes()->rowOf("saw3")).value("x").toDouble(), 1000.0);
        c.undo();
        QVERIFY(!rig.engine.pending().find("saw3"));
    }

    void movesAreUndoableAndOneDragIsOneStep() {
        EditorRig rig;
        START_RIG(rig);
        EditorController& c = *rig.controller;
        const QString id = c.addModule(QStringLiteral("lfo"), 100, 100);
        c.beginGesture();
        for (int i = 1; i <= 10; ++i)
            c.moveNode(id, 100 + 10 * i, 100);
        QCOMPARE(c.nodes()->get(c.nodes()->rowOf(id)).value("x").toDouble(), 200.0);
        QCOMPARE(c.undoText(), QStringLiteral("Move lfo1"));
        c.undo();
        QCOMPARE(c.nodes()->get(c.nodes()->rowOf(id)).value("x").toDouble(), 100.0);
        QCOMPARE(c.undoText(), QStringLiteral("Add lfo1"));
    }

    void filesRoundTripWithLayoutAndDirtyState() {
        EditorRig rig;
        START_RIG(rig);
        EditorController& c = *rig.controller;
        c.loadDemo();
        QVERIFY(c.nodes()->count() >= 5);
        QVERIFY(c.dirty());
        const QString path = rig.dir.filePath(QStringLiteral("song.json"));
        QVERIFY(c.files()->saveAs(QUrl::fromLocalFile(path)));
        QVERIFY(!c.dirty());
        QCOMPARE(c.files()->documentName(), QStringLiteral("song.json"));
        QCOMPARE(c.files()->recentFiles().value(0), QFileInfo(path).absoluteFilePath());
        const engine::PatchGraph saved = c.document();
        c.moveNode(QStringLiteral("saw1"), 777, 555);
        QVERIFY(c.dirty());
        c.newPatch();
        QCOMPARE(c.nodes()->count(), 1);
        QVERIFY(c.files()->open(QUrl::fromLocalFile(path)));
        QVERIFY(!c.dirty());
        QVERIFY(c.document() == saved); // modules, params, cables and positions
        // What chronus render reads.
        auto loaded = app::loadPatchFile(path);
        QVERIFY(loaded);
        QVERIFY(loaded->graph == saved);
    }

    void everyExampleTrackOpens() {
        EditorRig rig;
        START_RIG(rig);
        EditorController& c = *rig.controller;
        const QStringList examples = c.files()->examples();
        QVERIFY(examples.size() >= 3);
        for (const QString& path : examples) {
            QVERIFY2(c.files()->open(QUrl::fromLocalFile(path)), qPrintable(c.message()));
            QVERIFY(c.nodes()->count() > 5);
            QVERIFY(c.cables()->count() > 5);
        }
    }

    void theAutosaveBringsBackWhatPlayedAndWhatWasPending() {
        auto rig = std::make_unique<EditorRig>();
        START_RIG(*rig);
        EditorController& c = *rig->controller;
        const QString sine = c.addModule(QStringLiteral("sine"), 0, 0);
        QVERIFY(c.connectPorts(sine, QStringLiteral("out"), QStringLiteral("out"), QStringLiteral("left")));
        QSignalSpy committed(&c, &EditorController::committed);
        c.commit();
        QTRY_COMPARE_WITH_TIMEOUT(committed.count(), 1, 5000);
        const QString pendingOnly = c.addModule(QStringLiteral("noise"), 300, 0);
        QVERIFY(!pendingOnly.isEmpty());
        const engine::PatchGraph document = c.document();
        const QString autosave = rig->m_options.autosavePath;
        QVERIFY(QFile::exists(autosave)); // the commit rewrote the autosave file
        QVERIFY(QFileInfo(autosave + ".journal").size() > 0); // the edit after it is in the journal

        // A second editor on a fresh engine, as after a crash.
        QTemporaryDir keep;
        QVERIFY(QFile::copy(autosave, keep.filePath("a.json")));
        QVERIFY(QFile::copy(autosave + ".journal", keep.filePath("a.json.journal")));
        rig.reset();
        EditorRig second;
        second.m_options.autosavePath = keep.filePath("a.json");
        START_RIG(second);
        EditorController& d = *second.controller;
        QVERIFY(d.hasAutosave());
        QVERIFY(d.restoreAutosave());
        QVERIFY(!d.hasAutosave());
        QVERIFY(second.engine.committed().find("sine1"));  // what played plays again
        QVERIFY(!second.engine.committed().find("noise1"));
        QVERIFY(second.engine.pending().find("noise1"));   // what was pending is pending
        QVERIFY(d.document() == document);
        QVERIFY(d.dirty());
    }

    // The autosave's folder cannot be made (its parent is a file): the person's edit says so in the
    // window, and an agent's edit says so in its reply and in the window, with the system's reason.
    void anAutosaveThatCannotBeWrittenTellsTheAgentAndTheWindow() {
        EditorRig rig;
        QFile blocker(rig.dir.filePath(QStringLiteral("state")));
        QVERIFY(blocker.open(QIODevice::WriteOnly));
        blocker.close();
        rig.m_options.autosavePath = rig.dir.filePath(QStringLiteral("state/autosave.json"));
        START_RIG(rig);
        EditorController& c = *rig.controller;
        QVERIFY(!c.addModule(QStringLiteral("sine"), 0, 0).isEmpty()); // made, but not kept
        QVERIFY2(c.message().contains(QStringLiteral("autosave failed")) && c.message().contains(QStringLiteral("Not a directory")),
                 qPrintable(c.message()));

        app::OscServerOptions options;
        options.port = 0;
        app::OscServer server(rig.engine, c.patch(), options);
        server.setAcknowledgeObserver([&c](const std::string& address) { return c.persistExternalChange(address); });
        QVERIFY(server.start().ok());
        test::OscTestClient agent(server.port());
        QVERIFY(agent.valid());
        c.selection()->clear();
        QVERIFY(c.undoHistory()->count() > 0);
        const auto r = callPumping(agent, "/patch/create", std::move(test::OscMessage().s("lfo9").s("lfo")));
        QVERIFY2(r && r->isReply(), r ? r->describe().constData() : "no reply");
        QVERIFY2(r->describe().contains("autosave failed") && r->describe().contains("Not a directory"), r->describe().constData());
        QTRY_VERIFY(c.nodes()->rowOf(QStringLiteral("lfo9")) >= 0);
        QTRY_VERIFY2(c.message().contains(QStringLiteral("autosave failed")), qPrintable(c.message()));
        server.stop();
    }

    void anAgentsEditShowsUpAndIsUndoable() {
        EditorRig rig;
        START_RIG(rig);
        EditorController& c = *rig.controller;
        QSignalSpy pending(&c, &EditorController::pendingChanged);
        const QString saw = c.addModule(QStringLiteral("saw"), 0, 0);
        QVERIFY(agentEdit(c, [](app::PatchController::Edit& e) {
            if (auto s = e.addModule("kick1", "kick"); !s)
                return s;
            return e.connect("kick1", "out");
        }));
        QVERIFY(c.nodes()->rowOf(QStringLiteral("kick1")) >= 0); // at once: a signal, not a poll
        QVERIFY(pending.count() > 0);
        QCOMPARE(c.cables()->count(), 2);
        // Ctrl+Z is the person's: it takes back the saw, not the agent's newer edit.
        QCOMPARE(c.undoText(), QStringLiteral("Add %1").arg(saw));
        QCOMPARE(c.agentUndoText(), QStringLiteral("Agent edit (OSC)"));
        c.undo();
        QVERIFY(!rig.engine.pending().find(saw.toStdString()));
        QVERIFY(rig.engine.pending().find("kick1"));
        // "Undo agent's last" takes back the agent's.
        c.undoAgent();
        QVERIFY(!rig.engine.pending().find("kick1"));
        QCOMPARE(c.nodes()->rowOf(QStringLiteral("kick1")), -1);
        QVERIFY(!c.canUndoAgent());
    }

    // Positions travel with every committed and pending patch: an undo of a commit brings back the
    // patch with its cards where they were when it was committed.
    void undoCommitKeepsTheLayoutOfAPatchOpenedFromAFile() {
        EditorRig rig;
        START_RIG(rig);
        EditorController& c = *rig.controller;
        QSignalSpy committed(&c, &EditorController::committed);
        const QString path = writeLaidOutPatch(rig.dir.filePath(QStringLiteral("laid-out.json")));
        QVERIFY(!path.isEmpty());
        QVERIFY2(c.files()->open(QUrl::fromLocalFile(path)), qPrintable(c.message()));
        const std::map<QString, QPointF> layout{{"osc1", {100, 120}}, {"clk1", {100, 420}},
                                                {"env1", {420, 120}}, {"out", {740, 120}}};
        for (const auto& [id, p] : layout)
            QCOMPARE(cardAt(c, id), p);
        c.commit();
        QTRY_COMPARE_WITH_TIMEOUT(committed.count(), 1, 5000);

        // An edit: a module more, two cards moved; committed.
        const QString lfo = c.addModule(QStringLiteral("lfo"), 420, 420);
        c.beginGesture();
        c.moveNode(QStringLiteral("out"), 60, 700);
        c.beginGesture();
        c.moveNode(QStringLiteral("osc1"), 740, 420);
        c.commit();
        QTRY_COMPARE_WITH_TIMEOUT(committed.count(), 2, 5000);
        QCOMPARE(cardAt(c, QStringLiteral("out")), QPointF(60, 700));

        c.undoCommit();
        QTRY_COMPARE_WITH_TIMEOUT(committed.count(), 3, 5000);
        QVERIFY(c.waitForIdle());
        QCOMPARE(c.nodes()->rowOf(lfo), -1);
        for (const auto& [id, p] : layout) {
            QCOMPARE(cardAt(c, id), p);
            QCOMPARE(c.document().find(id.toStdString())->position, (std::array<double, 2>{p.x(), p.y()}));
        }
        QCOMPARE(c.nodes()->count(), 4);
    }

    // The patch before the file (the demo) comes back laid out as it was, `out` right of its
    // sources, not where the file had its `out`.
    void undoCommitBringsBackTheEarlierPatchsLayout() {
        EditorRig rig;
        START_RIG(rig);
        EditorController& c = *rig.controller;
        QSignalSpy committed(&c, &EditorController::committed);
        c.loadDemo();
        std::map<QString, QPointF> demo;
        for (int row = 0; row < c.nodes()->count(); ++row) {
            const QString id = c.nodes()->get(row).value("nodeId").toString();
            demo[id] = cardAt(c, id);
        }
        QCOMPARE(demo.at("out"), QPointF(980, 180));
        c.commit();
        QTRY_COMPARE_WITH_TIMEOUT(committed.count(), 1, 5000);
        QVERIFY(c.files()->open(QUrl::fromLocalFile(writeLaidOutPatch(rig.dir.filePath(QStringLiteral("file.json"))))));
        c.commit();
        QTRY_COMPARE_WITH_TIMEOUT(committed.count(), 2, 5000);
        QCOMPARE(cardAt(c, QStringLiteral("out")), QPointF(740, 120));
        c.undoCommit();
        QTRY_COMPARE_WITH_TIMEOUT(committed.count(), 3, 5000);
        QVERIFY(c.waitForIdle());
        QCOMPARE(c.nodes()->count(), static_cast<int>(demo.size()));
        for (const auto& [id, p] : demo)
            QCOMPARE(cardAt(c, id), p);
    }

    // An agent over real OSC: its modules land next to what they are cabled to, on no card and no
    // ghost, and the status line says what it did.
    void anAgentsModulesLandNextToWhatTheyConnectToInFreeSpace() {
        EditorRig rig;
        rig.m_options.agentBurstMs = 0; // each request a step: the message says what each one did
        START_RIG(rig);
        EditorController& c = *rig.controller;
        app::OscServerOptions options;
        options.port = 0;
        app::OscServer server(rig.engine, c.patch(), options);
        QVERIFY(server.start().ok());
        test::OscTestClient agent(server.port());
        QVERIFY(agent.valid());

        // The person's patch: a VCA into out, and a noise card, committed, then deleted: its
        // ghost stays exactly where a module feeding the VCA would go first.
        QSignalSpy committed(&c, &EditorController::committed);
        const QString vca = c.addModule(QStringLiteral("vca"), 600, 200);
        QVERIFY(c.connectPorts(vca, QStringLiteral("out"), QStringLiteral("out"), QStringLiteral("left")));
        const QString noise = c.addModule(QStringLiteral("noise"), 320, 200);
        c.commit();
        QTRY_COMPARE_WITH_TIMEOUT(committed.count(), 1, 5000);
        QVERIFY(c.waitForIdle());
        QVERIFY(c.removeModule(noise));
        QCOMPARE(c.nodes()->get(c.nodes()->rowOf(noise)).value("pending").toString(), QStringLiteral("removed"));

        auto call = [&](const std::string& address, test::OscMessage m) {
            const auto r = callPumping(agent, address, m);
            QVERIFY2(r && r->isReply(), r ? r->describe().constData() : "no reply");
        };
        auto overlapsAnother = [&](const QString& id) {
            const QRectF mine = cardRect(c, id);
            for (int row = 0; row < c.nodes()->count(); ++row) {
                const QString other = c.nodes()->get(row).value("nodeId").toString();
                if (other != id && cardRect(c, other).intersects(mine))
                    return other;
            }
            return QString();
        };

        call("/patch/create", std::move(test::OscMessage().s("osc2").s("saw")));
        QTRY_VERIFY(c.nodes()->rowOf(QStringLiteral("osc2")) >= 0);
        QCOMPARE(c.message(), QStringLiteral("agent: created osc2 (saw)"));
        QCOMPARE(overlapsAnother(QStringLiteral("osc2")), QString());

        call("/patch/connect", std::move(test::OscMessage().s("osc2").s("vca1.in")));
        QTRY_COMPARE(c.message(), QStringLiteral("agent: connected osc2.out → vca1.in"));
        // Left of the VCA it feeds, the cable's width away, and on no card or ghost.
        const QRectF osc = cardRect(c, QStringLiteral("osc2"));
        const QRectF v = cardRect(c, vca);
        QVERIFY2(osc.right() < v.left() && v.left() - osc.right() <= 120, qPrintable(QStringLiteral("%1 %2").arg(osc.right()).arg(v.left())));
        QVERIFY2(std::abs(osc.center().y() - v.center().y()) <= 400, qPrintable(QString::number(osc.y())));
        QCOMPARE(overlapsAnother(QStringLiteral("osc2")), QString());

        // Created and cabled in one go: next to the VCA too, clear of osc2 and the ghost.
        call("/patch/create", std::move(test::OscMessage().s("env2").s("adsr")));
        call("/patch/connect", std::move(test::OscMessage().s("env2").s("vca1.cv")));
        QTRY_VERIFY(c.nodes()->rowOf(QStringLiteral("env2")) >= 0 && c.cables()->count() == 3);
        QTRY_VERIFY(c.message().contains(QStringLiteral("connected env2.out → vca1.cv")));
        const QRectF env = cardRect(c, QStringLiteral("env2"));
        QVERIFY(env.right() < v.left() && v.left() - env.right() <= 120);
        QCOMPARE(overlapsAnother(QStringLiteral("env2")), QString());
        QCOMPARE(overlapsAnother(QStringLiteral("osc2")), QString());
        // The person's cards did not move.
        QCOMPARE(cardAt(c, vca), QPointF(600, 200));
        QCOMPARE(cardAt(c, noise), QPointF(320, 200));

        call("/patch/commit", test::OscMessage());
        QTRY_VERIFY(c.message().startsWith(QStringLiteral("agent: committed (slot ")));
        server.stop();
    }

    // An agent's commit runs through the editor's patch controller on this (the GUI) thread, but
    // its fade does not hold the thread: the person turns a knob while the agent waits for its reply.
    void anAgentsCommitDoesNotHoldTheWindow() {
        EditorRig rig;
        START_RIG(rig);
        EditorController& c = *rig.controller;
        app::OscServerOptions options;
        options.port = 0;
        app::OscServer server(rig.engine, c.patch(), options);
        QVERIFY(server.start().ok());
        test::OscTestClient agent(server.port());
        QVERIFY(agent.valid());
        const QString saw = c.addModule(QStringLiteral("saw"), 0, 0);
        std::atomic<bool> answered{false};
        std::optional<test::OscReply> reply;
        std::thread call([&] {
            reply = agent.call("/patch/commit", std::move(test::OscMessage().f(5000.0f)), {}, std::chrono::milliseconds(30000));
            answered.store(true);
        });
        QTRY_VERIFY_WITH_TIMEOUT(rig.engine.stats().fading, 10000); // the request ran here, the fade began
        QVERIFY(!answered.load());
        QVERIFY(c.setParam(saw, QStringLiteral("freq"), 220.0)); // the window answers meanwhile
        QCOMPARE(c.patch().pending().find(saw.toStdString())->params[0], 220.0);
        QVERIFY2(!answered.load(), "the 5 s fade was still running");
        QTRY_VERIFY_WITH_TIMEOUT(answered.load(), 30000);
        call.join();
        QVERIFY2(reply && reply->isReply(), reply ? reply->describe().constData() : "no reply");
        QVERIFY2(c.message().startsWith(QStringLiteral("agent: committed")), qPrintable(c.message()));
        server.stop();
    }

    // "the previous patch plays again (slot A)" must not stay while slot B plays after a failover.
    void theMessageFollowsAFailover() {
        EditorRig rig;
        START_RIG(rig);
        EditorController& c = *rig.controller;
        QSignalSpy committed(&c, &EditorController::committed);
        const QString sine = c.addModule(QStringLiteral("sine"), 0, 0);
        QVERIFY(c.connectPorts(sine, QStringLiteral("out"), QStringLiteral("out"), QStringLiteral("left")));
        c.commit();
        QTRY_COMPARE_WITH_TIMEOUT(committed.count(), 1, 5000);
        QVERIFY(c.setParam(sine, QStringLiteral("freq"), 660.0));
        c.undoCommit();
        QTRY_COMPARE_WITH_TIMEOUT(committed.count(), 2, 5000);
        const int active = rig.engine.stats().activeSlot;
        const QString name = active == 0 ? QStringLiteral("A") : QStringLiteral("B");
        QCOMPARE(c.message(), QStringLiteral("the previous patch plays again (slot %1)").arg(name));
        // The mirror in step: a failover has somewhere to go.
        QTRY_VERIFY_WITH_TIMEOUT(rig.engine.stats().slot[static_cast<std::size_t>(1 - active)].inStep, 5000);
        const auto failovers = rig.engine.stats().failovers;
        rig.engine.injectFault(active, engine::Fault::Exception);
        QTRY_VERIFY_WITH_TIMEOUT(rig.engine.stats().failovers > failovers, 5000);
        // On a busy machine the new active slot may fail back later: the message names whichever plays.
        const auto playing = [&] { return rig.engine.stats().activeSlot == 0 ? QStringLiteral("A") : QStringLiteral("B"); };
        QTRY_VERIFY2_WITH_TIMEOUT(c.message().startsWith(QStringLiteral("failover:")) &&
                                      c.message().contains(QStringLiteral("slot %1 plays").arg(playing())),
                                  qPrintable(c.message()), 5000);
        QVERIFY(!c.message().contains(QStringLiteral("previous patch")));
    }

    void autoCommitCommitsShortlyAfterAnEdit() {
        EditorRig rig(50);
        START_RIG(rig);
        EditorController& c = *rig.controller;
        c.setAutoCommit(true);
        QSignalSpy committed(&c, &EditorController::committed);
        const QString id = c.addModule(QStringLiteral("square"), 0, 0);
        QVERIFY(c.connectPorts(id, QStringLiteral("out"), QStringLiteral("out"), QStringLiteral("left")));
        QTRY_VERIFY_WITH_TIMEOUT(committed.count() >= 1, 5000);
        QTRY_VERIFY(rig.engine.committed().find("square1") && c.pendingChanges() == 0 && !c.busy());
    }

    void abortDropsPendingEditsAndUndoBringsThemBack() {
        EditorRig rig;
        START_RIG(rig);
        EditorController& c = *rig.controller;
        c.addModule(QStringLiteral("saw"), 0, 0);
        QCOMPARE(c.pendingChanges(), 1);
        c.abort();
        QVERIFY(c.waitForIdle());
        QCOMPARE(c.pendingChanges(), 0);
        QVERIFY(!rig.engine.pending().find("saw1"));
        c.undo();
        QVERIFY(rig.engine.pending().find("saw1"));
        QCOMPARE(c.pendingChanges(), 1);
    }

    void audioSettingsAreCheckedAndFillWhatTheCommandLineLeavesOut() {
        EditorRig rig;
        START_RIG(rig);
        EditorController& c = *rig.controller;
        QVERIFY(c.audio()->backends().contains(QStringLiteral("jack")));
        QVERIFY(!c.audio()->save(QStringLiteral("oss"), {}, 48000, 64));
        QVERIFY(!c.audio()->save(QStringLiteral("jack"), {}, 1000, 64));
        QVERIFY(!c.audio()->save(QStringLiteral("jack"), {}, 48000, 0));
        QSignalSpy changed(c.audio(), &chronus::editor::AudioSettings::settingsChanged);
        QVERIFY(c.audio()->save(QStringLiteral("null"), {}, 44100, 128));
        QCOMPARE(changed.count(), 1);
        QCOMPARE(c.audio()->settings().value("sampleRate").toInt(), 44100);
        QVERIFY(c.message().contains(QStringLiteral("next time")));
        const QStringList args = chronus::editor::AudioSettings::storedArguments({"chronus", "--rate", "96000"});
        QCOMPARE(args, (QStringList{"--audio", "null", "--block", "128"}));
    }

    void theRecordButtonRecordsWhatPlays() {
        EditorRig rig;
        START_RIG(rig);
        EditorController& c = *rig.controller;
        QVERIFY(c.files()->open(QUrl::fromLocalFile(c.files()->examples().value(0))));
        QSignalSpy committed(&c, &EditorController::committed);
        c.commit();
        QTRY_COMPARE_WITH_TIMEOUT(committed.count(), 1, 5000);
        QSignalSpy recording(c.recording(), &chronus::editor::RecordingControl::changed);
        c.recording()->toggle();
        QVERIFY(c.recording()->active());
        QVERIFY(c.recording()->path().startsWith(rig.dir.filePath(QStringLiteral("recordings"))));
        QTRY_VERIFY_WITH_TIMEOUT(c.recording()->seconds() >= 0.5, 5000);
        c.recording()->toggle();
        QVERIFY(!c.recording()->active());
        QVERIFY2(c.message().contains(QStringLiteral("recording saved")), qPrintable(c.message()));
        QFileInfo file(c.recording()->path());
        QVERIFY(file.exists());
        QVERIFY(file.size() > 48000 * 2 * 3 / 2); // at least half a second of 24-bit stereo
        QVERIFY(recording.count() >= 2);
    }

    void sequencerPatternsAreTextAndUndoable() {
        EditorRig rig;
        START_RIG(rig);
        EditorController& c = *rig.controller;
        const QString seq = c.addModule(QStringLiteral("sequencer"), 0, 0);
        auto pattern = [&] {
            return c.nodes()->get(c.nodes()->rowOf(seq)).value("texts").toList().value(0).toMap().value("value").toString();
        };
        const QString initial = pattern();
        QVERIFY(c.setText(seq, QStringLiteral("pattern"), QStringLiteral("x.x.X...")));
        QCOMPARE(pattern(), QStringLiteral("x.x.X..."));
        QVERIFY(!c.setText(seq, QStringLiteral("pattern"), QStringLiteral("x?y")));
        QVERIFY(c.message().contains(QStringLiteral("pattern")));
        QCOMPARE(pattern(), QStringLiteral("x.x.X...")); // a refused pattern changes nothing
        c.undo();
        QCOMPARE(pattern(), initial);
        QVERIFY(rig.engine.pending().find("sequencer1"));
    }

    // An agent's edits (here: agent steps of the patch controller, as the OSC server makes them)
    // on a 500-module patch, each a step of its own: the history holds what
    // changed, not copies of the patch (it held two per edit, 240 kB here).
    void agentEditsOnABigPatchCostLittleHeapEach() {
        EditorRig rig;
        rig.m_options.autosavePath.clear(); // the history's cost, not the autosave's
        rig.m_options.agentBurstMs = 0;     // no bursts: every edit is a step
        START_RIG(rig);
        EditorController& c = *rig.controller;
        const QString path = rig.dir.filePath(QStringLiteral("big.json"));
        QVERIFY(app::savePatchFile(chainsPatch(250), path));
        QVERIFY2(c.files()->open(QUrl::fromLocalFile(path)), qPrintable(c.message()));
        QCOMPARE(rig.engine.pending().nodes().size(), std::size_t(501));
        const app::UndoHistory& history = c.patch().history(app::Author::Agent);
        auto edit = [&](int i) {
            const std::string id = "sine" + std::to_string(i % 250 + 1);
            QVERIFY(agentEdit(c, [&](app::PatchController::Edit& e) { return e.setPending(id, "freq", 100.0 + i).status(); }));
        };
        for (int i = 0; i < 50; ++i) // warm up: the models, the engine's queues
            edit(i);
        const int stepsBefore = history.count();
        const std::size_t bytesBefore = history.bytes();
        const std::size_t heapBefore = heapInUse();
        // Under a sanitizer each edit costs ~100x (the per-edit history, models and status line on
        // 501 modules): fewer edits, the same per-edit bounds (the heap figure is not read there).
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
        constexpr int kEdits = 100;
#else
        constexpr int kEdits = 2000;
#endif
        for (int i = 0; i < kEdits; ++i)
            edit(50 + i);
        const std::size_t heapAfter = heapInUse();
        QCOMPARE(history.count(), stepsBefore + kEdits);
        QCOMPARE(history.droppedSteps(), std::size_t(0));
        QVERIFY(history.bytes() <= history.byteBudget());
        const double historyPerEdit = static_cast<double>(history.bytes() - bytesBefore) / kEdits;
        qInfo("undo history: %d steps, %zu bytes, %.0f bytes per agent edit", history.count(), history.bytes(),
              historyPerEdit);
        QVERIFY2(historyPerEdit < 1024.0, qPrintable(QStringLiteral("%1 bytes per edit").arg(historyPerEdit)));
        if (heapBefore == 0)
            QSKIP("no heap statistics here (not glibc, or a sanitizer's allocator)");
        const double heapPerEdit = (static_cast<double>(heapAfter) - static_cast<double>(heapBefore)) / kEdits;
        qInfo("heap growth per agent edit on a 501-module patch: %.0f bytes", heapPerEdit);
        QVERIFY2(heapPerEdit < 2048.0, qPrintable(QStringLiteral("%1 bytes per edit").arg(heapPerEdit)));
        // Undo takes back the last edit only.
        QElapsedTimer undoTime;
        undoTime.start();
        c.undoAgent();
        qInfo("one undo on the 501-module patch: %lld ms", static_cast<long long>(undoTime.elapsed()));
        QCOMPARE(rig.engine.pending().find("sine" + std::to_string((50 + kEdits - 1) % 250 + 1))->params[0],
                 100.0 + 50 + kEdits - 1 - 250);
    }

    // An agent's burst (edits close together) is one undo step of the agent's: one undo takes it all
    // back, one redo makes it again. The person's edits are never in it, and each author undoes
    // only their own: an undo whose inverse would clobber the other's newer change is refused.
    void anAgentsBurstIsOneUndoStep() {
        EditorRig rig;
        rig.m_options.autosavePath.clear();
        rig.m_options.agentBurstMs = 60 * 60 * 1000; // "close together" whatever the machine's load
        START_RIG(rig);
        EditorController& c = *rig.controller;
        QVERIFY(c.addModule(QStringLiteral("saw"), 0, 0) == QStringLiteral("saw1"));
        app::PatchController& patch = c.patch();
        const app::UndoHistory& history = patch.history(app::Author::Agent);
        const engine::PatchGraph start = rig.engine.pending();
        const int steps = history.count();
        auto burst = [&](int from, int edits) {
            for (int i = from; i < from + edits; ++i) {
                const std::string id = "lfo" + std::to_string(i);
                QVERIFY(agentEdit(c, [&](app::PatchController::Edit& e) -> engine::Status {
                    switch (i % 5) {
                    case 0:
                        return e.addModule(id, "lfo");
                    case 1:
                        if (e.connect("lfo" + std::to_string(i - 1), "saw1.freq"))
                            return {};
                        return e.setPending("lfo" + std::to_string(i - 1), "rate", 3.0).status();
                    case 2:
                        return e.setPending("saw1", "freq", 50.0 + i).status();
                    case 3:
                        return e.removeModule("lfo" + std::to_string(i - 3));
                    default:
                        if (auto s = e.addModule(id, "noise"); !s)
                            return s;
                        return e.connect(id, "out");
                    }
                }));
            }
        };
        burst(0, 50);
        const engine::PatchGraph end = rig.engine.pending();
        QVERIFY(!(end == start));
        QCOMPARE(history.count(), steps + 1);
        QCOMPARE(c.agentUndoText(), QStringLiteral("Agent edits (OSC)"));
        QCOMPARE(history.step(history.count() - 1)->author(), app::Author::Agent);
        QCOMPARE(c.undoText(), QStringLiteral("Add saw1")); // the person's history holds none of it
        c.undoAgent();
        QVERIFY(rig.engine.pending() == start);
        QVERIFY(c.nodes()->rowOf(QStringLiteral("lfo1")) < 0);
        QVERIFY(patch.redo(app::Author::Agent));
        QVERIFY(rig.engine.pending() == end);

        // Agent, person, agent: three steps (a step never holds the other author's edits between).
        const int before = history.count();
        burst(100, 3); // saw1.freq = 152
        c.beginGesture();
        QVERIFY(c.setParam(QStringLiteral("saw1"), QStringLiteral("freq"), 440.0));
        burst(103, 2); // lfo100 goes, lfo104 comes
        QCOMPARE(history.count(), before + 2);
        QCOMPARE(c.undoText(), QStringLiteral("Set saw1.freq"));
        c.undoAgent();
        QVERIFY(rig.engine.pending().find("lfo100") && !rig.engine.pending().find("lfo104"));
        QCOMPARE(rig.engine.pending().find("saw1")->params[0], 440.0); // the person's stays
        // The agent's next undo would set saw1.freq back under the person's newer 440: refused, said.
        const engine::PatchGraph both = rig.engine.pending();
        c.undoAgent();
        QVERIFY2(rig.engine.pending() == both, qPrintable(c.message()));
        QVERIFY2(c.message().contains(QStringLiteral("saw1.freq was changed since")), qPrintable(c.message()));
        QCOMPARE(history.index(), before + 1);
        // The person's undo takes back only the person's 440.
        c.undo();
        QCOMPARE(rig.engine.pending().find("saw1")->params[0], 50.0 + 102);
        QVERIFY(rig.engine.pending().find("lfo100"));
        // Now the agent's step applies.
        c.undoAgent();
        QVERIFY(!rig.engine.pending().find("lfo100"));
        QCOMPARE(rig.engine.pending().find("saw1")->params[0], 50.0 + 47);
    }

    // A small budget: the oldest steps go, the history stays within it, and the steps that
    // remain undo one by one to the patch as it was after the last one dropped.
    void aSmallUndoBudgetDropsTheOldestSteps() {
        EditorRig rig;
        rig.m_options.autosavePath.clear();
        rig.m_options.agentBurstMs = 0;
        rig.m_options.undoByteBudget = 8 * 1024;
        START_RIG(rig);
        EditorController& c = *rig.controller;
        const app::UndoHistory& history = c.patch().history(app::Author::Agent);
        QVERIFY(agentEdit(c, [](app::PatchController::Edit& e) { return e.addModule("sine1", "sine"); }));
        constexpr int kEdits = 200;
        for (int i = 0; i < kEdits; ++i) {
            QVERIFY(agentEdit(c, [&](app::PatchController::Edit& e) { return e.setPending("sine1", "freq", 100.0 + i).status(); }));
            QVERIFY(history.bytes() <= history.byteBudget());
        }
        QVERIFY(history.droppedSteps() > 0);
        const int left = history.count();
        QVERIFY(left > 1 && left < kEdits);
        QCOMPARE(static_cast<int>(history.droppedSteps()) + left, kEdits + 1);
        for (int k = 1; k <= left; ++k) {
            QVERIFY(c.canUndoAgent());
            c.undoAgent();
            QCOMPARE(rig.engine.pending().find("sine1")->params[0], 100.0 + kEdits - 1 - k);
        }
        QVERIFY(!c.canUndoAgent());
        QVERIFY(rig.engine.pending().find("sine1")); // its creation went with the oldest steps

        // The step count is bounded too.
        EditorRig second;
        second.m_options.autosavePath.clear();
        second.m_options.agentBurstMs = 0;
        second.m_options.undoStepLimit = 10;
        START_RIG(second);
        for (int i = 0; i < 30; ++i)
            QVERIFY(!second.controller->addModule(QStringLiteral("noise"), 40.0 * i, 0).isEmpty());
        QCOMPARE(second.controller->undoHistory()->count(), 10);
    }
};

QTEST_MAIN(TestEditorController)
#include "tst_editor_controller.moc"
