// AudioRing: sequential frames across wrap-around, block accounting, and a two-thread stress where
// the consumer reads odd sizes while the producer writes blocks (run under TSan too).

#include "engine/rt/AudioRing.hpp"

#include <QTest>

#include <memory>
#include <thread>
#include <vector>

using chronus::engine::AudioRing;

namespace {
// Frame n carries n (mod 2^20, exact in float) on the left and -n on the right.
float valueOf(std::uint64_t n) { return static_cast<float>(n & 0xfffff); }

void writeBlock(AudioRing& ring, std::uint64_t first, std::size_t frames) {
    std::vector<float> l(frames), r(frames);
    for (std::size_t i = 0; i < frames; ++i) {
        l[i] = valueOf(first + i);
        r[i] = -valueOf(first + i);
    }
    ring.write(l.data(), r.data(), frames);
}
} // namespace

class TestAudioRing : public QObject {
    Q_OBJECT

private slots:
    void readsFramesInOrderAcrossWrap();
    void writableBlocksRespectsTargetAndCapacity();
    void emptyReadReturnsZero();
    void twoThreadsKeepEveryFrameInOrder();
};

void TestAudioRing::readsFramesInOrderAcrossWrap() {
    auto ring = std::make_unique<AudioRing>();
    ring->configure(64);
    std::uint64_t written = 0, read = 0;
    std::vector<float> buf(2 * 1000);
    // Far more than the capacity, so the indices wrap many times.
    while (read < 5 * AudioRing::kCapacityFrames) {
        while (ring->writableBlocks(8) > 0) {
            writeBlock(*ring, written, 64);
            written += 64;
        }
        const std::size_t n = ring->read(buf.data(), 37 + read % 100);
        for (std::size_t i = 0; i < n; ++i) {
            QCOMPARE(buf[2 * i], valueOf(read + i));
            QCOMPARE(buf[2 * i + 1], -valueOf(read + i));
        }
        read += n;
    }
}

void TestAudioRing::writableBlocksRespectsTargetAndCapacity() {
    auto ring = std::make_unique<AudioRing>();
    ring->configure(256);
    QCOMPARE(ring->writableBlocks(4), std::size_t(4));
    writeBlock(*ring, 0, 256);
    QCOMPARE(ring->writableBlocks(4), std::size_t(3));
    QCOMPARE(ring->occupancyBlocks(), 1.0);
    std::vector<float> buf(2 * 128);
    QCOMPARE(ring->read(buf.data(), 128), std::size_t(128));
    QCOMPARE(ring->occupancyBlocks(), 0.5);
    QCOMPARE(ring->writableBlocks(4), std::size_t(3)); // half a block free is not a block
    QCOMPARE(ring->writableBlocks(1'000'000), (AudioRing::kCapacityFrames - 128) / 256);
}

void TestAudioRing::emptyReadReturnsZero() {
    auto ring = std::make_unique<AudioRing>();
    ring->configure(64);
    float buf[2] = {5.0f, 5.0f};
    QCOMPARE(ring->read(buf, 1), std::size_t(0));
    QCOMPARE(buf[0], 5.0f);
}

void TestAudioRing::twoThreadsKeepEveryFrameInOrder() {
    constexpr std::uint64_t kFrames = 4'000'000;
    auto ring = std::make_unique<AudioRing>();
    ring->configure(64);
    std::thread producer([&] {
        std::vector<float> l(64), r(64);
        for (std::uint64_t written = 0; written < kFrames;) {
            if (ring->writableBlocks(16) == 0) {
                std::this_thread::yield();
                continue;
            }
            for (std::size_t i = 0; i < 64; ++i) {
                l[i] = valueOf(written + i);
                r[i] = -valueOf(written + i);
            }
            ring->write(l.data(), r.data(), 64);
            written += 64;
        }
    });
    std::vector<float> buf(2 * 512);
    bool inOrder = true;
    for (std::uint64_t read = 0; read < kFrames;) {
        const std::size_t n = ring->read(buf.data(), 1 + read % 511);
        for (std::size_t i = 0; i < n; ++i)
            inOrder &= buf[2 * i] == valueOf(read + i) && buf[2 * i + 1] == -valueOf(read + i);
        read += n;
    }
    producer.join();
    QVERIFY(inOrder);
    QCOMPARE(ring->occupancyFrames(), std::size_t(0));
}

QTEST_APPLESS_MAIN(TestAudioRing)
#include "tst_audio_ring.moc"
