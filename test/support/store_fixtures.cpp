#include "test/support/store_fixtures.h"

#include <catch2/catch.hpp>

namespace chargelock::test {

void add_charge_point(storage::Database& db, const std::string& id) {
  core::NewChargePoint cp;
  cp.id = id;
  REQUIRE(db.charge_points().create(cp));
}

}  // namespace chargelock::test
