#pragma once
// Shared machinery of the band-limited oscillators (sine, saw, square, triangle): double-precision
// phase, exponential FM (one unit per octave), per-sample freq and gain ramps, table selection.

#include "../Module.hpp"
#include "../Wavetables.hpp"

#include <algorithm>
#include <cmath>

namespace chronus::engine {

class Oscillator : public Module {
public:
    enum Param : ParamIndex { Freq, Gain, CommonParamCount };
    enum Input : PortIndex { Fm, InputCount };
    enum Output : PortIndex { Out, OutputCount };

    // `frequency` is what the predecessor's clients send (/mod/osc1/frequency).
    static constexpr ParamSpec kFreq{"freq", "Frequency", "Hz", 0.0f, 20000.0f, 440.0f, ParamLog, "frequency"};
    static constexpr ParamSpec kGain{"gain", "Gain", "", 0.0f, 1.0f, 0.5f};
    static constexpr PortSpec kInputs[] = {{"fm", "FM (1/oct)", Signal::Cv}};
    static constexpr PortSpec kOutputs[] = {{"out", "Out", Signal::Audio}};

    explicit Oscillator(const ModuleType& type) : Module(type) {}

protected:
    void onPrepare(const PrepareInfo& info) override {
        m_tables = &Wavetables::instance();
        m_invSampleRate = 1.0 / info.sampleRate;
        m_phase = 0.0;
    }

    // Runs the phase loop; `wave(table, phase, inc)` returns one sample of the waveform.
    template <class Wave>
    void run(const ProcessContext& ctx, Wavetables::Shape shape, Wave&& wave) noexcept {
        const float* fm = ctx.inputs[Fm];
        float* out = ctx.outputs[Out];
        SmoothedValue& freq = param(Freq);
        SmoothedValue& gain = param(Gain);
        double phase = m_phase;
        if (!fm && !freq.isSmoothing()) {
            const double inc = clampInc(static_cast<double>(freq.current()) * m_invSampleRate);
            const float* table = m_tables->table(shape, inc);
            if (!gain.isSmoothing()) {
                const float g = gain.current();
                for (int i = 0; i < ctx.frames; ++i) {
                    out[i] = g * wave(table, phase, inc);
                    phase += inc;
                    if (phase >= 1.0)
                        phase -= 1.0;
                }
            } else {
                for (int i = 0; i < ctx.frames; ++i) {
                    out[i] = gain.next() * wave(table, phase, inc);
                    phase += inc;
                    if (phase >= 1.0)
                        phase -= 1.0;
                }
            }
        } else {
            for (int i = 0; i < ctx.frames; ++i) {
                double f = static_cast<double>(freq.next());
                if (fm)
                    f *= static_cast<double>(std::exp2(std::clamp(fm[i], -12.0f, 12.0f)));
                const double inc = clampInc(f * m_invSampleRate);
                out[i] = gain.next() * wave(m_tables->table(shape, inc), phase, inc);
                phase += inc;
                if (phase >= 1.0)
                    phase -= 1.0;
            }
        }
        m_phase = phase;
    }

    // Runs an oscillator whose waveform is the table itself (lookup at the phase). Constant
    // frequency and gain without FM, the usual case, is one call to Wavetables::play; anything
    // else takes the general per-sample loop.
    void runTable(const ProcessContext& ctx, Wavetables::Shape shape) noexcept {
        SmoothedValue& freq = param(Freq);
        SmoothedValue& gain = param(Gain);
        if (ctx.inputs[Fm] || freq.isSmoothing() || gain.isSmoothing()) {
            run(ctx, shape, [](const float* table, double phase, double) noexcept {
                return Wavetables::lookup(table, phase);
            });
            return;
        }
        const double inc = clampInc(static_cast<double>(freq.current()) * m_invSampleRate);
        m_phase = Wavetables::play(m_tables->table(shape, inc), m_phase, inc, gain.current(), ctx.outputs[Out],
                                   ctx.frames);
    }

    // NaN (from an FM input carrying NaN) plays as 0 Hz rather than reading outside the table.
    static double clampInc(double inc) noexcept { return inc > 0.0 ? std::min(inc, 0.49) : 0.0; }

    const Wavetables* m_tables = nullptr;
    double m_invSampleRate = 1.0 / 48000.0;
    double m_phase = 0.0; // cycles in [0, 1)
};

} // namespace chronus::engine
