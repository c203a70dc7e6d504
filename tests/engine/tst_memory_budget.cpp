// A patch's memory is known before it is compiled: every module type's estimate (kModuleBaseBytes
// plus its stateBytes) bounds what compiling it really allocates, measured here with a counting
// operator new at three sample rates; and the engine refuses an edit or a load over its budget
// with the cost in the message, leaving the pending patch as it was.

#include "engine/ModuleRegistry.hpp"
#include "engine/PatchGraph.hpp"
#include "engine/Plan.hpp"
#include "engine/SlotEngine.hpp"

#include <QTest>

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<std::size_t> g_bytes{0}; // requested since start, frees not subtracted: an upper bound

void* countedAlloc(std::size_t size) {
    g_bytes.fetch_add(size, std::memory_order_relaxed);
    if (void* p = std::malloc(size ? size : 1))
        return p;
    throw std::bad_alloc();
}
} // namespace

void* operator new(std::size_t size) { return countedAlloc(size); }
void* operator new[](std::size_t size) { return countedAlloc(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

using namespace chronus::engine;

namespace {
// Bytes allocated while compiling `graph`.
std::size_t compileBytes(const PatchGraph& graph, double rate) {
    const std::size_t before = g_bytes.load();
    auto plan = Plan::compile(graph, {rate, 4096});
    const std::size_t after = g_bytes.load();
    return plan ? after - before : 0;
}
} // namespace

class TestMemoryBudget : public QObject {
    Q_OBJECT

private slots:
    void everyTypeCompilesWithinItsEstimate_data();
    void everyTypeCompilesWithinItsEstimate();
    void editOverTheBudgetIsRefusedWithItsCost();
    void loadOverTheBudgetIsRefused();
};

void TestMemoryBudget::everyTypeCompilesWithinItsEstimate_data() {
    QTest::addColumn<QString>("type");
    QTest::addColumn<double>("rate");
    for (const ModuleType* type : ModuleRegistry::instance().types()) {
        if (std::string_view(type->id) == ModuleRegistry::kOutputType)
            continue;
        for (double rate : {22050.0, 48000.0, 192000.0})
            QTest::addRow("%s@%.0f", type->id, rate) << QString::fromLatin1(type->id) << rate;
    }
}

void TestMemoryBudget::everyTypeCompilesWithinItsEstimate() {
    QFETCH(QString, type);
    QFETCH(double, rate);
    PatchGraph empty;
    PatchGraph one;
    QVERIFY(one.addModule("m", type.toStdString()).ok());
    (void)compileBytes(one, rate); // once first: tables built on a type's first use are not per module
    const std::size_t baseline = compileBytes(empty, rate);
    const std::size_t measured = compileBytes(one, rate) - baseline;
    const std::size_t estimate = estimatePatchBytes(one, rate) - estimatePatchBytes(empty, rate);
    QVERIFY2(measured <= estimate, qPrintable(QStringLiteral("%1 at %2 Hz allocates %3 bytes, its estimate is %4: "
                                                             "give the type a stateBytes")
                                                  .arg(type)
                                                  .arg(rate)
                                                  .arg(measured)
                                                  .arg(estimate)));
    // A declared estimate is a bound, not a guess: within a factor of two of what is allocated.
    const ModuleType* t = ModuleRegistry::instance().find(type.toStdString());
    QVERIFY(t);
    if (t->stateBytes)
        QVERIFY2(t->stateBytes(rate) <= 2 * measured,
                 qPrintable(QStringLiteral("%1: stateBytes %2, measured %3").arg(type).arg(t->stateBytes(rate)).arg(measured)));
}

void TestMemoryBudget::editOverTheBudgetIsRefusedWithItsCost() {
    EngineConfig config;
    config.sampleRate = 192000.0;
    config.realtimeWorkers = false;
    config.memoryBudgetBytes = std::size_t{64} << 20;
    SlotEngine engine(config);
    QVERIFY(engine.start().ok());
    const std::size_t perDelay = moduleBytes(*ModuleRegistry::instance().find("delay"), 192000.0);
    const std::size_t fit = (config.memoryBudgetBytes - estimatePatchBytes(PatchGraph{}, 192000.0)) / perDelay;
    QVERIFY(fit > 2);
    for (std::size_t i = 0; i < fit; ++i)
        QVERIFY(engine.addModule("d" + std::to_string(i), "delay").ok());
    const PatchGraph before = engine.pending();
    const Status refused = engine.addModule("one_too_many", "delay");
    QCOMPARE(refused.code(), ErrorCode::OverBudget);
    const QString message = QString::fromStdString(refused.message());
    QVERIFY2(message.contains("'one_too_many'") && message.contains("delay") && message.contains("MiB") &&
                 message.contains("192000 Hz") && message.contains("budget"),
             qPrintable(message));
    QVERIFY(engine.pending() == before);
    // Something cheap still fits, and a module removed makes room again.
    QVERIFY(engine.addModule("osc", "sine").ok());
    QVERIFY(engine.removeModule("d0").ok());
    QVERIFY(engine.addModule("again", "delay").ok());
    engine.stop();
}

void TestMemoryBudget::loadOverTheBudgetIsRefused() {
    EngineConfig config;
    config.realtimeWorkers = false;
    config.memoryBudgetBytes = std::size_t{32} << 20;
    SlotEngine engine(config);
    QVERIFY(engine.start().ok());
    QVERIFY(engine.addModule("osc", "sine").ok());
    const PatchGraph before = engine.pending();
    PatchGraph big;
    for (int i = 0; i < 200; ++i)
        QVERIFY(big.addModule("r" + std::to_string(i), "reverb").ok());
    QVERIFY(estimatePatchBytes(big, config.sampleRate) > config.memoryBudgetBytes);
    const Status refused = engine.loadPending(big);
    QCOMPARE(refused.code(), ErrorCode::OverBudget);
    QVERIFY2(QString::fromStdString(refused.message()).contains("200 x reverb"), refused.message().c_str());
    QVERIFY(engine.pending() == before);
    engine.stop();
}

QTEST_GUILESS_MAIN(TestMemoryBudget)
#include "tst_memory_budget.moc"
