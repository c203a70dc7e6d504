#include "Clock.hpp"

#include <algorithm>
#include <cmath>

namespace chronus::engine {

namespace {
constexpr double kOnsetTolerance = 1e-7; // steps: under 1/1000 of a sample at any tempo and rate
// Following MIDI, musical time between ticks stops this far (beats) short of the next tick: well
// beyond the onset tolerance at 8 steps a beat, so a step on a tick never fires before the tick.
constexpr double kTickHold = 1e-6;
constexpr int kSixteenthTicks = Clock::kTicksPerBeat / 4; // the song position's unit
} // namespace

const ModuleType Clock::kType{"clock",
                              "Clock",
                              "Sequencing",
                              "Master clock, own or MIDI: step, beat and bar gates with swing, the tempo for synced modules",
                              kParams,
                              kInputs,
                              kOutputs,
                              &createModule<Clock>,
                              nullptr,
                              nullptr,
                              Polyphony::Mono,
                              nullptr,
                              kMidiTransport};

void Clock::onPrepare(const PrepareInfo& info) {
    m_invSampleRate = 1.0 / info.sampleRate;
    m_stepsPerBeat = stepsPerBeat(static_cast<int>(param(Division).current()));
    m_prevReset = 0.0f;
    m_eventReset = false;
    restart();
    m_eventCount = 0;
    m_midiRunning = false;
    m_following = false;
    m_nextTick = 0;
    m_frame = 0;
    m_lastTick = -1;
    m_intervalCount = m_intervalAt = 0;
    m_intervalSum = 0;
}

void Clock::restart() noexcept {
    m_beats = 0.0;
    m_next = 0;
    m_gateOff = 0.0;
    m_high = m_beatHigh = m_barHigh = m_resetHigh = false;
}

void Clock::fire(std::int64_t k, double swing, double gateLength, std::int64_t stepsPerBar) noexcept {
    const double onset = onsetOf(k, swing);
    m_next = k + 1;
    m_gateOff = onset + gateLength * (onsetOf(k + 1, swing) - onset);
    m_high = true;
    m_beatHigh = k % m_stepsPerBeat == 0;
    m_barHigh = k % stepsPerBar == 0;
    m_resetHigh = k == 0;
}

void Clock::midi(const MidiEvent& event) noexcept {
    if (!event.isTransport())
        return;
    if (m_eventCount < kBlockEvents) {
        m_events[static_cast<std::size_t>(m_eventCount++)] = event;
        return;
    }
    // More than a block holds (a block of thousands of frames): this one at the block's start.
    applyMidi(event, m_stepsPerBeat, m_frame, m_following);
}

// Musical time where the next tick lands, just short of it, and the first step from there next.
void Clock::seekMidi(double spb) noexcept {
    const double at = static_cast<double>(m_nextTick) / kTicksPerBeat;
    m_beats = at - kTickHold;
    const double swing = param(Swing).current();
    auto k = static_cast<std::int64_t>(std::ceil(at * spb - kOnsetTolerance));
    if (k > 0 && ((k - 1) & 1) && onsetOf(k - 1, swing) >= at * spb - kOnsetTolerance)
        --k; // a swung step after the position
    m_next = k;
    m_high = m_beatHigh = m_barHigh = m_resetHigh = false;
}

// `at`: the event's frame since prepare. `follow`: the music follows it; else (source internal)
// only the transport and the tempo are kept, for a switch to midi in the middle of a song.
void Clock::applyMidi(const MidiEvent& e, double spb, std::int64_t at, bool follow) noexcept {
    switch (e.status) {
    case MidiEvent::kStart: m_nextTick = 0; [[fallthrough]];
    case MidiEvent::kContinue:
        m_midiRunning = true;
        if (follow)
            seekMidi(spb);
        break;
    case MidiEvent::kStop: m_midiRunning = false; break;
    case MidiEvent::kSongPosition:
        m_nextTick = std::int64_t{e.data1 | (e.data2 << 7)} * kSixteenthTicks;
        if (follow)
            seekMidi(spb);
        break;
    case MidiEvent::kSongTicks:
        m_nextTick += std::min<int>(e.data1, kSixteenthTicks - 1);
        if (follow)
            seekMidi(spb);
        break;
    case MidiEvent::kClock: {
        // Slower than the slowest tempo (with room for jitter): a clock that paused, not a tempo.
        const double longest = 1.5 * sampleRate() * tempo::secondsPerBeat(tempo::kMinBpm) / kTicksPerBeat;
        const std::int64_t since = m_lastTick >= 0 ? at - m_lastTick : -1;
        if (static_cast<double>(since) > longest) {
            m_intervalCount = m_intervalAt = 0;
            m_intervalSum = 0;
        } else if (since > 0) {
            if (m_intervalCount == kTicksPerBeat)
                m_intervalSum -= m_intervals[static_cast<std::size_t>(m_intervalAt)];
            else
                ++m_intervalCount;
            m_intervals[static_cast<std::size_t>(m_intervalAt)] = since;
            m_intervalSum += since;
            m_intervalAt = (m_intervalAt + 1) % kTicksPerBeat;
        }
        m_lastTick = at;
        if (m_midiRunning) {
            if (follow)
                m_beats = static_cast<double>(m_nextTick) / kTicksPerBeat;
            ++m_nextTick;
        }
        break;
    }
    default: break;
    }
}

void Clock::processMidi(const ProcessContext& ctx, double spb, std::int64_t stepsPerBar) noexcept {
    float* stepOut = ctx.outputs[Step];
    float* beatOut = ctx.outputs[Beat];
    float* barOut = ctx.outputs[Bar];
    float* tempoOut = ctx.outputs[Tempo];
    float* resetOut = ctx.outputs[ResetOut];
    SmoothedValue& bpm = param(Bpm);
    SmoothedValue& swingParam = param(Swing);
    SmoothedValue& gateParam = param(Gate);
    const bool running = param(Run).current() >= 0.5f;
    const float* resetIn = ctx.inputs[Reset];
    if (resetIn) // not followed here, but a switch back to internal must not see an old level as an edge
        m_prevReset = resetIn[ctx.frames - 1];
    m_eventReset = false;

    int e = 0;
    for (int i = 0; i < ctx.frames; ++i) {
        const double fallback = tempo::clampBpm(bpm.next());
        const double swing = swingParam.next();
        const double gateLength = gateParam.next();
        for (; e < m_eventCount && std::min<int>(m_events[static_cast<std::size_t>(e)].offset, ctx.frames - 1) <= i; ++e)
            applyMidi(m_events[static_cast<std::size_t>(e)], spb, m_frame + i, true);
        const double beatsPerSecond =
            m_intervalCount > 0
                ? tempo::clampBpm(60.0 * sampleRate() * m_intervalCount / (kTicksPerBeat * static_cast<double>(m_intervalSum))) / 60.0
                : fallback / 60.0;

        if (running && m_midiRunning) {
            const double pos = m_beats * spb;
            if (pos >= onsetOf(m_next, swing) - kOnsetTolerance) {
                // The latest step reached: after `run` was off, the ones passed meanwhile are skipped.
                auto k = std::max(m_next, static_cast<std::int64_t>(std::floor(pos + kOnsetTolerance)));
                if ((k & 1) && k > m_next && onsetOf(k, swing) > pos + kOnsetTolerance)
                    --k;
                fire(k, swing, gateLength, stepsPerBar);
            } else if (m_high && pos >= m_gateOff) {
                m_high = m_beatHigh = m_barHigh = m_resetHigh = false;
            }
            if (m_intervalCount > 0)
                m_beats = std::min(m_beats + beatsPerSecond * m_invSampleRate,
                                   static_cast<double>(m_nextTick) / kTicksPerBeat - kTickHold);
        } else {
            m_high = m_beatHigh = m_barHigh = m_resetHigh = false;
        }
        stepOut[i] = m_high ? 1.0f : 0.0f;
        beatOut[i] = m_beatHigh ? 1.0f : 0.0f;
        barOut[i] = m_barHigh ? 1.0f : 0.0f;
        resetOut[i] = m_resetHigh ? 1.0f : 0.0f;
        tempoOut[i] = static_cast<float>(beatsPerSecond);
    }
    for (; e < m_eventCount; ++e) // none: the last frame took the rest; kept for a zero-frame block
        applyMidi(m_events[static_cast<std::size_t>(e)], spb, m_frame, true);
    m_eventCount = 0;
    m_frame += ctx.frames;
}

void Clock::process(const ProcessContext& ctx) noexcept {
    const float* resetIn = ctx.inputs[Reset];
    float* stepOut = ctx.outputs[Step];
    float* beatOut = ctx.outputs[Beat];
    float* barOut = ctx.outputs[Bar];
    float* tempoOut = ctx.outputs[Tempo];
    float* resetOut = ctx.outputs[ResetOut];
    SmoothedValue& bpm = param(Bpm);
    SmoothedValue& swingParam = param(Swing);
    SmoothedValue& gateParam = param(Gate);
    const bool running = param(Run).current() >= 0.5f;
    const int meter = static_cast<int>(param(Meter).current());

    // A new division keeps musical time: the next step is the first one after now.
    if (const int spb = stepsPerBeat(static_cast<int>(param(Division).current())); spb != m_stepsPerBeat) {
        m_stepsPerBeat = spb;
        m_next = static_cast<std::int64_t>(std::floor(m_beats * spb)) + 1;
        m_high = m_beatHigh = m_barHigh = m_resetHigh = false;
    }
    const double spb = m_stepsPerBeat;
    const std::int64_t stepsPerBar = static_cast<std::int64_t>(m_stepsPerBeat) * meter;
    const bool follow = param(Source).current() >= 0.5f;
    if (follow && !m_following)
        seekMidi(spb); // switched to midi: the music goes on from where the MIDI song is
    m_following = follow;
    if (follow) {
        processMidi(ctx, spb, stepsPerBar);
        return;
    }
    for (int e = 0; e < m_eventCount; ++e) { // not followed: only kept
        const MidiEvent& event = m_events[static_cast<std::size_t>(e)];
        applyMidi(event, spb, m_frame + std::min<int>(event.offset, ctx.frames - 1), false);
    }
    m_eventCount = 0;
    m_frame += ctx.frames;

    for (int i = 0; i < ctx.frames; ++i) {
        const double tempoNow = tempo::clampBpm(bpm.next());
        const double swing = swingParam.next();
        const double gateLength = gateParam.next();
        bool reset = m_eventReset;
        m_eventReset = false;
        if (resetIn) {
            reset |= resetIn[i] > 0.5f && m_prevReset <= 0.5f;
            m_prevReset = resetIn[i];
        }
        if (reset)
            restart();

        if (running) {
            const double pos = m_beats * spb; // in steps
            // The tolerance absorbs the rounding of a sum of millions of increments: an onset whose
            // exact time is a whole sample fires on that sample, not one later.
            if (pos >= onsetOf(m_next, swing) - kOnsetTolerance) {
                fire(m_next, swing, gateLength, stepsPerBar);
            } else if (m_high && pos >= m_gateOff) {
                m_high = m_beatHigh = m_barHigh = m_resetHigh = false;
            }
            m_beats += tempoNow / 60.0 * m_invSampleRate;
        } else {
            m_high = m_beatHigh = m_barHigh = m_resetHigh = false;
        }
        stepOut[i] = m_high ? 1.0f : 0.0f;
        beatOut[i] = m_beatHigh ? 1.0f : 0.0f;
        barOut[i] = m_barHigh ? 1.0f : 0.0f;
        resetOut[i] = m_resetHigh ? 1.0f : 0.0f;
        tempoOut[i] = static_cast<float>(tempoNow / 60.0);
    }
}

} // namespace chronus::engine
