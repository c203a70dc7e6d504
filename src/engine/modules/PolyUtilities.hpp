#pragma once
// The utilities of polyphony (VCV Rack's convention: a cable carries 1 to 16 channels): a constant
// of several channels, and the modules that put channels together, take them apart and add them up.

#include "../Module.hpp"

#include <array>
#include <string>
#include <vector>

namespace chronus::engine {

// `values` "0 0.25 0.5": one cable of as many channels as numbers, each channel its number
// (ramped per sample when it changes). The usual source of per-voice offsets: detune, pitch, pan.
class Const final : public Module {
public:
    enum Param : ParamIndex { Channels, FirstValue, ParamCount = FirstValue + kMaxChannels };
    enum Output : PortIndex { Out, OutputCount };
    enum Text { Values, TextCount };
    static constexpr float kLimit = 10.0f; // volts, like every CV: pitch offsets, detune, levels

    static const std::array<ParamSpec, ParamCount> kParams;
    static constexpr PortSpec kOutputs[] = {{"out", "Out", Signal::Cv}};
    static constexpr TextParamSpec kTexts[] = {
        {"values", "Values", "1 to 16 numbers separated by spaces or commas: one channel each"}};
    static const TextForm kTextForm;
    static const ModuleType kType;

    explicit Const(const ModuleType& type) : Module(type) {}
    void process(const ProcessContext& ctx) noexcept override;

    static Status parseValues(std::string_view text, std::vector<ParamValue>& out);
    static std::string formatValues(std::span<const double> params);

protected:
    void onPrepare(const PrepareInfo&) override { m_filledFrames = 0; }

private:
    // What the output buffer holds since the last block that wrote it (audio thread): the first
    // m_filledFrames frames of m_filledOut, m_filledStride floats each, all equal to m_filled.
    alignas(64) float m_filled[kMaxChannels] = {};
    const float* m_filledOut = nullptr;
    int m_filledStride = 0;
    int m_filledFrames = 0;
};

// Sixteen mono inputs into one cable: as many channels as the highest connected input's number
// (`channels` 0), or exactly `channels`; an unconnected input below that is a silent channel.
class Merge final : public Module {
public:
    enum Param : ParamIndex { Channels, ParamCount };
    enum Output : PortIndex { Out, OutputCount };
    static constexpr ParamSpec kParams[] = {
        {"channels", "Channels", "", 0.0f, 16.0f, 0.0f, ParamDiscrete | ParamStructural}};
    static const std::array<PortSpec, kMaxChannels> kInputs;
    static constexpr PortSpec kOutputs[] = {{"out", "Out", Signal::Cv}};
    static const ModuleType kType;

    explicit Merge(const ModuleType& type) : Module(type) {}
    void process(const ProcessContext& ctx) noexcept override;

protected:
    void onPrepare(const PrepareInfo&) override {}
};

// One cable out into sixteen mono outputs: output n carries channel n (silence past the last).
class Split final : public Module {
public:
    enum Input : PortIndex { In, InputCount };
    static constexpr PortSpec kInputs[] = {{"in", "In", Signal::Cv}};
    static const std::array<PortSpec, kMaxChannels> kOutputs;
    static const ModuleType kType;

    explicit Split(const ModuleType& type) : Module(type) {}
    void process(const ProcessContext& ctx) noexcept override;

protected:
    void onPrepare(const PrepareInfo&) override {}
};

// Every channel of a cable added into one, times `level`.
class Sum final : public Module {
public:
    enum Param : ParamIndex { Level, ParamCount };
    enum Input : PortIndex { In, InputCount };
    enum Output : PortIndex { Out, OutputCount };
    static constexpr ParamSpec kParams[] = {{"level", "Level", "", 0.0f, 2.0f, 1.0f}};
    static constexpr PortSpec kInputs[] = {{"in", "In", Signal::Audio}};
    static constexpr PortSpec kOutputs[] = {{"out", "Out", Signal::Audio}};
    static const ModuleType kType;

    explicit Sum(const ModuleType& type) : Module(type) {}
    void process(const ProcessContext& ctx) noexcept override;

protected:
    void onPrepare(const PrepareInfo&) override {}
};

} // namespace chronus::engine
