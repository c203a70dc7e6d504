#pragma once
#include <QStringList>

namespace chronus::app {

// `chronus serve [--osc-port N] [--audio auto|jack|pulse|alsa|null] ...`: the headless engine with
// the OSC server; runs until SIGINT/SIGTERM. Restores the autosaved committed patch unless --fresh.
// Returns the process exit code. `args` starts with "serve".
int runServeCommand(const QStringList& args);

} // namespace chronus::app
