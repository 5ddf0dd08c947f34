#include "core/secrets.h"

#include <cctype>

namespace chargelock::core {

bool is_secret_configuration_key(std::string_view key) {
  constexpr std::string_view kAuthorizationKey = "authorizationkey";
  if (key.size() != kAuthorizationKey.size()) return false;
  for (std::size_t i = 0; i < key.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(key[i])) != kAuthorizationKey[i]) return false;
  return true;
}

}  // namespace chargelock::core
