#pragma once
// A parameter value that ramps linearly, per sample, toward its target (SC's CALCSLOPE idea):
// no zipper noise when a knob moves. Written and read by the thread that renders the module.

namespace chronus::engine {

class SmoothedValue {
public:
    // Control thread (prepare): how many samples a ramp takes.
    void setRampLength(int samples) noexcept { m_rampLength = samples > 0 ? samples : 1; }

    // RT-safe. Jump to the value at once (initial values, discrete params).
    void reset(float value) noexcept {
        m_current = m_target = value;
        m_step = 0.0f;
        m_remaining = 0;
    }

    // RT-safe. Ramp from the current value to `target` over the ramp length.
    void setTarget(float target) noexcept {
        if (target == m_target)
            return;
        m_target = target;
        m_remaining = m_rampLength;
        m_step = (m_target - m_current) / static_cast<float>(m_rampLength);
    }

    // RT-safe. The next sample's value.
    float next() noexcept {
        if (m_remaining > 0) {
            m_current += m_step;
            if (--m_remaining == 0)
                m_current = m_target;
        }
        return m_current;
    }

    // RT-safe. Advance a whole block; returns the value at its end. For values used once per block.
    float skip(int frames) noexcept {
        if (m_remaining > 0) {
            if (frames >= m_remaining) {
                m_current = m_target;
                m_remaining = 0;
            } else {
                m_current += m_step * static_cast<float>(frames);
                m_remaining -= frames;
            }
        }
        return m_current;
    }

    bool isSmoothing() const noexcept { return m_remaining > 0; }
    float current() const noexcept { return m_current; }
    float target() const noexcept { return m_target; }

private:
    float m_current = 0.0f;
    float m_target = 0.0f;
    float m_step = 0.0f;
    int m_remaining = 0;
    int m_rampLength = 1;
};

} // namespace chronus::engine
