// REST API access: bearer tokens (stored as hashes) and the vehicle owners
// they may belong to. Reached through Stores::api_tokens().
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/timestamp.h"

namespace chargelock::core {

enum class ApiRole { Operator, Owner, Telematics };

// "operator", "owner", "telematics": the API's and the stored form.
inline const char* to_string(ApiRole role) {
  switch (role) {
    case ApiRole::Operator:
      return "operator";
    case ApiRole::Owner:
      return "owner";
    case ApiRole::Telematics:
      return "telematics";
  }
  return "operator";
}
inline std::optional<ApiRole> api_role_from_string(std::string_view text) {
  if (text == "operator") return ApiRole::Operator;
  if (text == "owner") return ApiRole::Owner;
  if (text == "telematics") return ApiRole::Telematics;
  return std::nullopt;
}

struct ApiTokenRecord {
  std::int64_t id = 0;
  ApiRole role = ApiRole::Operator;
  std::string name;
  std::optional<std::int64_t> owner_id;  // owner tokens only
  // Telematics tokens: the VINs of the platform (upper case); none: every VIN.
  std::optional<std::vector<std::string>> vins;
  std::string token_hash;
  Timestamp created_at;
  std::optional<Timestamp> revoked_at;  // none while the token is valid
};

struct NewApiToken {
  ApiRole role = ApiRole::Operator;
  std::string name;
  std::optional<std::int64_t> owner_id;
  std::optional<std::vector<std::string>> vins{};  // upper-case VINs (telematics)
  std::string token_hash;
};

struct OwnerRecord {
  std::int64_t id = 0;
  std::string name;
  Timestamp created_at;
};

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
