// Upgrading across migration 0014 (the claim's indexes): a database from
// before it may hold a pile with more than one command 'sent' (written before
// the claim's per-pile advisory lock). 0014 declares "one sent command per
// pile" as a unique index, so it must first end all but the newest of those,
// or the upgrade fails; queued and finished commands stay as they were, and
// afterwards the database itself refuses a second sent command of a pile.
#include <catch2/catch.hpp>
#include <string>

#include "core/stores/command_store.h"
#include "test/support/test_database.h"

using chargelock::test::TestDatabase;

namespace {

constexpr int kVersionBeforeClaimIndexes = 13;

std::string insert_command(TestDatabase& test, const std::string& pile, const std::string& status) {
  return test.scalar(
      "INSERT INTO commands (charge_point_id, action, payload, status, expires_at, sent_at)"
      " VALUES ('" +
      pile + "', 'Reset', '{\"type\":\"Soft\"}', '" + status +
      "', now() + interval '1 hour', CASE WHEN '" + status +
      "' = 'queued' THEN NULL ELSE now() END) RETURNING id");
}

std::string status_of(TestDatabase& test, const std::string& id) {
  return test.scalar("SELECT status FROM commands WHERE id = " + id);
}

}  // namespace

TEST_CASE("the claim's migration ends a pile's older duplicate sent commands and keeps the rest") {
  TestDatabase test(/*migrate=*/false);
  test.db().migrate(kVersionBeforeClaimIndexes);
  REQUIRE(test.db().schema_version() == kVersionBeforeClaimIndexes);

  test.scalar("INSERT INTO charge_points (id) VALUES ('CP-TWICE'), ('CP-ONCE')");
  const std::string older_sent = insert_command(test, "CP-TWICE", "sent");
  const std::string newer_sent = insert_command(test, "CP-TWICE", "sent");
  const std::string queued = insert_command(test, "CP-TWICE", "queued");
  const std::string completed = insert_command(test, "CP-TWICE", "completed");
  const std::string only_sent = insert_command(test, "CP-ONCE", "sent");

  REQUIRE(test.db().migrate() > 0);

  // All but the newest sent command of the pile can never be answered any
  // more: they end as time-outs, saying why.
  CHECK(status_of(test, older_sent) == "timeout");
  CHECK(test.scalar("SELECT error_description FROM commands WHERE id = " + older_sent) ==
        "superseded by a later command sent to the pile");
  CHECK(test.scalar("SELECT completed_at IS NOT NULL FROM commands WHERE id = " + older_sent) ==
        "t");
  CHECK(status_of(test, newer_sent) == "sent");
  CHECK(status_of(test, queued) == "queued");
  CHECK(status_of(test, completed) == "completed");
  CHECK(status_of(test, only_sent) == "sent");

  // The one CALL in flight per pile is now the database's rule too.
  CHECK_THROWS(insert_command(test, "CP-ONCE", "sent"));

  // The claim still waits for the pile's answer, then delivers the queued one.
  auto& commands = test.db().commands();
  CHECK(commands.claim_next_many({"CP-TWICE"}, "node-a").empty());
  REQUIRE(commands.complete(std::stoll(newer_sent), {"completed", "{}", {}, {}}, {}));
  const auto claimed = commands.claim_next_many({"CP-TWICE"}, "node-a");
  REQUIRE(claimed.size() == 1);
  CHECK(std::to_string(claimed[0].id) == queued);
}
