// Which OCPP 1.6 actions exist and who may initiate them. The JSON schemas
// say what a message looks like but not who sends it; this table is taken
// from OCPP 1.6 edition 2 §4/§5 (six feature profiles) and the OCPP 1.6
// Security Whitepaper edition 2 (security extension).
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace chargelock::ocpp {

enum class Initiator {
  ChargePoint,    // pile → central system (BootNotification, ...)
  CentralSystem,  // central system → pile (Reset, ...)
  Both,           // DataTransfer only
};

struct ActionInfo {
  std::string_view name;
  Initiator initiator;
  std::string_view feature_profile;  // "Core", ..., or "Security" for the extension
};

// Every action of OCPP 1.6 plus the security extension, sorted by name.
const std::vector<ActionInfo>& ocpp16_actions();

std::optional<ActionInfo> find_ocpp16_action(std::string_view name);

}  // namespace chargelock::ocpp
