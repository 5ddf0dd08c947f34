#include <catch2/catch.hpp>

#include "core/password_hash.h"
#include "core/timestamp.h"

using namespace chargelock::core;

TEST_CASE("password hash: round trip, salted, encoded with its iteration count") {
  const std::string hash = hash_password("s3cret!");
  CHECK(hash.rfind("pbkdf2-sha256$4096$", 0) == 0);
  CHECK(verify_password("s3cret!", hash));
  // Hashes made with another count (the first releases used 20000) still verify.
  CHECK(verify_password("s3cret!", hash_password("s3cret!", 20000)));
  CHECK(hash_password("s3cret!") != hash);  // fresh salt each time
  CHECK(hash.find("s3cret") == std::string::npos);
}

TEST_CASE("password hash: wrong passwords and malformed hashes are rejected") {
  const std::string hash = hash_password("s3cret!", 1000);
  CHECK(hash.rfind("pbkdf2-sha256$1000$", 0) == 0);
  CHECK(verify_password("s3cret!", hash));
  CHECK_FALSE(verify_password("s3cret", hash));
  CHECK_FALSE(verify_password("", hash));
  CHECK_FALSE(verify_password("s3cret!", ""));
  CHECK_FALSE(verify_password("s3cret!", "s3cret!"));
  CHECK_FALSE(verify_password("s3cret!", "pbkdf2-sha256$abc$AAAA$AAAA"));
  CHECK_FALSE(verify_password("s3cret!", "md5$1000$AAAA$AAAA"));
  // Changing the iteration count invalidates the hash.
  std::string tampered = hash;
  tampered.replace(std::string("pbkdf2-sha256$").size(), 4, "1001");
  CHECK_FALSE(verify_password("s3cret!", tampered));
  CHECK_THROWS_AS(hash_password("x", 0), std::invalid_argument);
}

TEST_CASE("RFC 3339 timestamps: UTC with Z out, offsets understood in") {
  const auto t = parse_rfc3339("2024-05-01T12:00:00Z");
  REQUIRE(t);
  CHECK(format_rfc3339(*t) == "2024-05-01T12:00:00Z");
  CHECK(format_rfc3339(*parse_rfc3339("2024-05-01T14:00:00.250+02:00")) ==
        "2024-05-01T12:00:00.250Z");
  CHECK(parse_rfc3339("2024-05-01T12:00:00") == t);  // no zone: UTC
  CHECK(*parse_rfc3339("2024-05-01T12:00:00.123456Z") - *t == std::chrono::microseconds(123456));
  CHECK_FALSE(parse_rfc3339("2024-02-30T00:00:00Z"));
  CHECK_FALSE(parse_rfc3339("yesterday"));
  CHECK_FALSE(parse_rfc3339("2024-05-01T12:00:00Zjunk"));
  CHECK_FALSE(parse_rfc3339(""));
}

TEST_CASE("RFC 3339 timestamps: years the time type cannot hold saturate, never wrap") {
  // A pile or API client may send any four-digit year; nanoseconds in 64
  // bits end in 2262, so 9999 used to overflow (undefined behaviour; a
  // wrapped value in release builds, e.g. a "never expires" tag expired).
  const auto never = parse_rfc3339("9999-12-31T23:59:59Z");
  REQUIRE(never);
  CHECK(format_rfc3339(*never).rfind("2262-04-11", 0) == 0);
  CHECK(*never > *parse_rfc3339("2262-01-01T00:00:00Z"));
  const auto ancient = parse_rfc3339("0001-01-01T00:00:00Z");
  REQUIRE(ancient);
  CHECK(format_rfc3339(*ancient).rfind("1677-09-21", 0) == 0);
  CHECK(parse_rfc3339("2263-01-01T00:00:00Z") == never);
  const auto late = parse_rfc3339("2262-01-01T00:00:00Z");
  REQUIRE(late);
  CHECK(format_rfc3339(*late) == "2262-01-01T00:00:00Z");
  const auto early = parse_rfc3339("1700-01-01T00:00:00Z");
  REQUIRE(early);
  CHECK(format_rfc3339(*early) == "1700-01-01T00:00:00Z");
}
