#pragma once
// What a slot worker's render thread receives for a live change: where it lands, resolved by the
// worker's control thread (the plan's module index and the parameter's index), its value and when
// it applies. No text: the render thread looks nothing up by name.

#include "MidiEvent.hpp"

#include <cstdint>
#include <type_traits>

namespace chronus::engine {

enum class LiveChangeKind : std::uint8_t {
    Param,     // module, param, value: ramped by the module
    Gate,      // module, value 0 or 1
    PrimeMark, // the parameter changes of an in-place prime are in (ticket): report the prime
    Midi,      // module, midi: lands inside the block that holds its stamp, at that frame
    ParamAtFrame, // module, param, value: like Param, but stamped at any frame (a MIDI-mapped
                  // controller) and ramped from that frame of the block that holds it
};

struct LiveChange {
    LiveChangeKind kind = LiveChangeKind::Param;
    std::uint32_t generation = 0; // the plan the indices were resolved against
    std::uint32_t timeline = 0;   // 0: at the next block; else at plan frame `stamp` of that timeline
    std::uint32_t ticket = 0;     // PrimeMark
    std::int64_t stamp = 0;
    double value = 0.0;
    std::int32_t module = -1; // the plan's module index
    std::int32_t param = -1;
    MidiEvent midi; // Midi: the message (its offset is set when it is delivered)
};

// Whether a change stamped `stamp` is due in the block that starts at plan frame `blockStart`: a
// parameter or a gate at its block's start (stamps of those fall on block boundaries), a MIDI event
// anywhere inside the block, at its own frame.
inline bool dueInBlock(LiveChangeKind kind, std::int64_t stamp, std::int64_t blockStart, int blockSize) noexcept {
    return kind == LiveChangeKind::Midi || kind == LiveChangeKind::ParamAtFrame ? stamp < blockStart + blockSize
                                                                                : stamp <= blockStart;
}
static_assert(std::is_trivially_copyable_v<LiveChange>);

} // namespace chronus::engine
