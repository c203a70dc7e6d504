// chronus: one executable, subcommands in the usual command-line style.

#include "CtlCommand.hpp"
#include "PlayCommand.hpp"
#include "RenderCommand.hpp"
#include "ServeCommand.hpp"

#include <QCoreApplication>
#include <QTextStream>

namespace {

constexpr auto kUsage = R"(Usage: chronus [--help] [--version] <command> [args]

Chronus is a modular synthesizer for making music together with an AI agent.

Commands:
  play PATCH.json [--audio auto|jack|pulse|alsa|null] [--seconds S] [--json]
                 play a patch live through the dual-slot engine, printing its status
  serve [--osc-port N] [--audio auto|jack|pulse|alsa|null] [--fresh]
                 the headless engine with its OSC server (127.0.0.1:5005), for agents
  ctl [--port N] [--json] VERB ARGS...
                 one request to a running engine (create, connect, set, commit, mod, gate,
                 status, schema, dump, ...); 'chronus ctl --help' shows a worked example
  render PATCH.json --seconds S --out OUT.wav [--rate HZ] [--block N] [--format F]
                 render a patch offline to a WAV file, faster than real time

Run 'chronus <command> --help' for a command's options.
)";

} // namespace

int main(int argc, char* argv[]) {
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName("chronus");
    QCoreApplication::setOrganizationName("chronus");
    QCoreApplication::setApplicationVersion(CHRONUS_VERSION);
    QTextStream out(stdout);
    QTextStream err(stderr);

    QStringList args = QCoreApplication::arguments();
    args.removeFirst();
    if (args.isEmpty() || args.first() == "--help" || args.first() == "-h" || args.first() == "help") {
        out << kUsage;
        return args.isEmpty() ? 2 : 0;
    }
    if (args.first() == "--version" || args.first() == "-v") {
        out << "chronus " << CHRONUS_VERSION << "\n";
        return 0;
    }
    if (args.first() == "play")
        return chronus::app::runPlayCommand(args);
    if (args.first() == "ctl")
        return chronus::app::runCtlCommand(args);
    if (args.first() == "serve")
        return chronus::app::runServeCommand(args);
    if (args.first() == "render")
        return chronus::app::runRenderCommand(args);
    err << "chronus: unknown command '" << args.first() << "'\n" << kUsage;
    return 2;
}
