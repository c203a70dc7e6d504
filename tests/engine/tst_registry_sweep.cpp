// Every registered module type, alone in a patch, at three sample rates and four block sizes: on
// unconnected inputs, on silence, on white noise, with its parameters at their defaults, at their
// limits (all together and one at a time) and swept live across the whole range. Whatever it does,
// the output stays finite, bounded and free of DC runaway.

#include "EngineTestUtils.hpp"
#include "engine/ModuleRegistry.hpp"
#include "engine/OfflineRenderer.hpp"
#include "support/SignalAnalysis.hpp"

#include <QObject>
#include <QTest>

#include <cmath>
#include <span>
#include <string>
#include <vector>

namespace chronus::test {

using engine::ModuleRegistry;
using engine::ModuleType;
using engine::OfflineRenderer;
using engine::PatchGraph;
using engine::Signal;

namespace {

constexpr double kSeconds = 1.0;
// Loud but legitimate: a mixer with every level at 2 on four noise inputs, an LFO at offset 5 and
// depth 5, a filter resonating at Q 40. Anything beyond is a module out of control.
constexpr float kMaxPeak = 16.0f;
// Noise level on audio and CV inputs; gate inputs get full scale so that they cross 0.5 and toggle.
constexpr double kNoiseGain = 0.5;

enum class Drive { Unconnected, Silence, Noise };

const char* driveName(Drive d) {
    switch (d) {
    case Drive::Unconnected:
        return "unconnected";
    case Drive::Silence:
        return "silence";
    case Drive::Noise:
        return "noise";
    }
    return "?";
}

// A full set of parameter values for the module under test, and optionally a second set it moves
// to live, in the middle of the render (ramped, as a knob turn would).
struct Setting {
    std::string name;
    std::vector<double> values;
    std::vector<double> liveTarget;
};

std::vector<Setting> settingsFor(const ModuleType& type) {
    std::vector<double> defaults, mins, maxes;
    for (const engine::ParamSpec& p : type.params) {
        defaults.push_back(static_cast<double>(p.def));
        mins.push_back(static_cast<double>(p.min));
        maxes.push_back(static_cast<double>(p.max));
    }
    std::vector<Setting> settings{{"defaults", defaults, {}},
                                  {"all at min", mins, {}},
                                  {"all at max", maxes, {}},
                                  {"min to max live", mins, maxes},
                                  {"max to min live", maxes, mins}};
    for (std::size_t i = 0; i < type.params.size(); ++i) {
        if (type.params[i].flags & engine::ParamHidden)
            continue; // one of many alike (sequencer steps): covered by the all-min/all-max rows
        Setting low{std::string(type.params[i].id) + " at min", defaults, {}};
        low.values[i] = mins[i];
        Setting high{std::string(type.params[i].id) + " at max", defaults, {}};
        high.values[i] = maxes[i];
        settings.push_back(std::move(low));
        settings.push_back(std::move(high));
    }
    return settings;
}

std::vector<Drive> drivesFor(const ModuleType& type) {
    if (type.inputs.empty())
        return {Drive::Unconnected};
    return {Drive::Unconnected, Drive::Silence, Drive::Noise};
}

// The module under test `dut` with `setting`, each input fed according to `drive`, and output
// `port` to both sides of `out`.
bool buildPatch(PatchGraph& g, const ModuleType& type, const Setting& setting, Drive drive,
                std::size_t port) {
    if (!g.addModule("dut", type.id))
        return false;
    for (std::size_t i = 0; i < type.params.size(); ++i)
        if (!g.setParam("dut", type.params[i].id, setting.values[i]))
            return false;
    if (drive != Drive::Unconnected) {
        for (const engine::PortSpec& input : type.inputs) {
            // One noise module per input: uncorrelated, as separate sources would be.
            const std::string source = std::string("src_") + input.id;
            const double gain = drive == Drive::Silence ? 0.0 : input.kind == Signal::Gate ? 1.0 : kNoiseGain;
            if (!g.addModule(source, "noise") || !g.setParam(source, "gain", gain) ||
                !g.connect(source, std::string("dut.") + input.id))
                return false;
        }
    }
    return g.connect(std::string("dut.") + type.outputs[port].id, "out").ok();
}

// CHRONUS_SWEEP_RATES ("44100,48000"): only those sample rates. ctest runs the sweep, the longest
// test, as two halves of equal work side by side (tests/engine/CMakeLists.txt); unset, all rates.
bool rateSelected(double sampleRate) {
    const QByteArray rates = qgetenv("CHRONUS_SWEEP_RATES");
    if (rates.isEmpty())
        return true;
    for (const QByteArray& rate : rates.split(','))
        if (rate.trimmed().toDouble() == sampleRate)
            return true;
    return false;
}
} // namespace

class TestRegistrySweep : public QObject {
    Q_OBJECT

private slots:
    void registryListsCreatableTypes();
    void everyModuleStaysFiniteBoundedWithoutDcRunaway_data();
    void everyModuleStaysFiniteBoundedWithoutDcRunaway();
};

void TestRegistrySweep::registryListsCreatableTypes() {
    const auto types = ModuleRegistry::instance().types();
    QVERIFY(types.size() >= 11);
    for (const ModuleType* type : types) {
        QVERIFY(type->create != nullptr);
        QCOMPARE(ModuleRegistry::instance().find(type->id), type);
        const std::unique_ptr<engine::Module> module = type->create(*type);
        QCOMPARE(&module->type(), type);
        for (std::size_t i = 0; i < type->params.size(); ++i) {
            const engine::ParamSpec& p = type->params[i];
            QVERIFY2(p.min <= p.def && p.def <= p.max, p.id);
            QCOMPARE(module->paramTarget(static_cast<engine::ParamIndex>(i)), p.def);
        }
    }
}

void TestRegistrySweep::everyModuleStaysFiniteBoundedWithoutDcRunaway_data() {
    QTest::addColumn<QString>("type");
    addRateBlockColumns();
    for (const ModuleType* type : ModuleRegistry::instance().types()) {
        if (type->id == ModuleRegistry::kOutputType)
            continue; // the implicit `out`, present in every patch below
        // CHRONUS_QUICK_SWEEP (the sanitizer stage, where the point is memory errors, not the
        // rates): three rows per module, one odd block size, one large, each rate once.
        const bool quick = qEnvironmentVariableIsSet("CHRONUS_QUICK_SWEEP");
        for (double sampleRate : kSampleRates)
            for (int blockSize : kBlockSizes) {
                if (!rateSelected(sampleRate))
                    continue;
                if (quick && !((sampleRate == 48000.0 && blockSize == 37) || (sampleRate == 96000.0 && blockSize == 4096) ||
                               (sampleRate == 44100.0 && blockSize == 64)))
                    continue;
                QTest::addRow("%s/%s", type->id, qPrintable(rateBlockName(sampleRate, blockSize)))
                    << QString::fromLatin1(type->id) << sampleRate << blockSize;
            }
    }
}

void TestRegistrySweep::everyModuleStaysFiniteBoundedWithoutDcRunaway() {
    QFETCH(QString, type);
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    const ModuleType& t = *ModuleRegistry::instance().find(type.toStdString());
    const std::size_t frames = static_cast<std::size_t>(kSeconds * sampleRate);
    const std::size_t quarter = frames / 4;
    float loudest = 0.0f;
    for (const Setting& setting : settingsFor(t))
        for (Drive drive : drivesFor(t))
            for (std::size_t port = 0; port < t.outputs.size(); ++port) {
                const QString what =
                    QStringLiteral("%1, %2, output %3")
                        .arg(QString::fromStdString(setting.name), driveName(drive), t.outputs[port].id);
                OfflineRenderer r{sampleRate, blockSize};
                QVERIFY2(buildPatch(r.graph(), t, setting, drive, port), qPrintable(what));
                // `out` adds a poly cable's channels up: the bound is per channel.
                const auto channelsNow = [&] {
                    const auto dut = static_cast<std::size_t>(r.graph().indexOf("dut"));
                    return static_cast<int>(r.graph().channelLayout().outputs[dut][port]);
                };
                int channels = channelsNow();
                std::vector<float> out;
                if (setting.liveTarget.empty()) {
                    auto rendered = r.renderFrames(frames);
                    CHRONUS_VERIFY_OK(rendered);
                    out = std::move(rendered->left);
                } else {
                    auto first = r.renderFrames(quarter + 11);
                    CHRONUS_VERIFY_OK(first);
                    for (std::size_t i = 0; i < t.params.size(); ++i)
                        CHRONUS_VERIFY_OK(r.setParam("dut", t.params[i].id, setting.liveTarget[i]));
                    auto rest = r.renderFrames(frames - quarter - 11);
                    CHRONUS_VERIFY_OK(rest);
                    out = std::move(first->left);
                    append(out, rest->left);
                }
                QVERIFY2(allFinite(out), qPrintable(what));
                channels = std::max(channels, channelsNow());
                const float p = peak(out) / static_cast<float>(channels);
                loudest = std::max(loudest, p);
                QVERIFY2(p < kMaxPeak, qPrintable(QStringLiteral("%1: peak %2 per channel of %3")
                                                      .arg(what)
                                                      .arg(p)
                                                      .arg(channels)));
                // DC runaway: the mean of the last quarter may not exceed the largest excursion
                // before it (counted from the second quarter when the params moved live in the
                // first: a 99 % pulse has a DC of 0.98 by right, but not out of silence). Lenient on
                // purpose, since a slow LFO or pink noise wanders by design: it catches an offset
                // that outgrows the signal. The stricter check on silent inputs follows.
                const std::span<const float> all(out);
                const std::size_t referenceStart = setting.liveTarget.empty() ? 0 : quarter;
                const float before = peak(all.subspan(referenceStart, frames - quarter - referenceStart));
                const double lastMean = mean(all.last(quarter));
                QVERIFY2(std::fabs(lastMean) <= static_cast<double>(before) + 0.05,
                         qPrintable(QStringLiteral("%1: mean %2 at the end, peak %3 before")
                                        .arg(what)
                                        .arg(lastMean)
                                        .arg(before)));
                // On silent inputs there is nothing to wander with: the module has settled by the
                // third quarter, so the last one has the same mean (up to a partial cycle of an
                // oscillator); a drifting offset moves it.
                // Gate outputs (a clock's beat, a sequencer's gate) are 0/1 pulses, slower than a
                // quarter of this render, and CV outputs (an LFO's sample & hold, a slow tempo-synced
                // wave) move by design: their mean per quarter swings. Audio outputs must settle.
                if (drive == Drive::Silence && t.outputs[port].kind == Signal::Audio) {
                    const double thirdMean = mean(all.subspan(2 * quarter, quarter));
                    QVERIFY2(std::fabs(lastMean - thirdMean) <= 0.05 * static_cast<double>(p) + 1e-4,
                             qPrintable(QStringLiteral("%1: mean drifted from %2 to %3")
                                            .arg(what)
                                            .arg(thirdMean)
                                            .arg(lastMean)));
                }
            }
    reportFigure(
        QStringLiteral("%1 @ %2/%3: loudest peak %4").arg(type).arg(sampleRate).arg(blockSize).arg(loudest));
}

} // namespace chronus::test

QTEST_APPLESS_MAIN(chronus::test::TestRegistrySweep)
#include "tst_registry_sweep.moc"
