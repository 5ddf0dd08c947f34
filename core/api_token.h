// REST API bearer tokens (stored as hashes) and their roles.
#pragma once

#include <cstdint>
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

}  // namespace chargelock::core
