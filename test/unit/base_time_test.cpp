// base/time.h: the one RFC 3339 parser and formatter (OCPP dateTimes, REST
// bodies, the simulators), its calendar and offset rules, the explicit
// MissingOffset::AssumeUtc of --assume-utc-timestamps, and saturation.
#include <catch2/catch.hpp>

#include "base/time.h"

using namespace chargelock::base;

TEST_CASE("RFC 3339 timestamps: UTC with Z out, offsets understood in") {
  const auto t = parse_rfc3339("2024-05-01T12:00:00Z");
  REQUIRE(t);
  CHECK(format_rfc3339(*t) == "2024-05-01T12:00:00Z");
  CHECK(format_rfc3339(*parse_rfc3339("2024-05-01T14:00:00.250+02:00")) ==
        "2024-05-01T12:00:00.250Z");
  CHECK(parse_rfc3339("2024-05-01T12:00:00", MissingOffset::AssumeUtc) == t);  // no zone: UTC
  CHECK_FALSE(parse_rfc3339("2024-05-01T12:00:00"));  // unless told: refused
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

TEST_CASE("RFC 3339 date-time check") {
  for (const char* good :
       {"2024-03-01T10:00:00Z", "2024-03-01T10:00:00.5Z", "2024-02-29T23:59:60Z",
        "2024-03-01t10:00:00z", "2024-03-01T10:00:00+05:30", "2024-03-01T10:00:00.123456-08:00"})
    CHECK(is_rfc3339(good));
  for (const char* bad :
       {"", "2024-03-01", "2024-03-01T10:00:00", "2024-03-01 10:00:00Z", "2023-02-29T10:00:00Z",
        "2024-13-01T10:00:00Z", "2024-04-31T10:00:00Z", "2024-03-01T24:00:00Z",
        "2024-03-01T10:60:00Z", "2024-03-01T10:00:00.Z", "2024-03-01T10:00:00+0530",
        "2024-03-01T10:00:00+24:00", "2024-03-01T10:00:00Zjunk", "2O24-03-01T10:00:00Z"})
    CHECK_FALSE(is_rfc3339(bad));
  CHECK(is_rfc3339("2000-02-29T00:00:00Z"));        // divisible by 400
  CHECK_FALSE(is_rfc3339("1900-02-29T00:00:00Z"));  // divisible by 100
}

TEST_CASE("a date-time without offset passes only when assumed to be UTC") {
  constexpr auto utc = MissingOffset::AssumeUtc;
  for (const char* local : {"2026-11-27T10:00:00", "2026-11-27T10:00:00.250"}) {
    CHECK_FALSE(is_rfc3339(local));
    CHECK(is_rfc3339(local, utc));
  }
  // Everything else keeps its rule.
  CHECK(is_rfc3339("2026-11-27T10:00:00+01:00", utc));
  for (const char* bad : {"2026-11-27", "2026-11-27T10:00", "2026-11-27T10:00:00.",
                          "2026-11-27 10:00:00", "2026-02-30T10:00:00", "2026-11-27T10:00:00+01"})
    CHECK_FALSE(is_rfc3339(bad, utc));
}

TEST_CASE("RFC 3339: one rule for every reader") {
  // Lower-case separators are RFC 3339's; a space is not (RFC 3339 leaves
  // it to applications, and OCPP 1.6 does not allow it).
  CHECK(parse_rfc3339("2024-05-01t12:00:00z") == parse_rfc3339("2024-05-01T12:00:00Z"));
  CHECK_FALSE(parse_rfc3339("2024-05-01 12:00:00Z"));
  CHECK_FALSE(parse_rfc3339("2024-05-01 12:00:00", MissingOffset::AssumeUtc));
  // Offsets move the instant; both signs.
  CHECK(parse_rfc3339("2024-05-01T12:00:00-01:30") == parse_rfc3339("2024-05-01T13:30:00Z"));
  CHECK(parse_rfc3339("2024-05-01T00:30:00+01:00") == parse_rfc3339("2024-04-30T23:30:00Z"));
  CHECK_FALSE(parse_rfc3339("2024-05-01T12:00:00+01:60"));
  // A leap second is read as the second before it.
  CHECK(parse_rfc3339("2016-12-31T23:59:60Z") == parse_rfc3339("2016-12-31T23:59:59Z"));
  // Fractions: any number of digits, finer than microseconds truncated.
  CHECK(*parse_rfc3339("2024-05-01T12:00:00.1234567Z") - *parse_rfc3339("2024-05-01T12:00:00Z") ==
        std::chrono::microseconds(123456));
  // Before 1970 formats and parses back.
  const auto old = parse_rfc3339("1969-12-31T23:59:59.500Z");
  REQUIRE(old);
  CHECK(format_rfc3339(*old) == "1969-12-31T23:59:59.500Z");
}

TEST_CASE("RFC 3339: milliseconds since the epoch, the simulators' time") {
  CHECK(format_rfc3339(from_unix_ms(0)) == "1970-01-01T00:00:00Z");
  CHECK(format_rfc3339(from_unix_ms(1709211900123)) == "2024-02-29T13:05:00.123Z");
  CHECK(format_rfc3339(from_unix_ms(-1)) == "1969-12-31T23:59:59.999Z");
  CHECK(to_unix_ms(*parse_rfc3339("2024-02-29T13:05:00.123999Z")) == 1709211900123);
  CHECK(to_unix_ms(from_unix_ms(-1500)) == -1500);
}
