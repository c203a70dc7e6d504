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

Q_IMPORT_QML_PLUGIN(Chronus_EditorPlugin)

using namespace chronus;
using chronus::editor::StatusModel;

namespace {
struct Rig {
    Rig() : engine(config()), callback(engine) {}
    ~Rig() {
        driver.stop();
        engine.stop();
    }
    static engine::EngineConfig config() {
        engine::EngineConfig c;
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
    view.setSource(QUrl(QStringLiteral("qrc:/qt/qml/Chronus/Editor/qml/StatusPanel.qml")));
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

QTEST_MAIN(TestStatusPanel)
#include "tst_status_panel.moc"
