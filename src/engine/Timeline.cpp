#include "Timeline.hpp"

#include <utility>

namespace chronus::engine {

Timeline::Timeline(std::uint32_t id, PatchGraph start) : m_id(id), m_start(std::move(start)) {}

void Timeline::record(const SlotCommand& change) {
    if (m_changes.size() < kCapacity)
        m_changes.push_back(change);
    else
        m_exact = false; // a later mirror plays the patch, not in step
}

void Timeline::recordAll(std::span<const SlotCommand> changes) {
    if (m_changes.size() + changes.size() <= kCapacity)
        m_changes.insert(m_changes.end(), changes.begin(), changes.end());
    else
        m_exact = false;
}

void Timeline::continueInexact(std::uint32_t id) {
    m_id = id;
    m_exact = false;
    m_changes.clear();
}

void Timeline::primedInPlace(std::uint32_t id, bool known, std::optional<std::vector<SlotCommand>> changes) {
    m_id = id;
    m_exact = known && changes.has_value();
    if (m_exact)
        recordAll(*changes);
}

Timeline Timeline::afterCommit(Timeline committed, const Timeline& primed, std::uint32_t playing) {
    if (playing == committed.id()) { // primed in place: its parameter changes join the history
        if (primed.exact())
            committed.recordAll(primed.changes());
        else
            committed.markInexact();
        return committed;
    }
    Timeline next(playing, primed.start());
    next.m_changes = primed.m_changes; // the in-place primes since it started
    next.m_exact = playing == primed.id() && primed.exact();
    return next;
}

std::optional<std::vector<SlotCommand>> parameterChanges(const PatchGraph& from, const PatchGraph& to,
                                                         std::uint32_t timeline, std::int64_t stamp) {
    if (from.nodes().size() != to.nodes().size())
        return std::nullopt;
    std::vector<SlotCommand> changes;
    for (const PatchNode& want : to.nodes()) {
        const PatchNode* have = from.find(want.id);
        if (!have || have->type != want.type)
            return std::nullopt;
        for (std::size_t p = 0; p < want.params.size(); ++p) {
            if (want.params[p] == have->params[p])
                continue;
            SlotCommand live;
            live.kind = SlotCommandKind::SetLive;
            live.timeline = timeline;
            live.stamp = stamp;
            live.value = want.params[p];
            live.a.assign(want.id);
            live.b.assign(want.type->params[p].id);
            changes.push_back(live);
        }
    }
    return changes;
}

} // namespace chronus::engine
