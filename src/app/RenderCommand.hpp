#pragma once
#include <QStringList>

namespace chronus::app {

// `chronus render PATCH.json --seconds S --out OUT.wav [--rate HZ] [--block N] [--format F]
// [--input IN.wav] [--analyze [--json]]` (with --input, --seconds may be left out: the file's length;
// with --analyze, --out may be: the summary of AudioAnalysis is printed).
// Returns the process exit code. `args` starts with "render".
int runRenderCommand(const QStringList& args);

} // namespace chronus::app
