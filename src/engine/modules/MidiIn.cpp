#include "MidiIn.hpp"

#include <algorithm>
#include <cmath>

namespace chronus::engine {

namespace {

void midiInChannels(std::span<const std::uint8_t>, std::span<const double> params, std::span<std::uint8_t> outputs) {
    const auto poly = static_cast<std::uint8_t>(MidiIn::channelsFor(params[MidiIn::Voices], params[MidiIn::Mode]));
    for (std::size_t o = 0; o < outputs.size(); ++o)
        outputs[o] = o <= MidiIn::Aftertouch ? poly : 1;
}

} // namespace

const ModuleType MidiIn::kType{"midi_in",
                               "MIDI In",
                               "MIDI",
                               "Keys from the MIDI input: pitch, gate, velocity per voice (up to 16)",
                               kParams,
                               {},
                               kOutputs,
                               &createModule<MidiIn>,
                               nullptr,
                               nullptr,
                               Polyphony::Custom,
                               &midiInChannels,
                               kMidiChannel};

int MidiIn::channelsFor(double voices, double mode) noexcept {
    if (std::lround(mode) >= Mono)
        return 1;
    return std::clamp(static_cast<int>(std::lround(voices)), 1, VoiceAllocator::kMaxVoices);
}

void MidiIn::onPrepare(const PrepareInfo&) {
    m_voices.reset();
    m_mode = m_priority = -1;
    m_eventCount = 0;
    m_gateLow.fill(0);
    configure();
}

// The mode, voices and priority as the params say now (voices and mode change only with a new
// plan; a priority changed live releases the held keys, as a new mode would).
void MidiIn::configure() noexcept {
    const int mode = static_cast<int>(std::lround(param(Mode).target()));
    const int priority = static_cast<int>(std::lround(param(Priority).target()));
    m_channels = channelsFor(param(Voices).target(), mode);
    m_voices.setBendRange(param(Bend).target());
    if (mode == m_mode && (mode < Mono || priority == m_priority))
        return;
    m_mode = mode;
    m_priority = priority;
    if (mode >= Mono)
        m_voices.setMono(static_cast<MonoPriority>(std::clamp(priority, 0, 2)), mode == Legato);
    else
        m_voices.setPoly(m_channels, static_cast<PolyMode>(mode));
}

void MidiIn::midi(const MidiEvent& event) noexcept {
    if (event.isTransport()) // the clock's (24 a beat): no room taken from the keys
        return;
    if (m_eventCount < kBlockEvents) {
        m_events[static_cast<std::size_t>(m_eventCount++)] = event;
        return;
    }
    // More events in one block than a keyboard sends: this one takes effect from the block's start.
    m_voices.handle(event);
}

void MidiIn::writeFrames(const ProcessContext& ctx, int from, int to) noexcept {
    const int poly = channelStride(m_channels); // what the plan gave pitch, gate, velocity and aftertouch
    float* pitch = ctx.outputs[Pitch];
    float* gate = ctx.outputs[Gate];
    float* velocity = ctx.outputs[Velocity];
    float* aftertouch = ctx.outputs[Aftertouch];
    std::array<float, kMaxChannels> p{}, v{}, a{}, g{};
    for (int c = 0; c < m_channels; ++c) {
        const VoiceAllocator::Voice& voice = m_voices.voice(c);
        p[static_cast<std::size_t>(c)] = m_voices.pitch(c);
        v[static_cast<std::size_t>(c)] = voice.velocity;
        a[static_cast<std::size_t>(c)] = voice.aftertouch;
        g[static_cast<std::size_t>(c)] = voice.gate ? 1.0f : 0.0f;
    }
    for (int i = from; i < to; ++i) {
        float* pf = pitch + static_cast<std::ptrdiff_t>(i) * poly;
        float* gf = gate + static_cast<std::ptrdiff_t>(i) * poly;
        float* vf = velocity + static_cast<std::ptrdiff_t>(i) * poly;
        float* af = aftertouch + static_cast<std::ptrdiff_t>(i) * poly;
        for (int c = 0; c < poly; ++c) { // the padding lanes get zeros from the arrays
            const auto k = static_cast<std::size_t>(c);
            pf[c] = p[k];
            vf[c] = v[k];
            af[c] = a[k];
            if (c < m_channels && m_gateLow[k] > 0) {
                --m_gateLow[k];
                gf[c] = 0.0f;
            } else {
                gf[c] = g[k];
            }
        }
    }
    const float bend = m_voices.bend(), mod = m_voices.mod(), sustain = m_voices.sustain() ? 1.0f : 0.0f;
    std::fill(ctx.outputs[BendOut] + from, ctx.outputs[BendOut] + to, bend);
    std::fill(ctx.outputs[Mod] + from, ctx.outputs[Mod] + to, mod);
    std::fill(ctx.outputs[Sustain] + from, ctx.outputs[Sustain] + to, sustain);
}

void MidiIn::process(const ProcessContext& ctx) noexcept {
    configure();
    if (ctx.outputChannels) // the plan's count, which is ours unless the params moved since it was compiled
        m_channels = std::min<int>(m_channels, ctx.outputChannels[Pitch]);
    int at = 0;
    for (int e = 0; e < m_eventCount; ++e) {
        const MidiEvent& event = m_events[static_cast<std::size_t>(e)];
        const int offset = std::clamp<int>(event.offset, at, ctx.frames - 1);
        writeFrames(ctx, at, offset);
        at = offset;
        m_voices.handle(event);
        for (int c = 0; c < m_channels; ++c)
            if (m_voices.voice(c).retrigger) { // its gate drops for one sample at the event
                m_voices.clearRetrigger(c);
                m_gateLow[static_cast<std::size_t>(c)] = 1;
            }
    }
    m_eventCount = 0;
    writeFrames(ctx, at, ctx.frames);
}

} // namespace chronus::engine
