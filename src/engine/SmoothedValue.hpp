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
        m_hold = 0;
    }

    // RT-safe. Ramp from the current value to `target` over the ramp length.
    void setTarget(float target) noexcept {
        m_hold = 0; // the newest change wins over one still waiting for its sample
        start(target);
    }

    // RT-safe. The same, from the `frame`th next() on (0: at once): a change that belongs to a
    // sample inside the block about to be rendered (a MIDI-mapped controller) starts there, not at
    // the block's start. Until then the value goes on as it was, and isSmoothing() is true. One
    // change waits at a time: a later one replaces it. target() reads the waiting one, so a module
    // that reads only target() (once per block) still gets it, from the block's start.
    void setTargetAt(float target, int frame) noexcept {
        if (frame <= 0) {
            setTarget(target);
            return;
        }
        m_pending = target;
        m_hold = frame + 1;
    }

    // RT-safe. The next sample's value.
    float next() noexcept {
        if ((m_remaining | m_hold) != 0) {
            if (m_hold > 0 && --m_hold == 0)
                start(m_pending);
            if (m_remaining > 0) {
                m_current += m_step;
                if (--m_remaining == 0)
                    m_current = m_target;
            }
        }
        return m_current;
    }

    // RT-safe. Advance a whole block; returns the value at its end. For values used once per block.
    float skip(int frames) noexcept {
        if (m_hold > 0) {
            if (frames < m_hold) {
                m_hold -= frames;
                return advance(frames);
            }
            advance(m_hold - 1);
            frames -= m_hold - 1;
            m_hold = 0;
            start(m_pending);
        }
        return advance(frames);
    }

    bool isSmoothing() const noexcept { return (m_remaining | m_hold) != 0; }
    float current() const noexcept { return m_current; }
    float target() const noexcept { return m_hold > 0 ? m_pending : m_target; }

private:
    void start(float target) noexcept {
        if (target == m_target)
            return;
        m_target = target;
        m_remaining = m_rampLength;
        m_step = (m_target - m_current) / static_cast<float>(m_rampLength);
    }

    float advance(int frames) noexcept {
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

    float m_current = 0.0f;
    float m_target = 0.0f;
    float m_step = 0.0f;
    int m_remaining = 0;
    int m_rampLength = 1;
    float m_pending = 0.0f; // the target waiting for its sample (setTargetAt)
    int m_hold = 0;         // next() calls until it starts, counting the one it starts in; 0: none
};

} // namespace chronus::engine
