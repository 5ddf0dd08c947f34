// Notification-type records a pile sends and the central system keeps:
// status notifications (diagnostics, firmware, log upload, signed firmware),
// security events, certificate signing requests and data transfers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/pile_events.h"
#include "core/timestamp.h"

namespace chargelock::core {

class EventStore {
 public:
  virtual ~EventStore() = default;

  virtual void record_status(StatusNotificationKind kind,
                             const StatusNotificationRecord& record) = 0;
  // Newest first, at most `limit`.
  virtual std::vector<StatusNotificationRecord> statuses(StatusNotificationKind kind,
                                                         const std::string& charge_point_id,
                                                         std::size_t limit) = 0;

  virtual void record_security_event(const SecurityEventRecord& event) = 0;
  virtual std::vector<SecurityEventRecord> security_events(const std::string& charge_point_id,
                                                           std::size_t limit) = 0;

  // Returns the id of the stored request.
  virtual std::int64_t record_csr(const CertificateSigningRequestRecord& request) = 0;
  virtual std::vector<CertificateSigningRequestRecord> csrs(const std::string& charge_point_id,
                                                            std::size_t limit) = 0;

  virtual void record_data_transfer(const DataTransferRecord& transfer) = 0;
  virtual std::vector<DataTransferRecord> data_transfers(const std::string& charge_point_id,
                                                         std::size_t limit) = 0;
};

}  // namespace chargelock::core
