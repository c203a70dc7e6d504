#pragma once
// Drives one module directly, block by block, the way a plan does (the registry's create, prepare,
// process with the plan's block size), on input buffers the test makes itself: for signals no
// module in a patch produces (impulses, bursts, a steady tempo) and for state a patch does not show
// (a limiter's clamp counter). Everything else goes through OfflineRenderer.

#include "engine/Module.hpp"
#include "engine/ModuleRegistry.hpp"

#include <QTest>

#include <algorithm>
#include <memory>
#include <string_view>
#include <vector>

namespace chronus::test {

class ModuleDriver {
public:
    ModuleDriver(std::string_view typeId, double sampleRate, int blockSize,
                 std::string_view instanceId = "dut")
        : m_type(engine::ModuleRegistry::instance().find(typeId))
        , m_sampleRate(sampleRate)
        , m_blockSize(blockSize) {
        if (!m_type)
            return;
        m_module = m_type->create(*m_type);
        m_module->setInstanceSeed(engine::seedFromId(instanceId));
        m_inputs.assign(m_type->inputs.size(), nullptr);
    }

    bool valid() const noexcept { return m_module != nullptr; }
    engine::Module& module() noexcept { return *m_module; }
    template <class M> M& as() noexcept { return static_cast<M&>(*m_module); }

    // Before the first run: the value at once. After: ramped, as a live change.
    bool setParam(std::string_view id, double value) {
        const engine::ParamIndex index = m_type->findParam(id);
        if (index < 0)
            return false;
        if (m_prepared)
            m_module->setParam(index, static_cast<float>(value));
        else
            m_module->setParamImmediate(index, static_cast<float>(value));
        return true;
    }

    // The buffer input `id` reads from the next run on (nullptr: unconnected). The driver keeps a
    // pointer: the buffer must outlive the runs and hold at least as many frames as they render.
    bool connect(std::string_view id, const std::vector<float>* buffer) {
        const engine::PortIndex index = m_type->findInput(id);
        if (index < 0)
            return false;
        m_inputs[static_cast<std::size_t>(index)] = buffer;
        return true;
    }

    void gate(bool on) { m_module->gate(on); }

    // Renders `frames` more samples (prepares on the first call); returns one buffer per output.
    // Input buffers are read from the position of the first frame rendered since prepare.
    std::vector<std::vector<float>> run(std::size_t frames) {
        if (!m_prepared) {
            m_module->prepare(engine::PrepareInfo{m_sampleRate, m_blockSize});
            m_prepared = true;
        }
        const std::size_t outputs = m_type->outputs.size();
        std::vector<std::vector<float>> out(outputs, std::vector<float>(frames));
        std::vector<float*> outPtr(outputs);
        std::vector<const float*> inPtr(m_inputs.size());
        for (std::size_t done = 0; done < frames;) {
            const int n =
                static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(m_blockSize), frames - done));
            for (std::size_t k = 0; k < outputs; ++k)
                outPtr[k] = out[k].data() + done;
            for (std::size_t k = 0; k < m_inputs.size(); ++k)
                inPtr[k] = m_inputs[k] ? m_inputs[k]->data() + m_position + done : nullptr;
            // One channel on every port, as a plan gives a module fed by mono cables.
            std::vector<std::uint8_t> inChannels(m_inputs.size()), outChannels(outputs, 1);
            for (std::size_t k = 0; k < m_inputs.size(); ++k)
                inChannels[k] = m_inputs[k] ? 1 : 0;
            engine::ProcessContext ctx{n, inPtr.data(), outPtr.data(), 1, inChannels.data(), outChannels.data()};
            m_module->process(ctx);
            done += static_cast<std::size_t>(n);
        }
        m_position += frames;
        return out;
    }

private:
    const engine::ModuleType* m_type = nullptr;
    std::unique_ptr<engine::Module> m_module;
    std::vector<const std::vector<float>*> m_inputs;
    double m_sampleRate;
    int m_blockSize;
    bool m_prepared = false;
    std::size_t m_position = 0;
};

} // namespace chronus::test
