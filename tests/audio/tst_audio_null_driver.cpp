// NullDriver: the clock-paced driver with no device. Block sizes, pacing against the wall clock,
// stop semantics, the tap, xrun and re-sync when the callback falls behind, config errors.
// Timing assertions are deliberately generous (the machine is shared): they catch a driver that
// runs at the wrong rate, not jitter.

#include "TestCallbacks.hpp"
#include "audio/NullDriver.hpp"
#include "support/SignalAnalysis.hpp"

#include <QTest>

#include <array>
#include <chrono>
#include <thread>
#include <vector>

using namespace chronus::audio;
using chronus::test::SineCallback;
using Clock = std::chrono::steady_clock;

namespace {

DriverConfig config(double rate, int block) {
    DriverConfig c;
    c.sampleRate = rate;
    c.blockSize = block;
    return c;
}

// Stalls once, on call `stallAt`, for `stall`; records when each call began. Test-only: a real
// callback never sleeps.
class StallingCallback : public AudioCallback {
public:
    static constexpr int kCalls = 64;
    StallingCallback(int stallAt, std::chrono::milliseconds stall) : m_stallAt(stallAt), m_stall(stall) {}
    void process(float* out, const CallbackInfo& info) noexcept override {
        const int call = m_calls.load(std::memory_order_relaxed);
        if (call < kCalls) {
            m_start[static_cast<std::size_t>(call)] = Clock::now();
            m_xrun[static_cast<std::size_t>(call)] = info.xrun;
        }
        std::fill_n(out, info.frames * 2, 0.0f);
        if (call == m_stallAt)
            std::this_thread::sleep_for(m_stall);
        m_calls.store(call + 1, std::memory_order_release);
    }
    int calls() const { return m_calls.load(std::memory_order_acquire); }
    // Read after stop() (or for calls below calls()).
    Clock::time_point start(int call) const { return m_start[static_cast<std::size_t>(call)]; }
    bool xrun(int call) const { return m_xrun[static_cast<std::size_t>(call)]; }

private:
    const int m_stallAt;
    const std::chrono::milliseconds m_stall;
    std::array<Clock::time_point, kCalls> m_start{};
    std::array<bool, kCalls> m_xrun{};
    std::atomic<int> m_calls{0};
};

} // namespace

class TestNullDriver : public QObject {
    Q_OBJECT

private slots:
    void deliversTheConfiguredBlockSize_data();
    void deliversTheConfiguredBlockSize();
    void pacesFramesAtTheConfiguredRate();
    void stopJoinsAndNoCallbackFollows();
    void restartsAfterStop();
    void sineIsSeenInTheTap();
    void fallingBehindCountsAnXrunAndResyncs();
    void reportsRealtimeScheduling();
    void rejectsInvalidConfigurations();
    void enforcesTheLifecycle();
};

void TestNullDriver::deliversTheConfiguredBlockSize_data() {
    QTest::addColumn<double>("rate");
    QTest::addColumn<int>("block");
    QTest::addRow("48k/64") << 48000.0 << 64;
    QTest::addRow("44.1k/37") << 44100.0 << 37; // odd sizes catch block-boundary bugs
    QTest::addRow("96k/1024") << 96000.0 << 1024;
}

void TestNullDriver::deliversTheConfiguredBlockSize() {
    QFETCH(double, rate);
    QFETCH(int, block);
    NullDriver driver;
    SineCallback callback(440.0, 0.5f);
    QVERIFY2(driver.start(callback, config(rate, block)).ok(), "null driver start");
    QCOMPARE(driver.name(), std::string("null"));
    QCOMPARE(driver.sampleRate(), rate);
    QCOMPARE(driver.blockSize(), block);
    QTRY_VERIFY_WITH_TIMEOUT(callback.calls() >= 10, 5000);
    driver.stop();
    QCOMPARE(callback.minFrames(), block);
    QCOMPARE(callback.maxFrames(), block);
    QCOMPARE(callback.sampleRate(), rate);
    QCOMPARE(callback.positionErrors(), std::uint64_t{0});
    QCOMPARE(driver.framesProcessed(), callback.calls() * static_cast<std::uint64_t>(block));
    QCOMPARE(driver.callbacks(), callback.calls());
}

void TestNullDriver::pacesFramesAtTheConfiguredRate() {
    const double rate = 48000.0;
    NullDriver driver;
    SineCallback callback(440.0, 0.5f);
    QVERIFY(driver.start(callback, config(rate, 256)).ok());
    QTRY_VERIFY_WITH_TIMEOUT(callback.calls() >= 1, 5000);
    const auto t0 = Clock::now();
    const std::uint64_t f0 = driver.framesProcessed();
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    const std::uint64_t f1 = driver.framesProcessed();
    const auto t1 = Clock::now();
    driver.stop();
    const double seconds = std::chrono::duration<double>(t1 - t0).count();
    const double ratio = static_cast<double>(f1 - f0) / (seconds * rate);
    qInfo("null driver pacing: %llu frames in %.4f s = %.1f frames/s, %.3f %% of %g Hz; %llu xruns",
          static_cast<unsigned long long>(f1 - f0), seconds, static_cast<double>(f1 - f0) / seconds,
          100.0 * ratio, rate, static_cast<unsigned long long>(driver.xruns()));
    QVERIFY2(ratio > 0.5 && ratio < 1.5, qPrintable(QString("delivered %1 of the rate").arg(ratio)));
}

void TestNullDriver::stopJoinsAndNoCallbackFollows() {
    NullDriver driver;
    SineCallback callback(440.0, 0.5f);
    QVERIFY(driver.start(callback, config(48000.0, 64)).ok());
    QTRY_VERIFY_WITH_TIMEOUT(callback.calls() >= 5, 5000);
    QVERIFY(driver.isRunning());
    driver.stop();
    QVERIFY(!callback.inProcess());
    QVERIFY(!driver.isRunning());
    QVERIFY(!driver.isOpen());
    const std::uint64_t calls = callback.calls();
    std::this_thread::sleep_for(std::chrono::milliseconds(50)); // ~37 block periods
    QCOMPARE(callback.calls(), calls);
    driver.stop(); // a second stop is harmless
}

void TestNullDriver::restartsAfterStop() {
    NullDriver driver;
    for (int round = 0; round < 3; ++round) {
        SineCallback callback(440.0, 0.5f);
        QVERIFY(driver.start(callback, config(48000.0, 128)).ok());
        QTRY_VERIFY_WITH_TIMEOUT(callback.calls() >= 3, 5000);
        driver.stop();
        QCOMPARE(callback.positionErrors(), std::uint64_t{0}); // framePosition restarts at 0
    }
}

void TestNullDriver::sineIsSeenInTheTap() {
    const double rate = 48000.0;
    const int block = 480; // ten periods of 1 kHz
    NullDriver driver;
    SineCallback callback(1000.0, 0.5f);
    QVERIFY(driver.start(callback, config(rate, block)).ok());
    QTRY_VERIFY_WITH_TIMEOUT(callback.calls() >= 5, 5000);

    std::vector<float> tap(static_cast<std::size_t>(block) * 2);
    int frames = 0;
    QTRY_VERIFY_WITH_TIMEOUT((frames = driver.copyLastBlock(tap)) > 0, 2000);
    QCOMPARE(frames, block);
    QCOMPARE(driver.copyLastBlock(std::span<float>(tap.data(), 10)), 0); // too small: nothing copied
    const float peak = driver.lastPeak();
    const float rms = driver.lastRms();
    driver.stop();

    std::vector<float> left, right;
    for (int i = 0; i < frames; ++i) {
        left.push_back(tap[static_cast<std::size_t>(2 * i)]);
        right.push_back(tap[static_cast<std::size_t>(2 * i + 1)]);
    }
    QVERIFY(chronus::test::allFinite(left));
    QVERIFY(qAbs(chronus::test::peak(left) - 0.5f) < 0.01f);
    for (int i = 0; i < frames; ++i)
        QCOMPARE(right[static_cast<std::size_t>(i)], -left[static_cast<std::size_t>(i)]);
    const double frequency = chronus::test::estimateFrequency(left, rate);
    QVERIFY2(qAbs(frequency - 1000.0) < 2.0, qPrintable(QString("frequency %1 Hz").arg(frequency)));
    QVERIFY(qAbs(peak - 0.5f) < 0.01f);
    QVERIFY(qAbs(rms - 0.5f / std::sqrt(2.0f)) < 0.01f);
}

void TestNullDriver::fallingBehindCountsAnXrunAndResyncs() {
    // 256 frames at 48 kHz is 5.3 ms a block; one call stalls for 40 ms, seven blocks.
    const int stallAt = 10;
    NullDriver driver;
    StallingCallback callback(stallAt, std::chrono::milliseconds(40));
    QVERIFY(driver.start(callback, config(48000.0, 256)).ok());
    QTRY_VERIFY_WITH_TIMEOUT(callback.calls() >= StallingCallback::kCalls, 5000);
    driver.stop();

    QVERIFY(driver.xruns() >= 1);
    QVERIFY2(callback.xrun(stallAt + 1), "the call after the stall carries the xrun flag");
    // Re-sync: after the stall, one block follows at once (the device ran dry) and the next ones
    // keep the period again. Without re-sync the missed blocks would come back to back.
    const auto period = std::chrono::microseconds(5333);
    int backToBack = 0;
    for (int call = stallAt + 2; call < stallAt + 12; ++call)
        if (callback.start(call) - callback.start(call - 1) < period / 4)
            ++backToBack;
    QVERIFY2(backToBack <= 2, qPrintable(QString("%1 blocks came back to back after the stall").arg(backToBack)));
}

void TestNullDriver::reportsRealtimeScheduling() {
    NullDriver driver;
    SineCallback callback(440.0, 0.5f);
    QCOMPARE(driver.realtimeStatus().state, RealtimeState::Unknown);
    QVERIFY(driver.start(callback, config(48000.0, 256)).ok());
    QTRY_VERIFY_WITH_TIMEOUT(callback.calls() >= 1, 5000);
    const RealtimeStatus status = driver.realtimeStatus();
    driver.stop();
    QVERIFY(status.state != RealtimeState::Unknown);
    if (status.state == RealtimeState::Granted) {
        QVERIFY(status.priority > 0);
        qInfo("null driver thread: SCHED_FIFO priority %d", status.priority);
    } else {
        qInfo("null driver thread: no real-time scheduling (not permitted here); it runs anyway");
    }
}

void TestNullDriver::rejectsInvalidConfigurations() {
    NullDriver driver;
    SineCallback callback(440.0, 0.5f);
    for (const DriverConfig& bad : {config(48000.0, -1), config(48000.0, NullDriver::kMaxBlockSize + 1),
                                    config(10.0, 256), config(1e7, 256)}) {
        const auto status = driver.start(callback, bad);
        QVERIFY(!status.ok());
        QVERIFY(!status.message().empty());
        QVERIFY(!driver.isOpen());
    }
    QCOMPARE(callback.calls(), std::uint64_t{0});
    // 0 means "the device's choice": the null driver's defaults.
    QVERIFY(driver.open(config(0.0, 0)).ok());
    QCOMPARE(driver.sampleRate(), NullDriver::kDefaultSampleRate);
    QCOMPARE(driver.blockSize(), NullDriver::kDefaultBlockSize);
    driver.stop();
}

void TestNullDriver::enforcesTheLifecycle() {
    NullDriver driver;
    SineCallback callback(440.0, 0.5f);
    QVERIFY(!driver.start(callback).ok()); // not open
    QVERIFY(driver.open(config(48000.0, 64)).ok());
    QVERIFY(!driver.open(config(48000.0, 64)).ok()); // already open
    QVERIFY(driver.start(callback).ok());
    QVERIFY(!driver.start(callback).ok()); // already running
    QTRY_VERIFY_WITH_TIMEOUT(callback.calls() >= 1, 5000);
    driver.stop();
}

QTEST_GUILESS_MAIN(TestNullDriver)
#include "tst_audio_null_driver.moc"
