#include "Clock.hpp"

#include <cmath>

namespace chronus::engine {

namespace {
constexpr double kOnsetTolerance = 1e-7; // steps: under 1/1000 of a sample at any tempo and rate
} // namespace

const ModuleType Clock::kType{"clock", "Clock", "Sequencing",
                              "Master clock: step, beat and bar gates with swing, and the tempo for synced modules",
                              kParams, kInputs, kOutputs, &createModule<Clock>};

void Clock::onPrepare(const PrepareInfo& info) {
    m_invSampleRate = 1.0 / info.sampleRate;
    m_stepsPerBeat = stepsPerBeat(static_cast<int>(param(Division).current()));
    m_prevReset = 0.0f;
    m_eventReset = false;
    restart();
}

void Clock::restart() noexcept {
    m_beats = 0.0;
    m_next = 0;
    m_gateOff = 0.0;
    m_high = m_beatHigh = m_barHigh = m_resetHigh = false;
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
                const std::int64_t k = m_next++;
                const double onset = onsetOf(k, swing);
                m_gateOff = onset + gateLength * (onsetOf(k + 1, swing) - onset);
                m_high = true;
                m_beatHigh = k % m_stepsPerBeat == 0;
                m_barHigh = k % stepsPerBar == 0;
                m_resetHigh = k == 0;
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
