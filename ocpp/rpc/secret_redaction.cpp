#include "ocpp/rpc/secret_redaction.h"

#include "core/secrets.h"

namespace chargelock::ocpp {

namespace {

bool secret_key(const rapidjson::Value& object) {
  if (!object.IsObject()) return false;
  const auto key = object.FindMember("key");
  return key != object.MemberEnd() && key->value.IsString() &&
         core::is_secret_configuration_key(
             std::string_view(key->value.GetString(), key->value.GetStringLength()));
}

void redact(rapidjson::Value& value) {
  // A string literal: no allocator needed, it outlives every document.
  value.SetString(rapidjson::StringRef(core::kRedacted.data(), core::kRedacted.size()));
}

}  // namespace

bool call_has_secret(std::string_view action, const rapidjson::Value& payload) {
  return action == "ChangeConfiguration" && secret_key(payload) && payload.HasMember("value");
}

bool result_has_secret(std::string_view action, const rapidjson::Value& payload) {
  if (action != "GetConfiguration" || !payload.IsObject()) return false;
  const auto keys = payload.FindMember("configurationKey");
  if (keys == payload.MemberEnd() || !keys->value.IsArray()) return false;
  for (const auto& entry : keys->value.GetArray())
    if (secret_key(entry) && entry.HasMember("value")) return true;
  return false;
}

rapidjson::Value* call_secret(std::string_view action, rapidjson::Value& payload) {
  if (action != "ChangeConfiguration" || !secret_key(payload)) return nullptr;
  const auto value = payload.FindMember("value");
  return value == payload.MemberEnd() ? nullptr : &value->value;
}

bool redact_call_payload(std::string_view action, rapidjson::Value& payload) {
  rapidjson::Value* secret = call_secret(action, payload);
  if (secret == nullptr) return false;
  redact(*secret);
  return true;
}

bool redact_result_payload(std::string_view action, rapidjson::Value& payload) {
  if (action != "GetConfiguration" || !payload.IsObject()) return false;
  const auto keys = payload.FindMember("configurationKey");
  if (keys == payload.MemberEnd() || !keys->value.IsArray()) return false;
  bool replaced = false;
  for (auto& entry : keys->value.GetArray()) {
    if (!secret_key(entry)) continue;
    const auto value = entry.FindMember("value");
    if (value == entry.MemberEnd()) continue;
    redact(value->value);
    replaced = true;
  }
  return replaced;
}

}  // namespace chargelock::ocpp
