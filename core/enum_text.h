// The text form of an optional domain enum: each enum's to_string() stands
// beside the enum; this is the one rule for "none" (no text: JSON null, SQL
// NULL), shared by the API and the stores.
#pragma once

#include <optional>
#include <string>

namespace chargelock::core {

// The status's to_string() text, or none.
template <typename Enum>
std::optional<std::string> text_of(const std::optional<Enum>& value) {
  if (!value) return std::nullopt;
  return std::string(to_string(*value));
}

}  // namespace chargelock::core
