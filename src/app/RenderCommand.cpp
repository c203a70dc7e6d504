#include "RenderCommand.hpp"

#include "PatchFile.hpp"
#include "WavWriter.hpp"
#include "engine/OfflineRenderer.hpp"

#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QTextStream>

#include <algorithm>
#include <cmath>
#include <vector>

namespace chronus::app {

namespace {
QTextStream& err() {
    static QTextStream s(stderr);
    return s;
}
QTextStream& out() {
    static QTextStream s(stdout);
    return s;
}
int usageError(const QString& message) {
    err() << "chronus render: " << message << "\nTry 'chronus render --help'.\n";
    err().flush();
    return 2;
}
} // namespace

int runRenderCommand(const QStringList& args) {
    QCommandLineParser parser;
    parser.setApplicationDescription(
        "Render a patch offline to a WAV file, faster than real time, with no audio device.");
    parser.addHelpOption();
    parser.addPositionalArgument("PATCH.json", "The patch file to render.");
    parser.addOption({"seconds", "Length of the rendering in seconds (required).", "S"});
    parser.addOption({"out", "Output WAV file (required).", "OUT.wav"});
    parser.addOption({"rate", "Sample rate in Hz, 22050-192000 (default 48000).", "HZ", "48000"});
    parser.addOption({"block", "Block size in frames, 1-4096 (default 64).", "N", "64"});
    parser.addOption({"format", "Sample format: pcm16, pcm24 or float (default pcm24).", "F", "pcm24"});
    if (!parser.parse(args))
        return usageError(parser.errorText());
    if (parser.isSet("help")) {
        out() << parser.helpText().replace(QLatin1String(qPrintable(args.first())), QLatin1String("chronus render"));
        return 0;
    }
    const QStringList positional = parser.positionalArguments();
    if (positional.size() != 1)
        return usageError(positional.isEmpty() ? "missing PATCH.json" : "expected one patch file");
    if (!parser.isSet("seconds"))
        return usageError("missing --seconds");
    if (!parser.isSet("out"))
        return usageError("missing --out");
    bool ok = false;
    const double seconds = parser.value("seconds").toDouble(&ok);
    if (!ok || !(seconds > 0.0) || seconds > 24 * 3600.0)
        return usageError("--seconds must be a number above 0 and at most 86400");
    const double rate = parser.value("rate").toDouble(&ok);
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

    engine::OfflineRenderer renderer(rate, block);
    renderer.setGraph(std::move(loaded->graph));
    WavWriter writer;
    const QString outPath = parser.value("out");
    if (auto s = writer.open(outPath.toStdString(), static_cast<int>(rate), format); !s) {
        err() << "chronus render: " << QString::fromStdString(s.message()) << "\n";
        return 1;
    }

    // Render and write in one-second chunks: memory stays flat whatever the length.
    const std::size_t total = static_cast<std::size_t>(std::llround(seconds * rate));
    const std::size_t chunk = static_cast<std::size_t>(rate);
    std::vector<float> left(chunk), right(chunk);
    double peak = 0.0, sumSquares = 0.0;
    std::size_t clipped = 0;
    qint64 renderNs = 0;
    QElapsedTimer timer;
    for (std::size_t done = 0; done < total;) {
        const std::size_t n = std::min(chunk, total - done);
        timer.start();
        if (auto s = renderer.renderInto(left.data(), right.data(), n); !s) {
            err() << "chronus render: " << positional.first() << ": " << QString::fromStdString(s.message()) << "\n";
            return 1;
        }
        renderNs += timer.nsecsElapsed();
        for (std::size_t i = 0; i < n; ++i) {
            for (float v : {left[i], right[i]}) {
                const double a = std::fabs(static_cast<double>(v));
                peak = std::max(peak, a);
                sumSquares += static_cast<double>(v) * static_cast<double>(v);
                clipped += (a > 1.0 && format != SampleFormat::Float32) ? 1 : 0;
            }
        }
        if (auto s = writer.write(left.data(), right.data(), n); !s) {
            err() << "chronus render: " << QString::fromStdString(s.message()) << "\n";
            return 1;
        }
        done += n;
    }
    if (auto s = writer.close(); !s) {
        err() << "chronus render: " << QString::fromStdString(s.message()) << "\n";
        return 1;
    }
    const double rms = total ? std::sqrt(sumSquares / (2.0 * static_cast<double>(total))) : 0.0;
    auto dbfs = [](double v) { return v > 0.0 ? QString::number(20.0 * std::log10(v), 'f', 1) : QString("-inf"); };
    const double renderSeconds = static_cast<double>(renderNs) * 1e-9;
    out() << "rendered " << QFileInfo(outPath).absoluteFilePath() << ": " << QString::number(seconds, 'g', 6)
          << " s, " << rate << " Hz, stereo " << formatName << ", peak " << dbfs(peak) << " dBFS, RMS " << dbfs(rms)
          << " dBFS, " << QString::number(renderSeconds > 0 ? seconds / renderSeconds : 0.0, 'f', 0)
          << "x real time\n";
    if (clipped > 0)
        err() << "chronus render: warning: " << clipped << " samples clipped at full scale\n";
    return 0;
}

} // namespace chronus::app
