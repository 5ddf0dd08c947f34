// The Prometheus text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/): what
// GET /metrics answers. Written here because no Debian package ships
// prometheus-cpp, and the format is a few lines of escaping rules.
//
// Usage: family() once per metric name (its # HELP and # TYPE lines), then
// that family's samples. Label values and help text are escaped here; metric
// and label names come from our code.
//
// Threading: an instance is used by one thread at a time.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/metric_types.h"

namespace chargelock::core {

class PrometheusText {
 public:
  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

  using Labels = std::vector<std::pair<std::string_view, std::string_view>>;
  enum class Type { Counter, Gauge, Histogram };

  // REQUIRES: `name` matches [a-zA-Z_:][a-zA-Z0-9_:]* and is given once.
  void family(std::string_view name, Type type, std::string_view help);
  // REQUIRES: label names match [a-zA-Z_][a-zA-Z0-9_]* ("le" is reserved).
  void sample(std::string_view name, const Labels& labels, double value);
  void sample(std::string_view name, const Labels& labels, std::uint64_t value);
  void sample(std::string_view name, const Labels& labels, std::int64_t value);
  // name_bucket{...,le="..."} (cumulative, ending with +Inf), name_sum, name_count.
  void histogram(std::string_view name, const Labels& labels, const HistogramSnapshot& snapshot);

  // Shortcuts: a family of one sample without labels.
  void counter(std::string_view name, std::string_view help, std::uint64_t value);
  void gauge(std::string_view name, std::string_view help, std::int64_t value);
  // A counter family with one label, a sample per value of the set.
  void counter_set(std::string_view name, std::string_view help, std::string_view label,
                   const CounterSet& set);

  const std::string& text() const { return text_; }

  // The text forms of the format, exposed for tests.
  static std::string escape_label_value(std::string_view value);
  static std::string escape_help(std::string_view help);
  static std::string format_value(double value);

 private:
  void sample_text(std::string_view name, const Labels& labels, std::string_view extra_name,
                   std::string_view extra_value, const std::string& value);

  std::string text_;
};

}  // namespace chargelock::core
