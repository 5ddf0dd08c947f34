// The hashed form of a vehicle identifier in the lock extension's hashed
// matching (docs/lock-extension.md "Hashed matching", version 2): the
// lower-case hex SHA-256 of the lock's salt text followed by the identifier
// in its compare form. A pile that declared support gets only these hashes,
// so it never learns a locked vehicle's VIN or cards in clear.
#pragma once

#include <string>
#include <string_view>

namespace chargelock::pilesim {

// sha256(salt + compare_form) as 64 lower-case hex digits (OpenSSL EVP).
std::string salted_sha256_hex(std::string_view salt, std::string_view compare_form);

}  // namespace chargelock::pilesim
