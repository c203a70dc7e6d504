// StatusPanel.qml on a live StatusModel: it loads with no QML warning, its controls are found by
// objectName and say what they show to a screen reader, the badge follows a commit and a
// failover. With CHRONUS_GRAB_DIR set, it also saves pictures of the panel (playing, clipping,
// after a failover) for a person to look at.

#include "StatusModel.hpp"
#include "audio/EngineCallback.hpp"
#include "audio/NullDriver.hpp"
#include "engine/SlotEngine.hpp"

#include <QDir>
#include <QQmlEngine>
#include <QQmlExtensionPlugin>
#include <QQuickItem>
#include <QQuickView>
#include <QQmlContext>
#include <QQmlExpression>
#include <QTest>

#include <cmath>
#include <csignal>

Q_IMPORT_QML_PLUGIN(Chronus_EditorPlugin)

using namespace chronus;
using chronus::editor::StatusModel;

namespace {
struct Rig {
    explicit Rig(engine::WorkerMode workers = engine::WorkerMode::Threads) : engine(config(workers)), callback(engine) {}
    ~Rig() {
        driver.stop();
        engine.stop();
    }
    static engine::EngineConfig config(engine::WorkerMode workers) {
        engine::EngineConfig c;
        c.workers = workers;
        c.blockSize = 64;
        c.ringTargetBlocks = 4;
        return c;
    }
    bool start() {
        if (!engine.start())
            return false;
        audio::DriverConfig dc;
        dc.sampleRate = engine.config().sampleRate;
        dc.blockSize = 64;
        return driver.start(callback, dc).ok();
    }
    engine::SlotEngine engine;
    audio::EngineCallback callback;
    audio::NullDriver driver;
};

// Items made by a Repeater are not the panel's QObject children: search the visual tree.
QQuickItem* findItem(QQuickItem* item, const QString& name) {
    if (item->objectName() == name)
        return item;
    for (QQuickItem* child : item->childItems())
        if (QQuickItem* found = findItem(child, name))
            return found;
    return nullptr;
}

// What a screen reader hears for `item`: its Accessible.name.
QString accessibleName(QQuickItem* item) {
    QQmlExpression expression(qmlContext(item), item, QStringLiteral("Accessible.name"));
    return expression.evaluate().toString();
}

// WCAG contrast ratio of two colours (1 to 21): 4.5 is what small text needs to be read.
double contrast(const QColor& a, const QColor& b) {
    auto luminance = [](const QColor& c) {
        auto channel = [](double v) { return v <= 0.03928 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4); };
        return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF());
    };
    const double la = luminance(a), lb = luminance(b);
    return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

// Saves the view when CHRONUS_GRAB_DIR names a folder.
void grab(QQuickView& view, const char* name) {
    const QString dir = qEnvironmentVariable("CHRONUS_GRAB_DIR");
    if (dir.isEmpty())
        return;
    const QImage image = view.grabWindow();
    QVERIFY(image.save(QDir(dir).filePath(QString::fromLatin1(name) + ".png")));
}
} // namespace

class TestStatusPanel : public QObject {
    Q_OBJECT

private slots:
    void init() { QTest::failOnWarning(QRegularExpression(".*")); }
    void panelShowsALiveEngine();
    void aSilentCommitShowsWithoutMovingThePanel();
    void flagsThatAreOffStayReadable();
    void aDeadWorkerShowsUnderItsSlot();
};

void TestStatusPanel::panelShowsALiveEngine() {
    Rig rig;
    QVERIFY(rig.start());
    StatusModel model(rig.engine, &rig.driver, &rig.callback.meter());
    model.start(20);

    QQuickView view;
    view.engine()->addImportPath(QStringLiteral("qrc:/qt/qml")); // where the module's qmldir lives
    view.setInitialProperties({{"status", QVariant::fromValue(&model)}});
    view.setResizeMode(QQuickView::SizeRootObjectToView);
    view.setSource(QUrl(QStringLiteral("qrc:/qt/qml/Chronus/Editor/StatusPanel.qml")));
    QCOMPARE(view.status(), QQuickView::Ready);
    QQuickItem* panel = view.rootObject();
    QVERIFY(panel);
    view.resize(static_cast<int>(panel->implicitWidth()), static_cast<int>(panel->implicitHeight()));
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));

    // The controls a person (and a screen reader) reads.
    for (const char* name : {"activeBadge", "healthIndicator", "slotRow_A", "slotRow_B", "occupancy_A", "counter_xruns",
                             "counter_failovers", "counter_rollbacks", "counter_commits", "counter_prime",
                             "counter_commit", "levelMeter", "clipIndicator", "scope", "fadeBar"}) {
        QQuickItem* item = findItem(panel, QString::fromLatin1(name));
        QVERIFY2(item, name);
        QVERIFY2(!accessibleName(item).isEmpty(), name);
    }
    QQuickItem* badge = findItem(panel, QStringLiteral("activeBadge"));
    const auto badgeName = [&] { return accessibleName(badge); };
    QTRY_COMPARE(badgeName(), QStringLiteral("Active slot %1").arg(StatusModel::slotName(model.activeSlot())));
    const int before = rig.engine.activeSlot();

    // A commit: the badge follows.
    QVERIFY(rig.engine.addModule("s", "sine"));
    QVERIFY(rig.engine.setPending("s", "gain", 0.5).ok());
    QVERIFY(rig.engine.connect("s", "out"));
    QVERIFY(rig.engine.commit().ok());
    QTRY_COMPARE(model.activeSlot(), 1 - before);
    QTRY_COMPARE(badgeName(), QStringLiteral("Active slot %1").arg(StatusModel::slotName(1 - before)));
    QTRY_VERIFY(model.levelDbL() > -7.0);
    QTRY_COMPARE(model.scopeFrameCount(), StatusModel::kScopeFrames);
    QTest::qWait(100);
    grab(view, "status-playing");

    // Too loud: the panel turns amber and says why.
    QVERIFY(rig.engine.setLive("out", "level", 2.0).ok());
    QVERIFY(rig.engine.setLive("s", "gain", 0.6).ok()); // peak 1.2: +1.6 dBFS
    QTRY_VERIFY(model.clipping());
    QTRY_COMPARE(model.health(), QStringLiteral("warning"));
    QTest::qWait(100);
    grab(view, "status-clipping");

    // A worker fails: the panel says which slot plays now.
    QVERIFY(rig.engine.setLive("s", "gain", 0.3).ok());
    const int active = rig.engine.activeSlot();
    const qulonglong failovers = model.failovers();
    // On a busy machine the new active slot may stall later and fail back to the rebuilt one: the
    // failover is proven by the slots shown active since the fault, the badge by following the model.
    QList<int> activeShown;
    connect(&model, &StatusModel::activeSlotChanged, &model, [&] { activeShown << model.activeSlot(); });
    rig.engine.injectFault(active, engine::Fault::Exception);
    QTRY_VERIFY(model.failovers() > failovers);
    QTRY_VERIFY(activeShown.contains(1 - active));
    QTRY_COMPARE(badgeName(), QStringLiteral("Active slot %1").arg(StatusModel::slotName(model.activeSlot())));
    QVERIFY(model.health() != QStringLiteral("ok"));
    QTest::qWait(50);
    grab(view, "status-failover");
}

namespace {
// The panel on a live model, at its own size.
struct PanelView {
    explicit PanelView(StatusModel& model) {
        view.engine()->addImportPath(QStringLiteral("qrc:/qt/qml"));
        view.setInitialProperties({{"status", QVariant::fromValue(&model)}});
        view.setResizeMode(QQuickView::SizeRootObjectToView);
        view.setSource(QUrl(QStringLiteral("qrc:/qt/qml/Chronus/Editor/StatusPanel.qml")));
        panel = view.rootObject();
        if (panel)
            view.resize(static_cast<int>(panel->implicitWidth()), static_cast<int>(panel->implicitHeight()));
        view.show();
    }
    QQuickView view;
    QQuickItem* panel = nullptr;
};
} // namespace

// saw -> ADSR -> out with the gate open: the panel says there is no sound and why, and nothing in
// it moves when the one-line "all good" gives way to a two-line warning.
void TestStatusPanel::aSilentCommitShowsWithoutMovingThePanel() {
    Rig rig;
    QVERIFY(rig.start());
    StatusModel model(rig.engine, &rig.driver, &rig.callback.meter());
    model.start(20);
    PanelView v(model);
    QVERIFY(v.panel);
    QVERIFY(QTest::qWaitForWindowExposed(&v.view));
    QQuickItem* text = findItem(v.panel, QStringLiteral("healthText"));
    QQuickItem* rowA = findItem(v.panel, QStringLiteral("slotRow_A"));
    QVERIFY(text && rowA);
    QTRY_VERIFY(!text->property("text").toString().isEmpty());
    QTest::qWait(50);
    grab(v.view, "status-idle");
    const QString idleText = text->property("text").toString();
    const double rowY = rowA->mapToScene(QPointF(0, 0)).y();
    const double textHeight = text->height();
    const double panelHeight = v.panel->implicitHeight();

    QVERIFY(rig.engine.addModule("saw1", "saw") && rig.engine.addModule("env1", "adsr"));
    QVERIFY(rig.engine.connect("saw1", "env1.in") && rig.engine.connect("env1", "out"));
    QVERIFY(rig.engine.commit().ok());
    QTRY_VERIFY_WITH_TIMEOUT(text->property("text").toString().startsWith(QStringLiteral("silent since the commit")),
                             5000);
    QVERIFY(text->property("text").toString() != idleText);
    QVERIFY(accessibleName(findItem(v.panel, QStringLiteral("healthIndicator"))).contains(QStringLiteral("Warning")) ||
            model.health() == QStringLiteral("error"));
    QTest::qWait(50);
    grab(v.view, "status-silent");
    QCOMPARE(text->height(), textHeight);
    QCOMPARE(rowA->mapToScene(QPointF(0, 0)).y(), rowY);
    QCOMPARE(v.panel->implicitHeight(), panelHeight);
}

// The PRIMED / IN STEP / RT chips: off, their label is still readable on the row (contrast 4.5:1
// at least); on, they are filled, so off and on never look alike.
void TestStatusPanel::flagsThatAreOffStayReadable() {
    Rig rig;
    QVERIFY(rig.start());
    StatusModel model(rig.engine, &rig.driver, &rig.callback.meter());
    model.start(20);
    PanelView v(model);
    QVERIFY(v.panel);
    QVERIFY(QTest::qWaitForWindowExposed(&v.view));
    // Settled: the mirror follows in step (one chip on), the active slot is not primed (one off).
    QTRY_VERIFY_WITH_TIMEOUT(accessibleName(findItem(v.panel, QStringLiteral("flag_A_INSTEP"))).endsWith(QStringLiteral(" on")) ||
                                 accessibleName(findItem(v.panel, QStringLiteral("flag_B_INSTEP"))).endsWith(QStringLiteral(" on")),
                             5000);
    int off = 0, on = 0;
    for (const char* slot : {"A", "B"}) {
        QQuickItem* row = findItem(v.panel, QStringLiteral("slotRow_%1").arg(QLatin1String(slot)));
        const QColor rowColor = row->property("color").value<QColor>();
        for (const char* flag : {"PRIMED", "INSTEP", "RT"}) {
            QQuickItem* chip = findItem(v.panel, QStringLiteral("flag_%1_%2").arg(QLatin1String(slot), QLatin1String(flag)));
            QVERIFY2(chip, flag);
            QQuickItem* label = chip->childItems().value(0);
            QVERIFY(label);
            const bool isOn = accessibleName(chip).endsWith(QStringLiteral(" on"));
            const QColor fill = chip->property("color").value<QColor>();
            const QColor textColor = label->property("color").value<QColor>();
            const QColor behind = fill.alpha() == 0 ? rowColor : fill;
            const double ratio = contrast(textColor, behind);
            QVERIFY2(ratio >= 4.5, qPrintable(QStringLiteral("%1 %2 (%3): contrast %4").arg(QLatin1String(slot), QLatin1String(flag))
                                                  .arg(isOn ? "on" : "off").arg(ratio)));
            QCOMPARE(fill.alpha() > 0, isOn); // on: a filled chip; off: an outline
            (isOn ? on : off) += 1;
        }
    }
    QVERIFY(off > 0 && on > 0);
    grab(v.view, "status-flags");
}

// Worker processes: each slot row names its process; a worker killed shows its restart and how it
// died under its slot.
void TestStatusPanel::aDeadWorkerShowsUnderItsSlot() {
    qputenv("CHRONUS_SLOT_WORKER", CHRONUS_SLOT_WORKER_BINARY);
    Rig rig(engine::WorkerMode::Processes);
    QVERIFY(rig.start());
    StatusModel model(rig.engine, &rig.driver, &rig.callback.meter());
    model.start(20);
    PanelView v(model);
    QVERIFY(v.panel);
    QVERIFY(QTest::qWaitForWindowExposed(&v.view));
    const engine::EngineStats before = rig.engine.stats();
    const int mirror = 1 - before.activeSlot;
    const QString name = StatusModel::slotName(mirror);
    QQuickItem* line = findItem(v.panel, QStringLiteral("worker_") + name);
    QVERIFY(line);
    const auto text = [&] { return line->property("text").toString(); };
    QTRY_COMPARE(text(), QStringLiteral("process %1").arg(before.slot[static_cast<std::size_t>(mirror)].pid));
    ::kill(before.slot[static_cast<std::size_t>(mirror)].pid, SIGKILL);
    QTRY_VERIFY2(text().contains(QStringLiteral("restarts 1 · last: killed by SIGKILL (signal 9)")), qPrintable(text()));
    const int pid = rig.engine.stats().slot[static_cast<std::size_t>(mirror)].pid;
    QVERIFY(pid > 0 && pid != before.slot[static_cast<std::size_t>(mirror)].pid);
    QTRY_VERIFY2(text().startsWith(QStringLiteral("process %1").arg(pid)), qPrintable(text()));
    QCOMPARE(accessibleName(line), text());
    QTest::qWait(50);
    grab(v.view, "status-worker-died");
}

QTEST_MAIN(TestStatusPanel)
#include "tst_status_panel.moc"
