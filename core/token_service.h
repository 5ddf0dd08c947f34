// REST API bearer tokens and vehicle owners (SPEC §5).
//
// A token is "clk_" followed by 32 random bytes (base64url). Only its
// SHA-256 is stored: a hash of a 256-bit random secret cannot be reversed or
// guessed, so a slow password hash would add latency to every request and
// no protection. The admin token from CHARGELOCK_ADMIN_TOKEN is chosen by a
// person; it is hashed the same way and should be long (a warning is printed
// below 16 characters).
//
// Threading: called on worker threads (and once at start); blocks on the
// database.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/stores/api_token_store.h"

namespace chargelock::core {

class Stores;

// Who a valid token belongs to.
struct Principal {
  std::int64_t token_id = 0;
  ApiRole role = ApiRole::Operator;
  std::string name;
  std::optional<std::int64_t> owner_id;  // owner role only
  // Telematics role: the platform's VINs; none: every VIN.
  std::optional<std::vector<std::string>> vins;
};

struct IssuedToken {
  std::int64_t id = 0;
  std::string token;  // shown once; only its hash is kept
};

struct CreatedOwner {
  OwnerRecord owner;
  IssuedToken token;
};

class TokenService {
 public:
  explicit TokenService(ApiTokenStore& store);

  // The principal of a valid (known, not revoked) token.
  std::optional<Principal> authenticate(std::string_view token);

  // A new operator or telematics token. Throws std::invalid_argument for the
  // owner role (owners get tokens with create_owner) or a name outside
  // 1..200 characters.
  // `vins` scopes a telematics token to its platform's VINs (std::
  // invalid_argument for a bad VIN, or VINs on another role's token).
  IssuedToken issue(ApiRole role, const std::string& name,
                    std::optional<std::vector<std::string>> vins = std::nullopt);
  // Returns false when the id is unknown. Revoking twice is harmless.
  bool revoke(std::int64_t id);
  std::vector<ApiTokenRecord> list();

  // A new owner with its first token. Throws std::invalid_argument for a
  // name outside 1..200 characters.
  CreatedOwner create_owner(const std::string& name);

  // Makes `token` a valid operator token unless a token with the same text
  // exists already (a revoked admin token stays revoked). Returns whether it
  // was added. Throws std::invalid_argument for an empty token.
  bool ensure_admin_token(const std::string& token);

  static std::string hash(std::string_view token);  // hex SHA-256
  static std::string generate();                    // "clk_" + 43 base64url characters

 private:
  ApiTokenStore& store_;
};

// The token store and service for one database (the API's access control).
class AccessServices {
 public:
  explicit AccessServices(Stores& stores);
  ~AccessServices();
  AccessServices(const AccessServices&) = delete;
  AccessServices& operator=(const AccessServices&) = delete;

  TokenService& tokens() { return tokens_; }

 private:
  TokenService tokens_;
};

}  // namespace chargelock::core
