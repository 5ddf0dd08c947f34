#include "core/vehicle_identity.h"

#include <cctype>

namespace chargelock::core {

const char* to_string(IdentifierKind kind) {
  switch (kind) {
    case IdentifierKind::IdTag:
      return "idTag";
    case IdentifierKind::EvccId:
      return "evccId";
    case IdentifierKind::Vin:
      return "vin";
  }
  return "idTag";
}

std::optional<IdentifierKind> identifier_kind_from(const std::string& text) {
  if (text == "idTag") return IdentifierKind::IdTag;
  if (text == "evccId") return IdentifierKind::EvccId;
  if (text == "vin") return IdentifierKind::Vin;
  return std::nullopt;
}

std::string evcc_match_key(const std::string& evcc_id) {
  std::size_t start = 0;
  if (evcc_id.size() > 4 && (evcc_id[0] == 'V' || evcc_id[0] == 'v') &&
      (evcc_id[1] == 'I' || evcc_id[1] == 'i') && (evcc_id[2] == 'D' || evcc_id[2] == 'd') &&
      evcc_id[3] == ':')
    start = 4;
  std::string key;
  key.reserve(evcc_id.size() - start);
  for (std::size_t i = start; i < evcc_id.size(); ++i) {
    const char c = evcc_id[i];
    if (c == ':' || c == '-' || c == '.') continue;
    key += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return key;
}

std::string match_key(IdentifierKind kind, const std::string& value) {
  switch (kind) {
    case IdentifierKind::IdTag:
      return value;
    case IdentifierKind::EvccId:
      return evcc_match_key(value);
    case IdentifierKind::Vin: {
      std::string out = value;
      for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      return out;
    }
  }
  return value;
}

}  // namespace chargelock::core
