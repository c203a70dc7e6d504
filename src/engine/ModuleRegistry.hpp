#pragma once
// The registry of module types. Immutable after first use; safe to read from any thread.

#include "Module.hpp"

#include <span>
#include <string>
#include <string_view>

namespace chronus::engine {

struct TypeAlias {
    const char* alias; // the predecessor's name
    const char* type;  // our type id
};

class ModuleRegistry {
public:
    static const ModuleRegistry& instance();

    // Type ids and aliases. nullptr when unknown.
    const ModuleType* find(std::string_view idOrAlias) const noexcept;
    std::span<const ModuleType* const> types() const noexcept { return m_types; }
    std::span<const TypeAlias> aliases() const noexcept;
    // "saw, sine, ..." for error messages.
    std::string knownTypesList() const;

    // The implicit output module every patch has.
    static constexpr std::string_view kOutputId = "out";
    static constexpr std::string_view kOutputType = "output";

private:
    ModuleRegistry();
    std::span<const ModuleType* const> m_types;
};

} // namespace chronus::engine
