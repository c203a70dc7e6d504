// The committed patch's history as a mirror replays it (Timeline): what it keeps, when it stops
// being exact, what a commit makes of the committed and the primed timelines, and what an
// in-place prime changed (parameterChanges).

#include "engine/PatchGraph.hpp"
#include "engine/Timeline.hpp"

#include <QObject>
#include <QTest>

#include <string>
#include <vector>

namespace chronus::test {

using engine::PatchGraph;
using engine::SlotCommand;
using engine::SlotCommandKind;
using engine::Timeline;

namespace {

SlotCommand liveChange(std::int64_t stamp, double value, std::uint32_t timeline = 7) {
    SlotCommand c;
    c.kind = SlotCommandKind::SetLive;
    c.timeline = timeline;
    c.stamp = stamp;
    c.value = value;
    c.a.assign("osc");
    c.b.assign("freq");
    return c;
}

PatchGraph sine(double freq, double gain = 0.5) {
    PatchGraph g;
    (void)g.addModule("osc", "sine");
    (void)g.setParam("osc", "freq", freq);
    (void)g.setParam("osc", "gain", gain);
    (void)g.connect("osc", "out");
    return g;
}

} // namespace

class TestTimeline : public QObject {
    Q_OBJECT

private slots:
    void keepsChangesUpToItsCapacity() {
        Timeline t(7, sine(440.0));
        QCOMPARE(t.id(), 7u);
        QVERIFY(t.exact());
        QVERIFY(t.changes().empty());
        for (std::size_t i = 0; i < Timeline::kCapacity; ++i)
            t.record(liveChange(static_cast<std::int64_t>(i), 100.0 + static_cast<double>(i)));
        QVERIFY(t.exact());
        QCOMPARE(t.changes().size(), Timeline::kCapacity);
        QCOMPARE(t.changes()[5].stamp, std::int64_t{5});
        QCOMPARE(t.changes()[5].value, 105.0);
        t.record(liveChange(99999, 1.0)); // one too many: a later mirror plays the patch, not in step
        QVERIFY(!t.exact());
        QCOMPARE(t.changes().size(), Timeline::kCapacity);
    }

    void changesThatLandTogetherAreKeptTogetherOrNotAtAll() {
        Timeline t(7, sine(440.0));
        std::vector<SlotCommand> batch(Timeline::kCapacity - 1, liveChange(10, 1.0));
        t.recordAll(batch);
        QVERIFY(t.exact());
        const std::vector<SlotCommand> two{liveChange(20, 2.0), liveChange(20, 3.0)};
        t.recordAll(two); // one would fit, two do not: neither is kept
        QVERIFY(!t.exact());
        QCOMPARE(t.changes().size(), Timeline::kCapacity - 1);
    }

    void aMirrorReplaysTheStartWhenExactElseTheCommittedPatch() {
        const PatchGraph start = sine(440.0), committed = sine(660.0);
        Timeline t(7, start);
        QVERIFY(t.replayFrom(committed) == start);
        t.markInexact();
        QVERIFY(t.replayFrom(committed) == committed);
        Timeline other(8, start);
        other.record(liveChange(1, 1.0));
        other.continueInexact(9); // a failover onto a timeline nobody recorded
        QCOMPARE(other.id(), 9u);
        QVERIFY(!other.exact());
        QVERIFY(other.changes().empty());
        QVERIFY(other.replayFrom(committed) == committed);
    }

    void aCommitPrimedInPlaceExtendsTheCommittedHistory() {
        Timeline committed(7, sine(440.0));
        committed.record(liveChange(100, 450.0));
        Timeline primed = committed;
        primed.clearChanges(); // the standby re-synced to the committed timeline, then was edited in place
        primed.primedInPlace(7, true, std::vector<SlotCommand>{liveChange(200, 500.0)});
        QVERIFY(primed.exact());
        const Timeline after = Timeline::afterCommit(committed, primed, 7);
        QCOMPARE(after.id(), 7u);
        QVERIFY(after.exact());
        QCOMPARE(after.changes().size(), std::size_t{2});
        QCOMPARE(after.changes()[0].stamp, std::int64_t{100});
        QCOMPARE(after.changes()[1].stamp, std::int64_t{200});
        QVERIFY(after.start() == sine(440.0));
        // A standby whose history is not known makes the committed timeline inexact.
        Timeline unknown = primed;
        unknown.primedInPlace(7, false, std::vector<SlotCommand>{});
        QVERIFY(!unknown.exact());
        QVERIFY(!Timeline::afterCommit(committed, unknown, 7).exact());
        // And so does a patch that changed shape.
        Timeline reshaped = primed;
        reshaped.primedInPlace(7, true, std::nullopt);
        QVERIFY(!Timeline::afterCommit(committed, reshaped, 7).exact());
    }

    void aCommitCompiledAfreshStartsTheStandbysTimeline() {
        Timeline committed(7, sine(440.0));
        committed.record(liveChange(100, 450.0));
        Timeline primed(12, sine(880.0));
        primed.record(liveChange(30, 900.0, 12)); // a knob turned on the primed standby
        const Timeline after = Timeline::afterCommit(committed, primed, 12);
        QCOMPARE(after.id(), 12u);
        QVERIFY(after.exact());
        QVERIFY(after.start() == sine(880.0));
        QCOMPARE(after.changes().size(), std::size_t{1});
        QCOMPARE(after.changes()[0].value, 900.0);
        // Playing a timeline the standby's record does not name: the patch, not in step.
        const Timeline stray = Timeline::afterCommit(committed, primed, 13);
        QCOMPARE(stray.id(), 13u);
        QVERIFY(!stray.exact());
    }

    void anInPlacePrimesChangesAreTheParametersThatDiffer() {
        const PatchGraph from = sine(440.0, 0.5);
        auto same = engine::parameterChanges(from, from, 7, 64);
        QVERIFY(same.has_value());
        QVERIFY(same->empty());
        auto changed = engine::parameterChanges(from, sine(660.0, 0.25), 7, 64);
        QVERIFY(changed.has_value());
        QCOMPARE(changed->size(), std::size_t{2});
        for (const SlotCommand& c : *changed) {
            QCOMPARE(c.kind, SlotCommandKind::SetLive);
            QCOMPARE(c.timeline, 7u);
            QCOMPARE(c.stamp, std::int64_t{64});
            QCOMPARE(std::string(c.a.view()), std::string("osc"));
        }
        QCOMPARE(std::string((*changed)[0].b.view()), std::string("freq"));
        QCOMPARE((*changed)[0].value, 660.0);
        QCOMPARE(std::string((*changed)[1].b.view()), std::string("gain"));
        QCOMPARE((*changed)[1].value, 0.25);
        // A module more, or one of another type: not parameters only.
        PatchGraph added = from;
        (void)added.addModule("lfo", "sine");
        QVERIFY(!engine::parameterChanges(from, added, 7, 64));
        PatchGraph retyped;
        (void)retyped.addModule("osc", "saw");
        (void)retyped.connect("osc", "out");
        QVERIFY(!engine::parameterChanges(from, retyped, 7, 64));
    }
};

} // namespace chronus::test

QTEST_GUILESS_MAIN(chronus::test::TestTimeline)
#include "tst_timeline.moc"
