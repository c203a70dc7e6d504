#pragma once
// Reading liblo's arguments without undefined behaviour: liblo hands out lo_arg pointers into the
// packet, aligned to 4 bytes, while the lo_arg union (it holds doubles and int64s) needs 8. Members
// are read by copying their bytes, never through the union.

#include <cstdint>
#include <cstring>

namespace chronus::app::oscarg {

template <class T> T read(const void* arg) noexcept {
    T value;
    std::memcpy(&value, arg, sizeof value);
    return value;
}
inline const char* text(const void* arg) noexcept { return static_cast<const char*>(arg); }
// A blob: its size (int32), then its bytes.
inline const char* blobData(const void* arg) noexcept { return static_cast<const char*>(arg) + sizeof(std::int32_t); }

} // namespace chronus::app::oscarg
