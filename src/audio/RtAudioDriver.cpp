#include "audio/RtAudioDriver.hpp"

#include <RtAudio.h>
#include <alsa/asoundlib.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <string>

namespace chronus::audio {

using engine::ErrorCode;
using engine::Result;
using engine::Status;

namespace {

constexpr int kChannels = 2;

// alsa-lib prints its own diagnostics to stderr ("ALSA lib confmisc.c:855:(parse_card) cannot find
// card '0'", eight lines on a machine with no sound card) while RtAudio probes it, even when the
// probe's outcome is only "no ALSA device", which we report ourselves. Its messages go nowhere.
extern "C" void ignoreAlsaMessage(const char*, int, const char*, int, const char*, ...) {}

void quietAlsaLibrary() { snd_lib_error_set_handler(&ignoreAlsaMessage); }

RtAudio::Api toRtApi(RtAudioDriver::Api api) {
    switch (api) {
    case RtAudioDriver::Api::Jack: return RtAudio::UNIX_JACK;
    case RtAudioDriver::Api::Pulse: return RtAudio::LINUX_PULSE;
    case RtAudioDriver::Api::Alsa: return RtAudio::LINUX_ALSA;
    case RtAudioDriver::Api::Auto: break;
    }
    return RtAudio::UNSPECIFIED;
}

std::string noDeviceMessage(RtAudioDriver::Api api) {
    switch (api) {
    case RtAudioDriver::Api::Jack: {
        const char* server = std::getenv("JACK_DEFAULT_SERVER");
        return std::string("no JACK server running (server \"") + (server && *server ? server : "default") +
               "\"); start one (jackd, qjackctl, PipeWire's JACK) or choose another driver";
    }
    case RtAudioDriver::Api::Pulse: return "no PulseAudio server reachable";
    case RtAudioDriver::Api::Alsa: return "no ALSA output device found";
    case RtAudioDriver::Api::Auto: break;
    }
    return "no output device found";
}

std::string lowercase(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

bool isIndex(const std::string& s) {
    return !s.empty() && s.size() < 6 && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// The output device `wanted` names: "" = the default output (or the first with two outputs when
// the default has fewer), a decimal index, an exact name, or a case-insensitive part of one.
// Throws RtAudioError (from RtAudio), caught by the caller.
Result<unsigned> chooseDevice(RtAudio& rt, unsigned count, const std::string& wanted, const std::string& prefix) {
    if (wanted.empty()) {
        const unsigned preferred = rt.getDefaultOutputDevice();
        if (preferred < count && rt.getDeviceInfo(preferred).outputChannels >= kChannels)
            return preferred;
        for (unsigned i = 0; i < count; ++i)
            if (rt.getDeviceInfo(i).outputChannels >= kChannels)
                return i;
        return Status::error(kDeviceError, prefix + "no device with " + std::to_string(kChannels) + " output channels");
    }
    if (isIndex(wanted)) {
        const unsigned index = static_cast<unsigned>(std::stoul(wanted));
        if (index < count)
            return index;
        return Status::error(ErrorCode::InvalidArgument, prefix + "no device " + wanted + " (there are " +
                                                             std::to_string(count) + ")");
    }
    std::vector<std::string> names;
    for (unsigned i = 0; i < count; ++i)
        names.push_back(rt.getDeviceInfo(i).name);
    for (unsigned i = 0; i < count; ++i)
        if (names[i] == wanted)
            return i;
    const std::string needle = lowercase(wanted);
    for (unsigned i = 0; i < count; ++i)
        if (lowercase(names[i]).find(needle) != std::string::npos)
            return i;
    std::string known;
    for (const std::string& n : names)
        known += (known.empty() ? "" : ", ") + ("\"" + n + "\"");
    return Status::error(ErrorCode::InvalidArgument, prefix + "no device named \"" + wanted + "\" (devices: " + known + ")");
}

void appendNotice(std::string& notice, const std::string& more) {
    notice += (notice.empty() ? "" : "; ") + more;
}

} // namespace

RtAudioDriver::RtAudioDriver(Api api) : m_requested(api), m_api(api) {}

RtAudioDriver::~RtAudioDriver() { stop(); }

std::string RtAudioDriver::name() const { return apiName(m_api); }

std::optional<RtAudioDriver::Api> RtAudioDriver::apiFromName(std::string_view name) {
    if (name == "auto")
        return Api::Auto;
    if (name == "jack")
        return Api::Jack;
    if (name == "pulse")
        return Api::Pulse;
    if (name == "alsa")
        return Api::Alsa;
    return std::nullopt;
}

const char* RtAudioDriver::apiName(Api api) {
    switch (api) {
    case Api::Auto: return "auto";
    case Api::Jack: return "jack";
    case Api::Pulse: return "pulse";
    case Api::Alsa: return "alsa";
    }
    return "auto";
}

Result<std::vector<DeviceDescription>> RtAudioDriver::listDevices(Api api) {
    std::vector<DeviceDescription> devices;
    const std::vector<Api> apis = api == Api::Auto ? std::vector<Api>{Api::Jack, Api::Pulse, Api::Alsa}
                                                   : std::vector<Api>{api};
    quietAlsaLibrary();
    for (const Api each : apis) {
        try {
            RtAudio rt(toRtApi(each));
            rt.showWarnings(false);
            if (rt.getCurrentApi() != toRtApi(each))
                continue; // RtAudio was built without this API
            const unsigned count = rt.getDeviceCount();
            const unsigned preferred = rt.getDefaultOutputDevice();
            for (unsigned i = 0; i < count; ++i) {
                const RtAudio::DeviceInfo info = rt.getDeviceInfo(i);
                if (!info.probed || info.outputChannels == 0)
                    continue;
                DeviceDescription d;
                d.api = apiName(each);
                d.index = static_cast<int>(i);
                d.name = info.name;
                d.outputChannels = static_cast<int>(info.outputChannels);
                d.sampleRates = info.sampleRates;
                d.preferredSampleRate = info.preferredSampleRate;
                d.isDefaultOutput = i == preferred || info.isDefaultOutput;
                devices.push_back(std::move(d));
            }
        } catch (const RtAudioError& e) {
            return Status::error(kDeviceError, std::string(apiName(each)) + ": listing devices failed: " + e.getMessage());
        }
    }
    return devices;
}

Result<AudioDriver::StreamFormat> RtAudioDriver::openDevice(const DriverConfig& config) {
    if (config.blockSize < 0 || config.sampleRate < 0.0)
        return Status::error(ErrorCode::InvalidArgument, "negative block size or sample rate");
    if (m_requested != Api::Auto) {
        m_api = m_requested;
        return openWith(m_requested, config);
    }
    // Auto: the first API that opens. JACK only counts when a server already runs (RtAudio never
    // starts one: it opens JACK clients with JackNoStartServer).
    std::string failures;
    for (const Api api : {Api::Jack, Api::Pulse, Api::Alsa}) {
        auto format = openWith(api, config);
        if (format.ok()) {
            m_api = api;
            return format;
        }
        appendNotice(failures, format.status().message());
    }
    m_api = Api::Auto;
    return Status::error(kDeviceError, "no audio device found (" + failures + ")");
}

Result<AudioDriver::StreamFormat> RtAudioDriver::openWith(Api api, const DriverConfig& config) {
    const std::string prefix = std::string(apiName(api)) + ": ";
    quietAlsaLibrary();
    try {
        auto rt = std::make_unique<RtAudio>(toRtApi(api));
        rt->showWarnings(false);
        if (rt->getCurrentApi() != toRtApi(api))
            return Status::error(kDeviceError, prefix + "RtAudio was built without this API");
        const unsigned count = rt->getDeviceCount();
        if (count == 0)
            return Status::error(kDeviceError, prefix + noDeviceMessage(api));
        auto chosen = chooseDevice(*rt, count, config.device, prefix);
        if (!chosen.ok())
            return chosen.status();
        const unsigned device = chosen.value();
        const RtAudio::DeviceInfo info = rt->getDeviceInfo(device);
        if (!info.probed)
            return Status::error(kDeviceError, prefix + "device " + std::to_string(device) + " (\"" + info.name +
                                                   "\") could not be probed; is it busy?");
        if (info.outputChannels < kChannels)
            return Status::error(kDeviceError, prefix + "device \"" + info.name + "\" has " +
                                                   std::to_string(info.outputChannels) + " output channels; Chronus needs " +
                                                   std::to_string(kChannels));

        std::string notice;
        const unsigned requestedRate = config.sampleRate > 0.0 ? static_cast<unsigned>(std::lround(config.sampleRate)) : 0;
        unsigned rate = requestedRate;
        const auto& rates = info.sampleRates;
        if (rate == 0 || (!rates.empty() && std::find(rates.begin(), rates.end(), rate) == rates.end())) {
            if (info.preferredSampleRate != 0)
                rate = info.preferredSampleRate;
            else if (!rates.empty())
                rate = *std::min_element(rates.begin(), rates.end(), [&](unsigned a, unsigned b) {
                    return std::labs(static_cast<long>(a) - static_cast<long>(requestedRate)) <
                           std::labs(static_cast<long>(b) - static_cast<long>(requestedRate));
                });
            else
                rate = 48000;
            if (requestedRate != 0)
                appendNotice(notice, (api == Api::Jack ? std::string("the JACK server runs at ") : "\"" + info.name + "\" runs at ") +
                                         std::to_string(rate) + " Hz, not the requested " + std::to_string(requestedRate) + " Hz");
        }

        RtAudio::StreamParameters parameters;
        parameters.deviceId = device;
        parameters.nChannels = kChannels;
        parameters.firstChannel = 0;
        RtAudio::StreamOptions options;
        options.flags = config.realtime ? RTAUDIO_SCHEDULE_REALTIME : 0;
        options.priority = config.realtimePriority;
        options.streamName = config.clientName;
        unsigned frames = static_cast<unsigned>(config.blockSize); // 0 lets the device choose
        // Capture (audio_in): the output device's own inputs when it has some (JACK: the same
        // client), else the default input device; its first two channels (one: copied to both).
        RtAudio::StreamParameters capture;
        unsigned captureChannels = 0;
        if (config.input) {
            unsigned inputDevice = device;
            if (info.inputChannels == 0) {
                inputDevice = rt->getDefaultInputDevice();
                if (inputDevice >= count || rt->getDeviceInfo(inputDevice).inputChannels == 0)
                    return Status::error(kDeviceError, prefix + "no input device to capture from (--input)");
            }
            captureChannels = std::min(2u, rt->getDeviceInfo(inputDevice).inputChannels);
            capture.deviceId = inputDevice;
            capture.nChannels = captureChannels;
            capture.firstChannel = 0;
        }
        rt->openStream(&parameters, captureChannels > 0 ? &capture : nullptr, RTAUDIO_FLOAT32, rate, &frames,
                       &RtAudioDriver::rtCallback, this, &options);
        m_captureChannels = captureChannels;
        m_monoCapture.reset();
        m_monoCaptureFrames = 0;
        if (captureChannels == 1) { // the callback copies it to both channels here
            m_monoCaptureFrames = std::max(frames, 8192u);
            m_monoCapture = std::make_unique<float[]>(2 * static_cast<std::size_t>(m_monoCaptureFrames));
        }

        StreamFormat format;
        format.sampleRate = static_cast<double>(rt->getStreamSampleRate());
        format.blockSize = static_cast<int>(frames);
        const long latency = rt->getStreamLatency();
        format.outputLatencyFrames = latency > 0 ? static_cast<int>(latency) : format.blockSize;
        format.deviceName = info.name;
        format.inputChannels = static_cast<int>(captureChannels);
        if (config.blockSize > 0 && format.blockSize != config.blockSize)
            appendNotice(notice, "the device gives blocks of " + std::to_string(format.blockSize) +
                                     " frames, not the requested " + std::to_string(config.blockSize));
        format.notice = std::move(notice);
        m_rt = std::move(rt);
        return format;
    } catch (const RtAudioError& e) {
        return Status::error(kDeviceError, prefix + e.getMessage());
    } catch (const std::exception& e) { // std::bad_alloc, std::system_error from RtAudio's internals
        return Status::error(kDeviceError, prefix + e.what());
    }
}

Status RtAudioDriver::startDevice() {
    try {
        m_rt->startStream();
    } catch (const RtAudioError& e) {
        return Status::error(kDeviceError, name() + ": cannot start the stream: " + e.getMessage());
    }
    return {};
}

void RtAudioDriver::stopDevice() noexcept {
    // abortStream drops what is queued (the output is not wanted any more); closeStream then
    // joins or deactivates the callback thread, which is what guarantees that no callback runs
    // after stop() returns (ALSA's abortStream alone can return while a callback is in flight).
    // An error here leaves nothing to undo (the stream is gone either way, e.g. the JACK server
    // went away); it is kept for stopError().
    m_stopError.clear();
    try {
        if (m_rt->isStreamRunning())
            m_rt->abortStream();
    } catch (const RtAudioError& e) {
        m_stopError = name() + ": stopping the stream: " + e.getMessage();
    }
    try {
        if (m_rt->isStreamOpen())
            m_rt->closeStream();
    } catch (const RtAudioError& e) {
        m_stopError = name() + ": closing the stream: " + e.getMessage();
    }
}

void RtAudioDriver::closeDevice() noexcept {
    m_rt.reset();
    m_api = m_requested;
}

bool RtAudioDriver::deviceRunning() const noexcept { return m_rt && m_rt->isStreamRunning(); }

int RtAudioDriver::rtCallback(void* output, void* input, unsigned int frames, double /*streamTime*/,
                              unsigned int status, void* user) noexcept {
    auto* self = static_cast<RtAudioDriver*>(user);
    const float* captured = self->m_captureChannels == 2 ? static_cast<const float*>(input) : nullptr;
    if (self->m_captureChannels == 1 && input && frames <= self->m_monoCaptureFrames) {
        const auto* mono = static_cast<const float*>(input);
        float* both = self->m_monoCapture.get();
        for (unsigned i = 0; i < frames; ++i)
            both[2 * i] = both[2 * i + 1] = mono[i];
        captured = both;
    }
    self->deliver(static_cast<float*>(output), static_cast<int>(frames), (status & RTAUDIO_OUTPUT_UNDERFLOW) != 0,
                  captured);
    return 0;
}

} // namespace chronus::audio
