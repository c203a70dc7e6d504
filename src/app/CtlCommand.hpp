#pragma once
#include <QStringList>

namespace chronus::app {

// `chronus ctl [--host H] [--port N] [--json] [--timeout MS] VERB ARGS...`: the command-line OSC
// client of `chronus serve`. One request per call: it sends one OSC message, waits for
// the matching `/reply` or `/error` and prints it as human text or, with --json, as one JSON
// object. `status --watch` polls until Ctrl+C. Control thread only; blocks for at most the
// timeout per request.
//
// Returns the process exit code: 0 done, 1 the server answered /error, 2 usage error, 3 no answer
// within the timeout (or the host cannot be reached). `args` starts with "ctl".
int runCtlCommand(const QStringList& args);

} // namespace chronus::app
