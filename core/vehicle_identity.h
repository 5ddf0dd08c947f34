// How a pile's report names a vehicle, and how that is compared with what an
// owner registered (issue 10): one rule, used when identifiers are stored
// (their match key) and when an Authorize / StartTransaction / VehicleLocked
// names one.
//
//   id tag    RFID UIDs: exact, as stored.
//   EVCC id   Autocharge piles send the EV's MAC in several forms:
//             "VID:001A2B3C4D5E", "VID:00:1A:2B:3C:4D:5E", "00-1a-2b-3c-4d-5e",
//             "001a2b3c4d5e". Compared without the "VID:" prefix, the
//             separators (: - .) and case.
//   VIN       GB/T "VIN charging" piles send the VIN as the id tag: compared
//             without regard to case.
//
// Pure functions; any thread.
#pragma once

#include <optional>
#include <string>

namespace chargelock::core {

enum class IdentifierKind { IdTag, EvccId, Vin };

// "idTag", "evccId", "vin" (the wire and storage form).
const char* to_string(IdentifierKind kind);
std::optional<IdentifierKind> identifier_kind_from(const std::string& text);

// The EVCC id's match key: without a "VID:" prefix (any case) and the
// separators ':', '-', '.', upper case.
std::string evcc_match_key(const std::string& evcc_id);

// The key stored beside an identifier of that kind (id tags: themselves;
// VINs: upper case).
std::string match_key(IdentifierKind kind, const std::string& value);

}  // namespace chargelock::core
