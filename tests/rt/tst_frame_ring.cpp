// The recorder's real-time pieces: FrameRing (a lock-free SPSC ring of stereo frames) and
// RecordTap (what the audio callback calls): blocks in order across the wrap, all-or-nothing
// writes that count the frames a full ring refused, start and stop on block boundaries, a stop that
// arrives before its start was seen, and a two-thread stress where every frame arrives in order.

#include "audio/RecordTap.hpp"
#include "engine/rt/FrameRing.hpp"

#include <QTest>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

using chronus::audio::RecordTap;
using chronus::engine::rt::FrameRing;

namespace {

// Frame i of a counting signal: left i, right -i.
std::vector<float> countingBlock(std::uint64_t first, std::size_t frames) {
    std::vector<float> block(2 * frames);
    for (std::size_t k = 0; k < frames; ++k) {
        block[2 * k] = static_cast<float>(first + k);
        block[2 * k + 1] = -static_cast<float>(first + k);
    }
    return block;
}

} // namespace

class TestFrameRing : public QObject {
    Q_OBJECT

private slots:
    void capacityIsAPowerOfTwo();
    void blocksComeOutInOrderAcrossTheWrap();
    void fullRingRefusesWholeBlocks();
    void readStopsAtTheLimitAndSkipDropsStaleFrames();
    void tapRecordsFromTheBlockAfterStartToTheBlockBeforeStop();
    void tapCountsDroppedFramesWhenTheRingIsFull();
    void stopBeforeTheStartWasSeenIsAnEmptySession();
    void twoThreadsEveryFrameInOrder();
};

void TestFrameRing::capacityIsAPowerOfTwo() {
    QCOMPARE(FrameRing(1000).capacityFrames(), std::size_t{1024});
    QCOMPARE(FrameRing(1024).capacityFrames(), std::size_t{1024});
    QCOMPARE(FrameRing(0).capacityFrames(), std::size_t{2});
}

void TestFrameRing::blocksComeOutInOrderAcrossTheWrap() {
    FrameRing ring(256);
    std::uint64_t written = 0, read = 0;
    std::vector<float> out(2 * 100);
    for (int round = 0; round < 50; ++round) { // 37-frame blocks against a 256-frame ring: it wraps often
        for (int b = 0; b < 3; ++b) {
            QVERIFY(ring.tryWrite(countingBlock(written, 37).data(), 37));
            written += 37;
        }
        while (const std::size_t n = ring.read(out.data(), 100)) {
            for (std::size_t k = 0; k < n; ++k) {
                QCOMPARE(out[2 * k], static_cast<float>(read + k));
                QCOMPARE(out[2 * k + 1], -static_cast<float>(read + k));
            }
            read += n;
        }
        QCOMPARE(read, written);
    }
    QCOMPARE(ring.writePosition(), written);
    QCOMPARE(ring.readPosition(), read);
}

void TestFrameRing::fullRingRefusesWholeBlocks() {
    FrameRing ring(128);
    QVERIFY(ring.tryWrite(countingBlock(0, 100).data(), 100));
    QVERIFY(!ring.tryWrite(countingBlock(100, 29).data(), 29)); // 129 > 128: refused whole
    QCOMPARE(ring.writePosition(), std::uint64_t{100});
    QVERIFY(ring.tryWrite(countingBlock(100, 28).data(), 28)); // exactly full
    QCOMPARE(ring.readableFrames(), std::size_t{128});
    std::vector<float> out(2 * 128);
    QCOMPARE(ring.read(out.data(), 128), std::size_t{128});
    QCOMPARE(out[2 * 127], 127.0f);
    QVERIFY(ring.tryWrite(countingBlock(128, 128).data(), 128)); // room again after the read
    QVERIFY(!ring.tryWrite(countingBlock(0, 1000).data(), 1000)); // larger than the ring: never fits
}

void TestFrameRing::readStopsAtTheLimitAndSkipDropsStaleFrames() {
    FrameRing ring(256);
    QVERIFY(ring.tryWrite(countingBlock(0, 200).data(), 200));
    ring.skipTo(50);
    std::vector<float> out(2 * 256);
    QCOMPARE(ring.read(out.data(), 256, 120), std::size_t{70});
    QCOMPARE(out[0], 50.0f);
    QCOMPARE(out[2 * 69], 119.0f);
    QCOMPARE(ring.read(out.data(), 256, 120), std::size_t{0}); // at the limit
    ring.skipTo(10'000);                                       // no further than what was written
    QCOMPARE(ring.readPosition(), std::uint64_t{200});
}

void TestFrameRing::tapRecordsFromTheBlockAfterStartToTheBlockBeforeStop() {
    RecordTap tap(4096);
    std::uint64_t frame = 0;
    const auto play = [&](int blocks) {
        for (int b = 0; b < blocks; ++b, frame += 64)
            tap.process(countingBlock(frame, 64).data(), 64);
    };
    play(5); // not recording: nothing reaches the ring
    QCOMPARE(tap.ring().writePosition(), std::uint64_t{0});
    QCOMPARE(tap.acknowledged(), 0u);

    tap.request(RecordTap::startRequest(1));
    const std::uint64_t firstRecorded = frame; // the next block is the first one recorded
    play(7);
    QCOMPARE(tap.acknowledged(), RecordTap::startRequest(1));
    tap.request(RecordTap::stopRequest(1));
    play(3); // the first of these sees the stop: none is recorded
    QCOMPARE(tap.acknowledged(), RecordTap::stopRequest(1));
    QCOMPARE(tap.endPosition() - tap.startPosition(), std::uint64_t{7 * 64});

    std::vector<float> out(2 * 4096);
    tap.ring().skipTo(tap.startPosition());
    QCOMPARE(tap.ring().read(out.data(), 4096, tap.endPosition()), std::size_t{7 * 64});
    QCOMPARE(out[0], static_cast<float>(firstRecorded));
    QCOMPARE(out[2 * (7 * 64 - 1)], static_cast<float>(firstRecorded + 7 * 64 - 1));
    QCOMPARE(tap.droppedFrames(), std::uint64_t{0});

    // A second session starts where the first ended.
    tap.request(RecordTap::startRequest(2));
    play(2);
    QCOMPARE(tap.startPosition(), std::uint64_t{7 * 64});
    QCOMPARE(tap.ring().writePosition(), std::uint64_t{9 * 64});
}

void TestFrameRing::tapCountsDroppedFramesWhenTheRingIsFull() {
    RecordTap tap(1024);
    tap.request(RecordTap::startRequest(1));
    for (int b = 0; b < 20; ++b) // nobody reads: 16 blocks fit, 4 are dropped
        tap.process(countingBlock(static_cast<std::uint64_t>(b) * 64, 64).data(), 64);
    QCOMPARE(tap.ring().writePosition(), std::uint64_t{1024});
    QCOMPARE(tap.droppedFrames(), std::uint64_t{4 * 64});
    std::vector<float> out(2 * 512);
    QCOMPARE(tap.ring().read(out.data(), 512), std::size_t{512});
    tap.process(countingBlock(20 * 64, 64).data(), 64); // room again: accepted
    QCOMPARE(tap.ring().writePosition(), std::uint64_t{1024 + 64});
    QCOMPARE(tap.droppedFrames(), std::uint64_t{4 * 64});
}

void TestFrameRing::stopBeforeTheStartWasSeenIsAnEmptySession() {
    RecordTap tap(1024);
    tap.request(RecordTap::startRequest(1));
    tap.process(countingBlock(0, 64).data(), 64);
    tap.request(RecordTap::stopRequest(1));
    tap.process(countingBlock(64, 64).data(), 64);
    // Session 2 is started and stopped before the callback runs again.
    tap.request(RecordTap::startRequest(2));
    tap.request(RecordTap::stopRequest(2));
    tap.process(countingBlock(128, 64).data(), 64);
    QCOMPARE(tap.acknowledged(), RecordTap::stopRequest(2));
    QCOMPARE(tap.startPosition(), std::uint64_t{64});
    QCOMPARE(tap.endPosition(), std::uint64_t{64});
    QCOMPARE(tap.ring().writePosition(), std::uint64_t{64});
}

void TestFrameRing::twoThreadsEveryFrameInOrder() {
    constexpr std::uint64_t kFrames = 2'000'000;
    FrameRing ring(4096);
    std::atomic<std::uint64_t> dropped{0};
    std::thread producer([&] {
        std::uint64_t next = 0;
        std::vector<float> block;
        while (next < kFrames) {
            const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(1 + next % 97, kFrames - next));
            block = countingBlock(next, n);
            if (ring.tryWrite(block.data(), n))
                next += n;
            else
                dropped.fetch_add(1, std::memory_order_relaxed); // refused: try the same frames again
        }
    });
    std::vector<float> out(2 * 1000);
    std::uint64_t expect = 0;
    bool inOrder = true;
    while (expect < kFrames) { // drains to the end even after a mismatch, so the producer finishes
        const std::size_t n = ring.read(out.data(), 1 + expect % 1000);
        for (std::size_t k = 0; k < n; ++k)
            inOrder = inOrder && out[2 * k] == static_cast<float>(expect + k) &&
                      out[2 * k + 1] == -static_cast<float>(expect + k);
        expect += n;
    }
    producer.join();
    QVERIFY(inOrder);
    QCOMPARE(expect, kFrames);
    qInfo("refused writes retried: %llu", static_cast<unsigned long long>(dropped.load()));
}

QTEST_GUILESS_MAIN(TestFrameRing)
#include "tst_frame_ring.moc"
