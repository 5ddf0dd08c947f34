#include "core/prometheus_text.h"

#include <fmt/format.h>

#include <cmath>

namespace chargelock::core {

namespace {

std::string_view type_name(PrometheusText::Type type) {
  switch (type) {
    case PrometheusText::Type::Counter:
      return "counter";
    case PrometheusText::Type::Gauge:
      return "gauge";
    case PrometheusText::Type::Histogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

std::string PrometheusText::escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string PrometheusText::escape_help(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (const char c : help) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string PrometheusText::format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);  // shortest text that reads back the same
}

void PrometheusText::family(std::string_view name, Type type, std::string_view help) {
  fmt::format_to(std::back_inserter(text_), "# HELP {} {}\n# TYPE {} {}\n", name, escape_help(help),
                 name, type_name(type));
}

void PrometheusText::sample_text(std::string_view name, const Labels& labels,
                                 std::string_view extra_name, std::string_view extra_value,
                                 const std::string& value) {
  text_ += name;
  if (!labels.empty() || !extra_name.empty()) {
    text_ += '{';
    bool first = true;
    for (const auto& [label, label_value] : labels) {
      if (!first) text_ += ',';
      first = false;
      fmt::format_to(std::back_inserter(text_), "{}=\"{}\"", label,
                     escape_label_value(label_value));
    }
    if (!extra_name.empty()) {
      if (!first) text_ += ',';
      fmt::format_to(std::back_inserter(text_), "{}=\"{}\"", extra_name, extra_value);
    }
    text_ += '}';
  }
  text_ += ' ';
  text_ += value;
  text_ += '\n';
}

void PrometheusText::sample(std::string_view name, const Labels& labels, double value) {
  sample_text(name, labels, {}, {}, format_value(value));
}

void PrometheusText::sample(std::string_view name, const Labels& labels, std::uint64_t value) {
  sample_text(name, labels, {}, {}, std::to_string(value));
}

void PrometheusText::sample(std::string_view name, const Labels& labels, std::int64_t value) {
  sample_text(name, labels, {}, {}, std::to_string(value));
}

void PrometheusText::histogram(std::string_view name, const Labels& labels,
                               const HistogramSnapshot& snapshot) {
  const std::string bucket = std::string(name) + "_bucket";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < snapshot.upper_bounds.size(); ++i) {
    cumulative += snapshot.counts[i];
    sample_text(bucket, labels, "le", format_value(snapshot.upper_bounds[i]),
                std::to_string(cumulative));
  }
  cumulative += snapshot.counts.back();
  sample_text(bucket, labels, "le", "+Inf", std::to_string(cumulative));
  sample_text(std::string(name) + "_sum", labels, {}, {}, format_value(snapshot.sum));
  sample_text(std::string(name) + "_count", labels, {}, {}, std::to_string(cumulative));
}

void PrometheusText::counter(std::string_view name, std::string_view help, std::uint64_t value) {
  family(name, Type::Counter, help);
  sample(name, {}, value);
}

void PrometheusText::gauge(std::string_view name, std::string_view help, std::int64_t value) {
  family(name, Type::Gauge, help);
  sample(name, {}, value);
}

void PrometheusText::counter_set(std::string_view name, std::string_view help,
                                 std::string_view label, const CounterSet& set) {
  family(name, Type::Counter, help);
  for (const auto& [value, count] : set.values()) sample(name, {{label, value}}, count);
}

}  // namespace chargelock::core
