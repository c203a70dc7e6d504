#pragma once
#include "Oscillator.hpp"

namespace chronus::engine {

// Band-limited triangle oscillator. Input fm (1 unit per octave), output out. Polyphonic: one voice
// per fm channel.
class Triangle final : public Oscillator {
public:
    static constexpr ParamSpec kParams[] = {kFreq, kGain};
    static_assert(std::size(kParams) == CommonParamCount);
    static const ModuleType kType;

    explicit Triangle(const ModuleType& type) : Oscillator(type) {}
    void process(const ProcessContext& ctx) noexcept override;

protected:
    void onPrepare(const PrepareInfo& info) override;
};

} // namespace chronus::engine
