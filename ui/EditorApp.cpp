#include "EditorApp.hpp"

#include "AudioSettings.hpp"
#include "CaptureOnDemand.hpp"
#include "CommandLine.hpp"
#include "DocumentFiles.hpp"
#include "EditorController.hpp"
#include "RecordingControl.hpp"
#include "OscServer.hpp"
#include "Recorder.hpp"
#include "StatusModel.hpp"
#include "UserPaths.hpp"
#include "audio/EngineCallback.hpp"
#include "engine/SlotEngine.hpp"

#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QQuickWindow>
#include <QTimer>
#include <QUrl>
#include <QtQml/QQmlExtensionPlugin>
#include <QtQml/qqml.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>

#include <dlfcn.h>

// The editor's QML module is linked statically.
Q_IMPORT_QML_PLUGIN(Chronus_EditorPlugin)

namespace chronus::editor {

namespace {
const QString kCommand = QStringLiteral("editor");

// SIGINT, SIGTERM and SIGHUP quit the editor the clean way (the recording finished, the autosave removed):
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
    app::addOscOptions(parser);
    parser.addOption({"no-osc", "Run without the OSC server."});
    parser.addOption({"patches", "Folder for OSC /patch/save and /patch/load, where Open and Save As start.", "DIR"});
    parser.addOption({"recordings", "Folder for recordings (default: " +
                                        QDir::toNativeSeparators(app::Recorder::defaultFolder()) + ").", "DIR"});
    parser.addOption({"autosave", "Autosave file (default: " +
                                      QDir::toNativeSeparators(QDir(app::stateFolder()).filePath("editor-autosave.json")) +
                                      ").", "FILE"});
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

// Qt aborts (SIGABRT) when it cannot reach a display. Before QGuiApplication exists, find out the
// way Qt's xcb plugin would (xcb_connect, through the libxcb it loads itself, so the editor gains
// no link dependency) and say why in one line. Empty when the display looks usable.
QString displayProblem() {
    const QString platform = qEnvironmentVariable("QT_QPA_PLATFORM");
    const QString display = qEnvironmentVariable("DISPLAY");
    const bool wayland = !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY");
    if (!platform.isEmpty() && !platform.startsWith(QLatin1String("xcb")))
        return {}; // offscreen, wayland, eglfs, ...: Qt's own business
    if (platform.isEmpty() && wayland)
        return {};
    if (display.isEmpty())
        return QStringLiteral("no display for the editor (DISPLAY and WAYLAND_DISPLAY are unset)");
    using Connect = void* (*)(const char*, int*);
    using HasError = int (*)(void*);
    using Disconnect = void (*)(void*);
    void* xcb = ::dlopen("libxcb.so.1", RTLD_LAZY | RTLD_LOCAL);
    if (!xcb)
        return QStringLiteral("cannot open the display %1: the X client library libxcb.so.1 is missing (%2)")
            .arg(display, QString::fromLocal8Bit(::dlerror()));
    const auto connect = reinterpret_cast<Connect>(::dlsym(xcb, "xcb_connect"));
    const auto hasError = reinterpret_cast<HasError>(::dlsym(xcb, "xcb_connection_has_error"));
    const auto disconnect = reinterpret_cast<Disconnect>(::dlsym(xcb, "xcb_disconnect"));
    QString problem;
    if (connect && hasError && disconnect) {
        void* connection = connect(nullptr, nullptr);
        if (hasError(connection) != 0) // a failed connection is still an object to free
            problem = QStringLiteral("cannot open the display %1 (no X server answers there, or it refused us)")
                          .arg(display);
        disconnect(connection);
    }
    ::dlclose(xcb);
    return problem;
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
    if (const QString problem = displayProblem(); !problem.isEmpty()) {
        std::fprintf(stderr, "chronus: %s; run 'chronus serve' for the headless engine, or set "
                             "QT_QPA_PLATFORM=offscreen\n", qPrintable(problem));
        return 1;
    }
    QGuiApplication app(argc, argv);
    QGuiApplication::setApplicationName(QStringLiteral("chronus"));
    QGuiApplication::setOrganizationName(QStringLiteral("chronus"));
    QGuiApplication::setApplicationDisplayName(QStringLiteral("Chronus"));
    QGuiApplication::setApplicationVersion(QStringLiteral(CHRONUS_VERSION));
    // The installed desktop entry's name (the application id): Wayland compositors match the window
    // to its entry, icon and name by it.
    QGuiApplication::setDesktopFileName(QStringLiteral("io.github.chronus.Chronus"));

    QCommandLineParser parser;
    addEditorOptions(parser);
    // The audio settings saved in the editor, for what the command line does not say.
    const QStringList arguments = QCoreApplication::arguments();
    // parse(), not process(): an unknown option is a usage error (exit 2, as in every command).
    if (!parser.parse(arguments + AudioSettings::storedArguments(arguments)))
        return app::usageError(kCommand, parser.errorText());

    const auto usage = [](const QString& message) { return app::usageError(kCommand, message); };
    const auto failure = [](const QString& message) { return app::failure(kCommand, message); };
    auto choice = app::audioChoice(parser);
    if (!choice)
        return usage(QString::fromStdString(choice.status().message()));
    app::OscServerOptions oscOptions;
    if (!parser.isSet("no-osc"))
        if (auto s = app::oscChoice(kCommand, parser, oscOptions); !s)
            return usage(QString::fromStdString(s.message()));
    if (parser.positionalArguments().size() > 1)
        return usage("one patch file at most");

    if (!parser.isSet("patches") || !parser.isSet("autosave")) { // the user's own folders are used
        for (const QString& line : app::migrateOldDataFolder())
            app::stdErr() << "chronus: " << line << "\n";
        app::stdErr().flush();
    }
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
    config.memoryBudgetBytes = choice->memoryBudgetBytes;
    config.workers = app::workerMode(kCommand, choice.value());
    engine::SlotEngine engine(config);
    if (auto s = engine.start(); !s)
        return failure(QString::fromStdString(s.message()));
    audio::MidiFeed midi(engine, choice->driver.clientName); // outlives the callback, which reads it
    audio::MidiOutput midiOut(choice->driver.clientName);   // the same
    app::Recorder recorder(driver.sampleRate(), recorderOptions);
    audio::EngineCallback callback(engine, &recorder.tap());
    callback.setMidi(&midi);
    if (auto s = driver.start(callback); !s)
        return failure(QString::fromStdString(s.message()));
    app::openMidi(kCommand, choice.value(), midi);
    app::openMidiOut(kCommand, choice.value(), midiOut, callback);
    // Whatever way this function returns, the audio stops before the callback and the engine go.
    struct StopAudio {
        audio::AudioDriver& driver;
        ~StopAudio() { driver.stop(); }
    } stopAudio{driver};

    const QString patchesDir =
        parser.isSet("patches") ? parser.value("patches") : QDir(app::dataFolder()).filePath("patches");
    EditorOptions options;
    options.patchesFolder = patchesDir;
    options.autosavePath = parser.isSet("autosave") ? parser.value("autosave")
                                                    : QDir(app::stateFolder()).filePath(QStringLiteral("editor-autosave.json"));
    EditorController controller(engine, options);
    StatusModel status(engine, &driver, &callback.meter());
    status.start();
    controller.setStatusModel(&status);
    controller.recording()->setRecorder(&recorder);
    const QString audioText =
        isNull ? QStringLiteral("no audio device: running on the null driver (no sound)")
               : QStringLiteral("%1 (%2), %3 Hz, %4-frame blocks")
                     .arg(QString::fromStdString(driver.name()), QString::fromStdString(driver.deviceName()))
                     .arg(driver.sampleRate())
                     .arg(driver.blockSize());
    controller.audio()->setDescription(audioText, isNull);
    controller.audio()->setMidi(&midi); // Audio settings choose the MIDI input through the same feed

    std::unique_ptr<app::OscServer> server;
    if (!parser.isSet("no-osc")) {
        oscOptions.patchesDir = patchesDir;
        // The agents' door is the editor's own patch controller: their requests run on this thread.
        server = std::make_unique<app::OscServer>(engine, controller.patch(), oscOptions);
        server->setDriver(&driver);
        server->setRecorder(&recorder);
        server->setMidi(&midi);
        server->setMidiOut(&midiOut, &callback);
        // An agent's change is in the autosave's journal before its reply.
        server->setAcknowledgeObserver(
            [&controller](const std::string& address) { return controller.persistExternalChange(address); });
        if (auto s = server->start(); !s) {
            app::stdErr() << "chronus: OSC is off: " << QString::fromStdString(s.message()) << "\n";
            app::stdErr().flush();
            controller.audio()->setOscDescription(QStringLiteral("OSC off: ") + QString::fromStdString(s.message()));
            server.reset();
        } else {
            controller.audio()->setOscDescription(
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
        if (!controller.files()->open(QUrl::fromLocalFile(QFileInfo(parser.positionalArguments().first()).absoluteFilePath())))
            return failure(controller.message());
    } else if (!restored && !controller.hasAutosave()) {
        controller.loadDemo();
    }
    if (parser.isSet("commit"))
        controller.commit();

    qmlRegisterSingletonInstance("Chronus.Editor", 1, 0, "Editor", &controller);
    QQmlApplicationEngine qml;
    qml.addImportPath(QStringLiteral("qrc:/qt/qml"));
    qml.load(QUrl(QStringLiteral("qrc:/qt/qml/Chronus/Editor/Main.qml")));
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
                  << (controller.audio()->oscDescription().isEmpty() ? QStringLiteral("OSC off") : controller.audio()->oscDescription())
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

    // A committed patch that reads input opens the capture if --input did not. On this thread,
    // the one that reads the driver (status panel, OSC requests).
    app::CaptureOnDemand capture(driver, callback, engine, choice->driver);
    QTimer captureWatch;
    QObject::connect(&captureWatch, &QTimer::timeout, &app, [&] {
        const std::string line = capture.check();
        if (line.empty())
            return;
        app::stdErr() << "chronus: " << QString::fromStdString(line) << "\n";
        app::stdErr().flush();
        if (driver.inputChannels() > 0)
            controller.audio()->setDescription(audioText + QStringLiteral("; input: %1 capture channels").arg(driver.inputChannels()),
                                               isNull);
    });
    captureWatch.start(100);

    std::signal(SIGINT, onQuitSignal);
    std::signal(SIGTERM, onQuitSignal);
    app::stopOnHangup(onQuitSignal);
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
