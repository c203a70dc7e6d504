#pragma once
// Poly kernels against the mono path: a module type rendered with C channels (each input's channels
// made by one mono source per channel, put together with merge, or one mono cable shared by every
// channel) and one channel taken apart with split, beside the same module type rendered mono with
// channel k's sources alone. Used by the tests of each polyphonic module.

#include "EngineTestUtils.hpp"

#include "engine/OfflineRenderer.hpp"
#include "engine/PatchGraph.hpp"
#include "engine/Simd.hpp"

#include <QTest>

#include <functional>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace chronus::test::poly {

// One input of the module under test. `make(graph, c)` adds the mono source of channel c (c = -1
// for a shared feed) and returns the port to connect ("osc3" or "lfo.out").
struct Feed {
    std::string port;
    bool shared = false; // one mono cable feeds every channel
    std::function<std::string(engine::PatchGraph&, int)> make;
};

struct Case {
    const char* type = nullptr;
    std::vector<std::pair<std::string, double>> params;
    std::vector<Feed> feeds;
    std::string output; // the module's output port
};

inline int channelsOf(const engine::PatchGraph& graph, const char* id, int port = 0) {
    return graph.channelLayout()
        .outputs[static_cast<std::size_t>(graph.indexOf(id))][static_cast<std::size_t>(port)];
}

// Channel k of the module's output, with `channels` channels (1: the mono module fed channel k),
// `frames` at 48 kHz in blocks of `block`; `edit` runs on the renderer after the first half, so a
// live change (a ramping param, a gate event) lands mid-render. Empty on a failed setup.
inline std::vector<float> renderChannel(const Case& tc, engine::simd::Level level, int channels, int k,
                                        int block, std::size_t frames,
                                        const std::function<void(engine::OfflineRenderer&)>& edit = {}) {
    engine::simd::setLevel(level);
    engine::OfflineRenderer r{48000.0, block};
    engine::PatchGraph& g = r.graph();
    bool ok = g.addModule("dut", tc.type).ok();
    for (const auto& [name, value] : tc.params)
        ok = ok && g.setParam("dut", name, value).status().ok();
    for (const Feed& f : tc.feeds) {
        const std::string to = "dut." + f.port;
        if (f.shared) {
            ok = ok && g.connect(f.make(g, -1), to).ok();
        } else if (channels == 1) {
            ok = ok && g.connect(f.make(g, k), to).ok();
        } else {
            const std::string merge = "merge_" + f.port;
            ok = ok && g.addModule(merge, "merge").ok();
            for (int c = 0; c < channels; ++c)
                ok = ok && g.connect(f.make(g, c), merge + ".in" + std::to_string(c + 1)).ok();
            ok = ok && g.connect(merge, to).ok();
        }
    }
    const std::string from = "dut." + tc.output;
    if (channels == 1) {
        ok = ok && g.connect(from, "out.left").ok();
    } else {
        ok = ok && g.addModule("split", "split").ok() && g.connect(from, "split").ok() &&
             g.connect("split.out" + std::to_string(k + 1), "out.left").ok();
    }
    if (!ok || channelsOf(g, "dut") != channels)
        return {};
    auto first = r.renderFrames(frames / 2);
    if (!first)
        return {};
    if (edit)
        edit(r);
    auto second = r.renderFrames(frames - frames / 2);
    if (!second)
        return {};
    std::vector<float> out = first->left;
    out.insert(out.end(), second->left.begin(), second->left.end());
    return out;
}

// The largest difference between two renders, relative to the larger peak (1 when sizes differ).
inline double relativeDifference(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size() || a.empty())
        return 1.0;
    double diff = 0.0, peak = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        diff = std::max(diff, std::abs(double(a[i]) - double(b[i])));
        peak = std::max({peak, std::abs(double(a[i])), std::abs(double(b[i]))});
    }
    return peak > 0.0 ? diff / peak : diff;
}

// The data rows of a poly-against-mono test: columns `mode` and `block`, each mode at blocks 1, 37
// and 64 ("shared gate, block 37").
inline void addModeBlockRows(std::initializer_list<const char*> modes) {
    QTest::addColumn<QString>("mode");
    QTest::addColumn<int>("block");
    for (const char* mode : modes)
        for (int block : {1, 37, 64})
            QTest::newRow(qPrintable(QStringLiteral("%1, block %2").arg(QLatin1String(mode)).arg(block)))
                << QString::fromLatin1(mode) << block;
}

} // namespace chronus::test::poly
