// Hex encoding and SHA-256, one place for the rules every digest here
// follows (lower-case hex). Pure functions; any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace chargelock::core {

// Lower-case hex of `size` bytes.
std::string hex(const unsigned char* data, std::size_t size);
// Lower-case hex SHA-256 of `text`. Throws std::runtime_error if OpenSSL fails.
std::string sha256_hex(std::string_view text);
// `size` random bytes as lower-case hex (OpenSSL RAND_bytes). Throws
// std::runtime_error when no randomness is available.
std::string random_hex(std::size_t size);

}  // namespace chargelock::core
