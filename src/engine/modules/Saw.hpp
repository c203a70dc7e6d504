#pragma once
#include "Oscillator.hpp"

namespace chronus::engine {

// Band-limited sawtooth oscillator. Input fm (1 unit per octave), output out.
class Saw final : public Oscillator {
public:
    static constexpr ParamSpec kParams[] = {kFreq, kGain};
    static_assert(std::size(kParams) == CommonParamCount);
    static const ModuleType kType;

    explicit Saw(const ModuleType& type) : Oscillator(type) {}
    void process(const ProcessContext& ctx) noexcept override;
};

} // namespace chronus::engine
