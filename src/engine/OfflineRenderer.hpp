#pragma once
// Renders a patch offline, faster than real time, through the same Plan the live engine runs.
// Used by `chronus render`, the tests and the benchmarks. Control thread only.

#include "PatchGraph.hpp"
#include "Plan.hpp"

#include <memory>
#include <vector>

namespace chronus::engine {

struct StereoBuffer {
    std::vector<float> left;
    std::vector<float> right;
    std::size_t frames() const noexcept { return left.size(); }
};

class OfflineRenderer {
public:
    OfflineRenderer(double sampleRate, int blockSize);

    PatchGraph& graph() noexcept { return m_graph; }
    void setGraph(PatchGraph graph);
    double sampleRate() const noexcept { return m_sampleRate; }
    int blockSize() const noexcept { return m_blockSize; }

    // Compiles the graph if it changed since the last render, then renders whole blocks of
    // blockSize (the last one shorter) with denormals flushed, appending nothing: a fresh buffer.
    Result<StereoBuffer> render(double seconds);
    Result<StereoBuffer> renderFrames(std::size_t frames);
    // Renders into caller-owned buffers (no allocation per call once compiled).
    Status renderInto(float* left, float* right, std::size_t frames);

    // Live changes on the compiled plan, as the engine applies them: ramped params, gate events.
    // They also update the graph, so a recompile keeps them. A ParamStructural change (a channel
    // count) is not live: the next render compiles a new plan.
    Status setParam(std::string_view id, std::string_view param, double value);
    Status gate(std::string_view id, bool on);
    // Drops the compiled plan: the next render compiles and starts from reset state.
    void reset() { m_plan.reset(); }

private:
    Status ensureCompiled();

    double m_sampleRate;
    int m_blockSize;
    PatchGraph m_graph;
    PatchGraph m_compiledGraph;
    std::unique_ptr<Plan> m_plan;
};

} // namespace chronus::engine
