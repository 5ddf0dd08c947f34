#include "core/event_service.h"

namespace chargelock::core {

EventService::EventService(EventStore& events) : events_(events) {}

void EventService::status_notification(StatusNotificationKind kind,
                                       const std::string& charge_point_id,
                                       const std::string& status, std::optional<int> request_id) {
  StatusNotificationRecord record;
  record.charge_point_id = charge_point_id;
  record.status = status;
  if (kind == StatusNotificationKind::Log || kind == StatusNotificationKind::SignedFirmware)
    record.request_id = request_id;
  events_.record_status(kind, record);
}

void EventService::security_event(const std::string& charge_point_id, const SecurityEvent& event) {
  SecurityEventRecord record;
  record.charge_point_id = charge_point_id;
  record.type = event.type;
  record.timestamp = event.timestamp;
  record.tech_info = event.tech_info;
  events_.record_security_event(record);
}

SignCertificateStatus EventService::sign_certificate(const std::string& charge_point_id,
                                                     const std::string& csr) {
  if (csr.empty()) return SignCertificateStatus::Rejected;
  CertificateSigningRequestRecord record;
  record.charge_point_id = charge_point_id;
  record.csr = csr;
  events_.record_csr(record);
  return SignCertificateStatus::Accepted;
}

}  // namespace chargelock::core
