#pragma once
// The coupling capacitor after an analog stage: a one-pole high-pass y = x - x' + R y' with its
// corner far below the audio band. Modules whose output carries a DC offset of their own (a
// saturator on an asymmetric waveform, a drum's sine body starting at phase 0) end with one, so a
// mix of them does not drift off zero. RT-safe except prepare().

#include "../Denormals.hpp"

#include <cmath>
#include <numbers>

namespace chronus::engine {

class DcBlocker {
public:
    // 5 Hz: at the lowest bass note in use (40 Hz) the level drops by 0.07 dB.
    static constexpr double kDefaultCornerHz = 5.0;

    // Control thread (prepare).
    void prepare(double sampleRate, double cornerHz = kDefaultCornerHz) noexcept {
        m_pole = static_cast<float>(std::exp(-2.0 * std::numbers::pi * cornerHz / sampleRate));
        reset();
    }
    void reset() noexcept { m_in = m_out = 0.0f; }

    float process(float x) noexcept {
        const float y = x - m_in + m_pole * m_out;
        m_in = x;
        m_out = y;
        return y;
    }

    // After a block: no denormals, no NaN kept forever.
    void flush() noexcept {
        m_in = zapGremlins(m_in);
        m_out = zapGremlins(m_out);
    }

    // Its input has been zero for a sample and what it still puts out is below `level`: reset()
    // lets a module that outputs exact zeros when idle stay that way.
    bool quietBelow(float level) const noexcept { return m_in == 0.0f && std::fabs(m_out) < level; }

private:
    float m_pole = 0.0f;
    float m_in = 0.0f, m_out = 0.0f;
};

} // namespace chronus::engine
