// The lock extension's DataTransfer data from a pile (VehicleLocked,
// Capabilities) and the CALLRESULT readers the lock uses on piles' answers.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/lock_codec.h"

using namespace chargelock::core;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::string error;
  (void)lock_codec::parse_vehicle_locked(text, &error);
  (void)lock_codec::parse_hashed_matching(text);
  (void)lock_codec::status_of(text);
  (void)lock_codec::int_member(text, "connectorId");
  (void)lock_codec::string_member(text, "messageId");
  return 0;
}
