// DataTransfer from a pile: routed by vendor id to a registered
// VendorExtension, and recorded in the same transaction as the extension's
// writes (one commit before the answer: a VehicleLocked answered under a
// flood waited 20-50 ms for the record's own commit after the lock's). The
// ChargeLock lock extension (vendor id "org.chargelock", SPEC §4) plugs in
// here with add_vendor().
//
// Threading: receive() runs on worker threads; add_vendor() must be called
// before the workers start.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "core/stores/event_store.h"
#include "core/stores/stores.h"
#include "core/write_batch.h"

namespace chargelock::core {

// OCPP 1.6 DataTransferStatus.
enum class DataTransferStatus { Accepted, Rejected, UnknownMessageId, UnknownVendorId };

const char* to_string(DataTransferStatus status);

struct DataTransferRequest {
  std::string vendor_id;
  std::optional<std::string> message_id;
  std::optional<std::string> data;
};

struct DataTransferResult {
  DataTransferStatus status = DataTransferStatus::UnknownVendorId;
  std::optional<std::string> data;
};

// Handles the DataTransfers of one vendor id. Must be thread-safe.
class VendorExtension {
 public:
  virtual ~VendorExtension() = default;
  // Writes through `batch` (grouped: they share the record's commit; alone:
  // each commits by itself, and the extension may open its own batch).
  virtual DataTransferResult handle(WriteBatch& batch, const std::string& charge_point_id,
                                    const DataTransferRequest& request) = 0;
};

class DataTransferService {
 public:
  // `batches` makes the one batch of a DataTransfer; without it each write
  // commits by itself.
  explicit DataTransferService(EventStore& events, Stores* batches = nullptr);

  // `extension` must outlive the service. Replaces an earlier one.
  void add_vendor(const std::string& vendor_id, VendorExtension& extension);

  // UnknownVendorId for a vendor id without extension; the request and the
  // answer's status are recorded either way.
  DataTransferResult receive(const std::string& charge_point_id,
                             const DataTransferRequest& request);

 private:
  DataTransferResult handle(WriteBatch& batch, VendorExtension* vendor,
                            const std::string& charge_point_id, const DataTransferRequest& request);

  EventStore& events_;
  Stores* batches_;
  std::map<std::string, VendorExtension*> vendors_;
};

}  // namespace chargelock::core
