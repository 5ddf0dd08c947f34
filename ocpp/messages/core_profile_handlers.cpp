// Core profile handlers: BootNotification, Heartbeat, StatusNotification,
// Authorize, StartTransaction, StopTransaction, MeterValues, DataTransfer.
#include "core/lock_codec.h"
#include "core/timestamp.h"
#include "ocpp/messages/charge_point_handlers.h"
#include "ocpp/messages/json_fields.h"

namespace chargelock::ocpp::messages {

namespace {

// OCPP MeterValue[] -> core::MeterValue (missing array -> empty).
std::vector<core::MeterValue> read_meter_values(const rapidjson::Value& request, const char* name) {
  std::vector<core::MeterValue> out;
  const auto it = request.FindMember(name);
  if (it == request.MemberEnd() || !it->value.IsArray()) return out;
  for (const auto& item : it->value.GetArray()) {
    if (!item.IsObject())
      throw CallFailure(ErrorCode::TypeConstraintViolation, "meterValue must be objects");
    core::MeterValue meter;
    meter.timestamp = required_time(item, "timestamp");
    const auto samples = item.FindMember("sampledValue");
    if (samples != item.MemberEnd() && samples->value.IsArray()) {
      for (const auto& s : samples->value.GetArray()) {
        if (!s.IsObject())
          throw CallFailure(ErrorCode::TypeConstraintViolation, "sampledValue must be objects");
        core::SampledValue sample;
        sample.value = required_string(s, "value");
        sample.context = optional_string(s, "context");
        sample.format = optional_string(s, "format");
        sample.measurand = optional_string(s, "measurand");
        sample.phase = optional_string(s, "phase");
        sample.location = optional_string(s, "location");
        sample.unit = optional_string(s, "unit");
        meter.sampled_values.push_back(std::move(sample));
      }
    }
    out.push_back(std::move(meter));
  }
  return out;
}

}  // namespace

void BootNotificationHandler::handle_in(core::WriteBatch& batch, const CallContext& context,
                                        const rapidjson::Value& request,
                                        rapidjson::Document& response) {
  core::BootInfo boot;
  boot.vendor = required_string(request, "chargePointVendor");
  boot.model = required_string(request, "chargePointModel");
  boot.charge_point_serial = optional_string(request, "chargePointSerialNumber");
  boot.charge_box_serial = optional_string(request, "chargeBoxSerialNumber");
  boot.firmware_version = optional_string(request, "firmwareVersion");
  boot.iccid = optional_string(request, "iccid");
  boot.imsi = optional_string(request, "imsi");
  boot.meter_type = optional_string(request, "meterType");
  boot.meter_serial = optional_string(request, "meterSerialNumber");
  const core::BootResult result = service_.boot(batch, context.charge_point_id, boot);
  begin_object(response);
  add_string(response, response, "status", core::to_string(result.status));
  add_string(response, response, "currentTime", core::format_rfc3339(result.current_time));
  add_int(response, response, "interval", result.interval_s);
}

void HeartbeatHandler::handle_in(core::WriteBatch& /*batch: writes nothing*/,
                                 const CallContext& context, const rapidjson::Value&,
                                 rapidjson::Document& response) {
  const core::Timestamp now = service_.heartbeat(context.charge_point_id);
  begin_object(response);
  add_string(response, response, "currentTime", core::format_rfc3339(now));
}

void StatusNotificationHandler::handle_in(core::WriteBatch& batch, const CallContext& context,
                                          const rapidjson::Value& request,
                                          rapidjson::Document& response) {
  core::ConnectorStatus status;
  status.charge_point_id = context.charge_point_id;
  status.connector_id = required_int(request, "connectorId");
  status.status = required_string(request, "status");
  status.error_code = required_string(request, "errorCode");
  status.info = optional_string(request, "info");
  status.vendor_id = optional_string(request, "vendorId");
  status.vendor_error_code = optional_string(request, "vendorErrorCode");
  if (request.HasMember("timestamp")) status.timestamp = required_time(request, "timestamp");
  service_.status_notification(batch, status);
  begin_object(response);
}

void AuthorizeHandler::handle(const CallContext& context, const rapidjson::Value& request,
                              rapidjson::Document& response) {
  core::AuthorizationContext where;
  where.charge_point_id = context.charge_point_id;
  const auto info = service_.authorize(where, required_string(request, "idTag"));
  begin_object(response);
  add_id_tag_info(response, response, info);
}

void StartTransactionHandler::handle(const CallContext& context, const rapidjson::Value& request,
                                     rapidjson::Document& response) {
  core::StartTransactionRequest start;
  start.connector_id = required_int(request, "connectorId");
  start.id_tag = required_string(request, "idTag");
  start.meter_start = required_int(request, "meterStart");
  start.timestamp = required_time(request, "timestamp");
  start.reservation_id = optional_int(request, "reservationId");
  const auto result = service_.start(context.charge_point_id, start);
  begin_object(response);
  add_int(response, response, "transactionId", result.transaction_id);
  add_id_tag_info(response, response, result.id_tag_info);
}

void StopTransactionHandler::handle(const CallContext& context, const rapidjson::Value& request,
                                    rapidjson::Document& response) {
  core::StopTransactionRequest stop;
  stop.transaction_id = required_int(request, "transactionId");
  stop.id_tag = optional_string(request, "idTag");
  stop.meter_stop = required_int(request, "meterStop");
  stop.timestamp = required_time(request, "timestamp");
  stop.reason = optional_string(request, "reason");
  stop.transaction_data = read_meter_values(request, "transactionData");
  const auto info = service_.stop(context.charge_point_id, stop);
  begin_object(response);
  if (info) add_id_tag_info(response, response, *info);
}

void MeterValuesHandler::handle_in(core::WriteBatch& batch, const CallContext& context,
                                   const rapidjson::Value& request, rapidjson::Document& response) {
  core::MeterValuesRequest values;
  values.connector_id = required_int(request, "connectorId");
  values.transaction_id = optional_int(request, "transactionId");
  values.meter_values = read_meter_values(request, "meterValue");
  service_.meter_values(batch, context.charge_point_id, values);
  begin_object(response);
}

void DataTransferHandler::handle(const CallContext& context, const rapidjson::Value& request,
                                 rapidjson::Document& response) {
  core::DataTransferRequest transfer;
  transfer.vendor_id = required_string(request, "vendorId");
  transfer.message_id = optional_string(request, "messageId");
  transfer.data = optional_string(request, "data");
  const auto result = service_.receive(context.charge_point_id, transfer);
  begin_object(response);
  add_string(response, response, "status", core::to_string(result.status));
  if (result.data) add_string(response, response, "data", *result.data);
}

bool DataTransferHandler::urgent(const rapidjson::Value& request) const {
  return optional_string(request, "vendorId") ==
         std::optional<std::string>(core::lock_codec::kVendorId);
}

}  // namespace chargelock::ocpp::messages
