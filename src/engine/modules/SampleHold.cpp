#include "SampleHold.hpp"

#include <cmath>

namespace chronus::engine {

const ModuleType SampleHold::kType{
    "sample_hold", "Sample & hold",
    "Modulation",  "Samples `in` (or its own noise) at each trigger and holds it, with glide",
    kParams,       kInputs,
    kOutputs,      &createModule<SampleHold>};

void SampleHold::onPrepare(const PrepareInfo& info) {
    m_samplesPerMs = static_cast<float>(info.sampleRate / 1000.0);
    // The id's hash scrambled (murmur3 finaliser), as the noise module does; never zero.
    std::uint32_t s = instanceSeed();
    s ^= s >> 16;
    s *= 0x85EBCA6Bu;
    s ^= s >> 13;
    s *= 0xC2B2AE35u;
    s ^= s >> 16;
    m_noise = s | 1u;
    m_value = m_target = m_step = 0.0f;
    m_remaining = 0;
    m_trigHigh = false;
    m_pendingTrigger = false;
}

float SampleHold::nextNoise() noexcept {
    std::uint32_t s = m_noise; // xorshift32
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    m_noise = s;
    return static_cast<float>(static_cast<std::int32_t>(s)) * (1.0f / 2147483648.0f);
}

void SampleHold::sample(float value) noexcept {
    m_target = std::isfinite(value) ? value : 0.0f;
    const int samples = static_cast<int>(param(Glide).current() * m_samplesPerMs);
    if (samples <= 1) {
        m_value = m_target;
        m_remaining = 0;
        return;
    }
    m_remaining = samples;
    m_step = (m_target - m_value) / static_cast<float>(samples);
}

void SampleHold::process(const ProcessContext& ctx) noexcept {
    const float* in = ctx.inputs[In];
    const float* trig = ctx.inputs[Trig];
    float* out = ctx.outputs[Out];
    SmoothedValue& level = param(Level);
    param(Glide).skip(ctx.frames); // read at each trigger
    for (int i = 0; i < ctx.frames; ++i) {
        bool fire = false;
        if (m_pendingTrigger) {
            m_pendingTrigger = false;
            fire = true;
        }
        if (trig) {
            const bool high = trig[i] > 0.5f;
            fire = fire || (high && !m_trigHigh);
            m_trigHigh = high;
        }
        if (fire)
            sample(in ? in[i] : nextNoise());
        if (m_remaining > 0) // from the target back, so the line ends on it exactly
            m_value = m_target - m_step * static_cast<float>(--m_remaining);
        out[i] = level.next() * m_value;
    }
}

} // namespace chronus::engine
