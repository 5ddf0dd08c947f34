// Central-system-initiated OCPP calls (the durable command queue's records)
// and the pile state answered commands leave behind (configuration keys,
// local list version, reservations).
//
// Status text in the database and in every record is one of "queued",
// "sent", "completed", "failed", "timeout", "expired".
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/timestamp.h"

namespace chargelock::core {

enum class CommandStatus { Queued, Sent, Completed, Failed, Timeout, Expired };

// Lower case, as the API shows it and as stored: "queued", "sent",
// "completed", "failed", "timeout", "expired".
inline const char* to_string(CommandStatus status) {
  switch (status) {
    case CommandStatus::Queued:
      return "queued";
    case CommandStatus::Sent:
      return "sent";
    case CommandStatus::Completed:
      return "completed";
    case CommandStatus::Failed:
      return "failed";
    case CommandStatus::Timeout:
      return "timeout";
    case CommandStatus::Expired:
      return "expired";
  }
  return "failed";
}
inline std::optional<CommandStatus> command_status_from_string(const std::string& text) {
  for (CommandStatus s : {CommandStatus::Queued, CommandStatus::Sent, CommandStatus::Completed,
                          CommandStatus::Failed, CommandStatus::Timeout, CommandStatus::Expired})
    if (text == to_string(s)) return s;
  return std::nullopt;
}

struct NewCommand {
  std::string charge_point_id;
  std::string action;
  std::string payload_json;  // as it may be shown: secrets replaced by "***"
  // The payload's secret, sealed (core/secret_box.h); kept only while the
  // command is queued.
  std::optional<std::string> secret;
  std::optional<std::string> idempotency_key;
  std::string origin;
  Timestamp expires_at;
};

struct StoredCommand {
  std::int64_t id = 0;
  std::string charge_point_id;
  std::string action;
  std::string payload_json;
  // Sealed; only while queued, and in the record claim_next() returns.
  std::optional<std::string> secret;
  std::string status;
  std::optional<std::string> response_json;
  std::optional<std::string> error_code;
  std::optional<std::string> error_description;
  std::optional<std::string> idempotency_key;
  std::string origin;
  std::optional<std::string> claimed_by;
  Timestamp created_at;
  Timestamp expires_at;
  std::optional<Timestamp> sent_at;
  std::optional<Timestamp> completed_at;
  // A claim's answer only: whether another command of the pile was queued
  // behind this one when it was claimed. true when not known (the
  // dispatcher then asks for the pile's next command after the answer).
  bool more_queued = true;
};

struct CommandQuery {
  std::optional<std::string> charge_point_id;
  std::optional<std::string> status;
  std::int64_t before_id = 0;  // 0 = from the newest
  int limit = 100;
};

// How a sent command ended.
struct CommandResult {
  std::string status;  // "completed", "failed" or "timeout"
  std::optional<std::string> response_json;
  std::optional<std::string> error_code;
  std::optional<std::string> error_description;
};

struct ConfigurationKey {
  std::string key;
  std::optional<std::string> value;
  bool readonly = false;
};

struct Reservation {
  int reservation_id = 0;
  int connector_id = 0;
  std::string id_tag;
  std::optional<std::string> parent_id_tag;
  Timestamp expiry_date;
  std::string status = "active";  // active | cancelled | used | expired
  std::optional<std::int64_t> command_id;
};

// What an answered command changes in the stored pile state; applied in the
// same transaction as the command's completion.
struct CommandEffects {
  // GetConfiguration: the keys the pile reported (upserted; others kept).
  std::vector<ConfigurationKey> configuration;
  // ChangeConfiguration accepted: the key's new value.
  std::optional<ConfigurationKey> configuration_change;
  // SendLocalList accepted / GetLocalListVersion answered.
  std::optional<int> local_list_version;
  // ReserveNow accepted (replaces a reservation with the same id).
  std::optional<Reservation> reservation;
  // CancelReservation accepted.
  std::optional<int> cancelled_reservation_id;
  // An accepted AuthorizationKey: the pile's new password hash.
  std::optional<std::string> password_hash;
};

}  // namespace chargelock::core
