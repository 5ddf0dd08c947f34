#include "ocpp/messages/register_actions.h"

#include <memory>

#include "ocpp/messages/charge_point_handlers.h"

namespace chargelock::ocpp {

void register_charge_point_actions(ActionRegistry& registry, core::CentralSystem& central) {
  using namespace messages;
  auto& charge_points = central.charge_points();
  auto& transactions = central.transactions();
  auto& events = central.events();
  registry.add("BootNotification", std::make_unique<BootNotificationHandler>(charge_points));
  registry.add("Heartbeat", std::make_unique<HeartbeatHandler>(charge_points));
  registry.add("StatusNotification", std::make_unique<StatusNotificationHandler>(charge_points));
  registry.add("Authorize", std::make_unique<AuthorizeHandler>(central.authorization()));
  registry.add("StartTransaction", std::make_unique<StartTransactionHandler>(transactions));
  registry.add("StopTransaction", std::make_unique<StopTransactionHandler>(transactions));
  registry.add("MeterValues", std::make_unique<MeterValuesHandler>(transactions));
  registry.add("DataTransfer", std::make_unique<DataTransferHandler>(central.data_transfers()));
  registry.add("DiagnosticsStatusNotification",
               std::make_unique<DiagnosticsStatusNotificationHandler>(events));
  registry.add("FirmwareStatusNotification",
               std::make_unique<FirmwareStatusNotificationHandler>(events));
  registry.add("SecurityEventNotification",
               std::make_unique<SecurityEventNotificationHandler>(events));
  registry.add("SignCertificate", std::make_unique<SignCertificateHandler>(events));
  registry.add("LogStatusNotification", std::make_unique<LogStatusNotificationHandler>(events));
  registry.add("SignedFirmwareStatusNotification",
               std::make_unique<SignedFirmwareStatusNotificationHandler>(events));
}

}  // namespace chargelock::ocpp
