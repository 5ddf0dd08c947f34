// Password hashing for charge point (HTTP Basic) passwords: PBKDF2-HMAC-
// SHA256 with a random 16-byte salt. Encoded as
//   pbkdf2-sha256$ITERATIONS$SALT_BASE64$HASH_BASE64
// so the iteration count can be raised later without breaking old hashes.
#pragma once

#include <string>
#include <string_view>

namespace chargelock::core {

constexpr int kDefaultPasswordIterations = 20000;

// Never returns the same text twice for the same password (fresh salt).
// Throws std::invalid_argument for iterations < 1, std::runtime_error when
// OpenSSL fails.
std::string hash_password(std::string_view password, int iterations = kDefaultPasswordIterations);

// True only when `encoded` is a well-formed hash of `password`. Compares in
// constant time; a malformed `encoded` is simply false.
bool verify_password(std::string_view password, std::string_view encoded);

}  // namespace chargelock::core
