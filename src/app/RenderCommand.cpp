#include "RenderCommand.hpp"

#include "AudioAnalysis.hpp"
#include "CommandLine.hpp"
#include "InputFile.hpp"
#include "LoudnessMeter.hpp"
#include "PatchFile.hpp"
#include "WavWriter.hpp"
#include "audio/EngineCallback.hpp"
#include "audio/OfflineDriver.hpp"
#include "engine/SlotEngine.hpp"
#include "engine/rt/InputRing.hpp"

#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QTextStream>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

namespace chronus::app {

namespace {
QTextStream& err() { return stdErr(); }
QTextStream& out() { return stdOut(); }
int usageError(const QString& message) { return app::usageError(QStringLiteral("render"), message); }
} // namespace

int runRenderCommand(const QStringList& args) {
    QCommandLineParser parser;
    parser.setApplicationDescription(
        "Render a patch offline to a WAV file, faster than real time, with no audio device.");
    parser.addHelpOption();
    parser.addPositionalArgument("PATCH.json", "The patch file to render.");
    parser.addOption({"seconds", "Length of the rendering in seconds (required without --input; with it, the "
                                 "input file's length by default).",
                      "S"});
    parser.addOption({"out", "Output WAV file (required unless --analyze).", "OUT.wav"});
    parser.addOption({"rate", "Sample rate in Hz, 22050-192000 (default 48000; with --input, the file's).", "HZ", "48000"});
    parser.addOption({"block", "Block size in frames, 1-4096 (default 64).", "N", "64"});
    parser.addOption({"format", "Sample format: pcm16, pcm24 or float (default pcm24).", "F", "pcm24"});
    parser.addOption({"input", "A mono or stereo WAV file that audio_in plays, frame 0 at the rendering's frame 0 "
                               "(no input latency offline). Not resampled: the rendering takes its rate.",
                      "FILE.wav"});
    parser.addOption({"analyze", "Print what the rendering sounds like: loudness, peaks, clipping, DC, stereo, pitch, "
                                 "spectrum, onsets, tempo, silence (one paragraph)."});
    parser.addOption({"json", "With --analyze: the summary as one JSON object on stdout (the rendering's line goes to stderr)."});
    if (!parser.parse(args))
        return usageError(parser.errorText());
    if (parser.isSet("help")) {
        out() << commandHelp(parser, QStringLiteral("render"));
        return 0;
    }
    const QStringList positional = parser.positionalArguments();
    if (positional.size() != 1)
        return usageError(positional.isEmpty() ? "missing PATCH.json" : "expected one patch file");
    const bool withInput = parser.isSet("input");
    if (!parser.isSet("seconds") && !withInput)
        return usageError("missing --seconds");
    const bool analyze = parser.isSet("analyze");
    if (!parser.isSet("out") && !analyze)
        return usageError("missing --out (or --analyze)");
    if (parser.isSet("json") && !analyze)
        return usageError("--json goes with --analyze");
    bool ok = false;
    double seconds = 0.0;
    if (parser.isSet("seconds")) {
        seconds = parser.value("seconds").toDouble(&ok);
        if (!ok || !(seconds > 0.0) || seconds > 24 * 3600.0)
            return usageError("--seconds must be a number above 0 and at most 86400");
    }
    double rate = parser.value("rate").toDouble(&ok);
    if (!ok || rate < engine::kMinSampleRate || rate > engine::kMaxSampleRate || rate != std::floor(rate))
        return usageError("--rate must be a whole number of Hz from 22050 to 192000");
    const int block = parser.value("block").toInt(&ok);
    if (!ok || block < 1 || block > engine::kMaxBlock)
        return usageError("--block must be a whole number from 1 to 4096");
    const QString formatName = parser.value("format");
    SampleFormat format;
    if (formatName == "pcm16")
        format = SampleFormat::Pcm16;
    else if (formatName == "pcm24")
        format = SampleFormat::Pcm24;
    else if (formatName == "float")
        format = SampleFormat::Float32;
    else
        return usageError("--format must be pcm16, pcm24 or float");

    auto loaded = loadPatchFile(positional.first());
    if (!loaded) {
        err() << "chronus render: " << QString::fromStdString(loaded.status().message()) << "\n";
        return 1;
    }
    for (const QString& warning : loaded->warnings)
        err() << "chronus render: warning: " << warning << "\n";
    err().flush();

    InputFile input;
    if (withInput) {
        if (auto s = input.open(parser.value("input").toStdString()); !s) {
            err() << "chronus render: --input " << QString::fromStdString(s.message()) << "\n";
            return 1;
        }
        if (!parser.isSet("rate")) {
            rate = input.sampleRate();
        } else if (rate != input.sampleRate()) {
            err() << "chronus render: --input " << parser.value("input") << " is at " << input.sampleRate()
                  << " Hz and the rendering at " << rate << " Hz: chronus does not resample (leave out --rate to "
                  << "render at the file's rate, or resample the file first, e.g. sox IN.wav -r " << rate << " OUT.wav)\n";
            return 1;
        }
    }

    LoudnessMeter loudness;
    if (auto s = loudness.open(rate); !s) {
        err() << "chronus render: " << QString::fromStdString(s.message()) << "\n";
        return 1;
    }
    // Opened before the engine starts: FFTW's planner (the analysis's and aubio's) is not thread-safe.
    AudioAnalyzer analyzer;
    if (analyze)
        if (auto s = analyzer.open(rate); !s) {
            err() << "chronus render: " << QString::fromStdString(s.message()) << "\n";
            return 1;
        }
    WavWriter writer;
    const QString outPath = parser.value("out");
    const bool toFile = parser.isSet("out");
    if (toFile)
        if (auto s = writer.open(outPath.toStdString(), static_cast<int>(rate), format); !s) {
            err() << "chronus render: " << QString::fromStdString(s.message()) << "\n";
            return 1;
        }

    // The same path as live audio: the patch goes into the standby slot as commands, is primed and
    // committed (no fade), and the offline driver plays the engine through the same callback a
    // device would, as fast as the workers render.
    engine::EngineConfig config;
    config.sampleRate = rate;
    config.blockSize = block;
    config.offline = true;
    config.ringTargetBlocks = std::max(4, 8192 / block); // offline: fewer hand-overs between threads
    config.hotMirror = false; // nobody fails over offline: one render, not two
    // ... and the slot the commit leaves need not catch up with the output to be in step: it would
    // render everything played so far again, for nothing.
    config.maxCatchUpSeconds = 0.0;
    config.healthWindowMs = 0.0;
    config.realtimeWorkers = false;
    // A rendering is the patch from its frame 0, freshly prepared: no warm-up blocks (live, they
    // settle the standby before a crossfade; here they would sound a beat before the file starts).
    config.warmupBlocks = 0;
    constexpr int kChunkFrames = 4096; // the offline driver's callback
    // What the workers may render past the last frame written before the next one is written: the
    // input window must cover it (at most 4096 + 4 * 4096 frames of 32768).
    static_assert(kChunkFrames + 4 * engine::kMaxBlock < engine::InputRing::kCapacityFrames);
    engine::SlotEngine engine(config);
    const auto fail = [&](const engine::Status& s) {
        err() << "chronus render: " << positional.first() << ": " << QString::fromStdString(s.message()) << "\n";
        return 1;
    };
    if (auto s = engine.start(); !s)
        return fail(s);
    if (auto s = engine.loadPending(loaded->graph); !s)
        return fail(s);
    // The input goes in a window ahead of the rendering: the prime renders a ring's target of it.
    constexpr std::uint64_t kInputAhead = engine::InputRing::kCapacityFrames;
    if (withInput)
        if (auto s = input.feedUpTo(engine, kInputAhead); !s)
            return fail(s);
    if (auto primed = engine.prime(std::chrono::seconds(60)); !primed)
        return fail(primed.status());

    // Without --seconds the rendering is exactly as long as the input file.
    const std::uint64_t total =
        parser.isSet("seconds") ? static_cast<std::uint64_t>(std::llround(seconds * rate)) : input.frames();
    if (!parser.isSet("seconds"))
        seconds = static_cast<double>(total) / rate;
    double peak = 0.0, sumSquares = 0.0;
    std::size_t clipped = 0;
    bool started = false;
    std::uint64_t blockFrame = 0; // output frame of the block the sink is given
    std::uint64_t written = 0;    // frames of the file written
    engine::Status writeError;
    // Offline thread, the one that calls the engine's process(): everything from the sample the
    // commit switched on goes to the file. The engine records that frame before process() returns,
    // so where the file starts does not depend on when the commit request reached the callback.
    audio::OfflineDriver driver(total, [&](const float* data, int blockFrames) {
        const std::uint64_t first = blockFrame;
        blockFrame += static_cast<std::uint64_t>(blockFrames);
        const float* interleaved = data;
        int frames = blockFrames;
        if (!started) {
            const std::int64_t commitFrame = engine.stats().lastCommitFrame;
            if (commitFrame < 0 || static_cast<std::uint64_t>(commitFrame) >= blockFrame)
                return 0; // the empty patch before the commit: not part of the rendering
            const auto skip = static_cast<int>(std::max<std::int64_t>(0, commitFrame - static_cast<std::int64_t>(first)));
            interleaved += 2 * skip;
            frames -= skip;
            started = true;
            // From here on the file needs exactly this many more frames: no worker renders past
            // them (nor the slot the commit left, which nobody hears again).
            engine.limitOfflineRender(total - static_cast<std::uint64_t>(frames));
        }
        for (int i = 0; i < 2 * frames; ++i) {
            const double a = std::fabs(static_cast<double>(interleaved[i]));
            peak = std::max(peak, a);
            sumSquares += a * a;
            clipped += (a > 1.0 && format != SampleFormat::Float32) ? 1 : 0;
        }
        if (analyze)
            if (auto s = analyzer.addInterleaved(interleaved, static_cast<std::size_t>(frames)); !s) {
                writeError = s;
                return -1;
            }
        if (toFile)
            if (auto s = writer.writeInterleaved(interleaved, static_cast<std::size_t>(frames)); !s) {
                writeError = s;
                return -1;
            }
        // The analysis measures loudness with the same meter: not twice.
        if (auto s = analyze ? engine::Status{} : loudness.addInterleaved(interleaved, static_cast<std::size_t>(frames)); !s) {
            writeError = s;
            return -1;
        }
        written += static_cast<std::uint64_t>(frames);
        // The workers render at most a ring's target beyond the next chunk: the input stays ahead
        // of that, and never overwrites a frame not heard yet.
        if (withInput)
            if (auto s = input.feedUpTo(engine, written + kInputAhead); !s) {
                writeError = s;
                return -1;
            }
        return frames;
    });
    audio::EngineCallback callback(engine);
    audio::DriverConfig driverConfig;
    driverConfig.sampleRate = rate;
    driverConfig.blockSize = kChunkFrames; // callbacks of many render blocks: fewer hand-overs
    QElapsedTimer timer;
    timer.start();
    if (auto s = driver.start(callback, driverConfig); !s)
        return fail(s);
    if (auto committed = engine.commit(0.0, std::chrono::seconds(60)); !committed) {
        driver.stop();
        return fail(committed.status());
    }
    driver.waitFinished();
    driver.stop();
    const qint64 renderNs = timer.nsecsElapsed();
    const engine::EngineStats stats = engine.stats();
    engine.stop();
    if (!writeError.ok())
        return fail(writeError);
    if (auto s = toFile ? writer.close() : engine::Status{}; !s) {
        err() << "chronus render: " << QString::fromStdString(s.message()) << "\n";
        return 1;
    }
    if (stats.slot[0].noneReads + stats.slot[1].noneReads > 0)
        return fail(engine::Status::error(engine::ErrorCode::InvalidArgument, "internal error: the offline render starved"));
    const double rms = total ? std::sqrt(sumSquares / (2.0 * static_cast<double>(total))) : 0.0;
    auto dbfs = [](double v) { return v > 0.0 ? QString::number(20.0 * std::log10(v), 'f', 1) : QString("-inf"); };
    auto lufs = [](double v) { return std::isfinite(v) ? QString::number(v, 'f', 1) : QString("-inf"); };
    const double renderSeconds = static_cast<double>(renderNs) * 1e-9;
    const bool json = parser.isSet("json");
    const AnalysisSummary summary = analyze ? analyzer.summary() : AnalysisSummary{};
    const double truePeak = analyze ? std::pow(10.0, summary.truePeakDbtp / 20.0) : loudness.truePeak();
    const double integrated = analyze ? summary.integratedLufs : loudness.integratedLufs();
    QTextStream& report = json ? err() : out();
    report << "rendered " << (toFile ? QFileInfo(outPath).absoluteFilePath() : QStringLiteral("(no file)")) << ": " << QString::number(seconds, 'g', 6)
          << " s, " << rate << " Hz, stereo " << formatName << ", peak " << dbfs(peak) << " dBFS, true peak "
          << dbfs(truePeak) << " dBTP, " << lufs(integrated) << " LUFS integrated, RMS " << dbfs(rms)
          << " dBFS, " << QString::number(renderSeconds > 0 ? seconds / renderSeconds : 0.0, 'f', 0)
          << "x real time\n";
    if (analyze) {
        if (json)
            out() << QString::fromStdString(toJson(summary)) << "\n";
        else
            out() << QString::fromStdString(describe(summary)) << "\n";
    }
    if (clipped > 0)
        err() << "chronus render: warning: " << clipped << " samples clipped at full scale\n";
    return 0;
}

} // namespace chronus::app
