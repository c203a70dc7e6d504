// midi_cc through a compiled plan, as a slot's render thread plays it: a controller message handed
// to the plan at a frame offset inside a block moves `value` at that very sample, from `min` (0)
// to `max` (127); other controllers and other channels leave it alone; `smooth` ramps it linearly,
// the same step every sample, for exactly its length; a controller below 32 pairs with its LSB.

#include "EngineTestUtils.hpp"
#include "engine/ModuleRegistry.hpp"
#include "engine/Plan.hpp"
#include "engine/modules/MidiCc.hpp"

#include <QTest>

#include <cmath>
#include <vector>

using namespace chronus::engine;

namespace {

struct Timed {
    std::int64_t at;
    std::uint8_t status, d1, d2;
};

// Renders `frames` of `plan` in blocks of `block`, each event handed to `module` before the block
// that holds it, at its offset; returns the left channel.
std::vector<float> render(Plan& plan, int module, int block, std::int64_t frames, const std::vector<Timed>& events) {
    std::vector<float> left(static_cast<std::size_t>(frames)), right(static_cast<std::size_t>(frames));
    std::size_t next = 0;
    for (std::int64_t at = 0; at < frames; at += block) {
        const int n = static_cast<int>(std::min<std::int64_t>(block, frames - at));
        for (; next < events.size() && events[next].at < at + n; ++next) {
            MidiEvent e;
            e.status = events[next].status;
            e.data1 = events[next].d1;
            e.data2 = events[next].d2;
            e.offset = static_cast<std::uint16_t>(events[next].at - at);
            plan.midi(module, e);
        }
        plan.process(left.data() + at, right.data() + at, n);
    }
    return left;
}

std::unique_ptr<Plan> compile(const PatchGraph& g, int block) {
    auto plan = Plan::compile(g, {48000.0, block});
    if (!plan)
        qFatal("%s", plan.status().message().c_str());
    return std::move(plan.value());
}

// A midi_cc with these params into the left output; empty when the graph refuses one.
PatchGraph ccPatch(int cc, int channel, double min, double max, double smooth) {
    PatchGraph g;
    const bool ok = g.addModule("knob", "midi_cc").ok() && g.setParam("knob", "cc", cc).ok() &&
                    g.setParam("knob", "channel", channel).ok() && g.setParam("knob", "min", min).ok() &&
                    g.setParam("knob", "max", max).ok() && g.setParam("knob", "smooth", smooth).ok() &&
                    g.connect("knob.value", "out.left").ok();
    if (!ok)
        qFatal("the midi_cc patch was refused");
    return g;
}

} // namespace

class TestMidiCc : public QObject {
    Q_OBJECT

private slots:
    void isRegisteredAndTakesMidi();
    void valueMovesAtTheEventSample_data();
    void valueMovesAtTheEventSample();
    void channelFilterKeepsOtherChannelsOut();
    void smoothingRampsTheSameStepEverySample();
    void lsbMakesFourteenBits();
};

void TestMidiCc::isRegisteredAndTakesMidi() {
    const ModuleType* type = ModuleRegistry::instance().find("midi_cc");
    QVERIFY(type);
    QVERIFY(type->takesMidi);
    QCOMPARE(type->outputs.size(), std::size_t{1});
    QCOMPARE(std::string(type->outputs[0].id), std::string("value"));
}

void TestMidiCc::valueMovesAtTheEventSample_data() {
    QTest::addColumn<int>("block");
    QTest::addRow("64") << 64;
    QTest::addRow("37") << 37; // odd sizes catch block-boundary bugs
}

void TestMidiCc::valueMovesAtTheEventSample() {
    QFETCH(int, block);
    auto plan = compile(ccPatch(74, 0, -2.0, 6.0, 0.0), block);
    const auto out = render(*plan, plan->moduleIndex("knob"), block, 600,
                            {{100, 0xB0, 74, 127},   // full: max
                             {101, 0xB0, 75, 0},     // another controller
                             {250, 0xB3, 74, 0},     // min, from channel 4 (omni)
                             {333, 0xB0, 74, 64},    // the middle (a 7-bit controller)
                             {334, 0x90, 74, 100}}); // a note with the same number
    for (int i = 0; i < 600; ++i) {
        const float expect = i < 100 ? -2.0f : i < 250 ? 6.0f : i < 333 ? -2.0f : static_cast<float>(-2.0 + 8.0 * 64.0 / 127.0);
        QVERIFY2(std::abs(out[static_cast<std::size_t>(i)] - expect) < 1e-5f,
                 qPrintable(QStringLiteral("frame %1: %2, not %3").arg(i).arg(out[static_cast<std::size_t>(i)]).arg(expect)));
    }
}

void TestMidiCc::channelFilterKeepsOtherChannelsOut() {
    auto plan = compile(ccPatch(7, 3, 0.0, 1.0, 0.0), 64);
    const auto out = render(*plan, plan->moduleIndex("knob"), 64, 400,
                            {{10, 0xB0, 7, 127},    // channel 1: not ours
                             {20, 0xB3, 7, 127},    // channel 4: not ours
                             {30, 0xB2, 7, 127},    // channel 3: ours
                             {200, 0xB1, 7, 0}});   // channel 2: not ours
    QCOMPARE(out[29], 0.0f);
    QCOMPARE(out[30], 1.0f);
    QCOMPARE(out[399], 1.0f);
}

void TestMidiCc::smoothingRampsTheSameStepEverySample() {
    // 10 ms at 48 kHz: 480 samples from 0 to 1, from the event's sample on.
    auto plan = compile(ccPatch(1, 0, 0.0, 1.0, 10.0), 64);
    const auto out = render(*plan, plan->moduleIndex("knob"), 64, 2000, {{100, 0xB0, 1, 127}});
    QCOMPARE(out[99], 0.0f);
    const float step = 1.0f / 480.0f;
    QVERIFY(std::abs(out[100] - step) < 1e-6f);
    for (int i = 101; i < 100 + 480; ++i)
        QVERIFY2(std::abs((out[static_cast<std::size_t>(i)] - out[static_cast<std::size_t>(i - 1)]) - step) < 1e-5f,
                 qPrintable(QStringLiteral("frame %1").arg(i)));
    QVERIFY(out[578] < 1.0f);
    QCOMPARE(out[579], 1.0f);
    QCOMPARE(out[1999], 1.0f);
}

void TestMidiCc::lsbMakesFourteenBits() {
    auto plan = compile(ccPatch(1, 0, 0.0, 1.0, 0.0), 64);
    const auto out = render(*plan, plan->moduleIndex("knob"), 64, 300,
                            {{10, 0xB0, 1, 64}, {10, 0xB0, 33, 0}, {100, 0xB0, 33, 127}, {200, 0xB0, 1, 127}, {200, 0xB0, 33, 127}});
    QVERIFY(std::abs(out[10] - 8192.0f / 16383.0f) < 1e-6f);
    QVERIFY(std::abs(out[100] - (8192.0f + 127.0f) / 16383.0f) < 1e-6f);
    QCOMPARE(out[200], 1.0f);
}

QTEST_APPLESS_MAIN(TestMidiCc)
#include "tst_midi_cc.moc"
