#pragma once
#include "../Module.hpp"

#include <cstdint>

namespace chronus::engine {

// White or pink noise. Each instance gets its own seed, so two noise modules are uncorrelated.
class Noise final : public Module {
public:
    enum Param : ParamIndex { Color, Gain, ParamCount };
    enum Output : PortIndex { Out, OutputCount };
    static constexpr ParamSpec kParams[] = {
        {"color", "Color", "", 0.0f, 1.0f, 0.0f, ParamDiscrete, nullptr, "white|pink"},
        {"gain", "Gain", "", 0.0f, 1.0f, 0.5f}};
    static_assert(std::size(kParams) == ParamCount);
    static constexpr PortSpec kOutputs[] = {{"out", "Out", Signal::Audio}};
    static const ModuleType kType;

    explicit Noise(const ModuleType& type);
    void process(const ProcessContext& ctx) noexcept override;

protected:
    void onPrepare(const PrepareInfo& info) override;

private:
    std::uint32_t m_seed;
    std::uint32_t m_state = 1;
    float m_b[7] = {};
};

} // namespace chronus::engine
