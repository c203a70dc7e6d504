#pragma once
// openDriver: from the `--audio auto|jack|pulse|alsa|null` choice to an open driver.

#include "audio/AudioDriver.hpp"
#include "engine/Status.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace chronus::audio {

struct OpenedDriver {
    std::unique_ptr<AudioDriver> driver; // open, not started: read its rate and block, then start()
    std::string message; // for the user: the fallback to the null driver and why; empty otherwise
};

// Control thread only. Opens (does not start) the driver named `name`:
// - "jack", "pulse", "alsa": that RtAudio API, or an error saying why not (a JACK server is never
//   started: without a running server, "jack" fails);
// - "null": the clock-paced NullDriver;
// - "auto": JACK if a server runs, else PulseAudio, else ALSA, else the null driver, with
//   `message` saying "no audio device found; using the null driver (no sound)" and why.
// Unknown names and invalid configurations are errors.
engine::Result<OpenedDriver> openDriver(std::string_view name, const DriverConfig& config);

} // namespace chronus::audio
