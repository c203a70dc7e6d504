#include "Noise.hpp"


namespace chronus::engine {

const ModuleType Noise::kType{"noise", "Noise", "Oscillators", "White or pink noise", kParams, {}, kOutputs,
                              &createModule<Noise>};

Noise::Noise(const ModuleType& type) : Module(type) {}

void Noise::onPrepare(const PrepareInfo&) {
    // Scramble the id's hash (a murmur3 finaliser) so similar ids start far apart; never zero.
    std::uint32_t s = instanceSeed();
    s ^= s >> 16;
    s *= 0x85EBCA6Bu;
    s ^= s >> 13;
    s *= 0xC2B2AE35u;
    s ^= s >> 16;
    m_state = s | 1u;
    for (float& b : m_b)
        b = 0.0f;
}

void Noise::process(const ProcessContext& ctx) noexcept {
    float* out = ctx.outputs[Out];
    SmoothedValue& gain = param(Gain);
    const bool pink = param(Color).current() >= 0.5f;
    std::uint32_t s = m_state;
    for (int i = 0; i < ctx.frames; ++i) {
        // xorshift32: cheap, full period, good enough for audio noise.
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        const float white = static_cast<float>(static_cast<std::int32_t>(s)) * (1.0f / 2147483648.0f);
        float v = white;
        if (pink) {
            // Paul Kellet's refined pink filter (-3 dB/octave within 0.05 dB above 9 Hz at 44.1 kHz).
            m_b[0] = 0.99886f * m_b[0] + white * 0.0555179f;
            m_b[1] = 0.99332f * m_b[1] + white * 0.0750759f;
            m_b[2] = 0.96900f * m_b[2] + white * 0.1538520f;
            m_b[3] = 0.86650f * m_b[3] + white * 0.3104856f;
            m_b[4] = 0.55000f * m_b[4] + white * 0.5329522f;
            m_b[5] = -0.7616f * m_b[5] - white * 0.0168980f;
            v = (m_b[0] + m_b[1] + m_b[2] + m_b[3] + m_b[4] + m_b[5] + m_b[6] + white * 0.5362f) * 0.11f;
            m_b[6] = white * 0.115926f;
        }
        out[i] = gain.next() * v;
    }
    m_state = s;
}

} // namespace chronus::engine
