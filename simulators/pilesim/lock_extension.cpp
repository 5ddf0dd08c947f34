#include "simulators/pilesim/lock_extension.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>

#include "base/json_writer.h"
#include "simulators/pilesim/json_util.h"

namespace chargelock::pilesim {
namespace {

constexpr const char* kSha256 = "sha256";

// Reads an optional array of strings; false when present but malformed.
bool read_strings(const rapidjson::Value& object, const char* key, std::vector<std::string>& out) {
  const rapidjson::Value* value = json::member(object, key);
  if (value == nullptr || value->IsNull()) return true;
  if (!value->IsArray()) return false;
  for (const auto& item : value->GetArray()) {
    if (!item.IsString()) return false;
    if (item.GetStringLength() > 0) out.emplace_back(item.GetString(), item.GetStringLength());
  }
  return true;
}

// Reads an optional string; false when present but not a string.
bool read_string(const rapidjson::Value& object, const char* key, std::string& out) {
  const rapidjson::Value* value = json::member(object, key);
  if (value == nullptr || value->IsNull()) return true;
  if (!value->IsString()) return false;
  out.assign(value->GetString(), value->GetStringLength());
  return true;
}

// The pile compares its own lower-case hex digests; a central system that
// sends upper-case hex still means the same hash.
void to_lower(std::string& text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
}

}  // namespace

std::optional<LockEntry> parse_lock_vehicle(std::string_view data, std::string* error) {
  auto fail = [&](const char* why) -> std::optional<LockEntry> {
    if (error != nullptr) *error = why;
    return std::nullopt;
  };
  rapidjson::Document document;
  document.Parse(data.data(), data.size());
  if (document.HasParseError() || !document.IsObject()) return fail("data is not a JSON object");
  LockEntry entry;
  const auto lock_id = json::string(document, "lockId");
  if (!lock_id || lock_id->empty()) return fail("lockId missing");
  entry.lock_id = *lock_id;

  std::string match;
  if (!read_string(document, "match", match)) return fail("match is not a string");
  if (!match.empty()) {
    if (match != kSha256) return fail("match: only sha256 is supported");
    HashedIdentifiers hashed;
    if (!read_string(document, "salt", hashed.salt)) return fail("salt is not a string");
    if (hashed.salt.empty()) return fail("salt missing for hashed matching");
    if (!read_string(document, "vinHash", hashed.vin_hash)) return fail("vinHash is not a string");
    if (!read_strings(document, "idTagHashes", hashed.id_tag_hashes)) {
      return fail("idTagHashes is not a string list");
    }
    if (!read_strings(document, "evccIdHashes", hashed.evcc_id_hashes)) {
      return fail("evccIdHashes is not a string list");
    }
    if (hashed.vin_hash.empty() && hashed.id_tag_hashes.empty() && hashed.evcc_id_hashes.empty()) {
      return fail("the lock names no vinHash, idTagHashes or evccIdHashes");
    }
    to_lower(hashed.vin_hash);
    for (auto& hash : hashed.id_tag_hashes) to_lower(hash);
    for (auto& hash : hashed.evcc_id_hashes) to_lower(hash);
    entry.hashed = std::move(hashed);
    return entry;
  }

  if (!read_string(document, "vin", entry.vin)) return fail("vin is not a string");
  if (!read_strings(document, "idTags", entry.id_tags)) return fail("idTags is not a string list");
  if (!read_strings(document, "evccIds", entry.evcc_ids)) {
    return fail("evccIds is not a string list");
  }
  if (entry.vin.empty() && entry.id_tags.empty() && entry.evcc_ids.empty()) {
    return fail("the lock names no vin, idTag or evccId");
  }
  return entry;
}

std::optional<std::string> parse_unlock_vehicle(std::string_view data) {
  rapidjson::Document document;
  document.Parse(data.data(), data.size());
  if (document.HasParseError()) return std::nullopt;
  auto lock_id = json::string(document, "lockId");
  if (!lock_id || lock_id->empty()) return std::nullopt;
  return lock_id;
}

std::string vehicle_locked_data(const LockMatch& match, int connector_id, bool held) {
  base::JsonWriter data;
  data.begin_object()
      .field("lockId", match.lock_id)
      .field("connectorId", connector_id)
      .field(core::to_string(match.kind), match.value);
  if (!held) data.field("held", false);
  return data.end_object().str();
}

std::string hashed_matching_capabilities_data() {
  base::JsonWriter data;
  data.begin_object().begin_array("match").string(kSha256).end_array().end_object();
  return data.str();
}

}  // namespace chargelock::pilesim
