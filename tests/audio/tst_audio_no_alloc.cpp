// The driver's real-time path does not allocate: a counting global operator new watches the
// NullDriver's audio thread from its first callback to one a few hundred blocks later, which
// covers the whole loop (deliver, the denormal guard, the xrun check, the tap, the sleep), not only
// the time inside process().

#include "TestCallbacks.hpp"
#include "audio/NullDriver.hpp"

#include <QTest>

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<long> g_allocations{0};
thread_local bool t_counting = false;

void* countedAlloc(std::size_t size) {
    if (t_counting)
        g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size ? size : 1))
        return p;
    throw std::bad_alloc();
}
} // namespace

void* operator new(std::size_t size) { return countedAlloc(size); }
void* operator new[](std::size_t size) { return countedAlloc(size); }
void operator delete(void* p) noexcept {
    if (t_counting)
        g_allocations.fetch_add(1, std::memory_order_relaxed);
    std::free(p);
}
void operator delete[](void* p) noexcept { operator delete(p); }
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }
void operator delete[](void* p, std::size_t) noexcept { operator delete(p); }

using namespace chronus::audio;

namespace {

// Turns counting on for the audio thread at its first call and leaves it on between calls, until
// `callsToCount` calls have run; optionally allocates once inside (the detector's positive control).
class CountingCallback : public AudioCallback {
public:
    CountingCallback(int callsToCount, bool allocateOnce) : m_callsToCount(callsToCount), m_allocateOnce(allocateOnce) {}
    void process(float* out, const CallbackInfo& info) noexcept override {
        const int call = m_calls.load(std::memory_order_relaxed);
        if (call == 0)
            t_counting = true;
        m_sine.process(out, info);
        if (m_allocateOnce && call == 1) {
            int* volatile p = new int(3); // volatile: the pair may not be elided
            delete p;
        }
        if (call + 1 == m_callsToCount) {
            t_counting = false;
            m_done.store(true, std::memory_order_release);
        }
        m_calls.store(call + 1, std::memory_order_release);
    }
    bool done() const { return m_done.load(std::memory_order_acquire); }

private:
    const int m_callsToCount;
    const bool m_allocateOnce;
    chronus::test::SineCallback m_sine{440.0, 0.5f};
    std::atomic<int> m_calls{0};
    std::atomic<bool> m_done{false};
};

long countDuringRun(int block, bool allocateOnce) {
    NullDriver driver;
    CountingCallback callback(300, allocateOnce);
    DriverConfig config;
    config.sampleRate = 48000.0;
    config.blockSize = block;
    const long before = g_allocations.load();
    if (!driver.start(callback, config).ok())
        return -1;
    while (!callback.done())
        QTest::qWait(10);
    driver.stop();
    return g_allocations.load() - before;
}

} // namespace

class TestAudioNoAlloc : public QObject {
    Q_OBJECT

private slots:
    void detectorSeesAnAllocationOnTheAudioThread();
    void nullDriverLoopDoesNotAllocate_data();
    void nullDriverLoopDoesNotAllocate();
};

void TestAudioNoAlloc::detectorSeesAnAllocationOnTheAudioThread() {
    QCOMPARE(countDuringRun(64, true), 2L); // one new, one delete
}

void TestAudioNoAlloc::nullDriverLoopDoesNotAllocate_data() {
    QTest::addColumn<int>("block");
    QTest::addRow("block 16") << 16;
    QTest::addRow("block 37") << 37;
    QTest::addRow("block 256") << 256;
}

void TestAudioNoAlloc::nullDriverLoopDoesNotAllocate() {
    QFETCH(int, block);
    QCOMPARE(countDuringRun(block, false), 0L);
}

QTEST_GUILESS_MAIN(TestAudioNoAlloc)
#include "tst_audio_no_alloc.moc"
