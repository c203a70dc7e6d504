#pragma once
// The engine's status as the status panel, `/engine/status` and `chronus ctl status` show it: one
// snapshot of the lock-free stats plus what the driver reports, as JSON (the keys the README documents) and
// as one compact line.

#include "engine/SlotEngine.hpp"

#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace chronus::audio {
class AudioDriver;
}

namespace chronus::app {

struct DriverStatus {
    QString name = "none";      // "jack", "pulse", "alsa", "null", "offline"
    int deviceBlock = 0;        // frames per callback the device gives
    int outputLatencyFrames = 0; // what the device adds after the callback
    bool realtime = false;      // the audio thread runs under SCHED_FIFO/RR
    int inputChannels = 0;      // capture channels of the stream (0: no input, audio_in plays silence)
};

DriverStatus driverStatus(const audio::AudioDriver& driver);

// Output latency: device block + the device's own latency + the active ring's target, in ms.
double latencyMs(const engine::EngineStats& stats, const DriverStatus& driver);
// Input latency inside Chronus: a captured frame is heard this much later at the output (the ring's
// target: audio_in reads the capture from that far before the frame it renders), to which the
// device adds its capture latency and latencyMs's device part.
double inputLatencyMs(const engine::EngineStats& stats);

QJsonObject statusJson(const engine::EngineStats& stats, const DriverStatus& driver);

// What happened between two snapshots, one line each, for a log: failovers (and why), rollbacks,
// xruns, muted output, slots rebuilt, the ring grown. Empty when nothing did. `serve` and `play` print these as
// they happen, so a failover is seen when it occurs and not only in the counters of `status`.
QStringList engineEvents(const engine::EngineStats& before, const engine::EngineStats& after);

// "A* | B mirror | occ 4.0 [3.1-5.0] | none 0 (0/s) | xruns 0 | dsp 3% 3% | commits 2 ..."
QString statusLine(const engine::EngineStats& stats, const DriverStatus& driver);

} // namespace chronus::app
