#include "ocpp/command_validator.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "core/timestamp.h"
#include "ocpp/rpc/secret_redaction.h"

namespace chargelock::ocpp {

namespace {

std::optional<std::string> string_member(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return std::nullopt;
  auto it = object.FindMember(name);
  if (it == object.MemberEnd() || !it->value.IsString()) return std::nullopt;
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

std::optional<int> int_member(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return std::nullopt;
  auto it = object.FindMember(name);
  if (it == object.MemberEnd() || !it->value.IsInt()) return std::nullopt;
  return it->value.GetInt();
}

std::string to_json(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

bool accepted(const rapidjson::Value& response, bool reboot_required_too = false) {
  const auto status = string_member(response, "status");
  return status && (*status == "Accepted" || (reboot_required_too && *status == "RebootRequired"));
}

}  // namespace

std::optional<std::string> OcppCommandValidator::check(const std::string& action,
                                                       const std::string& payload_json) const {
  if (!schemas_.knows(action)) return "action: unknown OCPP 1.6 action '" + action + "'";
  if (!schemas_.central_system_may_initiate(action))
    return "action: " + action + " is sent by a charge point, not by the central system";
  rapidjson::Document payload;
  payload.Parse(payload_json.c_str(), payload_json.size());
  if (payload.HasParseError())
    return std::string("payload: not valid JSON (") +
           rapidjson::GetParseError_En(payload.GetParseError()) + " at offset " +
           std::to_string(payload.GetErrorOffset()) + ")";
  if (!payload.IsObject()) return "payload: must be a JSON object";
  if (auto failure = schemas_.validate_request(action, payload)) {
    const std::string& d = failure->description;
    return !d.empty() && d.front() == '/' ? "payload" + d : "payload: " + d;
  }
  return std::nullopt;
}

core::CommandEffects OcppCommandValidator::effects(const std::string& action,
                                                   const std::string& payload_json,
                                                   const std::string& response_json) const {
  core::CommandEffects effects;
  rapidjson::Document request;
  rapidjson::Document response;
  request.Parse(payload_json.c_str(), payload_json.size());
  response.Parse(response_json.c_str(), response_json.size());
  if (request.HasParseError() || response.HasParseError() || !response.IsObject()) return effects;

  if (action == "GetConfiguration") {
    auto keys = response.FindMember("configurationKey");
    if (keys != response.MemberEnd() && keys->value.IsArray()) {
      for (const auto& entry : keys->value.GetArray()) {
        auto key = string_member(entry, "key");
        if (!key) continue;
        core::ConfigurationKey k;
        k.key = *key;
        k.value = string_member(entry, "value");
        auto readonly = entry.FindMember("readonly");
        k.readonly =
            readonly != entry.MemberEnd() && readonly->value.IsBool() && readonly->value.GetBool();
        effects.configuration.push_back(std::move(k));
      }
    }
  } else if (action == "ChangeConfiguration") {
    auto key = string_member(request, "key");
    if (key && accepted(response, true)) {
      core::ConfigurationKey k;
      k.key = *key;
      k.value = string_member(request, "value");
      effects.configuration_change = std::move(k);
    }
  } else if (action == "SendLocalList") {
    if (accepted(response)) effects.local_list_version = int_member(request, "listVersion");
  } else if (action == "GetLocalListVersion") {
    effects.local_list_version = int_member(response, "listVersion");
  } else if (action == "ReserveNow") {
    auto reservation_id = int_member(request, "reservationId");
    auto connector_id = int_member(request, "connectorId");
    auto id_tag = string_member(request, "idTag");
    auto expiry_text = string_member(request, "expiryDate");
    auto expiry = expiry_text ? core::parse_rfc3339(*expiry_text) : std::nullopt;
    if (accepted(response) && reservation_id && connector_id && id_tag && expiry) {
      core::Reservation r;
      r.reservation_id = *reservation_id;
      r.connector_id = *connector_id;
      r.id_tag = *id_tag;
      r.parent_id_tag = string_member(request, "parentIdTag");
      r.expiry_date = *expiry;
      effects.reservation = std::move(r);
    }
  } else if (action == "CancelReservation") {
    if (accepted(response)) effects.cancelled_reservation_id = int_member(request, "reservationId");
  }
  return effects;
}

std::optional<core::CommandValidator::SecretSplit> OcppCommandValidator::take_secret(
    const std::string& action, const std::string& payload_json) const {
  rapidjson::Document payload;
  payload.Parse(payload_json.c_str(), payload_json.size());
  if (payload.HasParseError()) return std::nullopt;
  rapidjson::Value* secret = call_secret(action, payload);
  if (secret == nullptr || !secret->IsString()) return std::nullopt;
  SecretSplit split;
  split.secret.assign(secret->GetString(), secret->GetStringLength());
  redact_call_payload(action, payload);
  split.redacted_payload_json = to_json(payload);
  return split;
}

std::string OcppCommandValidator::put_secret(const std::string& action,
                                             const std::string& redacted_payload_json,
                                             const std::string& secret) const {
  rapidjson::Document payload;
  payload.Parse(redacted_payload_json.c_str(), redacted_payload_json.size());
  if (payload.HasParseError()) return redacted_payload_json;
  rapidjson::Value* place = call_secret(action, payload);
  if (place == nullptr) return redacted_payload_json;
  place->SetString(secret.data(), static_cast<rapidjson::SizeType>(secret.size()),
                   payload.GetAllocator());
  return to_json(payload);
}

}  // namespace chargelock::ocpp
