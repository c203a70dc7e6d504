#pragma once
#include "../Module.hpp"
#include "Tempo.hpp"

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
class Clock final : public Module {
public:
    enum Param : ParamIndex { Bpm, Swing, Division, Gate, Meter, Run, ParamCount };
    enum Input : PortIndex { Reset, InputCount };
    enum Output : PortIndex { Step, Beat, Bar, Tempo, ResetOut, OutputCount };
    static constexpr ParamSpec kParams[] = {
        {"bpm", "Tempo", "BPM", tempo::kMinBpm, tempo::kMaxBpm, tempo::kDefaultBpm},
        {"swing", "Swing", "step", 0.0f, 0.5f, 0.0f},
        {"division", "Step", "", 0.0f, 3.0f, 2.0f, ParamDiscrete, nullptr, "1/4|1/8|1/16|1/32"},
        {"gate", "Gate length", "", 0.05f, 0.95f, 0.5f},
        {"meter", "Beats per bar", "", 1.0f, 16.0f, 4.0f, ParamDiscrete},
        {"run", "Run", "", 0.0f, 1.0f, 1.0f, ParamDiscrete, nullptr, "stop|run"}};
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

    explicit Clock(const ModuleType& type) : Module(type) {}
    void process(const ProcessContext& ctx) noexcept override;
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

    double m_invSampleRate = 1.0 / 48000.0;
    double m_beats = 0.0;       // musical time since the last reset, in beats
    int m_stepsPerBeat = 4;
    std::int64_t m_next = 0;    // the next step to fire
    double m_gateOff = 0.0;     // position (steps) where the current step's gates fall
    bool m_high = false;
    bool m_beatHigh = false, m_barHigh = false, m_resetHigh = false;
    float m_prevReset = 0.0f;
    bool m_eventReset = false;
};

} // namespace chronus::engine
