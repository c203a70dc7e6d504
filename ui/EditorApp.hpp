#pragma once
// `chronus` with no subcommand (or a patch file): the editor window, with the engine, the audio
// driver, the recorder and the OSC server, as `chronus serve` has them.

namespace chronus::editor {

// Builds its own QGuiApplication; returns the process exit code.
int runEditor(int argc, char* argv[]);

} // namespace chronus::editor
