// The one JSON text writer (RapidJSON's SAX writer underneath): REST
// responses, webhook and notification bodies, the lock's notification
// objects. One place decides escaping, numbers (a non-finite double is
// written as null) and times (RFC 3339, base/time.h).
//
// Threading: one writer per thread.
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/time.h"

namespace chargelock::base {

class JsonWriter {
 public:
  JsonWriter() : writer_(buffer_) {}
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  // The underlying writer, for what the members below do not cover.
  rapidjson::Writer<rapidjson::StringBuffer>& w() { return writer_; }

  JsonWriter& begin_object() {
    writer_.StartObject();
    return *this;
  }
  JsonWriter& end_object() {
    writer_.EndObject();
    return *this;
  }
  // An array member `key` (inside an object).
  JsonWriter& begin_array(const char* key) {
    writer_.Key(key);
    writer_.StartArray();
    return *this;
  }
  JsonWriter& end_array() {
    writer_.EndArray();
    return *this;
  }
  JsonWriter& key(const char* key) {
    writer_.Key(key);
    return *this;
  }
  // A string value (an array element).
  JsonWriter& string(std::string_view value) {
    writer_.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
    return *this;
  }

  JsonWriter& field(const char* key, std::string_view value);
  JsonWriter& field(const char* key, const std::string& value) {
    return field(key, std::string_view(value));
  }
  JsonWriter& field(const char* key, const char* value) {
    return field(key, std::string_view(value));
  }
  JsonWriter& field(const char* key, std::int64_t value);
  JsonWriter& field(const char* key, int value) {
    return field(key, static_cast<std::int64_t>(value));
  }
  JsonWriter& field(const char* key, double value);  // null when not finite
  JsonWriter& field(const char* key, bool value);
  JsonWriter& field(const char* key, Timestamp value);  // RFC 3339
  JsonWriter& null_field(const char* key);
  template <typename T>
  JsonWriter& optional(const char* key, const std::optional<T>& value) {
    if (value) return field(key, *value);
    return null_field(key);
  }
  // An array member of strings.
  JsonWriter& strings(const char* key, const std::vector<std::string>& values);
  // Embeds JSON text as a value: parsed first (iteratively, after the
  // nesting check of base/json_nesting.h, since such texts came from outside
  // once), written as a string when it is not JSON.
  JsonWriter& raw_json(const char* key, std::string_view json_text);

  // The text written so far (a complete document once every object and
  // array is closed).
  std::string str() const { return std::string(buffer_.GetString(), buffer_.GetSize()); }

 private:
  rapidjson::StringBuffer buffer_;
  rapidjson::Writer<rapidjson::StringBuffer> writer_;
};

}  // namespace chargelock::base
