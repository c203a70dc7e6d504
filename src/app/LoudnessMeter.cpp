#include "LoudnessMeter.hpp"

#include <ebur128.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace chronus::app {

using engine::ErrorCode;
using engine::Status;

struct LoudnessMeter::State {
    ebur128_state* st = nullptr;
    ~State() {
        if (st)
            ebur128_destroy(&st);
    }
};

LoudnessMeter::LoudnessMeter() = default;
LoudnessMeter::~LoudnessMeter() = default;

Status LoudnessMeter::open(double sampleRate) {
    m_state = std::make_unique<State>();
    m_state->st = ebur128_init(2, static_cast<unsigned long>(sampleRate), EBUR128_MODE_I | EBUR128_MODE_S | EBUR128_MODE_LRA | EBUR128_MODE_TRUE_PEAK);
    if (!m_state->st)
        return Status::error(ErrorCode::InvalidArgument, "loudness meter: libebur128 refused " +
                                                             std::to_string(sampleRate) + " Hz");
    return {};
}

Status LoudnessMeter::addInterleaved(const float* interleaved, std::size_t frames) {
    if (!m_state || !m_state->st)
        return Status::error(ErrorCode::InvalidArgument, "loudness meter: not open");
    if (frames > 0 && ebur128_add_frames_float(m_state->st, interleaved, frames) != EBUR128_SUCCESS)
        return Status::error(ErrorCode::InvalidArgument, "loudness meter: libebur128 could not take the samples");
    return {};
}

double LoudnessMeter::integratedLufs() const {
    double lufs = -std::numeric_limits<double>::infinity();
    if (!m_state || !m_state->st || ebur128_loudness_global(m_state->st, &lufs) != EBUR128_SUCCESS)
        return -std::numeric_limits<double>::infinity();
    return lufs; // libebur128 reports -HUGE_VAL for silence
}

double LoudnessMeter::shortTermLufs() const {
    double lufs = 0.0;
    if (!m_state || !m_state->st || ebur128_loudness_shortterm(m_state->st, &lufs) != EBUR128_SUCCESS)
        return -std::numeric_limits<double>::infinity();
    return lufs;
}

double LoudnessMeter::momentaryLufs() const {
    double lufs = 0.0;
    if (!m_state || !m_state->st || ebur128_loudness_momentary(m_state->st, &lufs) != EBUR128_SUCCESS)
        return -std::numeric_limits<double>::infinity();
    return lufs;
}

double LoudnessMeter::loudnessRangeLu() const {
    double lu = 0.0;
    if (!m_state || !m_state->st || ebur128_loudness_range(m_state->st, &lu) != EBUR128_SUCCESS || !std::isfinite(lu))
        return 0.0;
    return lu;
}

double LoudnessMeter::truePeak() const {
    double peak = 0.0;
    for (unsigned channel = 0; m_state && m_state->st && channel < 2; ++channel) {
        double p = 0.0;
        if (ebur128_true_peak(m_state->st, channel, &p) == EBUR128_SUCCESS)
            peak = std::max(peak, p);
    }
    return peak;
}

} // namespace chronus::app
