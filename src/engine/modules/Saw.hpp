#pragma once
#include "Oscillator.hpp"

namespace chronus::engine {

// Band-limited sawtooth oscillator. Input fm (1 unit per octave), output out. Polyphonic: one voice
// per fm channel (see Oscillator.hpp for the poly algorithm).
class Saw final : public Oscillator {
public:
    static constexpr ParamSpec kParams[] = {kFreq, kGain};
    static_assert(std::size(kParams) == CommonParamCount);
    static const ModuleType kType;

    explicit Saw(const ModuleType& type) : Oscillator(type) {}
    void process(const ProcessContext& ctx) noexcept override;

protected:
    void onPrepare(const PrepareInfo& info) override;
};

} // namespace chronus::engine
