// Fuzz target for the patch-file parser: any bytes must give a graph or an error, never a crash,
// and every accepted patch must round-trip exactly through save and load.
// With CHRONUS_FUZZ (clang, -fsanitize=fuzzer) libFuzzer drives it; otherwise a small main() replays
// the files given on the command line, so the corpus runs in every ctest.

#include "PatchFile.hpp"

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const QByteArray input(reinterpret_cast<const char*>(data), static_cast<qsizetype>(size));
    auto loaded = chronus::app::parsePatch(input, QStringLiteral("fuzz"));
    if (!loaded.ok()) {
        if (loaded.status().message().empty())
            std::abort(); // every refusal says why
        return 0;
    }
    const QByteArray saved = chronus::app::serializePatch(loaded->graph);
    auto again = chronus::app::parsePatch(saved, QStringLiteral("fuzz-resaved"));
    if (!again.ok() || !(again->graph == loaded->graph) || chronus::app::serializePatch(again->graph) != saved)
        std::abort();
    return 0;
}

#ifndef CHRONUS_FUZZ
int main(int argc, char* argv[]) {
    int files = 0;
    for (int i = 1; i < argc; ++i) {
        QStringList paths;
        const QFileInfo info(QString::fromLocal8Bit(argv[i]));
        if (info.isDir()) {
            for (const QFileInfo& f : QDir(info.filePath()).entryInfoList(QDir::Files))
                paths << f.filePath();
        } else {
            paths << info.filePath();
        }
        for (const QString& path : paths) {
            QFile file(path);
            if (!file.open(QIODevice::ReadOnly)) {
                std::fprintf(stderr, "cannot open %s\n", qPrintable(path));
                return 1;
            }
            const QByteArray data = file.readAll();
            LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(data.constData()),
                                   static_cast<std::size_t>(data.size()));
            ++files;
        }
    }
    std::printf("replayed %d inputs: no crash, every accepted patch round-trips\n", files);
    return files > 0 ? 0 : 1;
}
#endif
