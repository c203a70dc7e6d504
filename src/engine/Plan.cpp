#include "Plan.hpp"

#include "ModuleRegistry.hpp"
#include "Simd.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <tuple>
#include <unordered_map>

namespace chronus::engine {

Result<std::unique_ptr<Plan>> Plan::compile(const PatchGraph& graph, const PrepareInfo& info) {
    if (!(info.sampleRate >= kMinSampleRate && info.sampleRate <= kMaxSampleRate))
        return Status::error(ErrorCode::InvalidArgument, "sample rate must be between 22050 and 192000 Hz");
    if (info.maxBlock < 1 || info.maxBlock > kMaxBlock)
        return Status::error(ErrorCode::InvalidArgument, "block size must be between 1 and 4096");

    std::unique_ptr<Plan> plan(new Plan);
    plan->m_info = info;
    plan->m_avx2 = simd::level() == simd::Level::Avx2;
    const auto& nodes = graph.nodes();
    const std::vector<Cable> cables = graph.effectiveCables();
    const PatchGraph::ChannelLayout layout = graph.channelLayout();
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

    // Buffers are laid out first as offsets into one pool (a poly buffer is channelStride times a
    // mono one), then the pool is allocated once and the offsets become pointers. Every buffer
    // starts on a cache line, so vector loads and stores never straddle two. No buffer is shared or
    // reused: a module's outputs are written by it alone, and keep their samples between blocks.
    constexpr std::size_t kLineFloats = 64 / sizeof(float);
    std::vector<std::size_t> offsets;
    std::size_t poolFloats = 0;
    auto allocate = [&](int channels) {
        offsets.push_back(poolFloats);
        const std::size_t floats = block * static_cast<std::size_t>(channelStride(channels));
        poolFloats += (floats + kLineFloats - 1) / kLineFloats * kLineFloats;
        return offsets.size() - 1;
    };
    const std::size_t masterLeft = allocate(1);
    const std::size_t masterRight = allocate(1);
    std::vector<std::vector<std::size_t>> outputBuffer(nodes.size());
    for (std::size_t i = 0; i < nodes.size(); ++i)
        for (std::uint8_t channels : layout.outputs[i])
            outputBuffer[i].push_back(allocate(channels));
    std::vector<std::vector<std::vector<const Cable*>>> feeds(nodes.size()); // [node][input] -> cables
    for (std::size_t i = 0; i < nodes.size(); ++i)
        feeds[i].resize(nodes[i].type->inputs.size());
    std::vector<std::uint32_t> unread(nodes.size()); // [node]: bit o when no cable reads output o
    for (std::size_t i = 0; i < nodes.size(); ++i)
        if (nodes[i].type->id != ModuleRegistry::kOutputType) // `out` writes the master buffers
            for (std::size_t o = 0; o < nodes[i].type->outputs.size() && o < 32; ++o)
                unread[i] |= std::uint32_t{1} << o;
    for (const Cable& c : cables) {
        feeds[indexOf.at(c.to)][static_cast<std::size_t>(c.toPort)].push_back(&c);
        if (c.fromPort < 32)
            unread[indexOf.at(c.from)] &= ~(std::uint32_t{1} << c.fromPort);
    }

    // The steps, with buffer numbers standing in for pointers until the pool exists.
    constexpr std::size_t kNone = static_cast<std::size_t>(-1);
    std::vector<std::size_t> inputBuffers, outputBuffers, sumDst, sumSources, adaptDst, adaptSrc;
    std::map<std::vector<std::size_t>, std::size_t> sumOf;                      // sources -> sum buffer
    std::map<std::tuple<std::size_t, int, int>, std::size_t> adaptOf;           // (source, from, to) -> buffer
    for (std::size_t index : graph.topologicalOrder()) {
        const PatchNode& node = nodes[index];
        const ModuleType& type = *node.type;
        const int width = type.polyphony == Polyphony::Poly ? layout.width[index] : 1;
        Step step{plan->m_modules[index].get(), static_cast<std::int32_t>(index),
                  static_cast<std::uint32_t>(inputBuffers.size()), static_cast<std::uint32_t>(outputBuffers.size()),
                  static_cast<std::uint32_t>(plan->m_sums.size()), 0,
                  static_cast<std::uint32_t>(plan->m_adapts.size()), 0, width, unread[index], type.makesMidi};
        for (std::size_t in = 0; in < feeds[index].size(); ++in) {
            const auto& input = feeds[index][in];
            const int arriving = layout.inputs[index][in];
            if (input.empty()) {
                inputBuffers.push_back(kNone);
                plan->m_inputChannels.push_back(0);
                continue;
            }
            auto sourceOf = [&](const Cable* c) {
                return outputBuffer[indexOf.at(c->from)][static_cast<std::size_t>(c->fromPort)];
            };
            std::size_t buffer;
            if (input.size() == 1) {
                buffer = sourceOf(input.front());
            } else {
                std::vector<std::size_t> sources;
                for (const Cable* c : input)
                    sources.push_back(sourceOf(c));
                // Inputs fed by the same cables in the same order (a bare `out` feeds left and
                // right) share one sum: it is computed once, at the first of them in the order.
                auto shared = sumOf.find(sources);
                if (shared != sumOf.end()) {
                    buffer = shared->second;
                } else {
                    buffer = allocate(arriving);
                    SumOp op{nullptr, static_cast<std::uint32_t>(sumSources.size()),
                             static_cast<std::uint32_t>(sources.size()), static_cast<std::uint8_t>(arriving)};
                    for (const Cable* c : input)
                        plan->m_sumSourceChannels.push_back(
                            layout.outputs[indexOf.at(c->from)][static_cast<std::size_t>(c->fromPort)]);
                    plan->m_sums.push_back(op);
                    sumDst.push_back(buffer);
                    sumSources.insert(sumSources.end(), sources.begin(), sources.end());
                    sumOf.emplace(std::move(sources), buffer);
                    ++step.sumCount;
                }
            }
            // What the module takes: Mono one channel, Poly its width, Custom what arrives.
            const int wanted = type.polyphony == Polyphony::Custom ? arriving : width;
            if (wanted != arriving) {
                const auto key = std::make_tuple(buffer, arriving, wanted);
                auto shared = adaptOf.find(key);
                if (shared != adaptOf.end()) {
                    buffer = shared->second;
                } else {
                    const std::size_t adapted = allocate(wanted);
                    plan->m_adapts.push_back({nullptr, nullptr, static_cast<std::uint8_t>(arriving),
                                              static_cast<std::uint8_t>(wanted)});
                    adaptSrc.push_back(buffer);
                    adaptDst.push_back(adapted);
                    adaptOf.emplace(key, adapted);
                    buffer = adapted;
                    ++step.adaptCount;
                }
            }
            inputBuffers.push_back(buffer);
            plan->m_inputChannels.push_back(static_cast<std::uint8_t>(wanted));
        }
        if (type.id == ModuleRegistry::kOutputType) {
            outputBuffers.push_back(masterLeft);
            outputBuffers.push_back(masterRight);
            plan->m_outputChannels.push_back(1);
            plan->m_outputChannels.push_back(1);
        } else {
            for (std::size_t o = 0; o < type.outputs.size(); ++o) {
                outputBuffers.push_back(outputBuffer[index][o]);
                plan->m_outputChannels.push_back(layout.outputs[index][o]);
            }
        }
        plan->m_steps.push_back(step);
    }

    // The pool is over-allocated by one line to align its start.
    plan->m_pool.assign(poolFloats + kLineFloats, 0.0f);
    float* pool = plan->m_pool.data();
    pool += (kLineFloats - reinterpret_cast<std::uintptr_t>(pool) / sizeof(float) % kLineFloats) % kLineFloats;
    auto pointer = [&](std::size_t buffer) { return buffer == kNone ? nullptr : pool + offsets[buffer]; };
    plan->m_masterLeft = pointer(masterLeft);
    plan->m_masterRight = pointer(masterRight);
    for (std::size_t b : inputBuffers)
        plan->m_inputs.push_back(pointer(b));
    for (std::size_t b : outputBuffers)
        plan->m_outputs.push_back(pointer(b));
    for (std::size_t b : sumSources)
        plan->m_sumSources.push_back(pointer(b));
    for (std::size_t i = 0; i < plan->m_sums.size(); ++i)
        plan->m_sums[i].dst = pointer(sumDst[i]);
    for (std::size_t i = 0; i < plan->m_adapts.size(); ++i) {
        plan->m_adapts[i].dst = pointer(adaptDst[i]);
        plan->m_adapts[i].src = pointer(adaptSrc[i]);
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

void Plan::setParamAt(int index, ParamIndex param, float value, int frame) noexcept {
    if (index < 0 || index >= moduleCount())
        return;
    Module& m = *m_modules[static_cast<std::size_t>(index)];
    if (param < 0 || static_cast<std::size_t>(param) >= m.type().params.size())
        return;
    m.setParamAt(param, value, frame);
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
    m_midiOut.clear();
    for (int base = 0; frames > 0;) {
        const int n = std::min(frames, m_info.maxBlock);
        processBlock(left, right, n, base);
        left += n;
        right += n;
        frames -= n;
        base += n;
    }
    // Modules append one after the other: in frame order for the device (a stable insertion sort,
    // nearly sorted already, allocates nothing).
    auto& e = m_midiOut.events;
    for (int i = 1; i < m_midiOut.count; ++i) {
        const MidiEvent x = e[static_cast<std::size_t>(i)];
        int j = i;
        for (; j > 0 && e[static_cast<std::size_t>(j - 1)].offset > x.offset; --j)
            e[static_cast<std::size_t>(j)] = e[static_cast<std::size_t>(j - 1)];
        e[static_cast<std::size_t>(j)] = x;
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

// dst = src[0] + ... + src[Sources - 1] (First) or dst + src[0] + ... (else), added in that order,
// `floats` a whole number of vectors.
template <bool First, int Sources>
[[gnu::always_inline]] inline void addWide(float* __restrict dst, const float* const* src, std::size_t floats) noexcept {
    using namespace simd;
    const float* __restrict a = src[0];
    const float* __restrict b = src[Sources > 1 ? 1 : 0];
    const float* __restrict c = src[Sources > 2 ? 2 : 0];
    const float* __restrict d = src[Sources > 3 ? 3 : 0];
#pragma GCC unroll 4
    for (std::size_t i = 0; i < floats; i += kPolyLanes) {
        F8 v = First ? load(a + i) : load(dst + i) + load(a + i);
        if constexpr (Sources > 1)
            v += load(b + i);
        if constexpr (Sources > 2)
            v += load(c + i);
        if constexpr (Sources > 3)
            v += load(d + i);
        store(dst + i, v);
    }
}

// The same for buffers of several channels: dst (`channels` wide) is the channel-by-channel sum of
// the sources, a mono source feeding every channel, a narrower one only its own. Poly strides are
// whole groups of kPolyLanes, so every step is a whole vector.
[[gnu::always_inline]] inline void sumPolyKernel(float* __restrict dst, int channels, const float* const* src,
                                                 const std::uint8_t* srcChannels, std::uint32_t count,
                                                 int frames) noexcept {
    using namespace simd;
    const int stride = channelStride(channels);
    const std::size_t floats = static_cast<std::size_t>(frames * stride);
    bool allWide = true;
    for (std::uint32_t k = 0; k < count; ++k)
        allWide = allWide && channelStride(srcChannels[k]) == stride;
    if (allWide) { // the usual case: lane by lane, padding and all, up to four sources per pass
        for (std::uint32_t k = 0; k < count; k += 4) {
            const bool first = k == 0;
            switch (std::min<std::uint32_t>(count - k, 4)) {
            case 1: first ? addWide<true, 1>(dst, src + k, floats) : addWide<false, 1>(dst, src + k, floats); break;
            case 2: first ? addWide<true, 2>(dst, src + k, floats) : addWide<false, 2>(dst, src + k, floats); break;
            case 3: first ? addWide<true, 3>(dst, src + k, floats) : addWide<false, 3>(dst, src + k, floats); break;
            default: first ? addWide<true, 4>(dst, src + k, floats) : addWide<false, 4>(dst, src + k, floats); break;
            }
        }
        return;
    }
    for (std::uint32_t k = 0; k < count; ++k) {
        const float* __restrict a = src[k];
        const int n = srcChannels[k];
        const int from = channelStride(n);
        if (from == stride) { // as wide as the sum (the usual case): lane by lane, padding and all
            for (std::size_t i = 0; i < floats; i += kPolyLanes)
                store(dst + i, k == 0 ? load(a + i) : load(dst + i) + load(a + i));
            continue;
        }
        const F8 mask[2] = {lanesBelow(n), lanesBelow(n - kPolyLanes)}; // a source's padding is dropped
        for (int i = 0; i < frames; ++i) {
            float* d = dst + static_cast<std::size_t>(i * stride);
            for (int g = 0, group = 0; g < stride; g += kPolyLanes, ++group) {
                F8 v;
                if (n == 1)
                    v = splat(a[i]);
                else if (g < from)
                    v = load(a + static_cast<std::size_t>(i * from + g)) * mask[group];
                else
                    v = F8{};
                store(d + g, k == 0 ? v : load(d + g) + v);
            }
        }
    }
}

// Brings a buffer of `from` channels to `to`: summed into one (a poly cable into a mono input),
// fed to every channel (a mono cable into a poly module), or padded with silent channels.
[[gnu::always_inline]] inline void adaptKernel(float* __restrict dst, int to, const float* __restrict src, int from,
                                               int frames) noexcept {
    using namespace simd;
    const int dstStride = channelStride(to);
    const int srcStride = channelStride(from);
    if (to == 1) {
        const F8 low = lanesBelow(from), high = lanesBelow(from - kPolyLanes);
        for (int i = 0; i < frames; ++i) {
            const float* f = src + static_cast<std::size_t>(i * srcStride);
            F8 v = load(f) * low;
            if (srcStride > kPolyLanes)
                v += load(f + kPolyLanes) * high;
            float lanes[kPolyLanes];
            store(lanes, v);
            dst[i] = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
        }
    } else if (from == 1) {
        for (int i = 0; i < frames; ++i) {
            const F8 v = splat(src[i]);
            for (int g = 0; g < dstStride; g += kPolyLanes)
                store(dst + static_cast<std::size_t>(i * dstStride + g), v);
        }
    } else {
        const F8 mask[2] = {lanesBelow(from), lanesBelow(from - kPolyLanes)};
        for (int i = 0; i < frames; ++i)
            for (int g = 0, group = 0; g < dstStride; g += kPolyLanes, ++group)
                store(dst + static_cast<std::size_t>(i * dstStride + g),
                      g < srcStride ? load(src + static_cast<std::size_t>(i * srcStride + g)) * mask[group] : F8{});
    }
}

CHRONUS_POLY_KERNEL(sumPoly, sumPolyKernel,
                    (float* dst, int channels, const float* const* src, const std::uint8_t* srcChannels,
                     std::uint32_t count, int frames),
                    (dst, channels, src, srcChannels, count, frames))
CHRONUS_POLY_KERNEL(adaptChannels, adaptKernel, (float* dst, int to, const float* src, int from, int frames),
                    (dst, to, src, from, frames))

} // namespace

void Plan::processBlock(float* left, float* right, int frames, int frameBase) noexcept {
    const std::size_t bytes = static_cast<std::size_t>(frames) * sizeof(float);
    std::memset(m_masterLeft, 0, bytes);
    std::memset(m_masterRight, 0, bytes);
    for (const Step& step : m_steps) {
        for (std::uint32_t s = step.firstSum; s < step.firstSum + step.sumCount; ++s) {
            const SumOp& op = m_sums[s];
            if (op.channels == 1)
                sumSources(op.dst, &m_sumSources[op.firstSource], op.sourceCount, frames);
            else
                (m_avx2 ? sumPolyAvx2 : sumPolyGeneric)(op.dst, op.channels, &m_sumSources[op.firstSource],
                                                         &m_sumSourceChannels[op.firstSource], op.sourceCount, frames);
        }
        for (std::uint32_t a = step.firstAdapt; a < step.firstAdapt + step.adaptCount; ++a) {
            const AdaptOp& op = m_adapts[a];
            (m_avx2 ? adaptChannelsAvx2 : adaptChannelsGeneric)(op.dst, op.to, op.src, op.from, frames);
        }
        if (m_marker)
            m_marker->store(step.index, std::memory_order_relaxed);
        step.module->process({frames, m_inputs.data() + step.firstInput, m_outputs.data() + step.firstOutput,
                              step.channels, m_inputChannels.data() + step.firstInput,
                              m_outputChannels.data() + step.firstOutput, step.unreadOutputs});
        if (step.makesMidi)
            step.module->midiOut(m_midiOut, frameBase);
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
