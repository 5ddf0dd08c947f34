// REST API bearer tokens and vehicle owners (SPEC §5).
//
// A token is "clk_" followed by 32 random bytes (base64url). Only its
// SHA-256 is stored: a hash of a 256-bit random secret cannot be reversed or
// guessed, so a slow password hash would add latency to every request and
// no protection. The admin token from CHARGELOCK_ADMIN_TOKEN is chosen by a
// person; it is hashed the same way and should be long (a warning is printed
// below 16 characters).
//
// A token verified against the database is kept for a few seconds by the
// process's VerifiedTokenCache when AccessServices::keep_verified_tokens()
// was called (the API servers): a change of the token (revocation
// included) drops it the moment its signal is read, see
// core/verified_token_cache.h.
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
class TokenChangeListener;
class VerifiedTokenCache;

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
  // `cache`: where verified tokens are kept (none: every check asks the
  // store); must outlive the service.
  explicit TokenService(ApiTokenStore& store, VerifiedTokenCache* cache = nullptr);

  // The principal of a valid (known, not revoked) token.
  std::optional<Principal> authenticate(std::string_view token);
  // REQUIRES: before the service is shared between threads.
  void use_cache(VerifiedTokenCache* cache) { cache_ = cache; }

  // A new operator or telematics token. Throws std::invalid_argument for the
  // owner role (owners get tokens with create_owner) or a name outside
  // 1..200 characters.
  // `vins` scopes a telematics token to its platform's VINs (std::
  // invalid_argument for a bad VIN, or VINs on another role's token).
  IssuedToken issue(ApiRole role, const std::string& name,
                    std::optional<std::vector<std::string>> vins = std::nullopt);
  // Returns false when the id is unknown. Revoking twice is harmless. With
  // a cache, returns only when every API process refuses the token: its
  // cache's lease (1 s) after the commit (core/verified_token_cache.h).
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
  VerifiedTokenCache* cache_;
};

// The token store and service for one database (the API's access control).
class AccessServices {
 public:
  explicit AccessServices(Stores& stores);
  ~AccessServices();
  AccessServices(const AccessServices&) = delete;
  AccessServices& operator=(const AccessServices&) = delete;

  TokenService& tokens() { return tokens_; }

  // From now on tokens() keeps the tokens it verified (VerifiedTokenCache),
  // with a thread listening to the store's token changes. Once; a store
  // without a change channel keeps nothing.
  void keep_verified_tokens();

 private:
  ApiTokenStore& store_;
  TokenService tokens_;
  // Destroyed in reverse: the listener before its cache.
  std::unique_ptr<VerifiedTokenCache> cache_;
  std::unique_ptr<TokenChangeListener> listener_;
};

}  // namespace chargelock::core
