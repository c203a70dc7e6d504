#include "EngineStatus.hpp"

#include "audio/AudioDriver.hpp"

#include <QJsonArray>

namespace chronus::app {

DriverStatus driverStatus(const audio::AudioDriver& driver) {
    DriverStatus d;
    d.name = QString::fromStdString(driver.name());
    d.deviceBlock = driver.blockSize();
    d.outputLatencyFrames = driver.outputLatencyFrames();
    d.realtime = driver.realtimeStatus().state == audio::RealtimeState::Granted;
    d.inputChannels = driver.inputChannels();
    return d;
}

double latencyMs(const engine::EngineStats& stats, const DriverStatus& driver) {
    if (stats.sampleRate <= 0.0)
        return 0.0;
    const double frames = driver.deviceBlock + driver.outputLatencyFrames +
                          static_cast<double>(stats.ringTargetBlocks) * stats.blockSize;
    return 1000.0 * frames / stats.sampleRate;
}

double inputLatencyMs(const engine::EngineStats& stats) {
    if (stats.sampleRate <= 0.0)
        return 0.0;
    return 1000.0 * static_cast<double>(stats.ringTargetBlocks) * stats.blockSize / stats.sampleRate;
}

QJsonObject statusJson(const engine::EngineStats& stats, const DriverStatus& driver) {
    QJsonArray slotArray;
    for (const engine::SlotStats& s : stats.slot) {
        slotArray.append(QJsonObject{
            {"state", engine::slotStateName(s.state)},
            {"prime_ready", s.primeReady},
            {"in_step", s.inStep},
            {"occupancy", s.occupancy},
            {"occupancy_min", s.occupancyMin},
            {"occupancy_max", s.occupancyMax},
            {"none_reads", static_cast<double>(s.noneReads)},
            {"none_reads_window", static_cast<double>(s.noneReadsWindow)},
            {"near_misses", static_cast<double>(s.nearMisses)},
            {"dsp_load", s.dspLoad},
            {"queue_drops", static_cast<double>(s.queueDrops)},
            {"blocks_rendered", static_cast<double>(s.blocksRendered)},
            {"worker_exceptions", static_cast<double>(s.workerExceptions)},
            {"realtime", s.realtime},
            {"pid", s.pid},
            {"restarts", static_cast<double>(s.restarts)},
            {"last_exit", QString::fromStdString(s.lastExit)},
            {"last_exit_module", QString::fromStdString(s.lastExitModule)},
        });
    }
    return QJsonObject{
        {"active_slot", stats.activeSlot},
        {"slots", slotArray},
        {"xruns", static_cast<double>(stats.xruns)},
        {"failovers", static_cast<double>(stats.failovers)},
        {"rollbacks", static_cast<double>(stats.rollbacks)},
        {"stalls", static_cast<double>(stats.stalls)},
        {"unhealthy_blocks", static_cast<double>(stats.unhealthyBlocks)},
        {"muted_chunks", static_cast<double>(stats.mutedChunks)},
        {"rebuilds", static_cast<double>(stats.rebuilds)},
        {"workers", engine::workerModeName(stats.workers)},
        {"worker_restarts", static_cast<double>(stats.workerRestarts)},
        {"fading", stats.fading},
        {"fade_progress", stats.fadeProgress},
        {"fade_law", engine::fadeLawName(stats.fadeLaw)},
        {"last_fade_correlation", stats.lastFadeCorrelation},
        {"hot_mirror", stats.hotMirror},
        {"last_prime_ms", stats.lastPrimeMs},
        {"last_commit_ms", stats.lastCommitMs},
        {"commits", static_cast<double>(stats.commits)},
        {"sample_rate", stats.sampleRate},
        {"block_size", stats.blockSize},
        {"device_block", driver.deviceBlock},
        {"ring_target_blocks", stats.ringTargetBlocks},
        {"latency_ms", latencyMs(stats, driver)},
        {"driver", driver.name},
        {"input", driver.inputChannels > 0 ? QStringLiteral("capture") : QStringLiteral("none")},
        {"input_channels", driver.inputChannels},
        {"input_latency_ms", inputLatencyMs(stats)},
        {"audio_realtime", driver.realtime},
        {"frames_out", static_cast<double>(stats.framesOut)},
    };
}

QString statusLine(const engine::EngineStats& stats, const DriverStatus& driver) {
    const auto slotText = [&](int i) {
        const engine::SlotStats& s = stats.slot[static_cast<std::size_t>(i)];
        return QStringLiteral("%1%2 %3%4 occ %5 [%6-%7] none %8 (%9/win) dsp %10%")
            .arg(QChar('A' + i))
            .arg(i == stats.activeSlot ? "*" : "")
            .arg(engine::slotStateName(s.state))
            .arg(s.primeReady ? " primed" : (s.inStep ? " in-step" : ""))
            .arg(s.occupancy, 0, 'f', 1)
            .arg(s.occupancyMin, 0, 'f', 1)
            .arg(s.occupancyMax, 0, 'f', 1)
            .arg(s.noneReads)
            .arg(s.noneReadsWindow)
            .arg(100.0 * s.dspLoad, 0, 'f', 1);
    };
    return QStringLiteral("%1 | %2 | xruns %3 | commits %4 (prime %5 ms, commit %6 ms) | failovers %7 rollbacks %8 | %9 %10 Hz, %11 ms")
        .arg(slotText(0), slotText(1))
        .arg(stats.xruns)
        .arg(stats.commits)
        .arg(stats.lastPrimeMs, 0, 'f', 2)
        .arg(stats.lastCommitMs, 0, 'f', 2)
        .arg(stats.failovers)
        .arg(stats.rollbacks)
        .arg(driver.name)
        .arg(stats.sampleRate, 0, 'f', 0)
        .arg(latencyMs(stats, driver), 0, 'f', 1);
}

QStringList engineEvents(const engine::EngineStats& before, const engine::EngineStats& after) {
    QStringList lines;
    const auto slotName = [](int i) { return QString(QChar('A' + i)); };
    const auto grew = [](std::uint64_t was, std::uint64_t is) { return is > was ? is - was : 0; };
    if (const std::uint64_t n = grew(before.failovers, after.failovers)) {
        // The slot that was heard before, and what the counters say went wrong with it.
        const int from = before.activeSlot;
        const engine::SlotStats& was = before.slot[static_cast<std::size_t>(from)];
        const engine::SlotStats& is = after.slot[static_cast<std::size_t>(from)];
        QStringList why;
        if (after.stalls > before.stalls)
            why << QStringLiteral("its worker stalled");
        if (is.workerExceptions > was.workerExceptions)
            why << QStringLiteral("its worker failed");
        if (is.restarts > was.restarts)
            why << QStringLiteral("its worker died");
        if (after.unhealthyBlocks > before.unhealthyBlocks)
            why << QStringLiteral("it produced NaN, Inf or a runaway level");
        lines << QStringLiteral("failover%1: slot %2 plays now instead of slot %3%4 (failovers %5)")
                     .arg(n > 1 ? QStringLiteral(" x%1").arg(n) : QString())
                     .arg(slotName(after.activeSlot), slotName(from))
                     .arg(why.isEmpty() ? QString() : QStringLiteral(": ") + why.join(QStringLiteral(", ")))
                     .arg(after.failovers);
    }
    if (const std::uint64_t n = grew(before.rollbacks, after.rollbacks))
        lines << QStringLiteral("rollback%1: the committed patch was unhealthy (NaN, Inf or runaway level); slot %2 "
                                "plays the previous patch (rollbacks %3)")
                     .arg(n > 1 ? QStringLiteral(" x%1").arg(n) : QString())
                     .arg(slotName(after.activeSlot))
                     .arg(after.rollbacks);
    if (before.ringTargetBlocks > 0 && after.ringTargetBlocks > before.ringTargetBlocks && after.sampleRate > 0.0)
        lines << QStringLiteral("ring grew to %1 blocks (was %2) after a callback found it empty or one block from empty: output latency "
                                "+%3 ms")
                     .arg(after.ringTargetBlocks)
                     .arg(before.ringTargetBlocks)
                     .arg(1000.0 * (after.ringTargetBlocks - before.ringTargetBlocks) * after.blockSize / after.sampleRate,
                          0, 'f', 2);
    if (const std::uint64_t n = grew(before.mutedChunks, after.mutedChunks))
        lines << QStringLiteral("muted: no healthy slot to play, %1 chunks of silence (muted %2)")
                     .arg(n)
                     .arg(after.mutedChunks);
    if (const std::uint64_t n = grew(before.rebuilds, after.rebuilds))
        lines << QStringLiteral("rebuilt %1 sick slot%2 in the background (rebuilds %3)")
                     .arg(n)
                     .arg(n > 1 ? QStringLiteral("s") : QString())
                     .arg(after.rebuilds);
    for (int i = 0; i < 2; ++i) {
        const engine::SlotStats& was = before.slot[static_cast<std::size_t>(i)];
        const engine::SlotStats& is = after.slot[static_cast<std::size_t>(i)];
        if (is.restarts > was.restarts)
            lines << QStringLiteral("worker of slot %1 died (%2%3); restarted%4 (restarts %5)")
                         .arg(slotName(i), QString::fromStdString(is.lastExit))
                         .arg(is.lastExitModule.empty() ? QString()
                                                        : QStringLiteral(", in module ") + QString::fromStdString(is.lastExitModule))
                         .arg(is.pid > 0 ? QStringLiteral(" as process %1").arg(is.pid) : QString())
                         .arg(is.restarts);
    }
    if (const std::uint64_t n = grew(before.xruns, after.xruns))
        lines << QStringLiteral("xrun: the audio device reported %1 underflow%2 (xruns %3)")
                     .arg(n)
                     .arg(n > 1 ? QStringLiteral("s") : QString())
                     .arg(after.xruns);
    return lines;
}

} // namespace chronus::app
