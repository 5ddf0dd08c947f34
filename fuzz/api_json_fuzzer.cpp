// REST request bodies: the JSON object parser and the field readers every
// route's body decoding uses (strings, integers, numbers, RFC 3339 times,
// nested objects, unknown-field checks). ApiError (a 400) is the expected
// answer to bad input; anything else escaping is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "api/api_error.h"
#include "api/json_util.h"

using namespace chargelock::api;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  try {
    const auto doc = parse_object(body);
    static const char* const allowed[] = {"vin",   "idTags",   "evccIds", "scope", "expiresAt",
                                          "reason", "ownerId", "action",  "payload", nullptr};
    for (const char* name : {"vin", "reason", "action", "name", "idTag"}) {
      try {
        (void)string_field(doc, name);
      } catch (const ApiError&) {
      }
    }
    for (const char* name : {"ownerId", "connectorId", "expiresInSeconds"}) {
      try {
        (void)integer_field(doc, name);
      } catch (const ApiError&) {
      }
    }
    for (const char* name : {"soc", "lat", "lon", "radiusKm"}) {
      try {
        (void)number_field(doc, name);
      } catch (const ApiError&) {
      }
    }
    for (const char* name : {"timestamp", "expiresAt", "expiryDate"}) {
      try {
        (void)time_field(doc, name);
      } catch (const ApiError&) {
      }
    }
    try {
      if (const auto* scope = object_field(doc, "scope")) (void)number_field(*scope, "radiusKm");
    } catch (const ApiError&) {
    }
    try {
      reject_unknown_fields(doc, allowed);
    } catch (const ApiError&) {
    }
  } catch (const ApiError&) {
  }
  return 0;
}
