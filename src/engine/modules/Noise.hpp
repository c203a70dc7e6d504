#pragma once
#include "../Module.hpp"

#include <cstdint>

namespace chronus::engine {

// White or pink noise. The seed comes from the module's id: two noise modules are uncorrelated, and
// a patch renders the same noise every time.
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
    std::uint32_t m_state = 1;
    float m_b[7] = {};
};

} // namespace chronus::engine
