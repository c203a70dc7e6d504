#include "InputFile.hpp"

#include "engine/SlotEngine.hpp"
#include "engine/Types.hpp"

#include <sndfile.h>

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace chronus::app {

using engine::ErrorCode;
using engine::Status;

namespace {
constexpr std::size_t kChunkFrames = 4096;

const char* containerName(int format) {
    switch (format & SF_FORMAT_TYPEMASK) {
    case SF_FORMAT_AIFF:
        return "an AIFF file";
    case SF_FORMAT_FLAC:
        return "a FLAC file";
    case SF_FORMAT_OGG:
        return "an Ogg file";
    case SF_FORMAT_AU:
        return "an AU file";
    case SF_FORMAT_RAW:
        return "raw data";
    default:
        return "another audio format";
    }
}
} // namespace

InputFile::~InputFile() {
    if (m_file)
        sf_close(m_file);
}

Status InputFile::open(const std::string& path) {
    const auto bad = [&](const std::string& why) { return Status::error(ErrorCode::InvalidArgument, path + ": " + why); };
    std::error_code ec;
    const auto kind = std::filesystem::status(path, ec).type();
    if (kind == std::filesystem::file_type::not_found)
        return bad("no such file");
    if (ec)
        return bad("cannot read: " + ec.message());
    // A FIFO or a device would block or never end; a directory is no file at all.
    if (kind != std::filesystem::file_type::regular)
        return bad("not a regular file");
    SF_INFO info{};
    m_file = sf_open(path.c_str(), SFM_READ, &info);
    if (!m_file)
        return bad(std::string("not a WAV file (") + sf_strerror(nullptr) + ")");
    m_path = path;
    const int container = info.format & SF_FORMAT_TYPEMASK;
    if (container != SF_FORMAT_WAV && container != SF_FORMAT_WAVEX && container != SF_FORMAT_RF64)
        return bad(std::string("not a WAV file: ") + containerName(info.format));
    if (info.channels < 1 || info.channels > 2)
        return bad(std::to_string(info.channels) + " channels: the input takes a mono or stereo file");
    if (info.frames <= 0)
        return bad("no audio frames in it");
    if (!(info.samplerate >= engine::kMinSampleRate && info.samplerate <= engine::kMaxSampleRate))
        return bad(std::to_string(info.samplerate) +
                   " Hz: the engine runs at 22050 to 192000 Hz and chronus does not resample (resample the file first, e.g. "
                   "sox IN.wav -r 48000 OUT.wav)");
    m_sampleRate = info.samplerate;
    m_channels = info.channels;
    m_frames = static_cast<std::uint64_t>(info.frames);
    m_fed = 0;
    m_read.assign(kChunkFrames * static_cast<std::size_t>(m_channels), 0.0f);
    m_stereo.assign(kChunkFrames * 2, 0.0f);
    return {};
}

Status InputFile::feedUpTo(engine::SlotEngine& engine, std::uint64_t end) {
    end = std::min(end, m_frames);
    while (m_file && m_fed < end) {
        const auto want = static_cast<sf_count_t>(std::min<std::uint64_t>(kChunkFrames, end - m_fed));
        const sf_count_t got = sf_readf_float(m_file, m_read.data(), want);
        if (got != want)
            return Status::error(ErrorCode::InvalidArgument,
                                 m_path + ": read failed at frame " + std::to_string(m_fed + static_cast<std::uint64_t>(std::max<sf_count_t>(got, 0))) +
                                     " of " + std::to_string(m_frames) + ": " + sf_strerror(m_file));
        const auto n = static_cast<std::size_t>(got);
        const float* interleaved = m_read.data();
        if (m_channels == 1) { // a mono file feeds both channels, as a mono device does
            for (std::size_t i = 0; i < n; ++i)
                m_stereo[2 * i] = m_stereo[2 * i + 1] = m_read[i];
            interleaved = m_stereo.data();
        }
        engine.feedOfflineInput(m_fed, interleaved, n);
        m_fed += n;
    }
    return {};
}

} // namespace chronus::app
