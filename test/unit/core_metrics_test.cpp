// The metrics kinds (core/metric_types) and their Prometheus text exposition
// (core/prometheus_text, core/metrics_registry), checked against the format's
// rules (text format 0.0.4): escaping, cumulative buckets ending in +Inf,
// _sum and _count, special values.
#include <catch2/catch.hpp>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/metric_types.h"
#include "core/metrics_registry.h"
#include "core/prometheus_text.h"

using namespace chargelock::core;

TEST_CASE("a counter family is written with HELP, TYPE and one line per sample") {
  PrometheusText out;
  out.family("chargelock_frames_total", PrometheusText::Type::Counter, "Frames seen");
  out.sample("chargelock_frames_total", {{"direction", "in"}, {"action", "Heartbeat"}},
             std::uint64_t{42});
  out.sample("chargelock_frames_total", {}, std::uint64_t{0});
  CHECK(out.text() ==
        "# HELP chargelock_frames_total Frames seen\n"
        "# TYPE chargelock_frames_total counter\n"
        "chargelock_frames_total{direction=\"in\",action=\"Heartbeat\"} 42\n"
        "chargelock_frames_total 0\n");
}

TEST_CASE(
    "label values escape backslash, double quote and newline, help escapes backslash and newline") {
  CHECK(PrometheusText::escape_label_value("a\\b\"c\nd") == "a\\\\b\\\"c\\nd");
  CHECK(PrometheusText::escape_help("line1\nline2 \\ \"quoted\"") ==
        "line1\\nline2 \\\\ \"quoted\"");
  PrometheusText out;
  out.gauge("g", "two\nlines", -3);
  CHECK(out.text() == "# HELP g two\\nlines\n# TYPE g gauge\ng -3\n");
}

TEST_CASE("values: integers exactly, doubles in their shortest form, NaN and infinities spelled") {
  CHECK(PrometheusText::format_value(0.25) == "0.25");
  CHECK(PrometheusText::format_value(1e-4) == "0.0001");
  CHECK(PrometheusText::format_value(3) == "3");
  CHECK(PrometheusText::format_value(std::numeric_limits<double>::quiet_NaN()) == "NaN");
  CHECK(PrometheusText::format_value(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(PrometheusText::format_value(-std::numeric_limits<double>::infinity()) == "-Inf");
  PrometheusText out;
  out.sample("big", {}, std::uint64_t{18446744073709551615u});
  CHECK(out.text() == "big 18446744073709551615\n");
}

TEST_CASE("a histogram has cumulative buckets, a value on a bound counts in that bucket") {
  Histogram histogram({0.1, 1, 10});
  for (double v : {0.05, 0.1, 0.5, 1.0, 5.0, 50.0}) histogram.observe(v);
  const HistogramSnapshot snapshot = histogram.snapshot();
  CHECK(snapshot.counts == std::vector<std::uint64_t>{2, 2, 1, 1});
  CHECK(snapshot.count() == 6);
  CHECK(snapshot.sum == Approx(56.65));

  PrometheusText out;
  out.family("latency_seconds", PrometheusText::Type::Histogram, "How long");
  out.histogram("latency_seconds", {{"action", "Heartbeat"}}, snapshot);
  CHECK(out.text() ==
        "# HELP latency_seconds How long\n"
        "# TYPE latency_seconds histogram\n"
        "latency_seconds_bucket{action=\"Heartbeat\",le=\"0.1\"} 2\n"
        "latency_seconds_bucket{action=\"Heartbeat\",le=\"1\"} 4\n"
        "latency_seconds_bucket{action=\"Heartbeat\",le=\"10\"} 5\n"
        "latency_seconds_bucket{action=\"Heartbeat\",le=\"+Inf\"} 6\n"
        "latency_seconds_sum{action=\"Heartbeat\"} 56.65\n"
        "latency_seconds_count{action=\"Heartbeat\"} 6\n");
}

TEST_CASE("a histogram without labels and without observations still shows every bucket") {
  Histogram histogram({1, 2});
  PrometheusText out;
  out.histogram("h", {}, histogram.snapshot());
  CHECK(
      out.text() ==
      "h_bucket{le=\"1\"} 0\nh_bucket{le=\"2\"} 0\nh_bucket{le=\"+Inf\"} 0\nh_sum 0\nh_count 0\n");
}

TEST_CASE("histogram bounds must ascend") {
  CHECK_THROWS_AS(Histogram({2, 1}), std::invalid_argument);
  CHECK_THROWS_AS(Histogram(std::vector<double>{}), std::invalid_argument);
}

TEST_CASE("a histogram set observes known values apart and everything else as other") {
  HistogramSet set({"Heartbeat", "BootNotification"}, {0.1, 1});
  set["Heartbeat"].observe(0.05);
  set["Heartbeat"].observe(0.5);
  set["BootNotification"].observe(5.0);
  set["NoSuchAction"].observe(0.05);
  const auto snapshots = set.snapshots();
  REQUIRE(snapshots.size() == 3);
  CHECK(snapshots[0].first == "BootNotification");
  CHECK(snapshots[0].second.counts == std::vector<std::uint64_t>{0, 0, 1});
  CHECK(snapshots[1].first == "Heartbeat");
  CHECK(snapshots[1].second.counts == std::vector<std::uint64_t>{1, 1, 0});
  CHECK(snapshots[2].first == "other");
  CHECK(snapshots[2].second.count() == 1);
}

TEST_CASE("a counter set counts known values apart and everything else as other") {
  CounterSet set({"Heartbeat", "BootNotification"});
  set["Heartbeat"].add();
  set["Heartbeat"].add(2);
  set["BootNotification"].add();
  set["NoSuchAction"].add();
  set[""].add();
  const auto values = set.values();
  REQUIRE(values.size() == 3);
  CHECK(values[0] == std::pair<std::string, std::uint64_t>{"BootNotification", 1});
  CHECK(values[1] == std::pair<std::string, std::uint64_t>{"Heartbeat", 3});
  CHECK(values[2] == std::pair<std::string, std::uint64_t>{"other", 2});

  PrometheusText out;
  out.counter_set("calls_total", "Calls", "action", set);
  CHECK(out.text() ==
        "# HELP calls_total Calls\n# TYPE calls_total counter\n"
        "calls_total{action=\"BootNotification\"} 1\ncalls_total{action=\"Heartbeat\"} 3\n"
        "calls_total{action=\"other\"} 2\n");
}

TEST_CASE("counters and histograms updated from many threads lose nothing") {
  Counter counter;
  Gauge gauge;
  Histogram histogram({1});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        counter.add();
        gauge.add(1);
        gauge.add(-1);
        histogram.observe(0.5);
      }
    });
  for (auto& thread : threads) thread.join();
  CHECK(counter.value() == 40000);
  CHECK(gauge.value() == 0);
  CHECK(histogram.snapshot().count() == 40000);
  CHECK(histogram.snapshot().sum == Approx(20000));
}

TEST_CASE("the registry renders every collector, and leaves out one that fails") {
  MetricsRegistry registry;
  registry.add([](PrometheusText& out) { out.counter("first_total", "First", 1); });
  registry.add([](PrometheusText& out) {
    out.counter("half_total", "Half written", 2);
    throw std::runtime_error("database unavailable");
  });
  registry.add([](PrometheusText& out) { out.gauge("third", "Third", 3); });
  const std::string text = registry.render();
  CHECK(text.find("first_total 1\n") != std::string::npos);
  CHECK(text.find("third 3\n") != std::string::npos);
  CHECK(text.find("half_total") == std::string::npos);  // no family without its samples
  CHECK(text.find("chargelock_metrics_collector_errors_total 1\n") != std::string::npos);
  CHECK(registry.render().find("chargelock_metrics_collector_errors_total 2\n") !=
        std::string::npos);
}
