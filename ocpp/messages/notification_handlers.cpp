// Firmware management and security extension handlers: the notification
// messages, SecurityEventNotification and SignCertificate.
#include "ocpp/messages/charge_point_handlers.h"
#include "ocpp/messages/json_fields.h"

namespace chargelock::ocpp::messages {

void DiagnosticsStatusNotificationHandler::handle(const CallContext& context,
                                                  const rapidjson::Value& request,
                                                  rapidjson::Document& response) {
  service_.status_notification(core::StatusNotificationKind::Diagnostics, context.charge_point_id,
                               required_string(request, "status"));
  begin_object(response);
}

void FirmwareStatusNotificationHandler::handle(const CallContext& context,
                                               const rapidjson::Value& request,
                                               rapidjson::Document& response) {
  service_.status_notification(core::StatusNotificationKind::Firmware, context.charge_point_id,
                               required_string(request, "status"));
  begin_object(response);
}

void SecurityEventNotificationHandler::handle(const CallContext& context,
                                              const rapidjson::Value& request,
                                              rapidjson::Document& response) {
  core::SecurityEvent event;
  event.type = required_string(request, "type");
  event.timestamp = required_time(request, "timestamp");
  event.tech_info = optional_string(request, "techInfo");
  service_.security_event(context.charge_point_id, event);
  begin_object(response);
}

void SignCertificateHandler::handle(const CallContext& context, const rapidjson::Value& request,
                                    rapidjson::Document& response) {
  const auto status =
      service_.sign_certificate(context.charge_point_id, required_string(request, "csr"));
  begin_object(response);
  add_string(response, response, "status",
             status == core::SignCertificateStatus::Accepted ? "Accepted" : "Rejected");
}

void LogStatusNotificationHandler::handle(const CallContext& context,
                                          const rapidjson::Value& request,
                                          rapidjson::Document& response) {
  service_.status_notification(core::StatusNotificationKind::Log, context.charge_point_id,
                               required_string(request, "status"),
                               optional_int(request, "requestId"));
  begin_object(response);
}

void SignedFirmwareStatusNotificationHandler::handle(const CallContext& context,
                                                     const rapidjson::Value& request,
                                                     rapidjson::Document& response) {
  service_.status_notification(core::StatusNotificationKind::SignedFirmware,
                               context.charge_point_id, required_string(request, "status"),
                               optional_int(request, "requestId"));
  begin_object(response);
}

}  // namespace chargelock::ocpp::messages
