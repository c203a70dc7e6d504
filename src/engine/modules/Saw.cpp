#include "Saw.hpp"

namespace chronus::engine {

const ModuleType Saw::kType{"saw", "Saw", "Oscillators", "Band-limited sawtooth oscillator", kParams, kInputs, kOutputs,
                              &createModule<Saw>};

void Saw::process(const ProcessContext& ctx) noexcept {
    runTable(ctx, Wavetables::Saw);
}

} // namespace chronus::engine
