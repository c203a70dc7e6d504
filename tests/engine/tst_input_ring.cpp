// The audio input path without a device: the shared input ring (frames stamped with their absolute
// index), the play position the callback publishes, and the audio_in module reading through its
// cursor. Offline and deterministic.

#include "ModuleDriver.hpp"
#include "engine/modules/AudioIn.hpp"
#include "engine/rt/InputRing.hpp"

#include <QTest>

#include <cmath>
#include <memory>
#include <vector>

using namespace chronus::engine;
using chronus::test::ModuleDriver;

namespace {
// Interleaved stereo frames first .. first + n - 1: left = index, right = -index (exact in float
// below 2^24, so every frame names itself).
std::vector<float> frames(std::uint64_t first, std::size_t n) {
    std::vector<float> v(2 * n);
    for (std::size_t i = 0; i < n; ++i) {
        v[2 * i] = static_cast<float>(first + i);
        v[2 * i + 1] = -static_cast<float>(first + i);
    }
    return v;
}
} // namespace

class TestInputRing : public QObject {
    Q_OBJECT
private slots:
    void readsWhatWasWrittenByIndex();
    void framesNotCapturedYetReadAsSilence();
    void wrappedFramesReadAsSilence();
    void aResetRingIsSilent();
    void playPositionKeepsThePairWhole();
    void audioInReadsTheCursorFrameSplitAcrossBlocks();
    void audioInWithoutCursorOrCapturePlaysSilence();
};

void TestInputRing::readsWhatWasWrittenByIndex() {
    auto ring = std::make_unique<InputRing>();
    ring->reset();
    const auto in = frames(1000, 256);
    ring->write(1000, in.data(), 256);
    QCOMPARE(ring->written(), std::uint64_t{1256});
    std::vector<float> l(100), r(100);
    QCOMPARE(ring->read(1100, l.data(), r.data(), 100), std::size_t{100});
    for (std::size_t i = 0; i < 100; ++i) {
        QCOMPARE(l[i], static_cast<float>(1100 + i));
        QCOMPARE(r[i], -static_cast<float>(1100 + i));
    }
}

void TestInputRing::framesNotCapturedYetReadAsSilence() {
    auto ring = std::make_unique<InputRing>();
    ring->reset();
    const auto in = frames(0, 64);
    ring->write(0, in.data(), 64);
    // A span that starts inside the capture and runs past its end (a slow capture, a reader ahead):
    // the part not captured is silence, and the count says how much was there.
    std::vector<float> l(64, 7.0f), r(64, 7.0f);
    QCOMPARE(ring->read(32, l.data(), r.data(), 64), std::size_t{32});
    QCOMPARE(l[31], 63.0f);
    for (std::size_t i = 32; i < 64; ++i) {
        QCOMPARE(l[i], 0.0f);
        QCOMPARE(r[i], 0.0f);
    }
    // Before the stream's first frame.
    QCOMPARE(ring->read(-10, l.data(), r.data(), 10), std::size_t{0});
    QCOMPARE(l[0], 0.0f);
}

void TestInputRing::wrappedFramesReadAsSilence() {
    auto ring = std::make_unique<InputRing>();
    ring->reset();
    const std::size_t cap = InputRing::kCapacityFrames;
    // Three capacities in callbacks of an odd size: every slot written several times.
    std::uint64_t at = 0;
    for (const std::size_t n : {std::size_t{333}}) {
        while (at < 3 * cap) {
            const auto in = frames(at, n);
            ring->write(at, in.data(), n);
            at += n;
        }
    }
    std::vector<float> l(cap), r(cap);
    // The last capacity reads back whole; the one before it (same slots) is gone: silence.
    QCOMPARE(ring->read(static_cast<std::int64_t>(at - cap), l.data(), r.data(), cap), cap);
    QCOMPARE(l.front(), static_cast<float>(at - cap));
    QCOMPARE(l.back(), static_cast<float>(at - 1));
    QCOMPARE(ring->read(static_cast<std::int64_t>(at - cap - 100), l.data(), r.data(), 100), std::size_t{0});
    for (std::size_t i = 0; i < 100; ++i)
        QCOMPARE(l[i], 0.0f);
}

void TestInputRing::aResetRingIsSilent() {
    auto ring = std::make_unique<InputRing>();
    const auto in = frames(0, 128);
    ring->write(0, in.data(), 128);
    ring->reset();
    std::vector<float> l(128, 1.0f);
    QCOMPARE(ring->read(0, l.data(), nullptr, 128), std::size_t{0});
    for (float x : l)
        QCOMPARE(x, 0.0f);
}

void TestInputRing::playPositionKeepsThePairWhole() {
    PlayPosition p;
    std::uint64_t frame = 1, position = 1;
    QVERIFY(p.read(frame, position));
    QCOMPARE(frame, std::uint64_t{0});
    QCOMPARE(position, std::uint64_t{0});
    p.publish(4800, 5056);
    QVERIFY(p.read(frame, position));
    QCOMPARE(frame, std::uint64_t{4800});
    QCOMPARE(position, std::uint64_t{5056});
}

void TestInputRing::audioInReadsTheCursorFrameSplitAcrossBlocks() {
    auto ring = std::make_unique<InputRing>();
    ring->reset();
    const auto in = frames(0, 4096);
    ring->write(0, in.data(), 4096);
    ModuleDriver dut("audio_in", 48000.0, 16); // a 64-frame block rendered as four calls of 16
    QVERIFY(dut.valid());
    QVERIFY(dut.setParam("gain", 0.5));
    InputCursor cursor{ring.get(), 1000, 1, true};
    dut.as<AudioIn>().bind(&cursor);
    auto out = dut.run(64);
    QCOMPARE(out.size(), std::size_t{2});
    for (std::size_t i = 0; i < 64; ++i) {
        QCOMPARE(out[0][i], 0.5f * static_cast<float>(1000 + i));
        QCOMPARE(out[1][i], -0.5f * static_cast<float>(1000 + i));
    }
    // The next block: the worker moved the cursor on; a jump back (another slot's view) is followed.
    cursor.frame = 3000;
    ++cursor.block;
    out = dut.run(64);
    QCOMPARE(out[0][0], 1500.0f);
    QCOMPARE(out[0][63], 0.5f * 3063.0f);
    // The same frame again for a new block (the ring skipped ahead while the output did not move):
    // the block reads from that frame, not on from the last one.
    ++cursor.block;
    out = dut.run(64);
    QCOMPARE(out[0][0], 1500.0f);
    // Aimed past the capture (a capture that is late or gone): silence.
    cursor.frame = 4096 + 64;
    ++cursor.block;
    out = dut.run(64);
    for (float x : out[0])
        QCOMPARE(x, 0.0f);
}

void TestInputRing::audioInWithoutCursorOrCapturePlaysSilence() {
    auto ring = std::make_unique<InputRing>();
    ring->reset();
    const auto in = frames(0, 256);
    ring->write(0, in.data(), 256);
    ModuleDriver unbound("audio_in", 48000.0, 64);
    auto out = unbound.run(128);
    for (const auto& channel : out)
        for (float x : channel)
            QCOMPARE(x, 0.0f);
    // Bound, but the block is not for the output (a warm-up, a mirror's catch-up of the past).
    ModuleDriver notLive("audio_in", 48000.0, 64);
    InputCursor cursor{ring.get(), 0, 1, false};
    notLive.as<AudioIn>().bind(&cursor);
    out = notLive.run(128);
    for (const auto& channel : out)
        for (float x : channel)
            QCOMPARE(x, 0.0f);
}

QTEST_APPLESS_MAIN(TestInputRing)
#include "tst_input_ring.moc"
