#pragma once
#include <QStringList>

namespace chronus::app {

// `chronus render PATCH.json --seconds S --out OUT.wav [--rate HZ] [--block N] [--format F]
// [--input IN.wav]` (with --input, --seconds may be left out: the file's length).
// Returns the process exit code. `args` starts with "render".
int runRenderCommand(const QStringList& args);

} // namespace chronus::app
