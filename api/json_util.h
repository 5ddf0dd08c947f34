// JSON in and out for the REST API (RapidJSON): parsing request bodies with
// errors that name the failing field, and a writer for responses.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/json_writer.h"
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

// A response body under construction: base's one JSON writer.
using JsonOut = base::JsonWriter;

std::string error_body(const std::string& message);

// The paging cursor `key`: the last item's cursor_of(item) when a full page
// (`limit` items) came back, else null (there is no further page).
template <typename Item, typename CursorOf>
void write_page_cursor(JsonOut& out, const char* key, const std::vector<Item>& page,
                       std::size_t limit, const CursorOf& cursor_of) {
  if (!page.empty() && page.size() == limit)
    out.field(key, cursor_of(page.back()));
  else
    out.null_field(key);
}

// {"lat":…,"lon":…} or null under `key`.
void write_location(JsonOut& out, const char* key, const std::optional<core::GeoLocation>& at);

}  // namespace chargelock::api
