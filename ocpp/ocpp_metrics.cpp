#include "ocpp/ocpp_metrics.h"

#include <string>
#include <vector>

#include "ocpp/rpc/frame.h"
#include "ocpp/schemas/action_catalog.h"

namespace chargelock::ocpp {

namespace {

std::vector<std::string> action_names() {
  std::vector<std::string> names;
  for (const ActionInfo& action : ocpp16_actions()) names.emplace_back(action.name);
  return names;
}

std::vector<std::string> error_codes() {
  std::vector<std::string> codes;
  for (const ErrorCode code :
       {ErrorCode::NotImplemented, ErrorCode::NotSupported, ErrorCode::InternalError,
        ErrorCode::ProtocolError, ErrorCode::SecurityError, ErrorCode::FormationViolation,
        ErrorCode::PropertyConstraintViolation, ErrorCode::OccurenceConstraintViolation,
        ErrorCode::TypeConstraintViolation, ErrorCode::GenericError})
    codes.emplace_back(to_string(code));
  return codes;
}

}  // namespace

OcppMetrics::OcppMetrics()
    : frames_in(action_names()),
      frames_out(action_names()),
      callerrors_sent(error_codes()),
      callerrors_received(error_codes()),
      handler_seconds(action_names(), core::Histogram::latency_bounds()) {}

OcppMetrics& ocpp_metrics() {
  static OcppMetrics metrics;
  return metrics;
}

void write_ocpp_metrics(core::PrometheusText& out) {
  using Type = core::PrometheusText::Type;
  const OcppMetrics& m = ocpp_metrics();
  out.family("chargelock_ocpp_connected_piles", Type::Gauge,
             "Piles connected to this node, by security profile (0: admitted without credentials)");
  for (std::size_t profile = 0; profile < m.connected_piles.size(); ++profile) {
    const std::string label = std::to_string(profile);
    out.sample("chargelock_ocpp_connected_piles", {{"security_profile", label}},
               m.connected_piles[profile].value());
  }
  out.family("chargelock_ocpp_frames_total", Type::Counter,
             "OCPP-J frames by direction and action (an answer counts under its CALL's action)");
  for (const auto& [direction, set] :
       {std::pair<const char*, const core::CounterSet*>{"in", &m.frames_in},
        {"out", &m.frames_out}})
    for (const auto& [action, count] : set->values())
      if (count != 0 || action == "BootNotification" || action == "Heartbeat")
        out.sample("chargelock_ocpp_frames_total", {{"direction", direction}, {"action", action}},
                   count);
  out.family("chargelock_ocpp_callerrors_total", Type::Counter,
             "CALLERROR frames by direction (sent to piles, received from piles) and code");
  for (const auto& [direction, set] :
       {std::pair<const char*, const core::CounterSet*>{"sent", &m.callerrors_sent},
        {"received", &m.callerrors_received}})
    for (const auto& [code, count] : set->values())
      out.sample("chargelock_ocpp_callerrors_total", {{"direction", direction}, {"code", code}},
                 count);
  out.family("chargelock_ocpp_handler_seconds", Type::Histogram,
             "Time a worker spent handling a pile's CALL (handler and response check), by action");
  // Only actions piles have sent: CS->CP actions never reach a handler.
  for (const auto& [action, snapshot] : m.handler_seconds.snapshots())
    if (snapshot.count() != 0)
      out.histogram("chargelock_ocpp_handler_seconds", {{"action", action}}, snapshot);
}

}  // namespace chargelock::ocpp
