// The websocket upgrade decision for every security profile rule, the
// verified-credentials cache, and refusals that do not tell ids apart.
#include <catch2/catch.hpp>

#include "core/charge_point_directory.h"
#include "core/charge_point_service.h"
#include "core/password_hash.h"
#include "test/support/test_database.h"

using namespace chargelock::core;
using chargelock::test::TestDatabase;

namespace {

AccessAttempt attempt(const std::string& id, bool tls, std::optional<std::string> user,
                      std::optional<std::string> password,
                      std::optional<std::string> cn = std::nullopt) {
  return AccessAttempt{id, tls, std::move(user), std::move(password), std::move(cn)};
}

struct Fixture {
  TestDatabase test;
  ChargePointDirectory directory{test.db().charge_points(), false};
  ChargePointService service{test.db().charge_points(), test.db().connectors(), nullptr, {}};

  // What a pile sees: decide() on the loop, verify() off it when asked.
  AccessDecision judge(const AccessAttempt& a) { return judge(directory, a); }
  static AccessDecision judge(const ChargePointDirectory& d, const AccessAttempt& a) {
    const AccessDecision decision = d.decide(a);
    return decision == AccessDecision::Verify ? d.verify(a) : decision;
  }

  void add(const std::string& id, int profile, std::optional<std::string> password,
           RegistrationStatus status = RegistrationStatus::Accepted) {
    REQUIRE(
        service.register_charge_point({id, std::move(password), profile, std::nullopt, status}));
  }
};

}  // namespace

TEST_CASE("directory: profile 1 needs plain ws and the right Basic credentials") {
  Fixture f;
  f.add("CP1", 1, "pile-password-1-x");
  f.directory.reload();
  CHECK(f.judge(attempt("CP1", false, "CP1", "pile-password-1-x")) == AccessDecision::Accept);
  CHECK(f.judge(attempt("CP1", false, "CP1", "wrong")) == AccessDecision::Unauthorized);
  CHECK(f.judge(attempt("CP1", false, "CP2", "pile-password-1-x")) == AccessDecision::Unauthorized);
  CHECK(f.judge(attempt("CP1", false, std::nullopt, std::nullopt)) == AccessDecision::Unauthorized);
  CHECK(f.judge(attempt("CP1", true, "CP1", "pile-password-1-x")) == AccessDecision::Unauthorized);
  // Cached verification gives the same answers.
  CHECK(f.judge(attempt("CP1", false, "CP1", "pile-password-1-x")) == AccessDecision::Accept);
  CHECK(f.judge(attempt("CP1", false, "CP1", "wrong")) == AccessDecision::Unauthorized);
}

TEST_CASE("directory: profile 2 needs TLS and Basic auth, lower profile refused") {
  Fixture f;
  f.add("CP2", 2, "pile-password-2-x");
  f.directory.reload();
  CHECK(f.judge(attempt("CP2", true, "CP2", "pile-password-2-x")) == AccessDecision::Accept);
  CHECK(f.judge(attempt("CP2", true, "CP2", "nope")) == AccessDecision::Unauthorized);
  CHECK(f.judge(attempt("CP2", true, std::nullopt, std::nullopt)) == AccessDecision::Unauthorized);
  // Trying profile 1 (plain ws) with the right password: refused.
  CHECK(f.judge(attempt("CP2", false, "CP2", "pile-password-2-x")) == AccessDecision::Unauthorized);
}

TEST_CASE("directory: profile 3 needs TLS and a client certificate for this id") {
  Fixture f;
  f.add("CP3", 3, "pile-password-3-x");
  f.directory.reload();
  CHECK(f.judge(attempt("CP3", true, std::nullopt, std::nullopt, "CP3")) == AccessDecision::Accept);
  CHECK(f.judge(attempt("CP3", true, "CP3", "pile-password-3-x", "CP3")) == AccessDecision::Accept);
  CHECK(f.judge(attempt("CP3", true, "CP3", "bad", "CP3")) == AccessDecision::Unauthorized);
  CHECK(f.judge(attempt("CP3", true, std::nullopt, std::nullopt, "OTHER")) ==
        AccessDecision::Unauthorized);
  // Profile 2 style (TLS + password, no certificate) and plain ws: refused.
  CHECK(f.judge(attempt("CP3", true, "CP3", "pile-password-3-x")) == AccessDecision::Unauthorized);
  CHECK(f.judge(attempt("CP3", false, "CP3", "pile-password-3-x", "CP3")) ==
        AccessDecision::Unauthorized);
}

TEST_CASE("directory: unknown ids, auto-registration, rejected piles, reload") {
  Fixture f;
  f.add("REJ", 1, "pile-password-rej", RegistrationStatus::Rejected);
  f.add("OPEN", 1, std::nullopt);
  CHECK(f.judge(attempt("REJ", false, "REJ", "pile-password-rej")) == AccessDecision::UnknownId);
  f.directory.reload();
  CHECK(f.directory.size() == 2);
  CHECK(f.judge(attempt("REJ", false, "REJ", "pile-password-rej")) == AccessDecision::Accept);
  CHECK(f.judge(attempt("GHOST", false, "GHOST", "x")) == AccessDecision::UnknownId);
  // A pile registered without a password: an id alone is no credential...
  CHECK(f.judge(attempt("OPEN", false, std::nullopt, std::nullopt)) ==
        AccessDecision::Unauthorized);
  CHECK(f.judge(attempt("OPEN", false, "OPEN", "anything-at-all-16")) ==
        AccessDecision::Unauthorized);
  // ...unless the operator allows unauthenticated piles.
  ChargePointDirectory allowing(f.test.db().charge_points(), /*auto_register=*/false,
                                /*allow_unauthenticated=*/true);
  allowing.reload();
  CHECK(allowing.decide(attempt("OPEN", false, std::nullopt, std::nullopt)) ==
        AccessDecision::Accept);
  CHECK(allowing.decide(attempt("GHOST", false, std::nullopt, std::nullopt)) ==
        AccessDecision::UnknownId);

  ChargePointDirectory open_door(f.test.db().charge_points(), /*auto_register=*/true);
  CHECK(open_door.decide(attempt("GHOST", false, std::nullopt, std::nullopt)) ==
        AccessDecision::Accept);

  // A password change takes effect through the service's directory update.
  ChargePointService service(f.test.db().charge_points(), f.test.db().connectors(), &f.directory,
                             {});
  ChargePointUpdate update;
  update.password = "new-pile-password";
  REQUIRE(service.update_charge_point("REJ", update));
  CHECK(f.judge(attempt("REJ", false, "REJ", "pile-password-rej")) == AccessDecision::Unauthorized);
  CHECK(f.judge(attempt("REJ", false, "REJ", "new-pile-password")) == AccessDecision::Accept);
}

TEST_CASE("directory: password guessing is cut short without locking out known piles") {
  Fixture f;
  f.add("VICTIM", 1, "right-password-16");
  f.add("KNOWN", 1, "known-password-16");
  f.add("BYSTANDER", 1, "other-password-16");
  f.directory.reload();
  // KNOWN connected before the attack: its verification is cached.
  CHECK(f.judge(attempt("KNOWN", false, "KNOWN", "known-password-16")) == AccessDecision::Accept);
  for (const char* id : {"VICTIM", "KNOWN"}) {
    for (int i = 0; i < 5; ++i)
      CHECK(f.judge(attempt(id, false, id, "guess-" + std::to_string(i))) ==
            AccessDecision::Unauthorized);
  }
  // Within the window even the right password is refused at once (no
  // PBKDF2 is run)...
  CHECK(f.directory.decide(attempt("VICTIM", false, "VICTIM", "right-password-16")) ==
        AccessDecision::Unauthorized);
  // ...but a pile whose password was already verified still gets in, and
  // other ids are not affected.
  CHECK(f.directory.decide(attempt("KNOWN", false, "KNOWN", "known-password-16")) ==
        AccessDecision::Accept);
  CHECK(f.judge(attempt("BYSTANDER", false, "BYSTANDER", "other-password-16")) ==
        AccessDecision::Accept);
}

TEST_CASE("directory: decide never hashes, a verified password is let in at once afterwards") {
  Fixture f;
  f.add("CP1", 1, "pile-password-1-x");
  f.directory.reload();
  const auto right = attempt("CP1", false, "CP1", "pile-password-1-x");
  CHECK(f.directory.decide(right) == AccessDecision::Verify);
  CHECK(f.directory.verify(right) == AccessDecision::Accept);
  CHECK(f.directory.decide(right) == AccessDecision::Accept);
  // A wrong password is never taken from the cache.
  CHECK(f.directory.decide(attempt("CP1", false, "CP1", "pile-password-1-y")) ==
        AccessDecision::Verify);
  // A new password hash makes the cached verification worthless.
  ChargePointService service(f.test.db().charge_points(), f.test.db().connectors(), &f.directory,
                             {});
  ChargePointUpdate update;
  update.password = "new-pile-password";
  REQUIRE(service.update_charge_point("CP1", update));
  CHECK(f.directory.decide(right) == AccessDecision::Verify);
  CHECK(f.directory.verify(right) == AccessDecision::Unauthorized);
}

TEST_CASE("directory: an unknown id is refused at once, a wrong password after the check") {
  Fixture f;
  f.add("CP1", 1, "pile-password-1-x");
  f.directory.reload();
  // SPEC 3: unknown ids are refused at the upgrade, credentials or not.
  const auto ghost = attempt("GHOST", false, "GHOST", "pile-password-1-x");
  const auto wrong = attempt("CP1", false, "CP1", "pile-password-1-y");
  CHECK(f.directory.decide(ghost) == AccessDecision::UnknownId);
  CHECK(f.directory.decide(wrong) == AccessDecision::Verify);
  CHECK(f.directory.verify(wrong) == AccessDecision::Unauthorized);
  // Guessing a known pile's password is cut short after 5 failures.
  for (int i = 0; i < 4; ++i) CHECK(f.judge(wrong) == AccessDecision::Unauthorized);
  CHECK(f.directory.decide(wrong) == AccessDecision::Unauthorized);
}

TEST_CASE("directory: verified credentials survive a restart only with the same secret key") {
  Fixture f;
  f.add("CP1", 1, "pile-password-1-x");
  const auto key = SecretBox::parse_key(std::string(64, 'a'));
  REQUIRE(key);
  const auto right = attempt("CP1", false, "CP1", "pile-password-1-x");
  {
    ChargePointDirectory before(f.test.db().charge_points(), false, false, SecretBox(*key));
    before.reload();
    REQUIRE(before.verify(right) == AccessDecision::Accept);
    before.save_verified();
  }
  // Stored as a keyed hash: neither the password nor its plain hash.
  CHECK(f.test.scalar("SELECT count(*) FROM charge_point_verified_credentials") == "1");
  CHECK(f.test.scalar("SELECT count(*) FROM charge_point_verified_credentials WHERE mac LIKE "
                      "'%pile-password%' OR length(mac) <> 64") == "0");

  ChargePointDirectory restarted(f.test.db().charge_points(), false, false, SecretBox(*key));
  restarted.reload();
  CHECK(restarted.decide(right) == AccessDecision::Accept);  // no PBKDF2
  CHECK(restarted.decide(attempt("CP1", false, "CP1", "pile-password-1-y")) ==
        AccessDecision::Verify);

  const auto other_key = SecretBox::parse_key(std::string(64, 'b'));
  ChargePointDirectory other(f.test.db().charge_points(), false, false, SecretBox(*other_key));
  other.reload();
  CHECK(other.decide(right) == AccessDecision::Verify);
  ChargePointDirectory keyless(f.test.db().charge_points(), false);
  keyless.reload();
  CHECK(keyless.decide(right) == AccessDecision::Verify);
}

TEST_CASE("directory: failures counted while an id was unknown do not lock out the pile later") {
  Fixture f;
  f.directory.reload();
  const auto early = attempt("LATE", false, "LATE", "late-password-16x");
  for (int i = 0; i < 5; ++i) CHECK(f.judge(early) == AccessDecision::UnknownId);
  CHECK(f.directory.decide(early) == AccessDecision::UnknownId);  // cut short
  // Registered elsewhere (the API); this node learns it at its refresh.
  f.add("LATE", 1, "late-password-16x");
  f.directory.reload();
  CHECK(f.judge(early) == AccessDecision::Accept);
}
