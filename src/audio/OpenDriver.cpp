#include "audio/OpenDriver.hpp"

#include "audio/NullDriver.hpp"
#include "audio/RtAudioDriver.hpp"

namespace chronus::audio {

using engine::ErrorCode;
using engine::Result;
using engine::Status;

Result<OpenedDriver> openDriver(std::string_view name, const DriverConfig& config) {
    if (name == "null") {
        auto driver = std::make_unique<NullDriver>();
        if (Status status = driver->open(config); !status.ok())
            return status;
        return OpenedDriver{std::move(driver), {}};
    }
    const auto api = RtAudioDriver::apiFromName(name);
    if (!api)
        return Status::error(ErrorCode::InvalidArgument, "unknown audio driver \"" + std::string(name) +
                                                             "\" (expected auto, jack, pulse, alsa or null)");
    if (*api != RtAudioDriver::Api::Auto) {
        auto driver = std::make_unique<RtAudioDriver>(*api);
        if (Status status = driver->open(config); !status.ok())
            return status;
        return OpenedDriver{std::move(driver), {}};
    }
    // The order RtAudioDriver's own Auto uses, one driver per API so each failure can be told.
    std::string failures;
    for (const auto each : {RtAudioDriver::Api::Jack, RtAudioDriver::Api::Pulse, RtAudioDriver::Api::Alsa}) {
        auto driver = std::make_unique<RtAudioDriver>(each);
        Status status = driver->open(config);
        if (status.ok())
            return OpenedDriver{std::move(driver), {}};
        failures += (failures.empty() ? "" : "; ") + status.message();
    }
    auto null = std::make_unique<NullDriver>();
    if (Status status = null->open(config); !status.ok())
        return status;
    return OpenedDriver{std::move(null), "no audio device found; using the null driver (no sound) [" + failures + "]"};
}

} // namespace chronus::audio
