#include "Module.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace chronus::engine {

namespace {
template <class Specs>
int findIn(const Specs& specs, std::string_view key) noexcept {
    for (std::size_t i = 0; i < specs.size(); ++i)
        if (key == specs[i].id)
            return static_cast<int>(i);
    return -1;
}
} // namespace

ParamIndex ModuleType::findParam(std::string_view idOrAlias) const noexcept {
    if (const int i = findIn(params, idOrAlias); i >= 0)
        return i;
    for (std::size_t i = 0; i < params.size(); ++i)
        if (params[i].alias && idOrAlias == params[i].alias)
            return static_cast<int>(i);
    return -1;
}

int ModuleType::findText(std::string_view textId) const noexcept { return text ? findIn(text->texts, textId) : -1; }

std::vector<std::string_view> paramLabels(const ParamSpec& spec) {
    std::vector<std::string_view> labels;
    if (!spec.choices)
        return labels;
    std::string_view rest = spec.choices;
    while (true) {
        const std::size_t bar = rest.find('|');
        labels.push_back(rest.substr(0, bar));
        if (bar == std::string_view::npos)
            return labels;
        rest.remove_prefix(bar + 1);
    }
}

std::optional<double> paramLabelValue(const ParamSpec& spec, std::string_view label) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    const std::vector<std::string_view> labels = paramLabels(spec);
    for (std::size_t i = 0; i < labels.size(); ++i)
        if (std::equal(labels[i].begin(), labels[i].end(), label.begin(), label.end(),
                       [&](char a, char b) { return lower(a) == lower(b); }))
            return static_cast<double>(spec.min) + static_cast<double>(i);
    return std::nullopt;
}

std::string paramLabel(const ParamSpec& spec, double value) {
    const std::vector<std::string_view> labels = paramLabels(spec);
    const double index = std::round(value - static_cast<double>(spec.min));
    if (!(index >= 0.0) || index >= static_cast<double>(labels.size()))
        return {};
    return std::string(labels[static_cast<std::size_t>(index)]);
}

std::string paramLabelList(const ParamSpec& spec) {
    std::string list;
    for (std::string_view label : paramLabels(spec)) {
        if (!list.empty())
            list += ", ";
        list += label;
    }
    return list;
}

PortIndex ModuleType::findInput(std::string_view portId) const noexcept { return findIn(inputs, portId); }
PortIndex ModuleType::findOutput(std::string_view portId) const noexcept { return findIn(outputs, portId); }

Module::Module(const ModuleType& type)
    : m_type(type)
    , m_params(std::make_unique<SmoothedValue[]>(type.params.size())) {
    for (std::size_t i = 0; i < type.params.size(); ++i)
        m_params[i].reset(type.params[i].def);
}

Module::~Module() = default;

void Module::prepare(const PrepareInfo& info) {
    m_sampleRate = info.sampleRate;
    const int ramp = static_cast<int>(std::lround(kParamRampSeconds * info.sampleRate));
    for (std::size_t i = 0; i < m_type.params.size(); ++i) {
        const bool discrete = (m_type.params[i].flags & ParamDiscrete) != 0;
        m_params[i].setRampLength(discrete ? 1 : ramp);
        m_params[i].reset(m_params[i].target());
    }
    onPrepare(info);
}

void Module::setParam(ParamIndex index, float value) noexcept {
    const ParamSpec& spec = m_type.params[static_cast<std::size_t>(index)];
    if (!std::isfinite(value))
        return;
    value = std::clamp(value, spec.min, spec.max);
    if (spec.flags & ParamDiscrete)
        m_params[index].reset(std::round(value));
    else
        m_params[index].setTarget(value);
}

void Module::setParamAt(ParamIndex index, float value, int frame) noexcept {
    const ParamSpec& spec = m_type.params[static_cast<std::size_t>(index)];
    if (!std::isfinite(value))
        return;
    value = std::clamp(value, spec.min, spec.max);
    if (spec.flags & ParamDiscrete)
        m_params[index].reset(std::round(value));
    else
        m_params[index].setTargetAt(value, frame);
}

void Module::setParamImmediate(ParamIndex index, float value) noexcept {
    const ParamSpec& spec = m_type.params[static_cast<std::size_t>(index)];
    if (!std::isfinite(value))
        return;
    value = std::clamp(value, spec.min, spec.max);
    m_params[index].reset((spec.flags & ParamDiscrete) ? std::round(value) : value);
}

} // namespace chronus::engine
