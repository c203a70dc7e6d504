#include "PlayCommand.hpp"

#include "CommandLine.hpp"
#include "EngineStatus.hpp"
#include "PatchFile.hpp"
#include "Recorder.hpp"
#include "audio/EngineCallback.hpp"
#include "audio/OpenDriver.hpp"
#include "engine/modules/AudioIn.hpp"
#include "engine/SlotEngine.hpp"

#include <QCommandLineParser>
#include <QJsonDocument>
#include <QTextStream>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cmath>
#include <thread>

namespace chronus::app {

namespace {
std::atomic<bool> g_stop{false};
extern "C" void onSignal(int) { g_stop.store(true); }

const QString kCommand = QStringLiteral("play");
QTextStream& err() { return stdErr(); }
QTextStream& out() { return stdOut(); }
int usageError(const QString& message) { return app::usageError(kCommand, message); }
int failure(const QString& message) { return app::failure(kCommand, message); }
} // namespace

int runPlayCommand(const QStringList& args) {
    QCommandLineParser parser;
    parser.setApplicationDescription(
        "Play a patch live through the dual-slot engine and print its status once a second.\n"
        "Stops after --seconds, or on Ctrl+C.");
    parser.addHelpOption();
    parser.addPositionalArgument("PATCH.json", "The patch file to play.");
    addAudioOptions(parser);
    parser.addOption({"fade", "Commit fade in ms (default 20).", "MS", "20"});
    parser.addOption({"cold-mirror", "Do not render the standby in step (halves the DSP load; failover is then "
                                     "a short fade instead of seamless)."});
    parser.addOption({"seconds", "Stop after S seconds (default: until Ctrl+C).", "S"});
    parser.addOption({"json", "Print the status as one JSON object per line."});
    parser.addOption({"record", "Also write the output into FILE as WAV (from just before the commit; replaced if it exists).", "FILE"});
    parser.addOption({"record-format", "Sample format of --record: pcm24 (default), pcm16 or float.", "F", "pcm24"});
    if (!parser.parse(args))
        return usageError(parser.errorText());
    if (parser.isSet("help")) {
        out() << commandHelp(parser, kCommand);
        return 0;
    }
    const QStringList positional = parser.positionalArguments();
    if (positional.size() != 1)
        return usageError(positional.isEmpty() ? "missing PATCH.json" : "expected one patch file");
    auto choice = audioChoice(parser);
    if (!choice)
        return usageError(QString::fromStdString(choice.status().message()));
    bool ok = false;
    const double fade = parser.value("fade").toDouble(&ok);
    if (!ok || !(fade >= 0.0) || fade > 10000.0)
        return usageError("--fade must be a number of ms from 0 to 10000");
    double seconds = -1.0;
    if (parser.isSet("seconds")) {
        seconds = parser.value("seconds").toDouble(&ok);
        if (!ok || !(seconds > 0.0))
            return usageError("--seconds must be a number above 0");
    }

    RecorderOptions recorderOptions;
    const QString recordFormat = parser.value("record-format");
    if (recordFormat == "pcm24")
        recorderOptions.format = SampleFormat::Pcm24;
    else if (recordFormat == "pcm16")
        recorderOptions.format = SampleFormat::Pcm16;
    else if (recordFormat == "float")
        recorderOptions.format = SampleFormat::Float32;
    else
        return usageError("--record-format must be pcm24, pcm16 or float");
    const QString recordPath = parser.value("record");
    if (parser.isSet("record") && recordPath.isEmpty())
        return usageError("--record needs a file name");

    auto loaded = loadPatchFile(positional.first());
    if (!loaded)
        return failure(QString::fromStdString(loaded.status().message()));
    for (const QString& warning : loaded->warnings)
        err() << "chronus play: warning: " << warning << "\n";

    // The patch is known before the device opens: a patch that reads input opens the capture too.
    // When only the patch asked for it, a device with nothing to capture from still plays.
    const bool inputAsked = choice->driver.input;
    for (const engine::PatchNode& node : loaded->graph.nodes())
        if (node.type == &engine::AudioIn::kType)
            choice->driver.input = true;
    auto opened = openAudio(kCommand, choice.value());
    if (!opened && choice->driver.input && !inputAsked) {
        err() << "chronus play: no input: " << QString::fromStdString(opened.status().message())
              << "; audio_in plays silence\n";
        choice->driver.input = false;
        opened = openAudio(kCommand, choice.value());
    }
    if (!opened)
        return failure(QString::fromStdString(opened.status().message()));
    audio::AudioDriver& driver = *opened->driver;

    engine::EngineConfig config;
    config.sampleRate = driver.sampleRate();
    config.blockSize = 64;
    config.ringTargetBlocks = choice->ringBlocks;
    config.memoryBudgetBytes = choice->memoryBudgetBytes;
    config.workers = workerMode("play", choice.value());
    config.fadeMs = fade;
    config.hotMirror = !parser.isSet("cold-mirror");
    engine::SlotEngine engine(config);
    if (auto s = engine.start(); !s)
        return failure(QString::fromStdString(s.message()));
    if (auto s = engine.loadPending(loaded->graph); !s)
        return failure(QString::fromStdString(s.message()));
    audio::MidiFeed midi(engine, choice->driver.clientName); // outlives the callback, which reads it
    audio::MidiOutput midiOut(choice->driver.clientName);   // the same
    // Lives until after driver.stop(): the callback feeds its tap.
    Recorder recorder(driver.sampleRate(), recorderOptions);
    audio::EngineCallback callback(engine, &recorder.tap());
    callback.setMidi(&midi);
    if (auto s = driver.start(callback); !s)
        return failure(QString::fromStdString(s.message()));
    openMidi("play", choice.value(), midi);
    openMidiOut("play", choice.value(), midiOut, callback);
    if (!recordPath.isEmpty()) {
        // Opened before the commit, so the file starts with the first block of the patch.
        if (auto started = recorder.startFile(recordPath); !started) {
            driver.stop();
            return failure(QString::fromStdString(started.status().message()));
        }
    }
    auto committed = engine.commit();
    if (!committed) {
        driver.stop();
        return failure(QString::fromStdString(committed.status().message()));
    }
    const DriverStatus info = driverStatus(driver);
    err() << "chronus play: playing " << positional.first() << " on " << info.name << " ("
          << QString::fromStdString(driver.deviceName()) << "), " << driver.sampleRate() << " Hz, "
          << driver.blockSize() << "-frame callbacks; prime " << QString::number(committed->primeMs, 'f', 2)
          << " ms, commit " << QString::number(committed->commitMs, 'f', 2) << " ms"
          << (seconds > 0 ? QString(" for %1 s").arg(seconds) : QString("; Ctrl+C stops")) << "\n";
    err().flush();

    std::signal(SIGINT, onSignal);
    std::signal(SIGTERM, onSignal);
    stopOnHangup(onSignal);
    const auto begin = std::chrono::steady_clock::now();
    auto nextPrint = begin + std::chrono::seconds(1);
    engine::EngineStats seen = engine.stats();
    while (!g_stop.load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        const engine::EngineStats current = engine.stats();
        for (const QString& line : engineEvents(seen, current))
            err() << "chronus play: " << line << "\n";
        err().flush();
        seen = current;
        const auto now = std::chrono::steady_clock::now();
        const double elapsed = std::chrono::duration<double>(now - begin).count();
        if (seconds > 0 && elapsed >= seconds)
            break;
        if (now >= nextPrint) {
            nextPrint += std::chrono::seconds(1);
            const engine::EngineStats stats = engine.stats();
            if (parser.isSet("json"))
                out() << QJsonDocument(statusJson(stats, driverStatus(driver))).toJson(QJsonDocument::Compact) << "\n";
            else
                out() << statusLine(stats, driverStatus(driver)) << "\n";
            out().flush();
        }
    }
    int exitCode = 0;
    if (!recordPath.isEmpty()) {
        if (auto finished = recorder.stop()) {
            err() << "chronus play: recorded " << finished->path << " (" << QString::number(finished->seconds, 'f', 2)
                  << " s" << (finished->droppedFrames ? QString(", %1 frames dropped").arg(finished->droppedFrames) : QString())
                  << ")\n";
        } else {
            err() << "chronus play: recording: " << QString::fromStdString(finished.status().message()) << "\n";
            exitCode = 1;
        }
        err().flush();
    }
    const engine::EngineStats stats = engine.stats();
    driver.stop();
    engine.stop();
    const DriverStatus final = driverStatus(driver);
    if (parser.isSet("json"))
        out() << QJsonDocument(statusJson(stats, final)).toJson(QJsonDocument::Compact) << "\n";
    else
        out() << statusLine(stats, final) << "\n";
    out().flush();
    return exitCode;
}

} // namespace chronus::app
