// UndoHistory: QUndoStack's model (index, redo branch, clean state, merging into the top step)
// with bounds: past its byte budget or step limit the oldest steps go, the newest always stays,
// and the saved state goes with its step.

#include "UndoHistory.hpp"

#include <QSignalSpy>
#include <QTest>

using chronus::app::UndoHistory;
using chronus::app::UndoStep;

namespace {

// Sets an int to `after` (redo) or `before` (undo); claims `bytes`. Steps with the same nonzero
// `key` merge.
class SetStep : public UndoStep {
public:
    SetStep(int& target, int before, int after, std::size_t bytes, int key = 0)
        : UndoStep(QStringLiteral("set %1").arg(after)), m_target(target), m_before(before), m_after(after),
          m_bytes(bytes), m_key(key) {}
    bool undo() override {
        m_target = m_before;
        return true;
    }
    bool redo() override {
        m_target = m_after;
        return true;
    }
    bool mergeWith(const UndoStep& next) override {
        const auto* o = dynamic_cast<const SetStep*>(&next);
        if (!o || m_key == 0 || o->m_key != m_key)
            return false;
        m_after = o->m_after;
        m_bytes += o->m_bytes;
        return true;
    }
    std::size_t bytes() const override { return m_bytes; }

private:
    int& m_target;
    int m_before, m_after;
    std::size_t m_bytes;
    int m_key;
};

// Makes the edit, then records it, as the controller does.
void edit(UndoHistory& h, int& value, int to, std::size_t bytes = 100, int key = 0) {
    const int before = value;
    value = to;
    h.push(std::make_unique<SetStep>(value, before, to, bytes, key));
}

} // namespace

class TestUndoHistory : public QObject {
    Q_OBJECT

private slots:
    void undoRedoAndTheCleanState() {
        UndoHistory h;
        QSignalSpy clean(&h, &UndoHistory::cleanChanged);
        QSignalSpy changed(&h, &UndoHistory::changed);
        int v = 0;
        QVERIFY(h.isClean() && !h.canUndo());
        edit(h, v, 1);
        edit(h, v, 2);
        QCOMPARE(clean.count(), 1);
        QVERIFY(!h.isClean());
        QCOMPARE(h.undoText(), QStringLiteral("set 2"));
        h.setClean();
        h.undo();
        QCOMPARE(v, 1);
        QCOMPARE(h.redoText(), QStringLiteral("set 2"));
        QVERIFY(!h.isClean());
        h.redo();
        QCOMPARE(v, 2);
        QVERIFY(h.isClean());
        QVERIFY(changed.count() >= 4);
        // An edit after an undo drops what could have been redone, and its bytes.
        h.undo();
        edit(h, v, 7);
        QCOMPARE(h.count(), 2);
        QCOMPARE(h.bytes(), std::size_t(200));
        QVERIFY(!h.canRedo());
        QVERIFY(!h.isClean()); // the saved state is gone for good
        h.undo();
        h.undo();
        QCOMPARE(v, 0);
        QVERIFY(!h.isClean());
    }

    void theOldestStepsGoPastTheBudget() {
        UndoHistory h;
        h.setLimits(350, 1000);
        int v = 0;
        for (int i = 1; i <= 10; ++i) {
            edit(h, v, i);
            QVERIFY(h.bytes() <= 350);
        }
        QCOMPARE(h.count(), 3);
        QCOMPARE(h.droppedSteps(), std::size_t(7));
        h.undo();
        h.undo();
        h.undo();
        QCOMPARE(v, 7); // the patch as the last dropped step left it
        QVERIFY(!h.canUndo());
        QVERIFY(!h.isClean()); // the saved (empty) state went with the first step
        h.redo();
        QCOMPARE(v, 8);
    }

    void theStepLimitHolds() {
        UndoHistory h;
        h.setLimits(UndoHistory::kDefaultByteBudget, 4);
        int v = 0;
        for (int i = 1; i <= 9; ++i)
            edit(h, v, i, 1);
        QCOMPARE(h.count(), 4);
        // Lower bounds apply at once.
        h.setLimits(UndoHistory::kDefaultByteBudget, 2);
        QCOMPARE(h.count(), 2);
        h.undo();
        h.undo();
        QCOMPARE(v, 7);
    }

    void theNewestStepStaysWhenAloneOverTheBudget() {
        UndoHistory h;
        h.setLimits(50, 1000);
        int v = 0;
        edit(h, v, 1, 10);
        edit(h, v, 2, 500);
        QCOMPARE(h.count(), 1);
        QVERIFY(h.canUndo());
        h.undo();
        QCOMPARE(v, 1);
    }

    // A step folds into the top one, not into the saved state, not after an undo or a seal.
    void mergingNeedsAnOpenTop() {
        UndoHistory h;
        int v = 0;
        edit(h, v, 1, 10, 1);
        edit(h, v, 2, 10, 1);
        QCOMPARE(h.count(), 1);
        QCOMPARE(h.bytes(), std::size_t(20));
        h.seal();
        edit(h, v, 3, 10, 1);
        QCOMPARE(h.count(), 2);
        h.setClean();
        edit(h, v, 4, 10, 1);
        QCOMPARE(h.count(), 3);
        h.undo();
        h.redo();
        edit(h, v, 5, 10, 1);
        QCOMPARE(h.count(), 4);
        edit(h, v, 6, 10, 1);
        QCOMPARE(h.count(), 4);
        edit(h, v, 7, 10, 2); // another key: a step of its own
        QCOMPARE(h.count(), 5);
        h.undo();
        h.undo();
        QCOMPARE(v, 4);
    }
};

QTEST_MAIN(TestUndoHistory)
#include "tst_undo_history.moc"
