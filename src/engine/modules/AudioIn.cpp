#include "AudioIn.hpp"

#include <algorithm>

namespace chronus::engine {

const ModuleType AudioIn::kType{"audio_in", "Audio In", "Inputs",
                                "The audio device's capture channels (left, right), heard a fixed latency later",
                                kParams, {}, kOutputs, &createModule<AudioIn>};

void AudioIn::process(const ProcessContext& ctx) noexcept {
    float* left = ctx.outputs[Left];
    float* right = ctx.outputs[Right];
    const auto frames = static_cast<std::size_t>(ctx.frames);
    const InputCursor* cursor = m_cursor;
    if (cursor && cursor->live && cursor->ring) {
        if (cursor->block != m_block) {
            m_block = cursor->block;
            m_done = 0;
        }
        cursor->ring->read(cursor->frame + m_done, left, right, frames);
        m_done += ctx.frames;
    } else {
        std::fill_n(left, frames, 0.0f);
        std::fill_n(right, frames, 0.0f);
    }
    SmoothedValue& gain = param(Gain);
    for (std::size_t i = 0; i < frames; ++i) {
        const float g = gain.next();
        left[i] *= g;
        right[i] *= g;
    }
}

} // namespace chronus::engine
