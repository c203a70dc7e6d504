#pragma once
#include "Oscillator.hpp"

namespace chronus::engine {

// Band-limited pulse oscillator: the difference of two band-limited saws, so the pulse width can move
// without aliasing. Input fm (1 unit per octave), output out. Polyphonic: one voice per fm channel.
class Square final : public Oscillator {
public:
    enum SquareParam : ParamIndex { Width = CommonParamCount, ParamCount };
    static constexpr ParamSpec kParams[] = {kFreq, kGain, {"width", "Pulse width", "", 0.01f, 0.99f, 0.5f}};
    static_assert(std::size(kParams) == ParamCount);
    static const ModuleType kType;

    explicit Square(const ModuleType& type) : Oscillator(type) {}
    void process(const ProcessContext& ctx) noexcept override;

protected:
    void onPrepare(const PrepareInfo& info) override;
};

} // namespace chronus::engine
