// Owners' webhook URLs: std::invalid_argument is the expected answer to a
// bad one; an accepted URL must have a host, a port in range and a target.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

#include "core/webhook_service.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto url = chargelock::core::parse_webhook_url(text);
    if (url.host.empty() || url.port < 1 || url.port > 65535 || url.target.empty() ||
        url.target[0] != '/')
      std::abort();
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
