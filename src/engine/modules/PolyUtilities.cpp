#include "PolyUtilities.hpp"

#include "../Simd.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

namespace chronus::engine {

// ---- const

const std::array<ParamSpec, Const::ParamCount> Const::kParams{{
    {"channels", "Channels", "", 1.0f, 16.0f, 1.0f, ParamDiscrete | ParamStructural | ParamHidden}, // set by `values`
    {"v1", "Value 1", "", -Const::kLimit, Const::kLimit, 0.0f, ParamHidden},
    {"v2", "Value 2", "", -Const::kLimit, Const::kLimit, 0.0f, ParamHidden},
    {"v3", "Value 3", "", -Const::kLimit, Const::kLimit, 0.0f, ParamHidden},
    {"v4", "Value 4", "", -Const::kLimit, Const::kLimit, 0.0f, ParamHidden},
    {"v5", "Value 5", "", -Const::kLimit, Const::kLimit, 0.0f, ParamHidden},
    {"v6", "Value 6", "", -Const::kLimit, Const::kLimit, 0.0f, ParamHidden},
    {"v7", "Value 7", "", -Const::kLimit, Const::kLimit, 0.0f, ParamHidden},
    {"v8", "Value 8", "", -Const::kLimit, Const::kLimit, 0.0f, ParamHidden},
    {"v9", "Value 9", "", -Const::kLimit, Const::kLimit, 0.0f, ParamHidden},
    {"v10", "Value 10", "", -Const::kLimit, Const::kLimit, 0.0f, ParamHidden},
    {"v11", "Value 11", "", -Const::kLimit, Const::kLimit, 0.0f, ParamHidden},
    {"v12", "Value 12", "", -Const::kLimit, Const::kLimit, 0.0f, ParamHidden},
    {"v13", "Value 13", "", -Const::kLimit, Const::kLimit, 0.0f, ParamHidden},
    {"v14", "Value 14", "", -Const::kLimit, Const::kLimit, 0.0f, ParamHidden},
    {"v15", "Value 15", "", -Const::kLimit, Const::kLimit, 0.0f, ParamHidden},
    {"v16", "Value 16", "", -Const::kLimit, Const::kLimit, 0.0f, ParamHidden}}};

namespace {

Status parseConstText(int, std::string_view text, std::vector<ParamValue>& out) { return Const::parseValues(text, out); }
std::string formatConstText(int, std::span<const double> params) { return Const::formatValues(params); }

void constChannels(std::span<const std::uint8_t>, std::span<const double> params, std::span<std::uint8_t> outputs) {
    outputs[Const::Out] = static_cast<std::uint8_t>(std::clamp<long>(std::lround(params[Const::Channels]), 1, kMaxChannels));
}

} // namespace

const TextForm Const::kTextForm{kTexts, &parseConstText, &formatConstText};
const ModuleType Const::kType{"const",
                              "Constant",
                              "Polyphony",
                              "One number per channel: a poly cable of up to 16",
                              kParams,
                              {},
                              kOutputs,
                              &createModule<Const>,
                              &kTextForm,
                              nullptr,
                              Polyphony::Custom,
                              &constChannels};

Status Const::parseValues(std::string_view text, std::vector<ParamValue>& out) {
    std::vector<ParamValue> values;
    std::size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        if (c == ' ' || c == ',' || c == '\t' || c == '\n') {
            ++i;
            continue;
        }
        std::size_t end = i;
        while (end < text.size() && text[end] != ' ' && text[end] != ',' && text[end] != '\t' && text[end] != '\n')
            ++end;
        const std::string_view token = text.substr(i, end - i);
        double value = 0.0;
        const char* first = token.data();
        if (first != token.data() + token.size() && *first == '+')
            ++first;
        const auto [ptr, ec] = std::from_chars(first, token.data() + token.size(), value);
        if (ec != std::errc() || ptr != token.data() + token.size() || !std::isfinite(value))
            return Status::error(ErrorCode::InvalidValue, "values: '" + std::string(token) + "' is not a number");
        if (values.size() == kMaxChannels)
            return Status::error(ErrorCode::InvalidValue, "values: more than 16 numbers (a cable carries 16 channels at most)");
        values.push_back({static_cast<ParamIndex>(FirstValue + static_cast<int>(values.size())),
                          std::clamp(value, double(-kLimit), double(kLimit))});
        i = end;
    }
    if (values.empty())
        return Status::error(ErrorCode::InvalidValue, "values: no numbers (1 to 16, one per channel)");
    out.push_back({Channels, static_cast<double>(values.size())});
    out.insert(out.end(), values.begin(), values.end());
    return {};
}

std::string Const::formatValues(std::span<const double> params) {
    const int count = std::clamp(static_cast<int>(std::lround(params[Channels])), 1, kMaxChannels);
    std::string text;
    for (int c = 0; c < count; ++c) {
        char buffer[32];
        const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, params[static_cast<std::size_t>(FirstValue + c)]);
        if (!text.empty())
            text += ' ';
        text.append(buffer, ec == std::errc() ? end : buffer);
    }
    return text;
}

void Const::process(const ProcessContext& ctx) noexcept {
    const int channels = ctx.outputChannels[Out];
    const int stride = channelStride(channels);
    float* out = ctx.outputs[Out];
    bool ramping = false;
    for (int c = 0; c < channels; ++c)
        ramping = ramping || param(FirstValue + c).isSmoothing();
    if (!ramping) {
        // The usual case: one frame's values, copied to every frame (whole vectors, no per-sample
        // work), and only when they are not already there: no one else writes a module's output
        // buffer (Plan), so what the last block left stays valid while the values hold.
        alignas(64) float frame[kMaxChannels] = {};
        for (int c = 0; c < channels; ++c)
            frame[c] = param(FirstValue + c).current();
        const bool filled = out == m_filledOut && stride == m_filledStride && ctx.frames <= m_filledFrames &&
                            std::memcmp(frame, m_filled, sizeof frame) == 0;
        if (!filled) {
            if (stride == 1) {
                std::fill(out, out + ctx.frames, frame[0]);
            } else {
                const simd::F8 low = simd::load(frame), high = simd::load(frame + kPolyLanes);
                float* const end = out + static_cast<std::size_t>(ctx.frames * stride);
                if (stride == kPolyLanes) {
                    for (float* o = out; o != end; o += kPolyLanes)
                        simd::store(o, low);
                } else {
                    for (float* o = out; o != end; o += 2 * kPolyLanes) {
                        simd::store(o, low);
                        simd::store(o + kPolyLanes, high);
                    }
                }
            }
            std::memcpy(m_filled, frame, sizeof frame);
            m_filledOut = out;
            m_filledStride = stride;
            m_filledFrames = ctx.frames;
        }
    } else {
        for (int i = 0; i < ctx.frames; ++i) {
            float* f = out + static_cast<std::size_t>(i * stride);
            for (int c = 0; c < stride; ++c)
                f[c] = c < channels ? param(FirstValue + c).next() : 0.0f;
        }
        m_filledFrames = 0;
    }
    for (int c = channels; c < kMaxChannels; ++c)
        param(FirstValue + c).skip(ctx.frames); // keep the ramps' clocks running
}

// ---- merge

const std::array<PortSpec, kMaxChannels> Merge::kInputs{{
    {"in1", "In 1", Signal::Cv},
    {"in2", "In 2", Signal::Cv},
    {"in3", "In 3", Signal::Cv},
    {"in4", "In 4", Signal::Cv},
    {"in5", "In 5", Signal::Cv},
    {"in6", "In 6", Signal::Cv},
    {"in7", "In 7", Signal::Cv},
    {"in8", "In 8", Signal::Cv},
    {"in9", "In 9", Signal::Cv},
    {"in10", "In 10", Signal::Cv},
    {"in11", "In 11", Signal::Cv},
    {"in12", "In 12", Signal::Cv},
    {"in13", "In 13", Signal::Cv},
    {"in14", "In 14", Signal::Cv},
    {"in15", "In 15", Signal::Cv},
    {"in16", "In 16", Signal::Cv}}};

namespace {

void mergeChannels(std::span<const std::uint8_t> inputs, std::span<const double> params, std::span<std::uint8_t> outputs) {
    long count = std::lround(params[Merge::Channels]);
    if (count < 1) { // as many as the highest connected input
        count = 1;
        for (std::size_t i = 0; i < inputs.size(); ++i)
            if (inputs[i] > 0)
                count = static_cast<long>(i) + 1;
    }
    outputs[Merge::Out] = static_cast<std::uint8_t>(std::clamp<long>(count, 1, kMaxChannels));
}

} // namespace

const ModuleType Merge::kType{"merge",
                              "Merge",
                              "Polyphony",
                              "Sixteen mono inputs into one cable of as many channels",
                              kParams,
                              kInputs,
                              kOutputs,
                              &createModule<Merge>,
                              nullptr,
                              nullptr,
                              Polyphony::Custom,
                              &mergeChannels};

void Merge::process(const ProcessContext& ctx) noexcept {
    const int channels = ctx.outputChannels[Out];
    const int stride = channelStride(channels);
    float* out = ctx.outputs[Out];
    for (int c = 0; c < stride; ++c) {
        const float* in = c < channels ? ctx.inputs[c] : nullptr;
        const int n = in ? ctx.inputChannels[c] : 0;
        if (n <= 1) {
            for (int i = 0; i < ctx.frames; ++i)
                out[i * stride + c] = in ? in[i] : 0.0f;
            continue;
        }
        // A poly cable into one of merge's inputs is heard as the sum of its channels.
        const int from = channelStride(n);
        for (int i = 0; i < ctx.frames; ++i) {
            float sum = 0.0f;
            for (int k = 0; k < n; ++k)
                sum += in[i * from + k];
            out[i * stride + c] = sum;
        }
    }
}

// ---- split

const std::array<PortSpec, kMaxChannels> Split::kOutputs{{
    {"out1", "Out 1", Signal::Cv},
    {"out2", "Out 2", Signal::Cv},
    {"out3", "Out 3", Signal::Cv},
    {"out4", "Out 4", Signal::Cv},
    {"out5", "Out 5", Signal::Cv},
    {"out6", "Out 6", Signal::Cv},
    {"out7", "Out 7", Signal::Cv},
    {"out8", "Out 8", Signal::Cv},
    {"out9", "Out 9", Signal::Cv},
    {"out10", "Out 10", Signal::Cv},
    {"out11", "Out 11", Signal::Cv},
    {"out12", "Out 12", Signal::Cv},
    {"out13", "Out 13", Signal::Cv},
    {"out14", "Out 14", Signal::Cv},
    {"out15", "Out 15", Signal::Cv},
    {"out16", "Out 16", Signal::Cv}}};

const ModuleType Split::kType{"split",   "Split",  "Polyphony", "One cable into sixteen mono outputs, one per channel",
                              {},        kInputs,  kOutputs,    &createModule<Split>,
                              nullptr,   nullptr,  Polyphony::Custom};

void Split::process(const ProcessContext& ctx) noexcept {
    const float* in = ctx.inputs[In];
    const int channels = in ? ctx.inputChannels[In] : 0;
    const int stride = channelStride(channels);
    for (int c = 0; c < kMaxChannels; ++c) {
        float* out = ctx.outputs[c];
        if (c >= channels) {
            for (int i = 0; i < ctx.frames; ++i)
                out[i] = 0.0f;
            continue;
        }
        for (int i = 0; i < ctx.frames; ++i)
            out[i] = in[i * stride + c];
    }
}

// ---- sum

// Mono: the plan hands it the channels of its input already added up.
const ModuleType Sum::kType{"sum", "Sum", "Polyphony", "Every channel of a cable added into one",
                            kParams, kInputs, kOutputs, &createModule<Sum>};

void Sum::process(const ProcessContext& ctx) noexcept {
    const float* in = ctx.inputs[In];
    float* out = ctx.outputs[Out];
    SmoothedValue& level = param(Level);
    for (int i = 0; i < ctx.frames; ++i)
        out[i] = in ? in[i] * level.next() : (level.next(), 0.0f);
}

} // namespace chronus::engine
