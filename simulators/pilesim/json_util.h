// Small, forgiving accessors over RapidJSON values, so that the
// charge point logic never trips RapidJSON's asserts on a missing member or a
// wrong type (a central system may send anything).
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace chargelock::pilesim::json {

// The member `key` of `object`, or nullptr when `object` is not an object or
// has no such member.
const rapidjson::Value* member(const rapidjson::Value& object, const char* key);

// The string member `key`; nullopt when absent or not a string.
std::optional<std::string> string(const rapidjson::Value& object, const char* key);
// The integer member `key`; nullopt when absent or not an integer.
std::optional<std::int64_t> integer(const rapidjson::Value& object, const char* key);
// The number member `key` (integer or not); nullopt when absent.
std::optional<double> number(const rapidjson::Value& object, const char* key);
// The strings of the array member `key`; non-strings are skipped, an absent
// member gives an empty list.
std::vector<std::string> strings(const rapidjson::Value& object, const char* key);

// Compact JSON text of a value.
std::string to_text(const rapidjson::Value& value);

}  // namespace chargelock::pilesim::json
