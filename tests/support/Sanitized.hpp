#pragma once
// Under a sanitizer the workers run several times slower and ASan's allocator stalls every thread
// now and then: a block the callback found empty says something about the instrumentation, not
// about the engine. Those builds check memory, undefined behaviour and races; the plain build checks
// that nothing ran dry, and the sanitized ones report the count.
#include <QTest>

#include <cstdint>

namespace chronus::test {
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
inline constexpr bool kSanitized = true;
#else
inline constexpr bool kSanitized = false;
#endif
} // namespace chronus::test

// Fails the test if `count` (none-reads: blocks the callback found empty) is not zero; under a
// sanitizer reports it instead.
#define CHRONUS_VERIFY_NO_NONE_READS(count)                                                                  \
    do {                                                                                                     \
        const std::uint64_t chronusNoneReads_ = (count);                                                     \
        if (::chronus::test::kSanitized)                                                                     \
            qInfo("none-reads (sanitized build, not checked): %llu",                                         \
                  static_cast<unsigned long long>(chronusNoneReads_));                                       \
        else                                                                                                 \
            QCOMPARE(chronusNoneReads_, std::uint64_t{0});                                                   \
    } while (false)
