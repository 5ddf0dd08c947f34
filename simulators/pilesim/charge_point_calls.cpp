// ChargePoint: answers to the CALLs a central system sends (OCPP 1.6 §5 and
// the ChargeLock lock extension). Each request is first checked against its
// OCPP 1.6 JSON schema; a request that fails is answered with the CALLERROR
// the schema registry names.
#include <algorithm>
#include <cctype>
#include <cmath>

#include "base/json_writer.h"
#include "base/time.h"
#include "ocpp/schemas/schema_registry.h"
#include "simulators/pilesim/charge_point.h"
#include "simulators/pilesim/lock_extension.h"

namespace chargelock::pilesim {
namespace {

int connector_of(const rapidjson::Value& payload) {
  return static_cast<int>(json::integer(payload, "connectorId").value_or(-1));
}

// For event lines: what a lock names, without the hashes themselves.
std::string describe(const LockEntry& entry) {
  if (entry.hashed) {
    return std::string("hashed: ") + (entry.hashed->vin_hash.empty() ? "no VIN, " : "a VIN, ") +
           std::to_string(entry.hashed->id_tag_hashes.size()) + " id tags, " +
           std::to_string(entry.hashed->evcc_id_hashes.size()) + " EVCC ids";
  }
  return "vin " + (entry.vin.empty() ? std::string("-") : entry.vin) + ", " +
         std::to_string(entry.id_tags.size()) + " id tags, " +
         std::to_string(entry.evcc_ids.size()) + " EVCC ids";
}

}  // namespace

void ChargePoint::reply(const std::string& message_id, std::string_view payload) {
  outbox_.push_back(ocpp::serialize_call_result_text(message_id, payload));
}

void ChargePoint::reply_error(const std::string& message_id, ocpp::ErrorCode code,
                              std::string_view text) {
  outbox_.push_back(ocpp::serialize_call_error(message_id, code, text));
}

void ChargePoint::handle_call(const ocpp::Call& call, std::int64_t now) {
  ++stats_->cs_calls;
  const auto& registry = ocpp::SchemaRegistry::ocpp16();
  const std::string& id = call.message_id;
  const std::string& action = call.action;
  const rapidjson::Value& request = call.payload;
  if (!registry.knows(action)) {
    reply_error(id, ocpp::ErrorCode::NotImplemented, "unknown action " + action);
    return;
  }
  if (!registry.central_system_may_initiate(action)) {
    reply_error(id, ocpp::ErrorCode::NotSupported, action + " is sent by charge points");
    return;
  }
  if (auto failure = registry.validate_request(action, request)) {
    reply_error(id, failure->code, failure->description);
    return;
  }
  const auto info = ocpp::find_ocpp16_action(action);
  if (info && info->feature_profile == "Security") {
    reply_error(id, ocpp::ErrorCode::NotSupported,
                "the simulator does not implement the security extension");
    return;
  }

  base::JsonWriter response;
  response.begin_object();
  if (action == "DataTransfer") {
    answer_data_transfer(call, now);
  } else if (action == "Reset") {
    response.field("status", "Accepted");
    reply(id, response.end_object().str());
    const bool hard = json::string(request, "type").value_or("Soft") == "Hard";
    deferred_.push_back({now + 500, Job::Reboot, hard ? 1 : 0});
  } else if (action == "GetConfiguration" || action == "ChangeConfiguration") {
    answer_configuration(call, now);
  } else if (action == "ClearCache") {
    auth_cache_.clear();
    response.field("status", "Accepted");
    reply(id, response.end_object().str());
  } else if (action == "TriggerMessage") {
    answer_trigger(call, now);
  } else if (action == "RemoteStartTransaction") {
    answer_remote_start(call, now);
  } else if (action == "RemoteStopTransaction") {
    const auto tx_id = json::integer(request, "transactionId").value_or(-1);
    int found = 0;
    for (int c = 1; c <= config_.connectors && found == 0; ++c) {
      if (transaction_id(c) == std::optional<int>(static_cast<int>(tx_id))) found = c;
    }
    response.field("status", found != 0 ? "Accepted" : "Rejected");
    reply(id, response.end_object().str());
    if (found != 0) end_transaction(found, "Remote", now);
  } else if (action == "UnlockConnector") {
    const int c = connector_of(request);
    if (!valid_connector(c)) {
      response.field("status", "NotSupported");
      reply(id, response.end_object().str());
      return;
    }
    response.field("status", "Unlocked");
    reply(id, response.end_object().str());
    if (connectors_[static_cast<std::size_t>(c)].tx) end_transaction(c, "UnlockCommand", now);
    release_vehicle(c, "UnlockConnector");
  } else if (action == "ChangeAvailability") {
    answer_change_availability(call);
  } else if (action == "ReserveNow") {
    answer_reserve_now(call);
  } else if (action == "CancelReservation") {
    const auto reservation = json::integer(request, "reservationId").value_or(-1);
    bool found = false;
    for (int c = 1; c <= config_.connectors; ++c) {
      auto& conn = connectors_[static_cast<std::size_t>(c)];
      if (conn.reservation && conn.reservation->id == reservation) {
        conn.reservation.reset();
        found = true;
        refresh_status(c);
      }
    }
    response.field("status", found ? "Accepted" : "Rejected");
    reply(id, response.end_object().str());
  } else if (action == "SetChargingProfile") {
    answer_set_charging_profile(call);
  } else if (action == "ClearChargingProfile") {
    answer_clear_charging_profile(call);
  } else if (action == "GetCompositeSchedule") {
    answer_composite_schedule(call, now);
  } else if (action == "SendLocalList") {
    answer_send_local_list(call);
  } else if (action == "GetLocalListVersion") {
    response.field("listVersion",
                   store_.boolean("LocalAuthListEnabled") ? local_list_version_ : -1);
    reply(id, response.end_object().str());
  } else if (action == "GetDiagnostics") {
    response.field("fileName", config_.id + "-diagnostics.log");
    reply(id, response.end_object().str());
    deferred_.push_back({now + 1000, Job::DiagnosticsUploading, 0});
    deferred_.push_back({now + 3000, Job::DiagnosticsUploaded, 0});
  } else if (action == "UpdateFirmware") {
    reply(id, response.end_object().str());  // an empty object
    const auto retrieve = base::parse_rfc3339(json::string(request, "retrieveDate").value_or(""));
    const std::int64_t start = std::max(now, retrieve ? base::to_unix_ms(*retrieve) : now) + 1000;
    for (int step = 0; step < 4; ++step) {
      deferred_.push_back({start + 1000 * step, Job::FirmwareStep, step});
    }
  } else {
    reply_error(id, ocpp::ErrorCode::NotImplemented, action + " is not simulated");
  }
}

void ChargePoint::answer_data_transfer(const ocpp::Call& call, std::int64_t now) {
  const rapidjson::Value& request = call.payload;
  base::JsonWriter response;
  response.begin_object();
  const std::string vendor = json::string(request, "vendorId").value_or("");
  if (!config_.lock_extension || vendor != kLockVendorId) {
    response.field("status", "UnknownVendorId");
    reply(call.message_id, response.end_object().str());
    return;
  }
  const std::string message = json::string(request, "messageId").value_or("");
  const std::string data = json::string(request, "data").value_or("");
  if (message == kLockVehicle) {
    answer_lock_vehicle(call, now);
  } else if (message == kUnlockVehicle) {
    const auto lock_id = parse_unlock_vehicle(data);
    if (!lock_id) {
      response.field("status", "Rejected");
      response.field("data", "lockId missing");
      reply(call.message_id, response.end_object().str());
      return;
    }
    if (watch_.disarm(*lock_id)) {
      ++stats_->locks_disarmed;
      note("lock " + *lock_id + " disarmed");
    }
    response.field("status", "Accepted");
    reply(call.message_id, response.end_object().str());
    for (int c = 1; c <= config_.connectors; ++c) {
      if (connectors_[static_cast<std::size_t>(c)].caught_by == *lock_id) {
        release_vehicle(c, "UnlockVehicle");
      }
    }
  } else {
    response.field("status", "UnknownMessageId");
    reply(call.message_id, response.end_object().str());
  }
}

void ChargePoint::answer_lock_vehicle(const ocpp::Call& call, std::int64_t now) {
  base::JsonWriter response;
  response.begin_object();
  auto reject = [&](const std::string& why) {
    response.field("status", "Rejected");
    response.field("data", why);
    reply(call.message_id, response.end_object().str());
    note("LockVehicle rejected: " + why);
  };
  std::string error;
  auto entry = parse_lock_vehicle(json::string(call.payload, "data").value_or(""), &error);
  if (!entry) {
    reject(error);
    return;
  }
  // The central system sends hashes only to piles that declared support;
  // a pile that cannot match them must not claim to be armed.
  if (entry->hashed && !config_.hashed_matching) {
    reject("hashed matching (sha256) is not supported by this pile; send clear identifiers");
    return;
  }
  const std::string lock_id = entry->lock_id;
  const std::string what = describe(*entry);
  // A repeated lock id is a refresh (the central system re-sends until it
  // is sure the pile has it): replaced, not added, and Accepted again.
  if (watch_.arm(std::move(*entry))) {
    ++stats_->locks_armed;
    note("lock " + lock_id + " armed (" + what + ")");
  } else {
    note("lock " + lock_id + " refreshed (" + what + ")");
  }
  response.field("status", "Accepted");
  reply(call.message_id, response.end_object().str());
  // Armed means a matching vehicle already here is held now, not only the
  // next one to plug in (docs/lock-extension.md, Central system → pile).
  catch_plugged_vehicles(lock_id, now);
}

void ChargePoint::answer_trigger(const ocpp::Call& call, std::int64_t now) {
  const rapidjson::Value& request = call.payload;
  const std::string what = json::string(request, "requestedMessage").value_or("");
  const auto connector = json::integer(request, "connectorId");
  base::JsonWriter response;
  response.begin_object();
  if (connector && (*connector < 0 || *connector > config_.connectors)) {
    response.field("status", "Rejected");
    reply(call.message_id, response.end_object().str());
    return;
  }
  response.field("status", "Accepted");
  reply(call.message_id, response.end_object().str());
  const int first = connector ? static_cast<int>(*connector) : 0;
  const int last = connector ? static_cast<int>(*connector) : config_.connectors;
  if (what == "BootNotification") {
    send_boot();
  } else if (what == "Heartbeat") {
    enqueue("Heartbeat", "{}");
  } else if (what == "StatusNotification") {
    for (int c = first; c <= last; ++c) refresh_status(c, true);
  } else if (what == "MeterValues") {
    for (int c = std::max(1, first); c <= last; ++c) {
      connectors_[static_cast<std::size_t>(c)].meter.advance(now, limit_w(c));
      send_meter_values(c, "Trigger", false, now);
    }
  } else if (what == "DiagnosticsStatusNotification") {
    base::JsonWriter payload;
    payload.begin_object();
    payload.field("status", diagnostics_status_);
    enqueue("DiagnosticsStatusNotification", payload.end_object().str());
  } else if (what == "FirmwareStatusNotification") {
    base::JsonWriter payload;
    payload.begin_object();
    payload.field("status", firmware_status_);
    enqueue("FirmwareStatusNotification", payload.end_object().str());
  }
}

void ChargePoint::answer_remote_start(const ocpp::Call& call, std::int64_t now) {
  const rapidjson::Value& request = call.payload;
  const std::string id_tag = json::string(request, "idTag").value_or("");
  base::JsonWriter response;
  response.begin_object();
  auto usable = [&](int c) {
    const Connector& conn = connectors_[static_cast<std::size_t>(c)];
    return !conn.tx && !conn.authorizing && conn.caught_by.empty() && !conn.inoperative &&
           (!conn.reservation || conn.reservation->id_tag == id_tag);
  };
  int chosen = 0;
  if (const auto requested = json::integer(request, "connectorId")) {
    if (valid_connector(static_cast<int>(*requested)) && usable(static_cast<int>(*requested))) {
      chosen = static_cast<int>(*requested);
    }
  } else {
    // A waiting vehicle first, then a free connector.
    for (int c = 1; c <= config_.connectors && chosen == 0; ++c) {
      if (usable(c) && connectors_[static_cast<std::size_t>(c)].vehicle) chosen = c;
    }
    for (int c = 1; c <= config_.connectors && chosen == 0; ++c) {
      if (usable(c)) chosen = c;
    }
  }
  if (chosen == 0) {
    response.field("status", "Rejected");
    reply(call.message_id, response.end_object().str());
    return;
  }
  Connector& conn = connectors_[static_cast<std::size_t>(chosen)];
  if (!conn.vehicle) {
    // The driver plugs in the cable the app told them to use.
    Vehicle vehicle;
    vehicle.id_tag = id_tag;
    conn.vehicle = vehicle;
    conn.finished = false;
    if (config_.lock_extension) {
      if (auto match = watch_.match(vehicle)) {
        response.field("status", "Rejected");
        reply(call.message_id, response.end_object().str());
        catch_vehicle(chosen, *match, now);
        return;
      }
    }
    refresh_status(chosen);
  }
  response.field("status", "Accepted");
  reply(call.message_id, response.end_object().str());
  if (const rapidjson::Value* profile = json::member(request, "chargingProfile")) {
    if (auto parsed = parse_profile(*profile, chosen)) profiles_.push_back(*parsed);
  }
  if (store_.boolean("AuthorizeRemoteTxRequests")) {
    request_start(chosen, id_tag, now);
  } else {
    begin_transaction(chosen, id_tag, now);
  }
}

void ChargePoint::answer_change_availability(const ocpp::Call& call) {
  const rapidjson::Value& request = call.payload;
  const int c = connector_of(request);
  const bool inoperative = json::string(request, "type").value_or("") == "Inoperative";
  base::JsonWriter response;
  response.begin_object();
  if (c < 0 || c > config_.connectors) {
    response.field("status", "Rejected");
    reply(call.message_id, response.end_object().str());
    return;
  }
  bool scheduled = false;
  const int first = c == 0 ? 0 : c;
  const int last = c == 0 ? config_.connectors : c;
  for (int i = first; i <= last; ++i) {
    Connector& conn = connectors_[static_cast<std::size_t>(i)];
    if (!inoperative) {
      conn.inoperative = false;
      conn.inoperative_scheduled = false;
    } else if (conn.tx) {
      conn.inoperative_scheduled = true;
      scheduled = true;
    } else {
      conn.inoperative = true;
    }
  }
  response.field("status", scheduled ? "Scheduled" : "Accepted");
  reply(call.message_id, response.end_object().str());
  for (int i = first; i <= last; ++i) refresh_status(i);
}

void ChargePoint::answer_reserve_now(const ocpp::Call& call) {
  const rapidjson::Value& request = call.payload;
  const int c = connector_of(request);
  const int reservation_id = static_cast<int>(json::integer(request, "reservationId").value_or(0));
  base::JsonWriter response;
  response.begin_object();
  std::string status = "Accepted";
  if (!valid_connector(c)) {
    status = "Rejected";  // includes connector 0: ReserveConnectorZeroSupported is false
  } else {
    const Connector& conn = connectors_[static_cast<std::size_t>(c)];
    if (conn.inoperative) {
      status = "Unavailable";
    } else if (conn.vehicle || conn.tx ||
               (conn.reservation && conn.reservation->id != reservation_id)) {
      status = "Occupied";
    }
  }
  response.field("status", status);
  reply(call.message_id, response.end_object().str());
  if (status != "Accepted") return;
  for (int i = 1; i <= config_.connectors; ++i) {  // a known reservation id moves
    auto& other = connectors_[static_cast<std::size_t>(i)];
    if (i != c && other.reservation && other.reservation->id == reservation_id) {
      other.reservation.reset();
      refresh_status(i);
    }
  }
  Reservation reservation;
  reservation.id = reservation_id;
  reservation.id_tag = json::string(request, "idTag").value_or("");
  const auto expiry = base::parse_rfc3339(json::string(request, "expiryDate").value_or(""));
  reservation.expires_at = expiry ? base::to_unix_ms(*expiry) : kNever;
  connectors_[static_cast<std::size_t>(c)].reservation = reservation;
  refresh_status(c);
}

std::optional<ChargePoint::Profile> ChargePoint::parse_profile(const rapidjson::Value& profile,
                                                               int connector) const {
  const rapidjson::Value* schedule = json::member(profile, "chargingSchedule");
  if (schedule == nullptr) return std::nullopt;
  const rapidjson::Value* periods = json::member(*schedule, "chargingSchedulePeriod");
  if (periods == nullptr || !periods->IsArray() || periods->Empty()) return std::nullopt;
  const double limit = json::number((*periods)[0], "limit").value_or(0);
  const bool amps = json::string(*schedule, "chargingRateUnit").value_or("W") == "A";
  Profile p;
  p.id = static_cast<int>(json::integer(profile, "chargingProfileId").value_or(0));
  p.stack_level = static_cast<int>(json::integer(profile, "stackLevel").value_or(0));
  p.purpose = json::string(profile, "chargingProfilePurpose").value_or("TxDefaultProfile");
  p.connector = connector;
  p.limit_w = amps ? limit * 230.0 * MeterModel::kPhases : limit;
  return p;
}

void ChargePoint::answer_set_charging_profile(const ocpp::Call& call) {
  const rapidjson::Value& request = call.payload;
  const int c = connector_of(request);
  const rapidjson::Value* raw = json::member(request, "csChargingProfiles");
  base::JsonWriter response;
  response.begin_object();
  std::optional<Profile> profile;
  if (raw != nullptr && c >= 0 && c <= config_.connectors) profile = parse_profile(*raw, c);
  bool ok = profile.has_value();
  if (ok && profile->purpose == "ChargePointMaxProfile" && c != 0) ok = false;
  if (ok && profile->purpose == "TxProfile" &&
      (c == 0 || !connectors_[static_cast<std::size_t>(c)].tx)) {
    ok = false;  // OCPP 1.6 §3.13.2: a TxProfile needs a running transaction
  }
  if (ok && profile->stack_level > store_.integer("ChargeProfileMaxStackLevel")) ok = false;
  response.field("status", ok ? "Accepted" : "Rejected");
  reply(call.message_id, response.end_object().str());
  if (!ok) return;
  profiles_.erase(std::remove_if(profiles_.begin(), profiles_.end(),
                                 [&](const Profile& p) {
                                   return p.id == profile->id ||
                                          (p.connector == c && p.purpose == profile->purpose &&
                                           p.stack_level == profile->stack_level);
                                 }),
                  profiles_.end());
  profiles_.push_back(*profile);
  for (int i = 1; i <= config_.connectors; ++i) refresh_status(i);
}

void ChargePoint::answer_clear_charging_profile(const ocpp::Call& call) {
  const rapidjson::Value& request = call.payload;
  const auto id = json::integer(request, "id");
  const auto connector = json::integer(request, "connectorId");
  const auto purpose = json::string(request, "chargingProfilePurpose");
  const auto stack = json::integer(request, "stackLevel");
  const std::size_t before = profiles_.size();
  profiles_.erase(std::remove_if(profiles_.begin(), profiles_.end(),
                                 [&](const Profile& p) {
                                   if (id) return p.id == *id;
                                   return (!connector || p.connector == *connector) &&
                                          (!purpose || p.purpose == *purpose) &&
                                          (!stack || p.stack_level == *stack);
                                 }),
                  profiles_.end());
  base::JsonWriter response;
  response.begin_object();
  response.field("status", profiles_.size() < before ? "Accepted" : "Unknown");
  reply(call.message_id, response.end_object().str());
  for (int i = 1; i <= config_.connectors; ++i) refresh_status(i);
}

void ChargePoint::answer_composite_schedule(const ocpp::Call& call, std::int64_t now) {
  const rapidjson::Value& request = call.payload;
  const int c = connector_of(request);
  base::JsonWriter response;
  response.begin_object();
  if (c < 0 || c > config_.connectors) {
    response.field("status", "Rejected");
    reply(call.message_id, response.end_object().str());
    return;
  }
  const bool amps = json::string(request, "chargingRateUnit").value_or("W") == "A";
  double limit = c == 0 ? -1 : limit_w(c);
  if (c == 0) {
    for (const auto& p : profiles_) {
      if (p.connector == 0) limit = limit < 0 ? p.limit_w : std::min(limit, p.limit_w);
    }
  }
  if (limit < 0) limit = config_.max_power_w * (c == 0 ? config_.connectors : 1);
  if (amps) limit /= 230.0 * MeterModel::kPhases;
  response.field("status", "Accepted");
  response.field("connectorId", c);
  response.field("scheduleStart", base::from_unix_ms(now));
  response.key("chargingSchedule")
      .begin_object()
      .field("duration", static_cast<int>(json::integer(request, "duration").value_or(0)))
      .field("chargingRateUnit", amps ? "A" : "W")
      .begin_array("chargingSchedulePeriod")
      .begin_object()
      .field("startPeriod", 0)
      .field("limit", std::round(limit * 10.0) / 10.0)
      .end_object()
      .end_array()
      .end_object();
  reply(call.message_id, response.end_object().str());
}

void ChargePoint::answer_send_local_list(const ocpp::Call& call) {
  const rapidjson::Value& request = call.payload;
  const int version = static_cast<int>(json::integer(request, "listVersion").value_or(0));
  const bool full = json::string(request, "updateType").value_or("Full") == "Full";
  const rapidjson::Value* list = json::member(request, "localAuthorizationList");
  base::JsonWriter response;
  response.begin_object();
  std::string status = "Accepted";
  if (!store_.boolean("LocalAuthListEnabled")) {
    status = "NotSupported";
  } else if (list != nullptr && list->IsArray() &&
             static_cast<std::int64_t>(list->Size()) > store_.integer("SendLocalListMaxLength")) {
    status = "Failed";
  } else if (!full && version <= local_list_version_) {
    status = "VersionMismatch";
  }
  response.field("status", status);
  reply(call.message_id, response.end_object().str());
  if (status != "Accepted") return;
  if (full) local_list_.clear();
  if (list != nullptr && list->IsArray()) {
    for (const auto& item : list->GetArray()) {
      const std::string tag = json::string(item, "idTag").value_or("");
      const rapidjson::Value* info = json::member(item, "idTagInfo");
      local_list_.erase(std::remove_if(local_list_.begin(), local_list_.end(),
                                       [&](const auto& e) { return e.first == tag; }),
                        local_list_.end());
      if (info != nullptr) {
        local_list_.emplace_back(tag, json::string(*info, "status").value_or("Invalid"));
      }
    }
  }
  local_list_version_ = version;
}

void ChargePoint::answer_configuration(const ocpp::Call& call, std::int64_t now) {
  const rapidjson::Value& request = call.payload;
  base::JsonWriter response;
  response.begin_object();
  if (call.action == "GetConfiguration") {
    std::vector<std::string> unknown;
    response.begin_array("configurationKey");
    auto add_entry = [&](const ConfigurationEntry& entry) {
      response.begin_object()
          .field("key", entry.key)
          .field("readonly", entry.readonly)
          .field("value", entry.value)
          .end_object();
    };
    const auto keys = json::strings(request, "key");
    if (keys.empty()) {
      for (const auto& entry : store_.all()) add_entry(entry);
    } else {
      for (const auto& key : keys) {
        if (auto entry = store_.get(key)) {
          add_entry(*entry);
        } else {
          unknown.push_back(key);
        }
      }
    }
    response.end_array();
    if (!unknown.empty()) response.strings("unknownKey", unknown);
    reply(call.message_id, response.end_object().str());
    return;
  }
  const std::string key = json::string(request, "key").value_or("");
  const std::string value = json::string(request, "value").value_or("");
  const ConfigurationChange result = store_.change(key, value);
  response.field("status", result == ConfigurationChange::Accepted   ? "Accepted"
                           : result == ConfigurationChange::Rejected ? "Rejected"
                                                                     : "NotSupported");
  reply(call.message_id, response.end_object().str());
  if (result != ConfigurationChange::Accepted) return;
  if (key == "HeartbeatInterval" && registration_ == Registration::Accepted) {
    const std::int64_t interval = heartbeat_interval_s();
    heartbeat_at_ = interval > 0 ? now + interval * 1000 : kNever;
  } else if (key == "MeterValueSampleInterval") {
    const std::int64_t interval = store_.integer("MeterValueSampleInterval");
    for (auto& conn : connectors_) {
      if (conn.tx) conn.next_sample_at = interval > 0 ? now + interval * 1000 : kNever;
    }
  }
}

}  // namespace chargelock::pilesim
