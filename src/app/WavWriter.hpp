#pragma once
// Streams stereo float audio into a WAV file with libsndfile. Control or writer thread only.

#include "engine/Status.hpp"

#include <string>

struct sf_private_tag;

namespace chronus::app {

enum class SampleFormat { Pcm16, Pcm24, Float32 };

class WavWriter {
public:
    WavWriter() = default;
    ~WavWriter();
    WavWriter(const WavWriter&) = delete;
    WavWriter& operator=(const WavWriter&) = delete;

    engine::Status open(const std::string& path, int sampleRate, SampleFormat format);
    // Interleaves and writes; integer formats clip at full scale instead of wrapping.
    engine::Status write(const float* left, const float* right, std::size_t frames);
    engine::Status writeInterleaved(const float* interleaved, std::size_t frames);
    engine::Status close();
    bool isOpen() const noexcept { return m_file != nullptr; }

private:
    sf_private_tag* m_file = nullptr;
    std::string m_path;
    float m_interleaved[2 * 1024];
};

} // namespace chronus::app
