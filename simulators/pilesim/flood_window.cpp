#include "simulators/pilesim/flood_window.h"

#include <string>

namespace chargelock::pilesim {

namespace {

FloodSettings flood_settings(const Options& options) {
  FloodSettings settings;
  settings.kind = *parse_flood_kind(options.flood);
  settings.duration_s = options.flood_duration_s;
  settings.wait_s = options.flood_wait_s;
  settings.samples = options.flood_samples;
  return settings;
}

}  // namespace

FloodWindow::FloodWindow(const Options& options, std::vector<ChargePoint>& piles,
                         Reporter& reporter)
    : driver_(flood_settings(options), piles),
      reporter_(reporter),
      kind_(options.flood),
      duration_s_(options.flood_duration_s),
      wait_s_(options.flood_wait_s),
      call_timeout_ms_(std::int64_t{options.call_timeout_s} * 1000),
      stops_run_(options.duration_s <= 0) {}

bool FloodWindow::step(std::int64_t now_ms, double elapsed_s, bool all_booted,
                       const std::function<void(std::size_t)>& pump) {
  if (!driver_.begun()) {
    if (!all_booted && elapsed_s < wait_s_) return false;
    cpu_start_ = cpu_time();
    driver_.begin(now_ms);
    reporter_.line("flood " + kind_ + " begins for " + std::to_string(duration_s_) + " s");
  }
  if (driver_.running()) {
    for (std::size_t index : driver_.feed(now_ms)) pump(index);
    return false;
  }
  if (!cpu_end_) {
    cpu_end_ = cpu_time();
    closed_ms_ = now_ms;
    reporter_.line("flood window over, waiting for " + std::to_string(driver_.outstanding()) +
                   " answers");
  }
  // The answers still due could no longer come once the call timeout has
  // passed since the window closed.
  return stops_run_ && (driver_.done() || now_ms - closed_ms_ > call_timeout_ms_);
}

CpuTime FloodWindow::cpu_in_window(const CpuTime& now) const {
  CpuTime spent;
  if (!driver_.begun()) return spent;
  const CpuTime end = cpu_end_.value_or(now);
  spent.user_s = end.user_s - cpu_start_.user_s;
  spent.system_s = end.system_s - cpu_start_.system_s;
  return spent;
}

}  // namespace chargelock::pilesim
