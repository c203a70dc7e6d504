// The patch graph: what may be connected, what the audio follows (summing, fan-out, order, the
// sinks-to-out rule), and the error each kind of bad edit gets.

#include "EngineTestUtils.hpp"
#include "engine/ModuleRegistry.hpp"
#include "engine/OfflineRenderer.hpp"
#include "engine/PatchGraph.hpp"
#include "support/SignalAnalysis.hpp"

#include <QObject>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace chronus::test {

using engine::Cable;
using engine::ErrorCode;
using engine::OfflineRenderer;
using engine::PatchGraph;

namespace {

constexpr double kSeconds = 0.05;

QString messageOf(const engine::Status& s) {
    return QString::fromStdString(s.message());
}

float maxDifference(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size())
        return std::numeric_limits<float>::infinity();
    float d = 0.0f;
    for (std::size_t i = 0; i < a.size(); ++i)
        d = std::max(d, std::fabs(a[i] - b[i]));
    return d;
}

std::size_t cablesTouching(const PatchGraph& g, const std::string& id) {
    return static_cast<std::size_t>(std::count_if(
        g.cables().begin(), g.cables().end(), [&](const Cable& c) { return c.from == id || c.to == id; }));
}

// Adds a sine `id` at `freq` and `gain`; false on any error.
bool addSine(PatchGraph& g, const char* id, double freq, double gain) {
    return g.addModule(id, "sine") && g.setParam(id, "freq", freq) && g.setParam(id, "gain", gain);
}

} // namespace

class TestGraph : public QObject {
    Q_OBJECT

private slots:
    void cycleRejectedWithPathInMessage_data();
    void cycleRejectedWithPathInMessage();
    void fanInSumsSources_data();
    void fanInSumsSources();
    void fanOutFeedsEveryDestination_data();
    void fanOutFeedsEveryDestination();
    void topologicalOrderRendersChainsInOneBlock_data();
    void topologicalOrderRendersChainsInOneBlock();
    void unpatchedOutTakesEverySink_data();
    void unpatchedOutTakesEverySink();
    void bareOutFeedsBothChannels();
    void duplicateAndInvalidIdsRejected();
    void unknownTypeMessageListsKnownTypes();
    void unknownPortMessageListsPorts();
    void unknownParamMessageListsParams();
    void predecessorAliasesAccepted();
    void duplicateCableAndMissingCableRejected();
    void removeModuleRemovesItsCables();
    void outCannotBeDeleted();
    void outputModuleCannotBeCreatedAndSaysWhy();
    void discreteParamsTakeTheirLabels();
    void everyLabelListCoversItsRange();
    void frequencyIsThePredecessorsNameForFreq();
    void setParamClampsAndReturnsAppliedValue_data();
    void setParamClampsAndReturnsAppliedValue();
    void liveSetParamClampsToRange();
};

void TestGraph::cycleRejectedWithPathInMessage_data() {
    QTest::addColumn<QStringList>("existing"); // "from>to" cables made first
    QTest::addColumn<QString>("from");
    QTest::addColumn<QString>("to");
    QTest::addColumn<QString>("path");
    QTest::newRow("self") << QStringList{} << "a"
                          << "a.cv"
                          << "a -> a";
    QTest::newRow("pair") << QStringList{"b>a"} << "a"
                          << "b"
                          << "a -> b -> a";
    QTest::newRow("pair via cv") << QStringList{"b>a.cv"} << "a"
                                 << "b.cv"
                                 << "a -> b -> a";
    QTest::newRow("three") << QStringList{"a>b", "b>c"} << "c"
                           << "a"
                           << "c -> a -> b -> c";
    QTest::newRow("four, branching") << QStringList{"a>b", "a>d", "d>c", "b>c"} << "c"
                                     << "a.cv"
                                     << "c -> a -> b -> c";
}

void TestGraph::cycleRejectedWithPathInMessage() {
    QFETCH(QStringList, existing);
    QFETCH(QString, from);
    QFETCH(QString, to);
    QFETCH(QString, path);
    PatchGraph g;
    for (const char* id : {"a", "b", "c", "d"})
        CHRONUS_VERIFY_OK(g.addModule(id, "vca"));
    for (const QString& cable : existing)
        CHRONUS_VERIFY_OK(
            g.connect(qPrintable(cable.section('>', 0, 0)), qPrintable(cable.section('>', 1, 1))));
    const std::vector<Cable> before = g.cables();
    const engine::Status s = g.connect(qPrintable(from), qPrintable(to));
    QVERIFY(!s.ok());
    QCOMPARE(s.code(), ErrorCode::Cycle);
    QVERIFY2(messageOf(s).endsWith(path), qPrintable(messageOf(s)));
    QVERIFY(g.cables() == before); // a rejected edit changes nothing
}

void TestGraph::fanInSumsSources_data() {
    addRateBlockRows();
}

void TestGraph::fanInSumsSources() {
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    // Reference: the two sines apart, one per channel.
    OfflineRenderer apart{sampleRate, blockSize};
    QVERIFY(addSine(apart.graph(), "s1", 440.0, 0.3) && addSine(apart.graph(), "s2", 659.0, 0.4));
    CHRONUS_VERIFY_OK(apart.graph().connect("s1", "out.left"));
    CHRONUS_VERIFY_OK(apart.graph().connect("s2", "out.right"));
    auto reference = apart.render(kSeconds);
    CHRONUS_VERIFY_OK(reference);
    std::vector<float> sum(reference->frames());
    for (std::size_t i = 0; i < sum.size(); ++i)
        sum[i] = reference->left[i] + reference->right[i];

    // Both into one module input (left), and both straight into one output input (right).
    OfflineRenderer together{sampleRate, blockSize};
    PatchGraph& g = together.graph();
    QVERIFY(addSine(g, "s1", 440.0, 0.3) && addSine(g, "s2", 659.0, 0.4));
    CHRONUS_VERIFY_OK(g.addModule("amp", "vca"));
    CHRONUS_VERIFY_OK(g.connect("s1", "amp.in"));
    CHRONUS_VERIFY_OK(g.connect("s2", "amp.in"));
    CHRONUS_VERIFY_OK(g.connect("amp", "out.left"));
    CHRONUS_VERIFY_OK(g.connect("s1", "out.right"));
    CHRONUS_VERIFY_OK(g.connect("s2", "out.right"));
    auto rendered = together.render(kSeconds);
    CHRONUS_VERIFY_OK(rendered);
    QVERIFY(peak(sum) > 0.5f);
    QVERIFY2(maxDifference(rendered->left, sum) < 1e-6f,
             qPrintable(QString::number(maxDifference(rendered->left, sum))));
    QVERIFY2(maxDifference(rendered->right, sum) < 1e-6f,
             qPrintable(QString::number(maxDifference(rendered->right, sum))));
}

void TestGraph::fanOutFeedsEveryDestination_data() {
    addRateBlockRows();
}

void TestGraph::fanOutFeedsEveryDestination() {
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    OfflineRenderer alone{sampleRate, blockSize};
    QVERIFY(addSine(alone.graph(), "osc", 440.0, 0.5));
    CHRONUS_VERIFY_OK(alone.graph().connect("osc", "out.left"));
    auto reference = alone.render(kSeconds);
    CHRONUS_VERIFY_OK(reference);

    // One output into two VCAs of different levels, one per channel.
    OfflineRenderer r{sampleRate, blockSize};
    PatchGraph& g = r.graph();
    QVERIFY(addSine(g, "osc", 440.0, 0.5));
    CHRONUS_VERIFY_OK(g.addModule("quiet", "vca"));
    CHRONUS_VERIFY_OK(g.addModule("loud", "vca"));
    CHRONUS_VERIFY_OK(g.setParam("quiet", "level", 0.5));
    CHRONUS_VERIFY_OK(g.setParam("loud", "level", 2.0));
    CHRONUS_VERIFY_OK(g.connect("osc", "quiet"));
    CHRONUS_VERIFY_OK(g.connect("osc", "loud"));
    CHRONUS_VERIFY_OK(g.connect("quiet", "out.left"));
    CHRONUS_VERIFY_OK(g.connect("loud", "out.right"));
    auto rendered = r.render(kSeconds);
    CHRONUS_VERIFY_OK(rendered);
    std::vector<float> half(reference->left), twice(reference->left);
    for (float& v : half)
        v *= 0.5f;
    for (float& v : twice)
        v *= 2.0f;
    QVERIFY(peak(reference->left) > 0.4f);
    QVERIFY(maxDifference(rendered->left, half) < 1e-6f);
    QVERIFY(maxDifference(rendered->right, twice) < 1e-6f);
}

void TestGraph::topologicalOrderRendersChainsInOneBlock_data() {
    addRateBlockRows();
}

void TestGraph::topologicalOrderRendersChainsInOneBlock() {
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    // Modules added against the signal flow: v3 <- v2 <- v1 <- osc, and an LFO into v2's CV.
    OfflineRenderer r{sampleRate, blockSize};
    PatchGraph& g = r.graph();
    for (const char* id : {"v3", "v2", "v1"})
        CHRONUS_VERIFY_OK(g.addModule(id, "vca"));
    CHRONUS_VERIFY_OK(g.addModule("lfo", "lfo"));
    CHRONUS_VERIFY_OK(g.setParam("lfo", "depth", 0.0));
    CHRONUS_VERIFY_OK(g.setParam("lfo", "offset", 1.0));
    QVERIFY(addSine(g, "osc", 440.0, 0.5));
    CHRONUS_VERIFY_OK(g.connect("osc", "v1"));
    CHRONUS_VERIFY_OK(g.connect("v1", "v2"));
    CHRONUS_VERIFY_OK(g.connect("lfo", "v2.cv"));
    CHRONUS_VERIFY_OK(g.connect("v2", "v3"));
    CHRONUS_VERIFY_OK(g.connect("v3", "out"));

    const std::vector<std::size_t> order = g.topologicalOrder();
    QCOMPARE(order.size(), g.nodes().size());
    auto position = [&](const std::string& id) {
        for (std::size_t i = 0; i < order.size(); ++i)
            if (g.nodes()[order[i]].id == id)
                return i;
        return order.size();
    };
    for (const Cable& c : g.cables())
        QVERIFY2(position(c.from) < position(c.to),
                 qPrintable(QString::fromStdString(c.from + " after " + c.to)));
    // Ties keep insertion order: the LFO (added before osc) comes first of the two sources.
    QVERIFY(position("lfo") < position("osc"));

    // Rendered in that order, the chain of unity VCAs passes the sine in the same block, sample for
    // sample; a wrong order would delay it by a block or silence it.
    auto rendered = r.render(kSeconds);
    CHRONUS_VERIFY_OK(rendered);
    OfflineRenderer direct{sampleRate, blockSize};
    QVERIFY(addSine(direct.graph(), "osc", 440.0, 0.5));
    auto reference = direct.render(kSeconds);
    CHRONUS_VERIFY_OK(reference);
    QVERIFY(peak(reference->left) > 0.4f);
    QVERIFY(maxDifference(rendered->left, reference->left) < 1e-6f);
}

void TestGraph::unpatchedOutTakesEverySink_data() {
    addRateBlockRows();
}

void TestGraph::unpatchedOutTakesEverySink() {
    QFETCH(double, sampleRate);
    QFETCH(int, blockSize);
    OfflineRenderer a{sampleRate, blockSize}, b{sampleRate, blockSize};
    QVERIFY(addSine(a.graph(), "s1", 440.0, 0.3));
    QVERIFY(addSine(b.graph(), "s2", 659.0, 0.4));
    auto sine1 = a.render(kSeconds), sine2 = b.render(kSeconds);
    CHRONUS_VERIFY_OK(sine1);
    CHRONUS_VERIFY_OK(sine2);
    std::vector<float> sum(sine1->left);
    for (std::size_t i = 0; i < sum.size(); ++i)
        sum[i] += sine2->left[i];

    // Nothing patched to `out`: both sinks go to both channels. `s1` feeds a VCA, so only the VCA
    // (the end of that chain) is a sink.
    OfflineRenderer r{sampleRate, blockSize};
    PatchGraph& g = r.graph();
    QVERIFY(addSine(g, "s1", 440.0, 0.3) && addSine(g, "s2", 659.0, 0.4));
    CHRONUS_VERIFY_OK(g.addModule("amp", "vca"));
    CHRONUS_VERIFY_OK(g.connect("s1", "amp"));
    QCOMPARE(g.effectiveCables().size(), g.cables().size() + 4);
    auto both = r.render(kSeconds);
    CHRONUS_VERIFY_OK(both);
    QVERIFY(maxDifference(both->left, sum) < 1e-6f);
    QVERIFY(maxDifference(both->right, sum) < 1e-6f);

    // Once anything reaches `out`, only what is patched is heard.
    CHRONUS_VERIFY_OK(g.connect("amp", "out.left"));
    QVERIFY(g.effectiveCables() == g.cables());
    auto patched = r.render(kSeconds);
    CHRONUS_VERIFY_OK(patched);
    QVERIFY(maxDifference(patched->left, sine1->left) < 1e-6f);
    QCOMPARE(peak(patched->right), 0.0f);
}

void TestGraph::bareOutFeedsBothChannels() {
    OfflineRenderer r{48000.0, 64};
    PatchGraph& g = r.graph();
    QVERIFY(addSine(g, "osc", 440.0, 0.5));
    CHRONUS_VERIFY_OK(g.addModule("other", "sine")); // a sink that must not be heard
    CHRONUS_VERIFY_OK(g.connect("osc", "out"));
    QCOMPARE(g.cables().size(), std::size_t{2});
    QVERIFY((g.cables()[0] == Cable{"osc", 0, "out", 0}));
    QVERIFY((g.cables()[1] == Cable{"osc", 0, "out", 1}));
    auto rendered = r.render(kSeconds);
    CHRONUS_VERIFY_OK(rendered);
    QVERIFY(peak(rendered->left) > 0.4f);
    QVERIFY(rendered->left == rendered->right);
    QVERIFY(std::fabs(estimateFrequency(rendered->left, 48000.0) - 440.0) < 1.0);
    // Disconnecting from bare `out` removes both cables.
    CHRONUS_VERIFY_OK(g.disconnect("osc", "out"));
    QVERIFY(g.cables().empty());
}

void TestGraph::duplicateAndInvalidIdsRejected() {
    PatchGraph g;
    CHRONUS_VERIFY_OK(g.addModule("osc1", "saw"));
    for (const char* id : {"osc1", "out"}) {
        const engine::Status s = g.addModule(id, "sine");
        QCOMPARE(s.code(), ErrorCode::DuplicateId);
        QVERIFY2(messageOf(s).contains(QLatin1String(id)), qPrintable(messageOf(s)));
    }
    for (const char* id : {"", "a.b", "has space", "x/y"})
        QCOMPARE(g.addModule(id, "sine").code(), ErrorCode::InvalidId);
    QCOMPARE(g.nodes().size(), std::size_t{2});
    QCOMPARE(QString::fromLatin1(g.find("osc1")->type->id), QStringLiteral("saw"));
}

void TestGraph::unknownTypeMessageListsKnownTypes() {
    PatchGraph g;
    for (const char* type : {"wobbulator", "theremin"}) {
        const engine::Status s = g.addModule("x", type);
        QCOMPARE(s.code(), ErrorCode::UnknownModuleType);
        const QString message = messageOf(s);
        QVERIFY2(message.contains(QLatin1String(type)), qPrintable(message));
        for (const engine::ModuleType* t : engine::ModuleRegistry::instance().types())
            if (t->id != engine::ModuleRegistry::kOutputType)
                QVERIFY2(message.contains(QLatin1String(t->id)), qPrintable(message + " lacks " + t->id));
    }
    QCOMPARE(g.nodes().size(), std::size_t{1});
}

void TestGraph::unknownPortMessageListsPorts() {
    PatchGraph g;
    CHRONUS_VERIFY_OK(g.addModule("f", "svf"));
    CHRONUS_VERIFY_OK(g.addModule("osc", "saw"));
    const engine::Status badOut = g.connect("f.wah", "out");
    QCOMPARE(badOut.code(), ErrorCode::UnknownPort);
    QVERIFY2(messageOf(badOut).contains("wah") && messageOf(badOut).contains("lp, bp, hp"),
             qPrintable(messageOf(badOut)));
    const engine::Status badIn = g.connect("osc", "f.input");
    QCOMPARE(badIn.code(), ErrorCode::UnknownPort);
    QVERIFY2(messageOf(badIn).contains("input") && messageOf(badIn).contains("in, cutoff"),
             qPrintable(messageOf(badIn)));
    const engine::Status badOutput = g.connect("osc", "out.center");
    QCOMPARE(badOutput.code(), ErrorCode::UnknownPort);
    QVERIFY2(messageOf(badOutput).contains("left, right"), qPrintable(messageOf(badOutput)));
    const engine::Status unknownModule = g.connect("osc", "nobody.in");
    QCOMPARE(unknownModule.code(), ErrorCode::UnknownModule);
    QVERIFY2(messageOf(unknownModule).contains("nobody"), qPrintable(messageOf(unknownModule)));
    QVERIFY(g.cables().empty());
}

void TestGraph::unknownParamMessageListsParams() {
    PatchGraph g;
    CHRONUS_VERIFY_OK(g.addModule("f", "svf"));
    const std::vector<double> before = g.find("f")->params;
    auto r = g.setParam("f", "wah", 1.0);
    QCOMPARE(r.status().code(), ErrorCode::UnknownParam);
    QVERIFY2(messageOf(r.status()).contains("wah") && messageOf(r.status()).contains("cutoff, q"),
             qPrintable(messageOf(r.status())));
    QCOMPARE(g.setParam("nobody", "cutoff", 1.0).status().code(), ErrorCode::UnknownModule);
    QCOMPARE(g.setParam("f", "cutoff", std::nan("")).status().code(), ErrorCode::InvalidValue);
    QVERIFY(g.find("f")->params == before);
}

void TestGraph::predecessorAliasesAccepted() {
    PatchGraph g;
    CHRONUS_VERIFY_OK(g.addModule("s", "simple_sine"));
    CHRONUS_VERIFY_OK(g.addModule("b", "biquad_filter"));
    CHRONUS_VERIFY_OK(g.addModule("f", "svf"));
    QCOMPARE(QString::fromLatin1(g.find("s")->type->id), QStringLiteral("sine"));
    QCOMPARE(QString::fromLatin1(g.find("b")->type->id), QStringLiteral("biquad"));
    for (const char* id : {"b", "f"}) {
        auto applied = g.setParam(id, "resonance", 5.5);
        CHRONUS_VERIFY_OK(applied);
        QCOMPARE(applied.value(), 5.5);
        const engine::PatchNode& node = *g.find(id);
        QCOMPARE(node.params[static_cast<std::size_t>(node.type->findParam("q"))], 5.5);
    }
    CHRONUS_VERIFY_OK(g.connect("s", "b"));
    CHRONUS_VERIFY_OK(g.connect("b", "out"));
}

void TestGraph::duplicateCableAndMissingCableRejected() {
    PatchGraph g;
    CHRONUS_VERIFY_OK(g.addModule("osc", "saw"));
    CHRONUS_VERIFY_OK(g.connect("osc", "out.left"));
    QCOMPARE(g.connect("osc.out", "out.left").code(), ErrorCode::AlreadyConnected);
    // Bare `out` adds the missing right side only.
    CHRONUS_VERIFY_OK(g.connect("osc", "out"));
    QCOMPARE(g.cables().size(), std::size_t{2});
    QCOMPARE(g.disconnect("osc", "out.left").code(), ErrorCode::None);
    QCOMPARE(g.disconnect("osc", "out.left").code(), ErrorCode::NotConnected);
    QCOMPARE(g.cables().size(), std::size_t{1});
}

void TestGraph::removeModuleRemovesItsCables() {
    PatchGraph g;
    CHRONUS_VERIFY_OK(g.addModule("osc", "saw"));
    CHRONUS_VERIFY_OK(g.addModule("amp", "vca"));
    CHRONUS_VERIFY_OK(g.addModule("mod", "lfo"));
    CHRONUS_VERIFY_OK(g.addModule("filter", "svf"));
    CHRONUS_VERIFY_OK(g.connect("osc", "amp"));
    CHRONUS_VERIFY_OK(g.connect("mod", "amp.cv"));
    CHRONUS_VERIFY_OK(g.connect("amp", "filter"));
    CHRONUS_VERIFY_OK(g.connect("mod", "filter.cutoff"));
    CHRONUS_VERIFY_OK(g.connect("filter.lp", "out"));
    QCOMPARE(cablesTouching(g, "amp"), std::size_t{3});
    CHRONUS_VERIFY_OK(g.removeModule("amp"));
    QVERIFY(g.find("amp") == nullptr);
    QCOMPARE(cablesTouching(g, "amp"), std::size_t{0});
    QCOMPARE(g.cables().size(), std::size_t{3}); // mod -> filter.cutoff, filter.lp -> out (both sides)
    QCOMPARE(g.removeModule("amp").code(), ErrorCode::UnknownModule);
    // The id is free again and the graph still compiles.
    CHRONUS_VERIFY_OK(g.addModule("amp", "vca"));
    OfflineRenderer r{48000.0, 64};
    r.setGraph(g);
    CHRONUS_VERIFY_OK(r.render(0.01));
}

void TestGraph::outCannotBeDeleted() {
    PatchGraph g;
    CHRONUS_VERIFY_OK(g.addModule("osc", "saw"));
    CHRONUS_VERIFY_OK(g.connect("osc", "out"));
    const engine::Status s = g.removeModule("out");
    QCOMPARE(s.code(), ErrorCode::ProtectedModule);
    QVERIFY2(messageOf(s).contains("out"), qPrintable(messageOf(s)));
    QVERIFY(g.find("out") != nullptr);
    QCOMPARE(g.cables().size(), std::size_t{2});
    g.clear();
    QCOMPARE(g.nodes().size(), std::size_t{1});
    QCOMPARE(QString::fromStdString(g.nodes().front().id), QStringLiteral("out"));
}

// `out` is built in, one per patch: asking for another (by its id or its type) says so instead of
// calling the type unknown.
void TestGraph::outputModuleCannotBeCreatedAndSaysWhy() {
    PatchGraph g;
    for (const char* type : {"out", "output"}) {
        const engine::Status s = g.addModule("x", type);
        QCOMPARE(s.code(), ErrorCode::ProtectedModule);
        const QString message = messageOf(s);
        QVERIFY2(message.contains("built in") && message.contains("exactly one") &&
                     message.contains("'out'") && message.contains("'output'") &&
                     message.contains("out.left"),
                 qPrintable(message));
    }
    QCOMPARE(g.nodes().size(), std::size_t{1});
}

// `shape square`, `sync 1/8`, `mode fold`: a discrete parameter's label stands for its value (case
// aside), reads back as the label, and an unknown label names every valid one.
void TestGraph::discreteParamsTakeTheirLabels() {
    PatchGraph g;
    CHRONUS_VERIFY_OK(g.addModule("l1", "lfo"));
    CHRONUS_VERIFY_OK(g.addModule("d", "distortion"));
    CHRONUS_VERIFY_OK(g.addModule("lim", "limiter"));
    struct Case {
        const char* id;
        const char* param;
        const char* text;
        double value;
        const char* readsBack;
    };
    const Case cases[] = {
        {"l1", "shape", "square", 3.0, "square"}, {"l1", "shape", "S&H", 4.0, "s&h"},
        {"l1", "sync", "1/8", 4.0, "1/8"},        {"l1", "sync", "1/8t", 12.0, "1/8t"},
        {"l1", "sync", "off", 0.0, "off"},        {"d", "mode", "fold", 2.0, "fold"},
        {"d", "mode", "Crush", 3.0, "crush"},     {"lim", "true_peak", "off", 0.0, "off"},
    };
    for (const Case& c : cases) {
        auto applied = g.setText(c.id, c.param, c.text);
        CHRONUS_VERIFY_OK(applied);
        QCOMPARE(QString::fromStdString(applied.value()), QString::fromLatin1(c.readsBack));
        const engine::PatchNode& node = *g.find(c.id);
        QCOMPARE(node.params[static_cast<std::size_t>(node.type->findParam(c.param))], c.value);
        QCOMPARE(QString::fromStdString(PatchGraph::valueText(node, c.param)),
                 QString::fromLatin1(c.readsBack));
    }
    // A number still works, and reads back as its label.
    CHRONUS_VERIFY_OK(g.setParam("l1", "shape", 2.0));
    QCOMPARE(QString::fromStdString(PatchGraph::valueText(*g.find("l1"), "shape")), QStringLiteral("saw"));

    const PatchGraph before = g;
    auto bad = g.setText("l1", "shape", "squar");
    QCOMPARE(bad.status().code(), ErrorCode::InvalidValue);
    QVERIFY2(messageOf(bad.status()).contains("l1.shape") && messageOf(bad.status()).contains("'squar'") &&
                 messageOf(bad.status()).contains("sine, triangle, saw, square, s&h"),
             qPrintable(messageOf(bad.status())));
    bad = g.setText("l1", "sync", "1/7");
    QVERIFY2(messageOf(bad.status())
                 .contains("off, 1/1, 1/2, 1/4, 1/8, 1/16, 1/32, 1/2., 1/4., 1/8., 1/16., "
                           "1/4t, 1/8t, 1/16t"),
             qPrintable(messageOf(bad.status())));
    // A parameter without labels still wants a number.
    bad = g.setText("l1", "rate", "fast");
    QCOMPARE(bad.status().code(), ErrorCode::InvalidValue);
    QVERIFY2(messageOf(bad.status()).contains("takes a number"), qPrintable(messageOf(bad.status())));
    QVERIFY(g == before);
}

// Label i stands for min + i: every labelled parameter has exactly one label per value.
void TestGraph::everyLabelListCoversItsRange() {
    int labelled = 0;
    for (const engine::ModuleType* type : engine::ModuleRegistry::instance().types())
        for (const engine::ParamSpec& spec : type->params) {
            if (!spec.choices)
                continue;
            ++labelled;
            QVERIFY2(spec.flags & engine::ParamDiscrete, spec.id);
            const double count = static_cast<double>(spec.max) - static_cast<double>(spec.min) + 1.0;
            QVERIFY2(static_cast<double>(engine::paramLabels(spec).size()) == count,
                     qPrintable(QStringLiteral("%1.%2: %3 labels for %4 values")
                                    .arg(type->id, spec.id)
                                    .arg(engine::paramLabels(spec).size())
                                    .arg(count)));
            for (std::size_t i = 0; i < engine::paramLabels(spec).size(); ++i) {
                const double value = static_cast<double>(spec.min) + static_cast<double>(i);
                const std::string label = engine::paramLabel(spec, value);
                QVERIFY2(!label.empty(), spec.id);
                QCOMPARE(engine::paramLabelValue(spec, label).value_or(-1.0), value); // labels are distinct
            }
        }
    QVERIFY(labelled >= 8);
}

// The predecessor's clients say `frequency`; it is `freq` under another name, for every oscillator.
void TestGraph::frequencyIsThePredecessorsNameForFreq() {
    PatchGraph g;
    for (const char* type : {"sine", "saw", "square", "triangle", "simple_sine"}) {
        const std::string id = std::string("o_") + type;
        CHRONUS_VERIFY_OK(g.addModule(id, type));
        auto applied = g.setParam(id, "frequency", 660.0);
        CHRONUS_VERIFY_OK(applied);
        const engine::PatchNode& node = *g.find(id);
        QCOMPARE(node.params[static_cast<std::size_t>(node.type->findParam("freq"))], 660.0);
    }
}

void TestGraph::setParamClampsAndReturnsAppliedValue_data() {
    QTest::addColumn<QString>("type");
    QTest::addColumn<QString>("param");
    QTest::addColumn<double>("value");
    QTest::addColumn<double>("applied");
    QTest::newRow("in range") << "sine"
                              << "freq" << 123.5 << 123.5;
    QTest::newRow("above max") << "sine"
                               << "freq" << 1e6 << 20000.0;
    QTest::newRow("below min") << "sine"
                               << "freq" << -5.0 << 0.0;
    QTest::newRow("sustain above 1") << "adsr"
                                     << "sustain" << 2.0 << 1.0;
    QTest::newRow("attack below minimum segment") << "adsr"
                                                  << "attack" << 0.0 << 1.0;
    QTest::newRow("discrete rounds") << "biquad"
                                     << "mode" << 1.7 << 2.0;
    QTest::newRow("discrete clamps") << "biquad"
                                     << "mode" << 9.0 << 2.0;
    QTest::newRow("negative range") << "lfo"
                                    << "offset" << -9.0 << -5.0;
    QTest::newRow("alias clamps") << "svf"
                                  << "resonance" << 100.0 << 40.0;
}

void TestGraph::setParamClampsAndReturnsAppliedValue() {
    QFETCH(QString, type);
    QFETCH(QString, param);
    QFETCH(double, value);
    QFETCH(double, applied);
    PatchGraph g;
    CHRONUS_VERIFY_OK(g.addModule("m", qPrintable(type)));
    auto result = g.setParam("m", qPrintable(param), value);
    CHRONUS_VERIFY_OK(result);
    QCOMPARE(result.value(), applied);
    const engine::PatchNode& node = *g.find("m");
    QCOMPARE(node.params[static_cast<std::size_t>(node.type->findParam(qPrintable(param)))], applied);
}

void TestGraph::liveSetParamClampsToRange() {
    // A live change far above the range plays the maximum, not something else.
    constexpr double kRate = 96000.0;
    OfflineRenderer r{kRate, 64};
    QVERIFY(addSine(r.graph(), "osc", 440.0, 0.5));
    CHRONUS_VERIFY_OK(r.render(0.01));
    CHRONUS_VERIFY_OK(r.setParam("osc", "freq", 1e6));
    QCOMPARE(r.graph().find("osc")->params[0], 20000.0);
    CHRONUS_VERIFY_OK(r.render(0.02)); // past the ramp
    auto rendered = r.render(0.5);
    CHRONUS_VERIFY_OK(rendered);
    QVERIFY(allFinite(rendered->left));
    const double measured = estimateFrequency(rendered->left, kRate);
    QVERIFY2(std::fabs(centsBetween(measured, 20000.0)) < 0.1, qPrintable(QString::number(measured)));
    QCOMPARE(r.setParam("osc", "bogus", 1.0).code(), ErrorCode::UnknownParam);
}

} // namespace chronus::test

QTEST_APPLESS_MAIN(chronus::test::TestGraph)
#include "tst_graph.moc"
