#pragma once
// The OSC protocol of `chronus serve` in one table: every address with its typed arguments, the
// named fields of its reply, the errors it answers with, its help text and an example, and the
// `chronus ctl` verb that sends it. The server validates and dispatches through it, /engine/schema
// publishes it, `ctl` builds its requests, help and JSON field names from it, and tests hold the
// README's address table and the man page's verb list to it.
//
// Replies stay positional on the wire (`/reply <address> v1 v2 ...`, as clients have always read
// them); the table names the positions. Plain data, no state: any thread.

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace chronus::app::protocol {

// What the server does with a request; the server's dispatch switches on it.
enum class Op {
    Create,
    Connect,
    Disconnect,
    Delete,
    Clear,
    Set,
    Prime,
    Commit,
    Abort,
    Undo,       // the agent's last step (/patch/undo)
    Redo,       // the agent's last undone step (/patch/redo)
    UndoCommit, // crossfade back to the patch before the last commit (/patch/undo_commit)
    Validate,
    Save,
    Load,
    Dump,
    Status,
    Schema,
    RecordStart,
    RecordStop,
    RecordStatus,
    Mod,
    Gate,
    MidiDevices,
    MidiIn,
    MidiMap,
    MidiUnmap,
    MidiMaps,
    MidiLearn,
    MidiOut,
};

// A request argument. Types: 's' string, 'n' number (OSC i, h, f or d; finite), 'v' a number or
// text (a pattern, notes, a label), 'g' a gate (T/F, 1/0 as i, f or d, or the strings
// 1/0, on/off, true/false).
struct Arg {
    const char* name;
    char type;
    const char* meaning;
    const char* placeholder = nullptr; // ctl's word for it (FADE_MS, SRC, on|off); null: the name in capitals
};

// How often a value occurs in a request or a reply.
enum class Occurs {
    Once,
    Group,    // consecutive Group entries repeat together, once per edit of a multi-edit request
    Optional, // present or not: a request's last argument; in a reply, taken when the next value has its type
    Rest,     // consecutive Rest entries repeat together, zero or more times, to the end
};

// A reply field. Types: 's' string, 'i' int32, 'f' float, 'b' boolean as int32 1/0, 'j' JSON text
// (a string), 'v' float or string, 'x' int32, float or string.
struct Field {
    const char* name;
    char type;
    Occurs occurs;
    const char* meaning;
};

struct Command {
    Op op;
    const char* address; // exact, or a pattern whose <name> segments are any non-empty segment
    std::span<const Arg> args;
    Occurs argsOccur;       // Once: exactly these; Optional: the last one may be left out; Group: repeated
    const char* argSummary = ""; // the arguments as error messages spell them
    std::span<const Field> reply;
    std::span<const Field> optionReply; // the reply when the optional argument is given, if it differs
    const char* groupName; // multi-edit requests: the JSON array (in ctl --json) holding each edit's fields
    std::span<const char* const> errors; // what its /error messages say, besides the argument checks
    const char* help;
    const char* example;               // an OSC request: the address, then its arguments, space-separated
    const char* verb;                  // ctl's verb (one or two words)
    const char* verbHelp;              // ctl's help; lines separated by '\n'
    const char* verbOptions = nullptr; // ctl's options in place of the arguments (status --watch)
    const char* verbSends = nullptr;   // what ctl sends in place of the arguments
    bool slow = false;                 // ctl waits longer: the server compiles and warms up a graph
    bool edit = false;                 // edits the pending patch
    bool setsPending = false;          // replaces the whole pending patch
    bool changesPatch = false;         // its success changes the pending or committed patch (the journal)
    std::size_t optionalArgs = 1;      // with argsOccur Optional: how many of the last arguments may be left out
};

// The fewest arguments a request of `command` takes (a Group request: one group).
std::size_t requiredArgs(const Command& command);

// Every command, in the order help and documents list them.
std::span<const Command> commands();

// The command for an address (exact, or matching a pattern); null when none.
const Command* find(std::string_view address);
// The command whose pattern's fixed start `address` has (/mod/, /gate/), matching it or not.
const Command* findByPrefix(std::string_view address);
// A pattern's fixed start: "/mod/" for "/mod/<id>/<param>"; the address itself when it is exact.
std::string_view prefix(const Command& command);
bool isPattern(const Command& command);
// The <name> segments of a pattern, and their values in an address that matches it.
std::vector<std::string> patternNames(const Command& command);
std::vector<std::string> patternValues(const Command& command, std::string_view address);
// The error when an address has a pattern's start but not its shape.
std::string patternError(const Command& command);

// What the server says for any request whose arguments are wrong, and for addresses it does not know.
std::span<const char* const> commonErrors();

// The fields of a reply, in order, for a request of `groups` edits (1 for a single one): what
// `values` (their OSC type letters) says, or why it does not fit the table.
struct Named {
    std::string name;
    std::size_t index; // into the reply's values
    const Field* field;
    std::size_t group; // which edit (Group fields), or which repetition (Rest fields)
};
struct Layout {
    std::vector<Named> fields;
    std::string mismatch; // empty when the values fit
};
Layout layout(const Command& command, std::size_t groups, bool optionGiven, std::string_view types);

// The number of edits in a request of `argCount` arguments (1 unless its arguments repeat).
std::size_t groupsOf(const Command& command, std::size_t argCount);

// ctl: the verb's synopsis ("create ID TYPE [ID TYPE ...]").
std::string synopsis(const Command& command);
// ctl: the command for VERB (and its first argument, for two-word verbs); `words` gets 1 or 2.
const Command* findVerb(std::string_view verb, std::string_view firstArg, int* words);
// The distinct first words of the verbs, in order.
std::vector<std::string> verbNames();

// A type letter in words, for the schema and documents.
const char* argTypeName(char type);
const char* fieldTypeName(char type);
// The OSC type tags a request argument accepts, or a reply field may carry.
const char* argOscTypes(char type);
const char* fieldOscTypes(char type);

} // namespace chronus::app::protocol
