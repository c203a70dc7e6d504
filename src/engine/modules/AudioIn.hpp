#pragma once
#include "../Module.hpp"
#include "../rt/InputRing.hpp"

#include <cstdint>

namespace chronus::engine {

// Where the block being rendered reads the device's input: the capture frame of its first sample.
// Owned by the slot's render thread, which moves it on before every block it renders for the
// output; `ring` null (or `live` false: a warm-up, a mirror's catch-up of the past) reads silence.
struct InputCursor {
    const InputRing* ring = nullptr;
    std::int64_t frame = 0;
    std::uint64_t block = 0; // counts the blocks aimed: a new block starts at `frame` again
    bool live = false;
};

// The device's capture channels (the first two; a mono device feeds both), scaled by `gain`. It
// reads the capture from a fixed latency before the output frame it renders (the ring's target
// depth): both slots render the same input at the same output frame. In an offline render it reads
// the render's input file at the very frame it renders (SlotEngine::feedOfflineInput). Without an
// input device or file, or while nothing binds it to a cursor, it plays silence.
class AudioIn final : public Module {
public:
    enum Param : ParamIndex { Gain, ParamCount };
    enum Output : PortIndex { Left, Right, OutputCount };
    static constexpr ParamSpec kParams[] = {{"gain", "Gain", "", 0.0f, 4.0f, 1.0f}};
    static_assert(std::size(kParams) == ParamCount);
    static constexpr PortSpec kOutputs[] = {{"left", "Left", Signal::Audio}, {"right", "Right", Signal::Audio}};
    static_assert(std::size(kOutputs) == OutputCount);
    static const ModuleType kType;

    explicit AudioIn(const ModuleType& type) : Module(type) {}
    void process(const ProcessContext& ctx) noexcept override;

    // The render thread that plays this module's plan, before its first block. RT-safe.
    void bind(const InputCursor* cursor) noexcept { m_cursor = cursor; }

protected:
    void onPrepare(const PrepareInfo&) override {
        m_block = ~std::uint64_t{0};
        m_done = 0;
    }

private:
    const InputCursor* m_cursor = nullptr;
    std::uint64_t m_block = ~std::uint64_t{0}; // the cursor's block being rendered
    std::int64_t m_done = 0;                    // frames of it read (a plan splits long blocks)
};

} // namespace chronus::engine
