#pragma once
#include <QStringList>

namespace chronus::app {

// `chronus play PATCH.json [--audio auto|jack|pulse|alsa|null] [--seconds S] ...`: plays a patch
// live through the dual-slot engine and prints the engine's status once a second until the time
// is up or SIGINT/SIGTERM. Returns the process exit code. `args` starts with "play".
int runPlayCommand(const QStringList& args);

} // namespace chronus::app
