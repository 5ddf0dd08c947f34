#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>
#include <vector>

#include "app/config.h"

using chargelock::app::ConfigError;
using chargelock::app::parse_config;

namespace {

chargelock::app::ParseResult parse(std::vector<const char*> args) {
  args.insert(args.begin(), "chargelock");
  return parse_config(static_cast<int>(args.size()), args.data());
}

// Sets an environment variable for the scope of one test.
struct ScopedEnv {
  ScopedEnv(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~ScopedEnv() { ::unsetenv(name_); }
  const char* name_;
};

}  // namespace

TEST_CASE("defaults follow the specification") {
  const auto result = parse({});
  CHECK(result.config.command == "serve");
  CHECK(result.config.ocpp_listen.host == "0.0.0.0");
  CHECK(result.config.ocpp_listen.port == 8180);
  CHECK(result.config.api_listen.port == 8080);
  CHECK_FALSE(result.config.ocpp_tls_listen.has_value());
  CHECK(result.config.call_timeout_s == 30);
}

TEST_CASE("a flag wins over its environment variable") {
  ScopedEnv env("CHARGELOCK_OCPP_LISTEN", "127.0.0.1:9000");
  CHECK(parse({}).config.ocpp_listen.port == 9000);
  const auto result = parse({"--ocpp-listen", "127.0.0.1:9001"});
  CHECK(result.config.ocpp_listen.port == 9001);
  CHECK(parse({"--ocpp-listen=[::1]:9002"}).config.ocpp_listen.host == "::1");
}

TEST_CASE("commands are recognised and unknown ones refused") {
  CHECK(parse({"ocpp"}).config.command == "ocpp");
  CHECK(parse({"api"}).config.command == "api");
  const auto add = parse({"chargepoint", "add", "CP1", "--password", "secret"});
  CHECK(add.config.command == "chargepoint");
  CHECK(add.config.arguments == std::vector<std::string>{"add", "CP1", "--password", "secret"});
  CHECK_THROWS_AS(parse({"frobnicate"}), ConfigError);
}

TEST_CASE("wrong settings are refused with the setting's name") {
  CHECK_THROWS_WITH(parse({"--ocpp-listen", "nohostport"}), Catch::Contains("--ocpp-listen"));
  CHECK_THROWS_WITH(parse({"--ocpp-listen", "h:99999"}), Catch::Contains("port"));
  CHECK_THROWS_WITH(parse({"--workers", "0"}), Catch::Contains("--workers"));
  CHECK_THROWS_WITH(parse({"--bogus"}), Catch::Contains("--bogus"));
  CHECK_THROWS_WITH(parse({"--ocpp-tls-listen", ":8443"}), Catch::Contains("--tls-cert"));
  CHECK_THROWS_WITH(
      parse({"--ocpp-tls-listen", ":8443", "--tls-cert", "/nonexistent.pem", "--tls-key", "/x"}),
      Catch::Contains("cannot read"));
  CHECK_THROWS_WITH(parse({"--database-url"}), Catch::Contains("needs a value"));
}

TEST_CASE("help lists every environment variable of the specification") {
  const std::string text = chargelock::app::usage();
  for (const char* name :
       {"CHARGELOCK_DATABASE_URL", "CHARGELOCK_OCPP_LISTEN", "CHARGELOCK_OCPP_TLS_LISTEN",
        "CHARGELOCK_TLS_CERT", "CHARGELOCK_TLS_KEY", "CHARGELOCK_TLS_CA", "CHARGELOCK_API_LISTEN",
        "CHARGELOCK_ADMIN_TOKEN"}) {
    CHECK(text.find(name) != std::string::npos);
  }
}

TEST_CASE("hardening settings: safe by default, each from its flag or CHARGELOCK_ variable") {
  const auto defaults = parse({}).config;
  CHECK(defaults.api_max_body_bytes == 1024 * 1024);
  CHECK_FALSE(defaults.webhook_allow_private);
  CHECK_FALSE(defaults.allow_unauthenticated_piles);

  CHECK(parse({"--api-max-body", "2048"}).config.api_max_body_bytes == 2048);
  CHECK_THROWS_AS(parse({"--api-max-body", "12"}), ConfigError);  // below 1 KiB
  CHECK_THROWS_AS(parse({"--api-max-body", "1MiB"}), ConfigError);
  CHECK(parse({"--webhook-allow-private"}).config.webhook_allow_private);
  CHECK(parse({"--allow-unauthenticated-piles"}).config.allow_unauthenticated_piles);
  {
    ScopedEnv body("CHARGELOCK_API_MAX_BODY", "4096");
    ScopedEnv webhooks("CHARGELOCK_WEBHOOK_ALLOW_PRIVATE", "1");
    ScopedEnv piles("CHARGELOCK_ALLOW_UNAUTHENTICATED_PILES", "true");
    const auto from_env = parse({}).config;
    CHECK(from_env.api_max_body_bytes == 4096);
    CHECK(from_env.webhook_allow_private);
    CHECK(from_env.allow_unauthenticated_piles);
  }
  ScopedEnv off("CHARGELOCK_WEBHOOK_ALLOW_PRIVATE", "0");
  CHECK_FALSE(parse({}).config.webhook_allow_private);
}

TEST_CASE("the message log retention: 0 (keep everything) by default, days, negative refused") {
  CHECK(parse({}).config.message_log_retention_days == 0);
  CHECK(parse({"--message-log-retention-days", "30"}).config.message_log_retention_days == 30);
  {
    ScopedEnv env("CHARGELOCK_MESSAGE_LOG_RETENTION_DAYS", "7");
    CHECK(parse({}).config.message_log_retention_days == 7);
  }
  CHECK_THROWS_WITH(parse({"--message-log-retention-days", "-1"}),
                    Catch::Contains("--message-log-retention-days"));
}

TEST_CASE("the meter values retention: 0 (keep everything) by default, apart from the log's") {
  CHECK(parse({}).config.meter_values_retention_days == 0);
  const auto both =
      parse({"--message-log-retention-days", "7", "--meter-values-retention-days", "400"}).config;
  CHECK(both.message_log_retention_days == 7);
  CHECK(both.meter_values_retention_days == 400);
  {
    ScopedEnv env("CHARGELOCK_METER_VALUES_RETENTION_DAYS", "90");
    CHECK(parse({}).config.meter_values_retention_days == 90);
    CHECK(parse({}).config.message_log_retention_days == 0);
  }
  CHECK_THROWS_WITH(parse({"--meter-values-retention-days", "-1"}),
                    Catch::Contains("--meter-values-retention-days"));
}

TEST_CASE("the memory trim interval: 60 s by default, 0 turns it off, negative refused") {
  CHECK(parse({}).config.memory_trim_interval_s == 60);
  CHECK(parse({"--memory-trim-interval", "0"}).config.memory_trim_interval_s == 0);
  {
    ScopedEnv env("CHARGELOCK_MEMORY_TRIM_INTERVAL", "5");
    CHECK(parse({}).config.memory_trim_interval_s == 5);
  }
  CHECK_THROWS_WITH(parse({"--memory-trim-interval", "-1"}),
                    Catch::Contains("--memory-trim-interval"));
}

TEST_CASE("the latency priorities: unchanged by default, from a flag or its variable, bounded") {
  const auto defaults = parse({}).config;
  CHECK(defaults.autogroup_nice == 0);
  CHECK(defaults.loop_realtime_priority == 0);
  const auto set = parse({"--autogroup-nice", "-10", "--loop-realtime-priority", "1"}).config;
  CHECK(set.autogroup_nice == -10);
  CHECK(set.loop_realtime_priority == 1);
  {
    ScopedEnv nice("CHARGELOCK_AUTOGROUP_NICE", "-5");
    ScopedEnv realtime("CHARGELOCK_LOOP_REALTIME_PRIORITY", "3");
    CHECK(parse({}).config.autogroup_nice == -5);
    CHECK(parse({}).config.loop_realtime_priority == 3);
  }
  CHECK_THROWS_WITH(parse({"--autogroup-nice", "-21"}), Catch::Contains("--autogroup-nice"));
  CHECK_THROWS_WITH(parse({"--autogroup-nice", "20"}), Catch::Contains("--autogroup-nice"));
  CHECK_THROWS_WITH(parse({"--loop-realtime-priority", "11"}),
                    Catch::Contains("--loop-realtime-priority"));
  CHECK_THROWS_WITH(parse({"--loop-realtime-priority", "-1"}),
                    Catch::Contains("--loop-realtime-priority"));
  CHECK_THROWS_WITH(parse({"--loop-realtime-priority", "high"}),
                    Catch::Contains("--loop-realtime-priority"));
}
