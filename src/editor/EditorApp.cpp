#include "EditorApp.hpp"

#include "CommandLine.hpp"
#include "EditorController.hpp"
#include "OscServer.hpp"
#include "Recorder.hpp"
#include "StatusModel.hpp"
#include "audio/EngineCallback.hpp"
#include "engine/SlotEngine.hpp"

#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QQuickWindow>
#include <QStandardPaths>
#include <QTimer>
#include <QUrl>
#include <QtQml/QQmlExtensionPlugin>
#include <QtQml/qqml.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>

// The editor's QML module is linked statically.
Q_IMPORT_QML_PLUGIN(Chronus_EditorPlugin)

namespace chronus::editor {

namespace {
const QString kCommand = QStringLiteral("editor");

// SIGINT and SIGTERM quit the editor the clean way (the recording finished, the autosave removed):
// the handler only sets a flag, a timer on the GUI thread looks at it.
std::atomic<bool> g_quit{false};
extern "C" void onQuitSignal(int) { g_quit.store(true); }

void addEditorOptions(QCommandLineParser& parser) {
    parser.setApplicationDescription(
        "The Chronus patch editor: patch modules and cables, Commit to hot-swap the audio. It also runs the\n"
        "OSC server (as `chronus serve` does), so an agent can patch while you watch.");
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument("patch", "A patch file to open (default: the demo patch, or the autosave).", "[PATCH.json]");
    app::addAudioOptions(parser);
    parser.addOption({"osc-port", "UDP port for OSC (default 5005; 0 picks a free one).", "N", "5005"});
    parser.addOption({"osc-host", "Interface for OSC (default 127.0.0.1).", "ADDR", "127.0.0.1"});
    parser.addOption({"no-osc", "Run without the OSC server."});
    parser.addOption({"patches", "Folder for OSC /patch/save and /patch/load.", "DIR"});
    parser.addOption({"recordings", "Folder for recordings (default: " +
                                        QDir::toNativeSeparators(app::Recorder::defaultFolder()) + ").", "DIR"});
    parser.addOption({"autosave", "Autosave file (default: editor-autosave.json in the user's data folder).", "FILE"});
    parser.addOption({"fresh", "Ignore the autosave of an earlier run (it is discarded)."});
    parser.addOption({"restore", "Restore the autosave of an earlier run without asking."});
    parser.addOption({"commit", "Commit the opened patch at start."});
    parser.addOption({"screenshot", "Render the window to FILE (PNG) once it has drawn, then quit.", "FILE"});
    parser.addOption({"size", "Window size, e.g. 1920x1080.", "WxH"});
}

bool asksForHelp(int argc, char* argv[]) {
    for (int i = 1; i < argc; ++i)
        for (const char* flag : {"--help", "-h", "--help-all", "--version", "-v"})
            if (std::strcmp(argv[i], flag) == 0)
                return true;
    return false;
}

// Qt aborts when it cannot reach a display; say it in one line first, and where to go instead.
bool displayAvailable() {
    return !qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM") || !qEnvironmentVariableIsEmpty("DISPLAY") ||
           !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY");
}
} // namespace

int runEditor(int argc, char* argv[]) {
    if (asksForHelp(argc, argv)) { // needs no display
        QCoreApplication app(argc, argv);
        QCoreApplication::setApplicationVersion(QStringLiteral(CHRONUS_VERSION));
        QCommandLineParser parser;
        addEditorOptions(parser);
        parser.process(app); // prints and exits
        return 0;
    }
    if (!displayAvailable()) {
        std::fprintf(stderr, "chronus: no display for the editor (DISPLAY and WAYLAND_DISPLAY are unset); "
                             "run 'chronus serve' for the headless engine, or set QT_QPA_PLATFORM=offscreen\n");
        return 1;
    }
    QGuiApplication app(argc, argv);
    QGuiApplication::setApplicationName(QStringLiteral("chronus"));
    QGuiApplication::setOrganizationName(QStringLiteral("chronus"));
    QGuiApplication::setApplicationDisplayName(QStringLiteral("Chronus"));
    QGuiApplication::setApplicationVersion(QStringLiteral(CHRONUS_VERSION));
    QGuiApplication::setDesktopFileName(QStringLiteral("chronus"));

    QCommandLineParser parser;
    addEditorOptions(parser);
    // The audio settings saved in the editor, for what the command line does not say.
    const QStringList arguments = QCoreApplication::arguments();
    parser.process(arguments + EditorController::storedAudioArguments(arguments));

    const auto usage = [](const QString& message) { return app::usageError(kCommand, message); };
    const auto failure = [](const QString& message) { return app::failure(kCommand, message); };
    auto choice = app::audioChoice(parser);
    if (!choice)
        return usage(QString::fromStdString(choice.status().message()));
    bool ok = false;
    const int oscPort = parser.value("osc-port").toInt(&ok);
    if (!ok || oscPort < 0 || oscPort > 65535)
        return usage("--osc-port must be a port number from 0 to 65535");
    if (parser.positionalArguments().size() > 1)
        return usage("one patch file at most");

    const QString dataDir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    app::RecorderOptions recorderOptions;
    recorderOptions.folder = parser.isSet("recordings") ? parser.value("recordings") : app::Recorder::defaultFolder();

    auto opened = app::openAudio(kCommand, choice.value());
    if (!opened)
        return failure(QString::fromStdString(opened.status().message()));
    audio::AudioDriver& driver = *opened->driver;
    const bool isNull = driver.name() == "null";

    engine::EngineConfig config;
    config.sampleRate = driver.sampleRate();
    config.blockSize = 64;
    config.ringTargetBlocks = choice->ringBlocks;
    engine::SlotEngine engine(config);
    if (auto s = engine.start(); !s)
        return failure(QString::fromStdString(s.message()));
    app::Recorder recorder(driver.sampleRate(), recorderOptions);
    audio::EngineCallback callback(engine, &recorder.tap());
    if (auto s = driver.start(callback); !s)
        return failure(QString::fromStdString(s.message()));
    // Whatever way this function returns, the audio stops before the callback and the engine go.
    struct StopAudio {
        audio::AudioDriver& driver;
        ~StopAudio() { driver.stop(); }
    } stopAudio{driver};

    EditorOptions options;
    options.autosavePath = parser.isSet("autosave") ? parser.value("autosave")
                                                    : QDir(dataDir).filePath(QStringLiteral("editor-autosave.json"));
    EditorController controller(engine, options);
    StatusModel status(engine, &driver, &callback.meter());
    status.start();
    controller.setStatusModel(&status);
    controller.setRecorder(&recorder);
    const QString audioText =
        isNull ? QStringLiteral("no audio device: running on the null driver (no sound)")
               : QStringLiteral("%1 (%2), %3 Hz, %4-frame blocks")
                     .arg(QString::fromStdString(driver.name()), QString::fromStdString(driver.deviceName()))
                     .arg(driver.sampleRate())
                     .arg(driver.blockSize());
    controller.setAudioDescription(audioText, isNull);

    std::unique_ptr<app::OscServer> server;
    if (!parser.isSet("no-osc")) {
        app::OscServerOptions oscOptions;
        oscOptions.host = parser.value("osc-host").toStdString();
        oscOptions.port = oscPort;
        oscOptions.patchesDir = parser.isSet("patches") ? parser.value("patches") : QDir(dataDir).filePath("patches");
        server = std::make_unique<app::OscServer>(engine, oscOptions);
        server->setDriver(&driver);
        server->setRecorder(&recorder);
        server->setRequestObserver([&controller] { controller.patchChangedExternally(); });
        if (auto s = server->start(); !s) {
            app::stdErr() << "chronus: OSC is off: " << QString::fromStdString(s.message()) << "\n";
            app::stdErr().flush();
            controller.setOscDescription(QStringLiteral("OSC off: ") + QString::fromStdString(s.message()));
            server.reset();
        } else {
            controller.setOscDescription(
                QStringLiteral("OSC %1:%2").arg(QString::fromStdString(oscOptions.host)).arg(server->port()));
        }
    }

    // The first document: the file asked for, else the autosave waits for an answer (the window
    // offers it), else the demo patch.
    if (parser.isSet("fresh"))
        controller.discardAutosave();
    bool restored = false;
    if (parser.isSet("restore") && controller.hasAutosave()) {
        restored = controller.restoreAutosave();
        if (!restored)
            app::stdErr() << "chronus: " << controller.message() << "\n";
    }
    if (!parser.positionalArguments().isEmpty()) {
        if (!controller.open(QUrl::fromLocalFile(QFileInfo(parser.positionalArguments().first()).absoluteFilePath())))
            return failure(controller.message());
    } else if (!restored && !controller.hasAutosave()) {
        controller.loadDemo();
    }
    if (parser.isSet("commit"))
        controller.commit();

    qmlRegisterSingletonInstance("Chronus.Editor", 1, 0, "Editor", &controller);
    QQmlApplicationEngine qml;
    qml.addImportPath(QStringLiteral("qrc:/qt/qml"));
    qml.load(QUrl(QStringLiteral("qrc:/qt/qml/Chronus/Editor/qml/Main.qml")));
    if (qml.rootObjects().isEmpty())
        return failure("the editor's QML did not load");
    auto* window = qobject_cast<QQuickWindow*>(qml.rootObjects().first());
    if (parser.isSet("size")) {
        const QStringList wh = parser.value("size").split(QLatin1Char('x'));
        const int w = wh.value(0).toInt(), h = wh.value(1).toInt();
        if (wh.size() != 2 || w < 640 || h < 400 || w > 7680 || h > 4320)
            return usage("--size must be WIDTHxHEIGHT, from 640x400 to 7680x4320");
        window->resize(w, h);
    }
    app::stdOut() << "chronus: editor ready; audio: " << audioText << "; "
                  << (controller.oscDescription().isEmpty() ? QStringLiteral("OSC off") : controller.oscDescription())
                  << "\n";
    app::stdOut().flush();

    if (parser.isSet("screenshot")) {
        const QString file = parser.value("screenshot");
        // After the commit (if asked) and a few frames of live status: past the second after
        // which the panel judges a commit that stays silent.
        auto shoot = [&app, window, file] {
            QTimer::singleShot(1500, &app, [&app, window, file] {
                const QImage image = window ? window->grabWindow() : QImage();
                if (image.isNull() || !image.save(file)) {
                    app::stdErr() << "chronus: could not write the screenshot " << file << "\n";
                    app.exit(1);
                    return;
                }
                app::stdOut() << "chronus: screenshot " << file << " (" << image.width() << "x" << image.height()
                              << ")\n";
                app.exit(0);
            });
        };
        if (controller.busy())
            QObject::connect(&controller, &EditorController::busyChanged, &app, [&controller, shoot] {
                if (!controller.busy())
                    shoot();
            });
        else
            shoot();
    }

    std::signal(SIGINT, onQuitSignal);
    std::signal(SIGTERM, onQuitSignal);
    QTimer quitWatch;
    QObject::connect(&quitWatch, &QTimer::timeout, &app, [] {
        if (g_quit.load())
            QGuiApplication::quit();
    });
    quitWatch.start(100);

    const int rc = app.exec();
    if (server)
        server->stop();
    controller.waitForIdle();
    if (recorder.status().recording)
        (void)recorder.stop();
    controller.removeAutosaveOnQuit();
    driver.stop();
    engine.stop();
    return rc;
}

} // namespace chronus::editor
