#include "Delay.hpp"

#include "../Denormals.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace chronus::engine {

const ModuleType Delay::kType{"delay", "Delay", "Effects",
                              "Stereo delay: time in ms or tempo-synced, feedback through a tone low-pass, "
                              "ping-pong, mix",
                              kParams, kInputs, kOutputs, &createModule<Delay>, nullptr, &Delay::stateBytes};

std::size_t Delay::stateBytes(double sampleRate) {
    // onPrepare's two lines, each kMaxSeconds plus the interpolator's reach.
    return 2 * DelayLine::bytesFor(static_cast<std::size_t>(kMaxSeconds * sampleRate) + 4);
}

namespace {
// One-pole low-pass coefficient (impulse-invariant: its impulse response peaks at the first sample,
// so a filtered impulse still arrives on time).
float onePoleCoefficient(double hz, double sampleRate) noexcept {
    return static_cast<float>(1.0 - std::exp(-2.0 * std::numbers::pi * hz / sampleRate));
}
} // namespace

void Delay::onPrepare(const PrepareInfo& info) {
    // The read position is at most kMaxSeconds back from the sample about to be written; the
    // interpolator reaches two samples further.
    m_maxDelay = kMaxSeconds * info.sampleRate;
    for (DelayLine& line : m_line)
        line.allocate(static_cast<std::size_t>(m_maxDelay) + 4);
    m_tap.setFadeLength(static_cast<int>(std::lround(kFadeSeconds * info.sampleRate)));
    m_tap.reset(wantedDelay(param(Bpm).target()) - 1.0);
    m_lowcutCoeff = onePoleCoefficient(kLowCutHz, info.sampleRate);
    m_toneHz = -1.0f;
    for (int c = 0; c < 2; ++c)
        m_lowpass[c] = m_lowcut[c] = 0.0f;
}

double Delay::wantedDelay(double bpm) const noexcept {
    const int sync = static_cast<int>(param(Sync).current());
    const double seconds = sync > 0 ? tempo::divisionBeats(sync) * tempo::secondsPerBeat(bpm)
                                    : static_cast<double>(param(Time).target()) * 0.001;
    // At least 2 samples: the read happens before the write and the interpolator looks one sample
    // newer than the position it reads.
    return std::clamp(seconds * sampleRate(), 2.0, m_maxDelay);
}

float Delay::toneCoefficient(float hz) const noexcept {
    return onePoleCoefficient(std::min(static_cast<double>(hz), 0.45 * sampleRate()), sampleRate());
}

void Delay::process(const ProcessContext& ctx) noexcept {
    const float* inL = ctx.inputs[In];
    const float* inR = ctx.inputs[RightIn] ? ctx.inputs[RightIn] : inL;
    const float* tempoIn = ctx.inputs[TempoIn];
    float* outL = ctx.outputs[Left];
    float* outR = ctx.outputs[Right];
    SmoothedValue& feedback = param(Feedback);
    SmoothedValue& tone = param(Tone);
    SmoothedValue& pingPong = param(PingPong);
    SmoothedValue& mix = param(Mix);
    // The time and the BPM param move the read position through the crossfade, which is smoothing
    // enough: their targets are used directly and their ramps only kept in step.
    param(Time).skip(ctx.frames);
    const double bpmParam = param(Bpm).skip(ctx.frames);
    const bool synced = param(Sync).current() > 0.0f;
    const double paramDelay = wantedDelay(bpmParam);
    const float lowcut = m_lowcutCoeff;
    float lp0 = m_lowpass[0], lp1 = m_lowpass[1], lc0 = m_lowcut[0], lc1 = m_lowcut[1];
    for (int i = 0; i < ctx.frames; ++i) {
        const float dryL = inL ? inL[i] : 0.0f;
        const float dryR = inR ? inR[i] : 0.0f;
        // Read before this sample's write: the newest sample in the line is already 1 sample old.
        m_tap.advance((synced && tempoIn ? wantedDelay(tempo::bpmFromTempoCv(tempoIn[i])) : paramDelay) -
                      1.0);
        const float wetL = m_tap.readHermite(m_line[0]);
        const float wetR = m_tap.readHermite(m_line[1]);

        const float fb = feedback.next();
        const float p = pingPong.next();
        const float m = mix.next();
        const float hz = tone.next();
        if (hz != m_toneHz) {
            m_toneHz = hz;
            m_toneCoeff = toneCoefficient(hz);
        }
        const float a = m_toneCoeff;

        // Ping-pong: the input goes to the left line only (as mono), the repeats cross over.
        const float sendL = dryL + p * (0.5f * (dryL + dryR) - dryL);
        const float sendR = (1.0f - p) * dryR;
        const float loopL = sendL + fb * (wetL + p * (wetR - wetL));
        const float loopR = sendR + fb * (wetR + p * (wetL - wetR));
        lp0 += a * (loopL - lp0);
        lp1 += a * (loopR - lp1);
        lc0 += lowcut * (lp0 - lc0);
        lc1 += lowcut * (lp1 - lc1);
        m_line[0].write(zapGremlins(lp0 - lc0));
        m_line[1].write(zapGremlins(lp1 - lc1));

        outL[i] = (1.0f - m) * dryL + m * wetL;
        outR[i] = (1.0f - m) * dryR + m * wetR;
    }
    m_lowpass[0] = zapGremlins(lp0);
    m_lowpass[1] = zapGremlins(lp1);
    m_lowcut[0] = zapGremlins(lc0);
    m_lowcut[1] = zapGremlins(lc1);
}

} // namespace chronus::engine
