#include "Lfo.hpp"

#include "../Wavetables.hpp"

namespace chronus::engine {

const ModuleType Lfo::kType{"lfo", "LFO", "Modulation",
                            "Low-frequency oscillator: sine, triangle, saw, square, s&h; free or tempo-synced",
                            kParams, kInputs, kOutputs, &createModule<Lfo>};

void Lfo::onPrepare(const PrepareInfo& info) {
    m_invSampleRate = 1.0 / info.sampleRate;
    m_phase = 0.0;
    m_sine = Wavetables::instance().table(Wavetables::Sine, 0.0);
    // The id's hash scrambled (murmur3 finaliser), as the noise module does; never zero.
    std::uint32_t s = instanceSeed();
    s ^= s >> 16;
    s *= 0x85EBCA6Bu;
    s ^= s >> 13;
    s *= 0xC2B2AE35u;
    s ^= s >> 16;
    m_noise = s | 1u;
    m_held = nextNoise();
    m_resetHigh = false;
    m_pendingReset = false;
}

float Lfo::nextNoise() noexcept {
    std::uint32_t s = m_noise; // xorshift32
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    m_noise = s;
    return static_cast<float>(static_cast<std::int32_t>(s)) * (1.0f / 2147483648.0f);
}

void Lfo::process(const ProcessContext& ctx) noexcept {
    float* out = ctx.outputs[Out];
    const float* tempoIn = ctx.inputs[Tempo];
    const float* resetIn = ctx.inputs[Reset];
    const int shape = static_cast<int>(param(Shape).current());
    // Cycles per beat when synced (0 = free running at `rate`).
    const double beats = tempo::divisionBeats(static_cast<int>(param(Sync).current()));
    const double cyclesPerBeatSecond = beats > 0.0 ? 1.0 / (60.0 * beats) : 0.0; // Hz per BPM
    SmoothedValue& rate = param(Rate);
    SmoothedValue& width = param(Width);
    SmoothedValue& depth = param(Depth);
    SmoothedValue& offset = param(Offset);
    SmoothedValue& bpm = param(Bpm);
    double phase = m_phase;
    for (int i = 0; i < ctx.frames; ++i) {
        bool reset = m_pendingReset;
        m_pendingReset = false;
        if (resetIn) {
            const bool high = resetIn[i] > 0.5f;
            reset = reset || (high && !m_resetHigh);
            m_resetHigh = high;
        }
        if (reset) {
            phase = 0.0;
            m_held = nextNoise();
        }
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
        case SampleHold:
            wave = m_held;
            break;
        default:
            wave = Wavetables::lookup(m_sine, phase);
            break;
        }
        out[i] = offset.next() + depth.next() * wave;
        const float freeRate = rate.next();
        const float tempoBpm = bpm.next();
        double hz = static_cast<double>(freeRate);
        if (cyclesPerBeatSecond > 0.0)
            hz = (tempoIn ? tempo::bpmFromTempoCv(static_cast<double>(tempoIn[i]))
                          : tempo::clampBpm(static_cast<double>(tempoBpm))) *
                 cyclesPerBeatSecond;
        phase += hz * m_invSampleRate;
        if (phase >= 1.0) {
            phase -= 1.0;
            m_held = nextNoise();
        }
    }
    m_phase = phase;
}

} // namespace chronus::engine
