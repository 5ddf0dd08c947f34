// A vehicle owner: the holder of owner tokens, vehicles, locks and
// notifications (SPEC §5).
#pragma once

#include <cstdint>
#include <string>

#include "core/timestamp.h"

namespace chargelock::core {

struct OwnerRecord {
  std::int64_t id = 0;
  std::string name;
  Timestamp created_at;
};

}  // namespace chargelock::core
