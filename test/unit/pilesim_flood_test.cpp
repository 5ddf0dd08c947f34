// pilesim's round-trip load mode: the latency histogram and the flood
// scheduling (one outstanding CALL per pile, the measuring window), driven
// without sockets and with a fake clock.
#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "ocpp/rpc/frame.h"
#include "ocpp/schemas/schema_registry.h"
#include "simulators/pilesim/flood.h"
#include "simulators/pilesim/latency_histogram.h"
#include "simulators/pilesim/run_summary.h"
#include "test/unit/pilesim_fake_csms.h"

using namespace chargelock::pilesim;
using pilesim_test::Recorder;

namespace {

struct Sent {
  std::string message_id;
  std::string action;
};

// Reads one pile's outgoing frames; answers BootNotification (Accepted) and
// StatusNotification at once (the tests flood with other actions), returns
// the other CALLs unanswered.
std::vector<Sent> drain(ChargePoint& pile, std::int64_t now) {
  std::vector<Sent> out;
  for (int guard = 0; guard < 100 && pile.has_outgoing(); ++guard) {
    const std::string frame = pile.pop_outgoing();
    auto parsed = chargelock::ocpp::parse_frame(frame);
    REQUIRE(std::holds_alternative<chargelock::ocpp::Frame>(parsed));
    auto* call = std::get_if<chargelock::ocpp::Call>(&std::get<chargelock::ocpp::Frame>(parsed));
    REQUIRE(call != nullptr);
    if (call->action == "BootNotification") {
      pile.on_text(
          "[3,\"" + call->message_id +
              R"(",{"status":"Accepted","currentTime":"2023-11-14T22:13:20Z","interval":300}])",
          now);
    } else if (call->action == "StatusNotification") {
      pile.on_text("[3,\"" + call->message_id + "\",{}]", now);
    } else {
      out.push_back({call->message_id, call->action});
    }
  }
  return out;
}

struct Network {
  Stats stats;
  Recorder events;
  std::vector<ChargePoint> piles;
  std::int64_t now = 1700000000000;

  explicit Network(int count) {
    piles.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
      PileConfig config;
      config.id = "SIM-" + std::to_string(i + 1);
      piles.emplace_back(config, stats, events, 7u + static_cast<std::uint32_t>(i));
    }
  }
  void boot(std::size_t i) {
    ChargePoint& pile = piles[i];
    pile.power_on(now);
    REQUIRE(pile.take_connect_request());
    pile.on_connected(now);
    CHECK(drain(pile, now).empty());
    REQUIRE(pile.registration() == Registration::Accepted);
    REQUIRE(pile.idle());
  }
};

}  // namespace

TEST_CASE("pilesim flood: the histogram is exact below 64 us and within 1/64 above") {
  for (std::uint64_t v = 0; v < 64; ++v) {
    CHECK(LatencyHistogram::bucket_of(v) == v);
    CHECK(LatencyHistogram::bucket_upper(v) == v);
  }
  std::mt19937_64 rng(5);
  for (int i = 0; i < 20000; ++i) {
    const std::uint64_t v = rng() >> (rng() % 64);
    const std::size_t bucket = LatencyHistogram::bucket_of(v);
    REQUIRE(bucket < LatencyHistogram::kBuckets);
    const std::uint64_t upper = LatencyHistogram::bucket_upper(bucket);
    REQUIRE(upper >= v);
    REQUIRE(static_cast<double>(upper - v) <= static_cast<double>(v) / 64.0);
    if (bucket > 0) REQUIRE(LatencyHistogram::bucket_upper(bucket - 1) < v);
  }
  CHECK(LatencyHistogram::bucket_of(~std::uint64_t{0}) == LatencyHistogram::kBuckets - 1);
}

TEST_CASE("pilesim flood: percentiles, min, max and mean") {
  LatencyHistogram h;
  CHECK(h.count() == 0);
  CHECK(h.percentile(0.5) == 0);
  CHECK(h.max() == 0);
  for (int v = 1; v <= 10000; ++v) h.record(v * 10);  // 10 us … 100 ms
  CHECK(h.count() == 10000);
  CHECK(h.min() == 10);
  CHECK(h.max() == 100000);
  CHECK(h.mean() == Approx(50005.0));
  auto near = [](std::int64_t got, double want) {
    return static_cast<double>(got) >= want && static_cast<double>(got) <= want * (1 + 1.0 / 64);
  };
  CHECK(near(h.percentile(0.50), 50000));
  CHECK(near(h.percentile(0.99), 99000));
  CHECK(h.percentile(1.0) == 100000);  // never above the true maximum
  CHECK(h.percentile(0.00001) == 10);  // the smallest value
  h.record(-5);                        // a clock step backwards counts as 0
  CHECK(h.min() == 0);

  LatencyHistogram a;
  LatencyHistogram b;
  a.record(10);
  b.record(30);
  b.record(20);
  a.merge(b);
  CHECK(a.count() == 3);
  CHECK(a.min() == 10);
  CHECK(a.max() == 30);
  CHECK(a.percentile(0.5) == 20);  // exact below 64 us
}

TEST_CASE("pilesim flood: the calls of each kind are valid OCPP 1.6") {
  const auto& schemas = chargelock::ocpp::SchemaRegistry::ocpp16();
  for (FloodKind kind : {FloodKind::Heartbeat, FloodKind::Status, FloodKind::Meter}) {
    const FloodCall call = flood_call(kind, 3, 1700000000000, 8);
    rapidjson::Document payload;
    payload.Parse(call.payload.c_str());
    INFO(call.action << " " << call.payload);
    REQUIRE_FALSE(payload.HasParseError());
    CHECK_FALSE(schemas.validate_request(call.action, payload).has_value());
  }
  CHECK(flood_call(FloodKind::Heartbeat, 0, 0, 4).action == "Heartbeat");
  CHECK(flood_call(FloodKind::Status, 0, 0, 4).action == "StatusNotification");
  rapidjson::Document meter;
  meter.Parse(flood_call(FloodKind::Meter, 0, 1700000000000, 3).payload.c_str());
  CHECK(meter["meterValue"][0]["sampledValue"].Size() == 3);
  CHECK(parse_flood_kind("meter") == FloodKind::Meter);
  CHECK_FALSE(parse_flood_kind("MeterValues").has_value());
}

TEST_CASE("pilesim flood: one outstanding CALL per pile, the next one when answered") {
  Network net(3);
  net.boot(0);
  net.boot(1);  // pile 3 never connects
  std::int64_t clock = 1000000;
  FloodSettings settings;
  settings.kind = FloodKind::Heartbeat;
  settings.duration_s = 10;
  FloodDriver flood(settings, net.piles, [&] { return clock; });

  CHECK(flood.feed(net.now).empty());  // not begun
  flood.begin(net.now);
  CHECK(flood.running());
  CHECK(flood.feed(net.now) == std::vector<std::size_t>{0, 1});
  CHECK(flood.outstanding() == 2);
  CHECK(flood.feed(net.now).empty());  // each has its call outstanding

  auto first = drain(net.piles[0], net.now);
  REQUIRE(first.size() == 1);
  CHECK(first[0].action == "Heartbeat");
  CHECK(drain(net.piles[0], net.now).empty());  // nothing more until answered

  clock += 1500;  // answered 1.5 ms later: the next call goes out at once
  net.piles[0].on_text(
      "[3,\"" + first[0].message_id + "\",{\"currentTime\":\"2023-11-14T22:13:20Z\"}]", net.now);
  CHECK(flood.answered() == 1);
  CHECK(flood.latency().max() == 1500);
  auto second = drain(net.piles[0], net.now);
  REQUIRE(second.size() == 1);
  CHECK(second[0].message_id != first[0].message_id);
  CHECK(flood.sent() == 3);

  // A CALLERROR counts as an error, and the pile goes on.
  clock += 500;
  net.piles[0].on_text("[4,\"" + second[0].message_id + "\",\"InternalError\",\"boom\",{}]",
                       net.now);
  CHECK(flood.call_errors() == 1);
  CHECK(flood.answered() == 1);
  CHECK(drain(net.piles[0], net.now).size() == 1);

  // Pile 2 never answers: a timeout after the call timeout (30 s default).
  auto other = drain(net.piles[1], net.now);
  REQUIRE(other.size() == 1);
  net.now += 30001;
  clock += 9000000;  // still inside the 10 s window
  net.piles[1].tick(net.now);
  CHECK(flood.timeouts() == 1);
  CHECK(drain(net.piles[1], net.now).size() == 1);  // and the next call

  // Window over: answers still count for latency but not for the rate, and
  // no new call is sent.
  CHECK(flood.outstanding() == 2);
  clock += 2000000;
  CHECK_FALSE(flood.running());
  CHECK(flood.feed(net.now).empty());
  CHECK_FALSE(flood.done());
  CHECK(flood.window_s() == Approx(10.0));
  CHECK(flood.per_second() == Approx(0.1));  // 1 answer in 10 s
}

TEST_CASE("pilesim flood: a call lost with the connection is replaced after the reboot") {
  Network net(1);
  net.boot(0);
  std::int64_t clock = 0;
  FloodSettings settings;
  settings.kind = FloodKind::Meter;
  settings.samples = 2;
  FloodDriver flood(settings, net.piles, [&] { return clock; });
  flood.begin(net.now);
  CHECK(flood.feed(net.now).size() == 1);
  auto sent = drain(net.piles[0], net.now);
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].action == "MeterValues");
  net.piles[0].on_disconnected(net.now);  // the call is gone with the connection
  CHECK(flood.outstanding() == 1);
  CHECK(flood.feed(net.now).empty());  // not booted
  net.now += 2000;
  net.piles[0].tick(net.now);
  REQUIRE(net.piles[0].take_connect_request());
  net.piles[0].on_connected(net.now);
  CHECK(drain(net.piles[0], net.now).empty());
  CHECK(flood.feed(net.now).size() == 1);
  CHECK(flood.outstanding() == 1);
  CHECK(flood.sent() == 2);
  CHECK(flood.samples_sent() == 4);
  auto again = drain(net.piles[0], net.now);
  REQUIRE(again.size() == 1);
  clock += 800;
  net.piles[0].on_text("[3,\"" + again[0].message_id + "\",{}]", net.now);
  CHECK(flood.samples_answered() == 2);
  CHECK(flood.latency().percentile(0.5) == 800);
  clock = 31000000;              // past the 30 s default window
  CHECK(flood.done() == false);  // the new call after the answer is outstanding
  net.piles[0].on_text("[3,\"" + drain(net.piles[0], net.now)[0].message_id + "\",{}]", net.now);
  CHECK(flood.done());
  CHECK(drain(net.piles[0], net.now).empty());
}

TEST_CASE("pilesim summary: the JSON summary carries the run's figures and the flood's") {
  Network net(1);
  net.boot(0);
  std::int64_t clock = 1000000;
  FloodSettings settings;
  settings.kind = FloodKind::Heartbeat;
  FloodDriver flood(settings, net.piles, [&] { return clock; });

  RunFigures run;
  run.gauges = gauges_of(net.piles);
  run.stats = net.stats;
  run.elapsed_s = 12.5;
  run.cpu.user_s = 1.25;
  run.cpu.max_rss_kb = 2048;

  auto parse = [](const std::string& text) {
    REQUIRE(!text.empty());
    CHECK(text.back() == '\n');
    rapidjson::Document doc;
    doc.Parse(text.c_str());
    REQUIRE(!doc.HasParseError());
    REQUIRE(doc.IsObject());
    return doc;
  };
  SECTION("without --flood: no flood member, allBootedSeconds null until all booted") {
    const auto doc = parse(summary_json(run));
    CHECK(doc["elapsedSeconds"].GetDouble() == 12.5);
    CHECK(doc["piles"].GetInt() == 1);
    CHECK(doc["booted"].GetInt() == 1);
    CHECK(doc["bootsAccepted"].GetInt() == 1);
    CHECK(doc["allBootedSeconds"].IsNull());
    CHECK(doc["cpuUserSeconds"].GetDouble() == 1.25);
    CHECK(doc["maxRssKb"].GetInt() == 2048);
    CHECK_FALSE(doc.HasMember("flood"));
  }
  SECTION("a flood whose window never opened is null") {
    run.flood = &flood;
    run.all_booted_s = 0.75;
    const auto doc = parse(summary_json(run));
    CHECK(doc["allBootedSeconds"].GetDouble() == 0.75);
    CHECK(doc["flood"].IsNull());
  }
  SECTION("a flood that ran is an object with its figures and latencies") {
    flood.begin(net.now);
    CHECK(flood.feed(net.now).size() == 1);
    clock += 800;
    net.piles[0].on_text("[3,\"" + drain(net.piles[0], net.now)[0].message_id + "\",{}]", net.now);
    run.flood = &flood;
    const auto doc = parse(summary_json(run));
    REQUIRE(doc["flood"].IsObject());
    CHECK(std::string(doc["flood"]["kind"].GetString()) == "heartbeat");
    CHECK(doc["flood"]["answered"].GetInt() == 1);
    CHECK(doc["flood"]["latencyMs"]["p50"].GetDouble() == 0.8);
    CHECK_THAT(summary_text(run), Catch::Contains("flood        heartbeat"));
  }
}
