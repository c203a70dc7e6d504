// PatchDiff, the editor's undo step: made from two patches, applied forward it gives the second,
// backward the first, exactly (order included), over random edit sequences on patches of a few
// hundred modules; chained diffs make one; a one-parameter diff is as small on a big patch as on a
// small one.

#include "PatchDiff.hpp"
#include "engine/ModuleRegistry.hpp"

#include <QTest>

#include <random>

using namespace chronus;
using app::PatchDiff;
using engine::ModuleRegistry;
using engine::PatchGraph;

namespace {

using Dir = PatchDiff::Direction;

const engine::PatchNode& pick(std::mt19937& rng, const PatchGraph& g) { return g.nodes()[rng() % g.nodes().size()]; }

bool connectRandomly(std::mt19937& rng, PatchGraph& g) {
    const engine::PatchNode& from = pick(rng, g);
    const engine::PatchNode& to = pick(rng, g);
    if (from.type->outputs.empty() || to.type->inputs.empty())
        return false;
    const std::string src = from.id + "." + from.type->outputs[rng() % from.type->outputs.size()].id;
    const std::string dst = to.id + "." + to.type->inputs[rng() % to.type->inputs.size()].id;
    return static_cast<bool>(g.connect(src, dst));
}

// A patch of `modules` modules of every type but the output, cabled at random.
PatchGraph randomPatch(std::mt19937& rng, int modules) {
    PatchGraph g;
    std::vector<const engine::ModuleType*> types;
    for (const engine::ModuleType* t : ModuleRegistry::instance().types())
        if (t->id != ModuleRegistry::kOutputType)
            types.push_back(t);
    for (int i = 0; i < modules; ++i) {
        const engine::ModuleType* t = types[rng() % types.size()];
        const std::string id = std::string(t->id) + std::to_string(i);
        (void)g.addModule(id, t->id);
        if (rng() % 4 != 0) // some modules have no position (an agent's, not placed yet)
            (void)g.setPosition(id, static_cast<double>(rng() % 4000), static_cast<double>(rng() % 3000));
    }
    // Cabled: about one cable per module.
    for (int i = 0; i < modules * 4 && static_cast<int>(g.cables().size()) < modules; ++i)
        (void)connectRandomly(rng, g);
    return g;
}

// One edit as the editor or an agent makes them. Returns false when the edit was refused.
bool randomEdit(std::mt19937& rng, PatchGraph& g, int& serial) {
    switch (rng() % 6) {
    case 0: {
        const auto types = ModuleRegistry::instance().types();
        const engine::ModuleType* t = types[rng() % types.size()];
        std::string id = "m";
        id += std::to_string(++serial);
        return static_cast<bool>(g.addModule(id, t->id));
    }
    case 1: {
        // A copy: removeModule's id must not point into the graph's own modules, which it moves.
        const std::string id = pick(rng, g).id;
        return static_cast<bool>(g.removeModule(id));
    }
    case 2:
        return connectRandomly(rng, g);
    case 3: {
        if (g.cables().empty())
            return false;
        const engine::Cable c = g.cables()[rng() % g.cables().size()];
        const engine::PatchNode* from = g.find(c.from);
        const engine::PatchNode* to = g.find(c.to);
        return static_cast<bool>(g.disconnect(c.from + "." + from->type->outputs[static_cast<std::size_t>(c.fromPort)].id,
                                              c.to + "." + to->type->inputs[static_cast<std::size_t>(c.toPort)].id));
    }
    case 4: {
        const engine::PatchNode& n = pick(rng, g);
        if (n.type->params.empty())
            return false;
        const engine::ParamSpec& p = n.type->params[rng() % n.type->params.size()];
        const double v = static_cast<double>(p.min) + static_cast<double>(p.max - p.min) * std::uniform_real_distribution<double>(0.0, 1.0)(rng);
        return static_cast<bool>(g.setParam(n.id, p.id, v));
    }
    default:
        return static_cast<bool>(
            g.setPosition(pick(rng, g).id, static_cast<double>(rng() % 4000), static_cast<double>(rng() % 3000)));
    }
}

} // namespace

class TestPatchDiff : public QObject {
    Q_OBJECT

private slots:
    void equalPatchesMakeAnEmptyDiff() {
        std::mt19937 rng(7);
        const PatchGraph g = randomPatch(rng, 50);
        const PatchDiff d = PatchDiff::between(g, g);
        QVERIFY(d.empty());
        QVERIFY(d.apply(g, Dir::Forward) == g);
        QVERIFY(d.apply(g, Dir::Backward) == g);
    }

    void randomEditSequencesRoundTrip_data() {
        QTest::addColumn<unsigned>("seed");
        QTest::addColumn<int>("modules");
        QTest::addRow("seed 1, 300 modules") << 1u << 300;
        QTest::addRow("seed 2, 200 modules") << 2u << 200;
        QTest::addRow("seed 3, 40 modules") << 3u << 40;
    }
    // Each edit's diff turns the patch before into the patch after and back; the diffs chained
    // (as an agent's burst merges into one undo step) turn the first patch into the last and back.
    void randomEditSequencesRoundTrip() {
        QFETCH(unsigned, seed);
        QFETCH(int, modules);
        std::mt19937 rng(seed);
        const PatchGraph start = randomPatch(rng, modules);
        PatchGraph g = start;
        PatchDiff chained;
        int serial = 0, applied = 0;
        for (int step = 0; step < 400; ++step) {
            const PatchGraph before = g;
            // Several edits in a step sometimes: one undo step can hold many changes.
            const int count = rng() % 5 == 0 ? 1 + static_cast<int>(rng() % 6) : 1;
            for (int k = 0; k < count; ++k)
                applied += randomEdit(rng, g, serial) ? 1 : 0;
            const PatchDiff d = PatchDiff::between(before, g);
            QCOMPARE(d.empty(), before == g);
            std::vector<std::string> refused;
            QVERIFY2(d.apply(before, Dir::Forward, &refused) == g, qPrintable(QStringLiteral("step %1").arg(step)));
            QVERIFY2(d.apply(g, Dir::Backward, &refused) == before, qPrintable(QStringLiteral("step %1").arg(step)));
            QVERIFY(refused.empty());
            chained = chained.then(d, g);
            if (step % 50 == 49) {
                QVERIFY(chained.apply(start, Dir::Forward) == g);
                QVERIFY(chained.apply(g, Dir::Backward) == start);
            }
        }
        QVERIFY(applied > 200); // the sequence did edit
        QVERIFY(static_cast<int>(start.cables().size()) > modules / 2);
        QVERIFY(chained == PatchDiff::between(start, g));
    }

    // The same modules in another order (a file that lists them so): the diff restores the order.
    void aReorderedPatchRoundTrips() {
        std::mt19937 rng(11);
        const PatchGraph a = randomPatch(rng, 30);
        PatchGraph b;
        for (auto it = a.nodes().rbegin(); it != a.nodes().rend(); ++it) {
            if (it->id == ModuleRegistry::kOutputId)
                continue;
            (void)b.addModule(it->id, it->type->id);
            if (it->position)
                (void)b.setPosition(it->id, (*it->position)[0], (*it->position)[1]);
        }
        const PatchDiff d = PatchDiff::between(a, b);
        QVERIFY(d.apply(a, Dir::Forward) == b);
        QVERIFY(d.apply(b, Dir::Backward) == a);
    }

    // A one-parameter change costs the same bytes on a 10-module patch and on a 1000-module one.
    void aParameterDiffIsSmallWhateverThePatchSize() {
        std::size_t sizes[2] = {};
        int k = 0;
        for (int modules : {10, 1000}) {
            PatchGraph g;
            for (int i = 0; i < modules; ++i)
                (void)g.addModule("sine" + std::to_string(i), "sine");
            const PatchGraph before = g;
            QVERIFY(g.setParam("sine5", "freq", 220.0));
            const PatchDiff d = PatchDiff::between(before, g);
            QCOMPARE(d.changedNodes().size(), std::size_t(1));
            QVERIFY(d.addedNodes().empty() && d.removedNodes().empty());
            QVERIFY(d.apply(g, Dir::Backward) == before);
            sizes[k++] = d.bytes();
        }
        qInfo("a one-parameter diff: %zu bytes (10 modules), %zu bytes (1000 modules)", sizes[0], sizes[1]);
        QCOMPARE(sizes[0], sizes[1]);
        QVERIFY(sizes[0] < 512);
    }

    // Undo of an old step after later edits: its change goes back, the later edits stay; a cable
    // whose module is gone goes with it, silently.
    void anOldDiffAppliesToALaterPatch() {
        PatchGraph g;
        QVERIFY(g.addModule("saw1", "saw"));
        QVERIFY(g.addModule("vca1", "vca"));
        const PatchGraph before = g;
        QVERIFY(g.setParam("saw1", "freq", 330.0));
        const PatchDiff freq = PatchDiff::between(before, g);
        QVERIFY(g.addModule("sine1", "sine"));
        QVERIFY(g.connect("sine1", "vca1.in"));
        const PatchGraph later = freq.apply(g, Dir::Backward);
        QCOMPARE(later.find("saw1")->params[0], before.find("saw1")->params[0]);
        QVERIFY(later.find("sine1"));
        QCOMPARE(later.cables().size(), std::size_t(1));

        const PatchGraph withVca = later;
        PatchGraph removed = later;
        QVERIFY(removed.removeModule("vca1"));
        const PatchDiff removal = PatchDiff::between(withVca, removed);
        PatchGraph again = removal.apply(withVca, Dir::Forward);
        QVERIFY(again == removed);
        std::vector<std::string> refused;
        QVERIFY(removal.apply(again, Dir::Backward, &refused) == withVca);
        QVERIFY(refused.empty());
    }
};

QTEST_MAIN(TestPatchDiff)
#include "tst_patch_diff.moc"
