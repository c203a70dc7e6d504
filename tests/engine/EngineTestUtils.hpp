#pragma once
// Small helpers shared by the engine tests: data rows over sample rates and block sizes, checking
// Status/Result values with their message, and opt-in printing of measured figures.

#include "engine/OfflineRenderer.hpp"
#include "engine/Status.hpp"

#include <QByteArray>
#include <QString>
#include <QTest>

#include <initializer_list>
#include <vector>

namespace chronus::test {

// The rates and block sizes every engine behaviour is checked at. Odd sizes catch block-boundary
// bugs; 1 and 4096 are the limits a plan accepts.
inline constexpr double kSampleRates[] = {44100.0, 48000.0, 96000.0};
inline constexpr int kBlockSizes[] = {1, 37, 64, 4096};

inline QByteArray statusText(const engine::Status& status) {
    return QByteArray::fromStdString(status.message());
}
template <class T> QByteArray statusText(const engine::Result<T>& result) {
    return statusText(result.status());
}

// Fails the current test with the engine's own message when `expr` (a Status or Result) is an error.
#define CHRONUS_VERIFY_OK(expr)                                                                              \
    do {                                                                                                     \
        const auto& chronusVerifyOk_ = (expr);                                                               \
        QVERIFY2(chronusVerifyOk_.ok(), ::chronus::test::statusText(chronusVerifyOk_).constData());          \
    } while (false)

// Adds the columns `sampleRate` and `blockSize` and one row per combination, named "48k/37".
inline QString rateBlockName(double sampleRate, int blockSize) {
    return QStringLiteral("%1k/%2").arg(sampleRate / 1000.0).arg(blockSize);
}

inline void addRateBlockColumns() {
    QTest::addColumn<double>("sampleRate");
    QTest::addColumn<int>("blockSize");
}

// CHRONUS_QUICK_SWEEP: scripts/test.sh sets it in the AddressSanitizer stage, where the point is
// memory errors on every code path, not the behaviour at every rate (the plain stage checks all 12
// rows). Each rate once, with the smallest, an odd and the largest block: 44.1k/1, 48k/37, 96k/4096.
inline bool quickSweep() {
    return qEnvironmentVariableIsSet("CHRONUS_QUICK_SWEEP");
}

inline bool inQuickSweep(double sampleRate, int blockSize) {
    return (sampleRate == 44100.0 && blockSize == 1) || (sampleRate == 48000.0 && blockSize == 37) ||
           (sampleRate == 96000.0 && blockSize == 4096);
}

inline void addRateBlockRows() {
    addRateBlockColumns();
    const bool quick = quickSweep();
    for (double sampleRate : kSampleRates)
        for (int blockSize : kBlockSizes)
            if (!quick || inQuickSweep(sampleRate, blockSize))
                QTest::newRow(qPrintable(rateBlockName(sampleRate, blockSize))) << sampleRate << blockSize;
}

// Measured figures are printed only when CHRONUS_TEST_FIGURES is set: a pass stays quiet, and anyone
// who wants the numbers behind a claim can see them.
inline void reportFigure(const QString& text) {
    if (qEnvironmentVariableIsSet("CHRONUS_TEST_FIGURES"))
        qInfo().noquote() << text;
}

// Appends `src` to `dst` (renders done in pieces, with events between them).
inline void append(std::vector<float>& dst, const std::vector<float>& src) {
    dst.insert(dst.end(), src.begin(), src.end());
}

} // namespace chronus::test
