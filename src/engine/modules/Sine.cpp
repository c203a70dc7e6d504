#include "Sine.hpp"

namespace chronus::engine {

const ModuleType Sine::kType{"sine",  "Sine",  "Oscillators",  "Sine oscillator",
                             kParams, kInputs, kOutputs,       &createModule<Sine>,
                             nullptr, nullptr, Polyphony::Poly};

namespace {

[[gnu::always_inline]] inline void sinePoly(const ProcessContext& ctx, Oscillator::PolyState& st,
                                            SmoothedValue& freq, SmoothedValue& gain,
                                            SmoothedValue*) noexcept {
    struct Wave {
        [[gnu::always_inline]] simd::F8 operator()(simd::F8 p, simd::F8, simd::F8, float) const noexcept {
            return simd::sinTurns(p);
        }
    };
    polyosc::run<false>(ctx, st, freq, gain, nullptr, Wave{});
}

CHRONUS_POLY_KERNEL(sinePoly, sinePoly,
                    (const ProcessContext& ctx, Oscillator::PolyState& st, SmoothedValue& freq,
                     SmoothedValue& gain, SmoothedValue* shape),
                    (ctx, st, freq, gain, shape))

} // namespace

void Sine::onPrepare(const PrepareInfo& info) {
    Oscillator::onPrepare(info);
    m_polyKernel = simd::pick(&sinePolyGeneric, &sinePolyAvx2);
}

void Sine::process(const ProcessContext& ctx) noexcept {
    if (ctx.channels > 1) {
        runPoly(ctx);
        return;
    }
    run(ctx, Wavetables::Sine, [](const float* table, double phase, double) noexcept {
        return Wavetables::lookup(table, phase);
    });
}

} // namespace chronus::engine
