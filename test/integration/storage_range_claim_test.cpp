// CommandStore::claim_in_range against a real database: what a node claims
// at once on hearing a batch's wake-up ("*FIRST-LAST"), and that it claims
// nothing claim_next_many() would not (one CALL per pile, FIFO per pile,
// only its own registered piles), also while another claimer races it.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/stores/command_store.h"
#include "storage/database.h"
#include "test/support/test_database.h"

using namespace chargelock;
using chargelock::test::TestDatabase;

namespace {

struct RangeFixture {
  TestDatabase database;
  core::CommandStore& store = database.db().commands();

  // A pile recorded as connected to `node` (none: offline), registered as
  // `registration`, with a boot on record when `booted`.
  void pile(const std::string& id, const std::string& node, bool booted = true,
            const std::string& registration = "Accepted") {
    database.scalar(fmt::format(
        "INSERT INTO charge_points (id, connected_node, registration_status, last_boot_at)"
        " VALUES ('{}', {}, '{}', {}) RETURNING 1",
        id, node.empty() ? "NULL" : "'" + node + "'", registration, booted ? "now()" : "NULL"));
  }

  // A command of the pile; its id.
  std::int64_t command(const std::string& pile, const std::string& status = "queued",
                       const std::string& expires = "now() + interval '1 hour'",
                       const std::string& secret = "NULL") {
    return std::stoll(database.scalar(fmt::format(
        "INSERT INTO commands (charge_point_id, action, payload, status, expires_at, secret,"
        " sent_at) VALUES ('{}', 'ClearCache', '{{}}', '{}', {}, {}, {}) RETURNING id",
        pile, status, expires, secret, status == "sent" ? "now()" : "NULL")));
  }

  std::string status(std::int64_t id) {
    return database.scalar(fmt::format("SELECT status FROM commands WHERE id = {}", id));
  }
  int sent_of(const std::string& pile) {
    return std::stoi(database.scalar(fmt::format(
        "SELECT count(*) FROM commands WHERE charge_point_id = '{}' AND status = 'sent'", pile)));
  }
};

std::set<std::string> piles_of(const std::vector<core::StoredCommand>& claimed) {
  std::set<std::string> out;
  for (const auto& c : claimed) out.insert(c.charge_point_id);
  return out;
}

}  // namespace

TEST_CASE(
    "a range claim takes, per registered idle pile of the node, its oldest queued command if "
    "in the range, and names the node's other piles of the range") {
  RangeFixture f;
  f.pile("IDLE", "node-a");
  f.pile("TWO", "node-a");                       // two commands in the range: the older first
  f.pile("BUSY", "node-a");                      // a command still sent: one CALL at a time
  f.pile("OLDER", "node-a");                     // a queued command older than the range goes first
  f.pile("EXPIRED", "node-a");                   // its only command in the range expired
  f.pile("NOBOOT", "node-a", false);             // never booted: nothing
  f.pile("PENDING", "node-a", true, "Pending");  // not accepted: nothing
  f.pile("OTHER", "node-b");                     // another node's pile
  f.pile("OFFLINE", "");                         // connected nowhere
  f.pile("AFTER", "node-a");                     // its command lies after the range

  const auto busy_sent = f.command("BUSY", "sent");
  const auto older_first = f.command("OLDER");
  const auto idle = f.command("IDLE", "queued", "now() + interval '1 hour'", "'sealed-idle'");
  const auto two_first = f.command("TWO");
  const auto two_second = f.command("TWO");
  const auto busy_next = f.command("BUSY");
  const auto older_next = f.command("OLDER");
  const auto expired = f.command("EXPIRED", "queued", "now() - interval '1 second'");
  const auto noboot = f.command("NOBOOT");
  const auto pending = f.command("PENDING");
  const auto other = f.command("OTHER");
  const auto offline = f.command("OFFLINE");
  const core::CommandIdRange range{idle, offline};
  const auto after = f.command("AFTER");

  // Piles the caller excludes (a reset to come) are named, not claimed.
  auto claim = f.store.claim_in_range(range, "node-a", 100, {"IDLE", "TWO"});
  CHECK(claim.claimed.empty());
  std::vector<std::string> waiting = claim.waiting;
  std::sort(waiting.begin(), waiting.end());
  CHECK(waiting ==
        std::vector<std::string>{"BUSY", "EXPIRED", "IDLE", "NOBOOT", "OLDER", "PENDING", "TWO"});

  claim = f.store.claim_in_range(range, "node-a", 100, {});
  REQUIRE(claim.claimed.size() == 2);
  std::map<std::string, core::StoredCommand> by_pile;
  for (auto& c : claim.claimed) by_pile[c.charge_point_id] = c;
  REQUIRE(by_pile.count("IDLE") == 1);
  REQUIRE(by_pile.count("TWO") == 1);
  const auto& claimed_idle = by_pile["IDLE"];
  CHECK(claimed_idle.id == idle);
  CHECK(claimed_idle.status == "sent");
  CHECK(claimed_idle.claimed_by == std::optional<std::string>("node-a"));
  CHECK(claimed_idle.secret == std::optional<std::string>("sealed-idle"));  // taken out...
  CHECK(f.database.scalar(fmt::format("SELECT secret FROM commands WHERE id = {}", idle)) ==
        "NULL");  // ...of the row
  CHECK_FALSE(claimed_idle.more_queued);
  CHECK(by_pile["TWO"].id == two_first);
  CHECK(by_pile["TWO"].more_queued);

  // The node's other piles with queued commands in the range, for a pump.
  waiting = claim.waiting;
  std::sort(waiting.begin(), waiting.end());
  CHECK(waiting == std::vector<std::string>{"BUSY", "EXPIRED", "NOBOOT", "OLDER", "PENDING"});

  for (const auto id : {two_second, busy_next, older_first, older_next, expired, noboot, pending,
                        other, offline, after})
    CHECK(f.status(id) == "queued");
  CHECK(f.status(busy_sent) == "sent");
  CHECK(f.sent_of("BUSY") == 1);

  // Again: the claimed piles are busy now; TWO's second command waits for
  // its pile's answer (a pump), nothing new is claimed.
  claim = f.store.claim_in_range(range, "node-a", 100, {});
  CHECK(claim.claimed.empty());
  waiting = claim.waiting;
  std::sort(waiting.begin(), waiting.end());
  CHECK(waiting ==
        std::vector<std::string>{"BUSY", "EXPIRED", "NOBOOT", "OLDER", "PENDING", "TWO"});

  // Outside the range nothing is looked at; another node claims its own.
  CHECK(f.store.claim_in_range({after + 1, after + 100}, "node-a", 100, {}).claimed.empty());
  const auto other_claim = f.store.claim_in_range(range, "node-b", 100, {});
  REQUIRE(other_claim.claimed.size() == 1);
  CHECK(other_claim.claimed[0].id == other);
  CHECK(other_claim.waiting.empty());
}

TEST_CASE("a range claim claims for at most max_piles piles and names the rest") {
  RangeFixture f;
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 5; ++i) {
    f.pile(fmt::format("CAP-{}", i), "node-a");
    ids.push_back(f.command(fmt::format("CAP-{}", i)));
  }
  const auto claim = f.store.claim_in_range({ids.front(), ids.back()}, "node-a", 2, {});
  CHECK(claim.claimed.size() == 2);
  CHECK(claim.waiting.size() == 3);
  std::set<std::string> all = piles_of(claim.claimed);
  all.insert(claim.waiting.begin(), claim.waiting.end());
  CHECK(all.size() == 5);
  CHECK(std::stoi(f.database.scalar("SELECT count(*) FROM commands WHERE status = 'sent'")) == 2);
}

// Two nodes' listeners during a hand-over, or a node's pump (claim_next_many
// on a worker) and its listener: each pile gets one command sent, its
// oldest, and no claimer fails (the unique index on a pile's sent command
// would throw if two claims of one pile passed the "nothing sent" probe).
TEST_CASE("claimers racing over one range claim each pile's oldest command once") {
  RangeFixture f;
  constexpr int kPiles = 200;
  std::vector<std::string> piles;
  std::map<std::string, std::int64_t> oldest;
  for (int i = 0; i < kPiles; ++i) {
    piles.push_back(fmt::format("RACE-{:03}", i));
    f.pile(piles.back(), "node-a");
  }
  // Each pile has two queued commands in the range (its second one would be
  // the one a claim without the pile's lock takes).
  std::int64_t first = 0, last = 0;
  for (int round = 0; round < 2; ++round)
    for (const auto& pile : piles) {
      const auto id = f.command(pile);
      if (first == 0) first = id;
      last = id;
      oldest.emplace(pile, id);  // keeps the first
    }
  const core::CommandIdRange range{first, last};

  for (const bool against_pump : {false, true}) {
    INFO((against_pump ? "range claim against claim_next_many" : "two range claims"));
    std::atomic<int> ready{0};
    std::vector<core::StoredCommand> a, b;
    std::string error_a, error_b;
    // Each thread opens its connection first, then both claim at once.
    const auto start = [&] {
      f.store.find(0);
      ++ready;
      while (ready.load() < 2) std::this_thread::yield();
    };
    std::thread one([&] {
      try {
        start();
        a = f.store.claim_in_range(range, "node-a", 1000, {}).claimed;
      } catch (const std::exception& e) {
        error_a = e.what();
      }
    });
    std::thread two([&] {
      try {
        start();
        if (against_pump)
          b = f.store.claim_next_many(piles, "node-a");
        else
          b = f.store.claim_in_range(range, "node-a", 1000, {}).claimed;
      } catch (const std::exception& e) {
        error_b = e.what();
      }
    });
    one.join();
    two.join();
    CHECK(error_a == "");
    CHECK(error_b == "");
    std::map<std::string, int> claims;
    for (const auto* list : {&a, &b})
      for (const auto& c : *list) {
        ++claims[c.charge_point_id];
        CHECK(c.id == oldest[c.charge_point_id]);
      }
    CHECK(claims.size() == static_cast<std::size_t>(kPiles));
    for (const auto& [pile, count] : claims) {
      INFO(pile);
      CHECK(count == 1);
    }
    CHECK(std::stoi(f.database.scalar("SELECT count(*) FROM commands WHERE status = 'sent'")) ==
          kPiles);
    // Back to the start for the next pairing: the claimed ones queued again.
    f.database.scalar(
        "UPDATE commands SET status = 'queued', sent_at = NULL, claimed_by = NULL"
        " WHERE status = 'sent' RETURNING 1");
  }
}
