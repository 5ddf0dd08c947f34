// core::CommandValidator for OCPP 1.6: a command may carry only an action the
// central system initiates, with a payload that passes the action's request
// schema; and the effects a CALLRESULT has on the stored pile state.
//
// Threading: stateless after construction; safe from any number of threads.
#pragma once

#include <optional>
#include <string>

#include "core/command_service.h"
#include "ocpp/schemas/schema_registry.h"

namespace chargelock::ocpp {

class OcppCommandValidator final : public core::CommandValidator {
 public:
  explicit OcppCommandValidator(const SchemaRegistry& schemas = SchemaRegistry::ocpp16())
      : schemas_(schemas) {}

  // Errors name the failing field: "action: ...", "payload: not JSON ...",
  // or "payload/<json pointer>: <rule>" from the request schema.
  std::optional<std::string> check(const std::string& action,
                                   const std::string& payload_json) const override;

  // GetConfiguration → reported keys; ChangeConfiguration Accepted or
  // RebootRequired → the key's new value; SendLocalList Accepted and
  // GetLocalListVersion → list version; ReserveNow Accepted → reservation;
  // CancelReservation Accepted → reservation cancelled.
  core::CommandEffects effects(const std::string& action, const std::string& payload_json,
                               const std::string& response_json) const override;

  // The secrets of ocpp/rpc/secret_redaction.h (ChangeConfiguration of
  // AuthorizationKey).
  std::optional<SecretSplit> take_secret(const std::string& action,
                                         const std::string& payload_json) const override;
  std::string put_secret(const std::string& action, const std::string& redacted_payload_json,
                         const std::string& secret) const override;

 private:
  const SchemaRegistry& schemas_;
};

}  // namespace chargelock::ocpp
