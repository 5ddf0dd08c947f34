// RFC 3339 date-times: the one parser (base/time.h: REST bodies, the OCPP
// schema format check, with and without an assumed UTC offset); what it
// accepts must format and parse back.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "base/time.h"

using namespace chargelock;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)base::is_rfc3339(text);
  if (const auto parsed = base::parse_rfc3339(text, base::MissingOffset::AssumeUtc)) {
    const auto again = base::parse_rfc3339(base::format_rfc3339(*parsed));
    if (!again) std::abort();  // what we write, we must read
  }
  return 0;
}
