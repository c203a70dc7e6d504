#include "ModuleRegistry.hpp"

#include "modules/Adsr.hpp"
#include "modules/AudioIn.hpp"
#include "modules/Biquad.hpp"
#include "modules/Clipper.hpp"
#include "modules/Clock.hpp"
#include "modules/Delay.hpp"
#include "modules/Distortion.hpp"
#include "modules/HiHat.hpp"
#include "modules/Kick.hpp"
#include "modules/Ladder.hpp"
#include "modules/Lfo.hpp"
#include "modules/Limiter.hpp"
#include "modules/MidiCc.hpp"
#include "modules/MidiIn.hpp"
#include "modules/MidiOut.hpp"
#include "modules/Mixer.hpp"
#include "modules/Noise.hpp"
#include "modules/Output.hpp"
#include "modules/PolyUtilities.hpp"
#include "modules/Reverb.hpp"
#include "modules/SampleHold.hpp"
#include "modules/Saw.hpp"
#include "modules/Sequencer.hpp"
#include "modules/Sine.hpp"
#include "modules/Snare.hpp"
#include "modules/Square.hpp"
#include "modules/Svf.hpp"
#include "modules/Triangle.hpp"
#include "modules/Vca.hpp"

namespace chronus::engine {

namespace {
// Every module type, in palette order. Ids are forever: add, never rename.
const ModuleType* const kTypes[] = {
    &Sine::kType,
    &Saw::kType,
    &Square::kType,
    &Triangle::kType,
    &Noise::kType,
    &AudioIn::kType,
    &Adsr::kType,
    &Vca::kType,
    &Mixer::kType,
    &Svf::kType,
    &Biquad::kType,
    &Ladder::kType,
    &Lfo::kType,
    &SampleHold::kType,
    &Clock::kType,
    &Sequencer::kType,
    &MidiIn::kType,
    &MidiCc::kType,
    &MidiOut::kType,
    &Kick::kType,
    &Snare::kType,
    &HiHat::kType,
    &Distortion::kType,
    &Delay::kType,
    &Reverb::kType,
    &Clipper::kType,
    &Limiter::kType,
    &Const::kType,
    &Merge::kType,
    &Split::kType,
    &Sum::kType,
    &Output::kType,
};

// The predecessor's module names.
constexpr TypeAlias kAliases[] = {
    {"simple_sine", "sine"},
    {"biquad_filter", "biquad"},
    {"acid_filter", "ladder"},
};
} // namespace

const ModuleRegistry& ModuleRegistry::instance() {
    static const ModuleRegistry registry;
    return registry;
}

ModuleRegistry::ModuleRegistry() : m_types(kTypes) {}

std::span<const TypeAlias> ModuleRegistry::aliases() const noexcept { return kAliases; }

const ModuleType* ModuleRegistry::find(std::string_view idOrAlias) const noexcept {
    for (const ModuleType* type : m_types)
        if (idOrAlias == type->id)
            return type;
    for (const TypeAlias& alias : kAliases)
        if (idOrAlias == alias.alias)
            return find(alias.type);
    return nullptr;
}

std::string ModuleRegistry::knownTypesList() const {
    std::string list;
    for (const ModuleType* type : m_types) {
        if (type->id == kOutputType)
            continue;
        if (!list.empty())
            list += ", ";
        list += type->id;
    }
    return list;
}

} // namespace chronus::engine
