#include "ocpp/schemas/action_catalog.h"

#include <algorithm>

namespace chargelock::ocpp {

const std::vector<ActionInfo>& ocpp16_actions() {
  static const std::vector<ActionInfo> actions = [] {
    std::vector<ActionInfo> list = {
        // Core
        {"Authorize", Initiator::ChargePoint, "Core"},
        {"BootNotification", Initiator::ChargePoint, "Core"},
        {"ChangeAvailability", Initiator::CentralSystem, "Core"},
        {"ChangeConfiguration", Initiator::CentralSystem, "Core"},
        {"ClearCache", Initiator::CentralSystem, "Core"},
        {"DataTransfer", Initiator::Both, "Core"},
        {"GetConfiguration", Initiator::CentralSystem, "Core"},
        {"Heartbeat", Initiator::ChargePoint, "Core"},
        {"MeterValues", Initiator::ChargePoint, "Core"},
        {"RemoteStartTransaction", Initiator::CentralSystem, "Core"},
        {"RemoteStopTransaction", Initiator::CentralSystem, "Core"},
        {"Reset", Initiator::CentralSystem, "Core"},
        {"StartTransaction", Initiator::ChargePoint, "Core"},
        {"StatusNotification", Initiator::ChargePoint, "Core"},
        {"StopTransaction", Initiator::ChargePoint, "Core"},
        {"UnlockConnector", Initiator::CentralSystem, "Core"},
        // Firmware Management
        {"DiagnosticsStatusNotification", Initiator::ChargePoint, "FirmwareManagement"},
        {"FirmwareStatusNotification", Initiator::ChargePoint, "FirmwareManagement"},
        {"GetDiagnostics", Initiator::CentralSystem, "FirmwareManagement"},
        {"UpdateFirmware", Initiator::CentralSystem, "FirmwareManagement"},
        // Local Auth List Management
        {"GetLocalListVersion", Initiator::CentralSystem, "LocalAuthListManagement"},
        {"SendLocalList", Initiator::CentralSystem, "LocalAuthListManagement"},
        // Reservation
        {"CancelReservation", Initiator::CentralSystem, "Reservation"},
        {"ReserveNow", Initiator::CentralSystem, "Reservation"},
        // Smart Charging
        {"ClearChargingProfile", Initiator::CentralSystem, "SmartCharging"},
        {"GetCompositeSchedule", Initiator::CentralSystem, "SmartCharging"},
        {"SetChargingProfile", Initiator::CentralSystem, "SmartCharging"},
        // Remote Trigger
        {"TriggerMessage", Initiator::CentralSystem, "RemoteTrigger"},
        // Security extension (Security Whitepaper edition 2)
        {"CertificateSigned", Initiator::CentralSystem, "Security"},
        {"DeleteCertificate", Initiator::CentralSystem, "Security"},
        {"ExtendedTriggerMessage", Initiator::CentralSystem, "Security"},
        {"GetInstalledCertificateIds", Initiator::CentralSystem, "Security"},
        {"GetLog", Initiator::CentralSystem, "Security"},
        {"InstallCertificate", Initiator::CentralSystem, "Security"},
        {"LogStatusNotification", Initiator::ChargePoint, "Security"},
        {"SecurityEventNotification", Initiator::ChargePoint, "Security"},
        {"SignCertificate", Initiator::ChargePoint, "Security"},
        {"SignedFirmwareStatusNotification", Initiator::ChargePoint, "Security"},
        {"SignedUpdateFirmware", Initiator::CentralSystem, "Security"},
    };
    std::sort(list.begin(), list.end(),
              [](const ActionInfo& a, const ActionInfo& b) { return a.name < b.name; });
    return list;
  }();
  return actions;
}

std::optional<ActionInfo> find_ocpp16_action(std::string_view name) {
  const auto& actions = ocpp16_actions();
  auto it = std::lower_bound(actions.begin(), actions.end(), name,
                             [](const ActionInfo& a, std::string_view n) { return a.name < n; });
  if (it == actions.end() || it->name != name) return std::nullopt;
  return *it;
}

}  // namespace chargelock::ocpp
