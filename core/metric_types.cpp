#include "core/metric_types.h"

#include <algorithm>
#include <stdexcept>

namespace chargelock::core {

std::uint64_t HistogramSnapshot::count() const {
  std::uint64_t total = 0;
  for (const std::uint64_t n : counts) total += n;
  return total;
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>(upper_bounds_.size() + 1)) {
  if (upper_bounds_.empty() || !std::is_sorted(upper_bounds_.begin(), upper_bounds_.end()))
    throw std::invalid_argument("histogram bounds must be ascending and not empty");
  for (std::size_t i = 0; i <= upper_bounds_.size(); ++i) counts_[i].store(0);
}

void Histogram::observe(double value) noexcept {
  // Prometheus buckets are "less than or equal": a value on a bound counts in it.
  const auto bucket = static_cast<std::size_t>(
      std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value) - upper_bounds_.begin());
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  // std::atomic<double> has no fetch_add before C++20.
  double sum = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(sum, sum + value, std::memory_order_relaxed)) {
  }
}

void Histogram::observe(std::chrono::steady_clock::duration elapsed) noexcept {
  observe(std::chrono::duration<double>(elapsed).count());
}

HistogramSnapshot Histogram::snapshot() const {
  HistogramSnapshot snapshot;
  snapshot.upper_bounds = upper_bounds_;
  snapshot.counts.reserve(upper_bounds_.size() + 1);
  for (std::size_t i = 0; i <= upper_bounds_.size(); ++i)
    snapshot.counts.push_back(counts_[i].load(std::memory_order_relaxed));
  snapshot.sum = sum_.load(std::memory_order_relaxed);
  return snapshot;
}

std::vector<double> Histogram::latency_bounds() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

CounterSet::CounterSet(std::vector<std::string> values) : names_(std::move(values)) {
  names_.emplace_back(kOtherValue);
  std::sort(names_.begin(), names_.end());
  names_.erase(std::unique(names_.begin(), names_.end()), names_.end());
  counters_ = std::make_unique<Counter[]>(names_.size());
}

Counter& CounterSet::operator[](std::string_view value) noexcept {
  auto it = std::lower_bound(names_.begin(), names_.end(), value,
                             [](const std::string& a, std::string_view b) { return a < b; });
  if (it == names_.end() || *it != value)
    it = std::lower_bound(names_.begin(), names_.end(), kOtherValue,
                          [](const std::string& a, std::string_view b) { return a < b; });
  return counters_[static_cast<std::size_t>(it - names_.begin())];
}

std::vector<std::pair<std::string, std::uint64_t>> CounterSet::values() const {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  out.reserve(names_.size());
  for (std::size_t i = 0; i < names_.size(); ++i) out.emplace_back(names_[i], counters_[i].value());
  return out;
}

HistogramSet::HistogramSet(std::vector<std::string> values, const std::vector<double>& upper_bounds)
    : names_(std::move(values)) {
  names_.emplace_back(CounterSet::kOtherValue);
  std::sort(names_.begin(), names_.end());
  names_.erase(std::unique(names_.begin(), names_.end()), names_.end());
  histograms_.reserve(names_.size());
  for (std::size_t i = 0; i < names_.size(); ++i)
    histograms_.push_back(std::make_unique<Histogram>(upper_bounds));
}

Histogram& HistogramSet::operator[](std::string_view value) noexcept {
  const auto find = [this](std::string_view name) {
    return std::lower_bound(names_.begin(), names_.end(), name,
                            [](const std::string& a, std::string_view b) { return a < b; });
  };
  auto it = find(value);
  if (it == names_.end() || *it != value) it = find(CounterSet::kOtherValue);
  return *histograms_[static_cast<std::size_t>(it - names_.begin())];
}

std::vector<std::pair<std::string, HistogramSnapshot>> HistogramSet::snapshots() const {
  std::vector<std::pair<std::string, HistogramSnapshot>> out;
  out.reserve(names_.size());
  for (std::size_t i = 0; i < names_.size(); ++i)
    out.emplace_back(names_[i], histograms_[i]->snapshot());
  return out;
}

}  // namespace chargelock::core
