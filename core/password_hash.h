// Password hashing for charge point (HTTP Basic) passwords: PBKDF2-HMAC-
// SHA256 with a random 16-byte salt. Encoded as
//   pbkdf2-sha256$ITERATIONS$SALT_BASE64$HASH_BASE64
// so the iteration count can be raised later without breaking old hashes.
#pragma once

#include <string>
#include <string_view>

namespace chargelock::core {

// The check runs once per pile per process, on the websocket loop, at the
// upgrade (later connects hit a cache); a boot storm of N piles costs N
// checks. 4096 iterations (the SCRAM-SHA-256 default, RFC 7677) keeps that
// near 0.6 ms each; charge point passwords are per-pile machine secrets
// (the OCPP security whitepaper asks for 16-40 characters). Each hash stores
// its own count, so raising this later keeps old hashes valid.
constexpr int kDefaultPasswordIterations = 4096;

// Never returns the same text twice for the same password (fresh salt).
// Throws std::invalid_argument for iterations < 1, std::runtime_error when
// OpenSSL fails.
std::string hash_password(std::string_view password, int iterations = kDefaultPasswordIterations);

// True only when `encoded` is a well-formed hash of `password`. Compares in
// constant time; a malformed `encoded` is simply false.
bool verify_password(std::string_view password, std::string_view encoded);

}  // namespace chargelock::core
