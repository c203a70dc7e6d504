#pragma once
// Opens the device's capture when a committed patch first needs it. The editor and `serve` open
// their stream output-only unless --input asks for capture; when a commit then makes a patch with
// an audio_in heard, the stream is reopened duplex (JACK: the client gets its input ports, and
// every connection its ports had is made again): the output fades out over a few milliseconds, the
// stream closes and reopens, the output fades back in. The engine does not stop meanwhile: its
// rings stay full and play on where they were, so nothing of the patch is lost, only a short
// pause. A patch without audio_in opens nothing. Control thread: the one that owns the driver.

#include "audio/AudioDriver.hpp"
#include "audio/EngineCallback.hpp"
#include "engine/SlotEngine.hpp"

#include <cstdint>
#include <mutex>
#include <string>

namespace chronus::app {

class CaptureOnDemand {
public:
    // `config`: what `driver` was opened with; it is reopened with the same, plus its capture.
    CaptureOnDemand(audio::AudioDriver& driver, audio::EngineCallback& callback, engine::SlotEngine& engine,
                    audio::DriverConfig config);

    // After a commit (cheap when no commit came since the last call): when the committed patch reads
    // input and no capture is open, opens it. Returns a line for the log saying what happened (the
    // capture opened and how long the output paused; or why there is none), empty when nothing did.
    // The driver's fields change meanwhile: another thread that reads them holds mutex().
    std::string check();
    std::mutex& mutex() noexcept { return m_mutex; }

    // The last reopen: how long the stream was closed (stop to start), in ms; -1 before any.
    double lastPauseMs() const noexcept { return m_lastPauseMs; }

private:
    std::string reopenWithCapture();

    audio::AudioDriver& m_driver;
    audio::EngineCallback& m_callback;
    engine::SlotEngine& m_engine;
    audio::DriverConfig m_config;
    std::mutex m_mutex;
    std::uint64_t m_commitsSeen = ~std::uint64_t{0};
    // The device has no capture: not tried again (each try pauses the output). From the start when
    // capture was asked for on the null driver: its notice said at open that there is none.
    bool m_gaveUp = false;
    double m_lastPauseMs = -1.0;
};

// Whether `graph` has a module that reads the device's input.
bool readsInput(const engine::PatchGraph& graph);

} // namespace chronus::app
