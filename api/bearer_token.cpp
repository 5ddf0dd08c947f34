#include "api/bearer_token.h"

#include <cctype>

namespace chargelock::api {

std::optional<std::string> bearer_token(std::string_view value) {
  if (value.size() < 7) return std::nullopt;
  std::string scheme(value.substr(0, 6));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "bearer" || value[6] != ' ') return std::nullopt;
  const auto first = value.find_first_not_of(' ', 7);
  if (first == std::string_view::npos) return std::nullopt;
  const auto last = value.find_last_not_of(' ');
  return std::string(value.substr(first, last - first + 1));
}

}  // namespace chargelock::api
