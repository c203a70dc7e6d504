#include "CommandLine.hpp"

#include <QCoreApplication>

#include <csignal>

#include "OscServer.hpp"
#include "engine/Types.hpp"
#include "engine/proc/WorkerProcess.hpp"

namespace chronus::app {

QTextStream& stdOut() {
    static QTextStream s(stdout);
    return s;
}

QTextStream& stdErr() {
    static QTextStream s(stderr);
    return s;
}

int usageError(const QString& command, const QString& message) {
    stdErr() << "chronus " << command << ": " << message << "\nTry 'chronus " << command << " --help'.\n";
    stdErr().flush();
    return 2;
}

int failure(const QString& command, const QString& message) {
    stdErr() << "chronus " << command << ": " << message << "\n";
    stdErr().flush();
    return 1;
}

void addAudioOptions(QCommandLineParser& parser) {
    parser.addOption({"audio", "Audio driver: auto, jack, pulse, alsa or null (default auto; auto falls back to "
                               "null, the clock-paced driver with no sound, and says so).", "DRIVER", "auto"});
    parser.addOption({"device", "Output device: an index or (part of) a name (default: the default output).", "DEV"});
    parser.addOption({"input",
                      "Open the device's capture channels for audio_in modules (JACK: input ports chronus:inport 0 "
                      "and 1). Without it no capture stream is opened until a patch with an audio_in is committed "
                      "(play opens it at start; serve and the editor reopen the stream then, a short pause)."});
    parser.addOption({"rate", "Sample rate in Hz (default 48000; JACK imposes its own).", "HZ", "48000"});
    parser.addOption({"block", "Frames per device callback requested (default 64; the device may differ).", "N", "64"});
    parser.addOption({"ring",
                      "Blocks of 64 frames each slot keeps ready at start (default 2: 2.67 ms at 48 kHz). A callback that "
                      "finds the ring empty or one block from empty grows it by one block, up to 8 (or N), and the log says so.",
                      "N", "2"});
    parser.addOption({"memory-budget",
                      "The most memory one patch may need, in MiB (default 1024): an edit or a load beyond it is "
                      "refused with its cost.",
                      "MB", "1024"});
    parser.addOption({"midi-in",
                      "MIDI input: a source port's name (or part of it), auto (the first keyboard found) or none "
                      "(default). JACK MIDI while a JACK server runs, else the ALSA sequencer; a port that comes "
                      "later, or comes back, is connected then.",
                      "NAME", "none"});
    parser.addOption({"midi-out",
                      "MIDI output: the JACK MIDI input port (its name or part of it) the patch's midi_out modules "
                      "play, or none (default). Needs a JACK server; events land at their own frame, one period on.",
                      "NAME", "none"});
    parser.addOption({"workers",
                      "Where the two slots render: processes (default: a crash in a module costs one slot, which is "
                      "restarted while the other plays on) or threads.",
                      "MODE", "processes"});
}

engine::Result<AudioChoice> audioChoice(const QCommandLineParser& parser) {
    using engine::ErrorCode;
    using engine::Status;
    AudioChoice choice;
    bool ok = false;
    choice.driver.sampleRate = parser.value("rate").toDouble(&ok);
    if (!ok || choice.driver.sampleRate < engine::kMinSampleRate || choice.driver.sampleRate > engine::kMaxSampleRate)
        return Status::error(ErrorCode::InvalidArgument, "--rate must be a number of Hz from 22050 to 192000");
    choice.driver.blockSize = parser.value("block").toInt(&ok);
    if (!ok || choice.driver.blockSize < 1 || choice.driver.blockSize > 8192)
        return Status::error(ErrorCode::InvalidArgument, "--block must be a whole number from 1 to 8192");
    choice.ringBlocks = parser.value("ring").toInt(&ok);
    if (!ok || choice.ringBlocks < 1 || choice.ringBlocks > 64)
        return Status::error(ErrorCode::InvalidArgument, "--ring must be a whole number from 1 to 64");
    const qint64 budget = parser.value("memory-budget").toLongLong(&ok);
    if (!ok || budget < 16 || budget > 1024 * 1024)
        return Status::error(ErrorCode::InvalidArgument, "--memory-budget must be a whole number of MiB from 16 to 1048576");
    choice.memoryBudgetBytes = static_cast<std::size_t>(budget) << 20;
    const auto workers = engine::workerModeFromName(parser.value("workers").toStdString());
    if (!workers)
        return Status::error(ErrorCode::InvalidArgument, "--workers must be processes or threads");
    choice.workers = *workers;
    choice.driver.device = parser.value("device").toStdString();
    choice.driver.input = parser.isSet("input");
    choice.driverName = parser.value("audio").toStdString();
    choice.midiIn = parser.value("midi-in").toStdString();
    if (choice.midiIn.empty())
        return Status::error(ErrorCode::InvalidArgument, "--midi-in must name a port, auto or none");
    choice.midiOut = parser.value("midi-out").toStdString();
    if (choice.midiOut.empty())
        return Status::error(ErrorCode::InvalidArgument, "--midi-out must name a port or none");
    return choice;
}

engine::WorkerMode workerMode(const QString& command, const AudioChoice& choice) {
    if (choice.workers == engine::WorkerMode::Processes && engine::WorkerProcess::findExecutable().empty()) {
        stdErr() << "chronus " << command
                 << ": the slot worker program (chronus-slot-worker) is missing; the slots render in threads "
                    "(a crash in a module stops the program)\n";
        stdErr().flush();
        return engine::WorkerMode::Threads;
    }
    return choice.workers;
}

engine::Result<audio::OpenedDriver> openAudio(const QString& command, const AudioChoice& choice) {
    auto opened = audio::openDriver(choice.driverName, choice.driver);
    if (!opened)
        return opened.status();
    if (!opened->message.empty())
        stdErr() << "chronus " << command << ": " << QString::fromStdString(opened->message) << "\n";
    if (!opened->driver->notice().empty())
        stdErr() << "chronus " << command << ": " << QString::fromStdString(opened->driver->notice()) << "\n";
    stdErr().flush();
    return opened;
}

void openMidi(const QString& command, const AudioChoice& choice, audio::MidiFeed& feed) {
    if (choice.midiIn == "none")
        return;
    if (auto s = feed.open(choice.midiIn); !s) {
        stdErr() << "chronus " << command << ": MIDI input: " << QString::fromStdString(s.message()) << "\n";
    } else if (feed.connected().empty()) {
        stdErr() << "chronus " << command << ": MIDI input: no source matches '" << QString::fromStdString(choice.midiIn)
                 << "' yet; it is connected when it appears\n";
    } else {
        stdErr() << "chronus " << command << ": MIDI input: " << QString::fromStdString(feed.connected()) << "\n";
    }
    stdErr().flush();
}

void openMidiOut(const QString& command, const AudioChoice& choice, audio::MidiOutput& out, audio::EngineCallback& callback) {
    if (choice.midiOut == "none")
        return;
    if (auto s = out.open(choice.midiOut); !s) {
        stdErr() << "chronus " << command << ": MIDI output: " << QString::fromStdString(s.message()) << "\n";
    } else {
        callback.setMidiOut(&out);
        stdErr() << "chronus " << command << ": MIDI output: " << QString::fromStdString(out.connectedPort()) << "\n";
    }
    stdErr().flush();
}

void stopOnHangup(void (*handler)(int)) {
    struct sigaction current {};
    if (::sigaction(SIGHUP, nullptr, &current) == 0 && current.sa_handler == SIG_IGN)
        return;
    std::signal(SIGHUP, handler);
}

void addOscOptions(QCommandLineParser& parser) {
    parser.addOption({"osc-port", "UDP and TCP port for OSC (default 5005; 0 picks a free one and prints it).", "N", "5005"});
    parser.addOption({"osc-host",
                      "Interface to listen on (default 127.0.0.1). Any other needs --allow: the engine is then "
                      "reachable from the network.",
                      "ADDR", "127.0.0.1"});
    parser.addOption({"allow",
                      "Who besides this machine may send OSC requests: a network such as 192.168.1.0/24 or one "
                      "address (repeat, or separate with commas). Others are dropped unanswered.",
                      "NETWORK"});
}

engine::Status oscChoice(const QString& command, const QCommandLineParser& parser, OscServerOptions& options) {
    using engine::ErrorCode;
    using engine::Status;
    bool ok = false;
    options.port = parser.value("osc-port").toInt(&ok);
    if (!ok || options.port < 0 || options.port > 65535)
        return Status::error(ErrorCode::InvalidArgument, "--osc-port must be a port number from 0 to 65535");
    options.host = parser.value("osc-host").toStdString();
    options.allow.clear();
    for (const QString& value : parser.values("allow"))
        for (const QString& item : value.split(',', Qt::SkipEmptyParts)) {
            auto subnet = OscSubnet::parse(item.trimmed().toStdString());
            if (!subnet)
                return Status::error(ErrorCode::InvalidArgument, "--allow: " + subnet.status().message());
            options.allow.push_back(subnet.value());
        }
    if (!QString::fromStdString(options.host).startsWith(QStringLiteral("127."))) {
        if (options.allow.empty())
            return Status::error(ErrorCode::InvalidArgument,
                                 "--osc-host " + options.host +
                                     " opens the engine to the network: name who may use it with --allow "
                                     "(e.g. --allow 192.168.1.0/24)");
        stdErr() << "chronus " << command << ": warning: OSC listens on " << QString::fromStdString(options.host)
                 << ": the engine can be driven from " << parser.values("allow").join(',')
                 << " (OSC has no passwords; requests from elsewhere are dropped)\n";
        stdErr().flush();
    }
    return {};
}

QString commandHelp(const QCommandLineParser& parser, const QString& command) {
    QString help = parser.helpText();
    const QString program = QCoreApplication::arguments().value(0);
    const qsizetype at = help.indexOf(program);
    if (!program.isEmpty() && at >= 0 && at < help.indexOf(QLatin1Char('\n')))
        help.replace(at, program.size(), QStringLiteral("chronus ") + command);
    return help;
}

} // namespace chronus::app
