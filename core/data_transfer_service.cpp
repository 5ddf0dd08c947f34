#include "core/data_transfer_service.h"

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

DataTransferService::DataTransferService(EventStore& events) : events_(events) {}

void DataTransferService::add_vendor(const std::string& vendor_id, VendorExtension& extension) {
  vendors_[vendor_id] = &extension;
}

DataTransferResult DataTransferService::receive(const std::string& charge_point_id,
                                                const DataTransferRequest& request) {
  DataTransferResult result;
  const auto it = vendors_.find(request.vendor_id);
  if (it != vendors_.end()) result = it->second->handle(charge_point_id, request);

  DataTransferRecord record;
  record.charge_point_id = charge_point_id;
  record.vendor_id = request.vendor_id;
  record.message_id = request.message_id;
  record.data = request.data;
  record.answer_status = to_string(result.status);
  events_.record_data_transfer(record);
  return result;
}

}  // namespace chargelock::core
