// The one door: app::PatchController as `chronus serve` runs it (on the OSC server's controller
// thread, slot operations blocking) and directly. Undo per author (the person's and the agent's
// steps never mix, and an undo that would clobber the other author's newer change is refused),
// bursts, batches all or nothing in the controller, and /patch/undo and /patch/redo over real OSC.

#include "OscTestClient.hpp"
#include "app/OscServer.hpp"
#include "app/PatchController.hpp"
#include "engine/SlotEngine.hpp"

#include <QSignalSpy>
#include <QTest>

using namespace chronus;
using app::Author;
using app::PatchController;
using Edit = PatchController::Edit;

namespace {

engine::EngineConfig config() {
    engine::EngineConfig c;
    c.realtimeWorkers = false;
    c.stallDeadlineMs = 250.0;
    return c;
}

double param(const engine::PatchGraph& g, const std::string& id, const std::string& name) {
    const engine::PatchNode* node = g.find(id);
    return node ? node->params[static_cast<std::size_t>(node->type->findParam(name))] : -1.0;
}

} // namespace

class TestPatchController : public QObject {
    Q_OBJECT

private slots:
    // Each author's undo takes back their own last step, on the patch as it is: the other's
    // newer edit stays.
    void eachAuthorUndoesOnlyTheirOwn() {
        engine::SlotEngine engine(config());
        QVERIFY(engine.start());
        PatchController c(engine);
        QVERIFY(c.edit(Author::User, "Add saw1", [](Edit& e) { return e.addModule("saw1", "saw"); }));
        QVERIFY(c.edit(Author::Agent, "Agent edit", [](Edit& e) { return e.addModule("lfo1", "lfo"); }));
        QVERIFY(c.edit(Author::User, "Set saw1.freq", [](Edit& e) { return e.setLive("saw1", "freq", 220.0).status(); }));
        QCOMPARE(c.history(Author::User).count(), 2);
        QCOMPARE(c.history(Author::Agent).count(), 1);

        QVERIFY(c.undo(Author::User)); // the frequency
        QCOMPARE(param(engine.pending(), "saw1", "freq"), 440.0);
        QVERIFY(engine.pending().find("lfo1"));
        QVERIFY(c.undo(Author::User)); // the saw, under the agent's newer module
        QVERIFY(!engine.pending().find("saw1"));
        QVERIFY(engine.pending().find("lfo1"));
        QVERIFY(c.undo(Author::Agent));
        QVERIFY(!engine.pending().find("lfo1"));
        QCOMPARE(c.undo(Author::Agent).message(), std::string("nothing to undo"));
        QVERIFY(c.redo(Author::User));
        QVERIFY(engine.pending().find("saw1") && !engine.pending().find("lfo1"));
        engine.stop();
    }

    // MIDI mappings are steps like any edit: each author undoes their own; a module deleted and
    // undeleted comes back with its mapping; a mapping changed by the other author since is not
    // clobbered.
    void midiMappingsAreUndoneLikeEdits() {
        engine::SlotEngine engine(config());
        QVERIFY(engine.start());
        PatchController c(engine);
        QVERIFY(c.edit(Author::User, "Add saw1", [](Edit& e) { return e.addModule("saw1", "saw"); }));
        engine::MidiMapping m;
        m.module = "saw1";
        m.param = "freq";
        m.cc = 74;
        m.min = 100;
        m.max = 200;
        QVERIFY(c.edit(Author::User, "Map saw1.freq", [&](Edit& e) { return e.setMidiMapping(m).status(); }));
        QCOMPARE(engine.pending().midiMappings().size(), std::size_t{1});
        QVERIFY(c.edit(Author::Agent, "Delete saw1", [](Edit& e) { return e.removeModule("saw1"); }));
        QVERIFY(engine.pending().midiMappings().empty());
        QVERIFY(c.undo(Author::Agent)); // the module comes back with its mapping
        QCOMPARE(engine.pending().midiMappings().size(), std::size_t{1});
        QCOMPARE(engine.pending().midiMappings()[0], m);
        QVERIFY(c.undo(Author::User)); // the mapping
        QVERIFY(engine.pending().midiMappings().empty());
        QVERIFY(engine.pending().find("saw1"));
        QVERIFY(c.redo(Author::User));
        QCOMPARE(engine.pending().midiMappings().size(), std::size_t{1});
        m.cc = 75;
        QVERIFY(c.edit(Author::Agent, "Remap", [&](Edit& e) { return e.setMidiMapping(m).status(); }));
        const engine::Status refused = c.undo(Author::User);
        QVERIFY(!refused);
        QVERIFY2(refused.message().find("MIDI mappings were changed since") != std::string::npos, refused.message().c_str());
        QCOMPARE(engine.pending().midiMappings()[0].cc, 75);
        engine.stop();
    }

    // The inverse no longer applies when the other author changed the same thing: refused, said,
    // and nothing changes.
    void anUndoThatWouldClobberTheOtherAuthorIsRefused() {
        engine::SlotEngine engine(config());
        QVERIFY(engine.start());
        PatchController c(engine);
        QSignalSpy refused(&c, &PatchController::refused);
        QVERIFY(c.edit(Author::User, "Add saw1", [](Edit& e) { return e.addModule("saw1", "saw"); }));
        QVERIFY(c.edit(Author::Agent, "Agent edit", [](Edit& e) { return e.setPending("saw1", "freq", 100.0).status(); }));
        QVERIFY(c.edit(Author::User, "Set saw1.freq", [](Edit& e) { return e.setLive("saw1", "freq", 200.0).status(); }));
        const engine::PatchGraph now = engine.pending();
        const engine::Status agentUndo = c.undo(Author::Agent);
        QVERIFY(!agentUndo);
        QVERIFY2(agentUndo.message().find("saw1.freq was changed since; nothing was changed") != std::string::npos,
                 agentUndo.message().c_str());
        QCOMPARE(refused.count(), 1);
        QVERIFY(engine.pending() == now);
        QCOMPARE(c.history(Author::Agent).index(), 1); // still to undo

        // A module the agent made and the person cabled since: the agent cannot take it away.
        QVERIFY(c.edit(Author::Agent, "Agent edit", [](Edit& e) { return e.addModule("lfo1", "lfo"); }));
        QVERIFY(c.edit(Author::User, "Connect", [](Edit& e) { return e.connect("lfo1", "saw1.fm"); }));
        const engine::Status cabled = c.undo(Author::Agent);
        QVERIFY2(!cabled && cabled.message().find("lfo1 was cabled since") != std::string::npos, cabled.message().c_str());
        QVERIFY(engine.pending().find("lfo1"));

        // A cable the agent made and the person removed since: nothing for the agent to take back.
        QVERIFY(c.edit(Author::Agent, "Agent edit", [](Edit& e) { return e.connect("saw1", "out"); }));
        QVERIFY(c.edit(Author::User, "Disconnect", [](Edit& e) { return e.disconnect("saw1", "out"); }));
        const engine::Status gone = c.undo(Author::Agent);
        QVERIFY2(!gone && gone.message().find("was removed since") != std::string::npos, gone.message().c_str());
        QVERIFY(c.undo(Author::User)); // the cable is back
        QVERIFY(c.undo(Author::Agent)); // and the agent takes it back

        // Once the person's own edits are taken back, the agent's undo applies.
        QVERIFY(c.undo(Author::User)); // the cable
        QVERIFY(c.undo(Author::Agent)); // lfo1
        QVERIFY(c.undo(Author::User)); // 200 -> 100
        QCOMPARE(param(engine.pending(), "saw1", "freq"), 100.0);
        QVERIFY(c.undo(Author::Agent)); // 100 -> 440
        QCOMPARE(param(engine.pending(), "saw1", "freq"), 440.0);
        engine.stop();
    }

    // Edits closer together than agentBurstMs are one agent step; 0 makes each its own.
    void anAgentsBurstIsOneStep() {
        engine::SlotEngine engine(config());
        QVERIFY(engine.start());
        for (const int burstMs : {60 * 60 * 1000, 0}) {
            PatchController c(engine, {app::UndoHistory::kDefaultByteBudget, app::UndoHistory::kDefaultStepLimit, burstMs});
            const engine::PatchGraph start = engine.pending();
            for (int i = 1; i <= 5; ++i)
                QVERIFY(c.edit(Author::Agent, "Agent edit", [i](Edit& e) {
                    return e.addModule("noise" + std::to_string(i), "noise");
                }));
            QCOMPARE(c.history(Author::Agent).count(), burstMs > 0 ? 1 : 5);
            while (c.history(Author::Agent).canUndo())
                QVERIFY(c.undo(Author::Agent));
            QVERIFY(engine.pending() == start);
        }
        engine.stop();
    }

    // A batch whose last part fails leaves the pending patch as it was and no step; no inverse
    // edits are sent to put it back (the standby reloads the patch it had).
    void aBatchIsAllOrNothing() {
        engine::SlotEngine engine(config());
        QVERIFY(engine.start());
        PatchController c(engine);
        QVERIFY(c.edit(Author::Agent, "Agent edit", [](Edit& e) { return e.addModule("saw1", "saw"); }));
        const engine::PatchGraph before = engine.pending();
        const engine::Status s = c.edit(Author::Agent, "Agent edit", [](Edit& e) {
            if (auto a = e.addModule("a1", "sine"); !a)
                return a;
            if (auto b = e.setPending("saw1", "freq", 330.0); !b)
                return b.status();
            return e.addModule("b1", "nosuchtype");
        });
        QVERIFY(!s);
        QVERIFY(engine.pending() == before);
        QCOMPARE(c.history(Author::Agent).count(), 1);
        engine.stop();
    }

    // batch(): a request of several groups whose last one fails sends the engine nothing at all (no
    // edits to take back): the standby's next applied edit is the next good one.
    void aFailingBatchSendsTheEngineNothing() {
        engine::SlotEngine engine(config());
        QVERIFY(engine.start());
        PatchController c(engine);
        QVERIFY(c.edit(Author::Agent, "Agent edit", [](Edit& e) { return e.addModule("saw1", "saw"); }));
        const int standby = engine.standbySlot();
        const auto applied = [&] { return engine.stats().slot[static_cast<std::size_t>(standby)].editsApplied; };
        QTRY_COMPARE(applied(), std::uint64_t{1});
        const engine::Status s = c.batch(Author::Agent, "Agent edit", [](Edit& e) {
            if (auto a = e.addModule("a1", "sine"); !a)
                return a;
            if (auto b = e.setPending("saw1", "freq", 330.0); !b)
                return b.status();
            return e.addModule("b1", "nosuchtype");
        });
        QVERIFY(!s);
        QCOMPARE(c.history(Author::Agent).count(), 1);
        QVERIFY(c.batch(Author::Agent, "Agent edit", [](Edit& e) { return e.addModule("z1", "noise"); }));
        QTRY_VERIFY(applied() >= 2);
        QCOMPARE(applied(), std::uint64_t{2}); // saw1, z1: nothing of the failed batch came before z1
        QVERIFY(engine.pending().find("z1") && !engine.pending().find("a1"));
        QCOMPARE(param(engine.pending(), "saw1", "freq"), 440.0);
        engine.stop();
    }

    // Over real OSC, as `chronus serve` runs it: the agent's /patch/undo and /patch/redo, and a
    // /patch/create batch that fails is all or nothing.
    void oscUndoAndRedoAreTheAgents() {
        engine::SlotEngine engine(config());
        QVERIFY(engine.start());
        PatchController c(engine);
        app::OscServerOptions options;
        options.port = 0;
        app::OscServer server(engine, c, options);
        QVERIFY(server.start());
        test::OscTestClient agent(server.port());
        QVERIFY(agent.valid());
        const auto ask = [&](const std::string& address, test::OscMessage m = test::OscMessage()) {
            return agent.call(address, m);
        };
        auto r = ask("/patch/create", std::move(test::OscMessage().s("osc1").s("saw").s("lfo1").s("lfo")));
        QVERIFY(r && r->isReply());
        r = ask("/patch/create", std::move(test::OscMessage().s("osc2").s("saw").s("bad1").s("nosuchtype")));
        QVERIFY(r && !r->isReply());
        QVERIFY(!engine.pending().find("osc2"));
        r = ask("/patch/undo");
        QVERIFY2(r && r->isReply(), r ? r->describe().constData() : "no answer");
        QVERIFY(!engine.pending().find("osc1") && !engine.pending().find("lfo1"));
        r = ask("/patch/redo");
        QVERIFY2(r && r->isReply(), r ? r->describe().constData() : "no answer");
        QVERIFY(engine.pending().find("osc1") && engine.pending().find("lfo1"));
        r = ask("/patch/redo");
        QVERIFY(r && !r->isReply() && r->describe().contains("nothing to redo"));
        server.stop();
        engine.stop();
    }
};

QTEST_GUILESS_MAIN(TestPatchController)
#include "tst_patch_controller.moc"
