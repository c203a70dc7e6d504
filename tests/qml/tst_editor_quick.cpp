// The editor's QML against the real thing: a dual-slot engine playing through the clock-paced null
// driver, and the controller `chronus` builds, injected as the `Editor` singleton. tst_editor.qml
// drives the window with mouse and keys; EngineProbe lets it ask the engine what it got.

#include "AudioSettings.hpp"
#include "EditorController.hpp"
#include "OscTestClient.hpp"
#include "app/OscServer.hpp"
#include "audio/EngineCallback.hpp"
#include "audio/NullDriver.hpp"
#include "engine/SlotEngine.hpp"

#include <QFileInfo>
#include <QMouseEvent>
#include <QQmlEngine>
#include <QQuickItem>
#include <QQuickWindow>
#include <QQuickStyle>
#include <QTemporaryDir>
#include <QtQml/qqmlextensionplugin.h>
#include <QtQuickTest>

#include <atomic>
#include <cmath>
#include <memory>
#include <thread>

Q_IMPORT_QML_PLUGIN(Chronus_EditorPlugin)

using namespace chronus;

// What the QML test may ask the engine directly (the controller's view of it is under test).
class EngineProbe : public QObject {
    Q_OBJECT
public:
    explicit EngineProbe(engine::SlotEngine& engine, QObject* parent = nullptr) : QObject(parent), m_engine(engine) {}

    // The slot playing now, by the engine's lock-free stats (0 = A, 1 = B).
    Q_INVOKABLE int activeSlot() const { return m_engine.stats().activeSlot; }
    Q_INVOKABLE int standbySlot() const { return 1 - m_engine.stats().activeSlot; }
    // Structural and pending edits the slot's worker applied (the standby's grows with each edit).
    Q_INVOKABLE double editsApplied(int slot) const {
        return static_cast<double>(m_engine.stats().slot[static_cast<std::size_t>(slot & 1)].editsApplied);
    }
    // Whether the engine's pending (standby) patch has the cable `from.fromPort -> to.toPort`.
    Q_INVOKABLE bool pendingHasCable(const QString& from, const QString& fromPort, const QString& to,
                                     const QString& toPort) const {
        return hasCable(m_engine.pending(), from, fromPort, to, toPort);
    }
    Q_INVOKABLE bool committedHasCable(const QString& from, const QString& fromPort, const QString& to,
                                       const QString& toPort) const {
        return hasCable(m_engine.committed(), from, fromPort, to, toPort);
    }
    Q_INVOKABLE bool pendingHasModule(const QString& id) const {
        return m_engine.pending().find(id.toStdString()) != nullptr;
    }
    // A left-button drag of `dx` pixels in `steps` moves from (x, y) in `item`, every event carrying
    // `modifiers` (QtTest's QML mouseMove cannot carry modifiers in Qt 6.4: a Shift drag needs this).
    Q_INVOKABLE void dragWithModifiers(QQuickItem* item, double x, double y, double dx, int steps, int modifiers) {
        QQuickWindow* window = item ? item->window() : nullptr;
        if (!window || steps < 1)
            return;
        const auto mods = Qt::KeyboardModifiers(modifiers);
        const auto send = [&](QEvent::Type type, double px, Qt::MouseButton button, Qt::MouseButtons buttons) {
            const QPointF scene = item->mapToScene(QPointF(px, y));
            QMouseEvent event(type, scene, scene, window->mapToGlobal(scene), button, buttons, mods);
            QCoreApplication::sendEvent(window, &event);
        };
        send(QEvent::MouseButtonPress, x, Qt::LeftButton, Qt::LeftButton);
        for (int i = 1; i <= steps; ++i)
            send(QEvent::MouseMove, x + dx * i / steps, Qt::NoButton, Qt::LeftButton);
        send(QEvent::MouseButtonRelease, x + dx, Qt::LeftButton, Qt::NoButton);
    }
    // What the file dialogs wrote: a file's existence, and a scratch folder for absolute paths.
    Q_INVOKABLE bool fileExists(const QString& path) const { return QFileInfo(path).isFile(); }
    Q_INVOKABLE QString scratchFolder() const { return m_scratch.path(); }
    // An agent's request over real OSC (string arguments) to the server the editor runs beside;
    // true when it got a /reply.
    // The call runs on a thread of its own while this one goes on handling events: the editor's
    // controller answers the agent on this (the GUI) thread.
    Q_INVOKABLE bool agent(const QString& address, const QStringList& args) {
        if (!m_agent)
            return false;
        test::OscMessage m;
        for (const QString& a : args)
            m.s(a.toStdString());
        std::atomic<bool> done{false};
        bool replied = false;
        std::thread call([&] {
            const auto r = m_agent->call(address.toStdString(), m);
            replied = r && r->isReply();
            done.store(true);
        });
        while (!done.load())
            QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
        call.join();
        return replied;
    }
    // A parameter of the engine's pending patch (NaN when there is no such module or parameter).
    Q_INVOKABLE double pendingParam(const QString& id, const QString& param) const {
        const engine::PatchGraph pending = m_engine.pending();
        const engine::PatchNode* node = pending.find(id.toStdString());
        const engine::ParamIndex p = node ? node->type->findParam(param.toStdString()) : -1;
        return p < 0 ? std::nan("") : node->params[static_cast<std::size_t>(p)];
    }
    // Whether the slot's worker follows the active one in step (a failover has somewhere to go).
    Q_INVOKABLE bool inStep(int slot) const { return m_engine.stats().slot[static_cast<std::size_t>(slot & 1)].inStep; }
    Q_INVOKABLE double failovers() const { return static_cast<double>(m_engine.stats().failovers); }
    // The slot's worker throws on its next block: the engine fails over to the other slot.
    Q_INVOKABLE void injectFault(int slot) { m_engine.injectFault(slot & 1, engine::Fault::Exception); }
    // CHRONUS_GRAB_DIR: where a test may save pictures for a person to look at ("" = none).
    Q_INVOKABLE QString grabDir() const { return qEnvironmentVariable("CHRONUS_GRAB_DIR"); }
    void setAgentPort(int port) { m_agent = std::make_unique<test::OscTestClient>(port); }

private:
    static bool hasCable(const engine::PatchGraph& graph, const QString& from, const QString& fromPort,
                         const QString& to, const QString& toPort) {
        const engine::PatchNode* a = graph.find(from.toStdString());
        const engine::PatchNode* b = graph.find(to.toStdString());
        if (!a || !b)
            return false;
        const engine::PortIndex out = a->type->findOutput(fromPort.toStdString());
        const engine::PortIndex in = b->type->findInput(toPort.toStdString());
        for (const engine::Cable& c : graph.cables())
            if (c.from == a->id && c.fromPort == out && c.to == b->id && c.toPort == in)
                return true;
        return false;
    }
    engine::SlotEngine& m_engine;
    QTemporaryDir m_scratch;
    std::unique_ptr<test::OscTestClient> m_agent;
};

class Setup : public QObject {
    Q_OBJECT
public slots:
    void applicationAvailable() { QQuickStyle::setStyle(QStringLiteral("Fusion")); }

    void qmlEngineAvailable(QQmlEngine* qmlEngine) {
        qmlEngine->addImportPath(QStringLiteral("qrc:/qt/qml"));
        if (!m_controller) {
            if (!m_dir.isValid())
                qFatal("no temporary directory for the autosave");
            m_engine = std::make_unique<engine::SlotEngine>();
            if (auto s = m_engine->start(); !s)
                qFatal("engine: %s", s.message().c_str());
            m_callback = std::make_unique<audio::EngineCallback>(*m_engine);
            audio::DriverConfig config;
            config.sampleRate = m_engine->config().sampleRate;
            config.blockSize = m_engine->config().blockSize;
            config.realtime = false;
            if (auto s = m_driver.start(*m_callback, config); !s)
                qFatal("null driver: %s", s.message().c_str());
            editor::EditorOptions options;
            options.autosavePath = m_dir.filePath(QStringLiteral("autosave.json"));
            options.settingsScope = QStringLiteral("tst_editor_quick");
            options.patchesFolder = m_dir.filePath(QStringLiteral("patches"));
            m_controller = std::make_unique<editor::EditorController>(*m_engine, options);
            m_controller->audio()->setDescription(QStringLiteral("null driver (test)"), true);
            m_probe = std::make_unique<EngineProbe>(*m_engine);
            // The OSC server, as `chronus` runs it beside the editor.
            app::OscServerOptions osc;
            osc.port = 0;
            m_server = std::make_unique<app::OscServer>(*m_engine, m_controller->patch(), osc);
            if (auto s = m_server->start(); !s)
                qFatal("OSC server: %s", s.message().c_str());
            m_probe->setAgentPort(m_server->port());
        }
        qmlRegisterSingletonInstance("Chronus.Editor", 1, 0, "Editor", m_controller.get());
        qmlRegisterSingletonInstance("Chronus.EditorTest", 1, 0, "EngineProbe", m_probe.get());
    }

    void cleanupTestCase() {
        if (m_server)
            m_server->stop();
        m_server.reset(); // it uses the controller's patch controller
        m_driver.stop();
        m_controller.reset();
        m_probe.reset();
        if (m_engine)
            m_engine->stop();
        m_callback.reset();
        m_engine.reset();
    }

private:
    QTemporaryDir m_dir;
    std::unique_ptr<engine::SlotEngine> m_engine;
    std::unique_ptr<audio::EngineCallback> m_callback;
    audio::NullDriver m_driver;
    std::unique_ptr<editor::EditorController> m_controller;
    std::unique_ptr<EngineProbe> m_probe;
    std::unique_ptr<app::OscServer> m_server;
};

QUICK_TEST_MAIN_WITH_SETUP(tst_editor_quick, Setup)

#include "tst_editor_quick.moc"
