#pragma once
// Reading liblo's arguments without undefined behaviour: liblo hands out lo_arg pointers into the
// packet, aligned to 4 bytes, while the lo_arg union (it holds doubles and int64s) needs 8. Members
// are read by copying their bytes, never through the union.

#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace chronus::app::oscarg {

template <class T> T read(const void* arg) noexcept {
    T value;
    std::memcpy(&value, arg, sizeof value);
    return value;
}
inline const char* text(const void* arg) noexcept { return static_cast<const char*>(arg); }
// A blob: its size (int32), then its bytes.
inline const char* blobData(const void* arg) noexcept { return static_cast<const char*>(arg) + sizeof(std::int32_t); }

// Writing OSC without liblo's lo_message_add_*: liblo 0.31 sizes its buffer with an approximate
// log2 and writes past it when a message's data lands just above a power of two of 128 kB or more
// (a dump of a big patch). Big-endian, strings NUL-terminated and padded to 4 bytes.
inline void appendInt32(std::vector<std::uint8_t>& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8)
        out.push_back(static_cast<std::uint8_t>(v >> shift));
}
inline void appendFloat(std::vector<std::uint8_t>& out, float v) {
    std::uint32_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    appendInt32(out, bits);
}
inline void appendString(std::vector<std::uint8_t>& out, std::string_view s) {
    out.insert(out.end(), s.begin(), s.end());
    out.resize(out.size() + 4 - s.size() % 4, 0); // the NUL, then padding
}

} // namespace chronus::app::oscarg
