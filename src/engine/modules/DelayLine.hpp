#pragma once
// Building blocks shared by the delay and the reverb: a circular delay line with interpolated reads
// and a crossfade between two read positions, so that a delay time can change without a click and
// without the pitch sweep of a moving read head.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace chronus::engine {

// A power-of-two circular buffer. allocate() on the control thread; everything else is RT-safe.
// Reads count back from the newest sample written: at(0) is the last write(), at(1) the one before.
class DelayLine {
public:
    // Control thread. Room for at least `maxDelay` samples of history plus the interpolator's reach;
    // cleared.
    void allocate(std::size_t maxDelay) {
        const std::size_t size = sizeFor(maxDelay);
        m_buffer.assign(size, 0.0f);
        m_mask = size - 1;
        m_newest = 0;
    }
    // What allocate(maxDelay) takes, for a module's memory estimate. Any thread.
    static std::size_t bytesFor(std::size_t maxDelay) noexcept { return sizeFor(maxDelay) * sizeof(float); }

    void clear() noexcept {
        std::fill(m_buffer.begin(), m_buffer.end(), 0.0f);
        m_newest = 0;
    }

    void write(float x) noexcept {
        m_newest = (m_newest + 1) & m_mask;
        m_buffer[m_newest] = x;
    }

    float at(std::size_t delay) const noexcept { return m_buffer[(m_newest - delay) & m_mask]; }

    // Cubic Hermite (Catmull-Rom) interpolation at a fractional delay >= 1: exact at whole samples,
    // and its gain never exceeds 1 at any frequency or fraction, so it is safe inside a feedback loop.
    float hermite(double delay) const noexcept {
        const std::size_t i = static_cast<std::size_t>(delay); // delay >= 0: truncation is floor
        const float t = static_cast<float>(delay - static_cast<double>(i));
        const float xm1 = at(i - 1), x0 = at(i), x1 = at(i + 1), x2 = at(i + 2);
        const float c1 = 0.5f * (x1 - xm1);
        const float c2 = xm1 - 2.5f * x0 + 2.0f * x1 - 0.5f * x2;
        const float c3 = 0.5f * (x2 - xm1) + 1.5f * (x0 - x1);
        return ((c3 * t + c2) * t + c1) * t + x0;
    }

    // Linear interpolation at a fractional delay >= 0.
    float linear(double delay) const noexcept {
        const std::size_t i = static_cast<std::size_t>(delay);
        const float t = static_cast<float>(delay - static_cast<double>(i));
        const float x0 = at(i);
        return x0 + t * (at(i + 1) - x0);
    }

private:
    static std::size_t sizeFor(std::size_t maxDelay) noexcept {
        std::size_t size = 16;
        while (size < maxDelay + 4)
            size <<= 1;
        return size;
    }

    std::vector<float> m_buffer;
    std::size_t m_mask = 0;
    std::size_t m_newest = 0;
};

// Two read positions and a linear crossfade between them. When the wanted delay changes, the old
// position keeps playing while the new one fades in; a change that arrives during a fade waits for
// it to end. Both positions read the same signal at different times, so the output never jumps and
// never changes pitch. RT-safe after setFadeLength() (control thread).
class TapCrossfade {
public:
    void setFadeLength(int samples) noexcept { m_step = 1.0f / static_cast<float>(std::max(samples, 1)); }
    void reset(double delay) noexcept {
        m_from = m_to = delay;
        m_fade = 0.0f;
        m_fading = false;
    }

    // Once per sample, before reading: the delay wanted for this sample.
    void advance(double wanted) noexcept {
        if (m_fading) {
            m_fade += m_step;
            if (m_fade >= 1.0f) {
                m_from = m_to;
                m_fade = 0.0f;
                m_fading = false;
            }
        }
        if (!m_fading && wanted != m_from) {
            m_to = wanted;
            m_fading = true;
        }
    }

    // Reads `line` at the current position(s), interpolated.
    float readHermite(const DelayLine& line) const noexcept {
        const float a = line.hermite(m_from);
        return m_fading ? a + m_fade * (line.hermite(m_to) - a) : a;
    }
    float readLinear(const DelayLine& line) const noexcept {
        const float a = line.linear(m_from);
        return m_fading ? a + m_fade * (line.linear(m_to) - a) : a;
    }

private:
    double m_from = 1.0, m_to = 1.0;
    float m_fade = 0.0f, m_step = 1.0f;
    bool m_fading = false;
};

} // namespace chronus::engine
