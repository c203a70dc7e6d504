// chronus: one executable, subcommands in the usual command-line style.

#include "CtlCommand.hpp"
#include "PlayCommand.hpp"
#include "RenderCommand.hpp"
#include "ServeCommand.hpp"
#ifdef CHRONUS_WITH_EDITOR
#include "EditorApp.hpp"
#endif

#include <QCoreApplication>
#include <QTextStream>

#include <cstdio>
#include <cstring>
#include <string_view>

namespace {

constexpr auto kUsage = R"(Usage: chronus [--help] [--version] [<command>] [args]

Chronus is a modular synthesizer for making music together with an AI agent.

With no command, chronus opens the patch editor:
  chronus [PATCH.json] [--audio auto|jack|pulse|alsa|null] [--osc-port N] [--fresh]
                 the node editor, with the engine and its OSC server ('chronus editor --help')

Commands:
  play PATCH.json [--audio auto|jack|pulse|alsa|null] [--seconds S] [--json]
                 play a patch live through the dual-slot engine, printing its status
  serve [--osc-port N] [--audio auto|jack|pulse|alsa|null] [--fresh]
                 the headless engine with its OSC server (127.0.0.1:5005), for agents
  ctl [--port N] [--json] VERB ARGS...
                 one request to a running engine (create, connect, set, commit, mod, gate,
                 status, schema, dump, ...); 'chronus ctl --help' shows a worked example
  render PATCH.json --seconds S --out OUT.wav [--rate HZ] [--block N] [--format F] [--input IN.wav]
                 render a patch offline to a WAV file, faster than real time

Run 'chronus <command> --help' for a command's options.
)";

// The editor's own arguments: none, options, or a patch file. Anything else is a mistyped command.
bool opensEditor(int argc, char* argv[]) {
    if (argc < 2 || argv[1][0] == '-' || std::strcmp(argv[1], "editor") == 0)
        return true;
    const std::string_view first(argv[1]);
    return first.ends_with(".json") || first.find('/') != std::string_view::npos;
}

bool isCommand(const char* arg) {
    static const char* const kCommands[] = {"play", "ctl", "serve", "render", "help", "--help", "-h", "--version", "-v"};
    for (const char* c : kCommands)
        if (std::strcmp(arg, c) == 0)
            return true;
    return false;
}

} // namespace

int main(int argc, char* argv[]) {
    // The editor unless a command is named: `chronus`, `chronus song.json`, `chronus --audio jack`,
    // `chronus editor ...`.
    if (opensEditor(argc, argv) && (argc < 2 || !isCommand(argv[1]))) {
#ifdef CHRONUS_WITH_EDITOR
        if (argc >= 2 && std::strcmp(argv[1], "editor") == 0) {
            argv[1] = argv[0];
            return chronus::editor::runEditor(argc - 1, argv + 1);
        }
        return chronus::editor::runEditor(argc, argv);
#else
        std::fprintf(stderr, "chronus: this build has no editor (CHRONUS_EDITOR=OFF)\n%s", kUsage);
        return 2;
#endif
    }
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName("chronus");
    QCoreApplication::setOrganizationName("chronus");
    QCoreApplication::setApplicationVersion(CHRONUS_VERSION);
    QTextStream out(stdout);
    QTextStream err(stderr);

    QStringList args = QCoreApplication::arguments();
    args.removeFirst();
    if (args.first() == "--help" || args.first() == "-h" || args.first() == "help") {
        out << kUsage;
        return 0;
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
