#include "OfflineRenderer.hpp"

#include "Denormals.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

namespace chronus::engine {

OfflineRenderer::OfflineRenderer(double sampleRate, int blockSize)
    : m_sampleRate(sampleRate)
    , m_blockSize(blockSize) {}

void OfflineRenderer::setGraph(PatchGraph graph) { m_graph = std::move(graph); }

Status OfflineRenderer::ensureCompiled() {
    if (m_plan && m_graph == m_compiledGraph)
        return {};
    auto plan = Plan::compile(m_graph, {m_sampleRate, m_blockSize});
    if (!plan)
        return plan.status();
    m_plan = std::move(plan).value();
    m_compiledGraph = m_graph;
    return {};
}

Result<StereoBuffer> OfflineRenderer::render(double seconds) {
    if (!(seconds >= 0.0) || !std::isfinite(seconds))
        return Status::error(ErrorCode::InvalidArgument, "duration must be a finite number of seconds >= 0");
    // Compile first: it validates the sample rate, which must not become a frame count while it is
    // negative or not finite (llround of that is undefined; a negative count wraps to a huge size).
    if (Status s = ensureCompiled(); !s)
        return s;
    const double frames = seconds * m_sampleRate;
    if (frames > static_cast<double>(std::numeric_limits<std::int32_t>::max()))
        return Status::error(ErrorCode::InvalidArgument, "duration is too long to render into memory");
    return renderFrames(static_cast<std::size_t>(std::llround(frames)));
}

Result<StereoBuffer> OfflineRenderer::renderFrames(std::size_t frames) {
    // Before allocating: an uncompilable graph or rate is an error, not a buffer of silence.
    if (Status s = ensureCompiled(); !s)
        return s;
    StereoBuffer out{std::vector<float>(frames), std::vector<float>(frames)};
    if (Status s = renderInto(out.left.data(), out.right.data(), frames); !s)
        return s;
    return out;
}

Status OfflineRenderer::renderInto(float* left, float* right, std::size_t frames) {
    if (Status s = ensureCompiled(); !s)
        return s;
    ScopedFlushDenormals ftz;
    for (std::size_t done = 0; done < frames;) {
        const int n = static_cast<int>(std::min<std::size_t>(frames - done, static_cast<std::size_t>(m_blockSize)));
        m_plan->process(left + done, right + done, n);
        done += static_cast<std::size_t>(n);
    }
    return {};
}

Status OfflineRenderer::setParam(std::string_view id, std::string_view param, double value) {
    auto applied = m_graph.setParam(id, param, value);
    if (!applied)
        return applied.status();
    const int index = m_plan ? m_plan->moduleIndex(id) : -1;
    const ParamIndex p = index >= 0 ? m_plan->module(index).type().findParam(param) : -1;
    // A change of channel count is a new plan (compiled at the next render, its state fresh), as
    // a commit would be: a plan's buffers cannot change width while it plays.
    const bool structural = p >= 0 && (m_plan->module(index).type().params[static_cast<std::size_t>(p)].flags & ParamStructural);
    if (index >= 0 && !structural) {
        m_compiledGraph.setParam(id, param, value);
        m_plan->setParam(index, p, static_cast<float>(applied.value()));
    }
    return {};
}

Status OfflineRenderer::gate(std::string_view id, bool on) {
    if (Status s = ensureCompiled(); !s)
        return s;
    const int index = m_plan->moduleIndex(id);
    if (index < 0)
        return Status::error(ErrorCode::UnknownModule, "no module '" + std::string(id) + "'");
    m_plan->gate(index, on);
    return {};
}

} // namespace chronus::engine
