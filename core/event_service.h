// Notification-type messages a pile sends, recorded for operators:
// DiagnosticsStatusNotification, FirmwareStatusNotification,
// LogStatusNotification, SignedFirmwareStatusNotification,
// SecurityEventNotification and SignCertificate.
//
// Threading: called on worker threads; blocks on the database.
#pragma once

#include <optional>
#include <string>

#include "core/stores/event_store.h"
#include "core/timestamp.h"

namespace chargelock::core {

struct SecurityEvent {
  std::string type;
  Timestamp timestamp;
  std::optional<std::string> tech_info;
};

// OCPP security extension GenericStatusEnumType.
enum class SignCertificateStatus { Accepted, Rejected };

class EventService {
 public:
  explicit EventService(EventStore& events);

  // Any of the four status notifications; request_id for Log and
  // SignedFirmware (ignored for the others).
  void status_notification(StatusNotificationKind kind, const std::string& charge_point_id,
                           const std::string& status, std::optional<int> request_id = {});
  void security_event(const std::string& charge_point_id, const SecurityEvent& event);
  // Stores the CSR (PEM) for signing; Accepted when stored. Signing and
  // CertificateSigned are left to the operator (admin API).
  SignCertificateStatus sign_certificate(const std::string& charge_point_id,
                                         const std::string& csr);

  EventStore& store() { return events_; }

 private:
  EventStore& events_;
};

}  // namespace chargelock::core
