// Registers the handler of every Charge-Point-initiated OCPP 1.6 action
// (core profile, firmware management, security extension) with the
// central system's services.
#pragma once

#include "core/central_system.h"
#include "ocpp/rpc/action_handler.h"

namespace chargelock::ocpp {

// `central` must outlive `registry`'s use.
void register_charge_point_actions(ActionRegistry& registry, core::CentralSystem& central);

}  // namespace chargelock::ocpp
