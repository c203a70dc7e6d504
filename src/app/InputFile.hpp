#pragma once
// The input of an offline render (`chronus render --input FILE.wav`): a mono or stereo WAV read
// with libsndfile and fed to the engine's audio_in by the frame of the rendering, a bounded window
// ahead of it (SlotEngine::feedOfflineInput), so a long file never sits in memory whole. Chronus
// does not resample (libsamplerate is not one of its dependencies): the render runs at the file's
// rate. Control thread, then the offline thread; one at a time.

#include "engine/Status.hpp"

#include <cstdint>
#include <string>
#include <vector>

struct sf_private_tag;

namespace chronus::engine {
class SlotEngine;
}

namespace chronus::app {

class InputFile {
public:
    InputFile() = default;
    ~InputFile();
    InputFile(const InputFile&) = delete;
    InputFile& operator=(const InputFile&) = delete;

    // A regular file holding a WAV (RIFF, WAVE_FORMAT_EXTENSIBLE or RF64) of one or two channels
    // and at least one frame, at a rate the engine runs at; anything else is refused with the reason.
    engine::Status open(const std::string& path);
    int sampleRate() const noexcept { return m_sampleRate; }
    int channels() const noexcept { return m_channels; }
    std::uint64_t frames() const noexcept { return m_frames; }

    // Feeds the frames from where the last call stopped up to `end` (exclusive; the file's end at
    // most) to `engine`'s offline input, a mono file to both channels. Errors: a read that fails.
    engine::Status feedUpTo(engine::SlotEngine& engine, std::uint64_t end);
    std::uint64_t fed() const noexcept { return m_fed; }

private:
    sf_private_tag* m_file = nullptr;
    std::string m_path;
    int m_sampleRate = 0;
    int m_channels = 0;
    std::uint64_t m_frames = 0;
    std::uint64_t m_fed = 0;
    std::vector<float> m_read, m_stereo; // one chunk, allocated at open
};

} // namespace chronus::app
