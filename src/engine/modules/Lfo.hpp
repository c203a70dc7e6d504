#pragma once
#include "../Module.hpp"
#include "Tempo.hpp"

#include <cstdint>

namespace chronus::engine {

// Low-frequency oscillator: out = offset + depth x wave, wave in [-1, 1]. With depth 0 it outputs
// exactly `offset` (0 by default), which leaves any exponential or additive target unchanged.
// `width` is the square's duty cycle (the high part first) and the triangle's rise fraction; `s&h`
// holds a value of seeded white noise for each cycle (a new one at every wrap and reset).
//
// With `sync` off the cycle lasts 1 / `rate` seconds; with a division it lasts that note value at
// the tempo on the `tempo` input (a clock's tempo CV in beats per second, read per sample), or at
// `bpm` when nothing is connected. A rising edge on `reset` (or a gate event on, at the start of the
// next block) restarts the cycle: patch a clock's `bar` to it to lock the cycles to the bars.
//
// Polyphonic: one LFO per channel of `reset` or `tempo` (each restarts on its own reset, follows its
// own tempo, and holds its own s&h noise: channel 0 has the mono LFO's seed, the others their own).
// The poly kernel keeps the mono path's double phases (an LFO at 0.01 Hz needs them) and computes
// the same waves, except the sine, a polynomial rather than the table (they differ by under 1e-6).
class Lfo final : public Module {
public:
    enum Param : ParamIndex { Shape, Rate, Width, Depth, Offset, Sync, Bpm, ParamCount };
    enum Input : PortIndex { Tempo, Reset, InputCount };
    enum Output : PortIndex { Out, OutputCount };
    enum WaveShape { Sine, Triangle, Saw, Square, SampleHold };
    static constexpr ParamSpec kParams[] = {
        {"shape", "Shape", "", 0.0f, 4.0f, 0.0f, ParamDiscrete, nullptr, "sine|triangle|saw|square|s&h"},
        {"rate", "Rate", "Hz", 0.01f, 200.0f, 1.0f, ParamLog},
        {"width", "Width", "", 0.01f, 0.99f, 0.5f},
        {"depth", "Depth", "", 0.0f, 5.0f, 1.0f},
        {"offset", "Offset", "", -5.0f, 5.0f, 0.0f},
        {"sync", "Sync", "", 0.0f, static_cast<float>(tempo::kSyncChoiceCount - 1), 0.0f, ParamDiscrete,
         nullptr, tempo::kSyncChoices},
        {"bpm", "Tempo", "BPM", tempo::kMinBpm, tempo::kMaxBpm, tempo::kDefaultBpm}};
    static_assert(std::size(kParams) == ParamCount);
    static constexpr PortSpec kInputs[] = {{"tempo", "Tempo (beats/s)", Signal::Cv},
                                           {"reset", "Reset", Signal::Gate}};
    static_assert(std::size(kInputs) == InputCount);
    static constexpr PortSpec kOutputs[] = {{"out", "Out", Signal::Cv}};
    static const ModuleType kType;

    explicit Lfo(const ModuleType& type) : Module(type) {}
    void process(const ProcessContext& ctx) noexcept override;
    void gate(bool on) noexcept override { m_pendingReset = m_pendingReset || on; }

protected:
    void onPrepare(const PrepareInfo& info) override;

private:
    float nextNoise() noexcept;

public:
    // The poly kernel's per-channel state (audio thread, after prepare).
    struct PolyState {
        alignas(32) double phase[kMaxChannels] = {};
        alignas(32) float held[kMaxChannels] = {};
        alignas(32) std::uint32_t noise[kMaxChannels] = {};
        alignas(32) std::int32_t resetHigh[kMaxChannels] = {}; // -1: the reset input was high
        double invSampleRate = 1.0 / 48000.0;
    };

private:
    PolyState m_poly;
    void (*m_polyKernel)(const ProcessContext&, Lfo&) noexcept = nullptr; // 8 channels per instruction
    friend struct LfoKernel;
    double m_phase = 0.0;
    double m_invSampleRate = 1.0 / 48000.0;
    const float* m_sine = nullptr;
    std::uint32_t m_noise = 1;
    float m_held = 0.0f; // the s&h value of the current cycle
    bool m_resetHigh = false;
    bool m_pendingReset = false;
};

} // namespace chronus::engine
