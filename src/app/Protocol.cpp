#include "Protocol.hpp"

#include <algorithm>
#include <cctype>

namespace chronus::app::protocol {

namespace {

using O = Occurs;

// ---- arguments

constexpr Arg kModuleArgs[] = {
    {"id", 's', "the new module's id (letters, digits, '_', '-'; at most 64 bytes)"},
    {"type", 's', "its module type (see /engine/schema; seed names such as adsr work too)"}};
constexpr Arg kCableArgs[] = {
    {"source", 's', "'id' or 'id.port'; a bare id is its first output", "SRC"},
    {"destination", 's',
     "'id' or 'id.port'; a bare id is its first input; every patch has the output module 'out'", "DST"}};
constexpr Arg kIdArg[] = {{"id", 's', "a module's id"}};
constexpr Arg kSetArgs[] = {
    {"id", 's', "a module's id"},
    {"param", 's', "a parameter's id (or alias), or a text parameter (pattern, notes)"},
    {"value", 'v', "a number, or text: a discrete parameter's label, a pattern, notes"}};
constexpr Arg kFadeArg[] = {
    {"fade", 'n', "the crossfade in milliseconds, 0 to 10000 (default: the engine's)", "FADE_MS"}};
constexpr Arg kNameArg[] = {{"name", 's', "a file name in the patches folder (.json is added)"}};
constexpr Arg kFormatArg[] = {{"format", 's', "\"json\": the status as one JSON object"}};
constexpr Arg kRecordNameArg[] = {
    {"name", 's', "a plain file name in the recordings folder (default: the date and time)"}};
constexpr Arg kValueArg[] = {
    {"value", 'v', "a number, or text: a discrete parameter's label, a pattern, notes"}};
constexpr Arg kGateArg[] = {{"state", 'g', "1/0, on/off or true/false", "on|off"}};
constexpr Arg kMidiPortArg[] = {
    {"port", 's', "a MIDI source's name or part of it, auto (the first hardware source) or none", "NAME|auto|none"}};
constexpr Arg kMidiOutArg[] = {{"port", 's', "a JACK MIDI input port's name or part of it, or none", "NAME|none"}};

constexpr Arg kMidiMapArgs[] = {
    {"target", 's', "module.param: a parameter that changes live (not a channel count, not a step)", "MODULE.PARAM"},
    {"cc", 'n', "the MIDI controller number, 0 to 127"},
    {"channel", 'n', "the MIDI channel, 1 to 16, or 0 (the default) for any"},
    {"min", 'v', "the value at controller value 0 (default: the parameter's minimum)"},
    {"max", 'v', "the value at controller value 127 (default: the parameter's maximum)"}};
constexpr Arg kMidiTargetArg[] = {{"target", 's', "module.param", "MODULE.PARAM"}};
constexpr Arg kMidiLearnArgs[] = {
    {"target", 's', "module.param: a parameter that changes live", "MODULE.PARAM"},
    {"timeout", 'n', "how long to wait for a controller, in seconds, 1 to 600 (default 30)", "SECONDS"}};

// ---- reply fields

constexpr Field kWarning{"warning", 's', O::Optional,
                         "present when the change is made but could not be put on disk (the journal failed)"};
constexpr Field kCreateReply[] = {{"id", 's', O::Group, "the module's id"},
                                  {"type", 's', O::Group, "its module type (the seed name resolved)"},
                                  kWarning};
constexpr Field kCableReply[] = {{"from", 's', O::Group, "the source, as sent"},
                                 {"to", 's', O::Group, "the destination, as sent"},
                                 kWarning};
constexpr Field kDeleteReply[] = {{"id", 's', O::Once, "the deleted module's id"}, kWarning};
constexpr Field kWarningOnly[] = {kWarning};
constexpr Field kSetReply[] = {
    {"id", 's', O::Group, "the module's id"},
    {"param", 's', O::Group, "the parameter"},
    {"value", 'v', O::Group, "the value applied (after clamping), or the text as read back"},
    {"note", 's', O::Optional, "one edit that was clamped: \"clamped to MIN..MAX\""},
    kWarning};
constexpr Field kPrimeReply[] = {{"slot", 'i', O::Once, "the standby slot primed (0 = A, 1 = B)"},
                                 {"prime_ms", 'f', O::Once, "how long priming took, in ms"}};
constexpr Field kCommitReply[] = {{"slot", 'i', O::Once, "the slot playing now (0 = A, 1 = B)"},
                                  {"prime_ms", 'f', O::Once, "how long priming took, in ms"},
                                  {"commit_ms", 'f', O::Once, "how long the switch took, in ms"},
                                  kWarning};
constexpr Field kStepReply[] = {{"step", 's', O::Once, "what the step undone or redone was"}, kWarning};
constexpr Field kAbortReply[] = {
    {"standby_slot", 'i', O::Once, "the standby slot, back on the playing patch"}, kWarning};
constexpr Field kValidateReply[] = {{"modules", 'i', O::Once, "modules in the pending patch"},
                                    {"cables", 'i', O::Once, "cables in the pending patch"}};
constexpr Field kSaveReply[] = {{"path", 's', O::Once, "the file written"}};
constexpr Field kLoadReply[] = {
    {"path", 's', O::Once, "the file read"},
    {"modules", 'i', O::Once, "modules in the loaded patch"},
    {"warnings", 's', O::Rest, "what loading changed (e.g. a value clamped to its range)"}};
constexpr Field kDumpReply[] = {{"pending", 'j', O::Once, "the pending patch, patch-file JSON"},
                                {"committed", 'j', O::Once, "the playing patch, patch-file JSON"}};
constexpr Field kStatusReply[] = {
    {"key", 's', O::Rest,
     "a status key (the README's Status section lists them; slots as slot0_..., slot1_...)"},
    {"value", 'x', O::Rest, "its value: int32 (booleans as 1/0), float or string"}};
constexpr Field kStatusJsonReply[] = {{"status", 'j', O::Once, "the status as one JSON object"}};
constexpr Field kSchemaReply[] = {
    {"schema", 'j', O::Once, "module types, aliases and this protocol, as JSON"}};
constexpr Field kRecordStartReply[] = {{"path", 's', O::Once, "the WAV file being written"}};
constexpr Field kRecordStopReply[] = {{"path", 's', O::Once, "the WAV file written"},
                                      {"duration", 'f', O::Once, "its length in seconds"}};
constexpr Field kRecordStatusReply[] = {
    {"recording", 'b', O::Once, "whether a recording runs"},
    {"path", 's', O::Once, "the current or last file (empty before the first recording)"},
    {"duration", 'f', O::Once, "its length in seconds so far"},
    {"dropped_frames", 'i', O::Once, "frames lost because the disk was too slow"},
    {"error", 's', O::Once, "why the last recording stopped on its own (empty when it did not)"}};
constexpr Field kModReply[] = {
    {"value", 'v', O::Once, "the value applied (after clamping), or the text as read back"},
    {"note", 's', O::Optional, "\"clamped\" when the value was clamped to its range"},
    kWarning};
constexpr Field kGateReply[] = {{"on", 'b', O::Once, "the gate's new state"}};
constexpr Field kMidiDevicesReply[] = {
    {"api", 's', O::Once, "jack or alsa: where the sources were found; none when neither is there"},
    {"name", 's', O::Rest, "a MIDI source port"},
    {"hardware", 'b', O::Rest, "whether it is a physical device"}};
constexpr Field kMidiMapReply[] = {
    {"target", 's', O::Once, "module.param"},
    {"cc", 'i', O::Once, "the controller number"},
    {"channel", 'i', O::Once, "its channel, 0 for any"},
    {"min", 'f', O::Once, "the value at 0 (clamped to the parameter's range)"},
    {"max", 'f', O::Once, "the value at 127 (clamped to the parameter's range)"},
    kWarning};
constexpr Field kMidiUnmapReply[] = {{"target", 's', O::Once, "module.param, no longer mapped"}, kWarning};
constexpr Field kMidiMapsReply[] = {
    {"target", 's', O::Rest, "module.param"},
    {"cc", 'i', O::Rest, "the controller number"},
    {"channel", 'i', O::Rest, "its channel, 0 for any"},
    {"min", 'f', O::Rest, "the value at 0"},
    {"max", 'f', O::Rest, "the value at 127"}};
constexpr Field kMidiInReply[] = {
    {"requested", 's', O::Once, "what is listened for: a name, auto, or empty for none"},
    {"connected", 's', O::Once, "the source connected now; empty until one matches (it is connected when it appears)"}};
constexpr Field kMidiOutReply[] = {{"connected", 's', O::Once, "the port the MIDI goes to now; empty for none"}};

// ---- errors, besides the argument checks every address has

constexpr const char* kCommon[] = {
    "expected (ARGUMENTS), got (TYPES): a missing, extra or wrongly typed argument",
    "argument N is not valid UTF-8",
    "argument N is too long (ids are at most 64 bytes, text values at most the patch's text limit)",
    "argument N must be a finite number",
    "at most 256 groups of (ARGUMENTS) in one request",
    "the address must be UTF-8, at most 256 bytes",
    "unknown address (known: ...)",
    "busy: N requests are waiting; this one was not applied",
    "the reply is too large for one OSC packet (use TCP)",
    "internal error: ...",
};
constexpr const char* kEditErrors[] = {
    "the pending patch could not be emptied for this edit: ... (serve --fresh-after-commit)",
    "no module 'ID'",
    "the standby slot's command queue is full; edit dropped",
    "the engine is not running",
};
constexpr const char* kCreateErrors[] = {
    "unknown module type 'TYPE' (known: ...)", "invalid module id 'ID'",
    "a module with id 'ID' already exists",    "a patch has at most N modules",
    "the output module 'out' is built in",     "the standby slot's command queue is full; edit dropped",
};
constexpr const char* kCableErrors[] = {
    "no module 'ID'",
    "module 'ID' has no port 'PORT'",
    "connecting SRC -> DST would make a cycle",
    "no such cable (disconnect)",
    "the standby slot's command queue is full; edit dropped",
};
constexpr const char* kDeleteErrors[] = {"no module 'ID'", "the output module 'out' cannot be deleted"};
constexpr const char* kSetErrors[] = {
    "no module 'ID'",
    "module 'ID' has no parameter 'PARAM'",
    "value for PARAM: not one of its labels (the message lists them)",
    "a text parameter's text does not parse (the message says where)",
};
constexpr const char* kPrimeErrors[] = {"prime failed: the standby could not compile the patch: ...",
                                        "prime timed out after N ms"};
constexpr const char* kCommitErrors[] = {
    "the fade must be at most 10000 ms", "prime failed: the standby could not compile the patch: ...",
    "commit timed out: the audio callback is not running; nothing switched",
    "out of memory; nothing switched"};
constexpr const char* kUndoCommitErrors[] = {
    "the fade must be at most 10000 ms", "nothing to undo: no commit since start",
    "commit timed out: the audio callback is not running; nothing switched"};
constexpr const char* kUndoErrors[] = {
    "nothing to undo",
    "undo of 'STEP' refused: what the step changed was changed since (the message names it); nothing was changed"};
constexpr const char* kRedoErrors[] = {
    "nothing to redo",
    "redo of 'STEP' refused: what the step changed was changed since (the message names it); nothing was changed"};
constexpr const char* kAbortErrors[] = {"the standby slot failed to rebuild the committed patch"};
constexpr const char* kValidateErrors[] = {
    "what compiling the pending patch found: a cycle, an unknown port, ..."};
constexpr const char* kFileErrors[] = {
    "a patch name is 1-64 letters, digits, spaces, '_', '-' or '.', with no path",
    "no patches folder is configured",
    "'NAME' in the patches folder is a symbolic link (or not a regular file)",
    "what reading or writing the file found (missing, unreadable, not a patch file: field and reason)",
};
constexpr const char* kNone[] = {"none of its own"};
constexpr const char* kStatusErrors[] = {"the only option is \"json\""};
constexpr const char* kRecordErrors[] = {
    "recording is not available: this server has no recorder",
    "a recording is already running / not recording",
    "what the recorder found (a bad name, an existing file, an unwritable folder)"};
constexpr const char* kRecordStatusErrors[] = {"recording is not available: this server has no recorder"};
constexpr const char* kModErrors[] = {
    "a live change is /mod/<id>/<param> with one number (or text: a pattern, notes, a label)",
    "no module 'ID'", "module 'ID' has no parameter 'PARAM'",
    "a slot's command queue is full; live change dropped"};
constexpr const char* kGateErrors[] = {"a gate is /gate/<id> with 1/0, on/off or true/false",
                                       "a gate takes 1/0, on/off or true/false", "no module 'ID'"};

constexpr const char* kMidiErrors[] = {"MIDI is not available: this server has no MIDI input"};
constexpr const char* kMidiMapErrors[] = {
    "no module 'ID' (modules: ...)", "module 'ID' (TYPE) has no parameter 'PARAM' (parameters: ...)",
    "ID.PARAM changes how many channels its cables carry: it cannot follow a controller",
    "MIDI controller N for ID.PARAM is not 0-127", "MIDI channel N for ID.PARAM is not 0 (any) or 1-16",
    "min and max are numbers"};
constexpr const char* kMidiUnmapErrors[] = {"'ID.PARAM' has no MIDI mapping"};
constexpr const char* kMidiMapsErrors[] = {"none of its own: no mappings is an empty reply"};
constexpr const char* kMidiLearnErrors[] = {
    "no module 'ID' (modules: ...)", "no controller moved within N s; nothing was mapped",
    "learning ID.PARAM was cancelled: another /midi/learn, or /midi/unmap of it"};
constexpr const char* kMidiOutErrors[] = {"MIDI output is not available: this server has none",
                                          "MIDI output: no JACK server",
                                          "MIDI output: no MIDI input port 'NAME'"};

constexpr std::span<const Field> kNoFields{};
constexpr std::span<const Arg> kNoArgs{};

const Command kCommands[] = {
    {
        .op = Op::Create,
        .address = "/patch/create",
        .args = kModuleArgs,
        .argsOccur = O::Group,
        .argSummary = "id, type [, id, type ...]",
        .reply = kCreateReply,
        .groupName = "modules",
        .errors = kCreateErrors,
        .help = "Add modules to the pending patch; several at once: all or none.",
        .example = "/patch/create osc2 saw",
        .verb = "create",
        .verbHelp = "add modules to the pending patch (TYPE: see 'schema'; seed names such as\n"
                    "adsr or simple_sine work too); several at once: all or none",
        .edit = true,
        .changesPatch = true,
    },
    {
        .op = Op::Connect,
        .address = "/patch/connect",
        .args = kCableArgs,
        .argsOccur = O::Group,
        .argSummary = "source, destination [, source, destination ...]",
        .reply = kCableReply,
        .groupName = "cables",
        .errors = kCableErrors,
        .help = "Add cables to the pending patch; several at once: all or none.",
        .example = "/patch/connect osc1 out",
        .verb = "connect",
        .verbHelp = "add cables; SRC and DST are 'id' or 'id.port', a bare id meaning its\n"
                    "first output / first input; every patch has the output module 'out'",
        .edit = true,
        .changesPatch = true,
    },
    {
        .op = Op::Disconnect,
        .address = "/patch/disconnect",
        .args = kCableArgs,
        .argsOccur = O::Group,
        .argSummary = "source, destination [, source, destination ...]",
        .reply = kCableReply,
        .groupName = "cables",
        .errors = kCableErrors,
        .help = "Remove cables from the pending patch; all or none.",
        .example = "/patch/disconnect osc1 env1",
        .verb = "disconnect",
        .verbHelp = "remove those cables",
        .edit = true,
        .changesPatch = true,
    },
    {
        .op = Op::Delete,
        .address = "/patch/delete",
        .args = kIdArg,
        .argsOccur = O::Once,
        .argSummary = "id",
        .reply = kDeleteReply,
        .errors = kDeleteErrors,
        .help = "Remove a module and its cables from the pending patch.",
        .example = "/patch/delete env1",
        .verb = "delete",
        .verbHelp = "remove a module and its cables",
        .edit = true,
        .changesPatch = true,
    },
    {
        .op = Op::Clear,
        .address = "/patch/clear",
        .argsOccur = O::Once,
        .reply = kWarningOnly,
        .errors = kNone,
        .help = "Empty the pending patch (the output module stays).",
        .example = "/patch/clear",
        .verb = "clear",
        .verbHelp = "empty the pending patch, to build from scratch",
        .setsPending = true,
        .changesPatch = true,
    },
    {
        .op = Op::Set,
        .address = "/patch/set",
        .args = kSetArgs,
        .argsOccur = O::Group,
        .argSummary = "id, param, value (number, or text: a pattern, notes, a label) [, ...]",
        .reply = kSetReply,
        .groupName = "set",
        .errors = kSetErrors,
        .help = "Set parameters of the pending patch (heard after a commit); several at once: all or none.",
        .example = "/patch/set osc1 freq 220",
        .verb = "set",
        .verbHelp = "set parameters of the pending patch (heard after 'commit'); a discrete\n"
                    "parameter takes its label: set l1 shape square l1 sync 1/8; a sequencer's\n"
                    "pattern and notes take text: set seq pattern x..X.x.. seq notes \"C2 Ab1\"",
        .edit = true,
        .changesPatch = true,
    },
    {
        .op = Op::Prime,
        .address = "/patch/prime",
        .argsOccur = O::Once,
        .reply = kPrimeReply,
        .errors = kPrimeErrors,
        .help = "Prepare the pending patch on the standby slot now (a commit does it anyway).",
        .example = "/patch/prime",
        .verb = "prime",
        .verbHelp = "prepare the pending patch on the standby slot now ('commit' does it anyway)",
        .slow = true,
    },
    {
        .op = Op::Commit,
        .address = "/patch/commit",
        .args = kFadeArg,
        .argsOccur = O::Optional,
        .argSummary = "[fade ms]",
        .reply = kCommitReply,
        .errors = kCommitErrors,
        .help = "Hot-swap the audio to the pending patch with a crossfade.",
        .example = "/patch/commit 20",
        .verb = "commit",
        .verbHelp = "hot-swap the audio to the pending patch with a crossfade",
        .slow = true,
        .changesPatch = true,
    },
    {
        .op = Op::Abort,
        .address = "/patch/abort",
        .argsOccur = O::Once,
        .reply = kAbortReply,
        .errors = kAbortErrors,
        .help = "Drop the pending edits: the standby returns to the playing patch.",
        .example = "/patch/abort",
        .verb = "abort",
        .verbHelp = "drop the pending edits; the standby returns to the playing patch",
        .setsPending = true,
        .changesPatch = true,
    },
    {
        .op = Op::Undo,
        .address = "/patch/undo",
        .argsOccur = O::Once,
        .reply = kStepReply,
        .errors = kUndoErrors,
        .help = "Take back the agents' last step (every OSC client is one author); the person's edits "
                "in the editor stay, and an undo that would take back a newer change to the same thing "
                "is refused.",
        .example = "/patch/undo",
        .verb = "undo",
        .verbHelp = "take back the agents' last edit (the person's edits in the editor stay)",
        .changesPatch = true,
    },
    {
        .op = Op::Redo,
        .address = "/patch/redo",
        .argsOccur = O::Once,
        .reply = kStepReply,
        .errors = kRedoErrors,
        .help = "Make the agents' last undone step again.",
        .example = "/patch/redo",
        .verb = "redo",
        .verbHelp = "make the agents' last undone edit again",
        .changesPatch = true,
    },
    {
        .op = Op::UndoCommit,
        .address = "/patch/undo_commit",
        .args = kFadeArg,
        .argsOccur = O::Optional,
        .argSummary = "[fade ms]",
        .reply = kCommitReply,
        .errors = kUndoCommitErrors,
        .help = "Crossfade back to the patch before the last commit.",
        .example = "/patch/undo_commit 20",
        .verb = "undo-commit",
        .verbHelp = "crossfade back to the patch before the last commit",
        .slow = true,
        .changesPatch = true,
    },
    {
        .op = Op::Validate,
        .address = "/patch/validate",
        .argsOccur = O::Once,
        .reply = kValidateReply,
        .errors = kValidateErrors,
        .help = "Check the pending patch (ports, cycles) without committing it.",
        .example = "/patch/validate",
        .verb = "validate",
        .verbHelp = "check the pending patch (ports, cycles) without committing it",
    },
    {
        .op = Op::Save,
        .address = "/patch/save",
        .args = kNameArg,
        .argsOccur = O::Once,
        .argSummary = "name",
        .reply = kSaveReply,
        .errors = kFileErrors,
        .help = "Save the pending patch in the patches folder.",
        .example = "/patch/save demo",
        .verb = "save",
        .verbHelp = "save the pending patch in the patches folder",
    },
    {
        .op = Op::Load,
        .address = "/patch/load",
        .args = kNameArg,
        .argsOccur = O::Once,
        .argSummary = "name",
        .reply = kLoadReply,
        .errors = kFileErrors,
        .help = "Load a saved patch as the pending patch (then commit).",
        .example = "/patch/load demo",
        .verb = "load",
        .verbHelp = "load a saved patch as the pending patch (then 'commit')",
        .slow = true,
        .setsPending = true,
        .changesPatch = true,
    },
    {
        .op = Op::Dump,
        .address = "/patch/dump",
        .argsOccur = O::Once,
        .reply = kDumpReply,
        .errors = kNone,
        .help = "The pending and the playing (committed) patch as patch-file JSON.",
        .example = "/patch/dump",
        .verb = "dump",
        .verbHelp = "print the pending and the playing (committed) patch as patch-file JSON",
    },
    {
        .op = Op::Status,
        .address = "/engine/status",
        .args = kFormatArg,
        .argsOccur = O::Optional,
        .argSummary = "[\"json\"]",
        .reply = kStatusReply,
        .optionReply = kStatusJsonReply,
        .errors = kStatusErrors,
        .help = "The engine's state: active slot, prime flags, ring occupancy, empty reads, xruns, DSP load, "
                "commit times.",
        .example = "/engine/status json",
        .verb = "status",
        .verbHelp = "the engine: active slot, prime flags, ring occupancy, empty reads,\n"
                    "xruns, DSP load, commit times; --watch refreshes every MS (500) until\n"
                    "Ctrl+C or N refreshes",
        .verbOptions = "[--watch [--interval MS] [--count N]]",
        .verbSends = "json",
    },
    {
        .op = Op::Schema,
        .address = "/engine/schema",
        .argsOccur = O::Once,
        .reply = kSchemaReply,
        .errors = kNone,
        .help = "Module types with their ports and parameters, and this protocol.",
        .example = "/engine/schema",
        .verb = "schema",
        .verbHelp = "module types with their ports and parameters (ranges, units, defaults,\n"
                    "the labels of discrete ones)",
    },
    {
        .op = Op::RecordStart,
        .address = "/record/start",
        .args = kRecordNameArg,
        .argsOccur = O::Optional,
        .argSummary = "[name]",
        .reply = kRecordStartReply,
        .errors = kRecordErrors,
        .help = "Record the output to a WAV file in the server's recordings folder (never overwriting one).",
        .example = "/record/start take1",
        .verb = "record start",
        .verbHelp = "record the output to a WAV file in the server's recordings folder\n"
                    "(chronus serve --recordings DIR); NAME is a plain file name, by default\n"
                    "the date and time; an existing file is never overwritten",
    },
    {
        .op = Op::RecordStop,
        .address = "/record/stop",
        .argsOccur = O::Once,
        .reply = kRecordStopReply,
        .errors = kRecordErrors,
        .help = "Stop the recording and finish its file.",
        .example = "/record/stop",
        .verb = "record stop",
        .verbHelp = "stop recording; the file is complete",
    },
    {
        .op = Op::RecordStatus,
        .address = "/record/status",
        .argsOccur = O::Once,
        .reply = kRecordStatusReply,
        .errors = kRecordStatusErrors,
        .help = "Whether a recording runs, its file, length and dropped frames.",
        .example = "/record/status",
        .verb = "record status",
        .verbHelp = "whether a recording runs, its file and length",
    },
    {
        .op = Op::Mod,
        .address = "/mod/<id>/<param>",
        .args = kValueArg,
        .argsOccur = O::Once,
        .argSummary = "value (number, or text: a pattern, notes, a label)",
        .reply = kModReply,
        .errors = kModErrors,
        .help =
            "Change a parameter of the playing patch at once, smoothed (on both slots at the same sample).",
        .example = "/mod/osc1/freq 330",
        .verb = "mod",
        .verbHelp = "change a parameter live on the playing patch, smoothed (a label or a\n"
                    "pattern as text, as for 'set')",
        .changesPatch = true,
    },
    {
        .op = Op::Gate,
        .address = "/gate/<id>",
        .args = kGateArg,
        .argsOccur = O::Once,
        .argSummary = "1/0, on/off or true/false",
        .reply = kGateReply,
        .errors = kGateErrors,
        .help = "Open or close a module's gate, e.g. to trigger an envelope.",
        .example = "/gate/env1 on",
        .verb = "gate",
        .verbHelp = "open or close a gate (also 1|0, true|false), e.g. to trigger an envelope",
    },
    {
        .op = Op::MidiDevices,
        .address = "/midi/devices",
        .argsOccur = O::Once,
        .reply = kMidiDevicesReply,
        .errors = kMidiErrors,
        .help = "The MIDI sources there are now (JACK MIDI when a JACK server runs, else ALSA), hardware first.",
        .example = "/midi/devices",
        .verb = "midi devices",
        .verbHelp = "the MIDI sources that can be listened to, hardware first",
    },
    {
        .op = Op::MidiIn,
        .address = "/midi/in",
        .args = kMidiPortArg,
        .argsOccur = O::Once,
        .argSummary = "a port name, auto or none",
        .reply = kMidiInReply,
        .errors = kMidiErrors,
        .help = "Listen to a MIDI source (every midi_in module plays it), or to none; a source that comes later, "
                "or comes back, is connected then.",
        .example = "/midi/in auto",
        .verb = "midi in",
        .verbHelp = "listen to a MIDI source: a port name or part of it, auto, or none\n"
                    "(every midi_in module of the patch plays it)",
    },
    {
        .op = Op::MidiMap,
        .address = "/midi/map",
        .args = kMidiMapArgs,
        .argsOccur = O::Optional,
        .argSummary = "module.param, controller, [channel, min, max]",
        .reply = kMidiMapReply,
        .errors = kMidiMapErrors,
        .help = "Map a MIDI controller to a parameter: it moves it live, at the controller's own sample, from min "
                "(0) to max (127); saved with the patch, undone like an edit.",
        .example = "/midi/map osc1.freq 74 0 110 880",
        .verb = "midi map",
        .verbHelp = "map a MIDI controller (and channel, 0 = any) to a parameter, from MIN at 0\n"
                    "to MAX at 127 (default: the parameter's range)",
        .changesPatch = true,
        .optionalArgs = 3,
    },
    {
        .op = Op::MidiUnmap,
        .address = "/midi/unmap",
        .args = kMidiTargetArg,
        .argsOccur = O::Once,
        .argSummary = "module.param",
        .reply = kMidiUnmapReply,
        .errors = kMidiUnmapErrors,
        .help = "Forget a parameter's MIDI mapping (and stop learning one for it).",
        .example = "/midi/unmap osc1.freq",
        .verb = "midi unmap",
        .verbHelp = "forget a parameter's MIDI mapping",
        .changesPatch = true,
    },
    {
        .op = Op::MidiMaps,
        .address = "/midi/maps",
        .argsOccur = O::Once,
        .reply = kMidiMapsReply,
        .errors = kMidiMapsErrors,
        .help = "The pending patch's MIDI mappings.",
        .example = "/midi/maps",
        .verb = "midi maps",
        .verbHelp = "list the MIDI mappings",
    },
    {
        .op = Op::MidiLearn,
        .address = "/midi/learn",
        .args = kMidiLearnArgs,
        .argsOccur = O::Optional,
        .argSummary = "module.param, [timeout seconds]",
        .reply = kMidiMapReply,
        .errors = kMidiLearnErrors,
        .help = "Map the next MIDI controller that moves to a parameter (over its whole range); the reply comes "
                "when one did, or an error at the timeout or when cancelled (/midi/unmap of it).",
        .example = "/midi/learn osc1.freq 30",
        .verb = "midi learn",
        .verbHelp = "map the next MIDI controller that moves to a parameter (waits for it)",
        .slow = true,
        .changesPatch = true,
    },
    {
        .op = Op::MidiOut,
        .address = "/midi/out",
        .args = kMidiOutArg,
        .argsOccur = O::Once,
        .argSummary = "a port name or none",
        .reply = kMidiOutReply,
        .errors = kMidiOutErrors,
        .help = "Send what the midi_out modules of the patch heard make to a JACK MIDI input port, or to none.",
        .example = "/midi/out none",
        .verb = "midi out",
        .verbHelp = "send the midi_out modules' MIDI to a JACK MIDI input port (a name or part of it), or none",
    },
};

bool fits(char fieldType, char oscType) {
    switch (fieldType) {
    case 's':
    case 'j':
        return oscType == 's';
    case 'i':
    case 'b':
        return oscType == 'i';
    case 'f':
        return oscType == 'f';
    case 'v':
        return oscType == 'f' || oscType == 's';
    case 'x':
        return oscType == 'i' || oscType == 'f' || oscType == 's';
    default:
        return false;
    }
}

std::vector<std::string_view> segments(std::string_view address) {
    std::vector<std::string_view> out;
    std::size_t at = 1;
    while (at <= address.size()) {
        const std::size_t slash = address.find('/', at);
        const std::size_t end = slash == std::string_view::npos ? address.size() : slash;
        out.push_back(address.substr(at, end - at));
        at = end + 1;
    }
    return out;
}

bool isParameter(std::string_view segment) {
    return segment.size() > 2 && segment.front() == '<' && segment.back() == '>';
}

} // namespace

std::span<const Command> commands() {
    return kCommands;
}
std::span<const char* const> commonErrors() {
    return kCommon;
}

bool isPattern(const Command& command) {
    return std::string_view(command.address).find('<') != std::string_view::npos;
}

std::string_view prefix(const Command& command) {
    const std::string_view a(command.address);
    return a.substr(0, a.find('<'));
}

const Command* find(std::string_view address) {
    for (const Command& c : kCommands) {
        if (!isPattern(c)) {
            if (address == c.address)
                return &c;
            continue;
        }
        if (!address.starts_with("/"))
            continue;
        const auto want = segments(c.address);
        const auto got = segments(address);
        if (want.size() != got.size())
            continue;
        bool same = true;
        for (std::size_t i = 0; i < want.size() && same; ++i)
            same = isParameter(want[i]) ? !got[i].empty() : want[i] == got[i];
        if (same)
            return &c;
    }
    return nullptr;
}

const Command* findByPrefix(std::string_view address) {
    for (const Command& c : kCommands)
        if (isPattern(c) && address.starts_with(prefix(c)))
            return &c;
    return nullptr;
}

std::vector<std::string> patternNames(const Command& command) {
    std::vector<std::string> out;
    for (std::string_view s : segments(command.address))
        if (isParameter(s))
            out.emplace_back(s.substr(1, s.size() - 2));
    return out;
}

std::vector<std::string> patternValues(const Command& command, std::string_view address) {
    std::vector<std::string> out;
    const auto want = segments(command.address);
    const auto got = segments(address);
    for (std::size_t i = 0; i < want.size() && i < got.size(); ++i)
        if (isParameter(want[i]))
            out.emplace_back(got[i]);
    return out;
}

std::string patternError(const Command& command) {
    return command.errors.empty() ? std::string("a request to ") + command.address
                                  : std::string(command.errors[0]);
}

std::size_t groupsOf(const Command& command, std::size_t argCount) {
    if (command.argsOccur != Occurs::Group || command.args.empty())
        return 1;
    return std::max<std::size_t>(1, argCount / command.args.size());
}

Layout layout(const Command& command, std::size_t groups, bool optionGiven, std::string_view types) {
    Layout out;
    const std::span<const Field> fields =
        optionGiven && !command.optionReply.empty() ? command.optionReply : command.reply;
    std::size_t at = 0;
    const auto fail = [&](const std::string& why) {
        out.mismatch = why;
        return out;
    };
    for (std::size_t f = 0; f < fields.size();) {
        const Occurs occurs = fields[f].occurs;
        std::size_t block = f; // consecutive fields that repeat together
        while (block < fields.size() && fields[block].occurs == occurs &&
               (occurs == O::Group || occurs == O::Rest))
            ++block;
        if (block == f)
            block = f + 1;
        const std::size_t width = block - f;
        if (occurs == O::Once || occurs == O::Group) {
            const std::size_t times = occurs == O::Group ? groups : 1;
            for (std::size_t g = 0; g < times; ++g)
                for (std::size_t k = f; k < block; ++k, ++at) {
                    if (at >= types.size())
                        return fail("the reply ends before its field '" + std::string(fields[k].name) +
                                    "' (value " + std::to_string(at + 1) + ")");
                    if (!fits(fields[k].type, types[at]))
                        return fail("value " + std::to_string(at + 1) + " ('" + fields[k].name +
                                    "') is OSC type '" + std::string(1, types[at]) + "', the table says " +
                                    fieldTypeName(fields[k].type));
                    out.fields.push_back({fields[k].name, at, &fields[k], g});
                }
        } else if (occurs == O::Optional) {
            if (at < types.size() && fits(fields[f].type, types[at])) {
                out.fields.push_back({fields[f].name, at, &fields[f], 0});
                ++at;
            }
        } else { // Rest
            for (std::size_t g = 0; at + width <= types.size(); ++g) {
                bool all = true;
                for (std::size_t k = 0; k < width && all; ++k)
                    all = fits(fields[f + k].type, types[at + k]);
                if (!all)
                    break;
                for (std::size_t k = 0; k < width; ++k)
                    out.fields.push_back({fields[f + k].name, at + k, &fields[f + k], g});
                at += width;
            }
        }
        f = block;
    }
    if (at != types.size())
        return fail("the reply has " + std::to_string(types.size()) + " values, the table accounts for " +
                    std::to_string(at));
    return out;
}

std::size_t requiredArgs(const Command& command) {
    if (command.argsOccur != Occurs::Optional)
        return command.args.size();
    return command.args.size() - std::min(command.optionalArgs, command.args.size());
}

std::string synopsis(const Command& command) {
    std::string s = command.verb;
    if (command.verbOptions)
        return s + " " + command.verbOptions;
    const auto placeholder = [](const Arg& a) {
        if (a.placeholder)
            return std::string(a.placeholder);
        std::string p = a.name;
        std::transform(p.begin(), p.end(), p.begin(),
                       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        return p;
    };
    for (const std::string& name : patternNames(command)) {
        std::string p = name;
        std::transform(p.begin(), p.end(), p.begin(),
                       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        s += " " + p;
    }
    std::string group;
    const std::size_t required = requiredArgs(command);
    for (std::size_t i = 0; i < command.args.size(); ++i) {
        const std::string p = placeholder(command.args[i]);
        group += (group.empty() ? "" : " ") + p;
        if (i >= required && command.argsOccur == Occurs::Optional)
            s += " [" + p + "]";
        else
            s += " " + p;
    }
    if (command.argsOccur == Occurs::Group && !command.args.empty())
        s += " [" + group + " ...]";
    return s;
}

const Command* findVerb(std::string_view verb, std::string_view firstArg, int* words) {
    for (const Command& c : kCommands) {
        const std::string_view v(c.verb);
        const auto space = v.find(' ');
        if (space == std::string_view::npos
                ? v == verb
                : (v.substr(0, space) == verb && v.substr(space + 1) == firstArg)) {
            *words = space == std::string_view::npos ? 1 : 2;
            return &c;
        }
    }
    return nullptr;
}

std::vector<std::string> verbNames() {
    std::vector<std::string> out;
    for (const Command& c : kCommands) {
        const std::string_view v(c.verb);
        std::string first(v.substr(0, v.find(' ')));
        if (std::find(out.begin(), out.end(), first) == out.end())
            out.push_back(std::move(first));
    }
    return out;
}

const char* argTypeName(char type) {
    switch (type) {
    case 's':
        return "string";
    case 'n':
        return "number";
    case 'v':
        return "number or text";
    case 'g':
        return "gate";
    default:
        return "unknown";
    }
}
const char* fieldTypeName(char type) {
    switch (type) {
    case 's':
        return "string";
    case 'i':
        return "int32";
    case 'f':
        return "float";
    case 'b':
        return "boolean (int32 1/0)";
    case 'j':
        return "JSON (string)";
    case 'v':
        return "float or string";
    case 'x':
        return "int32, float or string";
    default:
        return "unknown";
    }
}
const char* argOscTypes(char type) {
    switch (type) {
    case 's':
        return "sS";
    case 'n':
        return "ihfd";
    case 'v':
        return "ihfdsS";
    case 'g':
        return "TFifdsS";
    default:
        return "";
    }
}
const char* fieldOscTypes(char type) {
    switch (type) {
    case 's':
    case 'j':
        return "s";
    case 'i':
    case 'b':
        return "i";
    case 'f':
        return "f";
    case 'v':
        return "fs";
    case 'x':
        return "ifs";
    default:
        return "";
    }
}

} // namespace chronus::app::protocol
