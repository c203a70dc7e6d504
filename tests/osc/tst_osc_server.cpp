// The OSC server as an agent meets it: every address with valid and invalid input,
// asserting on the reply (the address echoed, the values, what the error says) and on the engine
// (pending and committed patches, slots, counters). The engine plays through the clock-paced null
// driver the whole time; bad input must leave the audio going (no none-read, no NaN) and the
// committed patch untouched. A liblo client on a free port talks to the server on a free port of
// 127.0.0.1 and always waits on the reply, never on a fixed sleep.

#include "OscTestClient.hpp"

#include "app/PatchFile.hpp"
#include "engine/ModuleRegistry.hpp"
#include "support/Sanitized.hpp"
#include "support/SignalAnalysis.hpp"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

#include <chrono>
#include <cmath>
#include <ctime>
#include <limits>
#include <map>
#include <set>
#include <string>

using namespace chronus;
using namespace chronus::engine;
using chronus::test::OscArg;
using chronus::test::OscMessage;
using chronus::test::OscReply;
using chronus::test::OscRig;
namespace raw = chronus::test::raw;

namespace {

constexpr double kRate = 48000.0;
using Msg = OscMessage;

QString qs(const std::string& s) { return QString::fromStdString(s); }

// Sends and returns the answer; path "(no answer)" when none came within 5 s.
OscReply ask(OscRig& rig, const std::string& path, const OscMessage& message = OscMessage(),
             const std::string& echo = {}) {
    if (auto r = rig.client->call(path, message, echo))
        return *r;
    return OscReply{"(no answer within 5 s to " + path + ")", {}};
}
OscReply askRaw(OscRig& rig, std::span<const std::uint8_t> bytes, const std::string& echo) {
    if (auto r = rig.client->callRaw(bytes, echo))
        return *r;
    return OscReply{"(no answer within 5 s to a raw " + echo + ")", {}};
}

// Helpers verify too: stop the test when one failed.
#define STOP_IF_FAILED(call)                                                                                 \
    do {                                                                                                     \
        call;                                                                                                \
        if (QTest::currentTestFailed())                                                                      \
            return;                                                                                          \
    } while (false)

bool isString(const OscReply& r, std::size_t n, const std::string& want) {
    return r.valueCount() > n && (r.value(n).type == 's') && r.value(n).s == want;
}
bool isNumber(const OscReply& r, std::size_t n, double want, double tolerance = 1e-3) {
    return r.valueCount() > n && r.value(n).isNumber() && std::fabs(r.value(n).number() - want) <= tolerance;
}

double paramOf(const PatchGraph& g, const std::string& id, const std::string& param) {
    const PatchNode* node = g.find(id);
    if (!node)
        return std::numeric_limits<double>::quiet_NaN();
    const ParamIndex p = node->type->findParam(param);
    return p < 0 ? std::numeric_limits<double>::quiet_NaN() : node->params[static_cast<std::size_t>(p)];
}

// The sine `osc1` at `freq` into `out`, committed over OSC.
void commitSine(OscRig& rig, double freq) {
    VERIFY_REPLY(ask(rig, "/patch/create", Msg().s("osc1").s("sine")));
    VERIFY_REPLY(ask(rig, "/patch/set", Msg().s("osc1").s("freq").f(static_cast<float>(freq))));
    VERIFY_REPLY(ask(rig, "/patch/connect", Msg().s("osc1").s("out")));
    VERIFY_REPLY(ask(rig, "/patch/commit"));
}

// The output is finite and a tone at `freq` (within 0.5 Hz), measured over 0.3 s from 50 ms after
// the call: a live change lands two blocks ahead, behind the ring, and ramps over 10 ms.
void verifyTone(OscRig& rig, double freq, const char* when) {
    const std::vector<float> recorded = rig.record(0.35);
    QVERIFY2(recorded.size() > 2400, "the recorder got no audio");
    const std::span<const float> x(recorded.data() + 2400, recorded.size() - 2400);
    QVERIFY(test::allFinite(recorded));
    const double f = test::estimateFrequency(x, kRate);
    qInfo("%s: %.2f Hz, peak %.3f", when, f, static_cast<double>(test::peak(x)));
    QVERIFY2(std::fabs(f - freq) < 0.5, qPrintable(QStringLiteral("%1: %2 Hz, expected %3").arg(when).arg(f).arg(freq)));
}

// After bad input: the server answers, the patches are as they were, the audio went on.
void verifyUntouched(OscRig& rig, const PatchGraph& committed, const PatchGraph& pending, double freq) {
    const OscReply status = ask(rig, "/engine/status");
    VERIFY_REPLY(status);
    QVERIFY2(rig.engine.committed() == committed, "the committed patch changed");
    QVERIFY2(rig.engine.pending() == pending, "the pending patch changed");
    STOP_IF_FAILED(verifyTone(rig, freq, "after the bad input"));
    CHRONUS_VERIFY_NO_NONE_READS(rig.noneReads());
    QCOMPARE(rig.watcher.nonFiniteSamples(), std::uint64_t{0});
    QCOMPARE(rig.engine.stats().unhealthyBlocks, std::uint64_t{0});
}

// A committed sine at 440 Hz and a pending edit on top (so pending != committed).
void setUpCommittedAndPending(OscRig& rig) {
    commitSine(rig, 440.0);
    VERIFY_REPLY(ask(rig, "/patch/create", Msg().s("pend1").s("saw")));
}

QJsonObject parseObject(const std::string& json, const char* what) {
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray::fromStdString(json), &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        qWarning("%s is not a JSON object: %s", what, qPrintable(error.errorString()));
    return doc.object();
}

} // namespace

class TestOscServer : public QObject {
    Q_OBJECT

private slots:
    void predecessorClientsWorkUnchanged();
    void gateArgumentsAreStrict();
    void gateOffTurnsTheEnvelopeOff();
    void threeCommitsAlternateSlotsAndTheToneFollows();
    void editsAreIncremental();
    void structuralEditsAndTheirErrors();
    void setClampsAndSaysSo();
    void severalEditsInOneRequestAllOrNone();
    void patternsAreTextSetPendingOrLive();
    void modChangesTheCommittedPatchLive();
    void primeCommitAbortUndo();
    void validateIsADryRun();
    void dumpReturnsPendingAndCommittedJson();
    void saveAndLoadStayInsideThePatchesFolder();
    void loadReportsClampedValues();
    void engineStatusTypedPairsAndJson();
    void statusIsAnsweredWhileACommitWaits();
    void engineSchemaListsEveryModuleType();
    void wrongArgumentsGetSpecificErrors();
    void nanAndInfAreRefused();
    void malformedDatagramsAreDroppedAndCounted();
    void nestedBundles();
    void tenThousandCreatesInARow();
    void largeRepliesAreNotLost();
    void countersCountOneAnswerPerRequest();
    void discreteParamsTakeTheirLabels();
    void predecessorFrequencyIsFreq();
    void creatingAnOutputSaysItIsBuiltIn();
    void primeFixScriptWithFreshAfterCommitPlaysEachPatchAlone();
    void primeFixScriptByDefaultEditsIncrementally();
};

// The predecessor's client, unchanged: each request gets a /reply, and the patch plays.
void TestOscServer::predecessorClientsWorkUnchanged() {
    OscRig rig;
    START_RIG(rig);
    const OscReply create1 = ask(rig, "/patch/create", Msg().s("osc1").s("simple_sine"));
    VERIFY_REPLY(create1);
    QVERIFY2(isString(create1, 0, "osc1") && isString(create1, 1, "sine"), create1.describe().constData());
    const OscReply create2 = ask(rig, "/patch/create", Msg().s("env1").s("adsr"));
    VERIFY_REPLY(create2);
    QVERIFY2(isString(create2, 0, "env1") && isString(create2, 1, "adsr"), create2.describe().constData());
    const OscReply connect = ask(rig, "/patch/connect", Msg().s("osc1").s("env1"));
    VERIFY_REPLY(connect);
    QVERIFY2(isString(connect, 0, "osc1") && isString(connect, 1, "env1"), connect.describe().constData());
    const int activeBefore = rig.engine.activeSlot();
    const OscReply commit = ask(rig, "/patch/commit");
    VERIFY_REPLY(commit);
    QVERIFY2(isNumber(commit, 0, 1 - activeBefore), commit.describe().constData()); // the standby took over
    const OscReply mod = ask(rig, "/mod/osc1/freq", Msg().f(660.0f));
    VERIFY_REPLY(mod);
    QVERIFY2(isNumber(mod, 0, 660.0), mod.describe().constData());
    const OscReply gate = ask(rig, "/gate/env1", Msg().i(1));
    VERIFY_REPLY(gate);
    QVERIFY2(isNumber(gate, 0, 1.0), gate.describe().constData());

    const PatchGraph committed = rig.engine.committed();
    QVERIFY(committed.find("osc1") && std::string(committed.find("osc1")->type->id) == "sine");
    QVERIFY(committed.find("env1") && std::string(committed.find("env1")->type->id) == "adsr");
    QCOMPARE(committed.cables().size(), std::size_t{1});
    QCOMPARE(paramOf(committed, "osc1", "freq"), 660.0);
    // env1 is the sink, so it feeds `out`; the gate is open: 660 Hz is heard.
    STOP_IF_FAILED(verifyTone(rig, 660.0, "predecessor patch, gate on"));
    CHRONUS_VERIFY_NO_NONE_READS(rig.noneReads());
}

// Gates take 1/0 (int or float), on/off, true/false, "1"/"0" (strings) and T/F; nothing else.
void TestOscServer::gateArgumentsAreStrict() {
    OscRig rig;
    START_RIG(rig);
    VERIFY_REPLY(ask(rig, "/patch/create", Msg().s("env1").s("adsr")));
    VERIFY_REPLY(ask(rig, "/patch/commit"));
    struct Case {
        const char* name;
        OscMessage message;
        int on; // -1: an error
    };
    std::vector<Case> cases;
    cases.push_back({"int 1", std::move(Msg().i(1)), 1});
    cases.push_back({"int 0", std::move(Msg().i(0)), 0});
    cases.push_back({"\"on\"", std::move(Msg().s("on")), 1});
    cases.push_back({"\"off\"", std::move(Msg().s("off")), 0});
    cases.push_back({"\"true\"", std::move(Msg().s("true")), 1});
    cases.push_back({"\"false\"", std::move(Msg().s("false")), 0});
    cases.push_back({"\"1\"", std::move(Msg().s("1")), 1});
    cases.push_back({"\"0\"", std::move(Msg().s("0")), 0});
    cases.push_back({"T", std::move(Msg().T()), 1});
    cases.push_back({"F", std::move(Msg().F()), 0});
    cases.push_back({"float 1", std::move(Msg().f(1.0f)), 1});
    cases.push_back({"float 0", std::move(Msg().f(0.0f)), 0});
    cases.push_back({"symbol on", std::move(Msg().S("on")), 1});
    cases.push_back({"\"maybe\"", std::move(Msg().s("maybe")), -1});
    cases.push_back({"int 2", std::move(Msg().i(2)), -1});
    cases.push_back({"int -1", std::move(Msg().i(-1)), -1});
    cases.push_back({"float 0.5", std::move(Msg().f(0.5f)), -1});
    cases.push_back({"\"ON\"", std::move(Msg().s("ON")), -1});
    cases.push_back({"\"\"", std::move(Msg().s("")), -1});
    cases.push_back({"nil", std::move(Msg().N()), -1});
    cases.push_back({"float NaN", std::move(Msg().f(std::numeric_limits<float>::quiet_NaN())), -1});
    for (Case& c : cases) {
        const OscReply r = ask(rig, "/gate/env1", c.message);
        if (c.on < 0) {
            QVERIFY2(r.isError(), (QByteArray(c.name) + ": " + r.describe()).constData());
            QVERIFY2(r.errorText().find("a gate takes 1/0, on/off or true/false") != std::string::npos,
                     (QByteArray(c.name) + ": " + r.describe()).constData());
        } else {
            QVERIFY2(r.isReply() && isNumber(r, 0, c.on), (QByteArray(c.name) + ": " + r.describe()).constData());
        }
    }
    VERIFY_ERROR(ask(rig, "/gate/env1"), "/gate/env1", "expected (1/0, on/off or true/false), got (nothing)");
    VERIFY_ERROR(ask(rig, "/gate/env1", Msg().i(1).i(0)), "/gate/env1", "got (integer, integer)");
    VERIFY_ERROR(ask(rig, "/gate/nosuch", Msg().i(1)), "/gate/nosuch", "no module 'nosuch'");
    VERIFY_REPLY(ask(rig, "/patch/create", Msg().s("osc1").s("sine")));
    VERIFY_ERROR(ask(rig, "/gate/osc1", Msg().i(1)), "/gate/osc1", "module 'osc1' (sine) takes no gate");
    VERIFY_ERROR(ask(rig, "/gate/", Msg().i(1)), "/gate/", "a gate is /gate/<id>");
    VERIFY_ERROR(ask(rig, "/gate/env1/x", Msg().i(1)), "/gate/env1/x", "a gate is /gate/<id>");
    CHRONUS_VERIFY_NO_NONE_READS(rig.noneReads());
}

// "off" (and F, 0, "false") really close the gate: sine -> adsr -> out, heard and then silent.
void TestOscServer::gateOffTurnsTheEnvelopeOff() {
    OscRig rig;
    START_RIG(rig);
    VERIFY_REPLY(ask(rig, "/patch/create", Msg().s("osc1").s("sine")));
    VERIFY_REPLY(ask(rig, "/patch/create", Msg().s("env1").s("adsr")));
    VERIFY_REPLY(ask(rig, "/patch/set", Msg().s("env1").s("attack").f(2.0f)));
    VERIFY_REPLY(ask(rig, "/patch/set", Msg().s("env1").s("release").f(10.0f)));
    VERIFY_REPLY(ask(rig, "/patch/connect", Msg().s("osc1").s("env1")));
    VERIFY_REPLY(ask(rig, "/patch/connect", Msg().s("env1").s("out")));
    VERIFY_REPLY(ask(rig, "/patch/commit"));
    QVERIFY(test::peak(rig.record(0.1)) < 1e-4f); // gate closed: silence

    struct Step {
        const char* name;
        OscMessage message;
        bool on;
    };
    std::vector<Step> steps;
    steps.push_back({"\"on\"", std::move(Msg().s("on")), true});
    steps.push_back({"\"off\"", std::move(Msg().s("off")), false});
    steps.push_back({"T", std::move(Msg().T()), true});
    steps.push_back({"F", std::move(Msg().F()), false});
    steps.push_back({"\"true\"", std::move(Msg().s("true")), true});
    steps.push_back({"\"false\"", std::move(Msg().s("false")), false});
    steps.push_back({"1", std::move(Msg().i(1)), true});
    steps.push_back({"0", std::move(Msg().i(0)), false});
    for (Step& step : steps) {
        VERIFY_REPLY(ask(rig, "/gate/env1", step.message));
        const std::vector<float> x = rig.record(0.25);
        QVERIFY(x.size() > 4800);
        // Skip 50 ms: the gate lands at the next block and the 10 ms release must finish.
        const std::span<const float> settled(x.data() + 2400, x.size() - 2400);
        const float level = test::peak(settled);
        qInfo("gate %s: peak after 50 ms %.4f", step.name, static_cast<double>(level));
        if (step.on) {
            QVERIFY2(level > 0.1f, step.name);
            QVERIFY(std::fabs(test::estimateFrequency(settled, kRate) - 440.0) < 0.5);
        } else {
            QVERIFY2(level < 1e-4f, step.name);
        }
    }
    CHRONUS_VERIFY_NO_NONE_READS(rig.noneReads());
}

// The predecessor's three-commit sequence: the active slot alternates, prime times are reported,
// and the output follows 440 -> 660 -> 880.
void TestOscServer::threeCommitsAlternateSlotsAndTheToneFollows() {
    OscRig rig;
    START_RIG(rig);
    QCOMPARE(rig.engine.stats().activeSlot, 0);

    // 1: sine 440, commit.
    VERIFY_REPLY(ask(rig, "/patch/create", Msg().s("osc1").s("simple_sine")));
    VERIFY_REPLY(ask(rig, "/patch/set", Msg().s("osc1").s("freq").f(440.0f)));
    VERIFY_REPLY(ask(rig, "/patch/connect", Msg().s("osc1").s("out")));
    // The standby of the moment takes over at every commit. (Relative to the slot active just
    // before: a failover on a loaded machine may have swapped them in between.)
    int before = rig.engine.activeSlot();
    const OscReply c1 = ask(rig, "/patch/commit");
    VERIFY_REPLY(c1);
    QCOMPARE(c1.valueCount(), std::size_t{3});
    QVERIFY2(isNumber(c1, 0, 1 - before), c1.describe().constData());
    QCOMPARE(rig.engine.stats().activeSlot, 1 - before);
    QVERIFY2(c1.value(1).number() > 0.0, "commit 1 primed: its prime time must be > 0");
    QVERIFY(c1.value(2).number() > 0.0);
    qInfo("commit 1: slot %d, prime %.3f ms, commit %.3f ms", static_cast<int>(c1.value(0).number()),
          c1.value(1).number(), c1.value(2).number());
    STOP_IF_FAILED(verifyTone(rig, 440.0, "after commit 1"));

    // 2: a live change (heard at once) and a structural edit, commit.
    const OscReply mod = ask(rig, "/mod/osc1/freq", Msg().f(660.0f));
    VERIFY_REPLY(mod);
    QVERIFY(isNumber(mod, 0, 660.0));
    STOP_IF_FAILED(verifyTone(rig, 660.0, "after /mod, before commit 2"));
    VERIFY_REPLY(ask(rig, "/patch/create", Msg().s("lfo1").s("lfo")));
    before = rig.engine.activeSlot();
    const OscReply c2 = ask(rig, "/patch/commit");
    VERIFY_REPLY(c2);
    QVERIFY2(isNumber(c2, 0, 1 - before), c2.describe().constData());
    QCOMPARE(rig.engine.stats().activeSlot, 1 - before);
    QVERIFY2(c2.value(1).number() > 0.0, "commit 2 primed: its prime time must be > 0");
    qInfo("commit 2: slot %d, prime %.3f ms, commit %.3f ms", static_cast<int>(c2.value(0).number()),
          c2.value(1).number(), c2.value(2).number());
    QVERIFY(rig.engine.committed().find("lfo1"));
    QCOMPARE(paramOf(rig.engine.committed(), "osc1", "freq"), 660.0);
    STOP_IF_FAILED(verifyTone(rig, 660.0, "after commit 2"));

    // 3: 880 on the pending patch, an explicit prime, then commit (already primed: prime 0).
    VERIFY_REPLY(ask(rig, "/patch/set", Msg().s("osc1").s("freq").f(880.0f)));
    STOP_IF_FAILED(verifyTone(rig, 660.0, "after /patch/set 880, before commit 3")); // pending only
    before = rig.engine.activeSlot();
    const OscReply prime = ask(rig, "/patch/prime");
    VERIFY_REPLY(prime);
    QVERIFY2(isNumber(prime, 0, 1 - before), prime.describe().constData()); // the standby primed
    QVERIFY(prime.value(1).number() > 0.0);
    QVERIFY(rig.engine.stats().slot[1 - before].primeReady);
    const OscReply c3 = ask(rig, "/patch/commit");
    VERIFY_REPLY(c3);
    QVERIFY2(isNumber(c3, 0, 1 - before), c3.describe().constData());
    QCOMPARE(rig.engine.stats().activeSlot, 1 - before);
    QCOMPARE(c3.value(1).number(), 0.0); // it was primed already
    qInfo("prime %.3f ms; commit 3: slot %d, prime %.3f ms, commit %.3f ms", prime.value(1).number(),
          static_cast<int>(c3.value(0).number()), c3.value(1).number(), c3.value(2).number());
    STOP_IF_FAILED(verifyTone(rig, 880.0, "after commit 3"));

    const EngineStats s = rig.engine.stats();
    qInfo("slots %d -> %d -> %d; failovers %llu", static_cast<int>(c1.value(0).number()),
          static_cast<int>(c2.value(0).number()), static_cast<int>(c3.value(0).number()),
          static_cast<unsigned long long>(s.failovers));
    QCOMPARE(s.commits, std::uint64_t{3});
    QVERIFY(s.lastPrimeMs > 0.0);
    CHRONUS_VERIFY_NO_NONE_READS(rig.noneReads());
    QCOMPARE(rig.watcher.nonFiniteSamples(), std::uint64_t{0});
}

// Commit, then more edits and commit: the first modules are still there.
void TestOscServer::editsAreIncremental() {
    OscRig rig;
    START_RIG(rig);
    STOP_IF_FAILED(commitSine(rig, 440.0));
    VERIFY_REPLY(ask(rig, "/patch/create", Msg().s("osc2").s("saw")));
    VERIFY_REPLY(ask(rig, "/patch/set", Msg().s("osc2").s("gain").f(0.0f)));
    VERIFY_REPLY(ask(rig, "/patch/connect", Msg().s("osc2").s("out")));
    VERIFY_REPLY(ask(rig, "/patch/commit"));
    VERIFY_REPLY(ask(rig, "/patch/create", Msg().s("env3").s("adsr")));
    VERIFY_REPLY(ask(rig, "/patch/commit"));

    const OscReply dump = ask(rig, "/patch/dump");
    VERIFY_REPLY(dump);
    QCOMPARE(dump.valueCount(), std::size_t{2});
    const QJsonObject committed = parseObject(dump.value(1).s, "the committed patch");
    QSet<QString> ids;
    for (const QJsonValue m : committed.value("modules").toArray())
        ids.insert(m.toObject().value("id").toString());
    QVERIFY2(ids.contains("osc1") && ids.contains("osc2") && ids.contains("env3"),
             qPrintable(QStringList(ids.values()).join(", ")));
    QCOMPARE(committed.value("cables").toArray().size(), 4); // osc1 and osc2 to out.left and out.right
    QVERIFY(rig.engine.committed().find("osc1"));
    QCOMPARE(paramOf(rig.engine.committed(), "osc1", "freq"), 440.0);
    STOP_IF_FAILED(verifyTone(rig, 440.0, "after three incremental commits")); // osc2 is silent (gain 0)
}

// create / connect / disconnect / delete / clear with valid and invalid input.
void TestOscServer::structuralEditsAndTheirErrors() {
    OscRig rig;
    START_RIG(rig);
    STOP_IF_FAILED(commitSine(rig, 440.0));
    const PatchGraph committed = rig.engine.committed();

    // create
    VERIFY_REPLY(ask(rig, "/patch/create", Msg().s("a").s("vca")));
    const OscReply unknown = ask(rig, "/patch/create", Msg().s("x").s("theremin"));
    VERIFY_ERROR(unknown, "/patch/create", "unknown module type 'theremin'");
    for (const ModuleType* type : ModuleRegistry::instance().types()) // it lists the known ones
        if (std::string(type->id) != "output")
            QVERIFY2(unknown.errorText().find(type->id) != std::string::npos, type->id);
    VERIFY_ERROR(ask(rig, "/patch/create", Msg().s("a").s("sine")), "/patch/create", "a module with id 'a' already exists");
    VERIFY_ERROR(ask(rig, "/patch/create", Msg().s("bad id!").s("sine")), "/patch/create", "invalid module id 'bad id!'");
    VERIFY_ERROR(ask(rig, "/patch/create", Msg().s("").s("sine")), "/patch/create", "invalid module id ''");
    VERIFY_ERROR(ask(rig, "/patch/create", Msg().s("out").s("sine")), "/patch/create", "already exists");
    VERIFY_ERROR(ask(rig, "/patch/create", Msg().s("o2").s("output")), "/patch/create", "the output module is built in");
    VERIFY_REPLY(ask(rig, "/patch/create", Msg().S("b").S("vca"))); // symbols are strings too
    VERIFY_REPLY(ask(rig, "/patch/create", Msg().s("c").s("vca")));
    VERIFY_REPLY(ask(rig, "/patch/create", Msg().s("env1").s("adsr")));

    // connect
    const OscReply ab = ask(rig, "/patch/connect", Msg().s("a").s("b.in"));
    VERIFY_REPLY(ab);
    QVERIFY(isString(ab, 0, "a") && isString(ab, 1, "b.in"));
    VERIFY_REPLY(ask(rig, "/patch/connect", Msg().s("b").s("c")));
    const OscReply cycle = ask(rig, "/patch/connect", Msg().s("c").s("a"));
    VERIFY_ERROR(cycle, "/patch/connect", "would make a cycle: c -> a -> b -> c");
    VERIFY_ERROR(ask(rig, "/patch/connect", Msg().s("a").s("a")), "/patch/connect", "would make a cycle: a -> a");
    VERIFY_ERROR(ask(rig, "/patch/connect", Msg().s("a").s("b.in")), "/patch/connect", "a.out is already connected to b.in");
    VERIFY_ERROR(ask(rig, "/patch/connect", Msg().s("nosuch").s("out")), "/patch/connect", "no module 'nosuch' (modules: out, osc1");
    VERIFY_ERROR(ask(rig, "/patch/connect", Msg().s("osc1").s("nosuch")), "/patch/connect", "no module 'nosuch'");
    VERIFY_ERROR(ask(rig, "/patch/connect", Msg().s("osc1.nope").s("env1")), "/patch/connect",
                 "module 'osc1' (sine) has no output 'nope' (outputs: out)");
    VERIFY_ERROR(ask(rig, "/patch/connect", Msg().s("osc1").s("env1.nope")), "/patch/connect",
                 "module 'env1' (adsr) has no input 'nope' (inputs: in, gate)");
    VERIFY_ERROR(ask(rig, "/patch/connect", Msg().s("out").s("env1")), "/patch/connect", "module 'out' (output) has no outputs");
    VERIFY_ERROR(ask(rig, "/patch/connect", Msg().s(std::string(200, 'a')).s("out")), "/patch/connect",
                 "no module '" + std::string(200, 'a') + "'");

    // disconnect
    VERIFY_ERROR(ask(rig, "/patch/disconnect", Msg().s("a").s("c")), "/patch/disconnect", "a.out is not connected to c");
    const OscReply disconnect = ask(rig, "/patch/disconnect", Msg().s("b").s("c"));
    VERIFY_REPLY(disconnect);
    QVERIFY(isString(disconnect, 0, "b") && isString(disconnect, 1, "c"));
    VERIFY_REPLY(ask(rig, "/patch/connect", Msg().s("c").s("a"))); // no cycle any more

    // delete
    VERIFY_ERROR(ask(rig, "/patch/delete", Msg().s("out")), "/patch/delete", "the output module 'out' cannot be deleted");
    VERIFY_ERROR(ask(rig, "/patch/delete", Msg().s("nosuch")), "/patch/delete", "no module 'nosuch'");
    const OscReply del = ask(rig, "/patch/delete", Msg().s("a"));
    VERIFY_REPLY(del);
    QVERIFY(isString(del, 0, "a"));

    PatchGraph pending = rig.engine.pending();
    QVERIFY(!pending.find("a"));
    QVERIFY(pending.find("b") && pending.find("c") && pending.find("env1") && pending.find("osc1"));
    QCOMPARE(pending.cables().size(), committed.cables().size()); // the cables touching `a` went with it
    QVERIFY2(rig.engine.committed() == committed, "edits must not touch the committed patch");

    // clear: the pending patch is empty, the committed one plays on
    const OscReply clear = ask(rig, "/patch/clear");
    VERIFY_REPLY(clear);
    QCOMPARE(clear.valueCount(), std::size_t{0});
    pending = rig.engine.pending();
    QCOMPARE(pending.nodes().size(), std::size_t{1});
    QVERIFY(pending.find("out"));
    QVERIFY(pending.cables().empty());
    STOP_IF_FAILED(verifyUntouched(rig, committed, pending, 440.0));
}

// create, connect and set take several groups at once: an agent builds a groove in a few
// requests. A failing group undoes the ones before it in the same request.
void TestOscServer::severalEditsInOneRequestAllOrNone() {
    OscRig rig;
    START_RIG(rig);
    const OscReply created = ask(rig, "/patch/create", Msg().s("clock").s("clock").s("seq").s("sequencer").s("kick").s("sine"));
    VERIFY_REPLY(created);
    QCOMPARE(created.valueCount(), std::size_t{6});
    QVERIFY(isString(created, 2, "seq") && isString(created, 3, "sequencer"));
    QVERIFY(rig.engine.pending().find("kick"));

    // The third module's type is unknown: none of the three is created.
    VERIFY_ERROR(ask(rig, "/patch/create", Msg().s("a").s("saw").s("b").s("saw").s("c").s("wobbulator")), "/patch/create",
                 "unknown module type 'wobbulator'");
    QVERIFY(!rig.engine.pending().find("a") && !rig.engine.pending().find("b"));

    const OscReply wired = ask(rig, "/patch/connect", Msg().s("clock.step").s("seq.clock").s("kick").s("out"));
    VERIFY_REPLY(wired);
    QCOMPARE(wired.valueCount(), std::size_t{4});
    QCOMPARE(rig.engine.pending().cables().size(), std::size_t{3}); // kick -> out is left and right
    VERIFY_ERROR(ask(rig, "/patch/connect", Msg().s("seq.gate").s("kick.fm").s("seq").s("nowhere")), "/patch/connect",
                 "no module 'nowhere'");
    QCOMPARE(rig.engine.pending().cables().size(), std::size_t{3});

    const OscReply set = ask(rig, "/patch/set", Msg().s("clock").s("bpm").f(175.0f).s("kick").s("freq").f(55.0f)
                                                    .s("seq").s("pattern").s("x..x..x."));
    VERIFY_REPLY(set);
    QCOMPARE(set.valueCount(), std::size_t{9});
    QVERIFY(isNumber(set, 2, 175.0) && isNumber(set, 5, 55.0) && isString(set, 8, "x..x..x."));
    // A bad value in the last triple sets the first two back.
    VERIFY_ERROR(ask(rig, "/patch/set", Msg().s("clock").s("bpm").f(90.0f).s("seq").s("pattern").s("x..q")), "/patch/set",
                 "seq.pattern: 'q' at position 4");
    const PatchGraph pending = rig.engine.pending();
    QCOMPARE(pending.find("clock")->params[0], 175.0);
    QCOMPARE(QString::fromStdString(PatchGraph::textOf(*pending.find("seq"), 0)), QStringLiteral("x..x..x."));
}

// A sequencer's pattern and notes are text: set on the pending patch, or live on the playing one,
// where every step changes at once; the schema lists them, dumps carry them.
void TestOscServer::patternsAreTextSetPendingOrLive() {
    OscRig rig;
    START_RIG(rig);
    VERIFY_REPLY(ask(rig, "/patch/create", Msg().s("clock").s("clock").s("seq").s("sequencer")));
    VERIFY_REPLY(ask(rig, "/patch/connect", Msg().s("clock.step").s("seq.clock").s("seq.gate").s("out")));
    const OscReply notes = ask(rig, "/patch/set", Msg().s("seq").s("notes").s("c2 eb2 55hz"));
    VERIFY_REPLY(notes);
    QVERIFY2(isString(notes, 2, "C2 Eb2 55hz"), notes.describe().constData()); // spelled as written
    VERIFY_ERROR(ask(rig, "/patch/set", Msg().s("seq").s("notes").s("C2 Q7")), "/patch/set", "'Q7' is not a note");
    VERIFY_ERROR(ask(rig, "/patch/set", Msg().s("seq").s("length").s("x...")), "/patch/set", "seq.length takes a number, not text");
    VERIFY_REPLY(ask(rig, "/patch/commit"));

    const OscReply live = ask(rig, "/mod/seq/pattern", Msg().s("X.x. x.x."));
    VERIFY_REPLY(live);
    QVERIFY(isString(live, 0, "X.x.x.x."));
    const PatchGraph committed = rig.engine.committed();
    QCOMPARE(QString::fromStdString(PatchGraph::textOf(*committed.find("seq"), 0)), QStringLiteral("X.x.x.x."));
    QCOMPARE(committed.find("seq")->params[0], 8.0); // the length followed the pattern
    VERIFY_ERROR(ask(rig, "/mod/seq/pattern", Msg().s("")), "/mod/seq/pattern", "no steps");

    const OscReply dump = ask(rig, "/patch/dump");
    VERIFY_REPLY(dump);
    QVERIFY(dump.valueCount() == 2);
    const std::string& committedJson = dump.value(1).s;
    QVERIFY2(committedJson.find("\"pattern\":\"X.x.x.x.\"") != std::string::npos, committedJson.c_str());
    QVERIFY2(committedJson.find("\"notes\":\"C2 Eb2 55hz\"") != std::string::npos, committedJson.c_str());
    QVERIFY(committedJson.find("step1") == std::string::npos); // steps travel as the pattern
}

// /patch/set works on the pending patch; out-of-range values are clamped and the reply says so.
void TestOscServer::setClampsAndSaysSo() {
    OscRig rig;
    START_RIG(rig);
    STOP_IF_FAILED(commitSine(rig, 440.0));
    const PatchGraph committed = rig.engine.committed();

    const OscReply inRange = ask(rig, "/patch/set", Msg().s("osc1").s("gain").f(0.25f));
    VERIFY_REPLY(inRange);
    QCOMPARE(inRange.valueCount(), std::size_t{3});
    QVERIFY(isString(inRange, 0, "osc1") && isString(inRange, 1, "gain") && isNumber(inRange, 2, 0.25));

    const OscReply high = ask(rig, "/patch/set", Msg().s("osc1").s("freq").f(30000.0f));
    VERIFY_REPLY(high);
    QCOMPARE(high.valueCount(), std::size_t{4});
    QVERIFY2(isNumber(high, 2, 20000.0) && isString(high, 3, "clamped to 0..20000"), high.describe().constData());
    const OscReply low = ask(rig, "/patch/set", Msg().s("osc1").s("freq").d(-5.0));
    VERIFY_REPLY(low);
    QVERIFY2(isNumber(low, 2, 0.0) && isString(low, 3, "clamped to 0..20000"), low.describe().constData());
    qInfo("clamped: %s", high.describe().constData());

    const OscReply asInt = ask(rig, "/patch/set", Msg().s("osc1").s("freq").i(330)); // integers are numbers
    VERIFY_REPLY(asInt);
    QVERIFY(isNumber(asInt, 2, 330.0));
    VERIFY_REPLY(ask(rig, "/patch/set", Msg().s("osc1").s("gain").h(0))); // so are 64-bit ones
    VERIFY_ERROR(ask(rig, "/patch/set", Msg().s("osc1").s("nope").f(1.0f)), "/patch/set",
                 "module 'osc1' (sine) has no parameter 'nope' (parameters: freq, gain)");
    VERIFY_ERROR(ask(rig, "/patch/set", Msg().s("nosuch").s("freq").f(1.0f)), "/patch/set", "no module 'nosuch'");
    VERIFY_ERROR(ask(rig, "/patch/set", Msg().s("osc1").s("freq").s("high")), "/patch/set",
                 "osc1.freq takes a number, not text");
    VERIFY_ERROR(ask(rig, "/patch/set", Msg().s("osc1").s("freq").f(1.0f).s("osc1")), "/patch/set",
                 "expected (id, param, value (number, or text: a pattern, notes, a label) [, ...]), got (string, string, float, string)");

    // The pending patch took them, the committed one did not: still 440 Hz at gain 0.5.
    QCOMPARE(paramOf(rig.engine.pending(), "osc1", "freq"), 330.0);
    QCOMPARE(paramOf(rig.engine.pending(), "osc1", "gain"), 0.0);
    QVERIFY(rig.engine.committed() == committed);
    STOP_IF_FAILED(verifyTone(rig, 440.0, "after /patch/set on the pending patch"));
}

// /mod/<id>/<param>: live, on the committed patch (and the pending copy), heard at once.
void TestOscServer::modChangesTheCommittedPatchLive() {
    OscRig rig;
    START_RIG(rig);
    STOP_IF_FAILED(commitSine(rig, 440.0));
    const OscReply mod = ask(rig, "/mod/osc1/freq", Msg().d(550.0));
    VERIFY_REPLY(mod);
    QCOMPARE(mod.valueCount(), std::size_t{1});
    QVERIFY(isNumber(mod, 0, 550.0));
    QCOMPARE(paramOf(rig.engine.committed(), "osc1", "freq"), 550.0);
    QCOMPARE(paramOf(rig.engine.pending(), "osc1", "freq"), 550.0);
    STOP_IF_FAILED(verifyTone(rig, 550.0, "after /mod/osc1/freq 550"));

    // Out of range: clamped, and the reply carries the value applied. (On the gain: a frequency
    // excursion to 20 kHz would ramp back through the next measurement.)
    const OscReply clamped = ask(rig, "/mod/osc1/gain", Msg().i(7));
    VERIFY_REPLY(clamped);
    QVERIFY2(isNumber(clamped, 0, 1.0) && isString(clamped, 1, "clamped"), clamped.describe().constData());
    QCOMPARE(paramOf(rig.engine.committed(), "osc1", "gain"), 1.0);
    VERIFY_REPLY(ask(rig, "/mod/osc1/gain", Msg().f(0.5f)));

    const PatchGraph committed = rig.engine.committed();
    const PatchGraph pending = rig.engine.pending();
    VERIFY_ERROR(ask(rig, "/mod/nosuch/freq", Msg().f(1.0f)), "/mod/nosuch/freq", "no module 'nosuch'");
    VERIFY_ERROR(ask(rig, "/mod/osc1/nope", Msg().f(1.0f)), "/mod/osc1/nope", "has no parameter 'nope'");
    VERIFY_ERROR(ask(rig, "/mod/osc1", Msg().f(1.0f)), "/mod/osc1", "a live change is /mod/<id>/<param> with one number");
    VERIFY_ERROR(ask(rig, "/mod/osc1/freq/x", Msg().f(1.0f)), "/mod/osc1/freq/x", "a live change is /mod/<id>/<param>");
    VERIFY_ERROR(ask(rig, "/mod//freq", Msg().f(1.0f)), "/mod//freq", "a live change is /mod/<id>/<param>");
    VERIFY_ERROR(ask(rig, "/mod/osc1/", Msg().f(1.0f)), "/mod/osc1/", "a live change is /mod/<id>/<param>");
    VERIFY_ERROR(ask(rig, "/mod/osc1/freq", Msg().s("660")), "/mod/osc1/freq", "osc1.freq takes a number, not text");
    VERIFY_ERROR(ask(rig, "/mod/osc1/freq"), "/mod/osc1/freq", "got (nothing)");
    VERIFY_ERROR(ask(rig, "/mod/osc1/freq", Msg().f(1.0f).f(2.0f)), "/mod/osc1/freq", "got (float, float)");
    STOP_IF_FAILED(verifyUntouched(rig, committed, pending, 550.0));
}

// prime / commit [fade] / abort / undo_commit [fade], and their argument checks.
void TestOscServer::primeCommitAbortUndo() {
    OscRig rig;
    START_RIG(rig);
    VERIFY_ERROR(ask(rig, "/patch/undo_commit"), "/patch/undo_commit", "nothing to undo");
    STOP_IF_FAILED(commitSine(rig, 440.0));
    const PatchGraph first = rig.engine.committed();

    // abort drops the pending edits and answers with the standby slot
    VERIFY_REPLY(ask(rig, "/patch/create", Msg().s("gone").s("saw")));
    const int standby = 1 - rig.engine.activeSlot();
    const OscReply abort = ask(rig, "/patch/abort");
    VERIFY_REPLY(abort);
    QVERIFY2(isNumber(abort, 0, standby), abort.describe().constData());
    QVERIFY(rig.engine.pending() == first);
    QVERIFY(!rig.engine.stats().slot[standby].primeReady);

    // prime answers with the slot it primed and the time it took
    VERIFY_REPLY(ask(rig, "/patch/set", Msg().s("osc1").s("freq").f(660.0f)));
    const OscReply prime = ask(rig, "/patch/prime");
    VERIFY_REPLY(prime);
    QVERIFY2(isNumber(prime, 0, 1 - rig.engine.activeSlot()) && prime.value(1).number() > 0.0,
             prime.describe().constData());
    QVERIFY(rig.engine.stats().slot[1 - rig.engine.activeSlot()].primeReady);
    STOP_IF_FAILED(verifyTone(rig, 440.0, "primed, not committed"));

    // commit takes a fade in ms; more than 10 s, or anything but a number, is refused
    VERIFY_ERROR(ask(rig, "/patch/commit", Msg().f(20000.0f)), "/patch/commit", "the fade must be at most 10000 ms");
    VERIFY_ERROR(ask(rig, "/patch/commit", Msg().s("now")), "/patch/commit", "expected ([fade ms]), got (string)");
    VERIFY_ERROR(ask(rig, "/patch/commit", Msg().i(5).i(5)), "/patch/commit", "got (integer, integer)");
    QCOMPARE(rig.engine.stats().commits, std::uint64_t{1});
    const int activeBefore = rig.engine.activeSlot();
    const OscReply commit = ask(rig, "/patch/commit", Msg().i(50));
    VERIFY_REPLY(commit);
    QVERIFY2(isNumber(commit, 0, 1 - activeBefore), commit.describe().constData());
    QCOMPARE(commit.value(1).number(), 0.0); // primed before
    STOP_IF_FAILED(verifyTone(rig, 660.0, "after a 50 ms commit"));

    // undo_commit brings 440 back, with a fade too
    VERIFY_ERROR(ask(rig, "/patch/undo_commit", Msg().s("x")), "/patch/undo_commit", "expected ([fade ms]), got (string)");
    const int activeBeforeUndo = rig.engine.activeSlot();
    const OscReply undo = ask(rig, "/patch/undo_commit", Msg().f(30.0f));
    VERIFY_REPLY(undo);
    QVERIFY2(isNumber(undo, 0, 1 - activeBeforeUndo), undo.describe().constData());
    QVERIFY(rig.engine.committed() == first);
    QCOMPARE(rig.engine.stats().activeSlot, 1 - activeBeforeUndo);
    STOP_IF_FAILED(verifyTone(rig, 440.0, "after undo"));

    VERIFY_ERROR(ask(rig, "/patch/prime", Msg().i(1)), "/patch/prime", "expected (no arguments), got (integer)");
    VERIFY_ERROR(ask(rig, "/patch/abort", Msg().s("x")), "/patch/abort", "expected (no arguments), got (string)");
    CHRONUS_VERIFY_NO_NONE_READS(rig.noneReads());
}

// /patch/validate compiles the pending patch and touches nothing.
void TestOscServer::validateIsADryRun() {
    OscRig rig;
    START_RIG(rig);
    STOP_IF_FAILED(commitSine(rig, 440.0));
    // The commit re-syncs the old active as the mirror (in the background); the two edits go to it
    // after that. Let it apply all of them first, so any later change would be validate's doing.
    const int standby = 1 - rig.engine.activeSlot();
    QTRY_VERIFY(rig.engine.stats().slot[standby].state == SlotState::Mirror);
    const std::uint64_t edits = rig.engine.stats().slot[standby].editsApplied;
    VERIFY_REPLY(ask(rig, "/patch/create", Msg().s("pend1").s("saw")));
    VERIFY_REPLY(ask(rig, "/patch/connect", Msg().s("pend1").s("out")));
    QTRY_COMPARE(rig.engine.stats().slot[standby].editsApplied, edits + 2);
    const EngineStats before = rig.engine.stats();
    const PatchGraph committed = rig.engine.committed();
    const PatchGraph pending = rig.engine.pending();

    const OscReply r = ask(rig, "/patch/validate");
    VERIFY_REPLY(r);
    QVERIFY2(isNumber(r, 0, 3.0) && isNumber(r, 1, 4.0), r.describe().constData()); // out, osc1, pend1; 4 cables
    VERIFY_ERROR(ask(rig, "/patch/validate", Msg().i(1)), "/patch/validate", "expected (no arguments)");

    const EngineStats after = rig.engine.stats();
    for (int s = 0; s < 2; ++s) {
        QCOMPARE(after.slot[s].commandsApplied, before.slot[s].commandsApplied);
        QCOMPARE(after.slot[s].editsApplied, before.slot[s].editsApplied);
        QCOMPARE(after.slot[s].primeReady, before.slot[s].primeReady);
        QVERIFY(after.slot[s].state == before.slot[s].state);
    }
    QCOMPARE(after.commits, before.commits);
    QCOMPARE(after.lastPrimeMs, before.lastPrimeMs);
    QCOMPARE(after.activeSlot, before.activeSlot);
    STOP_IF_FAILED(verifyUntouched(rig, committed, pending, 440.0));
}

// /patch/dump: the pending and the committed patch, as patch-file JSON.
void TestOscServer::dumpReturnsPendingAndCommittedJson() {
    OscRig rig;
    START_RIG(rig);
    STOP_IF_FAILED(setUpCommittedAndPending(rig));
    const OscReply r = ask(rig, "/patch/dump");
    VERIFY_REPLY(r);
    QCOMPARE(r.valueCount(), std::size_t{2});
    const QJsonObject pending = parseObject(r.value(0).s, "the pending patch");
    const QJsonObject committed = parseObject(r.value(1).s, "the committed patch");
    for (const QJsonObject& o : {pending, committed}) {
        QCOMPARE(o.value("format").toString(), QStringLiteral("chronus-patch"));
        QCOMPARE(o.value("version").toInt(), 1);
    }
    const auto ids = [](const QJsonObject& o) {
        QStringList out;
        for (const QJsonValue m : o.value("modules").toArray())
            out << m.toObject().value("id").toString();
        return out;
    };
    QCOMPARE(ids(pending), (QStringList{"osc1", "pend1"}));
    QCOMPARE(ids(committed), (QStringList{"osc1"}));
    const QJsonObject osc1 = committed.value("modules").toArray().first().toObject();
    QCOMPARE(osc1.value("type").toString(), QStringLiteral("sine"));
    QCOMPARE(osc1.value("params").toObject().value("freq").toDouble(), 440.0);
    const QJsonArray cables = committed.value("cables").toArray();
    QCOMPARE(cables.size(), 2);
    QCOMPARE(cables[0].toObject().value("from").toString(), QStringLiteral("osc1.out"));
    QCOMPARE(cables[0].toObject().value("to").toString(), QStringLiteral("out.left"));
    QCOMPARE(cables[1].toObject().value("to").toString(), QStringLiteral("out.right"));
    // The same text the patch files hold: it parses back to the engine's patches.
    auto parsed = app::parsePatch(QByteArray::fromStdString(r.value(0).s), "dump");
    QVERIFY(parsed.ok());
    QVERIFY(parsed.value().graph == rig.engine.pending());
    VERIFY_ERROR(ask(rig, "/patch/dump", Msg().s("json")), "/patch/dump", "expected (no arguments), got (string)");
}

// /patch/save and /patch/load: names inside the patches folder only.
void TestOscServer::saveAndLoadStayInsideThePatchesFolder() {
    QTemporaryDir root;
    QVERIFY(root.isValid());
    const QString patches = QDir(root.path()).filePath("patches");
    OscRig rig(patches);
    START_RIG(rig);
    STOP_IF_FAILED(setUpCommittedAndPending(rig));
    const PatchGraph committed = rig.engine.committed();
    const PatchGraph saved = rig.engine.pending();

    const OscReply save = ask(rig, "/patch/save", Msg().s("song 1"));
    VERIFY_REPLY(save);
    const QString path = QDir(patches).absoluteFilePath("song 1.json");
    QVERIFY2(isString(save, 0, path.toStdString()), save.describe().constData());
    QVERIFY(QFileInfo::exists(path));
    auto onDisk = app::loadPatchFile(path);
    QVERIFY(onDisk.ok());
    QVERIFY(onDisk.value().graph == saved);

    VERIFY_REPLY(ask(rig, "/patch/clear"));
    QCOMPARE(rig.engine.pending().nodes().size(), std::size_t{1});
    const OscReply load = ask(rig, "/patch/load", Msg().s("song 1"));
    VERIFY_REPLY(load);
    QVERIFY2(isString(load, 0, path.toStdString()) && isNumber(load, 1, 3.0), load.describe().constData());
    QVERIFY(rig.engine.pending() == saved);
    VERIFY_REPLY(ask(rig, "/patch/load", Msg().s("song 1.json"))); // with the extension, the same file

    // Names that try to leave the folder (or are no names) are refused, for save and for load.
    const QStringList before = QDir(root.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden);
    const char* const hostile[] = {"../x", "/etc/passwd", "a/b", "..", "", ".hidden", "x\\y", "a..b", "../../../../tmp/x",
                                   "~/x", "./x", "nul\x01x", "dir/", "song 1/../../x"};
    for (const char* name : hostile) {
        for (const char* address : {"/patch/save", "/patch/load"}) {
            const OscReply r = ask(rig, address, Msg().s(name));
            QVERIFY2(r.isError(), (QByteArray(address) + " '" + name + "': " + r.describe()).constData());
            QVERIFY2(r.errorText().find("a patch name is 1-64 letters") != std::string::npos, r.describe().constData());
        }
    }
    VERIFY_ERROR(ask(rig, "/patch/save", Msg().s(std::string(65, 'n'))), "/patch/save", "a patch name is 1-64");
    QCOMPARE(QDir(root.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden), before);
    QCOMPARE(QDir(patches).entryList(QDir::Files), QStringList{"song 1.json"});
    QVERIFY(!QFileInfo::exists(QDir(root.path()).filePath("x.json")));

    // Missing, corrupt and hostile files: an error naming the file, the pending patch untouched.
    const PatchGraph pending = rig.engine.pending();
    VERIFY_ERROR(ask(rig, "/patch/load", Msg().s("nosuch")), "/patch/load", "nosuch.json");
    {
        QFile bad(QDir(patches).filePath("broken.json"));
        QVERIFY(bad.open(QIODevice::WriteOnly));
        bad.write("{ \"format\": \"chronus-patch\", \"version\": 1, \"modules\": [ {\"id\": ");
    }
    VERIFY_ERROR(ask(rig, "/patch/load", Msg().s("broken")), "/patch/load", "invalid JSON");
    {
        QFile hostileFile(QDir(patches).filePath("hostile.json"));
        QVERIFY(hostileFile.open(QIODevice::WriteOnly));
        hostileFile.write(R"({"format": "chronus-patch", "version": 1,
            "modules": [{"id": "x", "type": "rm -rf"}], "cables": []})");
    }
    VERIFY_ERROR(ask(rig, "/patch/load", Msg().s("hostile")), "/patch/load", "unknown module type 'rm -rf'");
    VERIFY_ERROR(ask(rig, "/patch/load", Msg().i(1)), "/patch/load", "expected (name), got (integer)");

    // A server with no patches folder says so.
    app::OscServerOptions noFolder;
    noFolder.port = 0;
    app::OscServer second(rig.engine, noFolder);
    QVERIFY(second.start().ok());
    test::OscTestClient client(second.port());
    QVERIFY(client.valid());
    const auto none = client.call("/patch/save", Msg().s("x"));
    QVERIFY2(none && none->isError() && none->errorText().find("no patches folder is configured") != std::string::npos,
             none ? none->describe().constData() : "no answer");
    second.stop();

    STOP_IF_FAILED(verifyUntouched(rig, committed, pending, 440.0));
}

// Out-of-range values are clamped *and reported*. A patch file with an out-of-range value
// loads (clamped), and the reply must say what was clamped, as /patch/set does.
void TestOscServer::loadReportsClampedValues() {
    QTemporaryDir root;
    QVERIFY(root.isValid());
    OscRig rig(root.path());
    START_RIG(rig);
    {
        QFile f(QDir(root.path()).filePath("loud.json"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(R"({"format": "chronus-patch", "version": 1,
            "modules": [{"id": "osc1", "type": "sine", "params": {"freq": 99999, "gain": 0.5}}],
            "cables": [{"from": "osc1", "to": "out"}]})");
    }
    const OscReply load = ask(rig, "/patch/load", Msg().s("loud"));
    VERIFY_REPLY(load);
    QCOMPARE(paramOf(rig.engine.pending(), "osc1", "freq"), 20000.0);
    qInfo("reply: %s", load.describe().constData());
    bool reported = false;
    for (std::size_t i = 0; i < load.valueCount(); ++i)
        reported |= load.value(i).type == 's' && load.value(i).s.find("out of range") != std::string::npos;
    QVERIFY2(reported, "/patch/load clamped osc1.freq 99999 to 20000 and said nothing (the parser's warnings "
                       "are dropped by OscServer::execute)");
}

// /engine/status: typed key/value pairs, or one JSON object with the documented status keys.
void TestOscServer::engineStatusTypedPairsAndJson() {
    OscRig rig;
    START_RIG(rig);
    STOP_IF_FAILED(commitSine(rig, 440.0));
    // The new active takes its role from a command of its own: let it arrive.
    QTRY_VERIFY(rig.engine.stats().slot[rig.engine.activeSlot()].state == SlotState::Active);
    const EngineStats stats = rig.engine.stats();

    const OscReply pairs = ask(rig, "/engine/status");
    VERIFY_REPLY(pairs);
    QVERIFY(pairs.valueCount() % 2 == 0);
    std::map<std::string, OscArg> values;
    for (std::size_t i = 0; i + 1 < pairs.valueCount(); i += 2) {
        QVERIFY2(pairs.value(i).type == 's', "keys are strings");
        values[pairs.value(i).s] = pairs.value(i + 1);
    }
    QStringList keys;
    for (const auto& [key, value] : values)
        keys << qs(key);
    qInfo("status keys: %s", qPrintable(keys.join(' ')));
    for (const char* key : {"active_slot", "xruns", "failovers", "rollbacks", "last_prime_ms", "last_commit_ms",
                            "commits", "sample_rate", "block_size", "latency_ms"}) {
        QVERIFY2(values.count(key), key);
        QVERIFY2(values[key].isNumber(), key);
    }
    for (int s = 0; s < 2; ++s) {
        const std::string p = "slot" + std::to_string(s) + "_";
        for (const char* key : {"prime_ready", "occupancy", "occupancy_min", "occupancy_max", "none_reads",
                                "none_reads_window", "dsp_load", "queue_drops"}) {
            QVERIFY2(values.count(p + key), (p + key).c_str());
            QVERIFY2(values[p + key].isNumber(), (p + key).c_str());
        }
        QVERIFY2(values.count(p + "state") && values[p + "state"].type == 's', (p + "state").c_str());
    }
    QCOMPARE(values["active_slot"].number(), static_cast<double>(stats.activeSlot));
    const std::string activeKey = "slot" + std::to_string(stats.activeSlot) + "_state";
    QCOMPARE(qs(values[activeKey].s), QStringLiteral("active"));
    QCOMPARE(values["commits"].number(), 1.0);
    QCOMPARE(values["sample_rate"].number(), 48000.0);
    QCOMPARE(values["block_size"].number(), 64.0);
    QVERIFY(values["latency_ms"].number() > 0.0);
    QVERIFY(values.count("driver") && values["driver"].s == "null");

    const OscReply json = ask(rig, "/engine/status", Msg().s("json"));
    VERIFY_REPLY(json);
    QCOMPARE(json.valueCount(), std::size_t{1});
    const QJsonObject o = parseObject(json.value(0).s, "/engine/status json");
    for (const char* key : {"active_slot", "slots", "xruns", "failovers", "rollbacks", "last_prime_ms", "last_commit_ms",
                            "commits", "sample_rate", "block_size", "latency_ms", "driver"})
        QVERIFY2(o.contains(key), key);
    QCOMPARE(o.value("active_slot").toInt(), stats.activeSlot);
    QCOMPARE(o.value("driver").toString(), QStringLiteral("null"));
    QCOMPARE(o.value("sample_rate").toDouble(), 48000.0);
    QCOMPARE(o.value("commits").toDouble(), 1.0);
    const QJsonArray slotArray = o.value("slots").toArray();
    QCOMPARE(slotArray.size(), 2);
    for (const QJsonValue v : slotArray) {
        const QJsonObject slot = v.toObject();
        for (const char* key : {"prime_ready", "state", "occupancy", "occupancy_min", "occupancy_max", "none_reads",
                                "none_reads_window", "dsp_load", "queue_drops"})
            QVERIFY2(slot.contains(key), key);
        QVERIFY(slot.value("prime_ready").isBool());
        QVERIFY(slot.value("state").isString());
        QCOMPARE(slot.value("none_reads").toDouble(), 0.0);
    }
    QCOMPARE(slotArray[stats.activeSlot].toObject().value("state").toString(), QStringLiteral("active"));
    qInfo("status json: %s", json.value(0).s.c_str());

    VERIFY_ERROR(ask(rig, "/engine/status", Msg().s("xml")), "/engine/status", "the only option is \"json\"");
    VERIFY_ERROR(ask(rig, "/engine/status", Msg().i(1)), "/engine/status", "expected ([\"json\"]), got (integer)");
    VERIFY_ERROR(ask(rig, "/engine/status", Msg().s("json").s("json")), "/engine/status", "got (string, string)");
}

// A commit blocks only the controller: the network thread answers status meanwhile.
void TestOscServer::statusIsAnsweredWhileACommitWaits() {
    OscRig rig;
    START_RIG(rig);
    STOP_IF_FAILED(commitSine(rig, 440.0));
    VERIFY_REPLY(ask(rig, "/patch/set", Msg().s("osc1").s("freq").f(660.0f)));
    const auto t0 = std::chrono::steady_clock::now();
    QVERIFY(rig.client->send("/patch/commit", Msg().i(1500))); // a 1.5 s fade
    const OscReply status = ask(rig, "/engine/status", Msg().s("json"));
    const double statusMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    VERIFY_REPLY(status);
    const auto commit = rig.client->waitFor("/patch/commit", std::chrono::milliseconds(8000));
    const double commitMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    QVERIFY2(commit && commit->isReply(), commit ? commit->describe().constData() : "no commit reply");
    qInfo("status answered after %.1f ms while the 1.5 s commit took %.1f ms", statusMs, commitMs);
    QVERIFY(statusMs < 1000.0);
    QVERIFY(commitMs > 1500.0);
    STOP_IF_FAILED(verifyTone(rig, 660.0, "after the slow commit"));
}

// /engine/schema: every module type with its ports and parameters (id, name, unit, min, max, default).
void TestOscServer::engineSchemaListsEveryModuleType() {
    OscRig rig;
    START_RIG(rig);
    const OscReply r = ask(rig, "/engine/schema");
    VERIFY_REPLY(r);
    QCOMPARE(r.valueCount(), std::size_t{1});
    qInfo("schema: %zu bytes", r.value(0).s.size());
    const QJsonObject schema = parseObject(r.value(0).s, "the schema");
    std::map<QString, QJsonObject> byType;
    for (const QJsonValue v : schema.value("types").toArray())
        byType[v.toObject().value("type").toString()] = v.toObject();
    QCOMPARE(byType.size(), ModuleRegistry::instance().types().size());
    const auto checkPorts = [](const QJsonArray& ports, std::span<const PortSpec> specs) {
        if (ports.size() != static_cast<int>(specs.size()))
            return false;
        for (std::size_t i = 0; i < specs.size(); ++i) {
            const QJsonObject p = ports[static_cast<int>(i)].toObject();
            if (p.value("id").toString() != QLatin1String(specs[i].id) ||
                p.value("name").toString() != QLatin1String(specs[i].name) || !p.value("kind").isString())
                return false;
        }
        return true;
    };
    for (const ModuleType* type : ModuleRegistry::instance().types()) {
        QVERIFY2(byType.count(QString::fromLatin1(type->id)), type->id);
        const QJsonObject t = byType[QString::fromLatin1(type->id)];
        QCOMPARE(t.value("name").toString(), QString(type->name));
        QVERIFY2(checkPorts(t.value("inputs").toArray(), type->inputs), type->id);
        QVERIFY2(checkPorts(t.value("outputs").toArray(), type->outputs), type->id);
        const QJsonArray params = t.value("params").toArray();
        std::vector<ParamSpec> shown; // hidden ones (sequencer steps) travel as text forms
        for (const ParamSpec& spec : type->params)
            if (!(spec.flags & engine::ParamHidden))
                shown.push_back(spec);
        QCOMPARE(params.size(), static_cast<int>(shown.size()));
        QCOMPARE(t.value("text_params").toArray().size(), type->text ? static_cast<int>(type->text->texts.size()) : 0);
        for (std::size_t i = 0; i < shown.size(); ++i) {
            const ParamSpec& spec = shown[i];
            const QJsonObject p = params[static_cast<int>(i)].toObject();
            QCOMPARE(p.value("id").toString(), QString(spec.id));
            QCOMPARE(p.value("name").toString(), QString(spec.name));
            QCOMPARE(p.value("unit").toString(), QString(spec.unit));
            QCOMPARE(p.value("min").toDouble(), static_cast<double>(spec.min));
            QCOMPARE(p.value("max").toDouble(), static_cast<double>(spec.max));
            QCOMPARE(p.value("default").toDouble(), static_cast<double>(spec.def));
            QCOMPARE(p.value("scale").toString(), (spec.flags & engine::ParamLog) ? QStringLiteral("log") : QStringLiteral("linear"));
        }
    }
    // Frequencies and times are logarithmic: an oscillator's pitch, a filter's cutoff, an envelope's times.
    const auto scaleOf = [&byType](const char* type, const char* param) {
        for (const QJsonValue v : byType[QString::fromLatin1(type)].value("params").toArray())
            if (v.toObject().value("id").toString() == QLatin1String(param))
                return v.toObject().value("scale").toString();
        return QString();
    };
    QCOMPARE(scaleOf("saw", "freq"), QStringLiteral("log"));
    QCOMPARE(scaleOf("svf", "cutoff"), QStringLiteral("log"));
    QCOMPARE(scaleOf("adsr", "attack"), QStringLiteral("log"));
    QCOMPARE(scaleOf("vca", "level"), QStringLiteral("linear"));
    const QJsonObject aliases = schema.value("aliases").toObject();
    QCOMPARE(aliases.value("simple_sine").toString(), QStringLiteral("sine"));
    QCOMPARE(aliases.value("biquad_filter").toString(), QStringLiteral("biquad"));
    VERIFY_ERROR(ask(rig, "/engine/schema", Msg().s("x")), "/engine/schema", "expected (no arguments), got (string)");
}

// Wrong type tags, missing and extra arguments, unknown addresses, non-UTF-8, a 10 kB id, a long
// address: each gets a specific /error, and nothing changes.
void TestOscServer::wrongArgumentsGetSpecificErrors() {
    OscRig rig;
    START_RIG(rig);
    STOP_IF_FAILED(setUpCommittedAndPending(rig));
    const PatchGraph committed = rig.engine.committed();
    const PatchGraph pending = rig.engine.pending();
    const std::uint8_t blobBytes[] = {1, 2, 3};

    struct Case {
        std::string address;
        OscMessage message;
        std::string needle;
    };
    std::vector<Case> cases;
    const auto add = [&](std::string address, auto&& m, std::string needle) {
        cases.push_back({std::move(address), std::move(m), std::move(needle)});
    };
    add("/patch/create", Msg().s("osc9"), "expected (id, type [, id, type ...]), got (string)");
    add("/patch/create", Msg(), "expected (id, type [, id, type ...]), got (nothing)");
    add("/patch/create", Msg().s("a").s("sine").s("x"), "expected (id, type [, id, type ...]), got (string, string, string)");
    add("/patch/create", Msg().i(1).i(2), "got (integer, integer)");
    add("/patch/create", Msg().f(1.5f).s("sine"), "got (float, string)");
    add("/patch/create", Msg().s("a").b(blobBytes), "got (string, blob)");
    add("/patch/create", Msg().s("a").c('x'), "got (string, char)");
    add("/patch/create", Msg().s("a").T(), "got (string, boolean)");
    add("/patch/connect", Msg().s("osc1"), "expected (source, destination [, source, destination ...]), got (string)");
    add("/patch/disconnect", Msg().s("osc1").i(0), "expected (source, destination [, source, destination ...]), got (string, integer)");
    add("/patch/delete", Msg(), "expected (id), got (nothing)");
    add("/patch/delete", Msg().s("osc1").s("osc1"), "expected (id), got (string, string)");
    add("/patch/clear", Msg().i(1), "expected (no arguments), got (integer)");
    add("/patch/set", Msg().s("osc1").s("freq"), "expected (id, param, value (number, or text: a pattern, notes, a label) [, ...]), got (string, string)");
    add("/patch/set", Msg().s("osc1").s("freq").T(), "got (string, string, boolean)");
    add("/patch/set", Msg().s("osc1").s("freq").N(), "got (string, string, nil)");
    add("/patch/set", Msg().s("osc1").s("freq").I(), "got (string, string, infinitum)");
    add("/patch/set", Msg().s("osc1").s("freq").b(blobBytes), "got (string, string, blob)");
    add("/patch/set", Msg().s("osc1").s("freq").f(1.0f).f(2.0f), "got (string, string, float, float)");
    add("/patch/save", Msg(), "expected (name), got (nothing)");
    add("/engine/schema", Msg().i(0), "expected (no arguments), got (integer)");
    add("/patch/frobnicate", Msg(), "unknown address (known: /patch/create, /patch/connect");
    add("/", Msg(), "unknown address");
    add("/PATCH/CREATE", Msg().s("a").s("sine"), "unknown address");
    add("/patch/create/", Msg().s("a").s("sine"), "unknown address");
    add("/patch", Msg(), "/mod/<id>/<param>, /gate/<id>");
    // Strings must be UTF-8: a stray byte, an overlong encoding, a surrogate-free truncated sequence.
    add("/patch/create", Msg().s("\xff\xfe").s("sine"), "argument 1 is not valid UTF-8");
    add("/patch/create", Msg().s("a").s("\xc0\xaf"), "argument 2 is not valid UTF-8");
    add("/patch/set", Msg().s("osc1").s("fr\xe2\x82"), "got (string, string)"); // the count comes first
    add("/patch/connect", Msg().s("osc1").s("\xe2\x82"), "argument 2 is not valid UTF-8");
    add("/patch/create", Msg().s(std::string(10240, 'x')).s("sine"), "argument 1 is too long (10240 bytes; ids are at most 64)");
    add("/patch/create", Msg().s(std::string(1000, 'y')).s("sine"), "invalid module id");
    add("/patch/create", Msg().s("a").s(std::string(5000, 'z')), "argument 2 is too long (5000 bytes");
    for (Case& c : cases) {
        const OscReply r = ask(rig, c.address, c.message);
        const QByteArray what = QByteArray::fromStdString(c.address) + ": " + r.describe();
        QVERIFY2(r.isError() && r.address() == c.address, what.constData());
        QVERIFY2(r.errorText().find(c.needle) != std::string::npos,
                 (what + "  [expected to contain: " + QByteArray::fromStdString(c.needle) + "]").constData());
    }

    // The address itself: not UTF-8 (echoed as a placeholder), or longer than 256 bytes (echoed cut).
    VERIFY_ERROR(ask(rig, "/patch/\xff\xfe", Msg(), "(address not UTF-8)"), "(address not UTF-8)",
                 "the address must be UTF-8, at most 256 bytes");
    const std::string longAddress = std::string(1, '/').append(400, 'a');
    VERIFY_ERROR(ask(rig, longAddress, Msg(), longAddress.substr(0, 256)), longAddress.substr(0, 256),
                 "at most 256 bytes");
    const std::string longMod = std::string("/mod/osc1/").append(300, 'p');
    VERIFY_ERROR(ask(rig, longMod, Msg().f(1.0f), longMod.substr(0, 256)), longMod.substr(0, 256), "at most 256 bytes");

    // Nothing was created, changed or lost; the server counted every one.
    const app::OscCounters c = rig.server->counters();
    qInfo("requests %llu, replies %llu, errors %llu, malformed %llu", static_cast<unsigned long long>(c.requests),
          static_cast<unsigned long long>(c.replies), static_cast<unsigned long long>(c.errors),
          static_cast<unsigned long long>(c.malformed));
    QCOMPARE(c.replies + c.errors, c.requests);
    QCOMPARE(c.malformed, std::uint64_t{0});
    STOP_IF_FAILED(verifyUntouched(rig, committed, pending, 440.0));
}

// NaN and Inf never reach the engine, whichever address carries them.
void TestOscServer::nanAndInfAreRefused() {
    OscRig rig;
    START_RIG(rig);
    STOP_IF_FAILED(setUpCommittedAndPending(rig));
    const PatchGraph committed = rig.engine.committed();
    const PatchGraph pending = rig.engine.pending();
    const float nanF = std::numeric_limits<float>::quiet_NaN();
    const float infF = std::numeric_limits<float>::infinity();
    const double nanD = std::numeric_limits<double>::quiet_NaN();
    const double infD = std::numeric_limits<double>::infinity();

    VERIFY_ERROR(ask(rig, "/patch/set", Msg().s("osc1").s("freq").f(nanF)), "/patch/set", "argument 3 must be a finite number");
    VERIFY_ERROR(ask(rig, "/patch/set", Msg().s("osc1").s("freq").f(infF)), "/patch/set", "argument 3 must be a finite number");
    VERIFY_ERROR(ask(rig, "/patch/set", Msg().s("osc1").s("freq").f(-infF)), "/patch/set", "argument 3 must be a finite number");
    VERIFY_ERROR(ask(rig, "/patch/set", Msg().s("osc1").s("freq").d(nanD)), "/patch/set", "argument 3 must be a finite number");
    VERIFY_ERROR(ask(rig, "/patch/set", Msg().s("osc1").s("freq").d(infD)), "/patch/set", "argument 3 must be a finite number");
    VERIFY_ERROR(ask(rig, "/mod/osc1/freq", Msg().f(nanF)), "/mod/osc1/freq", "argument 1 must be a finite number");
    VERIFY_ERROR(ask(rig, "/mod/osc1/gain", Msg().d(infD)), "/mod/osc1/gain", "argument 1 must be a finite number");
    VERIFY_ERROR(ask(rig, "/patch/commit", Msg().f(infF)), "/patch/commit", "argument 1 must be a finite number");
    VERIFY_ERROR(ask(rig, "/patch/commit", Msg().d(nanD)), "/patch/commit", "argument 1 must be a finite number");
    VERIFY_ERROR(ask(rig, "/patch/undo_commit", Msg().f(nanF)), "/patch/undo_commit", "argument 1 must be a finite number");
    VERIFY_ERROR(ask(rig, "/gate/osc1", Msg().f(nanF)), "/gate/osc1", "a gate takes 1/0, on/off or true/false");
    VERIFY_ERROR(ask(rig, "/gate/osc1", Msg().d(infD)), "/gate/osc1", "a gate takes 1/0, on/off or true/false");
    // Huge but finite values are numbers: clamped.
    const OscReply huge = ask(rig, "/patch/set", Msg().s("pend1").s("freq").d(1e300));
    VERIFY_REPLY(huge);
    QVERIFY(isNumber(huge, 2, 20000.0));
    VERIFY_REPLY(ask(rig, "/patch/set", Msg().s("pend1").s("freq").d(440.0)));

    QCOMPARE(rig.engine.stats().commits, std::uint64_t{1});
    STOP_IF_FAILED(verifyUntouched(rig, committed, pending, 440.0));
}

// Datagrams that are not OSC cannot be answered in OSC: dropped and counted. Huge and truncated ones
// too. The server answers correctly afterwards.
void TestOscServer::malformedDatagramsAreDroppedAndCounted() {
    OscRig rig;
    START_RIG(rig);
    STOP_IF_FAILED(setUpCommittedAndPending(rig));
    const PatchGraph committed = rig.engine.committed();
    const PatchGraph pending = rig.engine.pending();

    const std::vector<std::uint8_t> create = Msg().s("osc7").s("sine").serialise("/patch/create");
    const std::vector<std::uint8_t> set = Msg().s("osc1").s("freq").f(660.0f).serialise("/patch/set");
    std::vector<std::vector<std::uint8_t>> garbage;
    garbage.push_back({});                                                    // empty datagram
    garbage.push_back(std::vector<std::uint8_t>(100, 0xff));                 // no string at all
    garbage.push_back({'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'}); // text, no NUL
    garbage.push_back({create.begin(), create.end() - 3});                   // cut inside the last string
    garbage.push_back({create.begin(), create.begin() + 18});                // cut inside the type tags
    garbage.push_back({set.begin(), set.end() - 4});                         // the float is missing
    garbage.push_back({set.begin(), set.end() - 1});                         // one byte short
    {
        std::vector<std::uint8_t> blob; // a blob whose length field runs past the end
        raw::appendString(blob, "/patch/create");
        raw::appendString(blob, ",b");
        raw::appendU32(blob, 0x7fffffff);
        raw::appendU32(blob, 0);
        garbage.push_back(blob);
    }
    {
        std::vector<std::uint8_t> noPad; // a string that is not padded to 4 bytes
        raw::appendString(noPad, "/patch/clear");
        noPad.push_back(',');
        noPad.push_back(0);
        garbage.push_back(noPad);
    }
    garbage.push_back(std::vector<std::uint8_t>(65507, 0xff));               // the largest UDP datagram, garbage
    std::vector<std::uint8_t> randomBytes(65507);
    std::uint32_t state = 12345;
    for (auto& b : randomBytes) {
        state = state * 1664525u + 1013904223u;
        b = static_cast<std::uint8_t>((state >> 24) | 1); // never NUL: never a valid string
    }
    garbage.push_back(randomBytes);

    const app::OscCounters before = rig.server->counters();
    for (const auto& g : garbage)
        QVERIFY(rig.client->sendRaw(g));
    VERIFY_REPLY(ask(rig, "/engine/status")); // handled in order: the garbage has been seen
    const app::OscCounters after = rig.server->counters();
    qInfo("garbage datagrams sent %zu, received %llu, malformed %llu, answered %llu", garbage.size(),
          static_cast<unsigned long long>(after.packets - before.packets - 1),
          static_cast<unsigned long long>(after.malformed - before.malformed),
          static_cast<unsigned long long>(after.replies + after.errors - before.replies - before.errors - 1));
    QCOMPARE(after.packets - before.packets, garbage.size() + 1);
    QCOMPARE(after.malformed - before.malformed, std::uint64_t{garbage.size()});
    QCOMPARE(after.requests - before.requests, std::uint64_t{1});
    rig.client->pump(50);
    QVERIFY2(rig.client->inbox().empty(), rig.client->inbox().front().describe().constData());

    // The largest datagram that is a well-formed request: answered (an id of 65 kB is refused).
    {
        const std::string id(65400, 'x');
        const std::vector<std::uint8_t> big = Msg().s(id).s("sine").serialise("/patch/create");
        qInfo("largest request: %zu bytes", big.size());
        QVERIFY(big.size() <= 65507);
        VERIFY_ERROR(askRaw(rig, big, "/patch/create"), "/patch/create", "argument 1 is too long (65400 bytes");
    }
    // One byte more than UDP carries cannot even be sent.
    QVERIFY(!rig.client->sendRaw(std::vector<std::uint8_t>(65508, 0xff)));

    // A message without a type-tag string (OSC 1.0 says old senders may omit it).
    {
        std::vector<std::uint8_t> untyped;
        raw::appendString(untyped, "/engine/status");
        const app::OscCounters b = rig.server->counters();
        QVERIFY(rig.client->sendRaw(untyped));
        VERIFY_REPLY(ask(rig, "/engine/schema"));
        const app::OscCounters a = rig.server->counters();
        const bool answered = rig.client->waitFor("/engine/status", std::chrono::milliseconds(100)).has_value();
        qInfo("a message without type tags: %s", answered ? "answered" : a.malformed > b.malformed ? "dropped as malformed" : "lost");
        QVERIFY(answered || a.malformed == b.malformed + 1);
    }
    STOP_IF_FAILED(verifyUntouched(rig, committed, pending, 440.0));
}

// Bundles: nested 1000 deep and as deep as one datagram allows; a few levels holding real requests
// (each answered); a future timetag (dispatched now); a broken element length (dropped).
void TestOscServer::nestedBundles() {
    OscRig rig;
    START_RIG(rig);
    STOP_IF_FAILED(setUpCommittedAndPending(rig));
    const PatchGraph committed = rig.engine.committed();

    // Empty bundles nested 1000 deep, then as deep as fits in 65507 bytes (16 + 20 per level).
    for (int depth : {1000, (65507 - 16) / 20 + 1}) {
        const std::vector<std::uint8_t> nested = raw::nestedBundle(depth, {});
        QVERIFY(nested.size() <= 65507);
        const app::OscCounters before = rig.server->counters();
        QVERIFY(rig.client->sendRaw(nested));
        VERIFY_REPLY(ask(rig, "/engine/status"));
        const app::OscCounters after = rig.server->counters();
        qInfo("empty bundles nested %d deep (%zu bytes): %llu requests, %llu malformed", depth, nested.size(),
              static_cast<unsigned long long>(after.requests - before.requests - 1),
              static_cast<unsigned long long>(after.malformed - before.malformed));
        QCOMPARE(after.packets - before.packets, std::uint64_t{2});
        QCOMPARE(after.requests - before.requests, std::uint64_t{1});
    }

    // Real requests, three levels deep: each answered, in order for the controller.
    const std::vector<std::uint8_t> inner = raw::bundle({Msg().s("osc5").s("freq").f(330.0f).serialise("/patch/set"),
                                                         Msg().serialise("/patch/delete")});
    const std::vector<std::uint8_t> middle = raw::bundle({Msg().serialise("/engine/status"), inner});
    const std::vector<std::uint8_t> outer = raw::bundle({Msg().s("osc5").s("sine").serialise("/patch/create"), middle});
    QVERIFY(rig.client->sendRaw(outer));
    const auto created = rig.client->waitFor("/patch/create");
    const auto status = rig.client->waitFor("/engine/status");
    const auto set = rig.client->waitFor("/patch/set");
    const auto deleted = rig.client->waitFor("/patch/delete");
    QVERIFY2(created && created->isReply(), created ? created->describe().constData() : "no answer to /patch/create");
    QVERIFY2(status && status->isReply(), "no answer to /engine/status");
    QVERIFY2(set && set->isReply() && isNumber(*set, 2, 330.0), set ? set->describe().constData() : "no answer to /patch/set");
    QVERIFY2(deleted && deleted->isError(), deleted ? deleted->describe().constData() : "no answer to /patch/delete");
    QCOMPARE(paramOf(rig.engine.pending(), "osc5", "freq"), 330.0);

    // A real request at the bottom of 1000 levels.
    const std::vector<std::uint8_t> deep = raw::nestedBundle(1000, {Msg().s("osc6").s("sine").serialise("/patch/create")});
    VERIFY_REPLY(askRaw(rig, deep, "/patch/create"));
    QVERIFY(rig.engine.pending().find("osc6"));

    // A timetag an hour ahead: dispatched at once (the server does not schedule).
    const std::uint64_t now = (static_cast<std::uint64_t>(std::time(nullptr)) + 2208988800ull) << 32;
    const std::vector<std::uint8_t> later = raw::bundle({Msg().serialise("/engine/schema")}, now + (3600ull << 32));
    VERIFY_REPLY(askRaw(rig, later, "/engine/schema"));

    // An element length that runs past the end, and one that leaves bytes over: dropped whole.
    {
        std::vector<std::uint8_t> broken = raw::bundle({Msg().s("osc8").s("sine").serialise("/patch/create")});
        broken[16] = 0x7f; // the element's size field
        std::vector<std::uint8_t> trailing = raw::bundle({Msg().s("osc9").s("sine").serialise("/patch/create")});
        trailing.push_back(0);
        trailing.push_back(0);
        const app::OscCounters before = rig.server->counters();
        QVERIFY(rig.client->sendRaw(broken));
        QVERIFY(rig.client->sendRaw(trailing));
        VERIFY_REPLY(ask(rig, "/engine/status"));
        const app::OscCounters after = rig.server->counters();
        QCOMPARE(after.malformed - before.malformed, std::uint64_t{2});
        QCOMPARE(after.requests - before.requests, std::uint64_t{1});
        QVERIFY(!rig.engine.pending().find("osc8") && !rig.engine.pending().find("osc9"));
    }

    VERIFY_REPLY(ask(rig, "/engine/status"));
    QVERIFY(rig.engine.committed() == committed);
    STOP_IF_FAILED(verifyTone(rig, 440.0, "after the bundles"));
    CHRONUS_VERIFY_NO_NONE_READS(rig.noneReads());
    QCOMPARE(rig.watcher.nonFiniteSamples(), std::uint64_t{0});
}

// 10,000 creates as fast as the client can send them: each is applied with a /reply or refused with
// an /error; nothing that was accepted is lost; whatever UDP dropped is counted; the server answers
// afterwards and the audio never stopped.
void TestOscServer::tenThousandCreatesInARow() {
    OscRig rig;
    START_RIG(rig);
    STOP_IF_FAILED(commitSine(rig, 440.0));
    const PatchGraph committed = rig.engine.committed();
    rig.client->inbox().clear();
    const app::OscCounters before = rig.server->counters();

    constexpr int kCount = 10000;
    const auto idOf = [](int i) {
        char id[16];
        std::snprintf(id, sizeof id, "m%05d", i);
        return std::string(id);
    };
    std::set<std::string> applied;
    std::uint64_t answered = 0, busyCount = 0, queueFullCount = 0, limitCount = 0, otherCount = 0;
    std::vector<std::string> otherErrors;
    const auto collect = [&] {
        auto& inbox = rig.client->inbox();
        while (!inbox.empty()) {
            const OscReply r = std::move(inbox.front());
            inbox.pop_front();
            if (r.address() != "/patch/create")
                continue;
            ++answered;
            if (r.isReply() && r.valueCount() >= 1)
                applied.insert(r.value(0).s);
            else if (r.isError() && r.errorText().rfind("busy:", 0) == 0)
                ++busyCount;
            else if (r.isError() && r.errorText().find("queue is full") != std::string::npos)
                ++queueFullCount;
            else if (r.isError() && r.errorText().find("a patch has at most") != std::string::npos)
                ++limitCount;
            else if (++otherCount <= 5)
                otherErrors.push_back(r.describe().toStdString());
        }
    };
    const auto t0 = std::chrono::steady_clock::now();
    int sendFailures = 0;
    for (int i = 0; i < kCount; ++i) {
        if (!rig.client->send("/patch/create", Msg().s(idOf(i)).s("sine")))
            ++sendFailures;
        rig.client->pump(0); // keep the client's own buffer drained
        collect();
    }
    const double sendSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    // Wait until every datagram that arrived has been handled and answered and the answers are
    // here, or until nothing more arrives for 3 s (UDP may drop some on the way back).
    auto lastArrival = std::chrono::steady_clock::now();
    while (true) {
        const int got = rig.client->pump(20);
        collect();
        if (got > 0)
            lastArrival = std::chrono::steady_clock::now();
        const app::OscCounters c = rig.server->counters();
        const std::uint64_t handledNow = c.requests - before.requests;
        const std::uint64_t sentBackNow = c.replies + c.errors - before.replies - before.errors;
        if (handledNow == c.packets - before.packets && sentBackNow == handledNow && answered == sentBackNow)
            break;
        if (std::chrono::steady_clock::now() - lastArrival > std::chrono::seconds(3))
            break;
    }
    const double totalSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const app::OscCounters after = rig.server->counters();
    const std::uint64_t received = after.packets - before.packets;
    const std::uint64_t handled = after.requests - before.requests;
    const std::uint64_t sentBack = after.replies + after.errors - before.replies - before.errors;

    // Still answering, correctly.
    const OscReply status = ask(rig, "/engine/status");
    VERIFY_REPLY(status);

    const PatchGraph pending = rig.engine.pending();
    std::size_t missing = 0;
    for (const std::string& id : applied)
        if (!pending.find(id))
            ++missing;
    const std::size_t created = pending.nodes().size() - 2; // all but out and osc1
    const std::uint64_t accepted = after.replies - before.replies;
    qInfo("10k creates: sent %d in %.3f s (%.0f/s, %d send failures); the server received %llu (UDP dropped "
          "%llu on the way in), handled %llu and answered %llu (%llu refused as busy); the client got %llu "
          "answers (%llu lost on the way back): %zu applied, %llu busy, %llu standby queue full, %llu over the "
          "module limit, %llu other errors; the pending patch holds %zu new modules; everything answered %.3f s "
          "after the first send",
          kCount, sendSeconds, kCount / sendSeconds, sendFailures, static_cast<unsigned long long>(received),
          static_cast<unsigned long long>(kCount - received), static_cast<unsigned long long>(handled),
          static_cast<unsigned long long>(sentBack), static_cast<unsigned long long>(after.busy - before.busy),
          static_cast<unsigned long long>(answered), static_cast<unsigned long long>(sentBack - answered),
          applied.size(), static_cast<unsigned long long>(busyCount),
          static_cast<unsigned long long>(queueFullCount), static_cast<unsigned long long>(limitCount),
          static_cast<unsigned long long>(otherCount), created,
          totalSeconds);
    for (const std::string& e : otherErrors)
        qInfo("other error: %s", e.c_str());

    QCOMPARE(missing, std::size_t{0});                 // nothing lost that was accepted
    QCOMPARE(static_cast<std::uint64_t>(created), accepted); // and nothing applied that was refused
    QCOMPARE(handled, received);                       // every datagram that arrived was handled
    QCOMPARE(sentBack, handled);                       // and answered
    QCOMPARE(otherCount, std::uint64_t{0});            // refused only for being busy, or full
    QVERIFY(busyCount <= after.busy - before.busy);
    QVERIFY(applied.size() + busyCount + queueFullCount + limitCount == answered);
    // The patch's module limit (4096, `out` included) is reached, not exceeded.
    QVERIFY(pending.nodes().size() <= kMaxModules);
    QVERIFY(!applied.empty());
    QVERIFY(rig.engine.committed() == committed);
    STOP_IF_FAILED(verifyTone(rig, 440.0, "after 10k creates"));
    CHRONUS_VERIFY_NO_NONE_READS(rig.noneReads());
    QCOMPARE(rig.watcher.nonFiniteSamples(), std::uint64_t{0});
}

// Replies larger than one UDP datagram (a dump of a big patch, an error listing every module id):
// the client must get an answer, not silence, and an error must still say what was wrong.
void TestOscServer::largeRepliesAreNotLost() {
    OscRig rig;
    START_RIG(rig);
    // 2000 modules with 40-character ids, straight into the engine: a dump of ~400 kB and an
    // "unknown module" error that lists ~84 kB of ids.
    for (int i = 0; i < 2000; ++i) {
        char id[48];
        std::snprintf(id, sizeof id, "a_module_with_a_rather_long_name_%07d", i);
        const Status s = rig.engine.addModule(id, "sine");
        QVERIFY2(s.ok(), s.message().c_str());
    }
    const auto dump = rig.client->call("/patch/dump");
    const auto connect = rig.client->call("/patch/connect", Msg().s("nosuch").s("out"));
    const std::size_t dumpBytes = app::serializePatch(rig.engine.pending()).size();
    qInfo("/patch/dump of 2000 modules (%zu bytes of JSON): %s", dumpBytes,
          dump ? dump->describe().left(200).constData() : "NO ANSWER");
    qInfo("/patch/connect nosuch out: %s", connect ? connect->describe().left(200).constData() : "NO ANSWER");
    const OscReply status = ask(rig, "/engine/status"); // the server itself is fine
    VERIFY_REPLY(status);

    QVERIFY2(dump.has_value(), "/patch/dump got no answer at all: the reply is larger than a UDP datagram");
    QVERIFY2(connect.has_value(), "/patch/connect with an unknown id got no answer: the error lists every module "
                                  "id and is larger than a UDP datagram");
    QVERIFY2(dump->isReply() || dump->errorText().find("too large") != std::string::npos, dump->describe().constData());
    // The error says which module is missing (it need not list 2000 others to do so).
    VERIFY_ERROR(*connect, "/patch/connect", "no module 'nosuch'");
}

// The counters (what `chronus serve` prints when it stops) count one answer per request, also for
// a reply replaced by an error because it was too large.
void TestOscServer::countersCountOneAnswerPerRequest() {
    OscRig rig;
    START_RIG(rig);
    for (int i = 0; i < 2000; ++i) {
        char id[48];
        std::snprintf(id, sizeof id, "a_module_with_a_rather_long_name_%07d", i);
        QVERIFY(rig.engine.addModule(id, "sine").ok());
    }
    const app::OscCounters before = rig.server->counters();
    VERIFY_REPLY(ask(rig, "/engine/status"));
    QVERIFY(ask(rig, "/patch/create", Msg().s("x")).isError());
    QVERIFY(rig.client->call("/patch/dump").has_value());                                 // too large
    QVERIFY(rig.client->call("/patch/connect", Msg().s("nosuch").s("out")).has_value()); // too large
    const app::OscCounters after = rig.server->counters();
    qInfo("4 requests, 4 answers received; the counters say %llu requests, %llu replies, %llu errors",
          static_cast<unsigned long long>(after.requests - before.requests),
          static_cast<unsigned long long>(after.replies - before.replies),
          static_cast<unsigned long long>(after.errors - before.errors));
    QCOMPARE(after.requests - before.requests, std::uint64_t{4});
    QCOMPARE(after.replies + after.errors - before.replies - before.errors, std::uint64_t{4});
}

// `shape square`, `sync 1/8`, `mode fold` by /patch/set and /mod: the label stands for the value,
// replies carry the label, dump writes it, the schema lists the labels in value order, and an
// unknown label gets an error naming the valid ones.
void TestOscServer::discreteParamsTakeTheirLabels() {
    OscRig rig;
    START_RIG(rig);
    VERIFY_REPLY(ask(rig, "/patch/create", Msg().s("l1").s("lfo").s("d").s("distortion")));
    const OscReply set =
        ask(rig, "/patch/set",
            Msg().s("l1").s("shape").s("square").s("l1").s("sync").s("1/8").s("d").s("mode").s("fold"));
    VERIFY_REPLY(set);
    QVERIFY2(isString(set, 2, "square") && isString(set, 5, "1/8") && isString(set, 8, "fold"),
             set.describe().constData());
    QCOMPARE(paramOf(rig.engine.pending(), "l1", "shape"), 3.0);
    QCOMPARE(paramOf(rig.engine.pending(), "l1", "sync"), 4.0);
    QCOMPARE(paramOf(rig.engine.pending(), "d", "mode"), 2.0);
    const PatchGraph pending = rig.engine.pending();
    VERIFY_ERROR(ask(rig, "/patch/set", Msg().s("l1").s("shape").s("squar")), "/patch/set",
                 "l1.shape: 'squar' is not one of its choices: sine, triangle, saw, square, s&h");
    VERIFY_ERROR(ask(rig, "/patch/set", Msg().s("l1").s("rate").s("fast")), "/patch/set", "takes a number");
    QVERIFY(rig.engine.pending() == pending);

    const OscReply dump = ask(rig, "/patch/dump");
    VERIFY_REPLY(dump);
    const QJsonObject patch = parseObject(dump.value(0).s, "the pending patch");
    QJsonObject lfo;
    for (const QJsonValue m : patch.value("modules").toArray())
        if (m.toObject().value("id") == QLatin1String("l1"))
            lfo = m.toObject().value("params").toObject();
    QCOMPARE(lfo.value("shape").toString(), QStringLiteral("square"));
    QCOMPARE(lfo.value("sync").toString(), QStringLiteral("1/8"));

    VERIFY_REPLY(ask(rig, "/patch/commit"));
    const OscReply live = ask(rig, "/mod/l1/shape", Msg().s("saw"));
    VERIFY_REPLY(live);
    QVERIFY2(isString(live, 0, "saw"), live.describe().constData());
    QCOMPARE(paramOf(rig.engine.committed(), "l1", "shape"), 2.0);
    VERIFY_ERROR(ask(rig, "/mod/l1/sync", Msg().s("1/7")), "/mod/l1/sync", "1/8t, 1/16t");
    QCOMPARE(paramOf(rig.engine.committed(), "l1", "sync"), 4.0);

    const OscReply schema = ask(rig, "/engine/schema");
    VERIFY_REPLY(schema);
    int labelled = 0;
    for (const QJsonValue t : parseObject(schema.value(0).s, "the schema").value("types").toArray()) {
        const engine::ModuleType* type =
            ModuleRegistry::instance().find(t.toObject().value("type").toString().toStdString());
        QVERIFY(type);
        for (const QJsonValue pv : t.toObject().value("params").toArray()) {
            const QJsonObject p = pv.toObject();
            const ParamSpec& spec = type->params[static_cast<std::size_t>(
                type->findParam(p.value("id").toString().toStdString()))];
            if (!spec.choices) {
                QVERIFY2(!p.contains("choices"), spec.id);
                continue;
            }
            ++labelled;
            QStringList labels;
            for (const QJsonValue l : p.value("choices").toArray())
                labels << l.toString();
            QCOMPARE(labels.join('|'), QString::fromLatin1(spec.choices));
        }
    }
    QVERIFY(labelled >= 8);
}

// The predecessor's clients call an oscillator's frequency `frequency`: it is `freq`, live, pending
// and in the schema.
void TestOscServer::predecessorFrequencyIsFreq() {
    OscRig rig;
    START_RIG(rig);
    STOP_IF_FAILED(commitSine(rig, 440.0));
    const OscReply mod = ask(rig, "/mod/osc1/frequency", Msg().f(660.0f));
    VERIFY_REPLY(mod);
    QVERIFY2(isNumber(mod, 0, 660.0), mod.describe().constData());
    QCOMPARE(paramOf(rig.engine.committed(), "osc1", "freq"), 660.0);
    STOP_IF_FAILED(verifyTone(rig, 660.0, "after /mod/osc1/frequency 660"));
    VERIFY_REPLY(ask(rig, "/patch/set", Msg().s("osc1").s("frequency").f(880.0f)));
    QCOMPARE(paramOf(rig.engine.pending(), "osc1", "freq"), 880.0);
    const OscReply schema = ask(rig, "/engine/schema");
    VERIFY_REPLY(schema);
    QVERIFY(schema.value(0).s.find(R"("alias":"frequency")") != std::string::npos);
}

// The output module is built in and unique: /patch/create of another says so (by its id or type).
void TestOscServer::creatingAnOutputSaysItIsBuiltIn() {
    OscRig rig;
    START_RIG(rig);
    for (const char* type : {"out", "output"})
        VERIFY_ERROR(ask(rig, "/patch/create", Msg().s("x").s(type)), "/patch/create",
                     "the output module is built in: every patch has exactly one, 'out'");
    QCOMPARE(rig.engine.pending().nodes().size(), std::size_t{1});
}

namespace {

struct ToneLevels {
    double db440, db660, db880, peak;
};

// The predecessor's test_prime_fix.py (seed/cp3_prime_fix_implementation.md), message for message:
// three patches built one after another with no /patch/clear in between, each request sent when the
// previous one has its reply. Its pauses (1 s after each commit, 2 s after each gain) are spent
// recording the output, so what plays in them is heard as it was then (a new sine at its default
// 440 Hz and gain 0.5 for a second); each stage is measured on the recording of its 2 s: its author
// expected 440, then 660, then 880 Hz.
void replayPrimeFixScript(OscRig& rig, std::vector<ToneLevels>& stages) {
    const double freqs[] = {440.0, 660.0, 880.0};
    for (int k = 0; k < 3; ++k) {
        const std::string id = "osc" + std::to_string(k + 1);
        VERIFY_REPLY(ask(rig, "/patch/create", Msg().s(id).s("simple_sine")));
        VERIFY_REPLY(ask(rig, "/patch/commit"));
        QVERIFY(!rig.record(1.0).empty());
        VERIFY_REPLY(ask(rig, "/mod/" + id + "/freq", Msg().f(static_cast<float>(freqs[k]))));
        VERIFY_REPLY(ask(rig, "/mod/" + id + "/gain", Msg().f(0.3f)));
        // From 50 ms on: a live change lands two blocks ahead, behind the ring, and ramps over 10 ms.
        const std::vector<float> recorded = rig.record(2.0);
        QVERIFY2(recorded.size() > 2400, "the recorder got no audio");
        const std::span<const float> x(recorded.data() + 2400, recorded.size() - 2400);
        QVERIFY(test::allFinite(x));
        stages.push_back({test::toneLevelDb(x, kRate, 440.0), test::toneLevelDb(x, kRate, 660.0),
                          test::toneLevelDb(x, kRate, 880.0), static_cast<double>(test::peak(x))});
        qInfo("after %s: 440 Hz %.1f dB, 660 Hz %.1f dB, 880 Hz %.1f dB, peak %.3f", id.c_str(),
              stages.back().db440, stages.back().db660, stages.back().db880, stages.back().peak);
    }
}

} // namespace

// `serve --fresh-after-commit`: each commit's next edits start from an empty patch, as in the
// predecessor, so its script plays 440, then 660, then 880 Hz, one sine at a time at its gain, and
// never clips.
void TestOscServer::primeFixScriptWithFreshAfterCommitPlaysEachPatchAlone() {
    OscRig rig;
    rig.options.freshAfterCommit = true;
    START_RIG(rig);
    std::vector<ToneLevels> stages;
    STOP_IF_FAILED(replayPrimeFixScript(rig, stages));
    QCOMPARE(stages.size(), std::size_t{3});
    const double gainDb = 20.0 * std::log10(0.3);
    const double wanted[3][3] = {{gainDb, -200, -200}, {-200, gainDb, -200}, {-200, -200, gainDb}};
    for (std::size_t k = 0; k < 3; ++k) {
        const double measured[3] = {stages[k].db440, stages[k].db660, stages[k].db880};
        for (int f = 0; f < 3; ++f) {
            if (wanted[k][f] > -100)
                QVERIFY2(std::fabs(measured[f] - wanted[k][f]) < 0.5,
                         qPrintable(QString::number(measured[f])));
            else
                QVERIFY2(
                    measured[f] < -60.0,
                    qPrintable(QStringLiteral("stage %1, tone %2: %3 dB").arg(k).arg(f).arg(measured[f])));
        }
        QVERIFY2(std::fabs(stages[k].peak - 0.3) < 0.01, qPrintable(QString::number(stages[k].peak)));
    }
    qInfo("peak of everything played: %.3f", static_cast<double>(rig.watcher.peak()));
    QVERIFY2(rig.watcher.peak() < 1.0f, qPrintable(QString::number(static_cast<double>(rig.watcher.peak()))));
    const PatchGraph committed = rig.engine.committed();
    QVERIFY(committed.find("osc3") && !committed.find("osc1") && !committed.find("osc2"));
    // Until the next edit the standby mirrors what plays (a failover has somewhere to go, a second
    // commit commits it again); the next edit starts from the empty patch.
    QVERIFY(rig.engine.pending() == committed);
    VERIFY_REPLY(ask(rig, "/patch/create", Msg().s("osc4").s("sine")));
    QVERIFY(rig.engine.pending().find("osc4") && !rig.engine.pending().find("osc3"));
    QCOMPARE(rig.engine.pending().nodes().size(), std::size_t{2}); // osc4 and out
    CHRONUS_VERIFY_NO_NONE_READS(rig.noneReads());
    QCOMPARE(rig.watcher.nonFiniteSamples(), std::uint64_t{0});
}

// Without the option, edits are incremental (each commit's next edits start from what plays): the
// same script stacks the three sines, as documented.
void TestOscServer::primeFixScriptByDefaultEditsIncrementally() {
    OscRig rig;
    START_RIG(rig);
    std::vector<ToneLevels> stages;
    STOP_IF_FAILED(replayPrimeFixScript(rig, stages));
    QCOMPARE(stages.size(), std::size_t{3});
    const double gainDb = 20.0 * std::log10(0.3);
    QVERIFY(std::fabs(stages[2].db440 - gainDb) < 0.5);
    QVERIFY(std::fabs(stages[2].db660 - gainDb) < 0.5);
    QVERIFY(std::fabs(stages[2].db880 - gainDb) < 0.5);
    qInfo("peak of everything played: %.3f", static_cast<double>(rig.watcher.peak()));
    const PatchGraph committed = rig.engine.committed();
    QVERIFY(committed.find("osc1") && committed.find("osc2") && committed.find("osc3"));
    QVERIFY(rig.engine.pending() == committed);
}

QTEST_GUILESS_MAIN(TestOscServer)
#include "tst_osc_server.moc"
