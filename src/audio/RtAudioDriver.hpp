#pragma once
// RtAudioDriver: a stereo float32 interleaved output stream through RtAudio 5.2 on JACK,
// PulseAudio or ALSA, with the device's first two capture channels beside it when asked (duplex). Every RtAudio call is made here on the control thread inside a try block:
// RtAudio 5.2 reports errors by throwing RtAudioError, and this class turns them into a Status.
//
// The RtAudio callback is a thin adapter (AudioDriver::deliver): flush denormals, count
// RTAUDIO_OUTPUT_UNDERFLOW as an xrun, call AudioCallback::process. Real-time scheduling is asked
// for with RTAUDIO_SCHEDULE_REALTIME (ALSA, PulseAudio; a JACK client's thread is scheduled by the
// server); realtimeStatus() says what the thread actually got.
//
// JACK is only ever used when a server is already running: RtAudio opens JACK clients with
// JackNoStartServer, so no jackd is started behind the user's back. JACK fixes the rate and the
// period: the driver takes the server's and says so in notice().

#include "audio/AudioDriver.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

class RtAudio;

namespace chronus::audio {

// One output device as RtAudio sees it, for `--list-devices` and device selection.
struct DeviceDescription {
    std::string api;  // "jack", "pulse" or "alsa"
    int index = 0;    // what DriverConfig::device takes as a number
    std::string name; // what DriverConfig::device takes as a name
    int outputChannels = 0;
    std::vector<unsigned> sampleRates;
    unsigned preferredSampleRate = 0;
    bool isDefaultOutput = false;
};

class RtAudioDriver final : public AudioDriver {
public:
    enum class Api {
        Auto,  // JACK if a server runs, else PulseAudio, else ALSA
        Jack,
        Pulse,
        Alsa,
    };

    explicit RtAudioDriver(Api api);
    ~RtAudioDriver() override;

    // "jack", "pulse" or "alsa": the API in use once open; before, the one asked for (or "auto").
    std::string name() const override;
    Api api() const noexcept { return m_api; }
    // Control thread only. What went wrong in the last stop(), if anything (empty otherwise).
    const std::string& stopError() const noexcept { return m_stopError; }

    // "auto", "jack", "pulse", "alsa" -> Api; nullopt otherwise.
    static std::optional<Api> apiFromName(std::string_view name);
    static const char* apiName(Api api);

    // Control thread only. The output devices of `api` (all three APIs for Auto, skipping those
    // that have none). An API with no server or no device yields an empty list, not an error.
    static engine::Result<std::vector<DeviceDescription>> listDevices(Api api);

private:
    engine::Result<StreamFormat> openDevice(const DriverConfig& config) override;
    engine::Status startDevice() override;
    void stopDevice() noexcept override;
    void closeDevice() noexcept override;
    bool deviceRunning() const noexcept override;

    engine::Result<StreamFormat> openWith(Api api, const DriverConfig& config);
    static int rtCallback(void* output, void* input, unsigned int frames, double streamTime,
                          unsigned int status, void* user) noexcept;

    Api m_requested;
    Api m_api;
    std::unique_ptr<RtAudio> m_rt; // control thread only; exists from open to stop
    // Capture: set at open (control thread), read by the callback while the stream runs.
    unsigned m_captureChannels = 0;
    std::unique_ptr<float[]> m_monoCapture; // a mono capture copied to two channels
    unsigned m_monoCaptureFrames = 0;
    std::string m_stopError;
};

} // namespace chronus::audio
