#include <catch2/catch.hpp>

#include "core/password_hash.h"

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
