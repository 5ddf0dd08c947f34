// Identifiers' text forms: lower-case hex and RFC 4122 version 4 UUIDs.
// Pure functions; any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace chargelock::base {

// Lower-case hex of `size` bytes.
std::string hex(const unsigned char* data, std::size_t size);
inline std::string hex(std::string_view bytes) {
  return hex(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

// `size` random bytes (OpenSSL RAND_bytes, fit for secrets) as lower-case
// hex. Throws std::runtime_error when no randomness is available.
std::string random_hex(std::size_t size);

// A version 4 UUID ("8-4-4-4-12" lower-case hex digits, 36 characters)
// made of 16 random bytes: the version and variant bits are set here.
std::string uuid_v4(const unsigned char (&random)[16]);
// The same from OpenSSL RAND_bytes (unguessable). Throws std::runtime_error
// when no randomness is available.
std::string random_uuid_v4();

}  // namespace chargelock::base
