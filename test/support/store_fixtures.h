// What the PostgreSQL store tests share: a fixed instant with microseconds
// (to check nothing is lost on the way) and a charge point to hang rows on.
#pragma once

#include <chrono>
#include <string>

#include "core/stores/charge_point_store.h"
#include "storage/database.h"

namespace chargelock::test {

// 2024-05-01T12:00:00.123456Z
inline const core::Timestamp kT0 = core::Timestamp(std::chrono::microseconds(1714564800123456LL));

// Creates the charge point `id` (REQUIREs that it is new).
void add_charge_point(storage::Database& db, const std::string& id);

}  // namespace chargelock::test
