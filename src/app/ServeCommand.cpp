#include "ServeCommand.hpp"

#include "CaptureOnDemand.hpp"
#include "CommandLine.hpp"
#include "EditJournal.hpp"
#include "EngineStatus.hpp"
#include "OscServer.hpp"
#include "PatchController.hpp"
#include "PatchFile.hpp"
#include "Recorder.hpp"
#include "UserPaths.hpp"
#include "audio/EngineCallback.hpp"
#include "audio/OpenDriver.hpp"
#include "engine/SlotEngine.hpp"

#include <QCommandLineParser>
#include <QDateTime>
#include <QFile>
#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>

#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>

namespace chronus::app {

namespace {
std::atomic<bool> g_stop{false};
extern "C" void onStopSignal(int) { g_stop.store(true); }

const QString kCommand = QStringLiteral("serve");
// Past this, the next change rewrites the autosave file and empties the journal.
constexpr qint64 kCompactJournalBytes = 4 << 20;
QTextStream& err() { return stdErr(); }
QTextStream& out() { return stdOut(); }
int usageError(const QString& message) { return app::usageError(kCommand, message); }
int failure(const QString& message) { return app::failure(kCommand, message); }

// autosave.json -> autosave.unrestored-20261207-061500.json (-2, -3, ... if that exists too).
QString setAsideName(const QString& path) {
    const QFileInfo info(path);
    const QString stem = info.dir().filePath(info.completeBaseName() + QStringLiteral(".unrestored-") +
                                             QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss")));
    QString name = stem + QStringLiteral(".json");
    for (int n = 2; QFileInfo::exists(name); ++n)
        name = stem + QStringLiteral("-%1.json").arg(n);
    return name;
}
} // namespace

int runServeCommand(const QStringList& args) {
    QCommandLineParser parser;
    parser.setApplicationDescription(
        "The headless engine with its OSC server: an agent (or `chronus ctl`) builds, commits and plays\n"
        "patches over OSC. Runs until Ctrl+C or SIGTERM. Every change is on disk before its reply (the\n"
        "autosave file and its journal); the next start restores what was committed and pending. /record/start writes WAV files into the recordings folder; a recording\n"
        "still running at Ctrl+C or SIGTERM is finished properly.");
    parser.addHelpOption();
    addOscOptions(parser);
    addAudioOptions(parser);
    parser.addOption({"cold-mirror", "Do not render the standby in step (halves the DSP load)."});
    parser.addOption({"patches", "Folder for /patch/save and /patch/load (default: " + QDir::toNativeSeparators(QDir(dataFolder()).filePath("patches")) + ").", "DIR"});
    parser.addOption({"recordings",
                      "Folder for /record/start (default: " + QDir::toNativeSeparators(Recorder::defaultFolder()) +
                          "; created when needed).",
                      "DIR"});
    parser.addOption({"record-format", "Sample format of recordings: pcm24 (default), pcm16 or float.", "F", "pcm24"});
    parser.addOption({"autosave", "Autosave file (default: " + QDir::toNativeSeparators(QDir(stateFolder()).filePath("autosave.json")) + ").", "FILE"});
    parser.addOption({"fresh", "Start from the empty patch; do not restore the autosave."});
    parser.addOption(
        {"fresh-after-commit",
         "After every commit the next edit starts from the empty patch: edits build a new patch from "
         "scratch, as the predecessor's scripts expect (default: edits start from what plays)."});
    parser.addOption({"status", "Print the engine's status line every S seconds.", "S"});
    if (!parser.parse(args))
        return usageError(parser.errorText());
    if (parser.isSet("help")) {
        out() << commandHelp(parser, kCommand);
        return 0;
    }
    if (!parser.positionalArguments().isEmpty())
        return usageError("unexpected argument '" + parser.positionalArguments().first() + "'");
    bool ok = false;
    OscServerOptions options;
    if (auto s = oscChoice(kCommand, parser, options); !s)
        return usageError(QString::fromStdString(s.message()));
    auto choice = audioChoice(parser);
    if (!choice)
        return usageError(QString::fromStdString(choice.status().message()));
    double statusEvery = 0.0;
    if (parser.isSet("status")) {
        statusEvery = parser.value("status").toDouble(&ok);
        if (!ok || !(statusEvery > 0.0))
            return usageError("--status must be a number of seconds above 0");
    }
    RecorderOptions recorderOptions;
    recorderOptions.folder = parser.isSet("recordings") ? parser.value("recordings") : Recorder::defaultFolder();
    if (recorderOptions.folder.isEmpty())
        return usageError("--recordings must not be empty");
    const QString recordFormat = parser.value("record-format");
    if (recordFormat == "pcm24")
        recorderOptions.format = SampleFormat::Pcm24;
    else if (recordFormat == "pcm16")
        recorderOptions.format = SampleFormat::Pcm16;
    else if (recordFormat == "float")
        recorderOptions.format = SampleFormat::Float32;
    else
        return usageError("--record-format must be pcm24, pcm16 or float");
    if (!parser.isSet("patches") || !parser.isSet("autosave")) { // the user's own folders are used
        for (const QString& line : migrateOldDataFolder())
            err() << "chronus serve: " << line << "\n";
        err().flush();
    }
    const QString patchesDir = parser.isSet("patches") ? parser.value("patches") : QDir(dataFolder()).filePath("patches");
    const QString autosavePath =
        parser.isSet("autosave") ? parser.value("autosave") : QDir(stateFolder()).filePath("autosave.json");

    auto opened = openAudio(kCommand, choice.value());
    if (!opened)
        return failure(QString::fromStdString(opened.status().message()));
    audio::AudioDriver& driver = *opened->driver;

    engine::EngineConfig config;
    config.sampleRate = driver.sampleRate();
    config.blockSize = 64;
    config.ringTargetBlocks = choice->ringBlocks;
    config.memoryBudgetBytes = choice->memoryBudgetBytes;
    config.workers = workerMode("serve", choice.value());
    config.hotMirror = !parser.isSet("cold-mirror");
    engine::SlotEngine engine(config);
    if (auto s = engine.start(); !s)
        return failure(QString::fromStdString(s.message()));
    audio::MidiFeed midi(engine, choice->driver.clientName); // outlives the callback, which reads it
    audio::MidiOutput midiOut(choice->driver.clientName);   // the same
    // Lives until after driver.stop(): the callback feeds its tap.
    Recorder recorder(driver.sampleRate(), recorderOptions);
    audio::EngineCallback callback(engine, &recorder.tap());
    callback.setMidi(&midi);
    if (auto s = driver.start(callback); !s)
        return failure(QString::fromStdString(s.message()));
    openMidi("serve", choice.value(), midi);
    openMidiOut("serve", choice.value(), midiOut, callback);

    // The last session, unless asked not to: the committed patch of the autosave file, with the
    // journal's records on top (what was committed and pending at the last acknowledgement). A state
    // that cannot be restored (truncated, a module type this version lacks, unhealthy) is set aside
    // under a new name, so that this session's autosave never overwrites it, and the reason is said
    // at once.
    EditJournal journal(EditJournal::pathFor(autosavePath));
    QString restored;
    QString autosaveProblem;
    bool autosaveOn = true;
    if (!parser.isSet("fresh") && (QFileInfo::exists(autosavePath) || QFileInfo(journal.path()).size() > 0)) {
        const EditJournal::Replay replay = EditJournal::replay(journal.path());
        if (!replay.problem.isEmpty()) { // a record the kill cut short, before its reply: said, not fatal
            err() << "chronus serve: " << replay.problem << "\n";
            err().flush();
        }
        const auto fromJournal = [&](const char* key) {
            return parsePatch(QJsonDocument(replay.state.value(QLatin1String(key)).toObject()).toJson(QJsonDocument::Compact),
                              QDir::toNativeSeparators(journal.path()));
        };
        QString why;
        auto loaded = replay.state.contains("committed") ? fromJournal("committed")
                      : QFileInfo::exists(autosavePath)  ? loadPatchFile(autosavePath)
                                                         : engine::Result<LoadedPatch>(LoadedPatch{});
        if (!loaded) {
            why = QString::fromStdString(loaded.status().message());
        } else if (auto s = engine.loadPending(loaded->graph); !s) {
            why = QString::fromStdString(s.message());
        } else if (auto c = engine.commit(); !c) {
            why = QString::fromStdString(c.status().message());
            (void)engine.abort();
        } else {
            restored = QStringLiteral("restored %1 (%2 modules)").arg(autosavePath).arg(loaded->graph.nodes().size());
        }
        if (why.isEmpty() && replay.state.contains("pending")) { // the edits acknowledged since
            auto pending = fromJournal("pending");
            if (!pending) {
                why = QString::fromStdString(pending.status().message());
            } else if (auto s = engine.loadPending(pending->graph); !s) {
                why = QString::fromStdString(s.message());
                (void)engine.abort();
            } else if (!(pending->graph == loaded->graph)) {
                restored += QStringLiteral(" with its pending edits (%1 modules)").arg(pending->graph.nodes().size());
            }
        }
        if (!why.isEmpty()) {
            const QString aside = setAsideName(autosavePath);
            const bool hadFile = QFileInfo::exists(autosavePath);
            const bool hadJournal = QFileInfo::exists(journal.path());
            if ((!hadFile || QFile::rename(autosavePath, aside)) &&
                (!hadJournal || QFile::rename(journal.path(), EditJournal::pathFor(aside)))) {
                autosaveProblem = QStringLiteral("the autosave was not restored (%1); it is kept as %2")
                                      .arg(why, hadFile ? aside : EditJournal::pathFor(aside));
            } else {
                autosaveOn = false;
                autosaveProblem = QStringLiteral("the autosave was not restored (%1) and could not be set aside; "
                                                 "this session does not autosave, so %2 stays as it is")
                                      .arg(why, autosavePath);
            }
            err() << "chronus serve: " << autosaveProblem << "\n";
            err().flush();
        }
    }

    // What is acknowledged is kept: each change that takes goes into the journal (one write) before
    // its reply; each commit (and a journal grown large) rewrites the autosave file, fsync'd, and
    // empties the journal.
    engine::PatchGraph lastCommitted; // the OSC controller thread's, then the main thread's after it stopped
    QJsonObject lastCommittedJson;
    const auto persist = [&](bool snapshot) -> engine::Status {
        if (snapshot || journal.size() > kCompactJournalBytes)
            if (auto s = journal.compact([&] { return savePatchFile(engine.committed(), autosavePath); }); !s)
                return s;
        return journal.append([&] {
            // Most changes leave what plays alone: its JSON is built again only when it changed (the
            // journal then sees the same object and writes only the pending patch).
            engine::PatchGraph committed = engine.committed();
            if (!(committed == lastCommitted) || lastCommittedJson.isEmpty()) {
                lastCommittedJson = patchJson(committed);
                lastCommitted = std::move(committed);
            }
            return QJsonObject{{"committed", lastCommittedJson}, {"pending", patchJson(engine.pending())}};
        });
    };
    if (autosaveOn) {
        engine::Status s = journal.open();
        if (s)
            s = persist(true);
        if (!s) { // said here, and in the reply of each change until the journal can be written
            err() << "chronus serve: autosave failed: " << QString::fromStdString(s.message())
                  << " (changes are made, but not kept)\n";
            err().flush();
        }
    }

    // A committed patch that reads input opens the capture if --input did not (the restored one
    // here; the next ones on the OSC controller thread, which also reads the driver for status).
    CaptureOnDemand capture(driver, callback, engine, choice->driver);
    const auto sayCapture = [](const std::string& line) {
        if (line.empty())
            return;
        err() << "chronus serve: " << QString::fromStdString(line) << "\n";
        err().flush();
    };
    sayCapture(capture.check());

    options.patchesDir = patchesDir;
    options.autosaveProblem = autosaveProblem.toStdString();
    options.freshAfterCommit = parser.isSet("fresh-after-commit");
    // The one writer of the engine's patch; on the OSC server's controller thread, which runs every
    // request (slot operations block that thread, not the network's).
    PatchController patch(engine);
    OscServer server(engine, patch, options);
    server.setDriver(&driver);
    server.setRecorder(&recorder);
    server.setMidi(&midi);
    server.setMidiOut(&midiOut, &callback);
    server.setAcknowledgeObserver([&persist, autosaveOn, &capture, &sayCapture](const std::string& address) -> std::string {
        sayCapture(capture.check());
        if (!autosaveOn)
            return {};
        if (auto s = persist(address == "/patch/commit" || address == "/patch/undo_commit"); !s) {
            const std::string warning = "autosave failed: " + s.message() + " (the change is made, but not kept)";
            err() << "chronus serve: " << QString::fromStdString(warning) << "\n";
            err().flush();
            return warning;
        }
        return {};
    });
    if (auto s = server.start(); !s) {
        driver.stop();
        return failure(QString::fromStdString(s.message()));
    }

    // SIGHUP (the terminal closed, or a service manager's reload-as-stop) ends it as cleanly.
    std::signal(SIGINT, onStopSignal);
    std::signal(SIGTERM, onStopSignal);
    stopOnHangup(onStopSignal);
    out() << "chronus serve: listening on " << QString::fromStdString(options.host) << ":" << server.port()
          << " (OSC over UDP and TCP); audio: " << QString::fromStdString(driver.name()) << " ("
          << QString::fromStdString(driver.deviceName()) << "), " << driver.sampleRate() << " Hz, "
          << driver.blockSize()
          << "-frame callbacks; recordings: " << QDir::toNativeSeparators(recorder.folder())
          << (restored.isEmpty() ? QString() : "; " + restored)
          << (options.freshAfterCommit ? "; each commit empties the pending patch" : "") << "\n";
    out().flush();

    auto nextStatus = std::chrono::steady_clock::now();
    auto nextSync = std::chrono::steady_clock::now();
    engine::EngineStats seen = engine.stats();
    while (!g_stop.load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        // Changes since the last commit are in the page cache; once a second they go to the disk, so a
        // power loss takes at most the last second's.
        if (std::chrono::steady_clock::now() >= nextSync) {
            nextSync += std::chrono::seconds(1);
            if (auto s = journal.sync(); !s)
                err() << "chronus serve: autosave: " << QString::fromStdString(s.message()) << "\n";
        }
        const engine::EngineStats now = engine.stats();
        for (const QString& line : engineEvents(seen, now))
            err() << "chronus serve: " << line << "\n";
        err().flush();
        seen = now;
        if (statusEvery > 0.0 && std::chrono::steady_clock::now() >= nextStatus) {
            nextStatus += std::chrono::milliseconds(static_cast<long>(statusEvery * 1000.0));
            std::unique_lock lock(capture.mutex()); // the driver may be reopening for its capture
            const DriverStatus info = driverStatus(driver);
            lock.unlock();
            out() << statusLine(engine.stats(), info) << "\n";
            out().flush();
        }
    }
    server.stop();
    // A recording still running ends here, while the audio still plays its last block: the
    // file is complete and valid.
    if (recorder.status().recording) {
        if (auto finished = recorder.stop())
            out() << "chronus serve: recording saved to " << finished->path << " ("
                  << QString::number(finished->seconds, 'f', 2) << " s)\n";
        else
            err() << "chronus serve: recording: " << QString::fromStdString(finished.status().message()) << "\n";
    }
    // The autosave file gets the committed patch, the emptied journal what is pending.
    const engine::Status saved = autosaveOn ? persist(true) : engine::Status{};
    driver.stop();
    engine.stop();
    if (!saved)
        return failure("autosave failed: " + QString::fromStdString(saved.message()));
    const OscCounters c = server.counters();
    out() << "chronus serve: stopped; " << c.requests << " requests (" << c.errors << " errors, " << c.malformed
          << " malformed packets, " << c.busy << " refused while busy, " << c.refused << " from outside --allow dropped, "
          << c.tcpRejected + c.tcpDropped << " TCP connections closed over a limit); "
          << (autosaveOn ? "committed patch saved to " + autosavePath : QStringLiteral("autosave was off")) << "\n";
    return 0;
}

} // namespace chronus::app
