#pragma once
// The audio callback's side of the dual-slot engine: what the output plays from the two slots'
// rings. It reads the active ring, keeps the hot mirror's ring in step with it, crossfades to the
// other slot when the controller asks for a commit, watches the new patch through its health window
// and rolls back if it turns bad, fails over to the mirror when the active runs dry, turns sick or
// stalls, and mutes when nothing healthy is left. It works only on the plain shared data the workers
// and the controller also see (EngineShared, the two SlotShared, in one shared-memory region): no
// threads, no locks, nothing it waits for (but in offline mode, where it waits for the workers'
// blocks), so a test can drive it on synthetic rings, block by block.
//
// The controller speaks to it through EngineShared (commitRequest, failoverRequest) and the slots'
// leases; it answers through the same atomics (active, commitsDone, commitsSettled, failovers,
// rollbacks, unhealthy, muted, framesOut, fading, fadeProgress, ringTarget, ...) and the slots' flags
// (dropPlan, needsRebuild, lease TakenOver) and counters (noneReads, the per-window occupancy).
//
// Threads: construct on the control thread before the first process(); process() and noteXrun()
// are the audio thread's (one thread at a time); setHotMirror()/hotMirror() from any thread;
// phase() is the audio thread's view (a test driving the stage reads it between process() calls).
//
// MIDI out: each slot's MidiOutRing carries the events of its audio ring's frames. Every chunk,
// after the rings were read or skipped, the events of the frames the output played are handed on
// (midiOut()) at the output frame they play at; the others (the mirror's, a standby's, skipped or
// discarded frames') are drained and dropped. During a commit's fade (or a failover's short fade) the
// new slot's events are played from the fade's first frame on, the old slot's no more: a new patch
// restarts its transport at its first frame (midi_out's start, a sequencer's first note), which
// switching at the fade's midpoint lost; what the old one would have sent while it fades out (a few
// ms) is not sent, and a note is never sent twice. Whenever the slot whose events are played changes
// (a fade's start, a failover's cut, a rollback, muting) an all-notes-off (controller 123) goes out
// on all 16 channels first, so no note of the slot left behind hangs.

#include "rt/MidiEvent.hpp"

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace chronus::engine {

struct EngineConfig;
struct EngineShared;
struct SlotShared;
class InputRing;

class OutputStage {
public:
    // Where the output stands after the last process() call.
    enum class Phase : std::uint8_t {
        Steady,    // the active ring plays as it is (a ring that runs dry with nothing to take over
                   // plays what it has and counts a none-read)
        Fading,    // a commit crossfades from the old active to the new one, at a block boundary
        Probation, // a commit's fade ended and its health window is open: a NaN, Inf or runaway
                   // chunk from the new slot rolls back to the old one
        Failover,  // the active ran dry, turned sick or stalled and the mirror took over: the chunk
                   // of the cut to an in-step mirror, or the short fade to one that is not in step
        Muted,     // the last chunk was sick with nothing healthy to switch to: it played silence
    };
    static const char* phaseName(Phase phase) noexcept; // "steady", "fading", ...

    // The callback mixes in chunks of at most this many frames (a longer callback is split).
    static constexpr int kChunkFrames = 1024;

    // Control thread. Keeps the references (they outlive the stage) and sizes its scratch buffers.
    // `config` is read as it is at each process() call; nothing in it changes while audio runs.
    OutputStage(const EngineConfig& config, EngineShared& shared, SlotShared& slot0, SlotShared& slot1);
    OutputStage(const OutputStage&) = delete;
    OutputStage& operator=(const OutputStage&) = delete;

    // Control thread, before the first process(): where captured input goes (the shared region's).
    void attachInput(InputRing* input) noexcept { m_input = input; }

    // Audio thread only. RT-safe (except in offline mode, where it waits for the workers). Writes
    // `frames` interleaved stereo frames and wakes both workers. `captured` (may be null: no input
    // device) holds the `frames` interleaved stereo frames the device captured beside them; they
    // go to the input ring stamped with the output frames they came with.
    void process(float* interleaved, int frames, const float* captured = nullptr) noexcept;
    // Audio thread only. The MIDI events of the last process() call, in order: each one's offset is
    // its frame in that call's buffer, its frame the output frame (EngineShared::framesOut) it plays
    // at. Valid until the next process().
    std::span<const MidiEvent> midiOut() const noexcept {
        return {m_midiOut.data(), static_cast<std::size_t>(m_midiOutCount)};
    }
    // Events one process() call hands on at most; beyond, they are dropped (EngineShared::midiOutDropped).
    static constexpr int kMidiOutCapacity = 1024;

    // Audio thread (the driver adapter). RT-safe. The device reported an underflow.
    void noteXrun() noexcept;

    // Any thread. Whether the mirror is read in step on every chunk (a hot mirror) or only when the
    // active needs it.
    void setHotMirror(bool hot) noexcept { m_hotMirror.store(hot, std::memory_order_relaxed); }
    bool hotMirror() const noexcept { return m_hotMirror.load(std::memory_order_relaxed); }

    // Audio thread only.
    Phase phase() const noexcept { return m_phase; }
    // Audio thread only. Whether the next process() reads `slot`: the active, or either side of a
    // fade in progress.
    bool reads(int slot) const noexcept;

private:
    void processChunk(float* out, int frames) noexcept;
    void finishWindow() noexcept;
    int ringTarget() const noexcept; // blocks, now
    // A none-read: one block more for both rings (EngineConfig::ringMaxBlocks), unless the ring has
    // not been filled to the target since it last grew.
    void growRing() noexcept;
    // Before a ring that plays is read for `frames`: one that holds less than a block beyond them
    // is a near-miss (its worker fell a whole block behind): counted, and unless `mirror` (the
    // standby, or null) is a hot mirror in step holding that block, the ring grows as for a
    // none-read, before the next hiccup makes one. Live only.
    void noteMargin(SlotShared& slot, std::size_t frames, SlotShared* mirror) noexcept;
    std::size_t readInStep(int slot, float* dest, std::size_t frames, bool haveTag, std::uint32_t timeline,
                           std::int64_t planFrame) noexcept;
    void startFade(int from, int to, std::int64_t frames, bool measure) noexcept;
    void waitForFrames(int slot, std::size_t frames) noexcept; // offline only
    void wakeWorker(int slot) noexcept;
    // MIDI out, at the end of a chunk: `slot` (-1: none) played chunk frames [from, to), its ring
    // frame `ringStart` at chunk frame 0. Drains its events up to its ring's consumed position and
    // hands on those in [from, to), after an all-notes-off when the played slot changed.
    void handOnMidi(int slot, std::uint64_t ringStart, int from, int to) noexcept;
    void emitMidi(const MidiEvent& event, int chunkOffset) noexcept;

    const EngineConfig& m_config;
    EngineShared* m_shared;
    std::array<SlotShared*, 2> m_slots;
    std::atomic<bool> m_hotMirror;

    // Audio-thread-only state.
    Phase m_phase = Phase::Steady;
    bool m_fading = false;
    bool m_fadeIsCommit = false;
    int m_fadeFrom = 0, m_fadeTo = 1;
    std::int64_t m_fadeLength = 0, m_fadePosition = 0;
    float m_fadeRho = 0.0f;
    double m_corrAB = 0.0, m_corrAA = 0.0, m_corrBB = 0.0; // running, during an adaptive fade
    bool m_mirrorInStep = false;
    bool m_audioPrioritySeen = false;
    bool m_ringMayGrow = true; // the active ring reached the target since it last grew
    std::uint64_t m_chunkFrame = 0; // output frame of the chunk being mixed
    int m_rollbackSlot = -1;
    std::int64_t m_rollbackFramesLeft = 0;
    std::int64_t m_windowFrames = 0, m_windowLength = 48000;
    std::vector<float> m_scratchA, m_scratchB, m_scratchM; // sized at construction
    // Audio input: the ring captured frames go to, and which rings the chunk being mixed read (a
    // ring it did not read and whose plan reads input is drained, so its blocks play on time).
    InputRing* m_input = nullptr;
    std::array<bool, 2> m_readThisChunk{};
    // MIDI out: the events of this process() call, the chunk's offset in it, and the slot whose
    // events were handed on last (-1: none yet, or muted).
    std::array<MidiEvent, kMidiOutCapacity> m_midiOut{};
    int m_midiOutCount = 0;
    int m_chunkOffset = 0;
    int m_midiSlot = -1;
};

} // namespace chronus::engine
