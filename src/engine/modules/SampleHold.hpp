#pragma once
#include "../Module.hpp"

#include <cstdint>

namespace chronus::engine {

// Sample & hold. At each trigger (a rising edge of `trig` through 0.5, sample-accurate, or a gate
// event on, which samples at the start of the next block) it takes the value of `in` at that very
// sample, or a new value of its own white noise in [-1, 1) when `in` is unconnected (seeded from
// the module's id: the same patch renders the same sequence). The output glides linearly to the new
// value in `glide` ms (0: a step at the trigger sample) and holds it until the next trigger;
// out = level x held.
// Polyphonic: each channel samples its channel of `in` at its channel's trigger (a mono trigger
// cable and a gate event trigger every channel); unconnected `in`, each channel has its own noise
// (channel 1's sequence is the mono module's). Glide and level are shared.
class SampleHold final : public Module {
public:
    enum Param : ParamIndex { Glide, Level, ParamCount };
    enum Input : PortIndex { In, Trig, InputCount };
    enum Output : PortIndex { Out, OutputCount };
    static constexpr ParamSpec kParams[] = {{"glide", "Glide", "ms", 0.0f, 2000.0f, 0.0f, ParamLog},
                                            {"level", "Level", "", 0.0f, 5.0f, 1.0f}};
    static_assert(std::size(kParams) == ParamCount);
    static constexpr PortSpec kInputs[] = {{"in", "In", Signal::Cv}, {"trig", "Trigger", Signal::Gate}};
    static_assert(std::size(kInputs) == InputCount);
    static constexpr PortSpec kOutputs[] = {{"out", "Out", Signal::Cv}};
    static_assert(std::size(kOutputs) == OutputCount);
    static const ModuleType kType;

    explicit SampleHold(const ModuleType& type) : Module(type) {}
    void process(const ProcessContext& ctx) noexcept override;
    void gate(bool on) noexcept override { m_pendingTrigger = m_pendingTrigger || on; }

protected:
    void onPrepare(const PrepareInfo& info) override;

private:
    float nextNoise() noexcept;
    void sample(float value) noexcept;

    std::uint32_t m_noise = 1;
    float m_value = 0.0f;  // the output before `level`
    float m_target = 0.0f; // the held sample
    float m_step = 0.0f;   // per-sample glide increment
    int m_remaining = 0;   // glide samples left
    bool m_trigHigh = false;
    bool m_pendingTrigger = false;
    float m_samplesPerMs = 48.0f;

public:
    // Polyphony: each channel's fields of the mono module, lane by lane (see SampleHold.cpp).
    struct PolyState {
        alignas(32) std::uint32_t noise[kMaxChannels];
        alignas(32) float value[kMaxChannels];
        alignas(32) float target[kMaxChannels];
        alignas(32) float step[kMaxChannels];
        alignas(32) std::int32_t remaining[kMaxChannels];
        alignas(32) std::int32_t trigHigh[kMaxChannels]; // 0 or -1
    };
    using PolyKernel = void (*)(const ProcessContext&, PolyState&, bool trigger, int glideSamples,
                                SmoothedValue& level) noexcept;

private:
    PolyState m_poly{};
    PolyKernel m_polyKernel = nullptr; // 8 channels per instruction
};

} // namespace chronus::engine
