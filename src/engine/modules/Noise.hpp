#pragma once
#include "../Module.hpp"

#include <cstdint>

namespace chronus::engine {

// White or pink noise. The seed comes from the module's id: two noise modules are uncorrelated, and
// a patch renders the same noise every time. `channels` (fixed when the patch is compiled) makes a
// poly cable of that many uncorrelated noises, 8 per instruction: channel 0 is the mono noise, each
// other channel has its own seed from the id and its number.
class Noise final : public Module {
public:
    enum Param : ParamIndex { Color, Gain, Channels, ParamCount };
    enum Output : PortIndex { Out, OutputCount };
    static constexpr ParamSpec kParams[] = {
        {"color", "Color", "", 0.0f, 1.0f, 0.0f, ParamDiscrete, nullptr, "white|pink"},
        {"gain", "Gain", "", 0.0f, 1.0f, 0.5f},
        {"channels", "Channels", "", 1.0f, 16.0f, 1.0f, ParamDiscrete | ParamStructural}};
    static_assert(std::size(kParams) == ParamCount);
    static constexpr PortSpec kOutputs[] = {{"out", "Out", Signal::Audio}};
    static const ModuleType kType;

    explicit Noise(const ModuleType& type);
    void process(const ProcessContext& ctx) noexcept override;

protected:
    void onPrepare(const PrepareInfo& info) override;

public:
    // The poly kernel's per-channel state (audio thread, after prepare).
    struct PolyState {
        alignas(32) std::uint32_t state[kMaxChannels] = {};
        alignas(32) float b[7][kMaxChannels] = {}; // the pink filter's, as m_b
    };

private:
    std::uint32_t m_state = 1;
    float m_b[7] = {};
    PolyState m_poly;
    void (*m_polyKernel)(const ProcessContext&, PolyState&, SmoothedValue&, bool pink) noexcept = nullptr;
};

} // namespace chronus::engine
