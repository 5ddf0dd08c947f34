#include "core/lock_codec.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "core/digest.h"
#include "core/vehicle_identity.h"

namespace chargelock::core::lock_codec {

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void string_array(Writer& w, const char* name, const std::vector<std::string>& values) {
  w.Key(name);
  w.StartArray();
  for (const std::string& v : values) w.String(v);
  w.EndArray();
}

// {"vendorId":"org.chargelock","messageId":…,"data":"<data as JSON text>"}
std::string data_transfer(const char* message_id, const std::string& data) {
  rapidjson::StringBuffer text;
  Writer w(text);
  w.StartObject();
  w.Key("vendorId");
  w.String(kVendorId);
  w.Key("messageId");
  w.String(message_id);
  w.Key("data");
  w.String(data);
  w.EndObject();
  return text.GetString();
}

bool parse_object(const std::string& json, rapidjson::Document& doc) {
  // Iterative: `data` of a pile's DataTransfer is a JSON text inside the
  // frame, so the frame's nesting limit does not cover it; the recursive
  // parser would overflow the worker's stack on 60 000 nested '['.
  doc.Parse<rapidjson::kParseIterativeFlag>(json.c_str(), json.size());
  return !doc.HasParseError() && doc.IsObject();
}

}  // namespace

std::string lock_vehicle_payload(const std::string& lock_id, const std::string& vin,
                                 const std::vector<std::string>& id_tags,
                                 const std::vector<std::string>& evcc_ids) {
  rapidjson::StringBuffer data;
  Writer w(data);
  w.StartObject();
  w.Key("lockId");
  w.String(lock_id);
  w.Key("vin");
  w.String(vin);
  string_array(w, "idTags", id_tags);
  string_array(w, "evccIds", evcc_ids);
  w.EndObject();
  return data_transfer(kLockVehicle, data.GetString());
}

std::string lock_vehicle_hashed_payload(const std::string& lock_id, const std::string& salt,
                                        const std::string& vin,
                                        const std::vector<std::string>& id_tags,
                                        const std::vector<std::string>& evcc_ids) {
  const auto hashed = [&salt](IdentifierKind kind, const std::vector<std::string>& values) {
    std::vector<std::string> out;
    for (const std::string& v : values) out.push_back(sha256_hex(salt + match_key(kind, v)));
    return out;
  };
  rapidjson::StringBuffer data;
  Writer w(data);
  w.StartObject();
  w.Key("lockId");
  w.String(lock_id);
  w.Key("match");
  w.String("sha256");
  w.Key("salt");
  w.String(salt);
  w.Key("vinHash");
  w.String(sha256_hex(salt + match_key(IdentifierKind::Vin, vin)));
  string_array(w, "idTagHashes", hashed(IdentifierKind::IdTag, id_tags));
  string_array(w, "evccIdHashes", hashed(IdentifierKind::EvccId, evcc_ids));
  w.EndObject();
  return data_transfer(kLockVehicle, data.GetString());
}

std::optional<bool> parse_hashed_matching(const std::string& data) {
  rapidjson::Document doc;
  if (!parse_object(data, doc)) return std::nullopt;
  const auto match = doc.FindMember("match");
  if (match == doc.MemberEnd() || !match->value.IsArray()) return std::nullopt;
  bool sha256 = false;
  for (const auto& item : match->value.GetArray()) {
    if (!item.IsString()) return std::nullopt;
    if (std::string(item.GetString(), item.GetStringLength()) == "sha256") sha256 = true;
  }
  return sha256;
}

std::string unlock_vehicle_payload(const std::string& lock_id) {
  rapidjson::StringBuffer data;
  Writer w(data);
  w.StartObject();
  w.Key("lockId");
  w.String(lock_id);
  w.EndObject();
  return data_transfer(kUnlockVehicle, data.GetString());
}

std::string unlock_connector_payload(int connector_id) {
  return ObjectWriter().add("connectorId", connector_id).str();
}

std::optional<VehicleLocked> parse_vehicle_locked(const std::string& data, std::string* error) {
  auto fail = [error](const char* why) -> std::optional<VehicleLocked> {
    if (error) *error = why;
    return std::nullopt;
  };
  rapidjson::Document doc;
  if (!parse_object(data, doc)) return fail("data is not a JSON object");
  VehicleLocked out;
  auto lock_id = doc.FindMember("lockId");
  if (lock_id == doc.MemberEnd() || !lock_id->value.IsString() ||
      lock_id->value.GetStringLength() == 0)
    return fail("lockId: a non-empty string is required");
  out.lock_id = lock_id->value.GetString();
  auto connector = doc.FindMember("connectorId");
  if (connector == doc.MemberEnd() || !connector->value.IsInt() || connector->value.GetInt() < 1)
    return fail("connectorId: an integer of at least 1 is required");
  out.connector_id = connector->value.GetInt();
  for (const char* kind : {"idTag", "evccId", "vin"}) {
    auto member = doc.FindMember(kind);
    if (member == doc.MemberEnd()) continue;
    if (!member->value.IsString() || member->value.GetStringLength() == 0)
      return fail("idTag/evccId/vin: must be a non-empty string");
    out.matched_kind = kind;
    out.matched_value = member->value.GetString();
    break;
  }
  if (out.matched_kind.empty()) return fail("the matched idTag, evccId or vin is missing");
  if (auto held = doc.FindMember("held"); held != doc.MemberEnd()) {
    if (!held->value.IsBool()) return fail("held: must be a boolean");
    out.held = held->value.GetBool();
  }
  return out;
}

std::optional<std::string> status_of(const std::string& json) {
  return string_member(json, "status");
}

std::optional<std::string> string_member(const std::string& json, const char* name) {
  rapidjson::Document doc;
  if (!parse_object(json, doc)) return std::nullopt;
  auto member = doc.FindMember(name);
  if (member == doc.MemberEnd() || !member->value.IsString()) return std::nullopt;
  return std::string(member->value.GetString(), member->value.GetStringLength());
}

std::optional<std::int64_t> int_member(const std::string& json, const char* name) {
  rapidjson::Document doc;
  if (!parse_object(json, doc)) return std::nullopt;
  auto member = doc.FindMember(name);
  if (member == doc.MemberEnd() || !member->value.IsInt64()) return std::nullopt;
  return member->value.GetInt64();
}

ObjectWriter& ObjectWriter::add(const char* name, const std::string& value) {
  writer_.field(name, value);
  return *this;
}

ObjectWriter& ObjectWriter::add(const char* name, const char* value) {
  writer_.field(name, value);
  return *this;
}

ObjectWriter& ObjectWriter::add(const char* name, std::int64_t value) {
  writer_.field(name, value);
  return *this;
}

ObjectWriter& ObjectWriter::add(const char* name, double value) {
  writer_.field(name, value);
  return *this;
}

ObjectWriter& ObjectWriter::add(const char* name, bool value) {
  writer_.field(name, value);
  return *this;
}

ObjectWriter& ObjectWriter::add_null(const char* name) {
  writer_.null_field(name);
  return *this;
}

ObjectWriter& ObjectWriter::add(const char* name, const std::optional<GeoLocation>& location) {
  if (!location) return add_null(name);
  writer_.key(name).begin_object();
  writer_.field("lat", location->latitude).field("lon", location->longitude).end_object();
  return *this;
}

ObjectWriter& ObjectWriter::add_raw(const char* name, const std::string& json) {
  writer_.raw_json(name, json);
  return *this;
}

std::string ObjectWriter::str() {
  if (!closed_) writer_.end_object();
  closed_ = true;
  return writer_.str();
}

}  // namespace chargelock::core::lock_codec
