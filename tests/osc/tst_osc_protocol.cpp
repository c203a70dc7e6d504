// The protocol table (src/app/Protocol.cpp) drives the OSC server: every address it lists is sent
// over loopback UDP by a liblo client, with its example's arguments, and the reply's values must be
// the table's named fields (count and OSC types); then with arguments missing, one too many, and
// each argument of the wrong type, each answered by `/error <address> <message>` and changing
// nothing. /engine/schema publishes the same table, and the unknown-address error lists it.

#include "OscTestClient.hpp"

#include "app/Protocol.hpp"
#include "app/Recorder.hpp"
#include "audio/EngineCallback.hpp"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStringList>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace chronus;
using chronus::test::OscMessage;
using chronus::test::OscReply;
using chronus::test::OscTestClient;
namespace protocol = chronus::app::protocol;

namespace {

// Engine, recorder, callback, null driver, OSC server (patches and recordings in a temporary
// folder) on a free port, client.
struct ProtocolRig {
    explicit ProtocolRig(const QString& folder)
        : engine(test::oscTestEngineConfig())
        , recorder(48000.0, recorderOptions(folder))
        , callback(engine, &recorder.tap())
        , m_folder(folder) {}
    ~ProtocolRig() {
        client.reset();
        if (server)
            server->stop();
        driver.stop();
        engine.stop();
    }
    static app::RecorderOptions recorderOptions(const QString& folder) {
        app::RecorderOptions o;
        o.folder = folder + "/recordings";
        return o;
    }
    std::string start() {
        if (auto s = engine.start(); !s)
            return s.message();
        audio::DriverConfig dc;
        dc.sampleRate = 48000.0;
        dc.blockSize = 64;
        if (auto s = driver.start(callback, dc); !s)
            return s.message();
        app::OscServerOptions o;
        o.port = 0;
        o.patchesDir = m_folder + "/patches";
        server = std::make_unique<app::OscServer>(engine, o);
        server->setDriver(&driver);
        server->setRecorder(&recorder);
        server->setMidi(&midi);
        server->setMidiOut(&midiOut, &callback);
        if (auto s = server->start(); !s)
            return s.message();
        client = std::make_unique<OscTestClient>(server->port());
        return client->valid() ? std::string() : "the liblo client could not open a socket";
    }
    OscReply ask(const std::string& path, const OscMessage& message = OscMessage()) {
        if (auto r = client->call(path, message))
            return *r;
        OscReply none;
        none.path = "(no answer within 5 s to " + path + ")";
        return none;
    }

    engine::SlotEngine engine;
    app::Recorder recorder;
    audio::EngineCallback callback;
    audio::NullDriver driver;
    audio::MidiFeed midi{engine, "chronus-osc-test"};
    audio::MidiOutput midiOut{"chronus-osc-test"};
    std::unique_ptr<app::OscServer> server;
    std::unique_ptr<OscTestClient> client;

private:
    QString m_folder;
};

// One argument of a request, typed as the table says.
struct Value {
    char osc; // 's', 'f', 'i', 'T'
    std::string text;
    float number = 0.0f;
};

void add(OscMessage& m, const Value& v) {
    switch (v.osc) {
    case 's':
        m.s(v.text);
        break;
    case 'f':
        m.f(v.number);
        break;
    case 'i':
        m.i(static_cast<std::int32_t>(v.number));
        break;
    case 'T':
        m.T();
        break;
    default:
        break;
    }
}

OscMessage message(const std::vector<Value>& values) {
    OscMessage m;
    for (const Value& v : values)
        add(m, v);
    return m;
}

// The example's address and its arguments, typed by the table: a number argument as a float, a
// value as a float when it reads as one, else as text; a gate as its text (on).
std::pair<std::string, std::vector<Value>> example(const protocol::Command& c) {
    const QStringList words = QString::fromUtf8(c.example).split(' ', Qt::SkipEmptyParts);
    std::vector<Value> values;
    for (qsizetype i = 1; i < words.size(); ++i) {
        const protocol::Arg& arg = c.args[static_cast<std::size_t>(i - 1) % c.args.size()];
        bool isNumber = false;
        const float n = words[i].toFloat(&isNumber);
        if (arg.type == 'n' || (arg.type == 'v' && isNumber))
            values.push_back({'f', {}, n});
        else
            values.push_back({'s', words[i].toStdString(), 0.0f});
    }
    return {words.value(0).toStdString(), values};
}

// A value of a type the argument does not take.
Value wrongType(char argType) {
    switch (argType) {
    case 's':
        return {'i', {}, 7.0f};
    case 'n':
        return {'s', "seven", 0.0f};
    case 'v':
        return {'T', {}, 0.0f};
    case 'g':
        return {'s', "maybe", 0.0f};
    default:
        return {'T', {}, 0.0f};
    }
}

std::string typesOf(const OscReply& r) {
    std::string types;
    for (std::size_t i = 0; i < r.valueCount(); ++i)
        types += r.value(i).type;
    return types;
}

#define STOP_IF_FAILED(call)                                                                                 \
    do {                                                                                                     \
        call;                                                                                                \
        if (QTest::currentTestFailed())                                                                      \
            return;                                                                                          \
    } while (false)

#define START(rig)                                                                                           \
    do {                                                                                                     \
        const std::string why_ = (rig).start();                                                              \
        QVERIFY2(why_.empty(), why_.c_str());                                                                \
    } while (false)

// osc1 (sine) -> env1 (adsr) -> out, committed twice (an undo has a commit to go back to), and
// saved as "demo".
void setUp(ProtocolRig& rig) {
    VERIFY_REPLY(rig.ask("/patch/create", OscMessage().s("osc1").s("sine").s("env1").s("adsr")));
    VERIFY_REPLY(rig.ask("/patch/connect", OscMessage().s("osc1").s("env1").s("env1").s("out")));
    VERIFY_REPLY(rig.ask("/patch/commit", OscMessage().f(0.0f)));
    VERIFY_REPLY(rig.ask("/patch/commit", OscMessage().f(0.0f)));
    VERIFY_REPLY(rig.ask("/patch/save", OscMessage().s("demo")));
}

// What a command's example needs beyond the set-up state: the pending patch back on the playing
// one, a recording to stop, none running to start one, a commit to undo, an agent's step to undo
// or redo.
void prepare(ProtocolRig& rig, const protocol::Command& c) {
    VERIFY_REPLY(rig.ask("/patch/abort"));
    if (c.op == protocol::Op::RecordStop && !rig.recorder.status().recording)
        VERIFY_REPLY(rig.ask("/record/start"));
    if (c.op == protocol::Op::RecordStart && rig.recorder.status().recording)
        VERIFY_REPLY(rig.ask("/record/stop"));
    if (c.op == protocol::Op::UndoCommit)
        VERIFY_REPLY(rig.ask("/patch/commit", OscMessage().f(0.0f)));
    if (c.op == protocol::Op::Undo || c.op == protocol::Op::Redo) // an agent's step of its own to undo
        VERIFY_REPLY(rig.ask("/patch/create", OscMessage().s("undo1").s("noise")));
    if (c.op == protocol::Op::Redo)
        VERIFY_REPLY(rig.ask("/patch/undo"));
    if (c.op == protocol::Op::MidiUnmap) // a mapping to forget
        VERIFY_REPLY(rig.ask("/midi/map", OscMessage().s("osc1.freq").f(74.0f)));
}

// A MIDI controller that keeps moving (control change 74 on channel 1, every few milliseconds)
// while it lives: what a /midi/learn waits for, whenever it starts waiting.
class ControllerPump {
public:
    explicit ControllerPump(engine::SlotEngine& engine)
        : m_thread([this, &engine] {
              for (std::uint8_t value = 0; !m_stop.load(); value = static_cast<std::uint8_t>((value + 1) & 0x7F)) {
                  engine::MidiEvent e;
                  e.status = 0xB0;
                  e.data1 = 74;
                  e.data2 = value;
                  (void)engine.midi(e);
                  std::this_thread::sleep_for(std::chrono::milliseconds(5));
              }
          }) {}
    ~ControllerPump() {
        m_stop.store(true);
        m_thread.join();
    }

private:
    std::atomic<bool> m_stop{false};
    std::thread m_thread;
};

// A reply for `address` whose values are the table's fields for a request of `groups` edits.
void verifyFields(const protocol::Command& c, const std::string& address, const OscReply& r,
                  std::size_t groups, bool optionGiven) {
    const QByteArray what =
        QByteArray(c.address) + " as " + QByteArray::fromStdString(address) + ": " + r.describe();
    QVERIFY2(r.isReply(), what.constData());
    QVERIFY2(r.address() == address, what.constData());
    const protocol::Layout layout = protocol::layout(c, groups, optionGiven, typesOf(r));
    QVERIFY2(layout.mismatch.empty(),
             (what + "  [" + QByteArray::fromStdString(layout.mismatch) + "]").constData());
    // Every field the table says occurs once or per edit is named in the layout.
    std::size_t required = 0;
    for (const protocol::Field& f : optionGiven && !c.optionReply.empty() ? c.optionReply : c.reply)
        required += f.occurs == protocol::Occurs::Once ? 1 : f.occurs == protocol::Occurs::Group ? groups : 0;
    std::size_t named = 0;
    for (const protocol::Named& n : layout.fields)
        named += n.field->occurs == protocol::Occurs::Once || n.field->occurs == protocol::Occurs::Group;
    QCOMPARE(named, required);
}

void verifyError(const std::string& address, const OscReply& r, const std::string& needle, const char* why) {
    const QByteArray what = QByteArray::fromStdString(address) + " (" + why + "): " + r.describe();
    QVERIFY2(r.isError(), what.constData());
    QVERIFY2(r.address() == address, what.constData());
    QVERIFY2(r.valueCount() == 1 && r.value(0).type == 's', what.constData()); // /error <address> <message>
    QVERIFY2(r.errorText().find(needle) != std::string::npos,
             (what + "  [expected to contain: " + QByteArray::fromStdString(needle) + "]").constData());
}

} // namespace

class TestOscProtocol : public QObject {
    Q_OBJECT

private slots:
    void everyAddressAnswersWithTheTablesFields();
    void badArgumentsGetAnErrorAndChangeNothing();
    void schemaAndUnknownAddressListTheTable();
    void midiMappingsMoveTheirParameterAndAreRefusedWhenBad();
    void midiLearnMapsTheNextControllerOrTimesOutOrIsCancelled();
};

namespace {
engine::MidiEvent controlChange(int channel, int cc, int value) {
    engine::MidiEvent e;
    e.status = static_cast<std::uint8_t>(0xB0 | (channel - 1));
    e.data1 = static_cast<std::uint8_t>(cc);
    e.data2 = static_cast<std::uint8_t>(value);
    return e;
}
double pendingParam(ProtocolRig& rig, const char* id, const char* param) {
    const engine::PatchGraph pending = rig.engine.pending();
    const engine::PatchNode* node = pending.find(id);
    return node ? node->params[static_cast<std::size_t>(node->type->findParam(param))] : -1.0;
}
} // namespace

void TestOscProtocol::midiMappingsMoveTheirParameterAndAreRefusedWhenBad() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    ProtocolRig rig(dir.path());
    START(rig);
    STOP_IF_FAILED(setUp(rig));
    // osc1.freq from 100 Hz (0) to 900 Hz (127), channel 2 only.
    const OscReply mapped = rig.ask("/midi/map", OscMessage().s("osc1.freq").f(74).f(2).f(100).f(900));
    VERIFY_REPLY(mapped);
    QCOMPARE(mapped.value(0).s, std::string("osc1.freq"));
    QCOMPARE(mapped.value(1).number(), 74.0);
    QCOMPARE(mapped.value(2).number(), 2.0);
    QCOMPARE(mapped.value(3).number(), 100.0);
    QCOMPARE(mapped.value(4).number(), 900.0);
    QVERIFY(rig.engine.midi(controlChange(2, 74, 127)).ok());
    QCOMPARE(pendingParam(rig, "osc1", "freq"), 900.0);
    const engine::PatchGraph committed = rig.engine.committed();
    QCOMPARE(committed.find("osc1")->params[0], 900.0); // live: the playing patch too
    QVERIFY(rig.engine.midi(controlChange(1, 74, 0)).ok()); // another channel
    QVERIFY(rig.engine.midi(controlChange(2, 75, 0)).ok()); // another controller
    QCOMPARE(pendingParam(rig, "osc1", "freq"), 900.0);
    const OscReply maps = rig.ask("/midi/maps");
    VERIFY_REPLY(maps);
    QCOMPARE(maps.valueCount(), std::size_t{5});
    // Refused, with what is wrong, and nothing changes.
    VERIFY_ERROR(rig.ask("/midi/map", OscMessage().s("osc9.freq").f(1)), "/midi/map", "no module 'osc9'");
    VERIFY_ERROR(rig.ask("/midi/map", OscMessage().s("osc1.frq").f(1)), "/midi/map", "has no parameter 'frq'");
    VERIFY_ERROR(rig.ask("/midi/map", OscMessage().s("osc1").f(1)), "/midi/map", "expected module.param");
    VERIFY_ERROR(rig.ask("/midi/map", OscMessage().s("osc1.freq").f(128)), "/midi/map", "is not 0-127");
    VERIFY_ERROR(rig.ask("/midi/map", OscMessage().s("osc1.freq").f(1.5f)), "/midi/map", "is not 0-127");
    VERIFY_ERROR(rig.ask("/midi/map", OscMessage().s("osc1.freq").f(1).f(17)), "/midi/map", "is not 0 (any) or 1-16");
    VERIFY_ERROR(rig.ask("/midi/map", OscMessage().s("osc1.freq").f(1).f(0).s("low")), "/midi/map",
                 "min and max are numbers");
    QCOMPARE(rig.engine.pending().midiMappings().size(), std::size_t{1});
    // The agent's undo takes the mapping back.
    VERIFY_REPLY(rig.ask("/patch/undo"));
    QVERIFY(rig.engine.pending().midiMappings().empty());
    VERIFY_REPLY(rig.ask("/patch/redo"));
    QCOMPARE(rig.engine.pending().midiMappings().size(), std::size_t{1});
    VERIFY_REPLY(rig.ask("/midi/unmap", OscMessage().s("osc1.freq")));
    QVERIFY(rig.engine.midi(controlChange(2, 74, 0)).ok());
    QCOMPARE(pendingParam(rig, "osc1", "freq"), 900.0);
    VERIFY_ERROR(rig.ask("/midi/unmap", OscMessage().s("osc1.freq")), "/midi/unmap", "has no MIDI mapping");
}

void TestOscProtocol::midiLearnMapsTheNextControllerOrTimesOutOrIsCancelled() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    ProtocolRig rig(dir.path());
    START(rig);
    STOP_IF_FAILED(setUp(rig));
    // Nothing moves: the learn says so at its timeout, and maps nothing.
    VERIFY_ERROR(rig.ask("/midi/learn", OscMessage().s("osc1.freq").f(1)), "/midi/learn",
                 "no controller moved within 1 s");
    QVERIFY(rig.engine.pending().midiMappings().empty());
    // A refused target is said at once.
    VERIFY_ERROR(rig.ask("/midi/learn", OscMessage().s("osc9.freq")), "/midi/learn", "no module 'osc9'");
    // While a learn waits, the requests after it are answered (one socket: the server takes them
    // in the order sent); an unmap of its target cancels it.
    OscTestClient learner(rig.server->port());
    QVERIFY(learner.send("/midi/learn", OscMessage().s("osc1.freq").f(60)));
    VERIFY_REPLY(rig.ask("/midi/maps"));
    VERIFY_REPLY(rig.ask("/midi/unmap", OscMessage().s("osc1.freq")));
    const auto cancelled = learner.waitFor("/midi/learn");
    QVERIFY(cancelled);
    VERIFY_ERROR(*cancelled, "/midi/learn", "was cancelled");
    // A controller that moves after the learn began is mapped, on its channel, over the whole range.
    {
        ControllerPump pump(rig.engine);
        const OscReply learned = rig.ask("/midi/learn", OscMessage().s("osc1.freq"));
        VERIFY_REPLY(learned);
        QCOMPARE(learned.value(1).number(), 74.0);
        QCOMPARE(learned.value(2).number(), 1.0);
    }
    QCOMPARE(rig.engine.pending().midiMappings().size(), std::size_t{1});
    const engine::MidiMapping m = rig.engine.pending().midiMappings()[0];
    QCOMPARE(m.cc, 74);
    QCOMPARE(m.channel, 1);
    QVERIFY(rig.engine.midi(controlChange(1, 74, 127)).ok());
    QCOMPARE(pendingParam(rig, "osc1", "freq"), m.max);
}

void TestOscProtocol::everyAddressAnswersWithTheTablesFields() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    ProtocolRig rig(dir.path());
    START(rig);
    STOP_IF_FAILED(setUp(rig));
    QVERIFY(protocol::commands().size() >= 21);
    for (const protocol::Command& c : protocol::commands()) {
        const auto [address, args] = example(c);
        QVERIFY2(protocol::find(address) == &c, c.example); // the example is the address's own
        STOP_IF_FAILED(prepare(rig, c));
        std::optional<ControllerPump> pump;
        if (c.op == protocol::Op::MidiLearn)
            pump.emplace(rig.engine);
        const bool optionGiven = c.argsOccur == protocol::Occurs::Optional && !args.empty();
        STOP_IF_FAILED(verifyFields(c, address, rig.ask(address, message(args)), 1, optionGiven));
        if (c.argsOccur == protocol::Occurs::Optional) { // and without the optional argument
            STOP_IF_FAILED(prepare(rig, c));
            std::vector<Value> fewer(args.begin(), args.end() - 1);
            STOP_IF_FAILED(verifyFields(c, address, rig.ask(address, message(fewer)), 1, false));
        }
        if (c.op == protocol::Op::Create || c.op == protocol::Op::Set) { // two edits in one request
            STOP_IF_FAILED(prepare(rig, c));
            std::vector<Value> twice = args;
            twice.insert(twice.end(), args.begin(), args.end());
            if (c.op == protocol::Op::Create)
                twice[2].text += "b"; // another id
            STOP_IF_FAILED(verifyFields(c, address, rig.ask(address, message(twice)), 2, false));
        }
    }
    if (rig.recorder.status().recording)
        VERIFY_REPLY(rig.ask("/record/stop"));
}

void TestOscProtocol::badArgumentsGetAnErrorAndChangeNothing() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    ProtocolRig rig(dir.path());
    START(rig);
    STOP_IF_FAILED(setUp(rig));
    VERIFY_REPLY(rig.ask("/patch/create", OscMessage().s("pend1").s("saw"))); // pending != committed
    const engine::PatchGraph pending = rig.engine.pending();
    const engine::PatchGraph committed = rig.engine.committed();
    const std::uint64_t commits = rig.engine.stats().commits;
    int sent = 0;
    for (const protocol::Command& c : protocol::commands()) {
        const auto [address, args] = example(c);
        const std::string expected =
            std::string("expected (") + (*c.argSummary ? c.argSummary : "no arguments") + "), got (";
        const std::size_t required = protocol::requiredArgs(c);
        if (required > 0) { // one missing
            std::vector<Value> fewer(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(required - 1));
            STOP_IF_FAILED(
                verifyError(address, rig.ask(address, message(fewer)), expected, "an argument missing"));
            ++sent;
        }
        std::vector<Value> more = args; // one too many
        if (c.argsOccur == protocol::Occurs::Optional && more.size() < c.args.size())
            more.push_back(args.empty() ? Value{'s', "json", 0.0f} : args.back());
        more.push_back({'s', "extra", 0.0f});
        STOP_IF_FAILED(
            verifyError(address, rig.ask(address, message(more)), expected, "one argument too many"));
        ++sent;
        for (std::size_t i = 0; i < args.size(); ++i) { // each argument of the wrong type
            std::vector<Value> wrong = args;
            const char type = c.args[i % c.args.size()].type;
            wrong[i] = wrongType(type);
            const std::string needle = type == 'g' ? "a gate takes 1/0, on/off or true/false" : expected;
            STOP_IF_FAILED(verifyError(address, rig.ask(address, message(wrong)), needle, "a wrong type"));
            ++sent;
        }
    }
    qInfo("%d bad requests over %zu addresses", sent, protocol::commands().size());
    QVERIFY(rig.engine.pending() == pending);
    QVERIFY(rig.engine.committed() == committed);
    QCOMPARE(rig.engine.stats().commits, commits);
    QVERIFY(!rig.recorder.status().recording);
    const app::OscCounters counters = rig.server->counters();
    QCOMPARE(counters.replies + counters.errors, counters.requests);
}

void TestOscProtocol::schemaAndUnknownAddressListTheTable() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    ProtocolRig rig(dir.path());
    START(rig);
    const OscReply r = rig.ask("/engine/schema");
    VERIFY_REPLY(r);
    QCOMPARE(r.valueCount(), std::size_t{1});
    const QJsonObject schema = QJsonDocument::fromJson(QByteArray::fromStdString(r.value(0).s)).object();
    QVERIFY(!schema.value("types").toArray().isEmpty()); // the module-type part, as before
    QVERIFY(!schema.value("aliases").toObject().isEmpty());
    const QJsonArray addresses = schema.value("protocol").toObject().value("addresses").toArray();
    QCOMPARE(static_cast<std::size_t>(addresses.size()), protocol::commands().size());
    QStringList known;
    for (std::size_t i = 0; i < protocol::commands().size(); ++i) {
        const protocol::Command& c = protocol::commands()[i];
        const QJsonObject entry = addresses[static_cast<qsizetype>(i)].toObject();
        known << c.address;
        QCOMPARE(entry.value("address").toString(), QString::fromUtf8(c.address));
        QCOMPARE(entry.value("example").toString(), QString::fromUtf8(c.example));
        QCOMPARE(entry.value("help").toString(), QString::fromUtf8(c.help));
        QCOMPARE(entry.value("ctl").toString(), QString::fromStdString(protocol::synopsis(c)));
        const QJsonArray args = entry.value("args").toArray();
        QCOMPARE(static_cast<std::size_t>(args.size()), c.args.size());
        for (std::size_t k = 0; k < c.args.size(); ++k)
            QCOMPARE(args[static_cast<qsizetype>(k)].toObject().value("name").toString(),
                     QString::fromUtf8(c.args[k].name));
        const QJsonArray reply = entry.value("reply").toArray();
        QCOMPARE(static_cast<std::size_t>(reply.size()), c.reply.size());
        for (std::size_t k = 0; k < c.reply.size(); ++k)
            QCOMPARE(reply[static_cast<qsizetype>(k)].toObject().value("name").toString(),
                     QString::fromUtf8(c.reply[k].name));
        QVERIFY(!entry.value("errors").toArray().isEmpty());
    }
    const OscReply unknown = rig.ask("/patch/frobnicate");
    STOP_IF_FAILED(verifyError("/patch/frobnicate", unknown,
                               "unknown address (known: " + known.join(", ").toStdString() + ")", "unknown"));
}

QTEST_GUILESS_MAIN(TestOscProtocol)
#include "tst_osc_protocol.moc"
