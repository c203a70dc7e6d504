#include "Plan.hpp"

#include "ModuleRegistry.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <unordered_map>

namespace chronus::engine {

Result<std::unique_ptr<Plan>> Plan::compile(const PatchGraph& graph, const PrepareInfo& info) {
    if (!(info.sampleRate >= kMinSampleRate && info.sampleRate <= kMaxSampleRate))
        return Status::error(ErrorCode::InvalidArgument, "sample rate must be between 22050 and 192000 Hz");
    if (info.maxBlock < 1 || info.maxBlock > kMaxBlock)
        return Status::error(ErrorCode::InvalidArgument, "block size must be between 1 and 4096");

    std::unique_ptr<Plan> plan(new Plan);
    plan->m_info = info;
    const auto& nodes = graph.nodes();
    const std::vector<Cable> cables = graph.effectiveCables();
    const std::size_t block = static_cast<std::size_t>(info.maxBlock);

    std::unordered_map<std::string_view, std::size_t> indexOf;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        indexOf.emplace(nodes[i].id, i);
        auto module = nodes[i].type->create(*nodes[i].type);
        for (std::size_t p = 0; p < nodes[i].params.size(); ++p)
            module->setParamImmediate(static_cast<ParamIndex>(p), static_cast<float>(nodes[i].params[p]));
        module->setInstanceSeed(seedFromId(nodes[i].id));
        module->prepare(info);
        plan->m_modules.push_back(std::move(module));
        plan->m_ids.push_back(nodes[i].id);
    }

    // Buffer layout: one per module output, two master buffers, one per summed input.
    std::vector<std::size_t> firstOutputBuffer(nodes.size());
    std::size_t buffers = 2;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        firstOutputBuffer[i] = buffers;
        buffers += nodes[i].type->outputs.size();
    }
    std::vector<std::vector<std::vector<const Cable*>>> feeds(nodes.size()); // [node][input] -> cables
    for (std::size_t i = 0; i < nodes.size(); ++i)
        feeds[i].resize(nodes[i].type->inputs.size());
    for (const Cable& c : cables)
        feeds[indexOf.at(c.to)][static_cast<std::size_t>(c.toPort)].push_back(&c);
    std::size_t nextSumBuffer = buffers;
    for (const auto& node : feeds)
        for (const auto& input : node)
            if (input.size() > 1)
                ++buffers;
    // Buffers start on cache lines (vector loads and stores never straddle two); the pool is
    // over-allocated by one line to align its start.
    constexpr std::size_t kLineFloats = 64 / sizeof(float);
    const std::size_t stride = (block + kLineFloats - 1) / kLineFloats * kLineFloats;
    plan->m_pool.assign(buffers * stride + kLineFloats, 0.0f);
    float* pool = plan->m_pool.data();
    pool += (kLineFloats - reinterpret_cast<std::uintptr_t>(pool) / sizeof(float) % kLineFloats) % kLineFloats;
    auto buffer = [&](std::size_t index) { return pool + index * stride; };
    plan->m_masterLeft = buffer(0);
    plan->m_masterRight = buffer(1);

    std::map<std::vector<const float*>, float*> sumOf; // source list -> its sum buffer
    for (std::size_t index : graph.topologicalOrder()) {
        const PatchNode& node = nodes[index];
        Step step{plan->m_modules[index].get(), static_cast<std::int32_t>(index),
                  static_cast<std::uint32_t>(plan->m_inputs.size()),
                  static_cast<std::uint32_t>(plan->m_outputs.size()), static_cast<std::uint32_t>(plan->m_sums.size()),
                  0};
        for (const auto& input : feeds[index]) {
            auto sourceOf = [&](const Cable* c) -> const float* {
                return buffer(firstOutputBuffer[indexOf.at(c->from)] + static_cast<std::size_t>(c->fromPort));
            };
            if (input.empty()) {
                plan->m_inputs.push_back(nullptr);
            } else if (input.size() == 1) {
                plan->m_inputs.push_back(sourceOf(input.front()));
            } else {
                std::vector<const float*> sources;
                for (const Cable* c : input)
                    sources.push_back(sourceOf(c));
                // Inputs fed by the same cables in the same order (a bare `out` feeds left and
                // right) share one sum: it is computed once, at the first of them in the order.
                auto shared = sumOf.find(sources);
                if (shared != sumOf.end()) {
                    plan->m_inputs.push_back(shared->second);
                    continue;
                }
                float* sum = buffer(nextSumBuffer++);
                plan->m_sums.push_back({sum, static_cast<std::uint32_t>(plan->m_sumSources.size()),
                                        static_cast<std::uint32_t>(sources.size())});
                plan->m_sumSources.insert(plan->m_sumSources.end(), sources.begin(), sources.end());
                plan->m_inputs.push_back(sum);
                sumOf.emplace(std::move(sources), sum);
                ++step.sumCount;
            }
        }
        if (node.type->id == ModuleRegistry::kOutputType) {
            plan->m_outputs.push_back(plan->m_masterLeft);
            plan->m_outputs.push_back(plan->m_masterRight);
        } else {
            for (std::size_t o = 0; o < node.type->outputs.size(); ++o)
                plan->m_outputs.push_back(buffer(firstOutputBuffer[index] + o));
        }
        plan->m_steps.push_back(step);
    }
    return plan;
}

int Plan::moduleIndex(std::string_view id) const noexcept {
    for (std::size_t i = 0; i < m_ids.size(); ++i)
        if (m_ids[i] == id)
            return static_cast<int>(i);
    return -1;
}

void Plan::setParam(int index, ParamIndex param, float value) noexcept {
    if (index < 0 || index >= moduleCount())
        return;
    Module& m = *m_modules[static_cast<std::size_t>(index)];
    if (param < 0 || static_cast<std::size_t>(param) >= m.type().params.size())
        return;
    m.setParam(param, value);
}

void Plan::gate(int index, bool on) noexcept {
    if (index >= 0 && index < moduleCount())
        m_modules[static_cast<std::size_t>(index)]->gate(on);
}

void Plan::midi(int index, const MidiEvent& event) noexcept {
    if (index >= 0 && index < moduleCount())
        m_modules[static_cast<std::size_t>(index)]->midi(event);
}

void Plan::process(float* left, float* right, int frames) noexcept {
    while (frames > 0) {
        const int n = std::min(frames, m_info.maxBlock);
        processBlock(left, right, n);
        left += n;
        right += n;
        frames -= n;
    }
}

namespace {

// dst = src[0] + src[1] + ... added in that order, as a chain of `+=` would, but reading up to four
// sources per pass over dst. Sum buffers never alias module outputs.
void sumSources(float* __restrict dst, const float* const* src, std::uint32_t count, int frames) noexcept {
    std::memcpy(dst, src[0], static_cast<std::size_t>(frames) * sizeof(float));
    std::uint32_t k = 1;
    for (; k + 4 <= count; k += 4) {
        const float* __restrict a = src[k];
        const float* __restrict b = src[k + 1];
        const float* __restrict c = src[k + 2];
        const float* __restrict d = src[k + 3];
        for (int i = 0; i < frames; ++i)
            dst[i] = (((dst[i] + a[i]) + b[i]) + c[i]) + d[i];
    }
    for (; k < count; ++k) {
        const float* __restrict a = src[k];
        for (int i = 0; i < frames; ++i)
            dst[i] += a[i];
    }
}

} // namespace

void Plan::processBlock(float* left, float* right, int frames) noexcept {
    const std::size_t bytes = static_cast<std::size_t>(frames) * sizeof(float);
    std::memset(m_masterLeft, 0, bytes);
    std::memset(m_masterRight, 0, bytes);
    for (const Step& step : m_steps) {
        for (std::uint32_t s = step.firstSum; s < step.firstSum + step.sumCount; ++s) {
            const SumOp& op = m_sums[s];
            sumSources(op.dst, &m_sumSources[op.firstSource], op.sourceCount, frames);
        }
        if (m_marker)
            m_marker->store(step.index, std::memory_order_relaxed);
        step.module->process({frames, m_inputs.data() + step.firstInput, m_outputs.data() + step.firstOutput});
    }
    if (m_marker)
        m_marker->store(-1, std::memory_order_relaxed);
    std::memcpy(left, m_masterLeft, bytes);
    std::memcpy(right, m_masterRight, bytes);
}

void Plan::restartTransport() noexcept {
    for (auto& module : m_modules)
        module->restartTransport();
}

} // namespace chronus::engine
