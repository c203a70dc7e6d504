#include "Saw.hpp"

namespace chronus::engine {

const ModuleType Saw::kType{"saw",   "Saw",   "Oscillators",  "Band-limited sawtooth oscillator",
                            kParams, kInputs, kOutputs,       &createModule<Saw>,
                            nullptr, nullptr, Polyphony::Poly};

namespace {

template <bool JumpsDense>
struct SawShape {
    [[gnu::always_inline]] simd::F8 operator()(simd::F8 p, simd::F8, simd::F8 invInc,
                                               float) const noexcept {
        return polyosc::saw(p, invInc, JumpsDense);
    }
};
struct SawWave : SawShape<false> {
    using Dense = SawShape<true>; // see polyosc::saw
};

[[gnu::always_inline]] inline void sawPoly(const ProcessContext& ctx, Oscillator::PolyState& st,
                                           SmoothedValue& freq, SmoothedValue& gain,
                                           SmoothedValue*) noexcept {
    polyosc::run<false>(ctx, st, freq, gain, nullptr, SawWave{});
}

CHRONUS_POLY_KERNEL(sawPoly, sawPoly,
                    (const ProcessContext& ctx, Oscillator::PolyState& st, SmoothedValue& freq,
                     SmoothedValue& gain, SmoothedValue* shape),
                    (ctx, st, freq, gain, shape))

} // namespace

void Saw::onPrepare(const PrepareInfo& info) {
    Oscillator::onPrepare(info);
    m_polyKernel = simd::pick(&sawPolyGeneric, &sawPolyAvx2);
}

void Saw::process(const ProcessContext& ctx) noexcept {
    if (ctx.channels > 1) {
        runPoly(ctx);
        return;
    }
    runTable(ctx, Wavetables::Saw);
}

} // namespace chronus::engine
