#include "base/json_writer.h"

#include <rapidjson/document.h>

#include <cmath>

#include "base/json_nesting.h"

namespace chargelock::base {

JsonWriter& JsonWriter::field(const char* key, std::string_view value) {
  writer_.Key(key);
  return string(value);
}

JsonWriter& JsonWriter::field(const char* key, std::int64_t value) {
  writer_.Key(key);
  writer_.Int64(value);
  return *this;
}

JsonWriter& JsonWriter::field(const char* key, double value) {
  writer_.Key(key);
  if (std::isfinite(value)) {
    writer_.Double(value);
  } else {
    writer_.Null();  // JSON has no NaN or infinity; RapidJSON would write nothing
  }
  return *this;
}

JsonWriter& JsonWriter::field(const char* key, bool value) {
  writer_.Key(key);
  writer_.Bool(value);
  return *this;
}

JsonWriter& JsonWriter::field(const char* key, Timestamp value) {
  return field(key, format_rfc3339(value));
}

JsonWriter& JsonWriter::null_field(const char* key) {
  writer_.Key(key);
  writer_.Null();
  return *this;
}

JsonWriter& JsonWriter::strings(const char* key, const std::vector<std::string>& values) {
  begin_array(key);
  for (const auto& value : values) string(value);
  return end_array();
}

JsonWriter& JsonWriter::raw_json(const char* key, std::string_view json_text) {
  rapidjson::Document document;
  // No recursion, and nothing deeper than the limit reaches the (recursive)
  // writer.
  const bool parsed =
      !json_too_deep_at(json_text) &&
      !document.Parse<rapidjson::kParseIterativeFlag>(json_text.data(), json_text.size())
           .HasParseError();
  writer_.Key(key);
  if (parsed) {
    document.Accept(writer_);
  } else {
    string(json_text);
  }
  return *this;
}

}  // namespace chargelock::base
