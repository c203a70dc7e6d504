#pragma once
// What the subcommands share: their output streams, the two kinds of failure (exit 2: the command
// line was wrong; exit 1: the work failed), and the audio options of `play` and `serve`.

#include "audio/EngineCallback.hpp"
#include "audio/MidiFeed.hpp"
#include "audio/MidiOutput.hpp"
#include "audio/OpenDriver.hpp"
#include "engine/SlotEngine.hpp"
#include "engine/Status.hpp"

#include <QCommandLineParser>
#include <QString>
#include <QTextStream>

namespace chronus::app {

QTextStream& stdOut();
QTextStream& stdErr();

// "chronus <command>: <message>", then a pointer to --help; returns 2.
int usageError(const QString& command, const QString& message);
// "chronus <command>: <message>"; returns 1.
int failure(const QString& command, const QString& message);

// The parser's help with "chronus <command>" in its usage line (Qt puts the binary's path there).
QString commandHelp(const QCommandLineParser& parser, const QString& command);

// --audio, --device, --rate, --block, --ring, --memory-budget, --midi-in, --midi-out: the devices and the engine.
void addAudioOptions(QCommandLineParser& parser);
struct AudioChoice {
    audio::DriverConfig driver;
    std::string driverName;
    int ringBlocks = 2; // EngineConfig::ringTargetBlocks
    std::size_t memoryBudgetBytes = std::size_t{1} << 30; // per patch (EngineConfig::memoryBudgetBytes)
    engine::WorkerMode workers = engine::WorkerMode::Processes;
    std::string midiIn = "none"; // a MIDI source port, "auto" or "none"
    std::string midiOut = "none"; // a JACK MIDI input port the patch's midi_out modules play, or "none"
};
// The parsed audio options, or the usage error to report.
engine::Result<AudioChoice> audioChoice(const QCommandLineParser& parser);
// The worker mode to run: the chosen one, or threads (said on stderr) when the worker program is
// missing.
engine::WorkerMode workerMode(const QString& command, const AudioChoice& choice);
// Opens the chosen driver; says on stderr what differs from the request (a fallback, JACK's rate).
engine::Result<audio::OpenedDriver> openAudio(const QString& command, const AudioChoice& choice);

// Opens --midi-in on `feed` (nothing for none) and says on stderr what it connected, or that nothing
// matches yet, or why MIDI is not available; the audio plays on in every case.
void openMidi(const QString& command, const AudioChoice& choice, audio::MidiFeed& feed);
// Opens --midi-out on `out` (nothing for none) and hands it to `callback`, saying on stderr where it
// plays or why not (the audio plays on in every case). `out` must outlive the stream.
void openMidiOut(const QString& command, const AudioChoice& choice, audio::MidiOutput& out, audio::EngineCallback& callback);

// SIGHUP runs `handler` (a clean stop, as SIGTERM) unless it is ignored already: under `nohup`
// closing the terminal must not stop the engine.
void stopOnHangup(void (*handler)(int));

// --osc-port, --osc-host, --allow: where the OSC server listens and who may use it.
void addOscOptions(QCommandLineParser& parser);
struct OscServerOptions;
// Fills host, port and allow from the parsed options, or returns the usage error to report. A host
// other than loopback gets a warning on stderr (the engine is then reachable from the network).
engine::Status oscChoice(const QString& command, const QCommandLineParser& parser, OscServerOptions& options);

} // namespace chronus::app
