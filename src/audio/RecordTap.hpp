#pragma once
// RecordTap: the recorder's real-time half. The audio callback hands it every output block
// (interleaved stereo); while a recording runs it copies the block into a lock-free ring that a
// writer thread drains into a file. It never allocates, locks, blocks or touches a file; when the
// ring is full it drops the block and counts its frames.
//
// Start and stop are requests the callback reads at the top of each block, so a recording starts
// and stops on block boundaries: its first frame is the first frame of the first block that saw
// the start, its last frame the last one of the block before the one that saw the stop.
//
// The protocol is one counter each way. The control side writes m_request: 2S-1 asks to record
// session S, 2S asks to stop it (S = 1, 2, ...). The callback acts on a new request at the next
// block: it notes the ring's write position where session S starts (startPosition) and where it
// ends (endPosition), then acknowledges the request it acted on (acknowledged, release). A stop
// that arrives before its start was seen acknowledges an empty session (start == end).

#include "engine/rt/FrameRing.hpp"

#include <atomic>
#include <cstdint>

namespace chronus::audio {

class RecordTap {
public:
    // Control thread. A ring of at least `ringFrames` frames (allocated here, once).
    explicit RecordTap(std::size_t ringFrames) : m_ring(ringFrames) {}
    RecordTap(const RecordTap&) = delete;
    RecordTap& operator=(const RecordTap&) = delete;

    // Audio thread only. RT-safe.
    void process(const float* interleaved, int frames) noexcept {
        const std::uint32_t request = m_request.load(std::memory_order_acquire);
        if (request != m_seen)
            follow(request);
        if ((m_seen & 1u) && frames > 0 && !m_ring.tryWrite(interleaved, static_cast<std::size_t>(frames)))
            m_droppedFrames.fetch_add(static_cast<std::uint64_t>(frames), std::memory_order_relaxed);
    }

    // Control side (one thread at a time; the Recorder serialises them). The request values of
    // session `session`.
    static constexpr std::uint32_t startRequest(std::uint32_t session) noexcept { return 2 * session - 1; }
    static constexpr std::uint32_t stopRequest(std::uint32_t session) noexcept { return 2 * session; }
    void request(std::uint32_t value) noexcept { m_request.store(value, std::memory_order_release); }
    std::uint32_t requested() const noexcept { return m_request.load(std::memory_order_acquire); }

    // Any thread. The last request the callback acted on; after reading it (acquire), the
    // positions it published are valid.
    std::uint32_t acknowledged() const noexcept { return m_acknowledged.load(std::memory_order_acquire); }
    std::uint64_t startPosition() const noexcept { return m_startPosition.load(std::memory_order_relaxed); }
    std::uint64_t endPosition() const noexcept { return m_endPosition.load(std::memory_order_relaxed); }
    // Any thread. Frames refused because the ring was full, since construction.
    std::uint64_t droppedFrames() const noexcept { return m_droppedFrames.load(std::memory_order_relaxed); }

    // The writer thread is the ring's one consumer.
    engine::rt::FrameRing& ring() noexcept { return m_ring; }
    const engine::rt::FrameRing& ring() const noexcept { return m_ring; }

private:
    static constexpr std::uint32_t sessionOf(std::uint32_t request) noexcept { return (request + 1) / 2; }

    // Audio thread only.
    void follow(std::uint32_t request) noexcept {
        const std::uint64_t position = m_ring.writePosition();
        const bool wasRecording = (m_seen & 1u) != 0;
        if (wasRecording)
            m_endPosition.store(position, std::memory_order_relaxed);
        if (request & 1u) {
            m_startPosition.store(position, std::memory_order_relaxed);
        } else if (!wasRecording || sessionOf(m_seen) != sessionOf(request)) {
            // Stopped before this callback ever saw it start: an empty session.
            m_startPosition.store(position, std::memory_order_relaxed);
            m_endPosition.store(position, std::memory_order_relaxed);
        }
        m_seen = request;
        m_acknowledged.store(request, std::memory_order_release); // publishes the positions
    }

    engine::rt::FrameRing m_ring;
    std::uint32_t m_seen = 0; // audio thread only: the request it follows
    alignas(64) std::atomic<std::uint32_t> m_request{0}; // written by the control side
    alignas(64) std::atomic<std::uint32_t> m_acknowledged{0}; // written by the audio thread
    std::atomic<std::uint64_t> m_startPosition{0};            // written by the audio thread
    std::atomic<std::uint64_t> m_endPosition{0};              // written by the audio thread
    std::atomic<std::uint64_t> m_droppedFrames{0};            // written by the audio thread
};

} // namespace chronus::audio
