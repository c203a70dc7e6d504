#include "MidiOutVoices.hpp"

#include "modules/Tempo.hpp"

#include <algorithm>
#include <cmath>

namespace chronus::engine {

namespace {
constexpr double kTickTolerance = 1e-6; // ticks (under 1/1000 of a sample): the rounding of millions of increments

int keyOf(float semitones) noexcept {
    if (!(semitones == semitones)) // NaN: middle C rather than an undefined cast
        return 60;
    return static_cast<int>(std::lround(std::clamp(semitones, 0.0f, 127.0f)));
}
} // namespace

void MidiOutVoices::step(int channel, float pitch, float gate, float velocity, int offset, MidiOutBlock& out) noexcept {
    if (channel < 0 || channel >= kChannels)
        return;
    Voice& v = m_voice[static_cast<std::size_t>(channel)];
    const auto status = [channel](std::uint8_t kind) { return static_cast<std::uint8_t>(kind | channel); };
    const bool high = gate > 0.5f;
    const float st = semitones(pitch);
    if (high && !v.gate) {
        const float vel = velocity == velocity ? std::clamp(velocity, 0.0f, 1.0f) : 0.0f;
        v.velocity = static_cast<std::uint8_t>(std::max(1L, std::lround(vel * 127.0f)));
        v.note = keyOf(st);
        out.add(status(0x90), static_cast<std::uint8_t>(v.note), v.velocity, offset);
    } else if (!high && v.gate) {
        if (v.note >= 0)
            out.add(status(0x80), static_cast<std::uint8_t>(v.note), 0, offset);
        v.note = -1;
    } else if (high && v.note >= 0 && std::fabs(st - static_cast<float>(v.note)) > kKeyHysteresis) {
        const int key = keyOf(st);
        if (key != v.note) {
            out.add(status(0x80), static_cast<std::uint8_t>(v.note), 0, offset);
            v.note = key;
            out.add(status(0x90), static_cast<std::uint8_t>(v.note), v.velocity, offset);
        }
    }
    v.gate = high;
}

void MidiOutVoices::allNotesOff(int offset, MidiOutBlock& out) noexcept {
    for (int c = 0; c < kChannels; ++c) {
        Voice& v = m_voice[static_cast<std::size_t>(c)];
        if (v.note >= 0)
            out.add(static_cast<std::uint8_t>(0x80 | c), static_cast<std::uint8_t>(v.note), 0, offset);
        v.note = -1;
        // A gate still high sends no new note-on until it falls and rises again.
    }
}

void MidiClockOut::step(double beatsPerSecond, float run, double sampleRate, int offset, MidiOutBlock& out) noexcept {
    const bool high = run > 0.5f;
    const double rate = tempo::bpmFromTempoCv(beatsPerSecond) / 60.0 * kTicksPerBeat / sampleRate;
    if (high && !m_running) {
        out.add(MidiEvent::kStart, 0, 0, offset);
        m_segmentTicks = 0.0;
        m_segmentSamples = 0;
        m_rate = rate;
        m_next = 0;
    } else if (!high && m_running) {
        out.add(MidiEvent::kStop, 0, 0, offset);
    }
    m_running = high;
    if (!m_running)
        return;
    if (rate != m_rate) { // a new tempo from this sample on
        m_segmentTicks += static_cast<double>(m_segmentSamples) * m_rate;
        m_segmentSamples = 0;
        m_rate = rate;
    }
    const double ticks = m_segmentTicks + static_cast<double>(m_segmentSamples) * m_rate;
    if (ticks >= static_cast<double>(m_next) - kTickTolerance) {
        out.add(MidiEvent::kClock, 0, 0, offset);
        ++m_next;
    }
    ++m_segmentSamples;
}

} // namespace chronus::engine
