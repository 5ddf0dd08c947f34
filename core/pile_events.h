// Notification-type records a pile sends and the central system keeps:
// status notifications (diagnostics, firmware, log upload, signed firmware),
// security events, certificate signing requests and data transfers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/timestamp.h"

namespace chargelock::core {

enum class StatusNotificationKind {
  Diagnostics,     // DiagnosticsStatusNotification
  Firmware,        // FirmwareStatusNotification
  Log,             // LogStatusNotification (security extension)
  SignedFirmware,  // SignedFirmwareStatusNotification (security extension)
};

struct StatusNotificationRecord {
  std::string charge_point_id;
  std::string status;
  std::optional<int> request_id;  // Log and SignedFirmware only
  Timestamp received_at;          // set by the store
};

struct SecurityEventRecord {
  std::string charge_point_id;
  std::string type;
  Timestamp timestamp;  // as reported by the pile
  std::optional<std::string> tech_info;
  Timestamp received_at;  // set by the store
};

struct CertificateSigningRequestRecord {
  std::int64_t id = 0;  // set by the store
  std::string charge_point_id;
  std::string csr;  // PEM, as sent
  std::string status = "Received";
  Timestamp received_at;  // set by the store
};

struct DataTransferRecord {
  std::string charge_point_id;
  std::string vendor_id;
  std::optional<std::string> message_id;
  std::optional<std::string> data;
  std::string answer_status;  // what the central system answered
  Timestamp received_at;      // set by the store
};

}  // namespace chargelock::core
