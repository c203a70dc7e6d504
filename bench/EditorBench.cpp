// chronus_editor_bench: the editor under load, offscreen. A patch of 200 modules and 300 cables is
// committed on a real engine (null driver); the real Main.qml shows it. Measured:
//  - start to first frame: from main() to the window's first frameSwapped, patch loaded;
//  - frame time while panning (middle-button drags on the canvas) and while a node is dragged by
//    its header: each step is one mouse event, then the time until that frame is swapped;
//  - time to add a node and to connect a cable: the controller call until the frame showing it.
//  - a knob (the output's level) turned during a commit's 500 ms fade and with no commit in flight:
//    the controller call, and the time until the output's block peak moves.
//  - `chronus_editor_bench agent`, instead of the above: an agent's edit (what one OSC /patch/set or
//    /patch/create does to the engine) on a committed patch of 500 modules, from the engine call
//    until the editor's models show it (the patch controller's changed() signal), and the
//    node and cable models' update alone for the same change. No window: this is the controller.
// Prints a table and a JSON line; exits 1 when a bar fails (p95 frame <= 16 ms, first frame <= 1.5 s,
// a knob during a fade moves the output no more than 16.7 ms later than with no commit in flight).

#include "EditorController.hpp"
#include "GraphModels.hpp"
#include "StatusModel.hpp"
#include "audio/EngineCallback.hpp"
#include "audio/NullDriver.hpp"
#include "engine/SlotEngine.hpp"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QGuiApplication>
#include <QImage>
#include <QMouseEvent>
#include <QQmlApplicationEngine>
#include <QQuickItem>
#include <QQuickWindow>
#include <QTemporaryDir>
#include <QTimer>
#include <QtQml/QQmlExtensionPlugin>
#include <QtQml/qqml.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <map>
#include <string>
#include <cstdio>
#include <thread>
#include <vector>

Q_IMPORT_QML_PLUGIN(Chronus_EditorPlugin)

using namespace chronus;

namespace {

QElapsedTimer g_clock; // since main()

struct Stats {
    double p50 = 0, p95 = 0, max = 0;
    int n = 0;
};
Stats summarise(std::vector<double> v) {
    Stats s;
    if (v.empty())
        return s;
    std::sort(v.begin(), v.end());
    auto at = [&](double q) { return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))]; };
    s.p50 = at(0.5);
    s.p95 = at(0.95);
    s.max = v.back();
    s.n = static_cast<int>(v.size());
    return s;
}

// 200 modules on a 20 x 10 grid, 300 cables, all forward (no cycles); `modules` more or fewer keep
// the shape (1.5 cables a module).
engine::PatchGraph bigPatch(int modules = 200) {
    engine::PatchGraph g;
    // Everyday modules with knobs and ports (not the heaviest DSP: on a 2-core machine the audio of
    // 200 reverbs would take the GUI's core, and this measures the editor).
    const char* kinds[] = {"svf", "vca", "lfo", "biquad", "sample_hold", "adsr", "mixer", "triangle"};
    std::vector<std::string> ids;
    const int cableCount = modules * 3 / 2;
    for (int i = 0; i < modules; ++i) {
        const char* type = i == 0 ? "saw" : kinds[i % 8];
        const std::string id = std::string(type) + "_" + std::to_string(i);
        (void)g.addModule(id, type);
        (void)g.setPosition(id, 80.0 + 300.0 * (i % 20), 80.0 + 320.0 * (i / 20));
        ids.push_back(id);
    }
    int cables = 0;
    for (int i = 0; i + 1 < modules && cables < cableCount; ++i)
        cables += g.connect(ids[static_cast<std::size_t>(i)], ids[static_cast<std::size_t>(i + 1)]).ok();
    for (int i = 0; i + 7 < modules && cables < cableCount; ++i) {
        const auto* to = g.find(ids[static_cast<std::size_t>(i + 7)]);
        const std::string port = to->type->inputs.size() > 1 ? to->type->inputs[1].id : to->type->inputs[0].id;
        cables += g.connect(ids[static_cast<std::size_t>(i)], ids[static_cast<std::size_t>(i + 7)] + "." + port).ok();
    }
    (void)g.connect(ids.back(), "out");
    return g;
}

// Runs the event loop until the window swaps a frame; returns the milliseconds it took.
double waitFrame(QQuickWindow* window, const QElapsedTimer& since) {
    QEventLoop loop;
    QObject::connect(window, &QQuickWindow::frameSwapped, &loop, &QEventLoop::quit);
    QTimer::singleShot(2000, &loop, &QEventLoop::quit);
    window->requestUpdate();
    loop.exec();
    return static_cast<double>(since.nsecsElapsed()) / 1e6;
}

void mouse(QQuickWindow* w, QEvent::Type type, QPointF pos, Qt::MouseButton button, Qt::MouseButtons buttons) {
    QMouseEvent e(type, pos, w->mapToGlobal(pos), button, buttons, Qt::NoModifier);
    QCoreApplication::sendEvent(w, &e);
}

// CPU time of the calling thread (the GUI thread, which also renders with the software backend),
// in milliseconds: unlike the wall clock it does not count time the 2 cores spent on other work.
double threadCpuMs() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

struct Frames {
    std::vector<double> wall, cpu;
    void append(const Frames& o) {
        wall.insert(wall.end(), o.wall.begin(), o.wall.end());
        cpu.insert(cpu.end(), o.cpu.begin(), o.cpu.end());
    }
};

// One press, `steps` moves (`step` each, back the other way for the second half when `andBack`:
// the pointer stays over what it drags), one release.
Frames drag(QQuickWindow* w, QPointF from, QPointF step, int steps, Qt::MouseButton button, bool andBack = false) {
    Frames frames;
    mouse(w, QEvent::MouseButtonPress, from, button, button);
    QPointF p = from;
    for (int i = 0; i < steps; ++i) {
        p += andBack && i >= steps / 2 ? -step : step;
        QElapsedTimer t;
        t.start();
        const double cpu0 = threadCpuMs();
        mouse(w, QEvent::MouseMove, p, Qt::NoButton, button);
        frames.wall.push_back(waitFrame(w, t));
        frames.cpu.push_back(threadCpuMs() - cpu0);
    }
    mouse(w, QEvent::MouseButtonRelease, p, button, Qt::NoButton);
    waitFrame(w, QElapsedTimer());
    return frames;
}

// By objectName, through the visual tree (QML parents items visually, not always as QObjects).
QQuickItem* findIn(QQuickItem* item, const QString& name) {
    if (item->objectName() == name)
        return item;
    for (QQuickItem* child : item->childItems())
        if (QQuickItem* found = findIn(child, name))
            return found;
    return nullptr;
}
QQuickItem* findItem(QQuickWindow* w, const QString& name) { return findIn(w->contentItem(), name); }

// `chronus_editor_bench agent`: see the top of the file.
int agentEdits(engine::SlotEngine& engine) {
    constexpr int kModules = 500;
    constexpr int kEdits = 40; // half /patch/set, half /patch/create
    editor::EditorOptions options; // no autosave: the journal is the same with or without the models
    editor::EditorController controller(engine, options);
    const engine::PatchGraph big = bigPatch(kModules);
    if (auto s = controller.patch().edit(app::Author::Agent, QStringLiteral("load"),
                                         [&](app::PatchController::Edit& e) { return e.load(big); });
        !s) {
        std::fprintf(stderr, "load: %s\n", s.message().c_str());
        return 2;
    }
    controller.commit();
    if (!controller.waitForIdle(20000)) {
        std::fprintf(stderr, "commit did not finish\n");
        return 2;
    }
    std::vector<double> sets, creates, modelSets, modelCreates, setsCpu, createsCpu;
    // The models alone: a pair fed the same before and after patches as the controller's.
    editor::NodeModel nodes;
    editor::CableModel cables;
    const std::map<std::string, QPointF> noPositions;
    auto modelsOnly = [&](const engine::PatchGraph& pending, const engine::PatchGraph& committed) {
        QElapsedTimer t;
        t.start();
        nodes.update(pending, committed, noPositions);
        cables.update(pending, committed);
        return static_cast<double>(t.nsecsElapsed()) / 1e6;
    };
    modelsOnly(engine.pending(), engine.committed());
    for (int i = 0; i < kEdits; ++i) {
        const bool create = i % 2 == 1;
        const std::string id = "lfo_agent_" + std::to_string(i);
        QElapsedTimer t;
        t.start();
        const double cpu0 = threadCpuMs();
        // What the OSC server does for the request: an agent's step of the patch controller, whose
        // changed() signal brings the models up to date before it returns.
        const engine::Status s = controller.patch().edit(
            app::Author::Agent, QStringLiteral("Agent edit (OSC)"), [&](app::PatchController::Edit& e) {
                return create ? e.addModule(id, "lfo")
                              : e.setPending("svf_" + std::to_string(8 + 8 * (i % 60)), "cutoff", 200.0 + 10.0 * i)
                                    .status();
            });
        if (!s) {
            std::fprintf(stderr, "agent edit %d: %s\n", i, s.message().c_str());
            return 2;
        }
        const double ms = static_cast<double>(t.nsecsElapsed()) / 1e6;
        (create ? createsCpu : setsCpu).push_back(threadCpuMs() - cpu0);
        if (create && controller.nodes()->rowOf(QString::fromStdString(id)) < 0) {
            std::fprintf(stderr, "the models do not show %s\n", id.c_str());
            return 2;
        }
        (create ? creates : sets).push_back(ms);
        const engine::PatchGraph pending = engine.pending(), committed = engine.committed();
        (create ? modelCreates : modelSets).push_back(modelsOnly(pending, committed));
    }
    const Stats s = summarise(sets), c = summarise(creates), ms = summarise(modelSets), mc = summarise(modelCreates),
                sc = summarise(setsCpu), cc = summarise(createsCpu);
    std::printf("| agent edit on %d modules, %zu cables | p50 | p95 | max | n |\n|---|---:|---:|---:|---:|\n", kModules,
                engine.committed().cables().size());
    std::printf("| /patch/set to the models (ms) | %.3f | %.3f | %.3f | %d |\n", s.p50, s.p95, s.max, s.n);
    std::printf("| /patch/create to the models (ms) | %.3f | %.3f | %.3f | %d |\n", c.p50, c.p95, c.max, c.n);
    std::printf("| /patch/set to the models, GUI thread CPU (ms) | %.3f | %.3f | %.3f | %d |\n", sc.p50, sc.p95, sc.max,
                sc.n);
    std::printf("| /patch/create to the models, GUI thread CPU (ms) | %.3f | %.3f | %.3f | %d |\n", cc.p50, cc.p95,
                cc.max, cc.n);
    std::printf("| /patch/set, node and cable models' update alone (ms) | %.3f | %.3f | %.3f | %d |\n", ms.p50, ms.p95,
                ms.max, ms.n);
    std::printf("| /patch/create, node and cable models' update alone (ms) | %.3f | %.3f | %.3f | %d |\n", mc.p50,
                mc.p95, mc.max, mc.n);
    std::printf("{\"agent_set_p50\":%.3f,\"agent_create_p50\":%.3f,\"agent_set_cpu_p50\":%.3f,\"agent_create_cpu_p50\":%.3f,"
                "\"models_set_p50\":%.3f,\"models_create_p50\":%.3f}\n",
                s.p50, c.p50, sc.p50, cc.p50, ms.p50, mc.p50);
    return 0;
}

} // namespace

int main(int argc, char* argv[]) {
    g_clock.start();
    qputenv("QT_QPA_PLATFORM", qgetenv("QT_QPA_PLATFORM").isEmpty() ? QByteArray("offscreen") : qgetenv("QT_QPA_PLATFORM"));
    QGuiApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("chronus-bench"));
    const bool agentOnly = argc > 1 && std::string(argv[1]) == "agent";
    const int steps = argc > 1 && !agentOnly ? std::max(10, std::atoi(argv[1])) : 240;

    engine::EngineConfig config;
    config.blockSize = 64;
    engine::SlotEngine engine(config);
    if (!engine.start()) {
        std::fprintf(stderr, "engine did not start\n");
        return 2;
    }
    audio::NullDriver driver;
    audio::EngineCallback callback(engine);
    audio::DriverConfig dc;
    dc.blockSize = 256;
    if (!driver.start(callback, dc)) {
        std::fprintf(stderr, "null driver did not start\n");
        return 2;
    }
    if (agentOnly) {
        const int result = agentEdits(engine);
        driver.stop();
        engine.stop();
        return result;
    }
    QTemporaryDir dir;
    editor::EditorOptions options;
    options.autosavePath = dir.filePath(QStringLiteral("autosave.json"));
    editor::EditorController controller(engine, options);
    editor::StatusModel status(engine, &driver, &callback.meter());
    status.start();
    controller.setStatusModel(&status);

    const engine::PatchGraph patch = bigPatch();
    QElapsedTimer loadTimer;
    loadTimer.start();
    if (auto s = controller.patch().edit(app::Author::Agent, QStringLiteral("load"),
                                         [&](app::PatchController::Edit& e) { return e.load(patch); });
        !s) {
        std::fprintf(stderr, "load: %s\n", s.message().c_str());
        return 2;
    }
    controller.commit();
    controller.waitForIdle(10000);
    const double loadMs = static_cast<double>(loadTimer.nsecsElapsed()) / 1e6;

    qmlRegisterSingletonInstance("Chronus.Editor", 1, 0, "Editor", &controller);
    QQmlApplicationEngine qml;
    qml.addImportPath(QStringLiteral("qrc:/qt/qml"));
    qml.load(QUrl(QStringLiteral("qrc:/qt/qml/Chronus/Editor/Main.qml")));
    if (qml.rootObjects().isEmpty())
        return 2;
    auto* window = qobject_cast<QQuickWindow*>(qml.rootObjects().first());
    const double firstFrameMs = waitFrame(window, g_clock);
    for (int i = 0; i < 10; ++i)
        waitFrame(window, QElapsedTimer());

    QQuickItem* canvas = findItem(window, QStringLiteral("canvas"));
    if (!canvas) {
        std::fprintf(stderr, "no item named 'canvas'\n");
        return 2;
    }
    // CHRONUS_BENCH_HIDE=<objectName>,...: those items hidden, to see what they cost (e.g. cableLayer,
    // nodeLayer, grid, statusPanel).
    for (const QString& name : qEnvironmentVariable("CHRONUS_BENCH_HIDE").split(QLatin1Char(','), Qt::SkipEmptyParts))
        if (QQuickItem* h = findItem(window, name))
            h->setVisible(false);
    const QPointF centre = canvas->mapToScene(QPointF(canvas->width() / 2, canvas->height() / 2));
    auto settle = [&] {
        for (int i = 0; i < 5; ++i)
            waitFrame(window, QElapsedTimer());
    };
    // Pan: middle-button drags on the canvas, right then back; the whole patch in view (fit), then
    // at 100 % (what one works at: a screenful of modules).
    auto panBothWays = [&] {
        Frames v = drag(window, centre, QPointF(4, 2), steps / 2, Qt::MiddleButton);
        v.append(drag(window, centre, QPointF(-4, -2), steps / 2, Qt::MiddleButton));
        return v;
    };
    QMetaObject::invokeMethod(canvas, "fitToView");
    settle();
    const double fitZoom = canvas->property("zoom").toDouble();
    // CHRONUS_BENCH_GRAB=<dir>: what was measured, as fit.png and 100.png, to check the looks.
    const QString grabDir = qEnvironmentVariable("CHRONUS_BENCH_GRAB");
    auto grab = [&](const char* name) {
        if (!grabDir.isEmpty())
            window->grabWindow().save(grabDir + QLatin1Char('/') + QLatin1String(name));
    };
    // CHRONUS_BENCH_ONLY=fit,pan,drag: only those measures (to profile one of them).
    const QStringList only = qEnvironmentVariable("CHRONUS_BENCH_ONLY").split(QLatin1Char(','), Qt::SkipEmptyParts);
    auto measure = [&](const char* name) { return only.isEmpty() || only.contains(QLatin1String(name)); };
    grab("fit.png");
    const Frames panFit = measure("fit") ? panBothWays() : Frames{};
    QMetaObject::invokeMethod(canvas, "resetZoom");
    settle();
    grab("100.png");
    const Frames pan = measure("pan") ? panBothWays() : Frames{};

    // Drag a node by its header, at 100 %, the node brought into view first.
    const QString nodeName = QStringLiteral("node-svf_88");
    QQuickItem* node = findItem(window, nodeName);
    Frames nodeDrag;
    if (node && measure("drag")) {
        const QPointF at = node->mapToItem(canvas, QPointF(0, 0));
        QMetaObject::invokeMethod(canvas, "panBy", Q_ARG(QVariant, canvas->width() / 3 - at.x()),
                                  Q_ARG(QVariant, canvas->height() / 3 - at.y()));
        settle();
        const QPointF header = node->mapToScene(QPointF(40, 12));
        nodeDrag = drag(window, header, QPointF(3, 1), steps, Qt::LeftButton, true);
    } else if (!node) {
        std::fprintf(stderr, "no item named '%s'\n", qPrintable(nodeName));
    }

    // Add a node; connect a cable.
    std::vector<double> adds, connects;
    for (int i = 0; i < 10; ++i) {
        QElapsedTimer t;
        t.start();
        const QString id = controller.addModule(QStringLiteral("lfo"), 6400 + 40 * i, 200);
        adds.push_back(waitFrame(window, t));
        QElapsedTimer c;
        c.start();
        controller.connectPorts(id, QStringLiteral("out"), QStringLiteral("svf_1"), QStringLiteral("cutoff"));
        connects.push_back(waitFrame(window, c));
    }

    // A knob turned during a commit's fade: the controller call, and from the call until the output
    // moves (the block peak 10 % below what it was), next to the same knob with no commit in
    // flight. The knob is the output's level (1 -> 0), on a sine added for it; each commit (of an
    // unconnected module, a 500 ms fade) is submitted to the engine directly so its fade is long.
    std::vector<double> knobIdleCall, knobIdleSound, knobFadeCall, knobFadeSound;
    if (measure("knob")) {
        const QString probe = controller.addModule(QStringLiteral("sine"), 6400, 600);
        controller.connectPorts(probe, QStringLiteral("out"), QStringLiteral("out"), QStringLiteral("left"));
        controller.commit();
        controller.waitForIdle(10000);
        const auto& meter = callback.meter();
        auto waitPeak = [&](auto done) {
            QElapsedTimer t;
            t.start();
            while (!done(meter.peak()) && t.elapsed() < 2000)
                std::this_thread::sleep_for(std::chrono::microseconds(100));
            return static_cast<double>(t.nsecsElapsed()) / 1e6;
        };
        // The output is watched from a thread of its own: the sound may move before the call
        // returns (the controller's bookkeeping comes after the engine's live change).
        auto turn = [&](std::vector<double>& calls, std::vector<double>& sounds) {
            const float before = meter.peak();
            QElapsedTimer t;
            std::atomic<qint64> movedNs{-1};
            t.start();
            std::thread watcher([&] {
                while (meter.peak() >= 0.9f * before && t.elapsed() < 2000)
                    std::this_thread::sleep_for(std::chrono::microseconds(50));
                movedNs.store(t.nsecsElapsed());
            });
            controller.setParam(QStringLiteral("out"), QStringLiteral("level"), 0.0);
            calls.push_back(static_cast<double>(t.nsecsElapsed()) / 1e6);
            watcher.join();
            sounds.push_back(static_cast<double>(movedNs.load()) / 1e6);
        };
        auto restore = [&] {
            controller.setParam(QStringLiteral("out"), QStringLiteral("level"), 1.0);
            waitPeak([](float peak) { return peak > 0.3f; });
        };
        waitPeak([](float peak) { return peak > 0.3f; });
        for (int i = 0; i < 10; ++i) {
            turn(knobIdleCall, knobIdleSound);
            restore();
            controller.addModule(QStringLiteral("lfo"), 6400 + 40 * i, 900); // a pending edit to commit
            std::atomic<bool> over{false};
            controller.patch().run(app::Author::Agent, engine::SlotOperation::Commit, 500.0,
                                   [&](const engine::OperationEvent&) { over.store(true); });
            QElapsedTimer t;
            t.start();
            while (!engine.stats().fading && t.elapsed() < 3000)
                std::this_thread::sleep_for(std::chrono::microseconds(200));
            std::this_thread::sleep_for(std::chrono::milliseconds(50)); // well inside the fade
            turn(knobFadeCall, knobFadeSound);
            engine.waitForOperations();
            while (!over.load()) // the outcome comes to the GUI thread as an event
                QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
            restore();
        }
    }

    const Stats p = summarise(pan.wall), f = summarise(panFit.wall), d = summarise(nodeDrag.wall), a = summarise(adds),
                c = summarise(connects);
    const Stats pc = summarise(pan.cpu), fc = summarise(panFit.cpu), gc = summarise(nodeDrag.cpu);
    std::printf("| measure | p50 | p95 | max | n | GUI thread CPU p50 / p95 |\n|---|---:|---:|---:|---:|---:|\n");
    std::printf("| frame while panning at 100 %% (ms) | %.2f | %.2f | %.2f | %d | %.2f / %.2f |\n", p.p50, p.p95, p.max, p.n,
                pc.p50, pc.p95);
    std::printf("| frame while panning, whole patch in view at %.0f %% (ms) | %.2f | %.2f | %.2f | %d | %.2f / %.2f |\n",
                fitZoom * 100.0, f.p50, f.p95, f.max, f.n, fc.p50, fc.p95);
    std::printf("| frame while dragging a node at 100 %% (ms) | %.2f | %.2f | %.2f | %d | %.2f / %.2f |\n", d.p50, d.p95,
                d.max, d.n, gc.p50, gc.p95);
    std::printf("| add a node, to its frame (ms) | %.2f | %.2f | %.2f | %d |\n", a.p50, a.p95, a.max, a.n);
    std::printf("| connect a cable, to its frame (ms) | %.2f | %.2f | %.2f | %d |\n", c.p50, c.p95, c.max, c.n);
    std::printf("| start to first frame (ms) | %.1f | | | 1 |\n", firstFrameMs);
    std::printf("| load + commit 200 modules (ms) | %.1f | | | 1 |\n", loadMs);
    const Stats kic = summarise(knobIdleCall), kis = summarise(knobIdleSound), kfc = summarise(knobFadeCall),
                kfs = summarise(knobFadeSound);
    std::printf("| knob call, no commit in flight (ms) | %.3f | %.3f | %.3f | %d |\n", kic.p50, kic.p95, kic.max, kic.n);
    std::printf("| knob call during a 500 ms commit fade (ms) | %.3f | %.3f | %.3f | %d |\n", kfc.p50, kfc.p95, kfc.max,
                kfc.n);
    std::printf("| knob to the output moving, no commit in flight (ms) | %.2f | %.2f | %.2f | %d |\n", kis.p50, kis.p95,
                kis.max, kis.n);
    std::printf("| knob to the output moving, during a commit fade (ms) | %.2f | %.2f | %.2f | %d |\n", kfs.p50, kfs.p95,
                kfs.max, kfs.n);
    const engine::EngineStats es = engine.stats();
    std::printf("modules %d, cables %d; audio DSP load while measuring: slot A %.0f %%, slot B %.0f %%\n",
                controller.nodes()->count(), static_cast<int>(engine.pending().cables().size()),
                100.0 * es.slot[0].dspLoad, 100.0 * es.slot[1].dspLoad);
    // A knob during a commit's fade moves the sound as soon as with no commit in flight, give or take
    // one frame (60 Hz): it does not wait for the fade. (Both include the device's block, the ring
    // and the two blocks a live change is stamped ahead.)
    const bool knobPass = kfs.n == 0 || kfs.p50 - kis.p50 <= 1000.0 / 60.0;
    const bool pass = p.p95 <= 16.0 && d.p95 <= 16.0 && d.n > 0 && firstFrameMs <= 1500.0 && knobPass;
    std::printf("{\"pan_fit_p50\":%.3f,\"pan_fit_p95\":%.3f,\"pan_p50\":%.3f,\"pan_p95\":%.3f,\"drag_p50\":%.3f,\"drag_p95\":%.3f,\"add_p50\":%.3f,"
                "\"connect_p50\":%.3f,\"first_frame_ms\":%.1f,\"pan_fit_cpu_p50\":%.3f,\"pan_cpu_p50\":%.3f,"
                "\"drag_cpu_p50\":%.3f,\"knob_fade_call_max\":%.3f,\"knob_fade_sound_p50\":%.2f,\"knob_fade_sound_max\":%.2f,"
                "\"knob_idle_sound_p50\":%.2f,\"bars_pass\":%s}\n",
                f.p50, f.p95, p.p50, p.p95, d.p50, d.p95, a.p50, c.p50, firstFrameMs, fc.p50, pc.p50, gc.p50, kfc.max,
                kfs.p50, kfs.max, kis.p50,
                pass ? "true" : "false");
    driver.stop();
    engine.stop();
    return pass ? 0 : 1;
}
