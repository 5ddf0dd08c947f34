#include "ocpp/messages/json_fields.h"

#include "ocpp/rpc/action_handler.h"

namespace chargelock::ocpp::messages {

namespace {
const rapidjson::Value* member(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) throw CallFailure(ErrorCode::FormationViolation, "payload is no object");
  const auto it = object.FindMember(name);
  if (it == object.MemberEnd() || it->value.IsNull()) return nullptr;
  return &it->value;
}
}  // namespace

std::string required_string(const rapidjson::Value& object, const char* name) {
  auto value = optional_string(object, name);
  if (!value)
    throw CallFailure(ErrorCode::OccurenceConstraintViolation,
                      std::string("missing required field ") + name);
  return *value;
}

std::optional<std::string> optional_string(const rapidjson::Value& object, const char* name) {
  const rapidjson::Value* v = member(object, name);
  if (!v) return std::nullopt;
  if (!v->IsString())
    throw CallFailure(ErrorCode::TypeConstraintViolation, std::string(name) + " must be a string");
  return std::string(v->GetString(), v->GetStringLength());
}

int required_int(const rapidjson::Value& object, const char* name) {
  auto value = optional_int(object, name);
  if (!value)
    throw CallFailure(ErrorCode::OccurenceConstraintViolation,
                      std::string("missing required field ") + name);
  return *value;
}

std::optional<int> optional_int(const rapidjson::Value& object, const char* name) {
  const rapidjson::Value* v = member(object, name);
  if (!v) return std::nullopt;
  if (!v->IsInt())
    throw CallFailure(ErrorCode::TypeConstraintViolation,
                      std::string(name) + " must be a 32-bit integer");
  return v->GetInt();
}

core::Timestamp required_time(const rapidjson::Value& object, const char* name) {
  const std::string text = required_string(object, name);
  // The schema check has already applied the pile's rule for a missing
  // offset (--assume-utc-timestamps); what passed it is read as UTC.
  const auto t = core::parse_rfc3339(text, core::MissingOffset::AssumeUtc);
  if (!t)
    throw CallFailure(ErrorCode::TypeConstraintViolation,
                      std::string(name) + " must be an RFC 3339 date-time");
  return *t;
}

void begin_object(rapidjson::Document& response) { response.SetObject(); }

void add_string(rapidjson::Document& response, rapidjson::Value& object, const char* name,
                const std::string& value) {
  auto& allocator = response.GetAllocator();
  object.AddMember(rapidjson::Value(name, allocator), rapidjson::Value(value, allocator),
                   allocator);
}

void add_int(rapidjson::Document& response, rapidjson::Value& object, const char* name, int value) {
  auto& allocator = response.GetAllocator();
  object.AddMember(rapidjson::Value(name, allocator), rapidjson::Value(value), allocator);
}

void add_id_tag_info(rapidjson::Document& response, rapidjson::Value& object,
                     const core::IdTagInfo& info) {
  rapidjson::Value tag_info(rapidjson::kObjectType);
  add_string(response, tag_info, "status", core::to_string(info.status));
  if (info.expiry_date)
    add_string(response, tag_info, "expiryDate", core::format_rfc3339(*info.expiry_date));
  if (info.parent_id_tag) add_string(response, tag_info, "parentIdTag", *info.parent_id_tag);
  object.AddMember("idTagInfo", tag_info, response.GetAllocator());
}

}  // namespace chargelock::ocpp::messages
