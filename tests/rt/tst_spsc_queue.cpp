// SpscQueue: FIFO order, honest fullness, and a two-thread ordering stress (run under TSan too).

#include "engine/rt/SpscQueue.hpp"

#include <QTest>

#include <cstdint>
#include <thread>

using chronus::engine::SpscQueue;

namespace {
struct Command { // the shape of an engine command: a small trivially copyable value
    std::uint32_t sequence;
    std::uint32_t node;
    float value;
};
} // namespace

class TestSpscQueue : public QObject {
    Q_OBJECT

private slots:
    void popsInPushOrder();
    void refusesWhenFullAndRecovers();
    void emptyPopLeavesValueAlone();
    void twoThreadsSeeEveryValueInOrder();
};

void TestSpscQueue::popsInPushOrder() {
    SpscQueue<Command, 8> q;
    for (std::uint32_t i = 0; i < 5; ++i)
        QVERIFY(q.tryPush({i, i * 2, static_cast<float>(i) * 0.5f}));
    QCOMPARE(q.sizeApprox(), std::size_t(5));
    for (std::uint32_t i = 0; i < 5; ++i) {
        Command c{};
        QVERIFY(q.tryPop(c));
        QCOMPARE(c.sequence, i);
        QCOMPARE(c.node, i * 2);
    }
    QCOMPARE(q.sizeApprox(), std::size_t(0));
}

void TestSpscQueue::refusesWhenFullAndRecovers() {
    SpscQueue<Command, 4> q;
    for (std::uint32_t i = 0; i < 4; ++i)
        QVERIFY(q.tryPush({i, 0, 0.0f}));
    QVERIFY(!q.tryPush({99, 0, 0.0f})); // full: refused, not overwritten
    Command c{};
    QVERIFY(q.tryPop(c));
    QCOMPARE(c.sequence, 0u);
    QVERIFY(q.tryPush({4, 0, 0.0f}));
    for (std::uint32_t i = 1; i <= 4; ++i) {
        QVERIFY(q.tryPop(c));
        QCOMPARE(c.sequence, i);
    }
}

void TestSpscQueue::emptyPopLeavesValueAlone() {
    SpscQueue<Command, 4> q;
    Command c{7, 7, 7.0f};
    QVERIFY(!q.tryPop(c));
    QCOMPARE(c.sequence, 7u);
}

void TestSpscQueue::twoThreadsSeeEveryValueInOrder() {
    constexpr std::uint32_t kCount = 2'000'000;
    static SpscQueue<Command, 64> q; // small capacity: both the full and the empty paths get exercised
    std::uint32_t fullRefusals = 0;
    std::thread producer([&] {
        for (std::uint32_t i = 0; i < kCount;) {
            if (q.tryPush({i, ~i, static_cast<float>(i & 0xffff)}))
                ++i;
            else
                ++fullRefusals;
        }
    });
    std::uint32_t expected = 0;
    bool inOrder = true;
    while (expected < kCount) {
        Command c{};
        if (!q.tryPop(c))
            continue;
        inOrder &= c.sequence == expected && c.node == ~expected && c.value == static_cast<float>(expected & 0xffff);
        ++expected;
    }
    producer.join();
    QVERIFY(inOrder);
    QCOMPARE(expected, kCount);
    QCOMPARE(q.sizeApprox(), std::size_t(0));
    qInfo("producer found the queue full %u times", fullRefusals);
}

QTEST_APPLESS_MAIN(TestSpscQueue)
#include "tst_spsc_queue.moc"
