// The status panel's model against a real engine playing through the null driver and the
// EngineCallback's meter: the slot rows pass QAbstractItemModelTester, a commit shows the other
// slot active, a sine reads its level in dBFS and shows in the scope, a loud patch clips, a
// worker's fault makes the health leave "ok", an idle engine is "ok", and a poll that finds
// nothing new notifies nothing.

#include "StatusModel.hpp"
#include "audio/EngineCallback.hpp"
#include "audio/NullDriver.hpp"
#include "engine/SlotEngine.hpp"
#include "support/SignalAnalysis.hpp"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

#include <cmath>
#include <vector>

using namespace chronus;
using chronus::editor::SlotStatusModel;
using chronus::editor::StatusModel;

namespace {
constexpr double kRate = 48000.0;

engine::EngineConfig testConfig() {
    engine::EngineConfig c;
    c.sampleRate = kRate;
    c.blockSize = 64;
    c.ringTargetBlocks = 6;
    c.healthWindowMs = 20.0;
    return c;
}

// The engine, played by the null driver through the one adapter the editor uses.
struct Rig {
    Rig() : engine(testConfig()), callback(engine) {}
    ~Rig() {
        driver.stop();
        engine.stop();
    }
    bool start() {
        if (!engine.start())
            return false;
        audio::DriverConfig dc;
        dc.sampleRate = kRate;
        dc.blockSize = 64;
        return driver.start(callback, dc).ok();
    }
    // A sine of `gain` on both outputs, committed.
    bool commitSine(double gain, double level = 1.0) {
        return engine.addModule("s", "sine") && engine.setPending("s", "gain", gain).ok() &&
               engine.setPending("out", "level", level).ok() && engine.connect("s", "out") &&
               engine.commit().ok();
    }
    engine::SlotEngine engine;
    audio::EngineCallback callback;
    audio::NullDriver driver;
};

QVariant role(const SlotStatusModel& m, int row, int role) { return m.data(m.index(row), role); }

std::vector<float> channel(const std::vector<float>& interleaved, int c) {
    std::vector<float> x(interleaved.size() / 2);
    for (std::size_t i = 0; i < x.size(); ++i)
        x[i] = interleaved[2 * i + static_cast<std::size_t>(c)];
    return x;
}
} // namespace

class TestStatusModel : public QObject {
    Q_OBJECT

private slots:
    void init() { QTest::failOnWarning(QRegularExpression(".*")); }
    void slotRowsPassTheModelTester();
    void pollThatFindsNothingNewNotifiesNothing();
    void commitShowsTheOtherSlotActive();
    void sineReadsItsLevelAndShowsInTheScope();
    void loudOutputClips();
    void workerFaultMakesHealthLeaveOk();
    void idleEngineIsOk();
    void silenceCauseNamesWhatIsMissing();
    void aSilentCommitSaysSoAndWhy();
};

void TestStatusModel::slotRowsPassTheModelTester() {
    Rig rig;
    QVERIFY(rig.start());
    StatusModel model(rig.engine, &rig.driver, &rig.callback.meter());
    SlotStatusModel* rows = model.slotModel();
    QAbstractItemModelTester tester(rows, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.poll();
    QCOMPARE(rows->rowCount(), 2);
    QCOMPARE(role(*rows, 0, SlotStatusModel::NameRole).toString(), QStringLiteral("A"));
    QCOMPARE(role(*rows, 1, SlotStatusModel::NameRole).toString(), QStringLiteral("B"));
    QVERIFY(rows->roleNames().value(SlotStatusModel::OccupancyMaxRole) == "occupancyMax");
    const int active = model.activeSlot();
    QCOMPARE(role(*rows, active, SlotStatusModel::ActiveRole).toBool(), true);
    QCOMPARE(role(*rows, 1 - active, SlotStatusModel::ActiveRole).toBool(), false);
    QCOMPARE(role(*rows, active, SlotStatusModel::StateRole).toString(), QStringLiteral("active"));
    // Polls across a commit: rows change under the tester's eyes.
    QVERIFY(rig.commitSine(0.3));
    for (int i = 0; i < 5; ++i) {
        model.poll();
        QTest::qWait(5);
    }
    QCOMPARE(role(*rows, model.activeSlot(), SlotStatusModel::ActiveRole).toBool(), true);
    QVERIFY(role(*rows, model.activeSlot(), SlotStatusModel::OccupancyRole).toDouble() > 0.0);
}

void TestStatusModel::pollThatFindsNothingNewNotifiesNothing() {
    // An engine that never started: its stats stand still (polled back to back, well within the
    // half second after which it would count as stalled audio). No driver, no meter.
    engine::SlotEngine engine(testConfig());
    StatusModel model(engine, nullptr, nullptr);
    QSignalSpy active(&model, &StatusModel::activeSlotChanged);
    QSignalSpy health(&model, &StatusModel::healthChanged);
    QSignalSpy format(&model, &StatusModel::formatChanged);
    QSignalSpy rows(model.slotModel(), &QAbstractItemModel::dataChanged);
    model.poll(); // the first poll announces everything
    QCOMPARE(active.count(), 1);
    QCOMPARE(format.count(), 1);
    QCOMPARE(health.count(), 1);
    QCOMPARE(model.sampleRate(), kRate);
    QCOMPARE(model.ringTarget(), 6);
    QCOMPARE(model.levelDbL(), StatusModel::kFloorDb);
    QCOMPARE(model.scopeFrameCount(), 0);
    const int rowSignals = rows.count();
    std::vector<std::unique_ptr<QSignalSpy>> all;
    const QMetaObject* mo = model.metaObject();
    for (int i = mo->methodOffset(); i < mo->methodCount(); ++i)
        if (mo->method(i).methodType() == QMetaMethod::Signal)
            all.push_back(std::make_unique<QSignalSpy>(&model, mo->method(i)));
    QVERIFY(all.size() >= 15);
    model.poll();
    model.poll();
    for (const auto& spy : all)
        QVERIFY2(spy->isEmpty(), spy->signal().constData());
    QCOMPARE(rows.count(), rowSignals);
    // Nothing calls the engine's process(): after half a second the panel says so.
    model.start(20);
    QTRY_COMPARE_WITH_TIMEOUT(model.health(), QStringLiteral("warning"), 5000);
    QCOMPARE(model.healthText(), QStringLiteral("no audio: the callbacks stopped"));
}

void TestStatusModel::commitShowsTheOtherSlotActive() {
    Rig rig;
    QVERIFY(rig.start());
    StatusModel model(rig.engine, &rig.driver, &rig.callback.meter());
    model.poll();
    const int before = model.activeSlot();
    const qulonglong commits = model.commits();
    QSignalSpy activeSpy(&model, &StatusModel::activeSlotChanged);
    QSignalSpy commitsSpy(&model, &StatusModel::commitsChanged);
    QSignalSpy rows(model.slotModel(), &QAbstractItemModel::dataChanged);
    QVERIFY(rig.commitSine(0.5));
    model.poll();
    QCOMPARE(activeSpy.count(), 1);
    QCOMPARE(model.activeSlot(), 1 - before);
    QCOMPARE(model.activeSlotName(), StatusModel::slotName(1 - before));
    QCOMPARE(commitsSpy.count(), 1);
    QCOMPARE(model.commits(), commits + 1);
    QVERIFY(model.lastCommitMs() > 0.0);
    QVERIFY(model.lastPrimeMs() > 0.0);
    // Both rows said their "active" changed.
    int activeRoleRows = 0;
    for (const QList<QVariant>& args : rows) {
        const auto roles = args.at(2).value<QList<int>>();
        if (roles.contains(SlotStatusModel::ActiveRole))
            ++activeRoleRows;
        QCOMPARE(args.at(0).toModelIndex().row(), args.at(1).toModelIndex().row()); // one row each
    }
    QCOMPARE(activeRoleRows, 2);
    QCOMPARE(role(*model.slotModel(), 1 - before, SlotStatusModel::ActiveRole).toBool(), true);
}

void TestStatusModel::sineReadsItsLevelAndShowsInTheScope() {
    Rig rig;
    QVERIFY(rig.start());
    QVERIFY(rig.commitSine(0.5)); // 440 Hz, peak 0.5 on both channels
    StatusModel model(rig.engine, &rig.driver, &rig.callback.meter());
    QSignalSpy scope(&model, &StatusModel::scopeUpdated);
    model.start(10);
    const double peakDb = 20.0 * std::log10(0.5);
    const double rmsDb = peakDb - 10.0 * std::log10(2.0);
    QTRY_VERIFY_WITH_TIMEOUT(std::fabs(model.levelDbL() - peakDb) < 0.5 && std::fabs(model.levelDbR() - peakDb) < 0.5 &&
                                 std::fabs(model.rmsDbL() - rmsDb) < 0.5 && std::fabs(model.rmsDbR() - rmsDb) < 0.5,
                             5000);
    QVERIFY(model.peakHoldDbL() >= model.levelDbL());
    QVERIFY(!model.clipping());
    QVERIFY(!scope.isEmpty());
    QTRY_COMPARE(model.scopeFrameCount(), StatusModel::kScopeFrames);
    const std::vector<float> left = channel(model.scopeFrames(), 0);
    const std::vector<float> right = channel(model.scopeFrames(), 1);
    QVERIFY(test::allFinite(left));
    QVERIFY(std::fabs(test::peak(left) - 0.5f) < 0.01f);
    QVERIFY(std::fabs(test::peak(right) - 0.5f) < 0.01f);
    QVERIFY2(std::fabs(test::estimateFrequency(left, kRate) - 440.0) < 2.0,
             qPrintable(QString::number(test::estimateFrequency(left, kRate))));
    // Triggered: the window starts at a rising zero crossing (one step of 440 Hz at 48 kHz is 0.029).
    QVERIFY(left[0] >= 0.0f && left[0] < 0.03f);
    QVERIFY(left[1] > left[0]);
}

void TestStatusModel::loudOutputClips() {
    Rig rig;
    QVERIFY(rig.start());
    StatusModel model(rig.engine, &rig.driver, &rig.callback.meter());
    model.start(10);
    QVERIFY(rig.commitSine(1.0, 2.0)); // peak 2: +6 dBFS, well below the engine's runaway level
    QTRY_VERIFY_WITH_TIMEOUT(model.clipping(), 5000);
    QVERIFY(model.levelDbL() > 5.5);
    QVERIFY(model.health() != QStringLiteral("ok")); // amber, unless this machine adds a red of its own
    QVERIFY2(model.problems().contains(QStringLiteral("output clipping")), qPrintable(model.healthText()));
}

void TestStatusModel::workerFaultMakesHealthLeaveOk() {
    Rig rig;
    QVERIFY(rig.start());
    QVERIFY(rig.commitSine(0.5));
    const int active = rig.engine.activeSlot();
    StatusModel model(rig.engine, &rig.driver, &rig.callback.meter());
    QStringList seen; // every health the model announced, with its text
    connect(&model, &StatusModel::healthChanged, &model,
            [&] { seen << model.health() + QStringLiteral(": ") + model.healthText(); });
    model.start(10);
    // The mirror in step: a failover has somewhere to go.
    QTRY_VERIFY_WITH_TIMEOUT(model.slotModel()->data(model.slotModel()->index(1 - active), SlotStatusModel::InStepRole).toBool(),
                             5000);
    const qulonglong failovers = model.failovers();
    // Every slot the panel showed as active from the fault on: on a busy machine the new active slot
    // may itself stall later and fail back to the rebuilt one, so the last value proves nothing.
    QList<int> activeShown;
    connect(&model, &StatusModel::activeSlotChanged, &model, [&] { activeShown << model.activeSlot(); });
    rig.engine.injectFault(active, engine::Fault::Exception);
    QTRY_VERIFY_WITH_TIMEOUT(model.failovers() > failovers, 5000);
    QTRY_VERIFY_WITH_TIMEOUT(model.health() != QStringLiteral("ok"), 5000);
    QVERIFY2(model.healthText().contains(QStringLiteral("failover")) || model.healthText().contains(QStringLiteral("failed")),
             qPrintable(model.healthText()));
    QTRY_VERIFY_WITH_TIMEOUT(activeShown.contains(1 - active), 5000);
    qInfo("health after the fault: %s", qPrintable(seen.join(QStringLiteral(" | "))));
}

void TestStatusModel::idleEngineIsOk() {
    Rig rig;
    QVERIFY(rig.start());
    StatusModel model(rig.engine, &rig.driver, &rig.callback.meter());
    model.poll(); // counters from before the panel looked are history, not news
    const qulonglong xruns = model.xruns(), failovers = model.failovers();
    QSignalSpy scope(&model, &StatusModel::scopeUpdated);
    model.start(10);
    QTRY_VERIFY_WITH_TIMEOUT(scope.count() >= 20, 5000); // 20 polls that saw audio pass
    QCOMPARE(model.levelDbL(), StatusModel::kFloorDb);
    QCOMPARE(model.rmsDbR(), StatusModel::kFloorDb);
    QVERIFY(!model.clipping());
    QVERIFY(!model.fading());
    // A busy machine may make the null driver underrun; then, and only then, the panel says so.
    if (model.xruns() == xruns && model.noneReadsWindow() == 0 && model.failovers() == failovers) {
        QCOMPARE(model.health(), QStringLiteral("ok"));
        QCOMPARE(model.healthText(), QString());
        QVERIFY(model.problems().isEmpty());
        for (int row = 0; row < 2; ++row)
            QCOMPARE(role(*model.slotModel(), row, SlotStatusModel::HealthRole).toString(), QStringLiteral("ok"));
    } else {
        QVERIFY(model.health() != QStringLiteral("ok"));
    }
}

void TestStatusModel::silenceCauseNamesWhatIsMissing() {
    engine::PatchGraph g;
    QCOMPARE(StatusModel::silenceCause(g), QStringLiteral("nothing is connected to out"));
    // saw -> ADSR -> out, the gate open.
    QVERIFY(g.addModule("saw1", "saw").ok() && g.addModule("env1", "adsr").ok());
    QVERIFY(g.connect("saw1", "env1.in").ok() && g.connect("env1", "out").ok());
    QCOMPARE(StatusModel::silenceCause(g), QStringLiteral("nothing on env1's gate (it never opens)"));
    QVERIFY(g.addModule("clk1", "clock").ok() && g.connect("clk1.beat", "env1.gate").ok());
    QCOMPARE(StatusModel::silenceCause(g), QString());
    // A VCA turned down, between the envelope and out.
    QVERIFY(g.disconnect("env1", "out").ok());
    QVERIFY(g.addModule("vca1", "vca").ok() && g.connect("env1", "vca1.in").ok() && g.connect("vca1", "out").ok());
    QVERIFY(g.setParam("vca1", "level", 0.0).ok());
    QCOMPARE(StatusModel::silenceCause(g), QStringLiteral("vca1's level is 0"));
    // A kick nobody strikes; nothing cabled to out, so the sink plays (as the engine does).
    engine::PatchGraph drums;
    QVERIFY(drums.addModule("kick1", "kick").ok());
    QCOMPARE(StatusModel::silenceCause(drums), QStringLiteral("nothing on kick1's trig (it is never struck)"));
}

// saw -> ADSR -> out with the ADSR's gate open commits and plays silence: a second later the panel
// says so and why; with a clock on the gate the next commit sounds and the warning goes.
void TestStatusModel::aSilentCommitSaysSoAndWhy() {
    Rig rig;
    QVERIFY(rig.start());
    StatusModel model(rig.engine, &rig.driver, &rig.callback.meter());
    model.start(10);
    QVERIFY(rig.engine.addModule("saw1", "saw") && rig.engine.addModule("env1", "adsr"));
    QVERIFY(rig.engine.connect("saw1", "env1.in") && rig.engine.connect("env1", "out"));
    QVERIFY(rig.engine.commit().ok());
    QTRY_VERIFY_WITH_TIMEOUT(model.silentSinceCommit(), 5000);
    QVERIFY2(model.problems().contains(
                 QStringLiteral("silent since the commit: nothing on env1's gate (it never opens)")),
             qPrintable(model.problems().join(QStringLiteral(" | "))));
    QVERIFY(model.health() != QStringLiteral("ok"));

    QVERIFY(rig.engine.addModule("clk1", "clock") && rig.engine.connect("clk1.beat", "env1.gate"));
    QVERIFY(rig.engine.commit().ok());
    QTRY_VERIFY_WITH_TIMEOUT(model.levelDbL() > -30.0, 5000);
    QVERIFY(!model.silentSinceCommit());
    // Well past the second: it sounded, so no warning (150 polls that saw new audio, at 10 ms).
    QSignalSpy scope(&model, &StatusModel::scopeUpdated);
    QTRY_VERIFY_WITH_TIMEOUT(scope.count() >= 150, 10000);
    QVERIFY(!model.silentSinceCommit());
    for (const QString& p : model.problems())
        QVERIFY2(!p.startsWith(QStringLiteral("silent")), qPrintable(p));
}

QTEST_MAIN(TestStatusModel)
#include "tst_status_model.moc"
