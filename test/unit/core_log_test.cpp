// The log's JSON lines (core/log, --log-format json): one object per line
// with the fields a log shipper filters on, strings escaped.
#include <rapidjson/document.h>

#include <catch2/catch.hpp>

#include "core/log.h"

using namespace chargelock::core;

TEST_CASE("a JSON log line is one object with time, level, node, ids, event and message") {
  const std::string line = log_json_line(
      "2026-11-27T12:00:00.000Z", LogLevel::Warn, "node-a:8180", "unknown_answer_dropped",
      "[ocpp] CP-1: dropping \"CALLRESULT\"\twith id 7", {"CP-1", "7"});
  REQUIRE(line.back() == '\n');
  CHECK(line.find('\n') == line.size() - 1);  // one line: the tab and quotes are escaped
  rapidjson::Document json;
  json.Parse(line.c_str());
  REQUIRE(json.IsObject());
  CHECK(std::string(json["time"].GetString()) == "2026-11-27T12:00:00.000Z");
  CHECK(std::string(json["level"].GetString()) == "warn");
  CHECK(std::string(json["node"].GetString()) == "node-a:8180");
  CHECK(std::string(json["chargePointId"].GetString()) == "CP-1");
  CHECK(std::string(json["messageId"].GetString()) == "7");
  CHECK(std::string(json["event"].GetString()) == "unknown_answer_dropped");
  CHECK(std::string(json["message"].GetString()) ==
        "[ocpp] CP-1: dropping \"CALLRESULT\"\twith id 7");
}

TEST_CASE("a JSON log line leaves out the ids an event does not concern") {
  rapidjson::Document json;
  json.Parse(log_json_line("t", LogLevel::Info, "n", "listening",
                           "chargelock: api listening on "
                           "127.0.0.1:1\n",
                           {})
                 .c_str());
  REQUIRE(json.IsObject());
  CHECK_FALSE(json.HasMember("chargePointId"));
  CHECK_FALSE(json.HasMember("messageId"));
  CHECK(std::string(json["message"].GetString()) == "chargelock: api listening on 127.0.0.1:1");
}

TEST_CASE("log levels and formats read back from their text") {
  LogLevel level = LogLevel::Info;
  CHECK(parse_log_level("debug", level));
  CHECK(level == LogLevel::Debug);
  CHECK_FALSE(parse_log_level("verbose", level));
  LogFormat format = LogFormat::Text;
  CHECK(parse_log_format("json", format));
  CHECK(format == LogFormat::Json);
  CHECK_FALSE(parse_log_format("xml", format));
}
