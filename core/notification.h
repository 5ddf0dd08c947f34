// Notifications to vehicle owners (SPEC §5): low-battery prompts, vehicle
// caught, lock state changes.
#pragma once

#include <cstdint>
#include <string>

#include "core/timestamp.h"

namespace chargelock::core {

struct Notification {
  std::int64_t id = 0;
  std::int64_t owner_id = 0;
  std::string kind;       // "low_battery", "vehicle_caught", "lock_state"
  std::string body_json;  // a JSON object, as text
  Timestamp created_at;
};

}  // namespace chargelock::core
