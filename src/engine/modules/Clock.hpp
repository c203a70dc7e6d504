#pragma once
#include "../Module.hpp"
#include "Tempo.hpp"

#include <array>
#include <cstdint>

namespace chronus::engine {

// The master clock of a groove. Counts musical time in double precision, sample by sample, so a
// step's onset lands on the first sample at or after its exact time (never block-quantised) and a
// tempo change mid-bar only changes the rate from that sample on: no step is skipped or doubled.
//
// Outputs (gates, high for `gate` x the time to the next onset):
//   step  every step (`division`), off-beat steps delayed by `swing`
//   beat  every quarter note; bar: every `meter` beats; reset: the first step after a reset
//   tempo the beat rate in Hz (BPM / 60), for tempo-synced modules (delay, LFO)
// Swing delays every second step by `swing` x one step; the step after it is not moved, so beats
// and bars keep their length. A rising edge on `reset` restarts the bar at that sample.
//
// `source` midi follows the MIDI clock instead of `bpm`: timing clock (24 a beat), start, stop,
// continue and song position, each at its own frame (Module::midi). Start plays from the top at
// the next tick, continue from the song position (F2, in sixteenths) at the next tick, stop stops
// (the position stays for continue); ticks while stopped keep the tempo current but fire nothing.
// A step that falls on a tick fires on the tick's sample; between ticks musical time runs at the
// tempo the ticks show, never past the next tick, so a late or a stopped clock holds the music
// instead of running ahead. A swung step between two ticks lands at that tempo. The tempo (the
// `tempo` output, swing and gate lengths) is the mean tick spacing over the last beat (24 ticks):
// exact for a steady clock, jitter of single ticks averaged away, a new tempo reached one beat
// after it starts; a gap longer than a tick at 20 BPM starts the mean afresh. Until two ticks
// came, `bpm` stands in. `reset` and restarts of the transport do not move a MIDI position. On
// `internal` the transport and the tempo are still kept: switched to midi in the middle of a song,
// the clock goes on from the song's position at the next tick.
class Clock final : public Module {
public:
    enum Param : ParamIndex { Bpm, Swing, Division, Gate, Meter, Run, Source, ParamCount };
    enum SourceValue { Internal, Midi };
    enum Input : PortIndex { Reset, InputCount };
    enum Output : PortIndex { Step, Beat, Bar, Tempo, ResetOut, OutputCount };
    static constexpr ParamSpec kParams[] = {
        {"bpm", "Tempo", "BPM", tempo::kMinBpm, tempo::kMaxBpm, tempo::kDefaultBpm},
        {"swing", "Swing", "step", 0.0f, 0.5f, 0.0f},
        {"division", "Step", "", 0.0f, 3.0f, 2.0f, ParamDiscrete, nullptr, "1/4|1/8|1/16|1/32"},
        {"gate", "Gate length", "", 0.05f, 0.95f, 0.5f},
        {"meter", "Beats per bar", "", 1.0f, 16.0f, 4.0f, ParamDiscrete},
        {"run", "Run", "", 0.0f, 1.0f, 1.0f, ParamDiscrete, nullptr, "stop|run"},
        {"source", "Source", "", 0.0f, 1.0f, 0.0f, ParamDiscrete, nullptr, "internal|midi"}};
    static_assert(std::size(kParams) == ParamCount);
    static constexpr PortSpec kInputs[] = {{"reset", "Reset", Signal::Gate}};
    static_assert(std::size(kInputs) == InputCount);
    static constexpr PortSpec kOutputs[] = {{"step", "Step", Signal::Gate},
                                            {"beat", "Beat", Signal::Gate},
                                            {"bar", "Bar", Signal::Gate},
                                            {"tempo", "Tempo (beats/s)", Signal::Cv},
                                            {"reset", "Reset", Signal::Gate}};
    static_assert(std::size(kOutputs) == OutputCount);
    static const ModuleType kType;

    static constexpr int kTicksPerBeat = 24; // MIDI clock

    explicit Clock(const ModuleType& type) : Module(type) {}
    void process(const ProcessContext& ctx) noexcept override;
    void midi(const MidiEvent& event) noexcept override;
    void gate(bool on) noexcept override { m_eventReset |= on; }
    void restartTransport() noexcept override {
        restart();
        m_prevReset = 0.0f;
        m_eventReset = false;
    }

    static constexpr int stepsPerBeat(int division) noexcept { return 1 << (division < 0 ? 0 : division > 3 ? 3 : division); }

protected:
    void onPrepare(const PrepareInfo& info) override;

private:
    // Where step `k` starts, in steps from the last reset.
    double onsetOf(std::int64_t k, double swing) const noexcept {
        return static_cast<double>(k) + ((k & 1) ? swing : 0.0);
    }
    void restart() noexcept;
    void processMidi(const ProcessContext& ctx, double spb, std::int64_t stepsPerBar) noexcept;
    void applyMidi(const MidiEvent& event, double spb, std::int64_t at, bool follow) noexcept;
    void seekMidi(double spb) noexcept;
    void fire(std::int64_t k, double swing, double gateLength, std::int64_t stepsPerBar) noexcept;

    double m_invSampleRate = 1.0 / 48000.0;
    double m_beats = 0.0;       // musical time since the last reset, in beats
    int m_stepsPerBeat = 4;
    std::int64_t m_next = 0;    // the next step to fire
    double m_gateOff = 0.0;     // position (steps) where the current step's gates fall
    bool m_high = false;
    bool m_beatHigh = false, m_barHigh = false, m_resetHigh = false;
    float m_prevReset = 0.0f;
    bool m_eventReset = false;

    // Following MIDI. The transport events of the block being rendered, in order (midi() comes
    // before process()); more than fit take effect at the block's first frame.
    static constexpr int kBlockEvents = 64;
    std::array<MidiEvent, kBlockEvents> m_events{};
    int m_eventCount = 0;
    bool m_midiRunning = false;
    bool m_following = false;           // the last block followed MIDI (source midi)
    std::int64_t m_nextTick = 0;        // the song position (ticks) the next timing clock stands for
    std::int64_t m_frame = 0;           // frames rendered since prepare
    std::int64_t m_lastTick = -1;       // the frame of the last tick; -1 before the first
    std::array<std::int64_t, kTicksPerBeat> m_intervals{}; // the last beat's tick spacings (samples)
    int m_intervalCount = 0, m_intervalAt = 0;
    std::int64_t m_intervalSum = 0;
};

} // namespace chronus::engine
