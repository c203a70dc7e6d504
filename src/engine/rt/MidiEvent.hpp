#pragma once
// One MIDI message as a small value: what the MIDI device thread hands on through a SpscQueue, what
// a slot's render thread delivers to a module. Channel voice and mode messages (note off/on, poly
// aftertouch, control change, program change, channel aftertouch, pitch bend) and the transport:
// timing clock (F8), start (FA), continue (FB), stop (FC) and song position (F2). At most three
// bytes, so no pointer and no allocation anywhere on the way. SysEx, time code, active sensing and
// the rest of the system messages are not carried.

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace chronus::engine {

struct MidiEvent {
    // Where it happened on the device's frame clock (JACK's frame time, unwrapped to 64 bits);
    // -1 when the device gives no frame time (ALSA sequencer): then it applies as soon as possible.
    std::int64_t frame = -1;
    // 0x80..0xEF: kind in the high nibble, channel (0-15) in the low one; or one of the transport
    // statuses below (kind() 0xF0, no channel).
    std::uint8_t status = 0;
    std::uint8_t data1 = 0;
    std::uint8_t data2 = 0;
    // Set by the render thread for the module: the frame of the block being rendered it lands on.
    std::uint16_t offset = 0;

    static constexpr std::uint8_t kSongPosition = 0xF2; // data1 | data2 << 7: sixteenth notes since the start
    static constexpr std::uint8_t kClock = 0xF8;        // 24 per quarter note
    static constexpr std::uint8_t kStart = 0xFA;
    static constexpr std::uint8_t kContinue = 0xFB;
    static constexpr std::uint8_t kStop = 0xFC;
    // Ours, never from a device (MIDI leaves F9 undefined; fromBytes refuses it): data1 ticks past
    // the song position just given (0-5). With F2 it says where a clock stands to the tick, which
    // the engine tells a clock compiled afresh while the transport runs.
    static constexpr std::uint8_t kSongTicks = 0xF9;

    std::uint8_t kind() const noexcept { return status & 0xF0; }
    std::uint8_t channel() const noexcept { return status & 0x0F; }
    // A transport message (clock, start, continue, stop, song position), not a channel's.
    bool isTransport() const noexcept { return status >= 0xF0; }

    // Any thread. The event of `bytes` (the size of its kind), or false for what is not carried
    // (SysEx and the other system messages, running-status fragments, a wrong size).
    static bool fromBytes(const std::uint8_t* bytes, std::size_t size, std::int64_t frame, MidiEvent& out) noexcept {
        if (size == 0 || bytes[0] < 0x80)
            return false;
        const std::uint8_t first = bytes[0];
        if (first >= 0xF0 && first != kSongPosition && first != kClock && first != kStart && first != kContinue &&
            first != kStop)
            return false;
        const std::uint8_t kind = first & 0xF0;
        const std::size_t need = first == kSongPosition ? 3 : first >= 0xF0 ? 1 : (kind == 0xC0 || kind == 0xD0) ? 2 : 3;
        if (size < need)
            return false;
        out = MidiEvent{};
        out.frame = frame;
        out.status = bytes[0];
        out.data1 = need >= 2 ? (bytes[1] & 0x7F) : 0;
        out.data2 = need == 3 ? (bytes[2] & 0x7F) : 0;
        return true;
    }

    // The three bytes as one exact double (a SlotCommand's value), and back.
    double packed() const noexcept { return static_cast<double>((status << 16) | (data1 << 8) | data2); }
    static MidiEvent unpack(double packed) noexcept {
        const auto v = static_cast<std::uint32_t>(packed);
        MidiEvent e;
        e.status = static_cast<std::uint8_t>(v >> 16);
        e.data1 = static_cast<std::uint8_t>(v >> 8);
        e.data2 = static_cast<std::uint8_t>(v);
        return e;
    }
};
static_assert(std::is_trivially_copyable_v<MidiEvent>);

} // namespace chronus::engine
