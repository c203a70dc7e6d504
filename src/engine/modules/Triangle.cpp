#include "Triangle.hpp"

namespace chronus::engine {

const ModuleType Triangle::kType{"triangle", "Triangle", "Oscillators", "Band-limited triangle oscillator", kParams, kInputs, kOutputs,
                              &createModule<Triangle>};

void Triangle::process(const ProcessContext& ctx) noexcept {
    run(ctx, Wavetables::Triangle, [](const float* table, double phase, double) noexcept {
        return Wavetables::lookup(table, phase);
    });
}

} // namespace chronus::engine
