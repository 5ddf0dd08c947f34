#include "test/support/store_fixtures.h"

#include <catch2/catch.hpp>

namespace chargelock::test {

void add_charge_point(storage::Database& db, const std::string& id) {
  core::NewChargePoint cp;
  cp.id = id;
  REQUIRE(db.charge_points().create(cp));
}

core::MeterValueRecord meter_sample(const std::string& pile, const std::string& value) {
  core::MeterValueRecord v;
  v.charge_point_id = pile;
  v.connector_id = 1;
  v.timestamp = kT0;
  v.sampled.value = value;
  v.sampled.unit = std::string("Wh");
  return v;
}

}  // namespace chargelock::test
