#pragma once
#include "../Module.hpp"

namespace chronus::engine {

// Four inputs, each with its level, summed and scaled by the master level on `out`. Each input also
// feeds the `send` output (to a reverb or delay), post its level and before the master level:
// send = sum of in_k x level_k x send_k.
// Polyphonic: channel c of `out` and `send` mixes channel c of every input (a mono input feeds every
// channel); levels and sends are shared.
class Mixer final : public Module {
public:
    enum Param : ParamIndex {
        Level1, Level2, Level3, Level4, Master, // the original five, in their original order
        Send1, Send2, Send3, Send4,
        ParamCount
    };
    enum Input : PortIndex { In1, In2, In3, In4, InputCount };
    enum Output : PortIndex { Out, Send, OutputCount };
    static constexpr ParamSpec kParams[] = {{"level1", "Level 1", "", 0.0f, 2.0f, 1.0f},
                                            {"level2", "Level 2", "", 0.0f, 2.0f, 1.0f},
                                            {"level3", "Level 3", "", 0.0f, 2.0f, 1.0f},
                                            {"level4", "Level 4", "", 0.0f, 2.0f, 1.0f},
                                            {"level", "Master level", "", 0.0f, 2.0f, 1.0f},
                                            {"send1", "Send 1", "", 0.0f, 1.0f, 0.0f},
                                            {"send2", "Send 2", "", 0.0f, 1.0f, 0.0f},
                                            {"send3", "Send 3", "", 0.0f, 1.0f, 0.0f},
                                            {"send4", "Send 4", "", 0.0f, 1.0f, 0.0f}};
    static_assert(std::size(kParams) == ParamCount);
    static constexpr PortSpec kInputs[] = {{"in1", "In 1", Signal::Audio},
                                           {"in2", "In 2", Signal::Audio},
                                           {"in3", "In 3", Signal::Audio},
                                           {"in4", "In 4", Signal::Audio}};
    static_assert(std::size(kInputs) == InputCount);
    static constexpr PortSpec kOutputs[] = {{"out", "Out", Signal::Audio}, {"send", "Send", Signal::Audio}};
    static_assert(std::size(kOutputs) == OutputCount);
    static const ModuleType kType;

    explicit Mixer(const ModuleType& type) : Module(type) {}
    void process(const ProcessContext& ctx) noexcept override;

    // Polyphony: what the kernel mixes this block (see Mixer.cpp).
    struct PolyArgs {
        const float* in[InputCount];
        SmoothedValue* level[InputCount];
        SmoothedValue* send[InputCount]; // nullptr: this input's send is 0 all block
        int inputs = 0;                  // connected, the first `inputs` entries
        SmoothedValue* master = nullptr;
    };

protected:
    void onPrepare(const PrepareInfo&) override;

private:
    void (*m_poly)(const ProcessContext&, const PolyArgs&) noexcept = nullptr; // 8 channels per instruction
};

} // namespace chronus::engine
