#include "Lfo.hpp"

#include "../Wavetables.hpp"

namespace chronus::engine {

const ModuleType Lfo::kType{"lfo", "LFO", "Modulation", "Low-frequency oscillator: sine, triangle, saw, square",
                            kParams, {}, kOutputs, &createModule<Lfo>};

void Lfo::onPrepare(const PrepareInfo& info) {
    m_invSampleRate = 1.0 / info.sampleRate;
    m_phase = 0.0;
    m_sine = Wavetables::instance().table(Wavetables::Sine, 0.0);
}

void Lfo::process(const ProcessContext& ctx) noexcept {
    float* out = ctx.outputs[Out];
    const int shape = static_cast<int>(param(Shape).current());
    SmoothedValue& rate = param(Rate);
    SmoothedValue& width = param(Width);
    SmoothedValue& depth = param(Depth);
    SmoothedValue& offset = param(Offset);
    double phase = m_phase;
    for (int i = 0; i < ctx.frames; ++i) {
        const float w = width.next();
        const float p = static_cast<float>(phase);
        float wave;
        switch (shape) {
        case Triangle:
            wave = p < w ? -1.0f + 2.0f * p / w : 1.0f - 2.0f * (p - w) / (1.0f - w);
            break;
        case Saw:
            wave = 2.0f * p - 1.0f;
            break;
        case Square:
            wave = p < w ? 1.0f : -1.0f;
            break;
        default:
            wave = Wavetables::lookup(m_sine, phase);
            break;
        }
        out[i] = offset.next() + depth.next() * wave;
        phase += static_cast<double>(rate.next()) * m_invSampleRate;
        if (phase >= 1.0)
            phase -= 1.0;
    }
    m_phase = phase;
}

} // namespace chronus::engine
