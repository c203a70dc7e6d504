#include "MidiCc.hpp"

#include <algorithm>
#include <cmath>

namespace chronus::engine {

const ModuleType MidiCc::kType{"midi_cc",
                               "MIDI CC",
                               "MIDI",
                               "One MIDI controller (knob, fader) as a CV from min to max, smoothed",
                               kParams,
                               {},
                               kOutputs,
                               &createModule<MidiCc>,
                               nullptr,
                               nullptr,
                               Polyphony::Mono,
                               nullptr,
                               true};

void MidiCc::onPrepare(const PrepareInfo&) {
    m_eventCount = 0;
    m_msb = m_lsb = 0;
    m_fine = false;
    m_position = m_current = m_step = 0.0;
    m_remaining = 0;
}

void MidiCc::midi(const MidiEvent& event) noexcept {
    if (event.kind() != 0xB0)
        return;
    if (m_eventCount < kBlockEvents) {
        m_events[static_cast<std::size_t>(m_eventCount++)] = event;
        return;
    }
    // More events in one block than any controller sends: this one counts from the block's start.
    take(event);
    m_current = m_position;
    m_remaining = 0;
}

void MidiCc::take(const MidiEvent& event) noexcept {
    const int channel = static_cast<int>(std::lround(param(Channel).target()));
    if (channel != 0 && channel != event.channel() + 1)
        return;
    const int cc = static_cast<int>(std::lround(param(Cc).target()));
    if (event.data1 == cc) {
        m_msb = event.data2;
        m_lsb = 0; // a new MSB starts a new 14-bit value; its LSB, if any, follows it
    } else if (cc < 32 && event.data1 == cc + 32) {
        m_lsb = event.data2;
        m_fine = true;
    } else {
        return;
    }
    m_position = m_fine ? static_cast<double>(m_msb * 128 + m_lsb) / 16383.0 : static_cast<double>(m_msb) / 127.0;
    retarget();
}

void MidiCc::retarget() noexcept {
    const int frames = static_cast<int>(std::lround(static_cast<double>(param(Smooth).target()) * 0.001 * sampleRate()));
    if (frames <= 0) {
        m_current = m_position;
        m_remaining = 0;
        return;
    }
    m_remaining = frames;
    m_step = (m_position - m_current) / frames;
}

void MidiCc::process(const ProcessContext& ctx) noexcept {
    float* out = ctx.outputs[Value];
    SmoothedValue& lo = param(Min);
    SmoothedValue& hi = param(Max);
    int at = 0, e = 0;
    while (at < ctx.frames) {
        // The events that land on this frame (later ones clamp to the block's last frame).
        for (; e < m_eventCount && std::min<int>(m_events[static_cast<std::size_t>(e)].offset, ctx.frames - 1) <= at; ++e)
            take(m_events[static_cast<std::size_t>(e)]);
        const int until = e < m_eventCount ? std::min<int>(m_events[static_cast<std::size_t>(e)].offset, ctx.frames - 1)
                                           : ctx.frames;
        for (; at < until; ++at) {
            if (m_remaining > 0) {
                m_current += m_step;
                if (--m_remaining == 0)
                    m_current = m_position;
            }
            const float a = lo.next(), b = hi.next();
            out[at] = a + (b - a) * static_cast<float>(m_current);
        }
    }
    m_eventCount = 0;
}

} // namespace chronus::engine
