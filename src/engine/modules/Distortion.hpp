#pragma once
#include "../Module.hpp"
#include "DcBlocker.hpp"

#include <cstdint>

namespace chronus::engine {

// Waveshaping distortion: in x drive through one of four shapes, a low-pass tone control, and a
// dry/wet mix.
//
//   soft   tanh
//   hard   clip at +-1
//   fold   triangle wavefolder: the identity within +-1, folded back at each +-1 beyond
//   crush  clip at +-1, round to `bits` (2^(bits-1) steps per unit, zero is a step), then
//          sample and hold every `downsample` samples: aliasing is the sound, so no antialiasing
//
// soft, hard and fold are antialiased by first-order antiderivative antialiasing (ADAA, Parker et
// al., DAFx 2016): the output is the mean of the shape over the segment between consecutive input
// samples, (F(v) - F(v')) / (v - v') with F the shape's antiderivative, which costs half a sample
// of delay and a gentle roll-off near Nyquist. All four shapes are odd, so a symmetric input makes
// no DC; but driven hard, an asymmetric one (a resonant filter's output, whose zero crossings are
// not evenly spaced) comes out as a pulse whose duty cycle is not 1/2, with DC. soft, hard and fold
// end with a DC blocker (5 Hz) for it; crush keeps its exact steps and takes none.
//
// out = (1 - mix) x in + mix x level x tone(shape(drive x in)). `level` scales the distorted
// signal only, so mix 0 passes the input bit for bit. `tone` at its maximum leaves the wet signal
// unfiltered (so crush's steps stay exact); below it, a 12 dB/oct low-pass at `tone` Hz.
//
// Polyphonic: each channel distorted on its own, with shared params. hard, fold and crush run 8
// channels per instruction (the ADAA in double precision, 4 lanes per AVX operation); soft runs the
// mono per-sample code channel by channel, not SIMD: its ADAA needs log1p and exp in double
// precision per sample, which have no vector version here.
class Distortion final : public Module {
public:
    enum Param : ParamIndex { Mode, Drive, Tone, Mix, Level, Bits, Downsample, ParamCount };
    enum Input : PortIndex { In, InputCount };
    enum Output : PortIndex { Out, OutputCount };
    enum Shape { Soft, Hard, Fold, Crush };
    static constexpr float kToneOpen = 20000.0f;
    static constexpr ParamSpec kParams[] = {
        {"mode", "Mode", "", 0.0f, 3.0f, 0.0f, ParamDiscrete, nullptr, "soft|hard|fold|crush"},
        {"drive", "Drive", "dB", 0.0f, 48.0f, 12.0f},
        {"tone", "Tone", "Hz", 200.0f, kToneOpen, kToneOpen, ParamLog},
        {"mix", "Mix", "", 0.0f, 1.0f, 1.0f},
        {"level", "Level", "", 0.0f, 2.0f, 0.8f},
        {"bits", "Bits", "", 1.0f, 16.0f, 8.0f},
        {"downsample", "Downsample", "x", 1.0f, 32.0f, 1.0f, ParamLog}};
    static_assert(std::size(kParams) == ParamCount);
    static constexpr PortSpec kInputs[] = {{"in", "In", Signal::Audio}};
    static_assert(std::size(kInputs) == InputCount);
    static constexpr PortSpec kOutputs[] = {{"out", "Out", Signal::Audio}};
    static_assert(std::size(kOutputs) == OutputCount);
    static const ModuleType kType;

    explicit Distortion(const ModuleType& type) : Module(type) {}
    void process(const ProcessContext& ctx) noexcept override;

protected:
    void onPrepare(const PrepareInfo& info) override;

private:
    // One sample of the antialiased shape for driven input v; updates the ADAA history.
    double shapeAntialiased(Shape shape, double v) noexcept;
    float crush(float v, float bits, float hold) noexcept;
    float tone(float x, float hz) noexcept;

    // ADAA history: the previous driven input and the shape's antiderivative there.
    int m_historyShape = -1;
    double m_prevV = 0.0;
    double m_prevF = 0.0;
    // Crush: the held value and the samples since it was taken.
    float m_held = 0.0f;
    float m_holdCount = 0.0f;
    float m_crushBits = -1.0f; // the bit depth m_crushSteps belongs to
    float m_crushSteps = 128.0f;
    // Tone: trapezoidal state-variable low-pass (Q = 1/sqrt 2) and its coefficients for m_toneHz.
    float m_ic1 = 0.0f, m_ic2 = 0.0f;
    float m_toneHz = -1.0f;
    float m_a1 = 0.0f, m_a2 = 0.0f, m_a3 = 0.0f;
    float m_piOverSr = 0.0f;
    float m_maxToneHz = 20000.0f;
    float m_driveDb = -1.0f;
    float m_driveGain = 1.0f;
    DcBlocker m_dcBlocker; // the wet signal of soft, hard and fold

    void processPoly(const ProcessContext& ctx, Shape shape) noexcept;

public:
    // Polyphony: each channel's part of the state above (see Distortion.cpp); the rest (drive
    // gain, tone coefficients, the crush's bit depth and hold count) follows params and is shared.
    struct PolyState {
        alignas(32) double prevV[kMaxChannels];
        alignas(32) double prevF[kMaxChannels];
        alignas(32) float held[kMaxChannels];
        alignas(32) float ic1[kMaxChannels];
        alignas(32) float ic2[kMaxChannels];
        alignas(32) float dcIn[kMaxChannels]; // DcBlocker's state, lane by lane
        alignas(32) float dcOut[kMaxChannels];
    };
    // The shared values of a chunk of frames, worked out once for every channel.
    static constexpr int kPolyChunk = 64;
    struct PolyFrames {
        int from = 0, to = 0;
        bool newShape = false; // the ADAA history is re-based at `from` (the shape changed)
        Shape shape = Soft;
        float dcPole = 0.0f;
        float gain[kPolyChunk], mix[kPolyChunk], level[kPolyChunk], steps[kPolyChunk];
        float a1[kPolyChunk], a2[kPolyChunk], a3[kPolyChunk];
        bool take[kPolyChunk], open[kPolyChunk];
    };
    using PolyKernel = void (*)(const ProcessContext&, PolyState&, const PolyFrames&) noexcept;

private:
    void softPoly(const ProcessContext& ctx, const PolyFrames& f) noexcept;
    PolyState m_poly{};
    PolyKernel m_polyKernel = nullptr; // hard, fold and crush: 8 channels per instruction
    float m_dcPole = 0.0f;
    int m_polyHistoryShape = -1;
    float m_polyHoldCount = 0.0f;
};

} // namespace chronus::engine
