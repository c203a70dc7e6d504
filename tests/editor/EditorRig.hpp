#pragma once
// A real engine played by the null driver, with an editor controller on it: what `chronus` builds,
// minus the window. For the controller's tests and the QML tests.

#include "AudioSettings.hpp"
#include "DocumentFiles.hpp"
#include "EditorController.hpp"
#include "RecordingControl.hpp"
#include "Selection.hpp"
#include "Recorder.hpp"
#include "audio/EngineCallback.hpp"
#include "audio/NullDriver.hpp"
#include "engine/SlotEngine.hpp"

#include <QTemporaryDir>

#include <memory>
#include <string>

namespace chronus::editor::test {

struct EditorRig {
    engine::SlotEngine engine;
    QTemporaryDir dir;
    app::Recorder recorder{48000.0, app::RecorderOptions{dir.filePath(QStringLiteral("recordings"))}};
    audio::EngineCallback callback{engine, &recorder.tap()};
    audio::NullDriver driver;
    std::unique_ptr<EditorController> controller;

    static engine::EngineConfig engineConfig() {
        engine::EngineConfig c;
        c.sampleRate = 48000.0;
        c.blockSize = 64;
        c.realtimeWorkers = false;
        c.stallDeadlineMs = 250.0; // a loaded test machine is not a stalled worker
        c.ringTargetBlocks = 8;
        return c;
    }
    explicit EditorRig(int autoCommitDelayMs = 400, const engine::EngineConfig& config = engineConfig())
        : engine(config) {
        EditorOptions options;
        options.autosavePath = dir.filePath(QStringLiteral("autosave.json"));
        options.settingsScope = QStringLiteral("test-%1").arg(reinterpret_cast<quintptr>(this));
        options.autoCommitDelayMs = autoCommitDelayMs;
        m_options = options;
    }
    ~EditorRig() {
        if (controller)
            controller->waitForIdle();
        controller.reset();
        driver.stop();
        engine.stop();
    }
    // Empty: started; else why not.
    std::string start() {
        if (auto s = engine.start(); !s)
            return s.message();
        audio::DriverConfig dc;
        dc.sampleRate = 48000.0;
        dc.blockSize = 256;
        dc.realtime = false;
        if (auto s = driver.start(callback, dc); !s)
            return s.message();
        controller = std::make_unique<EditorController>(engine, m_options);
        controller->recording()->setRecorder(&recorder);
        return {};
    }
    EditorOptions m_options;
};

} // namespace chronus::editor::test
