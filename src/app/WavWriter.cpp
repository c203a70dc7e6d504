#include "WavWriter.hpp"

#include <sndfile.h>

#include <algorithm>

namespace chronus::app {

using engine::ErrorCode;
using engine::Status;

WavWriter::~WavWriter() { close(); }

Status WavWriter::open(const std::string& path, int sampleRate, SampleFormat format) {
    close();
    SF_INFO info{};
    info.samplerate = sampleRate;
    info.channels = 2;
    info.format = SF_FORMAT_WAV | (format == SampleFormat::Pcm16   ? SF_FORMAT_PCM_16
                                   : format == SampleFormat::Pcm24 ? SF_FORMAT_PCM_24
                                                                   : SF_FORMAT_FLOAT);
    m_file = sf_open(path.c_str(), SFM_WRITE, &info);
    if (!m_file)
        return Status::error(ErrorCode::InvalidArgument, path + ": cannot create WAV: " + sf_strerror(nullptr));
    sf_command(m_file, SFC_SET_CLIPPING, nullptr, SF_TRUE);
    m_path = path;
    return {};
}

Status WavWriter::write(const float* left, const float* right, std::size_t frames) {
    constexpr std::size_t chunk = sizeof(m_interleaved) / sizeof(float) / 2;
    for (std::size_t done = 0; done < frames;) {
        const std::size_t n = std::min(chunk, frames - done);
        for (std::size_t i = 0; i < n; ++i) {
            m_interleaved[2 * i] = left[done + i];
            m_interleaved[2 * i + 1] = right[done + i];
        }
        if (sf_writef_float(m_file, m_interleaved, static_cast<sf_count_t>(n)) != static_cast<sf_count_t>(n))
            return Status::error(ErrorCode::InvalidArgument, m_path + ": write failed: " + sf_strerror(m_file));
        done += n;
    }
    return {};
}

Status WavWriter::writeInterleaved(const float* interleaved, std::size_t frames) {
    if (sf_writef_float(m_file, interleaved, static_cast<sf_count_t>(frames)) != static_cast<sf_count_t>(frames))
        return Status::error(ErrorCode::InvalidArgument, m_path + ": write failed: " + sf_strerror(m_file));
    return {};
}

Status WavWriter::close() {
    if (!m_file)
        return {};
    const int rc = sf_close(m_file);
    m_file = nullptr;
    if (rc != 0)
        return Status::error(ErrorCode::InvalidArgument, m_path + ": close failed: " + sf_error_number(rc));
    return {};
}

} // namespace chronus::app
