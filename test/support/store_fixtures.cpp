#include "test/support/store_fixtures.h"

#include <catch2/catch.hpp>

#include "core/stores/vehicle_store.h"

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

std::int64_t add_owner_with_vehicle(TestDatabase& t, const std::string& vin) {
  const auto owner =
      std::stoll(t.scalar("INSERT INTO owners (name) VALUES ('alice') RETURNING id"));
  core::NewVehicle vehicle;
  vehicle.vin = vin;
  vehicle.owner_id = owner;
  vehicle.identifiers.push_back({"idTag", "TAG-A", "TAG-A"});
  t.db().vehicles().put(vehicle);
  return owner;
}

}  // namespace chargelock::test
