#include "Sine.hpp"

namespace chronus::engine {

const ModuleType Sine::kType{"sine", "Sine", "Oscillators", "Sine oscillator", kParams, kInputs, kOutputs,
                              &createModule<Sine>};

void Sine::process(const ProcessContext& ctx) noexcept {
    run(ctx, Wavetables::Sine, [](const float* table, double phase, double) noexcept {
        return Wavetables::lookup(table, phase);
    });
}

} // namespace chronus::engine
