#include "UndoHistory.hpp"

#include <algorithm>

namespace chronus::app {

UndoHistory::~UndoHistory() = default;

void UndoHistory::setLimits(std::size_t byteBudget, int stepLimit) {
    m_byteBudget = byteBudget;
    m_stepLimit = std::max(1, stepLimit);
    trim();
    emit changed();
}

void UndoHistory::push(std::unique_ptr<UndoStep> step) {
    const bool wasClean = isClean();
    // What was undone cannot be redone after a new edit.
    while (count() > m_index) {
        m_bytes -= m_steps.back().bytes;
        m_steps.pop_back();
    }
    if (m_cleanIndex > m_index)
        m_cleanIndex = -1;
    if (UndoStep* top = mergeableTop(); top && top->mergeWith(*step)) {
        m_bytes -= m_steps.back().bytes;
        m_steps.back().bytes = top->bytes();
        m_bytes += m_steps.back().bytes;
    } else {
        const std::size_t bytes = step->bytes();
        m_steps.push_back({std::move(step), bytes});
        m_bytes += bytes;
        ++m_pushes;
        m_index = count();
    }
    m_sealed = false;
    trim();
    emit changed();
    if (wasClean != isClean())
        emit cleanChanged(isClean());
}

UndoStep* UndoHistory::mergeableTop() noexcept {
    if (m_sealed || m_index == 0 || m_index != count() || m_index == m_cleanIndex)
        return nullptr;
    return m_steps.back().step.get();
}

void UndoHistory::topChanged() {
    if (m_steps.empty())
        return;
    m_bytes -= m_steps.back().bytes;
    m_steps.back().bytes = m_steps.back().step->bytes();
    m_bytes += m_steps.back().bytes;
    trim();
    emit changed();
}

bool UndoHistory::undo() {
    if (!canUndo() || !m_steps[static_cast<std::size_t>(m_index - 1)].step->undo())
        return false;
    m_sealed = true;
    setIndex(m_index - 1);
    return true;
}

bool UndoHistory::redo() {
    if (!canRedo() || !m_steps[static_cast<std::size_t>(m_index)].step->redo())
        return false;
    m_sealed = true;
    setIndex(m_index + 1);
    return true;
}

void UndoHistory::setClean() {
    m_sealed = true; // a saved state is never merged into
    const bool wasClean = isClean();
    m_cleanIndex = m_index;
    if (!wasClean)
        emit cleanChanged(true);
}

void UndoHistory::setIndex(int index) {
    const bool wasClean = isClean();
    m_index = index;
    emit changed();
    if (wasClean != isClean())
        emit cleanChanged(isClean());
}

// Oldest first, and only steps below the index (the newest undoable step stays): a step's
// difference applies to the patch the steps before it made, so the history is cut at its start.
void UndoHistory::trim() {
    std::size_t drop = 0;
    std::size_t bytes = m_bytes;
    const auto over = [&] { return count() - static_cast<int>(drop) > m_stepLimit || bytes > m_byteBudget; };
    while (over() && static_cast<int>(drop) + 1 < m_index) {
        bytes -= m_steps[drop].bytes;
        ++drop;
    }
    if (drop == 0)
        return;
    m_steps.erase(m_steps.begin(), m_steps.begin() + static_cast<std::ptrdiff_t>(drop));
    m_bytes = bytes;
    m_index -= static_cast<int>(drop);
    m_dropped += drop;
    if (m_cleanIndex >= 0)
        m_cleanIndex = m_cleanIndex < static_cast<int>(drop) ? -1 : m_cleanIndex - static_cast<int>(drop);
}

} // namespace chronus::app
