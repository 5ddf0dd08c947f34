// The kinds of metric a process keeps: Counter, Gauge, Histogram and
// CounterSet (one counter per value of a label known up front, e.g. an OCPP
// action). Shown in the Prometheus text format by core/prometheus_text.h.
//
// Threading contract: every member is safe from any thread at once and never
// takes a lock; updates are relaxed atomic additions, cheap enough for the
// websocket loop and the workers' hot path. A reader may see a histogram
// mid-update (a count without its sum yet): fine for monitoring.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace chargelock::core {

class Counter {
 public:
  void add(std::uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void add(std::int64_t n) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  void set(std::int64_t n) noexcept { value_.store(n, std::memory_order_relaxed); }
  std::int64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

// What a histogram held at one moment: counts per bucket (not cumulative;
// the last is above every bound), their sum and the sum of the observations.
struct HistogramSnapshot {
  std::vector<double> upper_bounds;   // ascending
  std::vector<std::uint64_t> counts;  // upper_bounds.size() + 1
  double sum = 0;
  std::uint64_t count() const;
};

class Histogram {
 public:
  // REQUIRES: upper_bounds ascending, finite, not empty.
  explicit Histogram(std::vector<double> upper_bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  void observe(double value) noexcept;
  void observe(std::chrono::steady_clock::duration elapsed) noexcept;  // in seconds
  HistogramSnapshot snapshot() const;

  // Bounds for latencies in seconds: 0.5 ms .. 10 s.
  static std::vector<double> latency_bounds();

 private:
  std::vector<double> upper_bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
  std::atomic<double> sum_{0};
};

// Counters for a label whose values are known when the set is made (OCPP
// actions, CALLERROR codes, outcomes); any other value counts under
// kOtherValue. Lookups allocate nothing (binary search over the names).
class CounterSet {
 public:
  static constexpr std::string_view kOtherValue = "other";

  explicit CounterSet(std::vector<std::string> values);
  CounterSet(const CounterSet&) = delete;
  CounterSet& operator=(const CounterSet&) = delete;

  Counter& operator[](std::string_view value) noexcept;
  // Every value (sorted, "other" included) with its count.
  std::vector<std::pair<std::string, std::uint64_t>> values() const;

 private:
  std::vector<std::string> names_;  // sorted, unique, with kOtherValue
  std::unique_ptr<Counter[]> counters_;
};

// A histogram per value of a label known up front (the OCPP action of a
// handler's latency), as CounterSet is for counters; any other value is
// observed under CounterSet::kOtherValue. Lookups allocate nothing.
class HistogramSet {
 public:
  HistogramSet(std::vector<std::string> values, const std::vector<double>& upper_bounds);
  HistogramSet(const HistogramSet&) = delete;
  HistogramSet& operator=(const HistogramSet&) = delete;

  Histogram& operator[](std::string_view value) noexcept;
  // Every value (sorted, "other" included) with its histogram.
  std::vector<std::pair<std::string, HistogramSnapshot>> snapshots() const;

 private:
  std::vector<std::string> names_;  // sorted, unique, with kOtherValue
  std::vector<std::unique_ptr<Histogram>> histograms_;
};

}  // namespace chargelock::core
