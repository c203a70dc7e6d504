#pragma once
#include "../Module.hpp"
#include "DrumCommon.hpp"

#include <cstdint>

namespace chronus::engine {

// Hi-hat: metallic noise, the TR-808's six square oscillators at inharmonic frequencies mixed with
// seeded white noise (`metal` = the squares' share), through a resonant high-pass at `tone` and an
// amplitude envelope. A hit starts on a rising edge of `trig` (closed, decaying in `decay` to
// -60 dB) or of `open` (open, decaying in `open_decay`); a `trig` hit while `open` is high is open
// too, and a gate(true) event is a `trig` hit. Any new hit chokes the ringing one: it fades out over
// kChokeFadeMs, so a closed hit cuts an open one quickly but without a click. `accent` (0..1 at the
// hit) times the `accent` amount raises the level (up to +6 dB) and the brightness. The source is a
// function of the sample count since prepare (the oscillators' phases and a hash for the noise),
// whether or not a hit sounds: hits combine linearly, and an idle hi-hat costs next to nothing (a
// hit after silence first runs the filter over kWarmUpMs of the source it skipped).
class HiHat final : public Module {
public:
    enum Param : ParamIndex { Level, Accent, Tone, Decay, OpenDecay, Metal, ParamCount };
    enum Input : PortIndex { Trig, AccentIn, OpenIn, InputCount };
    enum Output : PortIndex { Out, OutputCount };
    static constexpr ParamSpec kParams[] = {{"level", "Level", "", 0.0f, 1.0f, 0.6f},
                                            {"accent", "Accent amount", "", 0.0f, 1.0f, 0.5f},
                                            {"tone", "Tone", "Hz", 2000.0f, 16000.0f, 7500.0f, ParamLog},
                                            {"decay", "Closed decay", "ms", 10.0f, 1000.0f, 60.0f, ParamLog},
                                            {"open_decay", "Open decay", "ms", 50.0f, 4000.0f, 450.0f, ParamLog},
                                            {"metal", "Metal", "", 0.0f, 1.0f, 0.7f}};
    static_assert(std::size(kParams) == ParamCount);
    static constexpr PortSpec kInputs[] = {
        {"trig", "Trigger", Signal::Gate}, {"accent", "Accent", Signal::Cv}, {"open", "Open", Signal::Gate}};
    static_assert(std::size(kInputs) == InputCount);
    static constexpr PortSpec kOutputs[] = {{"out", "Out", Signal::Audio}};
    static const ModuleType kType;

    static constexpr double kChokeFadeMs = 4.0;
    static constexpr double kWarmUpMs = 2.0;
    static constexpr int kOscillators = 6;
    // The TR-808's cymbal and hi-hat oscillators.
    static constexpr double kOscillatorHz[kOscillators] = {205.3, 304.4, 369.6, 522.7, 540.0, 800.0};

    explicit HiHat(const ModuleType& type)
        : Module(type) {}
    void process(const ProcessContext& ctx) noexcept override;
    void gate(bool on) noexcept override {
        if (on)
            m_trigger.event();
    }

protected:
    void onPrepare(const PrepareInfo& info) override;

private:
    struct Voice {
        float env = 0.0f;
        float gain = 0.0f;   // 1 + accent boost
        float accent = 0.0f; // accent x amount, 0..1
        float bright = 1.0f; // the filter's cutoff over `tone`
        bool open = false;
        bool active = false;
    };

    // Audio thread. The block, with params ramping (read per sample) or steady (read once).
    template <bool Smoothing> void run(const ProcessContext& ctx) noexcept;
    void trigger(bool open, float accent) noexcept;
    void updateDecays(float decay, float openDecay) noexcept;
    void updateFilter(float cutoff) noexcept;
    // One sample of the high-passed source at `time`; advances the filter state.
    float filtered(std::uint32_t time, float metal, float& ic1, float& ic2) const noexcept;

    Voice m_voice;
    Voice m_tail;
    drums::TailFade m_fade;
    drums::TriggerDetector m_trigger;
    drums::TriggerDetector m_open;
    // The source at sample m_time + i: oscillator phases start + inc x time (wrapping, in 1/2^32
    // cycles; the starts from the seed, so that the squares never all switch together) and noise
    // hashed from the time and the seed.
    float sourceAt(std::uint32_t time, float metal) const noexcept;

    std::uint32_t m_time = 0;
    std::uint32_t m_seed = 0;
    std::uint32_t m_inc[kOscillators] = {};
    std::uint32_t m_start[kOscillators] = {};
    float m_invInc[kOscillators] = {};
    float m_closedCoeff = 0.0f, m_openCoeff = 0.0f;
    float m_coeffDecay = -1.0f, m_coeffOpenDecay = -1.0f;
    // resonant high-pass (trapezoidal SVF)
    float m_a1 = 0.0f, m_a2 = 0.0f, m_a3 = 0.0f, m_k = 1.0f;
    float m_filterCutoff = -1.0f;
    float m_ic1 = 0.0f, m_ic2 = 0.0f;
    std::uint32_t m_warmUp = 0; // samples
};

} // namespace chronus::engine
