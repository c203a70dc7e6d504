#pragma once
#include "../Module.hpp"

namespace chronus::engine {

// Second-order filter (RBJ cookbook) with low-, high- or band-pass mode; the predecessor's
// `biquad_filter`. Band-pass has 0 dB peak gain.
// Polyphonic: one filter per channel; cutoff, Q and mode are shared.
class Biquad final : public Module {
public:
    enum Param : ParamIndex { Cutoff, Q, Mode, ParamCount };
    enum Input : PortIndex { In, InputCount };
    enum Output : PortIndex { Out, OutputCount };
    enum FilterMode { LowPass, HighPass, BandPass };
    static constexpr ParamSpec kParams[] = {
        {"cutoff", "Cutoff", "Hz", 20.0f, 20000.0f, 1000.0f, ParamLog},
        {"q", "Q", "", 0.1f, 40.0f, 0.707f, ParamLog, "resonance"},
        {"mode", "Mode", "", 0.0f, 2.0f, 0.0f, ParamDiscrete, nullptr, "lowpass|highpass|bandpass"}};
    static_assert(std::size(kParams) == ParamCount);
    static constexpr PortSpec kInputs[] = {{"in", "In", Signal::Audio}};
    static constexpr PortSpec kOutputs[] = {{"out", "Out", Signal::Audio}};
    static const ModuleType kType;

    explicit Biquad(const ModuleType& type) : Module(type) {}
    void process(const ProcessContext& ctx) noexcept override;

protected:
    void onPrepare(const PrepareInfo& info) override;

private:
    void updateCoefficients(float cutoffHz, float q, int mode) noexcept;

    float m_b0 = 1.0f, m_b1 = 0.0f, m_b2 = 0.0f, m_a1 = 0.0f, m_a2 = 0.0f;
    float m_z1 = 0.0f, m_z2 = 0.0f;
    double m_sampleRate = 48000.0;

public:
    // Polyphony (see Biquad.cpp): each channel's filter state, and the shared coefficients.
    struct PolyState {
        alignas(32) float z1[kMaxChannels];
        alignas(32) float z2[kMaxChannels];
    };
    struct Coefficients {
        float b0, b1, b2, a1, a2;
    };
    using PolyKernel = void (*)(const ProcessContext&, PolyState&, const Coefficients* c, int cStride,
                                int from, int to) noexcept;

private:
    PolyState m_poly{};
    PolyKernel m_polyKernel = nullptr; // 8 channels per instruction
};

} // namespace chronus::engine
