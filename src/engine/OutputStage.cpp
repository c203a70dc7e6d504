#include "OutputStage.hpp"

#include "SlotShared.hpp"
#include "rt/RealtimeSection.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <numbers>
#include <pthread.h>
#include <sched.h>

namespace chronus::engine {

namespace {
std::int64_t nowNs() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}
constexpr int kChunkFrames = OutputStage::kChunkFrames;
constexpr std::int64_t kFailoverFadeFrames = 256; // a failover to a mirror that is not in step
// Two nearly opposite outputs (the same tone restarted half a period off) cancel mid-fade; the law
// makes up for it down to this correlation (at most +10 dB of make-up gain, on a near-cancelled sum).
constexpr double kMinFadeRho = -0.9;

struct Health {
    bool finite = true;
    float peak = 0.0f;
};

Health measure(const float* interleaved, std::size_t frames) noexcept {
    Health h;
    float peak = 0.0f;
    bool finite = true;
    for (std::size_t i = 0; i < 2 * frames; ++i) {
        const float x = interleaved[i];
        finite &= std::isfinite(x);
        peak = std::max(peak, std::fabs(x));
    }
    h.finite = finite;
    h.peak = peak;
    return h;
}
} // namespace

const char* OutputStage::phaseName(Phase phase) noexcept {
    switch (phase) {
    case Phase::Steady: return "steady";
    case Phase::Fading: return "fading";
    case Phase::Probation: return "probation";
    case Phase::Failover: return "failover";
    case Phase::Muted: return "muted";
    }
    return "unknown";
}

OutputStage::OutputStage(const EngineConfig& config, EngineShared& shared, SlotShared& slot0, SlotShared& slot1)
    : m_config(config)
    , m_shared(&shared)
    , m_slots{&slot0, &slot1}
    , m_hotMirror(config.hotMirror)
    , m_windowLength(std::max<std::int64_t>(1, std::llround(config.statsWindowSeconds * config.sampleRate)))
    , m_scratchA(2 * kChunkFrames)
    , m_scratchB(2 * kChunkFrames)
    , m_scratchM(2 * kChunkFrames) {}

// The render thread every block. The control thread only when commands wait for it: a live change
// sent while the callback runs wakes nobody (a futex call per change would cost the controller half
// its time in a flood) and relies on this wake, which reaches the control thread at the same block as
// the render thread, so that it passes the change on in time for its stamp (two blocks ahead).
void OutputStage::wakeWorker(int slot) noexcept {
    SlotShared& s = *m_slots[static_cast<std::size_t>(slot)];
    if (s.commands.sizeApprox() != 0)
        s.controlWake.wake();
    s.wake.wake();
}

void OutputStage::process(float* interleaved, int frames, const float* captured) noexcept {
    rt::RealtimeSection section;
    if (!m_audioPrioritySeen) { // once per stream: the workers place themselves just below it
        m_audioPrioritySeen = true;
        int policy = SCHED_OTHER;
        sched_param param{};
        const bool rt = pthread_getschedparam(pthread_self(), &policy, &param) == 0 &&
                        (policy == SCHED_FIFO || policy == SCHED_RR);
        m_shared->audioPriority.store(rt ? param.sched_priority : 0, std::memory_order_release);
    }
    for (auto& slot : m_slots)
        slot->ring.applyDiscard();
    const std::uint64_t first = m_shared->framesOut.load(std::memory_order_relaxed); // written here only
    if (captured && m_input && frames > 0) { // before the mix: the blocks rendered from now on may read it
        m_input->write(first, captured, static_cast<std::size_t>(frames));
        m_shared->inputFrames.fetch_add(static_cast<std::uint64_t>(frames), std::memory_order_relaxed);
    }
    m_midiOutCount = 0;
    for (int done = 0; done < frames;) {
        const int n = std::min(kChunkFrames, frames - done);
        m_chunkFrame = first + static_cast<std::uint64_t>(done);
        m_chunkOffset = done;
        processChunk(interleaved + 2 * done, n);
        done += n;
    }
    m_shared->framesOut.fetch_add(static_cast<std::uint64_t>(frames), std::memory_order_relaxed);
    for (auto& slot : m_slots) // before the wake: the workers render against this
        slot->play.publish(first + static_cast<std::uint64_t>(frames), slot->ring.consumed());
    for (int i = 0; i < 2; ++i)
        wakeWorker(i);
    m_shared->callbackNs.store(nowNs(), std::memory_order_release);
}

void OutputStage::noteXrun() noexcept { m_shared->xruns.fetch_add(1, std::memory_order_relaxed); }

// Offline only: the callback may wait for a worker (nobody is listening in real time).
void OutputStage::waitForFrames(int slot, std::size_t frames) noexcept {
    SlotShared& s = *m_slots[static_cast<std::size_t>(slot)];
    while (s.ring.occupancyFrames() < frames && !s.stopRequested.load(std::memory_order_acquire) &&
           s.state.load(std::memory_order_acquire) != SlotState::Failed) {
        const std::uint32_t seen = s.produced.current();
        if (s.ring.occupancyFrames() >= frames)
            break;
        wakeWorker(slot);
        s.produced.wait(seen);
    }
}

bool OutputStage::reads(int slot) const noexcept {
    return m_fading ? (slot == m_fadeFrom || slot == m_fadeTo) : slot == m_shared->active.load(std::memory_order_relaxed);
}

void OutputStage::startFade(int from, int to, std::int64_t frames, bool measure) noexcept {
    m_fadeFrom = from;
    m_fadeTo = to;
    m_fadeLength = std::max<std::int64_t>(1, frames);
    m_fadePosition = frames <= 0 ? 1 : 0; // no fade: the new side from the first sample
    m_fading = true;
    m_fadeRho = 0.0f;
    if (measure) {
        // Correlation of what is about to be faded, from the frames both rings hold already.
        SlotShared& a = *m_slots[static_cast<std::size_t>(from)];
        SlotShared& b = *m_slots[static_cast<std::size_t>(to)];
        const std::size_t na = a.ring.peek(m_scratchA.data(), kChunkFrames);
        const std::size_t nb = b.ring.peek(m_scratchB.data(), kChunkFrames);
        double ab = 0.0, aa = 0.0, bb = 0.0;
        for (std::size_t i = 0; i < 2 * std::min(na, nb); ++i) {
            const double x = static_cast<double>(m_scratchA[i]), y = static_cast<double>(m_scratchB[i]);
            ab += x * y;
            aa += x * x;
            bb += y * y;
        }
        const double rho = (aa > 0.0 && bb > 0.0) ? ab / std::sqrt(aa * bb) : 0.0;
        m_fadeRho = static_cast<float>(std::clamp(rho, kMinFadeRho, 1.0));
        // Seeds for the running estimate the fade keeps (per frame, mono sums).
        const double count = static_cast<double>(std::max<std::size_t>(1, std::min(na, nb)));
        m_corrAB = ab / count;
        m_corrAA = aa / count;
        m_corrBB = bb / count;
    } else {
        m_corrAB = m_corrAA = m_corrBB = 0.0;
    }
    m_shared->fadeCorrelation.store(m_fadeRho, std::memory_order_relaxed);
    m_shared->fading.store(true, std::memory_order_relaxed);
}

// Reads the mirror so that its next frame is the active's: drops the frames it is behind by,
// reads nothing while it is ahead. A mirror on another timeline is drained freely (not in step).
std::size_t OutputStage::readInStep(int slot, float* dest, std::size_t frames, bool haveTag, std::uint32_t timeline,
                                   std::int64_t planFrame) noexcept {
    SlotShared& m = *m_slots[static_cast<std::size_t>(slot)];
    std::uint32_t tl = 0;
    std::int64_t pf = 0;
    m_mirrorInStep = false;
    if (!m.ring.frontTag(tl, pf))
        return 0;
    if (haveTag && tl == timeline) {
        m_mirrorInStep = true;
        if (pf < planFrame) {
            m.ring.skip(static_cast<std::size_t>(planFrame - pf));
            if (!m.ring.frontTag(tl, pf))
                return 0;
        }
        if (pf != planFrame)
            return 0;
    }
    return m.ring.read(dest, frames);
}

void OutputStage::processChunk(float* out, int frames) noexcept {
    const std::size_t n = static_cast<std::size_t>(frames);
    EngineShared& sh = *m_shared;
    int active = sh.active.load(std::memory_order_relaxed);
    bool forceFailover = false;
    Phase outcome = Phase::Steady; // what this chunk did beyond playing a ring: Failover or Muted

    if (!m_fading) {
        if (const std::uint64_t request = sh.commitRequest.exchange(0, std::memory_order_acq_rel)) {
            const int to = static_cast<int>(request & 0xff) - 1;
            m_slots[static_cast<std::size_t>(active)]->lease.store(Dirty, std::memory_order_release);
            m_slots[static_cast<std::size_t>(to)]->lease.store(Dirty, std::memory_order_release);
            m_fadeIsCommit = true;
            m_rollbackSlot = -1;
            m_rollbackFramesLeft = 0;
            startFade(active, to, static_cast<std::int64_t>(request >> 8), m_config.fadeLaw == FadeLaw::Adaptive);
            sh.lastCommitNs.store(nowNs() - sh.commitRequestNs.load(std::memory_order_relaxed), std::memory_order_relaxed);
            sh.lastCommitFrame.store(static_cast<std::int64_t>(m_chunkFrame), std::memory_order_release);
        } else if (const std::uint32_t fo = sh.failoverRequest.exchange(0, std::memory_order_acq_rel)) {
            forceFailover = static_cast<int>(fo) - 1 != active ? true : false;
        }
    }
    if (m_config.offline) {
        waitForFrames(m_fading ? m_fadeFrom : active, n);
        if (m_fading)
            waitForFrames(m_fadeTo, n);
    }

    const int a = m_fading ? m_fadeFrom : active;
    SlotShared& main = *m_slots[static_cast<std::size_t>(a)];
    m_readThisChunk = {};
    m_readThisChunk[static_cast<std::size_t>(a)] = true;
    // The ring may grow again once the playing ring has been filled to the target it grew to.
    if (main.ring.occupancyFrames() >= static_cast<std::size_t>(ringTarget()) * static_cast<std::size_t>(m_config.blockSize))
        m_ringMayGrow = true;
    for (auto& slot : m_slots) {
        const double occupancy = slot->ring.occupancyBlocks();
        slot->window.min = std::min(slot->window.min, occupancy);
        slot->window.max = std::max(slot->window.max, occupancy);
    }
    noteMargin(main, n, m_fading ? nullptr : m_slots[static_cast<std::size_t>(1 - a)]);
    std::uint32_t tagTimeline = 0;
    std::int64_t tagFrame = 0;
    const bool haveTag = main.ring.frontTag(tagTimeline, tagFrame);
    const std::size_t gotA = main.ring.read(m_scratchA.data(), n);
    // MIDI out: which slot's events this chunk plays, from which ring frame, up to which chunk
    // frame (`cut`); `slot1` from there on (a fade: the new slot, from the chunk's first frame). -1:
    // none (muted).
    int slot0 = a, slot1 = -1;
    std::uint64_t start0 = main.ring.consumed() - gotA, start1 = 0;
    int cut = frames;
    const Health healthA = measure(m_scratchA.data(), gotA);
    const float runaway = static_cast<float>(m_config.runawayLevel);
    const bool sickA = !healthA.finite || healthA.peak > runaway;
    if (haveTag) {
        sh.outputTimeline.store(tagTimeline, std::memory_order_release);
        sh.outputPlanFrame.store(tagFrame + static_cast<std::int64_t>(gotA), std::memory_order_release);
    }
    if (sickA) {
        sh.unhealthy.fetch_add(1, std::memory_order_relaxed);
        main.needsRebuild.store(true, std::memory_order_release);
    }
    const auto countNoneRead = [this](SlotShared& s) {
        s.noneReads.fetch_add(1, std::memory_order_relaxed);
        ++s.window.noneReads;
        growRing();
    };

    if (m_fading) {
        SlotShared& incoming = *m_slots[static_cast<std::size_t>(m_fadeTo)];
        m_readThisChunk[static_cast<std::size_t>(m_fadeTo)] = true;
        noteMargin(incoming, n, nullptr);
        const std::size_t gotB = incoming.ring.read(m_scratchB.data(), n);
        slot1 = m_fadeTo;
        start1 = incoming.ring.consumed() - gotB;
        const Health healthB = measure(m_scratchB.data(), gotB);
        const bool sickB = !healthB.finite || healthB.peak > runaway;
        if (sickB) {
            // The new patch is bad before it was even heard in full: stay on the old one.
            sh.unhealthy.fetch_add(1, std::memory_order_relaxed);
            m_fading = false;
            sh.fading.store(false, std::memory_order_relaxed);
            incoming.dropPlan.store(true, std::memory_order_release);
            if (m_fadeIsCommit) {
                sh.rollbacks.fetch_add(1, std::memory_order_relaxed);
                sh.lastRollbackRunaway.store(healthB.finite, std::memory_order_relaxed);
                sh.lastCommitRolledBack.store(true, std::memory_order_release);
                sh.commitsSettled.fetch_add(1, std::memory_order_acq_rel);
            }
            slot1 = -1;
            if (sickA || gotA < n) {
                std::fill(out, out + 2 * n, 0.0f);
                sh.muted.fetch_add(1, std::memory_order_relaxed);
                outcome = Phase::Muted;
                slot0 = -1;
            } else {
                std::copy(m_scratchA.data(), m_scratchA.data() + 2 * n, out);
            }
        } else {
            if (gotB < n) {
                std::fill(m_scratchB.data() + 2 * gotB, m_scratchB.data() + 2 * n, 0.0f);
                countNoneRead(incoming);
            }
            // The new slot's events from the fade's first frame (see the header): its transport start
            // and first notes are at its first frame.
            cut = 0;
            if (sickA) { // the old one died mid-fade: cut to the new one
                std::fill(m_scratchA.data(), m_scratchA.data() + 2 * n, 0.0f);
                m_fadePosition = m_fadeLength;
            } else if (gotA < n) {
                std::fill(m_scratchA.data() + 2 * gotA, m_scratchA.data() + 2 * n, 0.0f);
                countNoneRead(main);
            }
            const float halfPi = static_cast<float>(std::numbers::pi / 2.0);
            const float length = static_cast<float>(m_fadeLength);
            const bool adaptive = m_config.fadeLaw == FadeLaw::Adaptive;
            // The correlation is tracked through the fade (a ~2 ms window): two tones a few Hz
            // apart drift in and out of phase within 20 ms, and the gain follows.
            const double alpha = 1.0 / (0.002 * m_config.sampleRate);
            for (std::size_t i = 0; i < n; ++i) {
                const float t = std::min(1.0f, static_cast<float>(m_fadePosition) / length);
                float gOut, gIn;
                if (m_config.fadeLaw == FadeLaw::EqualGain) {
                    gOut = 1.0f - t;
                    gIn = t;
                } else {
                    if (adaptive) {
                        const double x = static_cast<double>(m_scratchA[2 * i]) + static_cast<double>(m_scratchA[2 * i + 1]);
                        const double y = static_cast<double>(m_scratchB[2 * i]) + static_cast<double>(m_scratchB[2 * i + 1]);
                        m_corrAB += alpha * (x * y - m_corrAB);
                        m_corrAA += alpha * (x * x - m_corrAA);
                        m_corrBB += alpha * (y * y - m_corrBB);
                        const double energy = m_corrAA * m_corrBB;
                        m_fadeRho = energy > 1e-20 ? static_cast<float>(std::clamp(m_corrAB / std::sqrt(energy), kMinFadeRho, 1.0))
                                                   : 0.0f;
                    }
                    const float c = std::cos(t * halfPi), s = std::sin(t * halfPi);
                    // Power of gOut*A + gIn*B is k^2 (1 + 2 rho s c): k makes it 1 whatever rho is.
                    const float k = 1.0f / std::sqrt(1.0f + 2.0f * m_fadeRho * s * c);
                    gOut = c * k;
                    gIn = s * k;
                }
                out[2 * i] = gOut * m_scratchA[2 * i] + gIn * m_scratchB[2 * i];
                out[2 * i + 1] = gOut * m_scratchA[2 * i + 1] + gIn * m_scratchB[2 * i + 1];
                if (m_fadePosition < m_fadeLength)
                    ++m_fadePosition;
            }
            sh.fadeProgress.store(static_cast<float>(m_fadePosition) / length, std::memory_order_relaxed);
            if (m_fadePosition >= m_fadeLength) {
                m_fading = false;
                sh.active.store(m_fadeTo, std::memory_order_release);
                sh.fading.store(false, std::memory_order_relaxed);
                if (m_fadeIsCommit) {
                    sh.lastCommitRolledBack.store(false, std::memory_order_relaxed);
                    sh.commitsDone.fetch_add(1, std::memory_order_acq_rel);
                    m_rollbackSlot = sickA ? -1 : m_fadeFrom;
                    m_rollbackFramesLeft = static_cast<std::int64_t>(m_config.healthWindowMs * 1e-3 * m_config.sampleRate);
                    if (m_rollbackFramesLeft <= 0)
                        sh.commitsSettled.fetch_add(1, std::memory_order_acq_rel);
                }
            }
        }
    } else {
        // The hot mirror is read in step with the active, so it can take over at any sample.
        const int mIndex = 1 - a;
        SlotShared& mirror = *m_slots[static_cast<std::size_t>(mIndex)];
        std::size_t gotM = 0;
        bool okM = false;
        const bool clean = mirror.lease.load(std::memory_order_acquire) == Clean;
        // A standby on the active's timeline (a mirror, or one whose edits only changed parameters)
        // is read in step so it stays there; another is read only as a failover target.
        std::uint32_t mirrorTimeline = 0;
        std::int64_t mirrorFrame = 0;
        const bool sameTimeline = haveTag && mirror.ring.frontTag(mirrorTimeline, mirrorFrame) && mirrorTimeline == tagTimeline;
        if ((clean || sameTimeline) &&
            (m_hotMirror.load(std::memory_order_relaxed) || forceFailover || sickA || gotA < n)) {
            m_readThisChunk[static_cast<std::size_t>(mIndex)] = true;
            gotM = readInStep(mIndex, m_scratchM.data(), n, haveTag, tagTimeline, tagFrame);
            const Health healthM = measure(m_scratchM.data(), gotM);
            okM = gotM == n && healthM.finite && healthM.peak <= runaway;
            if (gotM > 0 && !okM && (healthM.peak > runaway || !healthM.finite))
                mirror.needsRebuild.store(true, std::memory_order_release);
        }
        const bool rollbackOpen = m_rollbackFramesLeft > 0 && m_rollbackSlot >= 0;
        // An in-step mirror holds the active's very samples, bit for bit: check it, as a failover
        // to it claims to be seamless.
        if (okM && gotA == n && clean && haveTag &&
            std::memcmp(m_scratchA.data(), m_scratchM.data(), 2 * n * sizeof(float)) != 0) {
            if (sh.mirrorMismatches.fetch_add(1, std::memory_order_relaxed) == 0)
                sh.firstMirrorMismatchFrame.store(tagFrame, std::memory_order_relaxed);
        }
        if (!sickA && gotA == n && !forceFailover) {
            std::copy(m_scratchA.data(), m_scratchA.data() + 2 * n, out);
        } else if (sickA && rollbackOpen) {
            // The patch just committed went bad: back to the one before.
            SlotShared& previous = *m_slots[static_cast<std::size_t>(m_rollbackSlot)];
            m_readThisChunk[static_cast<std::size_t>(m_rollbackSlot)] = true;
            const std::size_t gotR = previous.ring.read(m_scratchM.data(), n);
            const Health healthR = measure(m_scratchM.data(), gotR);
            slot0 = m_rollbackSlot;
            start0 = previous.ring.consumed() - gotR;
            if (healthR.finite && healthR.peak <= runaway) {
                std::copy(m_scratchM.data(), m_scratchM.data() + 2 * gotR, out);
                std::fill(out + 2 * gotR, out + 2 * n, 0.0f);
            } else {
                std::fill(out, out + 2 * n, 0.0f);
                outcome = Phase::Muted;
                slot0 = -1;
            }
            sh.active.store(m_rollbackSlot, std::memory_order_release);
            main.dropPlan.store(true, std::memory_order_release);
            main.needsRebuild.store(false, std::memory_order_release);
            sh.rollbacks.fetch_add(1, std::memory_order_relaxed);
            sh.lastRollbackRunaway.store(healthA.finite, std::memory_order_relaxed);
            sh.lastCommitRolledBack.store(true, std::memory_order_release);
            m_rollbackFramesLeft = 0;
            m_rollbackSlot = -1;
            sh.commitsSettled.fetch_add(1, std::memory_order_acq_rel);
        } else {
            std::uint8_t expected = Clean;
            if (okM && forceFailover && !sickA && gotA == n && !m_mirrorInStep &&
                mirror.lease.compare_exchange_strong(expected, TakenOver, std::memory_order_acq_rel)) {
                // A stall ahead and a mirror not in step: fade over what the active ring still holds.
                std::copy(m_scratchA.data(), m_scratchA.data() + 2 * n, out);
                m_fadeIsCommit = false;
                startFade(a, mIndex,
                          std::min<std::int64_t>(kFailoverFadeFrames, static_cast<std::int64_t>(main.ring.occupancyFrames())),
                          true);
                main.needsRebuild.store(true, std::memory_order_release);
                sh.failovers.fetch_add(1, std::memory_order_relaxed);
            } else if (okM && mirror.lease.compare_exchange_strong(expected, TakenOver, std::memory_order_acq_rel)) {
                // Failover: the mirror plays the same patch in step, so this is seamless.
                std::copy(m_scratchM.data(), m_scratchM.data() + 2 * n, out);
                slot0 = mIndex;
                start0 = mirror.ring.consumed() - gotM;
                sh.active.store(mIndex, std::memory_order_release);
                main.needsRebuild.store(true, std::memory_order_release);
                sh.failovers.fetch_add(1, std::memory_order_relaxed);
                outcome = Phase::Failover;
            } else if (sickA) {
                std::fill(out, out + 2 * n, 0.0f);
                sh.muted.fetch_add(1, std::memory_order_relaxed);
                outcome = Phase::Muted;
                slot0 = -1;
            } else {
                std::copy(m_scratchA.data(), m_scratchA.data() + 2 * gotA, out);
                std::fill(out + 2 * gotA, out + 2 * n, 0.0f);
                if (gotA < n)
                    countNoneRead(main);
            }
        }
        if (m_rollbackFramesLeft > 0) {
            m_rollbackFramesLeft -= frames;
            if (m_rollbackFramesLeft <= 0) {
                m_rollbackSlot = -1;
                sh.commitsSettled.fetch_add(1, std::memory_order_acq_rel);
            }
        }
    }

    // A standby whose plan reads input is drained in step with the output, unheard: a block it
    // renders is then heard (at a commit or a failover) at the output frame it was rendered for,
    // reading the same input as the other slot's block there. Offline there is no input.
    if (!m_config.offline)
        for (std::size_t i = 0; i < 2; ++i)
            if (!m_readThisChunk[i] && m_slots[i]->readsInput.load(std::memory_order_acquire))
                m_slots[i]->ring.skip(n);

    const bool before = cut > 0, after = cut < frames; // the chunk's frames on either side of `cut`
    if (before)
        handOnMidi(slot0, start0, 0, cut);
    if (after)
        handOnMidi(slot1, start1, cut, frames);
    for (int i = 0; i < 2; ++i) // the events of frames nobody hears
        if (!(before && i == slot0) && !(after && i == slot1)) {
            SlotShared& s = *m_slots[static_cast<std::size_t>(i)];
            s.midiOut.drain(s.ring.consumed(), [](std::uint64_t, const MidiEvent&) {});
        }

    if (m_fading)
        m_phase = m_fadeIsCommit ? Phase::Fading : Phase::Failover;
    else if (outcome != Phase::Steady)
        m_phase = outcome;
    else
        m_phase = m_rollbackFramesLeft > 0 ? Phase::Probation : Phase::Steady;

    m_windowFrames += frames;
    if (m_windowFrames >= m_windowLength)
        finishWindow();
}

int OutputStage::ringTarget() const noexcept {
    return std::max(m_config.ringTargetBlocks, m_shared->ringTarget.load(std::memory_order_relaxed));
}

void OutputStage::growRing() noexcept {
    const int target = ringTarget();
    if (!m_ringMayGrow || target >= m_config.ringMaxBlocks)
        return;
    m_shared->ringTarget.store(target + 1, std::memory_order_relaxed);
    m_ringMayGrow = false;
}

void OutputStage::noteMargin(SlotShared& slot, std::size_t frames, SlotShared* mirror) noexcept {
    if (m_config.offline)
        return;
    const auto margin = frames + static_cast<std::size_t>(m_config.blockSize);
    const std::size_t held = slot.ring.occupancyFrames();
    if (held < frames || held >= margin)
        return;
    slot.nearMisses.fetch_add(1, std::memory_order_relaxed);
    // A hot mirror in step that holds the margin takes over sample for sample if this ring runs
    // dry (a stalled worker): no reason to add latency. Without one (the standby syncing after a
    // commit, cold, or as short as the active: the whole machine was late) the next hiccup would
    // be heard, so the ring grows now.
    std::uint32_t tl = 0, mirrorTl = 0;
    std::int64_t frame = 0, mirrorFrame = 0;
    if (mirror != nullptr && m_hotMirror.load(std::memory_order_relaxed) &&
        mirror->lease.load(std::memory_order_acquire) == Clean && slot.ring.frontTag(tl, frame) &&
        mirror->ring.frontTag(mirrorTl, mirrorFrame) && mirrorTl == tl) {
        const std::size_t behind = mirrorFrame < frame ? static_cast<std::size_t>(frame - mirrorFrame) : 0;
        const std::size_t ahead = mirrorFrame > frame ? static_cast<std::size_t>(mirrorFrame - frame) : 0;
        const std::size_t mirrorHeld = mirror->ring.occupancyFrames();
        if (ahead == 0 && mirrorHeld >= behind + margin)
            return;
    }
    growRing();
}

void OutputStage::handOnMidi(int slot, std::uint64_t ringStart, int from, int to) noexcept {
    if (slot != m_midiSlot) {
        if (m_midiSlot >= 0)
            for (std::uint8_t channel = 0; channel < 16; ++channel) {
                MidiEvent off;
                off.status = static_cast<std::uint8_t>(0xB0 | channel);
                off.data1 = 123; // all notes off
                emitMidi(off, from);
            }
        m_midiSlot = slot;
    }
    if (slot < 0)
        return;
    SlotShared& s = *m_slots[static_cast<std::size_t>(slot)];
    s.midiOut.drain(s.ring.consumed(), [&](std::uint64_t position, const MidiEvent& event) {
        if (position < ringStart)
            return;
        const std::uint64_t at = position - ringStart;
        if (at >= static_cast<std::uint64_t>(from) && at < static_cast<std::uint64_t>(to))
            emitMidi(event, static_cast<int>(at));
    });
}

void OutputStage::emitMidi(const MidiEvent& event, int chunkOffset) noexcept {
    if (m_midiOutCount == kMidiOutCapacity) {
        m_shared->midiOutDropped.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    MidiEvent& e = m_midiOut[static_cast<std::size_t>(m_midiOutCount++)];
    e = event;
    e.offset = static_cast<std::uint16_t>(m_chunkOffset + chunkOffset);
    e.frame = static_cast<std::int64_t>(m_chunkFrame) + chunkOffset;
}

void OutputStage::finishWindow() noexcept {
    m_windowFrames = 0;
    for (auto& slot : m_slots) {
        const bool seen = slot->window.min < 1e300;
        slot->occupancyMin.store(seen ? slot->window.min : 0.0, std::memory_order_relaxed);
        slot->occupancyMax.store(seen ? slot->window.max : 0.0, std::memory_order_relaxed);
        slot->noneReadsWindow.store(slot->window.noneReads, std::memory_order_relaxed);
        slot->window.reset();
    }
}

} // namespace chronus::engine
