#include "simulators/pilesim/lock_extension.h"

#include <rapidjson/document.h>

#include "simulators/pilesim/json_util.h"

namespace chargelock::pilesim {
namespace {

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
  if (const rapidjson::Value* vin = json::member(document, "vin"); vin && !vin->IsNull()) {
    if (!vin->IsString()) return fail("vin is not a string");
    entry.vin.assign(vin->GetString(), vin->GetStringLength());
  }
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

std::string vehicle_locked_data(const LockMatch& match, int connector_id) {
  json::ObjectBuilder data;
  data.add("lockId", match.lock_id);
  data.add("connectorId", connector_id);
  const std::string_view name = wire_name(match.kind);
  data.add(name == "idTag" ? "idTag" : name == "evccId" ? "evccId" : "vin", match.value);
  return data.text();
}

}  // namespace chargelock::pilesim
