// The audio callback's state machine (OutputStage) on synthetic rings, with no threads and no
// sleeps: the test plays the workers' part (tagged blocks written into each slot's ring, as
// SlotWorker::renderBlock writes them) and the controller's (commit and failover requests, leases),
// calls process() and checks the output samples against the signals the rings hold, and the shared
// counters: steady pass-through, the commit's fade (length, law, loudness), rollback of a sick new
// patch, seamless failover to an in-step mirror, muting, none-reads and the stats window. A counting
// operator new watches process() on every one of those paths: it must allocate and free nothing.

#include "engine/OutputStage.hpp"
#include "engine/SlotShared.hpp"
#include "engine/rt/RealtimeSection.hpp"
#include "support/RealtimeAllocations.hpp"

#include <QTest>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <limits>
#include <memory>
#include <new>
#include <numbers>
#include <optional>
#include <vector>


using namespace chronus::engine;
using Phase = OutputStage::Phase;

namespace {
constexpr double kRate = 48000.0;
constexpr int kBlock = 64;

// A slot's sound as a function of its plan frame: two slots on the same timeline render the same
// samples at the same tag (the hot mirror's premise).
using Sound = std::function<float(std::int64_t frame, int channel)>;

Sound sine(double hz, double amplitude) {
    return [hz, amplitude](std::int64_t frame, int) {
        return static_cast<float>(amplitude * std::sin(2.0 * std::numbers::pi * hz * static_cast<double>(frame) / kRate));
    };
}
Sound dc(float value) {
    return [value](std::int64_t, int) { return value; };
}
// Uniform white noise in [-amplitude, amplitude], a pure function of (seed, frame, channel).
Sound noise(std::uint64_t seed, double amplitude) {
    return [seed, amplitude](std::int64_t frame, int channel) {
        std::uint64_t z = seed * 0x9E3779B97F4A7C15ull + static_cast<std::uint64_t>(frame) * 2 +
                          static_cast<std::uint64_t>(channel);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull; // splitmix64's finaliser
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        const double u = static_cast<double>(z >> 11) * 0x1.0p-53; // [0, 1)
        return static_cast<float>(amplitude * (2.0 * u - 1.0));
    };
}

EngineConfig stageConfig() {
    EngineConfig c;
    c.sampleRate = kRate;
    c.blockSize = kBlock;
    c.healthWindowMs = 100.0;
    c.fadeLaw = FadeLaw::EqualPower;
    c.hotMirror = true;
    return c;
}

std::uint64_t commitRequest(int to, std::int64_t fadeFrames) {
    return static_cast<std::uint64_t>(to + 1) | static_cast<std::uint64_t>(fadeFrames) << 8;
}

// The shared region, the stage on it, and a pretend worker per slot.
struct StageRig {
    struct FakeWorker {
        std::uint32_t timeline = 1;
        std::int64_t planFrame = 0;
        Sound signal = dc(0.0f);
        // MIDI out: a note-on of `note` at every plan frame that is a multiple of `midiEvery` (0:
        // none), its velocity saying which (1 + multiple % 127), as a sequencer into midi_out makes.
        int midiEvery = 0;
        std::uint8_t note = 60;
    };

    EngineConfig config;
    std::unique_ptr<SharedRegion> region = std::make_unique<SharedRegion>();
    std::unique_ptr<OutputStage> stage;
    FakeWorker worker[2];
    std::vector<MidiEvent> heard; // every MIDI event the stage handed on, in order
    int midiStampErrors = 0;

    explicit StageRig(EngineConfig c = stageConfig()) : config(c) {
        for (SlotShared& s : region->slot)
            s.ring.configure(static_cast<std::size_t>(config.blockSize));
        stage = std::make_unique<OutputStage>(config, region->engine, region->slot[0], region->slot[1]);
    }
    EngineShared& shared() { return region->engine; }
    SlotShared& slot(int i) { return region->slot[i]; }

    // A worker's renderBlock: whole blocks, tagged with the timeline and the plan frame of their
    // first frame. `poison` replaces the block's first frame (as the NaN fault does).
    void render(int s, int blocks = 1, std::optional<float> poison = std::nullopt) {
        FakeWorker& w = worker[s];
        std::vector<float> left(static_cast<std::size_t>(config.blockSize)), right(left.size());
        for (int b = 0; b < blocks; ++b) {
            for (int i = 0; i < config.blockSize; ++i) {
                left[static_cast<std::size_t>(i)] = w.signal(w.planFrame + i, 0);
                right[static_cast<std::size_t>(i)] = w.signal(w.planFrame + i, 1);
            }
            if (poison)
                left[0] = right[0] = *poison;
            for (int i = 0; w.midiEvery > 0 && i < config.blockSize; ++i) // before the audio, as the worker does
                if ((w.planFrame + i) % w.midiEvery == 0) {
                    MidiEvent e;
                    e.status = 0x90;
                    e.data1 = w.note;
                    e.data2 = static_cast<std::uint8_t>(1 + (w.planFrame + i) / w.midiEvery % 127);
                    slot(s).midiOut.push(slot(s).ring.written() + static_cast<std::uint64_t>(i), e);
                }
            slot(s).ring.write(left.data(), right.data(), left.size(), w.timeline, w.planFrame);
            w.planFrame += config.blockSize;
        }
    }
    // The audio callback: `frames` interleaved stereo frames.
    std::vector<float> play(int frames) {
        std::vector<float> out(2 * static_cast<std::size_t>(frames), 12345.0f); // not silence: every sample is written
        stage->process(out.data(), frames);
        const std::uint64_t first = region->engine.framesOut.load() - static_cast<std::uint64_t>(frames);
        for (const MidiEvent& e : stage->midiOut()) {
            // The event's two stamps agree: its frame in this callback, its output frame.
            if (e.frame != static_cast<std::int64_t>(first) + e.offset || e.offset >= frames)
                ++midiStampErrors;
            heard.push_back(e);
        }
        return out;
    }
    // The plan frame of `s`'s next unread frame (the test is the ring's consumer here).
    std::int64_t front(int s) {
        std::uint32_t timeline = 0;
        std::int64_t frame = -1;
        return slot(s).ring.frontTag(timeline, frame) ? frame : -1;
    }
};

// The MIDI the stage handed on, checked against what the workers made (FakeWorker::midiEvery):
// each note-on at the output frame of its plan frame, in order, none
// twice; where they came from (`from`, `to`); the all-notes-offs (controller 123) on their own.
struct HeardMidi {
    std::vector<std::int64_t> frames; // of the note-ons, in order
    std::vector<std::uint8_t> notes;
    std::vector<std::int64_t> allNotesOff; // frames of the controller 123s
    int allNotesOffChannels = 0;           // bit per channel
    int misplaced = 0;                     // a note-on not at its plan frame's output frame
    bool ordered = true;
};
// `planOf` maps an event's output frame to the plan frame it should have come from (the same by default).
using PlanOf = std::function<std::int64_t(std::int64_t frame, std::uint8_t note)>;
HeardMidi sortHeard(const std::vector<MidiEvent>& heard, int every,
                    const PlanOf& planOf = [](std::int64_t frame, std::uint8_t) { return frame; }) {
    HeardMidi h;
    std::int64_t last = -1;
    for (const MidiEvent& e : heard) {
        h.ordered &= e.frame >= last;
        last = e.frame;
        if ((e.status & 0xF0) == 0xB0 && e.data1 == 123) {
            h.allNotesOff.push_back(e.frame);
            h.allNotesOffChannels |= 1 << (e.status & 0x0F);
        } else if (e.status == 0x90) {
            const std::int64_t plan = planOf(e.frame, e.data1);
            if (plan % every != 0 || e.data2 != 1 + plan / every % 127)
                ++h.misplaced;
            h.frames.push_back(e.frame);
            h.notes.push_back(e.data1);
        }
    }
    return h;
}
// Every multiple of `every` in [from, to), once each, in order.
std::vector<std::int64_t> multiples(int every, std::int64_t from, std::int64_t to) {
    std::vector<std::int64_t> m;
    for (std::int64_t f = (from + every - 1) / every * every; f < to; f += every)
        m.push_back(f);
    return m;
}

void append(std::vector<float>& to, const std::vector<float>& more) { to.insert(to.end(), more.begin(), more.end()); }

// Largest sample-to-sample step of one channel of interleaved frames.
float largestStep(const std::vector<float>& interleaved, int channel) {
    float step = 0.0f;
    for (std::size_t i = 2 + static_cast<std::size_t>(channel); i < interleaved.size(); i += 2)
        step = std::max(step, std::fabs(interleaved[i] - interleaved[i - 2]));
    return step;
}

bool allFinite(const std::vector<float>& x) {
    return std::all_of(x.begin(), x.end(), [](float v) { return std::isfinite(v); });
}

// Where `out` (interleaved) differs most from `signal`: `frames` frames from output frame `from` on,
// against the signal from plan frame `first` on (both channels).
double deviationFrom(const std::vector<float>& out, const Sound& signal, std::int64_t first, std::size_t from = 0,
                     std::size_t frames = std::numeric_limits<std::size_t>::max()) {
    const std::size_t end = from + std::min(frames, out.size() / 2 - from);
    double worst = 0.0;
    for (std::size_t i = from; i < end; ++i)
        for (int c = 0; c < 2; ++c) {
            const double expected = signal(first + static_cast<std::int64_t>(i - from), c);
            worst = std::max(worst, std::fabs(static_cast<double>(out[2 * i + static_cast<std::size_t>(c)]) - expected));
        }
    return worst;
}
} // namespace

Q_DECLARE_METATYPE(chronus::engine::FadeLaw)

namespace chronus::engine {
// QCOMPARE prints a phase by name.
char* toString(OutputStage::Phase phase) { return qstrdup(OutputStage::phaseName(phase)); }
} // namespace chronus::engine

class TestOutputStage : public QObject {
    Q_OBJECT

private slots:
    void cleanup();
    void theAllocationCounterSeesTheRealtimeSection();
    void steadyPlaysTheActiveRing_data();
    void steadyPlaysTheActiveRing();
    void commitFadeFollowsTheGainCurve_data();
    void commitFadeFollowsTheGainCurve();
    void commitFadeKeepsTheLoudness_data();
    void commitFadeKeepsTheLoudness();
    void healthyCommitSettlesAfterItsWindow();
    void sickNewSlotRollsBack_data();
    void sickNewSlotRollsBack();
    void dryActiveFailsOverToInStepMirror_data();
    void dryActiveFailsOverToInStepMirror();
    void failoverRequestFadesToMirrorNotInStep();
    void sickActiveWithNothingHealthyIsMuted_data();
    void sickActiveWithNothingHealthyIsMuted();
    void noneReadWhenNothingIsReady_data();
    void noneReadWhenNothingIsReady();
    void aRingNearlyEmptyOrEmptyGrowsOneBlockAtATime();
    void aNearMissAnInStepMirrorCoversDoesNotGrowTheRing_data();
    void aNearMissAnInStepMirrorCoversDoesNotGrowTheRing();
    void inStepMirrorThatDiffersFromTheActiveIsCounted();
    void statsWindowPublishesOccupancy();
    void callbackWakesTheControlThreadOnlyForQueuedCommands();
    void capturedInputIsStampedAndAStandbyReadingItIsDrained();
    void midiOutPlaysTheActiveSlotsEventsOnly_data();
    void midiOutPlaysTheActiveSlotsEventsOnly();
    void midiOutSwitchesAtTheCommitFadesStart();
    void midiOutFailoverSendsAllNotesOffOnce();
    void midiOutRollbackSendsAllNotesOff();
};

// Whatever path a test took through process(), nothing in it allocated or freed.
void TestOutputStage::cleanup() { QCOMPARE(chronus::test::g_realtimeAllocations.exchange(0), 0L); }

// The counter the cleanup trusts does count (and only inside a section).
void TestOutputStage::theAllocationCounterSeesTheRealtimeSection() {
    static int* volatile escaped = nullptr; // the compiler may not elide a new whose pointer escapes
    escaped = new int(1);
    delete escaped;
    QCOMPARE(chronus::test::g_realtimeAllocations.load(), 0L);
    {
        chronus::engine::rt::RealtimeSection section;
        escaped = new int(2);
        delete escaped;
    }
    QCOMPARE(chronus::test::g_realtimeAllocations.exchange(0), 2L);
}

void TestOutputStage::steadyPlaysTheActiveRing_data() {
    QTest::addColumn<int>("active");
    QTest::addColumn<int>("callbackFrames");
    QTest::addRow("slot 0") << 0 << kBlock;
    QTest::addRow("slot 1") << 1 << kBlock;
    // Longer than the stage's mixing chunk, and not a multiple of it or of a block.
    QTest::addRow("slot 1, 3000-frame callbacks") << 1 << 3000;
}

// The active ring plays sample for sample; the other slot (dirty, another timeline) is not touched.
void TestOutputStage::steadyPlaysTheActiveRing() {
    QFETCH(int, active);
    QFETCH(int, callbackFrames);
    StageRig rig;
    const int other = 1 - active;
    rig.shared().active.store(active);
    rig.worker[active] = {1, 0, sine(440.0, 0.5)};
    rig.worker[other] = {2, 0, noise(7, 0.5)};
    rig.render(other, 4);
    std::vector<float> out;
    for (int call = 0; call < 8; ++call) {
        while (rig.worker[active].planFrame < static_cast<std::int64_t>(call + 1) * callbackFrames)
            rig.render(active);
        append(out, rig.play(callbackFrames));
        QCOMPARE(rig.stage->phase(), Phase::Steady);
    }
    QCOMPARE(out.size(), 2 * std::size_t{8} * static_cast<std::size_t>(callbackFrames));
    QCOMPARE(deviationFrom(out, sine(440.0, 0.5), 0), 0.0);
    QCOMPARE(rig.slot(other).ring.occupancyFrames(), std::size_t{4 * kBlock});
    QCOMPARE(rig.slot(active).noneReads.load(), std::uint64_t{0});
    QCOMPARE(rig.slot(other).noneReads.load(), std::uint64_t{0});
    QCOMPARE(rig.shared().framesOut.load(), std::uint64_t{8} * static_cast<std::uint64_t>(callbackFrames));
    QCOMPARE(rig.shared().outputTimeline.load(), std::uint32_t{1});
    QCOMPARE(rig.shared().outputPlanFrame.load(), std::int64_t{8} * callbackFrames);
    QCOMPARE(rig.shared().active.load(), active);
    rig.stage->noteXrun();
    QCOMPARE(rig.shared().xruns.load(), std::uint64_t{1});
}

void TestOutputStage::commitFadeFollowsTheGainCurve_data() {
    QTest::addColumn<FadeLaw>("law");
    QTest::addColumn<int>("fadeFrames");
    QTest::addRow("equal gain, 480") << FadeLaw::EqualGain << 480;
    QTest::addRow("equal power, 480") << FadeLaw::EqualPower << 480;
    QTest::addRow("adaptive, 480") << FadeLaw::Adaptive << 480;
    QTest::addRow("equal gain, 100") << FadeLaw::EqualGain << 100; // not a whole number of blocks
    QTest::addRow("equal power, 37") << FadeLaw::EqualPower << 37;
}

// Old side DC, new side silent: the output is the old side's gain, sample by sample, from the first
// sample of the callback after the request (a block boundary) for exactly the fade's length.
void TestOutputStage::commitFadeFollowsTheGainCurve() {
    QFETCH(FadeLaw, law);
    QFETCH(int, fadeFrames);
    EngineConfig config = stageConfig();
    config.fadeLaw = law;
    StageRig rig(config);
    rig.worker[0] = {1, 0, dc(0.5f)};
    rig.worker[1] = {2, 0, dc(0.0f)};
    rig.render(1, 8);
    for (int call = 0; call < 2; ++call) {
        rig.render(0);
        rig.play(kBlock);
    }
    QCOMPARE(rig.stage->phase(), Phase::Steady);

    rig.slot(1).lease.store(Clean); // a commit takes both slots out of the failover game
    rig.shared().commitRequest.store(commitRequest(1, fadeFrames));
    std::vector<float> out;
    while (out.size() / 2 < static_cast<std::size_t>(fadeFrames + 2 * kBlock)) {
        rig.render(0);
        rig.render(1);
        append(out, rig.play(kBlock));
        if (out.size() / 2 < static_cast<std::size_t>(fadeFrames)) {
            QCOMPARE(rig.stage->phase(), Phase::Fading);
            QVERIFY(rig.shared().fading.load());
        }
    }
    QCOMPARE(rig.shared().lastCommitFrame.load(), std::int64_t{2 * kBlock});
    double worst = 0.0;
    for (int k = 0; k < fadeFrames; ++k) {
        const double t = static_cast<double>(k) / fadeFrames;
        const double gain = law == FadeLaw::EqualGain ? 1.0 - t : std::cos(t * std::numbers::pi / 2.0);
        for (int c = 0; c < 2; ++c)
            worst = std::max(worst, std::fabs(static_cast<double>(out[2 * static_cast<std::size_t>(k) + static_cast<std::size_t>(c)]) -
                                              0.5 * gain));
    }
    QCOMPARE_LT(worst, 1e-6);
    for (std::size_t i = 2 * static_cast<std::size_t>(fadeFrames); i < out.size(); ++i)
        QCOMPARE_LT(std::fabs(out[i]), 1e-7f); // the new side alone (cos(pi/2) in float is not quite 0)
    QCOMPARE(rig.stage->phase(), Phase::Probation);
    QCOMPARE(rig.shared().active.load(), 1);
    QCOMPARE(rig.shared().commitsDone.load(), std::uint32_t{1});
    QCOMPARE(rig.shared().commitsSettled.load(), std::uint32_t{0});
    QVERIFY(!rig.shared().fading.load());
    QCOMPARE(rig.shared().fadeProgress.load(), 1.0f);
    QCOMPARE(rig.slot(0).lease.load(), std::uint8_t{Dirty});
    QCOMPARE(rig.slot(1).lease.load(), std::uint8_t{Dirty});
    QCOMPARE(rig.shared().commitRequest.load(), std::uint64_t{0});
}

void TestOutputStage::commitFadeKeepsTheLoudness_data() {
    QTest::addColumn<FadeLaw>("law");
    QTest::addColumn<bool>("identical");
    QTest::addColumn<double>("midGain");   // output RMS / input RMS over the middle fifth of the fade
    QTest::addColumn<double>("tolerance");
    QTest::addColumn<double>("rho");       // the correlation the fade measured at its start
    // Identical inputs: the gains' sum; uncorrelated: the root of their squares' sum.
    QTest::addRow("identical, equal gain") << FadeLaw::EqualGain << true << 1.0 << 1e-5 << 0.0;
    QTest::addRow("identical, equal power") << FadeLaw::EqualPower << true << 1.410 << 0.005 << 0.0;
    QTest::addRow("identical, adaptive") << FadeLaw::Adaptive << true << 1.0 << 1e-4 << 1.0;
    QTest::addRow("uncorrelated, equal gain") << FadeLaw::EqualGain << false << 0.712 << 0.05 << 0.0;
    QTest::addRow("uncorrelated, equal power") << FadeLaw::EqualPower << false << 1.0 << 0.05 << 0.0;
    QTest::addRow("uncorrelated, adaptive") << FadeLaw::Adaptive << false << 1.0 << 0.06 << 0.0;
}

void TestOutputStage::commitFadeKeepsTheLoudness() {
    QFETCH(FadeLaw, law);
    QFETCH(bool, identical);
    QFETCH(double, midGain);
    QFETCH(double, tolerance);
    QFETCH(double, rho);
    EngineConfig config = stageConfig();
    config.fadeLaw = law;
    StageRig rig(config);
    const Sound a = identical ? sine(440.0, 0.5) : noise(1, 0.5);
    const Sound b = identical ? sine(440.0, 0.5) : noise(2, 0.5);
    rig.worker[0] = {1, 0, a};
    rig.worker[1] = {2, 0, b}; // primed on a timeline of its own, from the same plan frame
    rig.render(0, 8);
    rig.render(1, 8);
    constexpr int kFade = 4800;
    rig.shared().commitRequest.store(commitRequest(1, kFade));
    std::vector<float> out;
    while (out.size() / 2 < static_cast<std::size_t>(kFade)) {
        rig.render(0);
        rig.render(1);
        append(out, rig.play(kBlock));
    }
    QCOMPARE(rig.shared().commitsDone.load(), std::uint32_t{1});
    if (law == FadeLaw::Adaptive)
        QCOMPARE_LT(std::fabs(static_cast<double>(rig.shared().fadeCorrelation.load()) - rho), identical ? 1e-4 : 0.15);
    else
        QCOMPARE(static_cast<double>(rig.shared().fadeCorrelation.load()), rho);
    // Both rings were read from plan frame 0 on: the inputs at output frame i are a(i), b(i).
    double outPower = 0.0, inPower = 0.0;
    for (std::size_t i = 2 * kFade / 5; i < 3 * kFade / 5; ++i)
        for (int c = 0; c < 2; ++c) {
            const double y = static_cast<double>(out[2 * i + static_cast<std::size_t>(c)]);
            const double x = static_cast<double>(a(static_cast<std::int64_t>(i), c));
            const double z = static_cast<double>(b(static_cast<std::int64_t>(i), c));
            outPower += y * y;
            inPower += 0.5 * (x * x + z * z);
        }
    const double gain = std::sqrt(outPower / inPower);
    qInfo("fade gain over the middle fifth: %.4f (expected %.3f), correlation measured %.4f", gain, midGain,
          static_cast<double>(rig.shared().fadeCorrelation.load()));
    QCOMPARE_LT(std::fabs(gain - midGain), tolerance);
    if (identical && midGain == 1.0) // the gains sum to one at every sample: the input itself
        QCOMPARE_LT(deviationFrom(out, a, 0), 1e-5);
}

// A commit whose new patch stays healthy through its window settles once, and stays committed.
void TestOutputStage::healthyCommitSettlesAfterItsWindow() {
    StageRig rig;
    rig.worker[0] = {1, 0, sine(440.0, 0.5)};
    rig.worker[1] = {2, 0, sine(660.0, 0.5)};
    rig.shared().commitRequest.store(commitRequest(1, kBlock));
    const int window = static_cast<int>(rig.config.healthWindowMs * 1e-3 * kRate);
    int played = 0;
    for (; played < kBlock + window + kBlock; played += kBlock) {
        rig.render(0);
        rig.render(1);
        rig.play(kBlock);
        if (played + kBlock > kBlock && played + kBlock < kBlock + window)
            QCOMPARE(rig.stage->phase(), Phase::Probation);
    }
    QCOMPARE(rig.stage->phase(), Phase::Steady);
    QCOMPARE(rig.shared().commitsSettled.load(), std::uint32_t{1});
    QCOMPARE(rig.shared().rollbacks.load(), std::uint64_t{0});
    QCOMPARE(rig.shared().active.load(), 1);
    QVERIFY(!rig.shared().lastCommitRolledBack.load());
}

void TestOutputStage::sickNewSlotRollsBack_data() {
    QTest::addColumn<float>("poison");
    QTest::addColumn<bool>("duringFade");
    QTest::addRow("NaN in probation") << std::numeric_limits<float>::quiet_NaN() << false;
    QTest::addRow("Inf in probation") << std::numeric_limits<float>::infinity() << false;
    QTest::addRow("runaway in probation") << 100.0f << false;
    QTest::addRow("NaN during the fade") << std::numeric_limits<float>::quiet_NaN() << true;
    QTest::addRow("runaway during the fade") << 100.0f << true;
}

// The new slot turns sick before its health window closed: the output goes back to the old slot,
// which carries on where it left off (finite, no gap), and the new slot is told to drop its plan.
void TestOutputStage::sickNewSlotRollsBack() {
    QFETCH(float, poison);
    QFETCH(bool, duringFade);
    StageRig rig;
    const Sound a = sine(440.0, 0.5);
    rig.worker[0] = {1, 0, a};
    rig.worker[1] = {2, 0, sine(660.0, 0.5)};
    const int fade = duringFade ? 8 * kBlock : kBlock;
    rig.shared().commitRequest.store(commitRequest(1, fade));
    for (int call = 0; call < 3; ++call) { // the fade's first chunk, then probation (or more fade)
        rig.render(0);
        rig.render(1);
        rig.play(kBlock);
    }
    QCOMPARE(rig.stage->phase(), duringFade ? Phase::Fading : Phase::Probation);
    QCOMPARE(rig.shared().commitsDone.load(), std::uint32_t{duringFade ? 0u : 1u});

    rig.render(0); // the old slot renders on: its ring holds what comes right after the fade
    rig.render(1, 1, poison);
    const std::int64_t resume = rig.front(0);
    QVERIFY(resume >= 0);
    const std::vector<float> out = rig.play(kBlock);
    QVERIFY(allFinite(out));
    QCOMPARE(deviationFrom(out, a, resume), 0.0);
    QCOMPARE(rig.stage->phase(), Phase::Steady);
    QCOMPARE(rig.shared().active.load(), 0);
    QCOMPARE(rig.shared().rollbacks.load(), std::uint64_t{1});
    QCOMPARE(rig.shared().commitsSettled.load(), std::uint32_t{1});
    QVERIFY(rig.shared().lastCommitRolledBack.load());
    QCOMPARE(rig.shared().lastRollbackRunaway.load(), std::isfinite(poison));
    QVERIFY(rig.slot(1).dropPlan.load());
    QCOMPARE_GE(rig.shared().unhealthy.load(), std::uint64_t{1});
    QCOMPARE(rig.shared().muted.load(), std::uint64_t{0});
    QVERIFY(!rig.shared().fading.load());

    // And on: the old slot plays as before, the rollback is not repeated.
    rig.render(0);
    rig.render(1);
    const std::int64_t next = rig.front(0);
    QCOMPARE(deviationFrom(rig.play(kBlock), a, next), 0.0);
    QCOMPARE(rig.stage->phase(), Phase::Steady);
    QCOMPARE(rig.shared().rollbacks.load(), std::uint64_t{1});
    QCOMPARE(rig.shared().commitsSettled.load(), std::uint32_t{1});
}

void TestOutputStage::dryActiveFailsOverToInStepMirror_data() {
    QTest::addColumn<int>("activeBlocksLeft"); // what the active ring holds of a 2-block callback
    QTest::addColumn<int>("mirrorBehind");     // blocks the mirror's ring starts behind the active's
    QTest::addRow("dry") << 0 << 0;
    QTest::addRow("half a callback left") << 1 << 0;
    QTest::addRow("dry, mirror started behind") << 0 << 2;
}

// The active's worker stops producing; the clean mirror on the same timeline, read in step all
// along, takes over at the very sample: no none-read, no step the signal does not have itself.
void TestOutputStage::dryActiveFailsOverToInStepMirror() {
    QFETCH(int, activeBlocksLeft);
    QFETCH(int, mirrorBehind);
    StageRig rig;
    const Sound s = sine(440.0, 0.5);
    const std::int64_t start = std::int64_t{mirrorBehind} * kBlock;
    rig.worker[0] = {1, start, s};
    rig.worker[1] = {1, 0, s};
    rig.slot(1).lease.store(Clean);
    rig.render(1, mirrorBehind);
    std::vector<float> out;
    for (int call = 0; call < 4; ++call) {
        rig.render(0);
        rig.render(1);
        append(out, rig.play(kBlock));
        QCOMPARE(rig.stage->phase(), Phase::Steady);
        QCOMPARE(rig.front(1), -1); // the mirror is read in step: nothing left over, nothing skipped later
    }
    rig.render(0, activeBlocksLeft);
    rig.render(1, 2);
    append(out, rig.play(2 * kBlock));
    QCOMPARE(rig.stage->phase(), Phase::Failover);
    QCOMPARE(rig.shared().failovers.load(), std::uint64_t{1});
    QCOMPARE(rig.shared().active.load(), 1);
    QCOMPARE(rig.slot(1).lease.load(), std::uint8_t{TakenOver});
    QVERIFY(rig.slot(0).needsRebuild.load());
    for (int call = 0; call < 3; ++call) {
        rig.render(1);
        append(out, rig.play(kBlock));
        QCOMPARE(rig.stage->phase(), Phase::Steady);
    }
    QCOMPARE(rig.slot(0).noneReads.load(), std::uint64_t{0});
    QCOMPARE(rig.slot(1).noneReads.load(), std::uint64_t{0});
    QCOMPARE(rig.shared().muted.load(), std::uint64_t{0});
    QCOMPARE(deviationFrom(out, s, start), 0.0);
    std::vector<float> reference(out.size());
    for (std::size_t i = 0; i < out.size() / 2; ++i)
        for (int c = 0; c < 2; ++c)
            reference[2 * i + static_cast<std::size_t>(c)] = s(start + static_cast<std::int64_t>(i), c);
    QCOMPARE_LE(largestStep(out, 0), largestStep(reference, 0));
    QCOMPARE_LE(largestStep(out, 1), largestStep(reference, 1));
}

// The supervisor saw the active stall while its ring still holds audio; the clean mirror is on
// another timeline (not in step): the stage fades to it over what the active ring still holds.
void TestOutputStage::failoverRequestFadesToMirrorNotInStep() {
    StageRig rig;
    rig.worker[0] = {1, 0, sine(440.0, 0.5)};
    rig.worker[1] = {2, 0, sine(440.0, 0.5)};
    rig.slot(1).lease.store(Clean);
    rig.render(0, 6);
    rig.render(1, 6);
    rig.play(kBlock);
    QCOMPARE(rig.stage->phase(), Phase::Steady);
    rig.shared().failoverRequest.store(2);
    rig.play(kBlock); // this chunk from the active still; the fade starts after it
    QCOMPARE(rig.stage->phase(), Phase::Failover);
    QCOMPARE(rig.shared().failovers.load(), std::uint64_t{1});
    QCOMPARE(rig.slot(1).lease.load(), std::uint8_t{TakenOver});
    QCOMPARE(rig.shared().active.load(), 0);
    std::vector<float> out;
    for (int call = 0; call < 4; ++call) { // 256 frames: the longest a failover fade lasts
        rig.render(1);
        append(out, rig.play(kBlock));
    }
    QVERIFY(allFinite(out));
    QCOMPARE(rig.shared().active.load(), 1);
    QCOMPARE(rig.stage->phase(), Phase::Steady);
    QCOMPARE(rig.slot(0).noneReads.load(), std::uint64_t{0});
    QCOMPARE(rig.slot(1).noneReads.load(), std::uint64_t{0});
    QCOMPARE(rig.shared().commitsDone.load(), std::uint32_t{0}); // a failover is not a commit
}

void TestOutputStage::sickActiveWithNothingHealthyIsMuted_data() {
    QTest::addColumn<float>("poison");
    QTest::addColumn<int>("mirror"); // 0 none, 1 healthy but dirty, 2 clean and in step but sick too
    QTest::addRow("NaN, no mirror") << std::numeric_limits<float>::quiet_NaN() << 0;
    QTest::addRow("runaway, dirty mirror") << 100.0f << 1;
    QTest::addRow("NaN, sick mirror") << std::numeric_limits<float>::quiet_NaN() << 2;
}

void TestOutputStage::sickActiveWithNothingHealthyIsMuted() {
    QFETCH(float, poison);
    QFETCH(int, mirror);
    StageRig rig;
    rig.worker[0] = {1, 0, sine(440.0, 0.5)};
    rig.worker[1] = {mirror == 2 ? 1u : 2u, 0, sine(440.0, 0.5)};
    if (mirror == 2)
        rig.slot(1).lease.store(Clean);
    for (int call = 0; call < 2; ++call) {
        rig.render(0);
        if (mirror > 0)
            rig.render(1);
        rig.play(kBlock);
    }
    rig.render(0, 1, poison);
    if (mirror > 0)
        rig.render(1, 1, mirror == 2 ? std::optional<float>(poison) : std::nullopt);
    const std::vector<float> out = rig.play(kBlock);
    QVERIFY(std::all_of(out.begin(), out.end(), [](float x) { return x == 0.0f; }));
    QCOMPARE(rig.stage->phase(), Phase::Muted);
    QCOMPARE(rig.shared().muted.load(), std::uint64_t{1});
    QCOMPARE(rig.shared().unhealthy.load(), std::uint64_t{1});
    QCOMPARE(rig.shared().failovers.load(), std::uint64_t{0});
    QCOMPARE(rig.shared().active.load(), 0);
    QVERIFY(rig.slot(0).needsRebuild.load());
    QCOMPARE(rig.slot(1).needsRebuild.load(), mirror == 2);

    rig.render(0); // healthy again: it plays
    if (mirror > 0)
        rig.render(1);
    const std::vector<float> after = rig.play(kBlock);
    QCOMPARE(rig.stage->phase(), Phase::Steady);
    QCOMPARE(deviationFrom(after, rig.worker[0].signal, 3 * kBlock), 0.0);
}

void TestOutputStage::noneReadWhenNothingIsReady_data() {
    QTest::addColumn<int>("blocksReady"); // of a 2-block callback
    QTest::addRow("empty") << 0;
    QTest::addRow("half") << 1;
}

// The active ring cannot fill the callback and no mirror may take over: what there is plays, the
// rest is silence, and one none-read is counted (in the total and in the window).
void TestOutputStage::noneReadWhenNothingIsReady() {
    QFETCH(int, blocksReady);
    EngineConfig config = stageConfig();
    config.statsWindowSeconds = 4.0 * kBlock / kRate;
    StageRig rig(config);
    const Sound s = sine(440.0, 0.5);
    rig.worker[0] = {1, 0, s};
    rig.render(0, blocksReady);
    const std::vector<float> out = rig.play(2 * kBlock);
    const std::size_t got = static_cast<std::size_t>(blocksReady * kBlock);
    QCOMPARE(deviationFrom(out, s, 0, 0, got), 0.0);
    QVERIFY(std::all_of(out.begin() + static_cast<std::ptrdiff_t>(2 * got), out.end(), [](float x) { return x == 0.0f; }));
    QCOMPARE(rig.slot(0).noneReads.load(), std::uint64_t{1});
    QCOMPARE(rig.slot(1).noneReads.load(), std::uint64_t{0});
    QCOMPARE(rig.stage->phase(), Phase::Steady);
    QCOMPARE(rig.shared().muted.load(), std::uint64_t{0});
    QCOMPARE(rig.shared().failovers.load(), std::uint64_t{0});
    QCOMPARE(rig.slot(0).noneReadsWindow.load(), std::uint64_t{0}); // the window is not over yet
    rig.render(0, 2);
    rig.play(2 * kBlock);
    QCOMPARE(rig.slot(0).noneReads.load(), std::uint64_t{1});
    QCOMPARE(rig.slot(0).noneReadsWindow.load(), std::uint64_t{1});
}

// A ring that plays and is found one block from empty (a near-miss: its worker fell a whole block
// behind) or empty (a none-read) grows both rings' target by one block, up to ringMaxBlocks, and once
// more only after the playing ring was filled to the grown target (a worker that cannot fill it,
// stalled or dead, is not helped by more blocks). It never shrinks. With ringMaxBlocks at the target
// it stays put.
void TestOutputStage::aRingNearlyEmptyOrEmptyGrowsOneBlockAtATime() {
    EngineConfig config = stageConfig();
    config.ringTargetBlocks = 2;
    config.ringMaxBlocks = 4;
    StageRig rig(config);
    rig.shared().ringTarget.store(2); // as SlotEngine starts it
    rig.worker[0] = {1, 0, sine(440.0, 0.5)};
    const auto target = [&] { return rig.shared().ringTarget.load(); };
    const auto nearMisses = [&] { return rig.slot(0).nearMisses.load(); };
    const auto noneReads = [&] { return rig.slot(0).noneReads.load(); };
    // Plays `blocks` blocks from a ring filled with them, then one more from the empty ring.
    const auto fillThenRunDry = [&](int blocks) {
        rig.render(0, blocks);
        for (int b = 0; b < blocks; ++b)
            rig.play(kBlock);
        rig.play(kBlock);
    };
    rig.render(0, 2);
    rig.play(kBlock); // two blocks held: the worker is a block ahead of this read
    QCOMPARE(target(), 2);
    QCOMPARE(nearMisses(), std::uint64_t{0});
    rig.play(kBlock); // the last block: a near-miss, and the ring grows before it runs dry
    QCOMPARE(nearMisses(), std::uint64_t{1});
    QCOMPARE(noneReads(), std::uint64_t{0});
    QCOMPARE(target(), 3);
    rig.play(kBlock); // dry before the worker filled the grown ring: no second block
    QCOMPARE(noneReads(), std::uint64_t{1});
    QCOMPARE(target(), 3);
    fillThenRunDry(2); // filled short of the grown target: a near-miss and a none-read, no growth
    QCOMPARE(nearMisses(), std::uint64_t{2});
    QCOMPARE(noneReads(), std::uint64_t{2});
    QCOMPARE(target(), 3);
    fillThenRunDry(3); // filled to the target: its last block grows it
    QCOMPARE(nearMisses(), std::uint64_t{3});
    QCOMPARE(noneReads(), std::uint64_t{3});
    QCOMPARE(target(), 4);
    fillThenRunDry(4); // at the ceiling
    QCOMPARE(noneReads(), std::uint64_t{4});
    QCOMPARE(target(), 4);
    // A ring of 4 the worker keeps full: plenty of steady reads later it never shrinks, and a
    // worker a block ahead of every read is no near-miss.
    rig.render(0, 4);
    const std::uint64_t missesBefore = nearMisses();
    for (int b = 0; b < 100; ++b) {
        rig.play(kBlock);
        rig.render(0, 1);
    }
    QCOMPARE(nearMisses(), missesBefore);
    QCOMPARE(noneReads(), std::uint64_t{4});
    QCOMPARE(target(), 4);

    config.ringMaxBlocks = config.ringTargetBlocks; // fixed
    StageRig fixed(config);
    fixed.shared().ringTarget.store(2);
    fixed.worker[0] = {1, 0, sine(440.0, 0.5)};
    fixed.render(0, 1);
    fixed.play(kBlock);
    QCOMPARE(fixed.slot(0).nearMisses.load(), std::uint64_t{1});
    fixed.play(kBlock);
    QCOMPARE(fixed.slot(0).noneReads.load(), std::uint64_t{1});
    QCOMPARE(fixed.shared().ringTarget.load(), 2);
}

void TestOutputStage::aNearMissAnInStepMirrorCoversDoesNotGrowTheRing_data() {
    QTest::addColumn<bool>("hot");
    QTest::addColumn<int>("mirrorBlocks"); // what the mirror holds at the active's near-miss
    QTest::addColumn<bool>("grows");
    QTest::addRow("hot mirror two blocks ahead: covered") << true << 2 << false;
    QTest::addRow("hot mirror as short as the active: grows") << true << 1 << true;
    QTest::addRow("cold mirror: grows") << false << 2 << true;
}

// The active's worker falls a block behind (a stall) while a clean mirror plays in step: if the
// mirror holds the block the active lacks, a failover covers the stall sample for sample, so the
// near-miss is counted and the ring (and every latency that follows it: MIDI, input) stays put.
// A mirror as short as the active (the whole machine was late) or a cold one covers nothing.
void TestOutputStage::aNearMissAnInStepMirrorCoversDoesNotGrowTheRing() {
    QFETCH(bool, hot);
    QFETCH(int, mirrorBlocks);
    QFETCH(bool, grows);
    EngineConfig config = stageConfig();
    config.ringTargetBlocks = 2;
    config.ringMaxBlocks = 4;
    StageRig rig(config);
    rig.shared().ringTarget.store(2);
    rig.stage->setHotMirror(hot);
    const Sound s = sine(440.0, 0.5);
    rig.worker[0] = {1, 0, s};
    rig.worker[1] = {1, 0, s};
    rig.slot(1).lease.store(Clean);
    rig.render(0, 2);
    rig.render(1, 2);
    for (int call = 0; call < 4; ++call) { // both a block ahead of every read
        rig.play(kBlock);
        rig.render(0);
        rig.render(1);
    }
    QCOMPARE(rig.slot(0).nearMisses.load(), std::uint64_t{0});
    rig.play(kBlock); // the active's worker stalls from here: it renders nothing more
    rig.render(1, mirrorBlocks - 1);
    rig.play(kBlock); // the active's last block
    QCOMPARE(rig.slot(0).nearMisses.load(), std::uint64_t{1});
    QCOMPARE(rig.shared().ringTarget.load(), grows ? 3 : 2);
    QCOMPARE(rig.slot(0).noneReads.load(), std::uint64_t{0});
}

// The hot mirror read in step holds the active's very samples: where it does not, bit for bit, the
// chunk is counted (a failover to it would not be seamless), with the plan frame of the first one.
void TestOutputStage::inStepMirrorThatDiffersFromTheActiveIsCounted() {
    StageRig rig;
    rig.worker[0] = {1, 0, sine(440.0, 0.5)};
    rig.worker[1] = {1, 0, sine(440.0, 0.5)};
    rig.slot(1).lease.store(Clean);
    for (int call = 0; call < 4; ++call) {
        rig.render(0);
        rig.render(1);
        rig.play(kBlock);
    }
    QCOMPARE(rig.shared().mirrorMismatches.load(), std::uint64_t{0});
    QCOMPARE(rig.shared().firstMirrorMismatchFrame.load(), std::int64_t{-1});
    rig.worker[1].signal = sine(440.02, 0.5); // the same tone a hair apart: a fraction of a sample
    for (int call = 0; call < 3; ++call) {
        rig.render(0);
        rig.render(1);
        rig.play(kBlock);
    }
    QCOMPARE(rig.shared().mirrorMismatches.load(), std::uint64_t{3});
    QCOMPARE(rig.shared().firstMirrorMismatchFrame.load(), std::int64_t{4 * kBlock});
    QCOMPARE(rig.stage->phase(), Phase::Steady); // counted, not acted on
    QCOMPARE(rig.shared().active.load(), 0);
}

// Occupancy is sampled at every chunk and published as min/max when the window closes.
void TestOutputStage::statsWindowPublishesOccupancy() {
    EngineConfig config = stageConfig();
    config.statsWindowSeconds = 4.0 * kBlock / kRate; // four callbacks of one block
    StageRig rig(config);
    rig.worker[0] = {1, 0, sine(440.0, 0.5)};
    rig.worker[1] = {2, 0, sine(660.0, 0.5)}; // dirty, another timeline: never read
    rig.render(0, 8);
    rig.render(1, 2);
    for (int call = 0; call < 3; ++call) {
        rig.play(kBlock);
        QCOMPARE(rig.slot(0).occupancyMax.load(), 0.0);
    }
    rig.play(kBlock);
    QCOMPARE(rig.slot(0).occupancyMin.load(), 5.0);
    QCOMPARE(rig.slot(0).occupancyMax.load(), 8.0);
    QCOMPARE(rig.slot(1).occupancyMin.load(), 2.0);
    QCOMPARE(rig.slot(1).occupancyMax.load(), 2.0);
    QCOMPARE(rig.slot(0).noneReadsWindow.load(), std::uint64_t{0});
    for (int call = 0; call < 4; ++call)
        rig.play(kBlock);
    QCOMPARE(rig.slot(0).occupancyMin.load(), 1.0);
    QCOMPARE(rig.slot(0).occupancyMax.load(), 4.0);
}

// Every block wakes each worker's render thread; a worker's control thread only when commands wait
// on its queue. A live change sent while the callback runs wakes nobody itself and counts on this
// wake to reach the control thread in time for its stamp; an idle control thread is left asleep.
void TestOutputStage::callbackWakesTheControlThreadOnlyForQueuedCommands() {
    StageRig rig;
    rig.worker[0] = {1, 0, dc(0.25f)};
    rig.worker[1] = {1, 0, dc(0.25f)};
    rig.render(0, 4);
    rig.render(1, 4);
    std::uint32_t render[2], control[2];
    for (int s = 0; s < 2; ++s) {
        render[s] = rig.slot(s).wake.current();
        control[s] = rig.slot(s).controlWake.current();
    }
    rig.play(kBlock);
    for (int s = 0; s < 2; ++s) {
        QCOMPARE(rig.slot(s).wake.current(), render[s] + 1);
        QCOMPARE(rig.slot(s).controlWake.current(), control[s]); // nothing queued: left asleep
    }
    SlotCommand live;
    live.kind = SlotCommandKind::SetLive;
    live.a.assign("osc");
    live.b.assign("freq");
    live.value = 220.0;
    QVERIFY(rig.slot(1).commands.tryPush(live));
    rig.play(kBlock);
    QCOMPARE(rig.slot(0).controlWake.current(), control[0]);
    QCOMPARE(rig.slot(1).controlWake.current(), control[1] + 1);
    QCOMPARE(rig.slot(1).wake.current(), render[1] + 2);
    rig.play(kBlock); // the control thread has not taken it yet: woken again
    QCOMPARE(rig.slot(1).controlWake.current(), control[1] + 2);
    SlotCommand taken;
    QVERIFY(rig.slot(1).commands.tryPop(taken));
    rig.play(kBlock);
    QCOMPARE(rig.slot(1).controlWake.current(), control[1] + 2);
}

// Audio input: the frames captured beside a callback go to the input ring stamped with the output
// frames they came with; every slot's play position (output frame, ring position) is published; a
// standby that is not read but whose plan reads input is drained in step with the output (so what
// it renders is heard when it was rendered for), and one whose plan does not is left alone.
void TestOutputStage::capturedInputIsStampedAndAStandbyReadingItIsDrained() {
    EngineConfig c = stageConfig();
    c.hotMirror = false;
    StageRig rig(c);
    rig.region->input.reset();
    rig.stage->attachInput(&rig.region->input);
    rig.worker[0].signal = sine(440.0, 0.5);
    rig.worker[1].timeline = 2; // a pending patch: not the active's timeline, not read
    rig.worker[1].signal = dc(0.25f);
    rig.render(0, 4);
    rig.render(1, 4);
    rig.slot(1).readsInput.store(true);

    std::vector<float> captured(2 * kBlock);
    for (int i = 0; i < kBlock; ++i) {
        captured[2 * static_cast<std::size_t>(i)] = static_cast<float>(i) / 100.0f;
        captured[2 * static_cast<std::size_t>(i) + 1] = -static_cast<float>(i) / 100.0f;
    }
    std::vector<float> out(2 * kBlock);
    rig.stage->process(out.data(), kBlock, captured.data());
    QCOMPARE(rig.shared().inputFrames.load(), std::uint64_t{kBlock});
    std::vector<float> left(kBlock), right(kBlock);
    QCOMPARE(rig.region->input.read(0, left.data(), right.data(), kBlock), std::size_t{kBlock});
    QCOMPARE(left[10], 0.10f);
    QCOMPARE(right[63], -0.63f);
    QCOMPARE(rig.slot(1).ring.consumed(), std::uint64_t{kBlock}); // drained, unheard
    QCOMPARE(deviationFrom(out, rig.worker[0].signal, 0), 0.0); // the active alone is heard
    for (int s = 0; s < 2; ++s) {
        std::uint64_t frame = 0, position = 0;
        QVERIFY(rig.slot(s).play.read(frame, position));
        QCOMPARE(frame, std::uint64_t{kBlock});
        QCOMPARE(position, rig.slot(s).ring.consumed());
    }

    // Its plan reads no input any more: it keeps its ring for the commit, as before.
    rig.slot(1).readsInput.store(false);
    rig.stage->process(out.data(), kBlock, captured.data());
    QCOMPARE(rig.slot(1).ring.consumed(), std::uint64_t{kBlock});
    QCOMPARE(rig.region->input.read(kBlock, left.data(), nullptr, kBlock), std::size_t{kBlock}); // stamped 64..127
    // Without a capture (the null driver) nothing is written: the next frames read as silence.
    rig.stage->process(out.data(), kBlock, nullptr);
    QCOMPARE(rig.region->input.read(2 * kBlock, left.data(), nullptr, kBlock), std::size_t{0});
    QCOMPARE(rig.shared().inputFrames.load(), std::uint64_t{2 * kBlock});
}

void TestOutputStage::midiOutPlaysTheActiveSlotsEventsOnly_data() {
    QTest::addColumn<int>("active");
    QTest::addColumn<int>("callbackFrames");
    QTest::addRow("slot 0, 64-frame callbacks") << 0 << kBlock;
    QTest::addRow("slot 1, 100-frame callbacks") << 1 << 100;
    QTest::addRow("slot 0, 3000-frame callbacks") << 0 << 3000; // split into mixing chunks
}

// The hot mirror renders the same sequence in step: only the active's events are heard, each at
// the output frame of its plan frame; the mirror's are drained with its frames, not handed on.
void TestOutputStage::midiOutPlaysTheActiveSlotsEventsOnly() {
    QFETCH(int, active);
    QFETCH(int, callbackFrames);
    StageRig rig;
    const int other = 1 - active;
    rig.shared().active.store(active);
    rig.worker[active] = {1, 0, sine(440.0, 0.5), 24, 60};
    rig.worker[other] = {1, 0, sine(440.0, 0.5), 24, 61};
    rig.slot(other).lease.store(Clean);
    const int calls = 6;
    for (int call = 0; call < calls; ++call) {
        while (rig.worker[active].planFrame < static_cast<std::int64_t>(call + 1) * callbackFrames) {
            rig.render(active);
            rig.render(other);
        }
        rig.play(callbackFrames);
        QCOMPARE(rig.stage->phase(), Phase::Steady);
    }
    const std::int64_t played = std::int64_t{calls} * callbackFrames;
    const HeardMidi h = sortHeard(rig.heard, 24);
    QCOMPARE(h.frames, multiples(24, 0, played));
    QVERIFY(std::all_of(h.notes.begin(), h.notes.end(), [](std::uint8_t n) { return n == 60; }));
    QCOMPARE(h.misplaced, 0);
    QVERIFY(h.ordered);
    QVERIFY(h.allNotesOff.empty());
    QCOMPARE(rig.midiStampErrors, 0);
    // What is left in the rings is the events of the frames not played yet, the mirror's included.
    const auto unplayed = multiples(24, played, rig.worker[active].planFrame).size();
    QCOMPARE(rig.slot(active).midiOut.pending(), unplayed);
    QCOMPARE(rig.slot(other).midiOut.pending(), unplayed);
    QCOMPARE(rig.shared().midiOutDropped.load(), std::uint64_t{0});
}

// A commit's fade: the old slot's notes until the fade starts, then one all-notes-off on every
// channel, then the new slot's notes from the fade's first frame (its transport starts there); none
// lost or doubled at the switch.
void TestOutputStage::midiOutSwitchesAtTheCommitFadesStart() {
    StageRig rig;
    rig.worker[0] = {1, 0, sine(440.0, 0.5), 16, 60};
    rig.worker[1] = {2, 0, sine(660.0, 0.5), 16, 61};
    for (int call = 0; call < 2; ++call) {
        rig.render(0);
        rig.play(kBlock);
    }
    rig.worker[1].planFrame = 2 * kBlock; // the new slot's plan frames are the output's
    const int fade = 4 * kBlock;
    rig.shared().commitRequest.store(commitRequest(1, fade));
    for (int call = 0; call < 8; ++call) {
        rig.render(0);
        rig.render(1);
        rig.play(kBlock);
    }
    QCOMPARE(rig.shared().active.load(), 1);
    const std::int64_t switchAt = 2 * kBlock, end = 10 * kBlock;
    const HeardMidi h = sortHeard(rig.heard, 16);
    QCOMPARE(h.frames, multiples(16, 0, end));
    QCOMPARE(h.misplaced, 0);
    QVERIFY(h.ordered);
    for (std::size_t i = 0; i < h.frames.size(); ++i)
        QCOMPARE(h.notes[i], h.frames[i] < switchAt ? std::uint8_t{60} : std::uint8_t{61});
    QCOMPARE(h.allNotesOff, std::vector<std::int64_t>(16, switchAt));
    QCOMPARE(h.allNotesOffChannels, 0xFFFF);
    QCOMPARE(rig.midiStampErrors, 0);
}

// The active runs dry and the in-step mirror takes over at once: all-notes-off there, and from the
// very frame the mirror's notes; the dry slot's (had it more) are not heard.
void TestOutputStage::midiOutFailoverSendsAllNotesOffOnce() {
    StageRig rig;
    rig.worker[0] = {1, 0, sine(440.0, 0.5), 32, 60};
    rig.worker[1] = {1, 0, sine(440.0, 0.5), 32, 61};
    rig.slot(1).lease.store(Clean);
    for (int call = 0; call < 4; ++call) {
        rig.render(0);
        rig.render(1);
        rig.play(kBlock);
    }
    rig.render(0, 1);
    rig.render(1, 2);
    rig.play(2 * kBlock);
    QCOMPARE(rig.shared().failovers.load(), std::uint64_t{1});
    for (int call = 0; call < 3; ++call) {
        rig.render(1);
        rig.play(kBlock);
    }
    const std::int64_t cut = 4 * kBlock, end = 9 * kBlock;
    const HeardMidi h = sortHeard(rig.heard, 32);
    QCOMPARE(h.frames, multiples(32, 0, end));
    QCOMPARE(h.misplaced, 0);
    QVERIFY(h.ordered);
    for (std::size_t i = 0; i < h.frames.size(); ++i)
        QCOMPARE(h.notes[i], h.frames[i] < cut ? std::uint8_t{60} : std::uint8_t{61});
    QCOMPARE(h.allNotesOff, std::vector<std::int64_t>(16, cut));
    QCOMPARE(rig.slot(0).midiOut.pending(), std::size_t{0});
}

// A commit rolled back in its health window: all-notes-off for the new slot's notes, then the old
// slot's from where it stands.
void TestOutputStage::midiOutRollbackSendsAllNotesOff() {
    StageRig rig;
    rig.worker[0] = {1, 0, sine(440.0, 0.5), 16, 60};
    rig.worker[1] = {2, 0, sine(660.0, 0.5), 16, 61};
    rig.shared().commitRequest.store(commitRequest(1, kBlock));
    for (int call = 0; call < 3; ++call) {
        rig.render(0);
        rig.render(1);
        rig.play(kBlock);
    }
    QCOMPARE(rig.stage->phase(), Phase::Probation);
    rig.render(0);
    rig.render(1, 1, std::numeric_limits<float>::quiet_NaN());
    const std::int64_t resume = rig.front(0); // the old slot's plan frame at output frame 3 blocks
    rig.play(kBlock);
    QCOMPARE(rig.shared().rollbacks.load(), std::uint64_t{1});
    rig.render(0);
    rig.play(kBlock);
    const std::int64_t rollback = 3 * kBlock;
    // Before the rollback both slots' plan frames were the output's; after it the old slot plays on
    // from its resume frame (its ring was not read in probation), and its notes with it.
    const HeardMidi h = sortHeard(rig.heard, 16, [&](std::int64_t frame, std::uint8_t) {
        return frame < rollback ? frame : frame - rollback + resume;
    });
    QCOMPARE(h.misplaced, 0);
    QVERIFY(h.ordered);
    // The fade from the first frame (nothing was played before it: no all-notes-off), so 61 there
    // and in probation, then 60 again.
    std::vector<std::int64_t> expected = multiples(16, 0, rollback);
    for (std::int64_t f : multiples(16, rollback, rollback + 2 * kBlock))
        if ((f - rollback + resume) % 16 == 0)
            expected.push_back(f);
    QCOMPARE(h.frames, expected);
    for (std::size_t i = 0; i < h.frames.size(); ++i)
        QCOMPARE(h.notes[i], h.frames[i] >= rollback ? std::uint8_t{60} : std::uint8_t{61});
    QCOMPARE(h.allNotesOff, std::vector<std::int64_t>(16, rollback));
}

QTEST_APPLESS_MAIN(TestOutputStage)
#include "tst_output_stage.moc"
