// The websocket upgrade decision for every security profile rule.
#include <catch2/catch.hpp>

#include "core/charge_point_directory.h"
#include "core/charge_point_service.h"
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

  void add(const std::string& id, int profile, std::optional<std::string> password,
           RegistrationStatus status = RegistrationStatus::Accepted) {
    REQUIRE(
        service.register_charge_point({id, std::move(password), profile, std::nullopt, status}));
  }
};

}  // namespace

TEST_CASE("directory: profile 1 needs plain ws and the right Basic credentials") {
  Fixture f;
  f.add("CP1", 1, "pw-1");
  f.directory.reload();
  CHECK(f.directory.decide(attempt("CP1", false, "CP1", "pw-1")) == AccessDecision::Accept);
  CHECK(f.directory.decide(attempt("CP1", false, "CP1", "wrong")) == AccessDecision::Unauthorized);
  CHECK(f.directory.decide(attempt("CP1", false, "CP2", "pw-1")) == AccessDecision::Unauthorized);
  CHECK(f.directory.decide(attempt("CP1", false, std::nullopt, std::nullopt)) ==
        AccessDecision::Unauthorized);
  CHECK(f.directory.decide(attempt("CP1", true, "CP1", "pw-1")) == AccessDecision::Unauthorized);
  // Cached verification gives the same answers.
  CHECK(f.directory.decide(attempt("CP1", false, "CP1", "pw-1")) == AccessDecision::Accept);
  CHECK(f.directory.decide(attempt("CP1", false, "CP1", "wrong")) == AccessDecision::Unauthorized);
}

TEST_CASE("directory: profile 2 needs TLS and Basic auth; lower profile refused") {
  Fixture f;
  f.add("CP2", 2, "pw-2");
  f.directory.reload();
  CHECK(f.directory.decide(attempt("CP2", true, "CP2", "pw-2")) == AccessDecision::Accept);
  CHECK(f.directory.decide(attempt("CP2", true, "CP2", "nope")) == AccessDecision::Unauthorized);
  CHECK(f.directory.decide(attempt("CP2", true, std::nullopt, std::nullopt)) ==
        AccessDecision::Unauthorized);
  // Trying profile 1 (plain ws) with the right password: refused.
  CHECK(f.directory.decide(attempt("CP2", false, "CP2", "pw-2")) == AccessDecision::Unauthorized);
}

TEST_CASE("directory: profile 3 needs TLS and a client certificate for this id") {
  Fixture f;
  f.add("CP3", 3, "pw-3");
  f.directory.reload();
  CHECK(f.directory.decide(attempt("CP3", true, std::nullopt, std::nullopt, "CP3")) ==
        AccessDecision::Accept);
  CHECK(f.directory.decide(attempt("CP3", true, "CP3", "pw-3", "CP3")) == AccessDecision::Accept);
  CHECK(f.directory.decide(attempt("CP3", true, "CP3", "bad", "CP3")) ==
        AccessDecision::Unauthorized);
  CHECK(f.directory.decide(attempt("CP3", true, std::nullopt, std::nullopt, "OTHER")) ==
        AccessDecision::Unauthorized);
  // Profile 2 style (TLS + password, no certificate) and plain ws: refused.
  CHECK(f.directory.decide(attempt("CP3", true, "CP3", "pw-3")) == AccessDecision::Unauthorized);
  CHECK(f.directory.decide(attempt("CP3", false, "CP3", "pw-3", "CP3")) ==
        AccessDecision::Unauthorized);
}

TEST_CASE("directory: unknown ids, auto-registration, rejected piles, reload") {
  Fixture f;
  f.add("REJ", 1, "pw", RegistrationStatus::Rejected);
  f.add("OPEN", 1, std::nullopt);
  CHECK(f.directory.decide(attempt("REJ", false, "REJ", "pw")) == AccessDecision::NotFound);
  f.directory.reload();
  CHECK(f.directory.size() == 2);
  CHECK(f.directory.decide(attempt("REJ", false, "REJ", "pw")) == AccessDecision::Accept);
  CHECK(f.directory.decide(attempt("OPEN", false, std::nullopt, std::nullopt)) ==
        AccessDecision::Accept);
  CHECK(f.directory.decide(attempt("GHOST", false, "GHOST", "x")) == AccessDecision::NotFound);

  ChargePointDirectory open_door(f.test.db().charge_points(), /*auto_register=*/true);
  CHECK(open_door.decide(attempt("GHOST", false, std::nullopt, std::nullopt)) ==
        AccessDecision::Accept);

  // A password change takes effect through the service's directory update.
  ChargePointService service(f.test.db().charge_points(), f.test.db().connectors(), &f.directory,
                             {});
  ChargePointUpdate update;
  update.password = "new-pw";
  REQUIRE(service.update_charge_point("REJ", update));
  CHECK(f.directory.decide(attempt("REJ", false, "REJ", "pw")) == AccessDecision::Unauthorized);
  CHECK(f.directory.decide(attempt("REJ", false, "REJ", "new-pw")) == AccessDecision::Accept);
}

TEST_CASE("directory: password guessing is cut short without locking out known piles") {
  Fixture f;
  f.add("VICTIM", 1, "right-password");
  f.add("KNOWN", 1, "known-password");
  f.add("BYSTANDER", 1, "other-password");
  f.directory.reload();
  // KNOWN connected before the attack: its verification is cached.
  CHECK(f.directory.decide(attempt("KNOWN", false, "KNOWN", "known-password")) ==
        AccessDecision::Accept);
  for (const char* id : {"VICTIM", "KNOWN"}) {
    for (int i = 0; i < 5; ++i)
      CHECK(f.directory.decide(attempt(id, false, id, "guess-" + std::to_string(i))) ==
            AccessDecision::Unauthorized);
  }
  // Within the window even the right password is refused (no PBKDF2 is run)...
  CHECK(f.directory.decide(attempt("VICTIM", false, "VICTIM", "right-password")) ==
        AccessDecision::Unauthorized);
  // ...but a pile whose password was already verified still gets in, and
  // other ids are not affected.
  CHECK(f.directory.decide(attempt("KNOWN", false, "KNOWN", "known-password")) ==
        AccessDecision::Accept);
  CHECK(f.directory.decide(attempt("BYSTANDER", false, "BYSTANDER", "other-password")) ==
        AccessDecision::Accept);
}
