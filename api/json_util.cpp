#include "api/json_util.h"

#include <rapidjson/error/en.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "api/api_error.h"
#include "base/json_nesting.h"

namespace chargelock::api {

namespace {

const rapidjson::Value* member(const rapidjson::Value& object, const char* name) {
  auto it = object.FindMember(name);
  if (it == object.MemberEnd() || it->value.IsNull()) return nullptr;
  return &it->value;
}

}  // namespace

rapidjson::Document parse_object(const std::string& body) {
  rapidjson::Document document;
  if (body.find_first_not_of(" \t\r\n") == std::string::npos)
    throw bad_request("request body must be a JSON object");
  // Refused before parsing: later consumers (schema validation, writers)
  // recurse (see base/json_nesting.h).
  if (base::json_too_deep_at(body))
    throw bad_request("JSON nested deeper than " + std::to_string(base::kMaxJsonNesting) +
                      " levels");
  // Trailing garbage, NaN/Infinity and invalid UTF-8 are errors; iterative
  // parsing keeps the stack flat whatever the input.
  document.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag>(
      body.data(), body.size());
  if (document.HasParseError()) {
    throw bad_request(std::string("malformed JSON at offset ") +
                      std::to_string(document.GetErrorOffset()) + ": " +
                      rapidjson::GetParseError_En(document.GetParseError()));
  }
  if (!document.IsObject()) throw bad_request("request body must be a JSON object");
  return document;
}

std::optional<std::string> string_field(const rapidjson::Value& object, const char* name) {
  const rapidjson::Value* value = member(object, name);
  if (value == nullptr) return std::nullopt;
  if (!value->IsString()) throw bad_request(std::string(name) + " must be a string");
  return std::string(value->GetString(), value->GetStringLength());
}

std::string required_string(const rapidjson::Value& object, const char* name) {
  auto value = string_field(object, name);
  if (!value) throw bad_request(std::string(name) + " is required");
  return *value;
}

std::optional<std::int64_t> integer_field(const rapidjson::Value& object, const char* name) {
  const rapidjson::Value* value = member(object, name);
  if (value == nullptr) return std::nullopt;
  if (!value->IsInt64()) throw bad_request(std::string(name) + " must be an integer");
  return value->GetInt64();
}

std::optional<double> number_field(const rapidjson::Value& object, const char* name) {
  const rapidjson::Value* value = member(object, name);
  if (value == nullptr) return std::nullopt;
  if (!value->IsNumber()) throw bad_request(std::string(name) + " must be a number");
  return value->GetDouble();
}

std::optional<core::Timestamp> time_field(const rapidjson::Value& object, const char* name) {
  auto text = string_field(object, name);
  if (!text) return std::nullopt;
  auto time = core::parse_rfc3339(*text);
  if (!time) throw bad_request(std::string(name) + " must be an RFC 3339 date-time");
  return time;
}

const rapidjson::Value* object_field(const rapidjson::Value& object, const char* name) {
  const rapidjson::Value* value = member(object, name);
  if (value == nullptr) return nullptr;
  if (!value->IsObject()) throw bad_request(std::string(name) + " must be an object");
  return value;
}

bool is_null(const rapidjson::Value& object, const char* name) {
  auto it = object.FindMember(name);
  return it != object.MemberEnd() && it->value.IsNull();
}

void reject_unknown_fields(const rapidjson::Value& object, const char* const* allowed) {
  for (auto it = object.MemberBegin(); it != object.MemberEnd(); ++it) {
    bool known = false;
    for (const char* const* name = allowed; *name != nullptr; ++name) {
      if (std::strcmp(*name, it->name.GetString()) == 0) {
        known = true;
        break;
      }
    }
    if (!known) throw bad_request(std::string("unknown field ") + it->name.GetString());
  }
}

std::optional<std::int64_t> parse_integer(const std::string& text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  for (char c : text)
    if (c < '0' || c > '9') return std::nullopt;
  errno = 0;
  const long long value = std::strtoll(text.c_str(), nullptr, 10);
  if (errno != 0) return std::nullopt;
  return value;
}

std::string error_body(const std::string& message) {
  JsonOut out;
  out.begin_object().field("error", message).end_object();
  return out.str();
}

void write_location(JsonOut& out, const char* key, const std::optional<core::GeoLocation>& at) {
  if (!at) {
    out.null_field(key);
    return;
  }
  out.key(key).begin_object().field("lat", at->latitude).field("lon", at->longitude).end_object();
}

}  // namespace chargelock::api
