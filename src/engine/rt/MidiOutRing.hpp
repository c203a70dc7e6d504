#pragma once
// A slot's MIDI-out events beside its audio ring: the render worker pushes the events its plan made
// for a block, each stamped with the audio-ring position of the frame it belongs to (the ring's
// written() at the block's start plus the event's offset), before it writes that block's audio; the
// audio callback, after it consumed frames of the audio ring (read, skipped or discarded), drains
// every event before the ring's new consumed() position and hands on those of the frames it played.
// The audio ring's tags (timeline, plan frame) then tag the events too: an event is played exactly
// when its frame is, and a frame skipped or discarded takes its events with it.
//
// Single producer, single consumer, fixed storage, atomics, no pointers inside (it lives in the
// shared region, so a worker in a process of its own writes it as one in a thread does).

#include "MidiEvent.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace chronus::engine {

class MidiOutRing {
public:
    // A block can make MidiOutBlock::kCapacity events; the audio ring holds at most 512 blocks of 64.
    // More than this in flight means a patch that floods MIDI: the excess is dropped and counted.
    static constexpr std::size_t kCapacity = 4096;
    static constexpr std::size_t kMask = kCapacity - 1;

    struct Entry {
        std::uint64_t position = 0; // audio-ring frame the event belongs to
        std::uint8_t status = 0, data1 = 0, data2 = 0;
    };

    // Control thread, while neither side runs.
    void reset() noexcept {
        m_write.store(0, std::memory_order_relaxed);
        m_read.store(0, std::memory_order_relaxed);
    }

    // Producer only. RT-safe. Appends one event at audio-ring position `position` (not before the
    // last one pushed). False (and counted) when full.
    bool push(std::uint64_t position, const MidiEvent& event) noexcept {
        const std::uint64_t w = m_write.load(std::memory_order_relaxed);
        if (w - m_read.load(std::memory_order_acquire) >= kCapacity) {
            m_dropped.fetch_add(1, std::memory_order_relaxed);
            return false;
        }
        Entry& e = m_entries[static_cast<std::size_t>(w & kMask)];
        e.position = position;
        e.status = event.status;
        e.data1 = event.data1;
        e.data2 = event.data2;
        m_write.store(w + 1, std::memory_order_release);
        return true;
    }

    // Consumer only. RT-safe. Pops every event at a position before `until`, oldest first, calling
    // `f(position, event)` for each.
    template <class F>
    void drain(std::uint64_t until, F&& f) noexcept {
        std::uint64_t r = m_read.load(std::memory_order_relaxed);
        const std::uint64_t w = m_write.load(std::memory_order_acquire);
        for (; r < w; ++r) {
            const Entry& e = m_entries[static_cast<std::size_t>(r & kMask)];
            if (e.position >= until)
                break;
            MidiEvent event;
            event.status = e.status;
            event.data1 = e.data1;
            event.data2 = e.data2;
            f(e.position, event);
        }
        m_read.store(r, std::memory_order_release);
    }

    // Producer only (a worker taking over from another slot's worker, as AudioRing::takeOverFrom):
    // copies `from`'s events at positions [fromBegin, fromEnd) here, moved to start at `toBegin`.
    void copyFrom(const MidiOutRing& from, std::uint64_t fromBegin, std::uint64_t fromEnd, std::uint64_t toBegin) noexcept {
        const std::uint64_t w = from.m_write.load(std::memory_order_acquire);
        for (std::uint64_t r = from.m_read.load(std::memory_order_acquire); r < w; ++r) {
            const Entry& e = from.m_entries[static_cast<std::size_t>(r & kMask)];
            if (e.position < fromBegin)
                continue;
            if (e.position >= fromEnd)
                break;
            MidiEvent event;
            event.status = e.status;
            event.data1 = e.data1;
            event.data2 = e.data2;
            push(e.position - fromBegin + toBegin, event);
        }
    }

    // Any thread. Events the producer could not push.
    std::uint64_t dropped() const noexcept { return m_dropped.load(std::memory_order_relaxed); }
    // Any thread. Events pushed and not drained yet.
    std::size_t pending() const noexcept {
        return static_cast<std::size_t>(m_write.load(std::memory_order_acquire) - m_read.load(std::memory_order_acquire));
    }

private:
    alignas(64) std::atomic<std::uint64_t> m_write{0}; // producer writes
    alignas(64) std::atomic<std::uint64_t> m_read{0};  // consumer writes
    std::atomic<std::uint64_t> m_dropped{0};           // producer writes
    Entry m_entries[kCapacity] = {};
};

} // namespace chronus::engine
