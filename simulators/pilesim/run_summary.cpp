#include "simulators/pilesim/run_summary.h"

#include <fmt/format.h>

#include "base/json_writer.h"

namespace chargelock::pilesim {

std::string summary_text(const RunFigures& run) {
  const Gauges& g = run.gauges;
  const Stats& s = run.stats;
  std::string text = fmt::format(
      "pilesim summary after {:.1f} s\n"
      "  piles        {} ({} without the lock extension)\n"
      "  now          connected {}, booted {}, charging {}, held {}, piles armed {}, queued {}\n"
      "  connections  {} opened, {} failed, {} closed\n"
      "  boots        {} accepted, {} pending, {} rejected\n"
      "  frames       {} sent, {} received, {} calls answered\n"
      "  charging     {} transactions started, {} stopped, {} meter values, {} refused\n"
      "  locks        {} armed, {} disarmed, {} vehicles held, {} seen but not held\n"
      "  errors       {} CALLERRORs, {} timeouts, {} protocol errors, {} messages dropped\n",
      run.elapsed_s, g.piles, g.standard, g.connected, g.booted, g.charging, g.held, g.armed,
      g.queued, s.connects, s.connect_failures, s.disconnects, s.boots_accepted, s.boots_pending,
      s.boots_rejected, s.frames_sent, s.frames_received, s.cs_calls, s.transactions_started,
      s.transactions_stopped, s.meter_values, s.authorizations_refused, s.locks_armed,
      s.locks_disarmed, s.vehicles_held, s.vehicles_seen_not_held, s.call_errors, s.call_timeouts,
      s.protocol_errors, s.messages_dropped);
  text += "  resources    " +
          (run.all_booted_s ? fmt::format("all booted after {:f} s, ", *run.all_booted_s)
                            : std::string("not all booted, ")) +
          fmt::format("CPU {:f} s user + {:f} s system, max RSS {} KB\n", run.cpu.user_s,
                      run.cpu.system_s, run.cpu.max_rss_kb);
  if (run.flood != nullptr && run.flood->begun()) text += run.flood->text(run.flood_cpu);
  return text;
}

std::string summary_json(const RunFigures& run) {
  const Gauges& g = run.gauges;
  const Stats& s = run.stats;
  auto n = [](std::uint64_t v) { return static_cast<std::int64_t>(v); };
  base::JsonWriter out;
  out.begin_object();
  out.field("elapsedSeconds", run.elapsed_s);
  out.field("piles", n(g.piles));
  out.field("standardPiles", n(g.standard));
  out.field("connected", n(g.connected));
  out.field("booted", n(g.booted));
  out.field("charging", n(g.charging));
  out.field("held", n(g.held));
  out.field("pilesArmed", n(g.armed));
  out.field("queuedCalls", n(g.queued));
  out.field("connects", n(s.connects));
  out.field("connectFailures", n(s.connect_failures));
  out.field("disconnects", n(s.disconnects));
  out.field("bootsAccepted", n(s.boots_accepted));
  out.field("bootsPending", n(s.boots_pending));
  out.field("bootsRejected", n(s.boots_rejected));
  out.field("framesSent", n(s.frames_sent));
  out.field("framesReceived", n(s.frames_received));
  out.field("callsAnswered", n(s.cs_calls));
  out.field("transactionsStarted", n(s.transactions_started));
  out.field("transactionsStopped", n(s.transactions_stopped));
  out.field("meterValues", n(s.meter_values));
  out.field("authorizationsRefused", n(s.authorizations_refused));
  out.field("locksArmed", n(s.locks_armed));
  out.field("locksDisarmed", n(s.locks_disarmed));
  out.field("vehiclesHeld", n(s.vehicles_held));
  out.field("vehiclesSeenNotHeld", n(s.vehicles_seen_not_held));
  out.field("callErrors", n(s.call_errors));
  out.field("callTimeouts", n(s.call_timeouts));
  out.field("protocolErrors", n(s.protocol_errors));
  out.field("messagesDropped", n(s.messages_dropped));
  out.optional("allBootedSeconds", run.all_booted_s);
  out.field("cpuUserSeconds", run.cpu.user_s);
  out.field("cpuSystemSeconds", run.cpu.system_s);
  out.field("maxRssKb", std::int64_t{run.cpu.max_rss_kb});
  if (run.flood != nullptr) {
    if (run.flood->begun()) {
      out.key("flood");
      run.flood->write_json(out, run.flood_cpu);
    } else {
      out.null_field("flood");
    }
  }
  out.end_object();
  return out.str() + "\n";
}

}  // namespace chargelock::pilesim
