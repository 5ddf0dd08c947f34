// base/json_writer.h (the one JSON text writer) and base/json_nesting.h
// (the nesting limit for JSON from outside).
#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>

#include "base/json_nesting.h"
#include "base/json_writer.h"

using namespace chargelock::base;

TEST_CASE("json writer: members in order, escaping, numbers, null for what JSON cannot hold") {
  JsonWriter out;
  out.begin_object()
      .field("s", std::string("quote \" backslash \\ newline \n tab \t nul ") + '\0' + "!")
      .field("c", "text")
      .field("i", std::int64_t{-9007199254740993})
      .field("n", 7)
      .field("d", 0.5)
      .field("nan", std::nan(""))
      .field("inf", std::numeric_limits<double>::infinity())
      .field("b", false)
      .null_field("z")
      .optional("some", std::optional<int>(1))
      .optional("none", std::optional<int>())
      .strings("list", {"a", "\xc3\xa9"})
      .end_object();
  CHECK(out.str() ==
        R"({"s":"quote \" backslash \\ newline \n tab \t nul \u0000!","c":"text",)"
        R"("i":-9007199254740993,"n":7,"d":0.5,"nan":null,"inf":null,"b":false,"z":null,)"
        R"("some":1,"none":null,"list":["a","é"]})");
  rapidjson::Document parsed;
  CHECK_FALSE(parsed.Parse(out.str().c_str(), out.str().size()).HasParseError());
}

TEST_CASE("json writer: times are RFC 3339 UTC") {
  JsonWriter out;
  out.begin_object().field("at", *parse_rfc3339("2024-05-01T14:00:00.250+02:00")).end_object();
  CHECK(out.str() == R"({"at":"2024-05-01T12:00:00.250Z"})");
}

TEST_CASE(
    "json writer: embedded JSON text is re-written, or kept as a string when it is not JSON") {
  JsonWriter out;
  out.begin_object()
      .raw_json("ok", R"({ "a" : [1, 2] })")
      .raw_json("broken", R"({"a":)")
      .raw_json("deep", std::string(100, '[') + std::string(100, ']'))
      .end_object();
  CHECK(out.str() == R"({"ok":{"a":[1,2]},"broken":"{\"a\":",)"
                     R"("deep":")" +
                         std::string(100, '[') + std::string(100, ']') + R"("})");
}

TEST_CASE("json nesting: the first bracket too deep, brackets in strings not counted") {
  CHECK_FALSE(json_too_deep_at("[[[]]]", 3));
  CHECK(json_too_deep_at("[[[[]]]]", 3) == std::size_t{3});
  CHECK_FALSE(json_too_deep_at(R"(["[[[[[[", {"k":"{{{{{"}])", 2));
  CHECK_FALSE(json_too_deep_at(R"(["\"[[[["])", 1));
  CHECK_FALSE(json_too_deep_at("", 1));
  CHECK(json_too_deep_at(std::string(kMaxJsonNesting + 1, '{')) ==
        std::size_t{static_cast<std::size_t>(kMaxJsonNesting)});
  CHECK_FALSE(json_too_deep_at(std::string(kMaxJsonNesting, '{')));
}
