// REST API access: bearer tokens (stored as hashes) and the vehicle owners
// they may belong to. Reached through Stores::api_tokens().
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/api_token.h"
#include "core/owner.h"
#include "core/timestamp.h"

namespace chargelock::core {

class ApiTokenStore {
 public:
  virtual ~ApiTokenStore() = default;

  // Returns the new token's id. Throws ConflictError when the hash exists.
  virtual std::int64_t create(const NewApiToken& token) = 0;
  // Creates the token unless one with the same hash exists (revoked or not);
  // safe for concurrent callers. Returns whether it was created.
  virtual bool create_if_missing(const NewApiToken& token) = 0;
  // A token with this hash that is not revoked.
  virtual std::optional<ApiTokenRecord> find_valid(const std::string& token_hash) = 0;
  virtual std::optional<ApiTokenRecord> find(std::int64_t id) = 0;
  // Ordered by id.
  virtual std::vector<ApiTokenRecord> list() = 0;
  // Marks the token revoked (keeps the time of a first revocation). Returns
  // false when the id is unknown.
  virtual bool revoke(std::int64_t id) = 0;

  // Creates an owner and its first token (role owner; owner_id and role of
  // `token` are set here) in one transaction. Returns {owner, token id}.
  virtual std::pair<OwnerRecord, std::int64_t> create_owner(const std::string& name,
                                                            const NewApiToken& token) = 0;
};

}  // namespace chargelock::core
