#include "Triangle.hpp"

namespace chronus::engine {

const ModuleType Triangle::kType{"triangle", "Triangle", "Oscillators",  "Band-limited triangle oscillator",
                                 kParams,    kInputs,    kOutputs,       &createModule<Triangle>,
                                 nullptr,    nullptr,    Polyphony::Poly};

namespace {

[[gnu::always_inline]] inline void trianglePoly(const ProcessContext& ctx, Oscillator::PolyState& st,
                                                SmoothedValue& freq, SmoothedValue& gain,
                                                SmoothedValue*) noexcept {
    struct Wave {
        [[gnu::always_inline]] simd::F8 operator()(simd::F8 p, simd::F8 inc, simd::F8 invInc,
                                                   float) const noexcept {
            return polyosc::triangle(p, inc, invInc);
        }
    };
    polyosc::run<false>(ctx, st, freq, gain, nullptr, Wave{});
}

CHRONUS_POLY_KERNEL(trianglePoly, trianglePoly,
                    (const ProcessContext& ctx, Oscillator::PolyState& st, SmoothedValue& freq,
                     SmoothedValue& gain, SmoothedValue* shape),
                    (ctx, st, freq, gain, shape))

} // namespace

void Triangle::onPrepare(const PrepareInfo& info) {
    Oscillator::onPrepare(info);
    m_polyKernel = simd::pick(&trianglePolyGeneric, &trianglePolyAvx2);
}

void Triangle::process(const ProcessContext& ctx) noexcept {
    if (ctx.channels > 1) {
        runPoly(ctx);
        return;
    }
    run(ctx, Wavetables::Triangle, [](const float* table, double phase, double) noexcept {
        return Wavetables::lookup(table, phase);
    });
}

} // namespace chronus::engine
