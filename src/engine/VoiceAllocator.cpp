#include "VoiceAllocator.hpp"

#include <algorithm>

namespace chronus::engine {

void VoiceAllocator::reset() noexcept {
    releaseAll();
    for (Voice& v : m_voice)
        v = Voice{};
    m_age.fill(0);
    m_clock = 0;
    m_last = -1;
    m_bend = 0.0f;
    m_mod = 0.0f;
    m_sustain = false;
}

void VoiceAllocator::setPoly(int voices, PolyMode mode) noexcept {
    m_mono = false;
    m_voices = std::clamp(voices, 1, kMaxVoices);
    m_mode = mode;
    m_last = -1;
    releaseAll();
}

void VoiceAllocator::setMono(MonoPriority priority, bool legato) noexcept {
    m_mono = true;
    m_priority = priority;
    m_legato = legato;
    releaseAll();
}

float VoiceAllocator::pitch(int channel) const noexcept {
    const int note = m_voice[static_cast<std::size_t>(channel)].note;
    return (static_cast<float>(note < 0 ? 60 : note) - 60.0f + m_bend * m_bendRange) / 12.0f;
}

void VoiceAllocator::handle(const MidiEvent& e) noexcept {
    switch (e.kind()) {
    case 0x90:
        if (e.data2 > 0) {
            noteOn(e.data1, e.data2);
            break;
        }
        [[fallthrough]]; // note-on with velocity 0 is a note-off
    case 0x80: noteOff(e.data1); break;
    case 0xA0: // poly aftertouch: the voices playing that key
        for (int c = 0; c < voices(); ++c)
            if (m_voice[static_cast<std::size_t>(c)].gate && m_voice[static_cast<std::size_t>(c)].note == e.data1)
                m_voice[static_cast<std::size_t>(c)].aftertouch = static_cast<float>(e.data2) / 127.0f;
        break;
    case 0xD0: // channel aftertouch: every voice
        for (Voice& v : m_voice)
            v.aftertouch = static_cast<float>(e.data1) / 127.0f;
        break;
    case 0xE0: { // 14 bits, 8192 is the centre; full up is 16383
        const int value = e.data1 | (e.data2 << 7);
        m_bend = value >= 8192 ? static_cast<float>(value - 8192) / 8191.0f : static_cast<float>(value - 8192) / 8192.0f;
        break;
    }
    case 0xB0:
        switch (e.data1) {
        case 1: m_mod = static_cast<float>(e.data2) / 127.0f; break;
        case 64: {
            const bool down = e.data2 >= 64;
            if (m_sustain && !down) {
                m_sustain = false;
                sustainUp();
            }
            m_sustain = down;
            break;
        }
        case 120: // all sound off
        case 123: // all notes off
            releaseAll();
            break;
        case 121: // reset all controllers
            m_bend = 0.0f;
            m_mod = 0.0f;
            for (Voice& v : m_voice)
                v.aftertouch = 0.0f;
            if (m_sustain) {
                m_sustain = false;
                sustainUp();
            }
            break;
        default: break;
        }
        break;
    default: break; // program change: nothing to do here
    }
}

void VoiceAllocator::noteOn(int note, int velocity) noexcept {
    if (m_mono) {
        // The key goes to the end of the held list (pressed again: moved there).
        const auto end = m_held.begin() + m_heldCount;
        const auto at = std::find(m_held.begin(), end, static_cast<std::uint8_t>(note));
        if (at != end) {
            std::copy(at + 1, end, at);
            --m_heldCount;
        }
        m_held[static_cast<std::size_t>(m_heldCount++)] = static_cast<std::uint8_t>(note);
        m_heldVelocity[static_cast<std::size_t>(note)] = static_cast<std::uint8_t>(velocity);
        m_pedalHeld[static_cast<std::size_t>(note)] = false;
        m_voice[0].aftertouch = 0.0f;
        monoUpdate(true);
        return;
    }
    const int c = pickChannel(note);
    Voice& v = m_voice[static_cast<std::size_t>(c)];
    v.retrigger = v.gate; // taken over while sounding: start its envelope again
    v.note = note;
    v.gate = true;
    v.sustained = false;
    v.velocity = static_cast<float>(velocity) / 127.0f;
    v.aftertouch = 0.0f;
    m_age[static_cast<std::size_t>(c)] = ++m_clock;
    m_last = c;
}

void VoiceAllocator::noteOff(int note) noexcept {
    if (m_mono) {
        const auto end = m_held.begin() + m_heldCount;
        const auto at = std::find(m_held.begin(), end, static_cast<std::uint8_t>(note));
        if (at == end || m_pedalHeld[static_cast<std::size_t>(note)])
            return; // not held: ignored
        if (m_sustain) {
            m_pedalHeld[static_cast<std::size_t>(note)] = true; // sounds on until the pedal comes up
            return;
        }
        std::copy(at + 1, end, at);
        --m_heldCount;
        monoUpdate(false);
        return;
    }
    for (int c = 0; c < m_voices; ++c) {
        Voice& v = m_voice[static_cast<std::size_t>(c)];
        if (!v.gate || v.sustained || v.note != note)
            continue;
        if (m_sustain)
            v.sustained = true;
        else
            v.gate = false;
    }
}

void VoiceAllocator::releaseAll() noexcept {
    for (Voice& v : m_voice) {
        v.gate = false;
        v.sustained = false;
        v.retrigger = false;
    }
    m_heldCount = 0;
    m_pedalHeld.fill(false);
}

void VoiceAllocator::sustainUp() noexcept {
    if (m_mono) {
        int kept = 0;
        for (int i = 0; i < m_heldCount; ++i)
            if (!m_pedalHeld[m_held[static_cast<std::size_t>(i)]])
                m_held[static_cast<std::size_t>(kept++)] = m_held[static_cast<std::size_t>(i)];
        m_heldCount = kept;
        m_pedalHeld.fill(false);
        monoUpdate(false);
        return;
    }
    for (Voice& v : m_voice)
        if (v.sustained) {
            v.sustained = false;
            v.gate = false;
        }
}

int VoiceAllocator::pickChannel(int note) noexcept {
    const int n = m_voices;
    const auto free = [&](int c) { return !m_voice[static_cast<std::size_t>(c)].gate; };
    switch (m_mode) {
    case PolyMode::Reuse:
        for (int c = 0; c < n; ++c)
            if (m_voice[static_cast<std::size_t>(c)].note == note)
                return c;
        [[fallthrough]];
    case PolyMode::Rotate:
        for (int i = 1; i <= n; ++i) {
            const int c = (m_last + i + n) % n;
            if (free(c))
                return c;
        }
        return (m_last + 1 + n) % n;
    case PolyMode::Reset: {
        for (int c = 0; c < n; ++c)
            if (free(c))
                return c;
        int oldest = 0;
        for (int c = 1; c < n; ++c)
            if (m_age[static_cast<std::size_t>(c)] < m_age[static_cast<std::size_t>(oldest)])
                oldest = c;
        return oldest;
    }
    }
    return 0;
}

int VoiceAllocator::monoSounding() const noexcept {
    if (m_heldCount == 0)
        return -1;
    const auto begin = m_held.begin(), end = m_held.begin() + m_heldCount;
    switch (m_priority) {
    case MonoPriority::Last: return m_held[static_cast<std::size_t>(m_heldCount - 1)];
    case MonoPriority::Low: return *std::min_element(begin, end);
    case MonoPriority::High: return *std::max_element(begin, end);
    }
    return -1;
}

// `pressed`: a key was just pressed (it is the last held one).
void VoiceAllocator::monoUpdate(bool pressed) noexcept {
    Voice& v = m_voice[0];
    const int key = monoSounding();
    if (key < 0) {
        v.gate = false;
        return;
    }
    const bool pressedSounds = pressed && key == m_held[static_cast<std::size_t>(m_heldCount - 1)];
    if (v.gate && !m_legato && (key != v.note || pressedSounds))
        v.retrigger = true;
    if (pressedSounds || !v.gate)
        v.velocity = static_cast<float>(m_heldVelocity[static_cast<std::size_t>(key)]) / 127.0f;
    v.note = key;
    v.gate = true;
}

} // namespace chronus::engine
