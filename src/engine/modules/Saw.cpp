#include "Saw.hpp"

namespace chronus::engine {

const ModuleType Saw::kType{"saw", "Saw", "Oscillators", "Band-limited sawtooth oscillator", kParams, kInputs, kOutputs,
                              &createModule<Saw>};

void Saw::process(const ProcessContext& ctx) noexcept {
    run(ctx, Wavetables::Saw, [](const float* table, double phase, double) noexcept {
        return Wavetables::lookup(table, phase);
    });
}

} // namespace chronus::engine
