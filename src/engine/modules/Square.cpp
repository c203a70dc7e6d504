#include "Square.hpp"

namespace chronus::engine {

const ModuleType Square::kType{
    "square", "Square", "Oscillators",  "Band-limited pulse oscillator with pulse width",
    kParams,  kInputs,  kOutputs,       &createModule<Square>,
    nullptr,  nullptr,  Polyphony::Poly};

namespace {

template <bool JumpsDense>
struct SquareShape {
    [[gnu::always_inline]] simd::F8 operator()(simd::F8 p, simd::F8, simd::F8 invInc,
                                               float w) const noexcept {
        // The same identity as the mono path, with band-limited saws.
        simd::F8 shifted = p - w;
        shifted = shifted < -0.5f ? shifted + 1.0f : shifted;
        return polyosc::saw(shifted, invInc, JumpsDense) - polyosc::saw(p, invInc, JumpsDense) +
               (2.0f * w - 1.0f);
    }
};
struct SquareWave : SquareShape<false> {
    using Dense = SquareShape<true>; // see polyosc::saw
};

[[gnu::always_inline]] inline void squarePoly(const ProcessContext& ctx, Oscillator::PolyState& st,
                                              SmoothedValue& freq, SmoothedValue& gain,
                                              SmoothedValue* width) noexcept {
    polyosc::run<true>(ctx, st, freq, gain, width, SquareWave{});
}

CHRONUS_POLY_KERNEL(squarePoly, squarePoly,
                    (const ProcessContext& ctx, Oscillator::PolyState& st, SmoothedValue& freq,
                     SmoothedValue& gain, SmoothedValue* shape),
                    (ctx, st, freq, gain, shape))

} // namespace

void Square::onPrepare(const PrepareInfo& info) {
    Oscillator::onPrepare(info);
    m_polyKernel = simd::pick(&squarePolyGeneric, &squarePolyAvx2);
}

void Square::process(const ProcessContext& ctx) noexcept {
    SmoothedValue& width = param(Width);
    if (ctx.channels > 1) {
        runPoly(ctx, &width);
        return;
    }
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
