#include "simulators/pilesim/progress.h"

#include <fmt/format.h>

namespace chargelock::pilesim {

Reporter::Reporter(std::FILE* out, bool live, bool quiet, std::int64_t start_ms)
    : out_(out), live_(live), quiet_(quiet), start_ms_(start_ms), last_ms_(start_ms) {}

void Reporter::clear() {
  if (!drawn_) return;
  std::fputs("\r\033[K", out_);
  drawn_ = false;
}

void Reporter::line(std::string_view text) {
  clear();
  fmt::print(out_, "pilesim: {}\n", text);
  std::fflush(out_);
}

void Reporter::note(std::string_view pile_id, std::string_view text) {
  if (quiet_) return;
  clear();
  fmt::print(out_, "pilesim: {}: {}\n", pile_id, text);
  std::fflush(out_);
}

void Reporter::progress(const Gauges& g, const Stats& stats, std::int64_t now_ms) {
  if (!live_) return;
  const std::uint64_t frames = stats.frames_sent + stats.frames_received;
  const double seconds = static_cast<double>(now_ms - last_ms_) / 1000.0;
  const double rate = seconds > 0 ? static_cast<double>(frames - last_frames_) / seconds : 0;
  last_ms_ = now_ms;
  last_frames_ = frames;
  const std::uint64_t errors =
      stats.call_errors + stats.call_timeouts + stats.protocol_errors + stats.connect_failures;
  std::fputs("\r\033[K", out_);
  fmt::print(out_,
             "{:>6.0f}s  connected {}/{}  booted {}  charging {}  held {}  msg/s {:.0f}  "
             "errors {}",
             static_cast<double>(now_ms - start_ms_) / 1000.0, g.connected, g.piles, g.booted,
             g.charging, g.held, rate, errors);
  std::fflush(out_);
  drawn_ = true;
}

Gauges gauges_of(const std::vector<ChargePoint>& piles) {
  Gauges g;
  g.piles = piles.size();
  for (const auto& pile : piles) {
    if (!pile.has_lock_extension()) ++g.standard;
    if (pile.link() == LinkState::Up) ++g.connected;
    if (pile.registration() == Registration::Accepted) ++g.booted;
    if (!pile.watch_list().empty()) ++g.armed;
    g.queued += pile.queued_calls();
    for (int c = 1; c <= pile.connector_count(); ++c) {
      if (pile.charging(c)) ++g.charging;
      if (!pile.held_by(c).empty()) ++g.held;
    }
  }
  return g;
}

}  // namespace chargelock::pilesim
