// The real-time path does not allocate: a counting global operator new watches Plan::process for
// every module type, every input connected, with parameter changes and gate events in flight.

#include "engine/ModuleRegistry.hpp"
#include "engine/Plan.hpp"

#include <QTest>

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<long> g_allocations{0};
thread_local bool t_counting = false;

void* countedAlloc(std::size_t size) {
    if (t_counting)
        g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size ? size : 1))
        return p;
    throw std::bad_alloc();
}

// Counts allocations on this thread while alive.
struct CountAllocations {
    CountAllocations() { t_counting = true; }
    ~CountAllocations() { t_counting = false; }
};
} // namespace

void* operator new(std::size_t size) { return countedAlloc(size); }
void* operator new[](std::size_t size) { return countedAlloc(size); }
void operator delete(void* p) noexcept {
    if (t_counting)
        g_allocations.fetch_add(1, std::memory_order_relaxed);
    std::free(p);
}
void operator delete[](void* p) noexcept { operator delete(p); }
void operator delete(void* p, std::size_t) noexcept { operator delete(p); }
void operator delete[](void* p, std::size_t) noexcept { operator delete(p); }

using namespace chronus::engine;

class TestRtNoAlloc : public QObject {
    Q_OBJECT

private slots:
    void countingOperatorNewSeesAllocations();
    void planProcessDoesNotAllocate_data();
    void planProcessDoesNotAllocate();
};

void TestRtNoAlloc::countingOperatorNewSeesAllocations() {
    // The detector itself works: an allocation under the counter is seen.
    const long before = g_allocations.load();
    {
        CountAllocations counting;
        int* volatile p = new int(3); // volatile: the compiler may not elide the pair
        delete p;
    }
    QCOMPARE(g_allocations.load() - before, 2L);
}

void TestRtNoAlloc::planProcessDoesNotAllocate_data() {
    QTest::addColumn<int>("block");
    QTest::addRow("block 1") << 1;
    QTest::addRow("block 37") << 37;
    QTest::addRow("block 4096") << 4096;
}

void TestRtNoAlloc::planProcessDoesNotAllocate() {
    QFETCH(int, block);
    // Every module type, each input fed by the module before it, everything summed into out.
    PatchGraph graph;
    QVERIFY(graph.addModule("src", "noise").ok());
    std::string previous = "src";
    std::vector<std::string> ids;
    for (const ModuleType* type : ModuleRegistry::instance().types()) {
        if (type->id == ModuleRegistry::kOutputType)
            continue;
        const std::string id = std::string("m_") + type->id;
        QVERIFY(graph.addModule(id, type->id).ok());
        for (const PortSpec& in : type->inputs)
            QVERIFY(graph.connect(previous, id + "." + in.id).ok());
        if (!type->outputs.empty()) {
            QVERIFY(graph.connect(id, "out").ok());
            previous = id;
        }
        ids.push_back(id);
    }
    auto plan = Plan::compile(graph, {48000.0, block});
    QVERIFY(plan.ok());
    Plan& p = *plan.value();
    std::vector<float> left(8192), right(8192);
    std::vector<int> indices;
    for (const std::string& id : ids)
        indices.push_back(p.moduleIndex(id));

    const long before = g_allocations.load();
    {
        CountAllocations counting;
        for (int round = 0; round < 20; ++round) {
            for (std::size_t m = 0; m < indices.size(); ++m) {
                const int params = static_cast<int>(p.module(indices[m]).type().params.size());
                for (int k = 0; k < params; ++k)
                    p.setParam(indices[m], k, static_cast<float>((round % 3) * 100 + k));
                p.gate(indices[m], round % 2 == 0);
            }
            p.process(left.data(), right.data(), 1000 + round);
        }
    }
    QCOMPARE(g_allocations.load() - before, 0L);
}

QTEST_GUILESS_MAIN(TestRtNoAlloc)
#include "tst_rt_no_alloc.moc"
