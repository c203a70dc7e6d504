#include "Noise.hpp"

#include <atomic>

namespace chronus::engine {

const ModuleType Noise::kType{"noise", "Noise", "Oscillators", "White or pink noise", kParams, {}, kOutputs,
                              &createModule<Noise>};

namespace {
std::uint32_t nextSeed() {
    static std::atomic<std::uint32_t> counter{0x9E3779B9u};
    return counter.fetch_add(0x6D2B79F5u) | 1u;
}
} // namespace

Noise::Noise(const ModuleType& type) : Module(type), m_seed(nextSeed()) {}

void Noise::onPrepare(const PrepareInfo&) {
    m_state = m_seed;
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
