#pragma once
// A compiled patch: module instances in topological order with every buffer preallocated.
// compile() runs on a control thread and may allocate; process() is RT-safe.

#include "Module.hpp"
#include "PatchGraph.hpp"
#include "Status.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace chronus::engine {

class Plan {
public:
    // Control thread. Instantiates and prepares every module of `graph` with its parameter values.
    static Result<std::unique_ptr<Plan>> compile(const PatchGraph& graph, const PrepareInfo& info);

    // RT-safe. Renders `frames` samples (any count; split internally into blocks of at most
    // maxBlock) into `left` and `right`.
    void process(float* left, float* right, int frames) noexcept;

    // Control thread. Index of a module for the RT-safe calls below; -1 when unknown.
    int moduleIndex(std::string_view id) const noexcept;
    // RT-safe. Live parameter change (ramped) and gate event.
    void setParam(int module, ParamIndex param, float value) noexcept;
    void gate(int module, bool on) noexcept;
    // RT-safe. A live parameter change that starts at frame `frame` of the next process() call.
    void setParamAt(int module, ParamIndex param, float value, int frame) noexcept;
    // RT-safe. A MIDI event at frame `event.offset` of the next process() call.
    void midi(int module, const MidiEvent& event) noexcept;
    // RT-safe. The MIDI the plan's modules made in the last process() call, in frame order (each
    // event's offset is its frame in that call).
    const MidiOutBlock& midiOut() const noexcept { return m_midiOut; }
    // RT-safe. Every module's restartTransport() (after warm-up: the first beat at frame 0).
    void restartTransport() noexcept;
    // Control thread, before process() runs. While a module processes, `marker` holds its index
    // (patch order), -1 between blocks: after a crash it names the module that was running.
    void setProgressMarker(std::atomic<std::int32_t>* marker) noexcept { m_marker = marker; }

    Module& module(int index) noexcept { return *m_modules[static_cast<std::size_t>(index)]; }
    int moduleCount() const noexcept { return static_cast<int>(m_modules.size()); }
    const PrepareInfo& info() const noexcept { return m_info; }

private:
    Plan() = default;
    void processBlock(float* left, float* right, int frames, int frameBase) noexcept;

    struct SumOp {           // input fed by several cables: dst = sum of sources
        float* dst;
        std::uint32_t firstSource; // into m_sumSources and m_sumSourceChannels
        std::uint32_t sourceCount;
        std::uint8_t channels;     // of dst: the most of any source
    };
    struct AdaptOp {         // an input at the width its module takes (see Polyphony)
        float* dst;
        const float* src;
        std::uint8_t from, to; // channels
    };
    struct Step {
        Module* module;
        std::int32_t index;                    // patch order
        std::uint32_t firstInput, firstOutput; // into m_inputs / m_outputs and their channel counts
        std::uint32_t firstSum, sumCount;      // into m_sums
        std::uint32_t firstAdapt, adaptCount;  // into m_adapts, after the sums
        int channels;                          // ProcessContext::channels
        std::uint32_t unreadOutputs;           // ProcessContext::unreadOutputs
        bool makesMidi;                        // ModuleType::makesMidi
    };

    PrepareInfo m_info;
    std::vector<std::unique_ptr<Module>> m_modules; // graph order
    std::vector<std::string> m_ids;                 // graph order
    std::vector<Step> m_steps;                      // topological order
    std::vector<const float*> m_inputs;
    std::vector<float*> m_outputs;
    std::vector<std::uint8_t> m_inputChannels;  // what each module input takes (0: unconnected)
    std::vector<std::uint8_t> m_outputChannels;
    std::vector<SumOp> m_sums;
    std::vector<const float*> m_sumSources;
    std::vector<std::uint8_t> m_sumSourceChannels;
    std::vector<AdaptOp> m_adapts;
    std::vector<float> m_pool; // every buffer, maxBlock floats each, each starting on a cache line
    float* m_masterLeft = nullptr;
    float* m_masterRight = nullptr;
    std::atomic<std::int32_t>* m_marker = nullptr;
    MidiOutBlock m_midiOut; // of the last process() call
    bool m_avx2 = false; // the channel sums and widenings run their AVX2 + FMA copies (see Simd.hpp)
};

} // namespace chronus::engine
