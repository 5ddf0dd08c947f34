// One ActionHandler per Charge-Point-initiated OCPP 1.6 action (all six
// feature profiles and the security extension): JSON request -> core call
// -> JSON response shaped by the action's response schema. Each handler
// runs on a worker thread (see ocpp/rpc/action_handler.h) and keeps a
// reference to the core service it calls.
#pragma once

#include "core/authorization_service.h"
#include "core/charge_point_service.h"
#include "core/data_transfer_service.h"
#include "core/event_service.h"
#include "core/transaction_service.h"
#include "ocpp/rpc/action_handler.h"

namespace chargelock::ocpp::messages {

// Core profile ---------------------------------------------------------------

// {status: Accepted|Pending|Rejected, currentTime, interval}
class BootNotificationHandler final : public SharedActionHandler {
 public:
  explicit BootNotificationHandler(core::ChargePointService& service) : service_(service) {}
  void handle_in(core::WriteBatch& batch, const CallContext& context,
                 const rapidjson::Value& request, rapidjson::Document& response) override;
  // Writes the boot and arms active locks at the pile (database only); a
  // boot storm of thousands of piles then costs a few commits, not one each.

 private:
  core::ChargePointService& service_;
};

// {currentTime}. Writes nothing (the pile's last_seen is noted by the
// gateway for every frame): answered on the OCPP loop.
class HeartbeatHandler final : public SharedActionHandler {
 public:
  explicit HeartbeatHandler(core::ChargePointService& service) : service_(service) {}
  void handle_in(core::WriteBatch& batch, const CallContext& context,
                 const rapidjson::Value& request, rapidjson::Document& response) override;
  bool answers_on_loop() const override { return true; }

 private:
  core::ChargePointService& service_;
};

// {}
class StatusNotificationHandler final : public SharedActionHandler {
 public:
  explicit StatusNotificationHandler(core::ChargePointService& service) : service_(service) {}
  void handle_in(core::WriteBatch& batch, const CallContext& context,
                 const rapidjson::Value& request, rapidjson::Document& response) override;

 private:
  core::ChargePointService& service_;
};

// {idTagInfo}
class AuthorizeHandler final : public ActionHandler {
 public:
  explicit AuthorizeHandler(core::AuthorizationService& service) : service_(service) {}
  void handle(const CallContext& context, const rapidjson::Value& request,
              rapidjson::Document& response) override;
  // A driver waits at the pile; the vehicle lock's check runs here.
  bool urgent(const rapidjson::Value&) const override { return true; }

 private:
  core::AuthorizationService& service_;
};

// {transactionId, idTagInfo}
class StartTransactionHandler final : public ActionHandler {
 public:
  explicit StartTransactionHandler(core::TransactionService& service) : service_(service) {}
  void handle(const CallContext& context, const rapidjson::Value& request,
              rapidjson::Document& response) override;
  // A driver waits at the pile; the vehicle lock's check runs here.
  bool urgent(const rapidjson::Value&) const override { return true; }

 private:
  core::TransactionService& service_;
};

// {idTagInfo?}
class StopTransactionHandler final : public ActionHandler {
 public:
  explicit StopTransactionHandler(core::TransactionService& service) : service_(service) {}
  void handle(const CallContext& context, const rapidjson::Value& request,
              rapidjson::Document& response) override;

 private:
  core::TransactionService& service_;
};

// {}
class MeterValuesHandler final : public SharedActionHandler {
 public:
  explicit MeterValuesHandler(core::TransactionService& service) : service_(service) {}
  void handle_in(core::WriteBatch& batch, const CallContext& context,
                 const rapidjson::Value& request, rapidjson::Document& response) override;

 private:
  core::TransactionService& service_;
};

// {status, data?}
class DataTransferHandler final : public ActionHandler {
 public:
  explicit DataTransferHandler(core::DataTransferService& service) : service_(service) {}
  void handle(const CallContext& context, const rapidjson::Value& request,
              rapidjson::Document& response) override;
  // The vehicle lock's own messages (org.chargelock: VehicleLocked...).
  bool urgent(const rapidjson::Value& request) const override;

 private:
  core::DataTransferService& service_;
};

// Firmware management profile --------------------------------------------------

// {}
class DiagnosticsStatusNotificationHandler final : public ActionHandler {
 public:
  explicit DiagnosticsStatusNotificationHandler(core::EventService& service) : service_(service) {}
  void handle(const CallContext& context, const rapidjson::Value& request,
              rapidjson::Document& response) override;

 private:
  core::EventService& service_;
};

// {}
class FirmwareStatusNotificationHandler final : public ActionHandler {
 public:
  explicit FirmwareStatusNotificationHandler(core::EventService& service) : service_(service) {}
  void handle(const CallContext& context, const rapidjson::Value& request,
              rapidjson::Document& response) override;

 private:
  core::EventService& service_;
};

// Security extension -----------------------------------------------------------

// {}
class SecurityEventNotificationHandler final : public ActionHandler {
 public:
  explicit SecurityEventNotificationHandler(core::EventService& service) : service_(service) {}
  void handle(const CallContext& context, const rapidjson::Value& request,
              rapidjson::Document& response) override;

 private:
  core::EventService& service_;
};

// {status: Accepted|Rejected}
class SignCertificateHandler final : public ActionHandler {
 public:
  explicit SignCertificateHandler(core::EventService& service) : service_(service) {}
  void handle(const CallContext& context, const rapidjson::Value& request,
              rapidjson::Document& response) override;

 private:
  core::EventService& service_;
};

// {}
class LogStatusNotificationHandler final : public ActionHandler {
 public:
  explicit LogStatusNotificationHandler(core::EventService& service) : service_(service) {}
  void handle(const CallContext& context, const rapidjson::Value& request,
              rapidjson::Document& response) override;

 private:
  core::EventService& service_;
};

// {}
class SignedFirmwareStatusNotificationHandler final : public ActionHandler {
 public:
  explicit SignedFirmwareStatusNotificationHandler(core::EventService& service)
      : service_(service) {}
  void handle(const CallContext& context, const rapidjson::Value& request,
              rapidjson::Document& response) override;

 private:
  core::EventService& service_;
};

}  // namespace chargelock::ocpp::messages
