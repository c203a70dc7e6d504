// SmoothedValue's change at a frame (a MIDI-mapped controller): the value holds until that frame,
// the ramp starts there; skip() over a block ends where as many next() calls end; a newer change
// replaces a waiting one; target() reads the waiting one.

#include "engine/SmoothedValue.hpp"

#include <QTest>

using chronus::engine::SmoothedValue;

class TestSmoothedValue : public QObject {
    Q_OBJECT

private slots:
    void changeStartsAtItsFrame();
    void skipMatchesNext_data();
    void skipMatchesNext();
    void newerChangeReplacesAWaitingOne();
};

void TestSmoothedValue::changeStartsAtItsFrame() {
    SmoothedValue v;
    v.setRampLength(4);
    v.reset(0.0f);
    v.setTargetAt(1.0f, 5);
    QVERIFY(v.isSmoothing());
    QCOMPARE(v.target(), 1.0f);
    const float want[] = {0, 0, 0, 0, 0, 0.25f, 0.5f, 0.75f, 1, 1, 1};
    for (std::size_t i = 0; i < std::size(want); ++i)
        QCOMPARE(v.next(), want[i]);
    QVERIFY(!v.isSmoothing());
}

void TestSmoothedValue::skipMatchesNext_data() {
    QTest::addColumn<int>("frame");
    QTest::addColumn<int>("block");
    for (int frame : {0, 1, 5, 9})
        for (int block : {1, 3, 5, 6, 7, 16})
            QTest::addRow("at %d, skip %d", frame, block) << frame << block;
}

void TestSmoothedValue::skipMatchesNext() {
    QFETCH(int, frame);
    QFETCH(int, block);
    SmoothedValue a, b;
    for (SmoothedValue* v : {&a, &b}) {
        v->setRampLength(4);
        v->reset(0.0f);
        v->setTarget(-1.0f); // a ramp already running when the change arrives
        v->setTargetAt(1.0f, frame);
    }
    for (int done = 0; done < 24; done += block) {
        float last = 0.0f;
        for (int i = 0; i < block; ++i)
            last = a.next();
        QCOMPARE(b.skip(block), last);
        QCOMPARE(b.isSmoothing(), a.isSmoothing());
    }
}

void TestSmoothedValue::newerChangeReplacesAWaitingOne() {
    SmoothedValue v;
    v.setRampLength(1);
    v.reset(0.0f);
    v.setTargetAt(1.0f, 3);
    v.setTarget(0.5f);
    QCOMPARE(v.next(), 0.5f);
    for (int i = 0; i < 5; ++i)
        QCOMPARE(v.next(), 0.5f);
    v.setTargetAt(1.0f, 3);
    v.setTargetAt(2.0f, 1);
    QCOMPARE(v.next(), 0.5f);
    QCOMPARE(v.next(), 2.0f);
    QCOMPARE(v.target(), 2.0f);
}

QTEST_APPLESS_MAIN(TestSmoothedValue)
#include "tst_smoothed_value.moc"
