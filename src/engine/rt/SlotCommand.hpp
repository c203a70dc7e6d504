#pragma once
// Commands from the controller to one slot's worker: small trivially copyable values with fixed-size
// text fields (patch edits and live changes carry ids; the worker's control thread resolves a live
// change to indices, a LiveChange, before its render thread sees it). No pointers inside: a queue of
// them lives in shared memory.

#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

namespace chronus::engine {

inline constexpr std::size_t kCommandTextSize = 136; // "id.port" of two 64-char names, with room

struct CommandText {
    char text[kCommandTextSize] = {};
    // False when `s` does not fit (the caller refuses the edit; ids are at most 64 characters).
    bool assign(std::string_view s) noexcept {
        if (s.size() >= kCommandTextSize)
            return false;
        std::memcpy(text, s.data(), s.size());
        text[s.size()] = '\0';
        return true;
    }
    std::string_view view() const noexcept { return {text}; }
};

enum class SlotCommandKind : std::uint8_t {
    AddModule,     // a = id, b = type
    RemoveModule,  // a = id
    Connect,       // a = source, b = destination
    Disconnect,    // a = source, b = destination
    SetPending,    // a = id, b = param, value
    Clear,         // back to the empty patch
    Prime,         // compile (timeline = ticket) unless the plan is current, warm up, fill, prime flag
    Sync,          // the slot's patch is the committed one on `timeline`: compile it from the start
                   // of that timeline, catch up with the output, become a hot mirror; ticket
    MarkActive,    // the slot now plays: nothing to render differently, the state says so
    SetLive,       // a = id, b = param, value: on the running plan, ramped
    Gate,          // a = id, value 0 or 1
    Midi,          // a = id (a module that takes MIDI), value = status << 16 | data1 << 8 | data2; stamped
                   // at any frame, not only on a block boundary
    Clone,         // worker processes: fork a copy of this worker (its patch, its plan and every
                   // module's state) that becomes slot `value`'s worker, in step at once; ticket
};

// Live changes (SetLive, Gate, Midi) carry where they take effect: `timeline` 0 means at the slot's next
// block; otherwise at plan frame `stamp` of that timeline, so both slots playing the committed patch
// apply them at the same sample and stay identical. A command for a timeline the slot is not on yet
// waits until the slot compiles it (a mirror replaying the committed patch's history).
// SlotCommand::flags
inline constexpr std::uint8_t kCommandReplay = 1; // history for a Sync still to come: hold it
// A Midi command sent just before a Prime: the keys, pedal and wheels as they stand, for a patch the
// prime compiles afresh (its midi_in starts with nothing held); a patch primed in place has them.
inline constexpr std::uint8_t kCommandMidiSnapshot = 2;
// A SetLive stamped at any frame, not only on a block boundary: a MIDI-mapped controller's change,
// which starts at its event's sample (LiveChangeKind::ParamAtFrame).
inline constexpr std::uint8_t kCommandAtFrame = 4;

struct SlotCommand {
    SlotCommandKind kind = SlotCommandKind::Prime;
    std::uint8_t flags = 0;
    std::uint32_t ticket = 0;
    std::uint32_t timeline = 0;
    std::int64_t stamp = 0;
    double value = 0.0;
    CommandText a;
    CommandText b;
};
static_assert(std::is_trivially_copyable_v<SlotCommand>);

} // namespace chronus::engine
