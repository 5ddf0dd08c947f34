// The core bundle: every domain service of a central system wired to one
// Stores. The app builds one and hands it to the OCPP layer
// (ocpp/messages/register_actions.h) and the API.
//
// Threading: construction and the add-on setters (authorization policy,
// vendor extensions) happen before workers start; the services are then
// called on worker threads. directory() is also read on the websocket
// loop thread (see ChargePointDirectory).
#pragma once

#include <memory>
#include <string>

#include "core/authorization_service.h"
#include "core/charge_point_directory.h"
#include "core/charge_point_service.h"
#include "core/command_service.h"
#include "core/data_transfer_service.h"
#include "core/event_service.h"
#include "core/lock_service.h"
#include "core/message_log_writer.h"
#include "core/notification_service.h"
#include "core/telematics_service.h"
#include "core/transaction_service.h"
#include "core/vehicle_service.h"
#include "core/webhook_service.h"

namespace chargelock::core {

class Stores;

struct CentralSystemConfig {
  int heartbeat_interval_s = 300;            // answered to Accepted boots
  int boot_retry_interval_s = 60;            // answered to Pending/Rejected boots
  bool auto_register = false;                // accept unknown piles; register them Pending at boot
  bool allow_unauthenticated_piles = false;  // piles without a password may connect
  std::string node_id = "ocpp-1";            // this OCPP node (scale-out)
  bool message_log = true;                   // start the message log writer thread
  int message_log_nice = 0;                  // added to its thread's nice value (bulk work)
  double low_battery_threshold = 20;         // percent: telematics low-battery prompt
  int vehicles_per_owner = 20;               // registrations an owner may hold
  int lock_requests_per_hour = 6;            // lock requests per vehicle per hour (429 beyond)
  std::size_t lock_fan_out_chunk = 1000;     // piles per fan-out commit (LockLimits)
  // Seals queued commands' secrets (core/secret_box.h); keyless keeps them
  // in clear until delivery.
  SecretBox secrets;
};

class CentralSystem {
 public:
  // Does not touch the database; call directory().reload() on a thread that
  // may block (the app: at start, periodically, after changes elsewhere).
  CentralSystem(Stores& stores, CentralSystemConfig config);
  ~CentralSystem();
  CentralSystem(const CentralSystem&) = delete;
  CentralSystem& operator=(const CentralSystem&) = delete;

  const CentralSystemConfig& config() const { return config_; }
  Stores& stores() { return stores_; }

  ChargePointDirectory& directory() { return directory_; }
  ChargePointService& charge_points() { return charge_points_; }
  AuthorizationService& authorization() { return authorization_; }
  TransactionService& transactions() { return transactions_; }
  EventService& events() { return events_; }
  DataTransferService& data_transfers() { return data_transfers_; }
  // The durable command queue. The app sets its validator (ocpp/) before
  // workers start: set_command_validator().
  CommandService& commands() { return commands_; }
  void set_command_validator(const CommandValidator* validator) {
    commands_.set_validator(validator);
  }
  // Null when config.message_log is false.
  MessageLogWriter* message_log() { return message_log_.get(); }

  // The vehicle lock (SPEC §4, §5). The constructor registers the lock
  // service as the org.chargelock vendor extension, the authorization
  // policy and the boot observer.
  VehicleService& vehicles() { return vehicles_; }
  NotificationService& notifications() { return notifications_; }
  // Owners' webhook settings; delivery is a WebhookDispatcher the app runs.
  WebhookService& webhooks() { return webhooks_; }
  TelematicsService& telematics() { return telematics_; }
  LockService& locks() { return locks_; }

 private:
  Stores& stores_;
  CentralSystemConfig config_;
  ChargePointDirectory directory_;
  ChargePointService charge_points_;
  AuthorizationService authorization_;
  TransactionService transactions_;
  EventService events_;
  DataTransferService data_transfers_;
  CommandService commands_;
  VehicleService vehicles_;
  NotificationService notifications_;
  WebhookService webhooks_;
  TelematicsService telematics_;
  LockService locks_;
  std::unique_ptr<MessageLogWriter> message_log_;
};

}  // namespace chargelock::core
