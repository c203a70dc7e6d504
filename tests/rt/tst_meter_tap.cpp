// MeterTap, what the status panel's meter and scope read of the output: levels of the latest block,
// a held peak that outlives the gap between two polls, a window RMS, the newest frames of the scope
// ring in order across the wrap, and a two-thread stress (the audio thread writing, the GUI thread
// copying) where every copy is a run of consecutive frames. Also run under ThreadSanitizer.

#include "audio/MeterTap.hpp"

#include <QTest>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <thread>
#include <vector>

using chronus::audio::MeterTap;

namespace {

// Frame i of a counting signal: left i, right -i (exact in a float below 2^24).
std::vector<float> countingBlock(std::uint64_t first, std::size_t frames) {
    std::vector<float> block(2 * frames);
    for (std::size_t k = 0; k < frames; ++k) {
        const auto v = static_cast<float>((first + k) % (1u << 24));
        block[2 * k] = v;
        block[2 * k + 1] = -v;
    }
    return block;
}

std::vector<float> constantBlock(float left, float right, std::size_t frames) {
    std::vector<float> block(2 * frames);
    for (std::size_t k = 0; k < frames; ++k) {
        block[2 * k] = left;
        block[2 * k + 1] = right;
    }
    return block;
}

} // namespace

class TestMeterTap : public QObject {
    Q_OBJECT

private slots:
    void levelsOfTheLatestBlock();
    void heldPeakOutlivesAWindowThenFalls();
    void windowRmsIsSteady();
    void copyLatestGivesTheNewestFramesInOrder();
    void aBlockLargerThanTheRingKeepsItsNewestFrames();
    void toDbHasAFloor();
    void twoThreadsEveryCopyIsConsecutive();
};

void TestMeterTap::levelsOfTheLatestBlock() {
    MeterTap tap;
    QCOMPARE(tap.peak(), 0.0f);
    constexpr int frames = 480; // 10 periods of a 1 kHz sine at 48 kHz
    std::vector<float> block(2 * frames);
    for (int i = 0; i < frames; ++i) {
        const double s = std::sin(2.0 * std::numbers::pi * 1000.0 * i / 48000.0);
        block[static_cast<std::size_t>(2 * i)] = static_cast<float>(0.5 * s);
        block[static_cast<std::size_t>(2 * i + 1)] = static_cast<float>(-0.25 * s);
    }
    tap.process(block.data(), frames);
    QVERIFY(std::fabs(tap.peak(0) - 0.5f) < 1e-3f);
    QVERIFY(std::fabs(tap.peak(1) - 0.25f) < 1e-3f);
    QCOMPARE(tap.peak(), tap.peak(0));
    QVERIFY(std::fabs(tap.rms(0) - 0.5f / std::numbers::sqrt2_v<float>) < 1e-3f);
    QVERIFY(std::fabs(tap.rms(1) - 0.25f / std::numbers::sqrt2_v<float>) < 1e-3f);
    // A quieter block replaces the block levels.
    tap.process(constantBlock(0.1f, -0.2f, 64).data(), 64);
    QCOMPARE(tap.peak(0), 0.1f);
    QCOMPARE(tap.peak(1), 0.2f);
    QVERIFY(std::fabs(tap.rms(1) - 0.2f) < 1e-6f);
}

void TestMeterTap::heldPeakOutlivesAWindowThenFalls() {
    MeterTap tap;
    constexpr int block = 64;
    tap.process(constantBlock(0.1f, 0.1f, block).data(), block);
    std::vector<float> spike = constantBlock(0.1f, 0.1f, block);
    spike[20] = -0.9f; // one sample, left
    tap.process(spike.data(), block);
    QCOMPARE(tap.peak(0), 0.9f);
    // Held for at least a whole window after the spike, whichever bucket it fell in ...
    int framesAfter = 0;
    while (framesAfter < MeterTap::kWindowFrames) {
        tap.process(constantBlock(0.1f, 0.1f, block).data(), block);
        framesAfter += block;
        QCOMPARE(tap.peak(0), 0.1f);
        QCOMPARE(tap.heldPeak(0), 0.9f);
        QCOMPARE(tap.heldPeak(1), 0.1f);
    }
    // ... and gone after two.
    while (framesAfter < 2 * MeterTap::kWindowFrames + block) {
        tap.process(constantBlock(0.1f, 0.1f, block).data(), block);
        framesAfter += block;
    }
    QCOMPARE(tap.heldPeak(0), 0.1f);
}

void TestMeterTap::windowRmsIsSteady() {
    MeterTap tap;
    QCOMPARE(tap.windowRms(0), 0.0f);
    constexpr int block = 37; // does not divide the window
    for (int i = 0; i < 3 * MeterTap::kWindowFrames / block; ++i) {
        std::vector<float> b = constantBlock(0.5f, 0.0f, block);
        if (i % 2) // a square wave of +-0.5 on the left: its RMS is 0.5 whatever the window's phase
            for (int k = 0; k < block; ++k)
                b[static_cast<std::size_t>(2 * k)] = -0.5f;
        tap.process(b.data(), block);
    }
    QVERIFY(std::fabs(tap.windowRms(0) - 0.5f) < 1e-5f);
    QCOMPARE(tap.windowRms(1), 0.0f);
}

void TestMeterTap::copyLatestGivesTheNewestFramesInOrder() {
    MeterTap tap;
    std::vector<float> out(2 * MeterTap::kScopeFrames);
    QCOMPARE(tap.copyLatest(out.data(), 100), std::size_t{0});
    std::uint64_t written = 0;
    tap.process(countingBlock(0, 50).data(), 50);
    written += 50;
    QCOMPARE(tap.copyLatest(out.data(), 100), std::size_t{50}); // no more than there is
    QCOMPARE(out[0], 0.0f);
    QCOMPARE(out[2 * 49], 49.0f);
    for (int round = 0; round < 300; ++round) { // 61-frame blocks wrap the 4096-frame ring often
        tap.process(countingBlock(written, 61).data(), 61);
        written += 61;
        QCOMPARE(tap.framesWritten(), written);
        const std::size_t want = static_cast<std::size_t>(round * 37) % MeterTap::kScopeFrames + 1;
        const std::size_t n = tap.copyLatest(out.data(), want);
        QCOMPARE(n, std::min<std::size_t>(want, written));
        for (std::size_t k = 0; k < n; ++k) {
            const auto expected = static_cast<float>(written - n + k);
            QCOMPARE(out[2 * k], expected);
            QCOMPARE(out[2 * k + 1], -expected);
        }
    }
    // Never more than the ring holds.
    out.resize(2 * 2 * MeterTap::kScopeFrames);
    QCOMPARE(tap.copyLatest(out.data(), 2 * MeterTap::kScopeFrames), MeterTap::kScopeFrames);
    QCOMPARE(out[2 * (MeterTap::kScopeFrames - 1)], static_cast<float>(written - 1));
}

void TestMeterTap::aBlockLargerThanTheRingKeepsItsNewestFrames() {
    MeterTap tap;
    constexpr std::size_t big = MeterTap::kScopeFrames + 1000;
    tap.process(countingBlock(0, big).data(), static_cast<int>(big));
    QCOMPARE(tap.framesWritten(), std::uint64_t{big});
    std::vector<float> out(2 * MeterTap::kScopeFrames);
    QCOMPARE(tap.copyLatest(out.data(), MeterTap::kScopeFrames), MeterTap::kScopeFrames);
    QCOMPARE(out[0], 1000.0f);
    QCOMPARE(out[2 * (MeterTap::kScopeFrames - 1)], static_cast<float>(big - 1));
}

void TestMeterTap::toDbHasAFloor() {
    QCOMPARE(MeterTap::toDb(1.0), 0.0);
    QVERIFY(std::fabs(MeterTap::toDb(0.5) - (-6.0206)) < 1e-3);
    QCOMPARE(MeterTap::toDb(0.0), -90.0);
    QCOMPARE(MeterTap::toDb(1e-9, -60.0), -60.0);
}

void TestMeterTap::twoThreadsEveryCopyIsConsecutive() {
    // The writer plays blocks of an odd size until the reader has made its copies, so the two
    // really overlap; every copy must be consecutive frames, newest no later than the writer got.
    MeterTap tap;
    constexpr int kCopies = 3000;
    std::atomic<bool> done{false};
    std::thread writer([&] {
        std::vector<float> block(2 * 53);
        std::uint64_t written = 0;
        while (!done.load(std::memory_order_acquire)) {
            for (std::size_t k = 0; k < 53; ++k) {
                const auto v = static_cast<float>((written + k) % (1u << 24));
                block[2 * k] = v;
                block[2 * k + 1] = -v;
            }
            tap.process(block.data(), 53);
            written += 53;
            if (written % (53 * 64) == 0)
                std::this_thread::yield(); // let a lone core run the reader too
        }
    });
    while (tap.framesWritten() < 1024)
        std::this_thread::yield();
    std::vector<float> out(2 * 1024);
    int failures = 0, full = 0;
    for (int i = 0; i < kCopies; ++i) {
        const std::size_t n = tap.copyLatest(out.data(), 1024);
        const std::uint64_t after = tap.framesWritten();
        if (n == 1024)
            ++full;
        for (std::size_t k = 0; k < n && failures < 5; ++k) {
            const float expected = k == 0 ? out[0] : out[2 * (k - 1)] + 1.0f;
            if (out[2 * k] != expected || out[2 * k + 1] != -out[2 * k]) {
                qWarning("copy %d frame %zu: %g %g after %g", i, k, double(out[2 * k]), double(out[2 * k + 1]),
                         k ? double(out[2 * (k - 1)]) : 0.0);
                ++failures;
            }
        }
        if (n > 0 && out[2 * (n - 1)] >= static_cast<float>(after) && after < (1u << 24)) {
            qWarning("copy %d ends at frame %g, but only %llu frames were written", i, double(out[2 * (n - 1)]),
                     static_cast<unsigned long long>(after));
            ++failures;
        }
    }
    done.store(true, std::memory_order_release);
    writer.join();
    QCOMPARE(failures, 0);
    QVERIFY(full > kCopies / 2); // whole copies, not ones the writer lapped
}

QTEST_GUILESS_MAIN(TestMeterTap)
#include "tst_meter_tap.moc"
