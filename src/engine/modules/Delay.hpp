#pragma once
#include "../Module.hpp"
#include "DelayLine.hpp"
#include "Tempo.hpp"

namespace chronus::engine {

// Stereo delay with feedback. The time is free (ms) or a note division at the tempo (the clock's
// `tempo` CV in beats per second when connected, else the `bpm` param), at most kMaxSeconds. Each
// repeat passes a low-pass at `tone` and a fixed high-pass at kLowCutHz (so the loop cannot build up
// rumble); with `feedback` below 1 and both filters at most unity gain the loop is stable at any
// setting. `pingpong` crosses the feedback between the channels and feeds the input to the left line
// only, so that a mono input bounces left, right, left... A time change crossfades between the old
// and the new read position over kFadeSeconds: no click, no pitch sweep. `right` takes `in` when
// unconnected.
class Delay final : public Module {
public:
    enum Param : ParamIndex { Time, Sync, Bpm, Feedback, Tone, PingPong, Mix, ParamCount };
    enum Input : PortIndex { In, RightIn, TempoIn, InputCount };
    enum Output : PortIndex { Left, Right, OutputCount };
    static constexpr double kMaxSeconds = 2.0;
    static constexpr double kFadeSeconds = 0.05;
    static constexpr double kLowCutHz = 20.0;
    static constexpr ParamSpec kParams[] = {
        {"time", "Time", "ms", 1.0f, 2000.0f, 375.0f, ParamLog},
        {"sync", "Sync", "", 0.0f, static_cast<float>(tempo::kSyncChoiceCount - 1), 0.0f, ParamDiscrete,
         nullptr, tempo::kSyncChoices},
        {"bpm", "BPM", "BPM", tempo::kMinBpm, tempo::kMaxBpm, tempo::kDefaultBpm},
        {"feedback", "Feedback", "", 0.0f, 0.95f, 0.4f},
        {"tone", "Tone", "Hz", 200.0f, 20000.0f, 6000.0f, ParamLog},
        {"pingpong", "Ping-pong", "", 0.0f, 1.0f, 0.0f},
        {"mix", "Mix", "", 0.0f, 1.0f, 0.3f}};
    static_assert(std::size(kParams) == ParamCount);
    static constexpr PortSpec kInputs[] = {{"in", "In (left or mono)", Signal::Audio},
                                           {"right", "Right in", Signal::Audio},
                                           {"tempo", "Tempo (beats/s, from a clock)", Signal::Cv}};
    static_assert(std::size(kInputs) == InputCount);
    static constexpr PortSpec kOutputs[] = {{"left", "Left", Signal::Audio},
                                            {"right", "Right", Signal::Audio}};
    static_assert(std::size(kOutputs) == OutputCount);
    static const ModuleType kType;
    // What onPrepare() allocates at `sampleRate` (ModuleType::stateBytes).
    static std::size_t stateBytes(double sampleRate);

    explicit Delay(const ModuleType& type) : Module(type) {}
    void process(const ProcessContext& ctx) noexcept override;

protected:
    void onPrepare(const PrepareInfo& info) override;

private:
    // The delay in samples the params and `bpm` ask for, clamped to what the lines hold.
    double wantedDelay(double bpm) const noexcept;
    float toneCoefficient(float hz) const noexcept;

    DelayLine m_line[2];
    TapCrossfade m_tap;
    double m_maxDelay = 2.0;
    float m_lowpass[2] = {}; // tone filter state
    float m_lowcut[2] = {};  // the high-pass's low-pass part
    float m_lowcutCoeff = 0.0f;
    float m_toneHz = -1.0f, m_toneCoeff = 1.0f; // the tone coefficient and the cutoff it is for
};

} // namespace chronus::engine
