// What the PostgreSQL store tests share: a fixed instant with microseconds
// (to check nothing is lost on the way), a charge point to hang rows on and
// an owner with a vehicle to lock.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "core/meter_value.h"
#include "core/stores/charge_point_store.h"
#include "storage/database.h"
#include "test/support/test_database.h"

namespace chargelock::test {

// 2024-05-01T12:00:00.123456Z
inline const core::Timestamp kT0 = core::Timestamp(std::chrono::microseconds(1714564800123456LL));

// Creates the charge point `id` (REQUIREs that it is new).
void add_charge_point(storage::Database& db, const std::string& id);

// One MeterValues row of the pile: connector 1, at kT0, `value` Wh.
core::MeterValueRecord meter_sample(const std::string& pile, const std::string& value);

// A new owner "alice" with the vehicle `vin` (idTag TAG-A) registered; returns
// the owner's id. For tests that lock that vehicle.
std::int64_t add_owner_with_vehicle(TestDatabase& t, const std::string& vin);

}  // namespace chargelock::test
