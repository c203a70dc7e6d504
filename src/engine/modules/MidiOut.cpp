#include "MidiOut.hpp"

#include <algorithm>

namespace chronus::engine {

namespace {
// No outputs: nothing to say about their channels (the inputs arrive as connected).
void midiOutChannels(std::span<const std::uint8_t>, std::span<const double>, std::span<std::uint8_t>) {}

// Channel `c` of frame `i` of an input that carries `channels` (a mono cable feeds every channel;
// a narrower one gives `otherwise` beyond its channels, as if unconnected there).
float channelAt(const float* input, int channels, int c, int i, float otherwise) noexcept {
    if (!input || channels <= 0)
        return otherwise;
    if (channels == 1)
        return input[i];
    if (c >= channels)
        return otherwise;
    return input[static_cast<std::ptrdiff_t>(i) * channelStride(channels) + c];
}
} // namespace

const ModuleType MidiOut::kType{"midi_out",
                                "MIDI Out",
                                "MIDI",
                                "Notes (pitch, gate, velocity per channel, up to 16) and clock to the MIDI output",
                                kParams,
                                kInputs,
                                {},
                                &createModule<MidiOut>,
                                nullptr,
                                nullptr,
                                Polyphony::Custom,
                                &midiOutChannels,
                                0,
                                true};

void MidiOut::onPrepare(const PrepareInfo&) {
    m_voices = {};
    m_clock = {};
    m_block.clear();
}

void MidiOut::process(const ProcessContext& ctx) noexcept {
    m_block.clear();
    const auto arriving = [&ctx](Input in) { return ctx.inputChannels ? static_cast<int>(ctx.inputChannels[in]) : (ctx.inputs[in] ? 1 : 0); };
    const int gates = std::min(arriving(Gate), MidiOutVoices::kChannels);
    const int pitches = arriving(Pitch), velocities = arriving(Velocity);
    const float* gate = ctx.inputs[Gate];
    const float* pitch = ctx.inputs[Pitch];
    const float* velocity = ctx.inputs[Velocity];
    const bool clock = param(Clock).target() > 0.5f;
    const float* tempo = ctx.inputs[Tempo];
    const float* run = ctx.inputs[Run];
    const int tempoStride = channelStride(arriving(Tempo)), runStride = channelStride(arriving(Run));
    const double bpmTempo = static_cast<double>(param(Bpm).target()) / 60.0;
    const double rate = sampleRate();
    for (int i = 0; i < ctx.frames; ++i) {
        if (clock) // before the notes: a note on a beat comes after that beat's clock
            m_clock.step(tempo ? static_cast<double>(tempo[static_cast<std::ptrdiff_t>(i) * tempoStride]) : bpmTempo,
                         run ? run[static_cast<std::ptrdiff_t>(i) * runStride] : 1.0f, rate, i, m_block);
        else if (m_clock.running())
            m_clock.step(bpmTempo, 0.0f, rate, i, m_block); // switched off: a stop
        for (int c = 0; c < gates; ++c)
            m_voices.step(c, channelAt(pitch, pitches, c, i, 0.0f), channelAt(gate, gates, c, i, 0.0f),
                          channelAt(velocity, velocities, c, i, kDefaultVelocity), i, m_block);
    }
    // A channel whose cable went (the gate narrowed) ends its note rather than leave it hanging.
    for (int c = gates; c < MidiOutVoices::kChannels; ++c)
        if (m_voices.sounding(c) >= 0)
            m_voices.step(c, 0.0f, 0.0f, 0.0f, std::max(0, ctx.frames - 1), m_block);
}

void MidiOut::midiOut(MidiOutBlock& out, int frameBase) noexcept {
    for (int e = 0; e < m_block.count; ++e) {
        const MidiEvent& event = m_block.events[static_cast<std::size_t>(e)];
        out.add(event.status, event.data1, event.data2, event.offset + frameBase);
    }
    out.dropped += m_block.dropped;
    m_block.clear();
    m_block.dropped = 0;
}

} // namespace chronus::engine
