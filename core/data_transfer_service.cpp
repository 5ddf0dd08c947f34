#include "core/data_transfer_service.h"

#include <fmt/format.h>

#include "core/domain_errors.h"
#include "core/log.h"

namespace chargelock::core {

const char* to_string(DataTransferStatus status) {
  switch (status) {
    case DataTransferStatus::Accepted:
      return "Accepted";
    case DataTransferStatus::Rejected:
      return "Rejected";
    case DataTransferStatus::UnknownMessageId:
      return "UnknownMessageId";
    case DataTransferStatus::UnknownVendorId:
      return "UnknownVendorId";
  }
  return "Rejected";
}

DataTransferService::DataTransferService(EventStore& events, Stores* batches)
    : events_(events), batches_(batches) {}

void DataTransferService::add_vendor(const std::string& vendor_id, VendorExtension& extension) {
  vendors_[vendor_id] = &extension;
}

DataTransferResult DataTransferService::receive(const std::string& charge_point_id,
                                                const DataTransferRequest& request) {
  const auto it = vendors_.find(request.vendor_id);
  VendorExtension* vendor = it != vendors_.end() ? it->second : nullptr;
  if (const auto own = batches_ != nullptr ? batches_->make_batch() : nullptr) {
    try {
      WriteBatch batch(own.get());
      DataTransferResult result = handle(batch, vendor, charge_point_id, request);
      if (batch.commit()) return result;
    } catch (const DatabaseError& error) {
      // E.g. two piles' first reports of one lock at once: each took the
      // lock row's key share with its sighting, then both want it for
      // update (a deadlock PostgreSQL ends by failing one). Nothing of that
      // attempt is kept; handled again with each write committing by itself.
      log(LogLevel::Warn, "data_transfer_retried",
          fmt::format("chargelock: DataTransfer {} from {}: handled again write by write after: {}",
                      request.message_id.value_or(""), charge_point_id, error.what()),
          {charge_point_id, {}});
    }
  }
  WriteBatch alone = WriteBatch::alone();
  return handle(alone, vendor, charge_point_id, request);
}

DataTransferResult DataTransferService::handle(WriteBatch& batch, VendorExtension* vendor,
                                               const std::string& charge_point_id,
                                               const DataTransferRequest& request) {
  DataTransferResult result;
  if (vendor != nullptr) result = vendor->handle(batch, charge_point_id, request);
  DataTransferRecord record;
  record.charge_point_id = charge_point_id;
  record.vendor_id = request.vendor_id;
  record.message_id = request.message_id;
  record.data = request.data;
  record.answer_status = to_string(result.status);
  batch.store(&Stores::events, events_).record_data_transfer(record);
  return result;
}

}  // namespace chargelock::core
