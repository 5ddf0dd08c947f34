// RFC 3339 date-times: the core parser (REST bodies, stored times) and the
// OCPP schema format check; what the parser accepts must format and parse
// back to the same instant.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/timestamp.h"
#include "ocpp/schemas/date_time.h"

using namespace chargelock;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)ocpp::is_rfc3339_date_time(text);
  if (const auto parsed = core::parse_rfc3339(text)) {
    const auto again = core::parse_rfc3339(core::format_rfc3339(*parsed));
    if (!again) std::abort();  // what we write, we must read
  }
  return 0;
}
