// Id tags (RFID cards, app tokens) known to the central system.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/timestamp.h"

namespace chargelock::core {

// The stored status; ConcurrentTx is never stored, core derives it.
enum class IdTagStatus { Accepted, Blocked, Expired, Invalid };

// "Accepted", "Blocked", "Expired", "Invalid": the OCPP, API and stored form.
inline const char* to_string(IdTagStatus status) {
  switch (status) {
    case IdTagStatus::Accepted:
      return "Accepted";
    case IdTagStatus::Blocked:
      return "Blocked";
    case IdTagStatus::Expired:
      return "Expired";
    case IdTagStatus::Invalid:
      return "Invalid";
  }
  return "Invalid";
}
inline std::optional<IdTagStatus> id_tag_status_from_string(std::string_view text) {
  if (text == "Accepted") return IdTagStatus::Accepted;
  if (text == "Blocked") return IdTagStatus::Blocked;
  if (text == "Expired") return IdTagStatus::Expired;
  if (text == "Invalid") return IdTagStatus::Invalid;
  return std::nullopt;
}

struct IdTag {
  std::string id_tag;  // 1..20 characters (OCPP IdToken)
  IdTagStatus status = IdTagStatus::Accepted;
  std::optional<Timestamp> expiry_date;
  std::optional<std::string> parent_id_tag;
  // The owner an operator assigned the tag to: only that owner may put it on
  // a vehicle (SPEC §7), so nobody gets a stranger's card blocked.
  std::optional<std::int64_t> owner_id{};
};

}  // namespace chargelock::core
