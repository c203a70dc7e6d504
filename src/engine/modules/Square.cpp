#include "Square.hpp"

namespace chronus::engine {

const ModuleType Square::kType{"square", "Square", "Oscillators",
                               "Band-limited pulse oscillator with pulse width", kParams, kInputs, kOutputs,
                               &createModule<Square>};

void Square::process(const ProcessContext& ctx) noexcept {
    SmoothedValue& width = param(Width);
    // With s(p) = 2p - 1 (band-limited), s(p - w) - s(p) + 2w - 1 is +1 on [0, w) and -1 on [w, 1).
    run(ctx, Wavetables::Saw, [&width](const float* table, double phase, double) noexcept {
        const float w = width.next();
        double shifted = phase - static_cast<double>(w);
        if (shifted < 0.0)
            shifted += 1.0;
        return Wavetables::lookup(table, shifted) - Wavetables::lookup(table, phase) + 2.0f * w - 1.0f;
    });
}

} // namespace chronus::engine
