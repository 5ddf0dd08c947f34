// JSON in and out for the REST API (RapidJSON): parsing request bodies with
// errors that name the failing field, and a writer for responses.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/charge_point_service.h"
#include "core/timestamp.h"

namespace chargelock::api {

// The body as a JSON object; ApiError 400 for an empty body, malformed JSON
// or another JSON type.
rapidjson::Document parse_object(const std::string& body);

// Field readers: nothing when absent; ApiError 400 naming the field when the
// type is wrong. A JSON null counts as absent (see is_null to tell).
std::optional<std::string> string_field(const rapidjson::Value& object, const char* name);
std::string required_string(const rapidjson::Value& object, const char* name);
std::optional<std::int64_t> integer_field(const rapidjson::Value& object, const char* name);
std::optional<double> number_field(const rapidjson::Value& object, const char* name);
std::optional<core::Timestamp> time_field(const rapidjson::Value& object, const char* name);
const rapidjson::Value* object_field(const rapidjson::Value& object, const char* name);
bool is_null(const rapidjson::Value& object, const char* name);
// ApiError 400 for any member not in `allowed` (a null-terminated list).
void reject_unknown_fields(const rapidjson::Value& object, const char* const* allowed);

// Query parameters.
std::optional<std::int64_t> parse_integer(const std::string& text);

// A response body under construction.
class JsonOut {
 public:
  JsonOut() : writer_(buffer_) {}
  rapidjson::Writer<rapidjson::StringBuffer>& w() { return writer_; }

  JsonOut& begin_object() {
    writer_.StartObject();
    return *this;
  }
  JsonOut& end_object() {
    writer_.EndObject();
    return *this;
  }
  JsonOut& begin_array(const char* key) {
    writer_.Key(key);
    writer_.StartArray();
    return *this;
  }
  JsonOut& end_array() {
    writer_.EndArray();
    return *this;
  }
  JsonOut& key(const char* key) {
    writer_.Key(key);
    return *this;
  }

  JsonOut& field(const char* key, const std::string& value);
  JsonOut& field(const char* key, const char* value);
  JsonOut& field(const char* key, std::int64_t value);
  JsonOut& field(const char* key, int value) {
    return field(key, static_cast<std::int64_t>(value));
  }
  JsonOut& field(const char* key, double value);
  JsonOut& field(const char* key, bool value);
  JsonOut& field(const char* key, core::Timestamp value);  // RFC 3339
  JsonOut& null_field(const char* key);
  template <typename T>
  JsonOut& optional(const char* key, const std::optional<T>& value) {
    if (value) return field(key, *value);
    return null_field(key);
  }
  // Embeds JSON text as a value (a string when it does not parse).
  JsonOut& raw_json(const char* key, const std::string& json_text);

  std::string str() const { return buffer_.GetString(); }

 private:
  rapidjson::StringBuffer buffer_;
  rapidjson::Writer<rapidjson::StringBuffer> writer_;
};

std::string error_body(const std::string& message);

// {"lat":…,"lon":…} or null under `key`.
void write_location(JsonOut& out, const char* key, const std::optional<core::GeoLocation>& at);
// An array of strings under `key`.
void write_strings(JsonOut& out, const char* key, const std::vector<std::string>& values);

}  // namespace chargelock::api
