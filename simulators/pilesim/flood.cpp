#include "simulators/pilesim/flood.h"

#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "base/json_writer.h"
#include "base/time.h"
#include "simulators/pilesim/json_util.h"
#include "simulators/pilesim/meter_values.h"

namespace chargelock::pilesim {
namespace {

struct Measurand {
  const char* name;
  const char* unit;
  const char* location;
};

constexpr Measurand kMeasurands[] = {
    {"Energy.Active.Import.Register", "Wh", "Outlet"},
    {"Power.Active.Import", "W", "Outlet"},
    {"Current.Import", "A", "Outlet"},
    {"Voltage", "V", "Outlet"},
    {"SoC", "Percent", "EV"},
    {"Power.Offered", "W", "Outlet"},
    {"Current.Offered", "A", "Outlet"},
    {"Temperature", "Celsius", "Body"},
};
constexpr int kMaxSamples = static_cast<int>(sizeof kMeasurands / sizeof kMeasurands[0]);

double seconds(std::int64_t us) { return static_cast<double>(us) / 1e6; }
double millis(std::int64_t us) { return static_cast<double>(us) / 1e3; }

}  // namespace

std::optional<FloodKind> parse_flood_kind(std::string_view text) {
  if (text == "heartbeat") return FloodKind::Heartbeat;
  if (text == "status") return FloodKind::Status;
  if (text == "meter") return FloodKind::Meter;
  return std::nullopt;
}

std::string_view to_string(FloodKind kind) {
  switch (kind) {
    case FloodKind::Heartbeat:
      return "heartbeat";
    case FloodKind::Status:
      return "status";
    case FloodKind::Meter:
      return "meter";
    case FloodKind::None:
      break;
  }
  return "none";
}

FloodCall flood_call(FloodKind kind, std::uint64_t sequence, std::int64_t now_ms, int samples) {
  switch (kind) {
    case FloodKind::Status: {
      base::JsonWriter payload;
      payload.begin_object();
      payload.field("connectorId", 1);
      payload.field("errorCode", "NoError");
      payload.field("status", "Available");
      payload.field("timestamp", base::from_unix_ms(now_ms));
      return {"StatusNotification", payload.end_object().str()};
    }
    case FloodKind::Meter: {
      samples = std::clamp(samples, 1, kMaxSamples);
      std::vector<SampledValue> sampled;
      for (int i = 0; i < samples; ++i) {
        const Measurand& m = kMeasurands[i];
        // Energy grows by 10 Wh a call; the other values are plausible constants.
        std::string value =
            i == 0 ? std::to_string(1000 + 10 * sequence) : std::to_string(100 + 10 * i) + ".0";
        sampled.push_back({std::move(value), m.name, m.unit, m.location});
      }
      return {"MeterValues", meter_values_payload(1, now_ms, "Sample.Periodic", sampled)};
    }
    case FloodKind::Heartbeat:
    case FloodKind::None:
      break;
  }
  return {"Heartbeat", "{}"};
}

CpuTime cpu_time() {
  rusage usage{};
  CpuTime out;
  if (::getrusage(RUSAGE_SELF, &usage) != 0) return out;
  out.user_s = static_cast<double>(usage.ru_utime.tv_sec) +
               static_cast<double>(usage.ru_utime.tv_usec) / 1e6;
  out.system_s = static_cast<double>(usage.ru_stime.tv_sec) +
                 static_cast<double>(usage.ru_stime.tv_usec) / 1e6;
  out.max_rss_kb = usage.ru_maxrss;
  return out;
}

std::int64_t FloodDriver::steady_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

FloodDriver::FloodDriver(FloodSettings settings, std::vector<ChargePoint>& piles, Clock clock)
    : settings_(settings),
      piles_(piles),
      clock_(clock ? std::move(clock) : Clock(&FloodDriver::steady_us)),
      sent_at_(piles.size(), -1),
      sequence_(piles.size(), 0) {
  for (auto& pile : piles_) pile.set_observer(this);
}

FloodDriver::~FloodDriver() {
  for (auto& pile : piles_) pile.set_observer(nullptr);
}

void FloodDriver::begin(std::int64_t wall_ms) {
  if (begun_) return;
  begun_ = true;
  start_us_ = clock_();
  end_us_ = start_us_ + static_cast<std::int64_t>(settings_.duration_s * 1e6);
  start_wall_ms_ = wall_ms;
}

bool FloodDriver::running() const { return begun_ && clock_() < end_us_; }

bool FloodDriver::done() const { return begun_ && !running() && outstanding_ == 0; }

double FloodDriver::window_s() const {
  if (!begun_) return 0;
  return seconds(std::min(clock_(), end_us_) - start_us_);
}

double FloodDriver::per_second() const {
  const double window = window_s();
  return window > 0 ? static_cast<double>(answered_in_window_) / window : 0;
}

std::uint64_t FloodDriver::samples_sent() const {
  return settings_.kind == FloodKind::Meter
             ? sent_ * static_cast<std::uint64_t>(std::clamp(settings_.samples, 1, kMaxSamples))
             : 0;
}

std::uint64_t FloodDriver::samples_answered() const {
  return settings_.kind == FloodKind::Meter
             ? answered_ * static_cast<std::uint64_t>(std::clamp(settings_.samples, 1, kMaxSamples))
             : 0;
}

std::size_t FloodDriver::piles_flooding() const {
  return static_cast<std::size_t>(
      std::count_if(sequence_.begin(), sequence_.end(), [](std::uint64_t n) { return n > 0; }));
}

bool FloodDriver::send(std::size_t index, std::int64_t wall_ms) {
  const ChargePoint& pile = piles_[index];
  // Queued behind another call (a periodic Heartbeat) is fine: its wait
  // counts as latency.
  if (!running() || pile.link() != LinkState::Up || pile.registration() != Registration::Accepted)
    return false;
  FloodCall call = flood_call(settings_.kind, sequence_[index]++, wall_ms, settings_.samples);
  sent_at_[index] = clock_();
  ++outstanding_;
  ++sent_;
  piles_[index].enqueue_tagged(std::move(call.action), std::move(call.payload),
                               static_cast<std::uint32_t>(index + 1), wall_ms);
  return true;
}

std::vector<std::size_t> FloodDriver::feed(std::int64_t wall_ms) {
  std::vector<std::size_t> fed;
  for (std::size_t i = 0; i < piles_.size(); ++i) {
    if (!piles_[i].idle()) continue;
    if (sent_at_[i] >= 0) {
      // Idle with a call outstanding: it went down with the connection.
      sent_at_[i] = -1;
      --outstanding_;
    }
    if (send(i, wall_ms)) fed.push_back(i);
  }
  return fed;
}

void FloodDriver::on_call_done(std::uint32_t tag, CallOutcome outcome, std::int64_t now_ms) {
  if (tag == 0 || tag > piles_.size()) return;
  const std::size_t index = tag - 1;
  if (sent_at_[index] < 0) return;
  const std::int64_t now = clock_();
  switch (outcome) {
    case CallOutcome::Answered:
      ++answered_;
      if (now <= end_us_) ++answered_in_window_;
      latency_.record(now - sent_at_[index]);
      break;
    case CallOutcome::CallError:
      ++errors_;
      break;
    case CallOutcome::Timeout:
      ++timeouts_;
      break;
  }
  sent_at_[index] = -1;
  --outstanding_;
  send(index, now_ms);
}

void FloodDriver::write_json(base::JsonWriter& out, const CpuTime& cpu) const {
  auto n = [](std::uint64_t v) { return static_cast<std::int64_t>(v); };
  out.begin_object();
  out.field("kind", to_string(settings_.kind));
  out.field("startedAtMs", start_wall_ms_);
  out.field("windowSeconds", window_s());
  out.field("piles", n(piles_flooding()));
  out.field("sent", n(sent_));
  out.field("answered", n(answered_));
  out.field("answeredInWindow", n(answered_in_window_));
  out.field("perSecond", per_second());
  out.field("callErrors", n(errors_));
  out.field("timeouts", n(timeouts_));
  out.field("unanswered", n(sent_ - answered_ - errors_ - timeouts_));
  out.field("samplesPerMessage",
            settings_.kind == FloodKind::Meter ? std::clamp(settings_.samples, 1, kMaxSamples) : 0);
  out.field("samplesSent", n(samples_sent()));
  out.field("samplesAnswered", n(samples_answered()));
  out.key("latencyMs").begin_object();
  out.field("p50", millis(latency_.percentile(0.50)));
  out.field("p90", millis(latency_.percentile(0.90)));
  out.field("p99", millis(latency_.percentile(0.99)));
  out.field("max", millis(latency_.max()));
  out.field("mean", latency_.mean() / 1e3);
  out.end_object();
  out.field("cpuUserSeconds", cpu.user_s);
  out.field("cpuSystemSeconds", cpu.system_s);
  const double window = window_s();
  out.field("cpuPercent", window > 0 ? 100.0 * (cpu.user_s + cpu.system_s) / window : 0.0);
  out.end_object();
}

std::string FloodDriver::text(const CpuTime& cpu) const {
  const double window = window_s();
  return fmt::format(
      "  flood        {} for {:.1f} s by {} piles: {} sent, {} answered ({} in the window), "
      "{:.0f}/s\n"
      "               latency p50 {:.2f} ms, p90 {:.2f} ms, p99 {:.2f} ms, max {:.2f} ms\n"
      "               {} CALLERRORs, {} timeouts, {} unanswered; {} sampled values answered\n"
      "               pilesim CPU in the window {:.2f} s user + {:.2f} s system ({:.0f} %)\n",
      to_string(settings_.kind), window, piles_flooding(), sent_, answered_, answered_in_window_,
      per_second(), millis(latency_.percentile(0.50)), millis(latency_.percentile(0.90)),
      millis(latency_.percentile(0.99)), millis(latency_.max()), errors_, timeouts_,
      sent_ - answered_ - errors_ - timeouts_, samples_answered(), cpu.user_s, cpu.system_s,
      window > 0 ? 100.0 * (cpu.user_s + cpu.system_s) / window : 0.0);
}

}  // namespace chargelock::pilesim
