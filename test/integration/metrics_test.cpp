// GET /metrics on a running `chargelock serve`: the API listener answers
// operator tokens only, --metrics-listen answers without one, and the
// figures move with real OCPP traffic (a pile connecting, its CALLs, a
// CALLERROR, a command through the queue, the pile leaving).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>

#include "test/support/api_fixture.h"
#include "test/support/eventually.h"
#include "test/support/ocpp_test_pile.h"

using namespace chargelock;
using namespace chargelock::test;
using namespace std::chrono_literals;

namespace {

// The value of one sample ("name{labels}" exactly as exposed), or -1 when absent.
double sample(const std::string& text, const std::string& series) {
  const std::string prefix = series + " ";
  std::size_t at = 0;
  while ((at = text.find(prefix, at)) != std::string::npos) {
    if (at == 0 || text[at - 1] == '\n')
      return std::strtod(text.c_str() + at + prefix.size(), nullptr);
    at += prefix.size();
  }
  return -1;
}

std::string scrape(int port) {
  HttpTestClient client(port);
  const HttpResult result = client.get("/metrics");
  REQUIRE(result.status == 200);
  CHECK(result.header("content-type") == "text/plain; version=0.0.4; charset=utf-8");
  return result.body;
}

// Scrapes until `series` has `value` (the workers and the loop update the
// counters a moment after the answer left).
std::string await_sample(int port, const std::string& series, double value) {
  std::string text;
  if (eventually(
          [&] {
            text = scrape(port);
            return sample(text, series) == value;
          },
          5s, 50ms))
    return text;
  INFO(text);
  FAIL(series << " never became " << value << " (last " << sample(text, series) << ")");
  return text;
}

}  // namespace

TEST_CASE(
    "metrics: the API answers operators only, --metrics-listen anyone, and counters move with OCPP "
    "traffic") {
  ApiFixture api("serve", {"--metrics-listen", "127.0.0.1:0"});
  const int metrics_port = api.server->port("metrics");
  auto admin = api.admin();

  // On the API listener: a bearer token of the operator role.
  CHECK(api.client()->get("/metrics").status == 401);
  const std::string owner = api.new_owner_token("Olga");
  CHECK(api.client(owner)->get("/metrics").status == 403);
  const HttpResult by_operator = admin->get("/metrics");
  REQUIRE(by_operator.status == 200);
  CHECK(by_operator.header("content-type") == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(by_operator.body.find("# TYPE chargelock_ocpp_frames_total counter") != std::string::npos);
  // The separate listener serves only /metrics.
  CHECK(HttpTestClient(metrics_port).get("/api/v1/chargepoints").status == 404);

  const std::string before = scrape(metrics_port);
  for (const char* family :
       {"chargelock_ocpp_connected_piles", "chargelock_ocpp_frames_total",
        "chargelock_ocpp_callerrors_total", "chargelock_ocpp_handler_seconds",
        "chargelock_group_commit_size", "chargelock_group_commit_seconds",
        "chargelock_database_errors_total", "chargelock_database_reconnects_total",
        "chargelock_command_queue_depth", "chargelock_lock_fanout_seconds",
        "chargelock_api_sse_streams", "chargelock_webhook_deliveries_total"}) {
    INFO(family);
    CHECK(before.find(std::string("# TYPE ") + family + " ") != std::string::npos);
  }
  // Every metric the Grafana dashboard plots is one the server exposes.
  std::ifstream dashboard_file(std::string(CHARGELOCK_SOURCE_DIR) +
                               "/deploy/grafana/chargelock.json");
  const std::string dashboard((std::istreambuf_iterator<char>(dashboard_file)),
                              std::istreambuf_iterator<char>());
  REQUIRE_FALSE(dashboard.empty());
  const std::regex metric_name("chargelock_[a-z_]+");
  std::set<std::string> plotted;
  for (auto it = std::sregex_iterator(dashboard.begin(), dashboard.end(), metric_name);
       it != std::sregex_iterator(); ++it) {
    std::string name = it->str();
    for (const char* suffix : {"_bucket", "_sum", "_count"})
      if (name.size() > std::strlen(suffix) &&
          name.compare(name.size() - std::strlen(suffix), std::string::npos, suffix) == 0 &&
          before.find("# TYPE " + name + " ") == std::string::npos)
        name.erase(name.size() - std::strlen(suffix));
    plotted.insert(name);
  }
  CHECK(plotted.size() >= 12);
  for (const std::string& name : plotted) {
    INFO("the dashboard plots " << name);
    CHECK(before.find("# TYPE " + name + " ") != std::string::npos);
  }

  CHECK(sample(before, "chargelock_ocpp_connected_piles{security_profile=\"1\"}") == 0);
  CHECK(sample(before,
               "chargelock_ocpp_frames_total{direction=\"in\",action=\"BootNotification\"}") == 0);
  CHECK(sample(before, "chargelock_command_queue_depth{status=\"sent\"}") == 0);
  CHECK(sample(before, "chargelock_database_connections_opened_total") >= 1);

  REQUIRE(admin->post("/api/v1/chargepoints", R"({"id":"CP-MET","password":"pile-secret-123456"})")
              .status == 201);
  WsClientOptions options;
  options.basic_user = "CP-MET";
  options.basic_password = "pile-secret-123456";
  OcppTestPile pile("CP-MET");
  const std::string url = fmt::format("ws://127.0.0.1:{}", api.server->port("ocpp ws"));
  // The node re-reads its directory every 5 s.
  const bool connected =
      eventually([&] { return pile.connect(url, options).connected; }, 15s, 250ms);
  REQUIRE(connected);
  await_sample(metrics_port, "chargelock_ocpp_connected_piles{security_profile=\"1\"}", 1);

  pile.call_ok("BootNotification", R"({"chargePointVendor":"V","chargePointModel":"M"})");
  pile.call_ok("Heartbeat", "{}");
  pile.call_ok("Heartbeat", "{}");
  auto refused = pile.call("NoSuchAction", "{}");
  REQUIRE(refused[0].GetInt() == 4);

  std::string after = await_sample(
      metrics_port, "chargelock_ocpp_frames_total{direction=\"in\",action=\"Heartbeat\"}", 2);
  CHECK(sample(after,
               "chargelock_ocpp_frames_total{direction=\"in\",action=\"BootNotification\"}") == 1);
  CHECK(sample(after,
               "chargelock_ocpp_frames_total{direction=\"out\",action=\"BootNotification\"}") == 1);
  CHECK(sample(after, "chargelock_ocpp_frames_total{direction=\"out\",action=\"Heartbeat\"}") == 2);
  CHECK(sample(after, "chargelock_ocpp_frames_total{direction=\"in\",action=\"other\"}") == 1);
  CHECK(sample(after,
               "chargelock_ocpp_callerrors_total{direction=\"sent\",code=\"NotImplemented\"}") ==
        1);
  // The handler's latency per action: one BootNotification, two Heartbeats.
  CHECK(sample(after, "chargelock_ocpp_handler_seconds_count{action=\"BootNotification\"}") == 1);
  CHECK(sample(after, "chargelock_ocpp_handler_seconds_count{action=\"Heartbeat\"}") == 2);

  // A command through the queue: sent and waiting for the pile's answer, then done.
  REQUIRE(admin
              ->post("/api/v1/chargepoints/CP-MET/commands",
                     R"({"action":"GetConfiguration","payload":{}})")
              .status == 202);
  auto call = pile.client().receive(10s);
  REQUIRE(call);
  rapidjson::Document frame;
  frame.Parse(call->c_str());
  REQUIRE(frame.IsArray());
  await_sample(metrics_port, "chargelock_command_queue_depth{status=\"sent\"}", 1);
  REQUIRE(pile.client().send_text(std::string("[3,\"") + frame[1].GetString() +
                                  "\",{\"configurationKey\":[]}]"));
  after = await_sample(metrics_port, "chargelock_command_queue_depth{status=\"sent\"}", 0);
  CHECK(sample(after,
               "chargelock_ocpp_frames_total{direction=\"out\",action=\"GetConfiguration\"}") == 1);
  CHECK(sample(after,
               "chargelock_ocpp_frames_total{direction=\"in\",action=\"GetConfiguration\"}") == 1);

  pile.client().close();
  await_sample(metrics_port, "chargelock_ocpp_connected_piles{security_profile=\"1\"}", 0);
}

TEST_CASE("metrics: API requests are timed by method and counted by status class") {
  ApiFixture api("serve", {"--metrics-listen", "127.0.0.1:0"});
  const int metrics_port = api.server->port("metrics");
  auto admin = api.admin();
  const std::string before = scrape(metrics_port);
  CHECK(before.find("# TYPE chargelock_api_request_seconds histogram") != std::string::npos);
  CHECK(before.find("# TYPE chargelock_api_responses_total counter") != std::string::npos);
  const double gets = sample(before, "chargelock_api_request_seconds_count{method=\"GET\"}");
  const double posts =
      std::max(0.0, sample(before, "chargelock_api_request_seconds_count{method=\"POST\"}"));
  const double ok = sample(before, "chargelock_api_responses_total{class=\"2xx\"}");
  const double refused = sample(before, "chargelock_api_responses_total{class=\"4xx\"}");
  REQUIRE(gets >= 0);

  for (int i = 0; i < 3; ++i) CHECK(api.client()->get("/api/v1/chargepoints").status == 401);
  for (int i = 0; i < 2; ++i) CHECK(admin->get("/api/v1/chargepoints").status == 200);
  CHECK(admin->post("/api/v1/chargepoints", "not json").status == 400);

  // Recorded once the answer's last byte is written: the client may read it
  // a moment before. The POST came last (the loop records in order).
  const std::string after = await_sample(
      metrics_port, "chargelock_api_request_seconds_count{method=\"POST\"}", posts + 1);
  CHECK(sample(after, "chargelock_api_request_seconds_count{method=\"GET\"}") == gets + 5);
  CHECK(sample(after, "chargelock_api_responses_total{class=\"2xx\"}") == ok + 2);
  CHECK(sample(after, "chargelock_api_responses_total{class=\"4xx\"}") == refused + 4);
  // Cumulative buckets end with +Inf = the count; the time spent is positive.
  CHECK(sample(after, "chargelock_api_request_seconds_bucket{method=\"GET\",le=\"+Inf\"}") ==
        gets + 5);
  CHECK(sample(after, "chargelock_api_request_seconds_sum{method=\"GET\"}") > 0);
  // The scrapes of the metrics listener are not API requests.
  CHECK(sample(scrape(metrics_port), "chargelock_api_request_seconds_count{method=\"GET\"}") ==
        gets + 5);
}
