// base/ids.h (hex, random hex, version 4 UUIDs) and base/pattern.h ("{n}").
#include <catch2/catch.hpp>
#include <regex>
#include <set>

#include "base/ids.h"
#include "base/pattern.h"

using namespace chargelock::base;

TEST_CASE("ids: lower-case hex of bytes") {
  const unsigned char bytes[] = {0x00, 0x0f, 0xa5, 0xff};
  CHECK(hex(bytes, sizeof bytes) == "000fa5ff");
  CHECK(hex(bytes, 0).empty());
  CHECK(hex(std::string_view("\x01\xfe", 2)) == "01fe");
}

TEST_CASE("ids: random hex has twice the length, hex digits only, and differs") {
  const std::string a = random_hex(16);
  const std::string b = random_hex(16);
  CHECK(a.size() == 32);
  CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(a != b);
  CHECK(random_hex(0).empty());
}

TEST_CASE("ids: version 4 UUIDs set the version and variant bits") {
  const std::regex form("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  unsigned char ones[16];
  unsigned char zeros[16] = {};
  for (auto& b : ones) b = 0xff;
  CHECK(uuid_v4(ones) == "ffffffff-ffff-4fff-bfff-ffffffffffff");
  CHECK(uuid_v4(zeros) == "00000000-0000-4000-8000-000000000000");
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string id = random_uuid_v4();
    CHECK(id.size() == 36);
    CHECK(std::regex_match(id, form));
    seen.insert(id);
  }
  CHECK(seen.size() == 100);
}

TEST_CASE("pattern: every {n} is the number, the rest as written") {
  CHECK(expand_pattern("SIM-{n}", 7) == "SIM-7");
  CHECK(expand_pattern("SIM-{n}-{n}", 7) == "SIM-7-7");
  CHECK(expand_pattern("fixed", 7) == "fixed");
  CHECK(expand_pattern("", 7).empty());
  CHECK(expand_pattern("{n}", 0) == "0");
  CHECK(expand_pattern("{n}", 123456789) == "123456789");
  CHECK(expand_pattern("{n", 1) == "{n");      // not a placeholder
  CHECK(expand_pattern("{{n}}", 1) == "{1}");  // no escaping
  CHECK(expand_pattern("{N}", 1) == "{N}");    // lower case only
}

TEST_CASE("pattern: the number padded with zeros to a number of digits") {
  CHECK(expand_pattern("VIN{n}", 42, 5) == "VIN00042");
  CHECK(expand_pattern("{n}-{n}", 7, 3) == "007-007");
  CHECK(expand_pattern("{n}", 0, 4) == "0000");
  CHECK(expand_pattern("{n}", 12345, 3) == "12345");  // never cut
  CHECK(expand_pattern("{n}", 12345, 5) == "12345");
  CHECK(expand_pattern("SIM-{n}", 7, 0) == "SIM-7");
}
