#pragma once
// The history of what a slot plays, as a mirror replays it: the patch the timeline started from
// (what the slot compiled when it began), and the live changes since, each stamped with the plan
// frame it lands on. A worker that compiles `start()` and applies `changes()` at their stamps plays
// what the active slot plays, sample for sample. When part of that history could not be kept
// (too many changes, a change that reached one slot unstamped, a failover onto a timeline nobody
// recorded), the timeline is no longer `exact`: a mirror then plays the committed patch, not in
// step (kUnalignedTimeline).
//
// A value type for the control side: no threads, no shared state. The engine keeps two: the
// committed patch's, and the one the standby primed (the in-place primes and live changes it got
// since its plan was compiled), which becomes the committed one when it commits.

#include "PatchGraph.hpp"
#include "rt/SlotCommand.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace chronus::engine {

class Timeline {
public:
    // The changes a timeline can hold: the history a mirror replays after a commit or a failover.
    static constexpr std::size_t kCapacity = 4096;

    Timeline() = default;
    // A timeline that starts now, from `start`, with no changes yet: exact.
    Timeline(std::uint32_t id, PatchGraph start);

    std::uint32_t id() const noexcept { return m_id; }
    bool exact() const noexcept { return m_exact; }
    const PatchGraph& start() const noexcept { return m_start; }
    std::span<const SlotCommand> changes() const noexcept { return m_changes; }

    // A live change stamped on this timeline. Past kCapacity it is not kept and the timeline stops
    // being exact.
    void record(const SlotCommand& change);
    // Changes that land together (an in-place prime's): all kept, or none and not exact.
    void recordAll(std::span<const SlotCommand> changes);
    // Part of the history was lost (a change that could not be stamped on it).
    void markInexact() noexcept { m_exact = false; }
    // The slot is on timeline `id` now; what it started from is not known here.
    void continueInexact(std::uint32_t id);
    // The slot re-synced to this timeline: the changes it got since its own compile are gone.
    void clearChanges() noexcept { m_changes.clear(); }
    // Its plan was primed in place on timeline `id` (only parameters changed). `changes`: what
    // changed (the standby's known patch against the pending one), or nullopt when the patch
    // changed shape or the standby's history is not known: then it is not exact.
    void primedInPlace(std::uint32_t id, bool known, std::optional<std::vector<SlotCommand>> changes);

    // What a mirror compiles to follow this timeline: its start when exact, else `committed`.
    const PatchGraph& replayFrom(const PatchGraph& committed) const noexcept { return m_exact ? m_start : committed; }

    // The committed timeline after a commit of the standby, whose plan is on timeline `playing`
    // (what it published) and whose own history is `primed`: primed in place on the committed
    // timeline, its changes join that history; compiled afresh, its timeline is the committed one.
    static Timeline afterCommit(Timeline committed, const Timeline& primed, std::uint32_t playing);

private:
    std::uint32_t m_id = 0;
    PatchGraph m_start;
    std::vector<SlotCommand> m_changes;
    bool m_exact = true;
};

// The parameters that differ between `from` and `to`, as live changes on `timeline` at `stamp`
// (what an in-place prime changed); nullopt when the two patches differ in more than parameters
// (modules added, removed or of another type).
std::optional<std::vector<SlotCommand>> parameterChanges(const PatchGraph& from, const PatchGraph& to,
                                                         std::uint32_t timeline, std::int64_t stamp);

} // namespace chronus::engine
