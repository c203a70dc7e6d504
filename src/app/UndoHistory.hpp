#pragma once
// An undo history (the patch controller keeps one per author). The shape of QUndoStack (a list of steps and an index into it; a push
// drops the steps above the index; a clean index marks the saved state; a step may fold the next
// one into itself), plus what QUndoStack lacks: bounds. The history holds at most `stepLimit`
// steps and `byteBudget` bytes (as the steps count themselves: they hold differences, not copies
// of the patch); past either, the oldest steps go. The newest step always stays, even one that
// alone is over the budget (a whole patch opened), so the last thing done can be undone.
//
// Steps are recorded after their edit was made: push() does not redo them.
//
// The thread of its owner (the patch controller's) only.

#include <QObject>
#include <QString>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace chronus::app {

class UndoStep {
public:
    // Who made the edit. Agents' edits (over OSC) and the person's never share a step.
    enum class Author { User, Agent };

    explicit UndoStep(QString text, Author author = Author::User) : m_text(std::move(text)), m_author(author) {}
    // Undo and redo return false when they could not be made (the patch changed under the step
    // since; the step says why through its owner): the history's index stays.
    virtual ~UndoStep() = default;
    UndoStep(const UndoStep&) = delete;
    UndoStep& operator=(const UndoStep&) = delete;

    virtual bool undo() = 0;
    virtual bool redo() = 0;
    // Folds `next`, pushed right after this step, into this one (a knob drag's many values, one
    // step). False: `next` becomes a step of its own.
    virtual bool mergeWith(const UndoStep& next) {
        (void)next;
        return false;
    }
    // The bytes this step holds (itself and what it owns), for the history's budget.
    virtual std::size_t bytes() const = 0;

    const QString& text() const noexcept { return m_text; }
    void setText(QString text) { m_text = std::move(text); }
    Author author() const noexcept { return m_author; }

protected:
    std::size_t textBytes() const noexcept { return static_cast<std::size_t>(m_text.capacity()) * sizeof(QChar); }

private:
    QString m_text;
    Author m_author;
};

class UndoHistory : public QObject {
    Q_OBJECT

public:
    static constexpr std::size_t kDefaultByteBudget = 16u * 1024u * 1024u;
    static constexpr int kDefaultStepLimit = 10000;

    explicit UndoHistory(QObject* parent = nullptr) : QObject(parent) {}
    ~UndoHistory() override;

    // Drops the oldest steps at once when the history is over the new bounds.
    void setLimits(std::size_t byteBudget, int stepLimit);

    // Records `step`, whose edit is made already. The steps above the index go (they cannot be
    // redone after a new edit); `step` folds into the top step when that one takes it (see
    // UndoStep::mergeWith), unless the top step is the saved state or the history was sealed.
    void push(std::unique_ptr<UndoStep> step);
    // The step the next push may fold into (the top one, when nothing was undone or saved and
    // nothing sealed it since), or null. After changing it, call topChanged().
    UndoStep* mergeableTop() noexcept;
    // The top step changed (grew by a merge): its bytes count anew and the bounds apply.
    void topChanged();
    // The next push starts a step of its own: something happened between (a commit, a save).
    void seal() noexcept { m_sealed = true; }

    // False: the step refused (see UndoStep::undo); nothing moved.
    bool undo();
    bool redo();
    bool canUndo() const noexcept { return m_index > 0; }
    bool canRedo() const noexcept { return m_index < count(); }
    QString undoText() const { return canUndo() ? m_steps[static_cast<std::size_t>(m_index - 1)].step->text() : QString(); }
    QString redoText() const { return canRedo() ? m_steps[static_cast<std::size_t>(m_index)].step->text() : QString(); }

    bool isClean() const noexcept { return m_cleanIndex == m_index; }
    void setClean();

    int count() const noexcept { return static_cast<int>(m_steps.size()); }
    int index() const noexcept { return m_index; }
    const UndoStep* step(int i) const { return m_steps.at(static_cast<std::size_t>(i)).step.get(); }
    // The bytes all steps hold, as they count themselves.
    std::size_t bytes() const noexcept { return m_bytes; }
    std::size_t byteBudget() const noexcept { return m_byteBudget; }
    int stepLimit() const noexcept { return m_stepLimit; }
    // Steps pushed so far that did not fold into the one before (a merge leaves it as it was).
    std::uint64_t pushes() const noexcept { return m_pushes; }
    // Steps dropped for the bounds so far.
    std::size_t droppedSteps() const noexcept { return m_dropped; }

signals:
    // The index, the steps or their texts changed.
    void changed();
    void cleanChanged(bool clean);

private:
    struct Entry {
        std::unique_ptr<UndoStep> step;
        std::size_t bytes = 0;
    };
    void setIndex(int index);
    void trim();

    std::vector<Entry> m_steps;
    int m_index = 0;       // steps below it are done; undo takes back the one under it
    int m_cleanIndex = 0;  // the saved state; -1: gone (its step was dropped or overwritten)
    std::size_t m_bytes = 0;
    std::size_t m_byteBudget = kDefaultByteBudget;
    int m_stepLimit = kDefaultStepLimit;
    std::size_t m_dropped = 0;
    std::uint64_t m_pushes = 0;
    bool m_sealed = false;
};

} // namespace chronus::app
