#include "simulators/pilesim/progress.h"

#include <fmt/format.h>

#include "simulators/pilesim/json_util.h"

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

std::string summary_text(const Gauges& g, const Stats& s, double elapsed_s) {
  return fmt::format(
      "pilesim summary after {:.1f} s\n"
      "  piles        {} ({} without the lock extension)\n"
      "  now          connected {}, booted {}, charging {}, held {}, piles armed {}, queued {}\n"
      "  connections  {} opened, {} failed, {} closed\n"
      "  boots        {} accepted, {} pending, {} rejected\n"
      "  frames       {} sent, {} received, {} calls answered\n"
      "  charging     {} transactions started, {} stopped, {} meter values, {} refused\n"
      "  locks        {} armed, {} disarmed, {} vehicles held, {} seen but not held\n"
      "  errors       {} CALLERRORs, {} timeouts, {} protocol errors, {} messages dropped\n",
      elapsed_s, g.piles, g.standard, g.connected, g.booted, g.charging, g.held, g.armed, g.queued,
      s.connects, s.connect_failures, s.disconnects, s.boots_accepted, s.boots_pending,
      s.boots_rejected, s.frames_sent, s.frames_received, s.cs_calls, s.transactions_started,
      s.transactions_stopped, s.meter_values, s.authorizations_refused, s.locks_armed,
      s.locks_disarmed, s.vehicles_held, s.vehicles_seen_not_held, s.call_errors, s.call_timeouts,
      s.protocol_errors, s.messages_dropped);
}

std::string summary_json(const Gauges& g, const Stats& s, double elapsed_s) {
  json::ObjectBuilder out;
  auto n = [](std::uint64_t v) { return static_cast<std::int64_t>(v); };
  out.add("elapsedSeconds", elapsed_s);
  out.add("piles", n(g.piles));
  out.add("standardPiles", n(g.standard));
  out.add("connected", n(g.connected));
  out.add("booted", n(g.booted));
  out.add("charging", n(g.charging));
  out.add("held", n(g.held));
  out.add("pilesArmed", n(g.armed));
  out.add("queuedCalls", n(g.queued));
  out.add("connects", n(s.connects));
  out.add("connectFailures", n(s.connect_failures));
  out.add("disconnects", n(s.disconnects));
  out.add("bootsAccepted", n(s.boots_accepted));
  out.add("bootsPending", n(s.boots_pending));
  out.add("bootsRejected", n(s.boots_rejected));
  out.add("framesSent", n(s.frames_sent));
  out.add("framesReceived", n(s.frames_received));
  out.add("callsAnswered", n(s.cs_calls));
  out.add("transactionsStarted", n(s.transactions_started));
  out.add("transactionsStopped", n(s.transactions_stopped));
  out.add("meterValues", n(s.meter_values));
  out.add("authorizationsRefused", n(s.authorizations_refused));
  out.add("locksArmed", n(s.locks_armed));
  out.add("locksDisarmed", n(s.locks_disarmed));
  out.add("vehiclesHeld", n(s.vehicles_held));
  out.add("vehiclesSeenNotHeld", n(s.vehicles_seen_not_held));
  out.add("callErrors", n(s.call_errors));
  out.add("callTimeouts", n(s.call_timeouts));
  out.add("protocolErrors", n(s.protocol_errors));
  out.add("messagesDropped", n(s.messages_dropped));
  return out.text() + "\n";
}

}  // namespace chargelock::pilesim
