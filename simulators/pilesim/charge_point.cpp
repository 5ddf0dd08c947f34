#include "simulators/pilesim/charge_point.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <utility>

#include "base/json_writer.h"
#include "base/time.h"
#include "simulators/pilesim/lock_extension.h"
#include "simulators/pilesim/meter_values.h"

namespace chargelock::pilesim {
namespace {

bool same_id_tag(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) ==
                  std::toupper(static_cast<unsigned char>(y));
         });
}

std::string id_tag_status(const rapidjson::Value& payload) {
  const rapidjson::Value* info = json::member(payload, "idTagInfo");
  if (info == nullptr) return "Invalid";
  return json::string(*info, "status").value_or("Invalid");
}

constexpr std::size_t kMaxQueuedCalls = 2000;  // per pile, while offline

}  // namespace

std::string_view to_string(ConnectorStatus status) {
  switch (status) {
    case ConnectorStatus::Available:
      return "Available";
    case ConnectorStatus::Preparing:
      return "Preparing";
    case ConnectorStatus::Charging:
      return "Charging";
    case ConnectorStatus::SuspendedEVSE:
      return "SuspendedEVSE";
    case ConnectorStatus::SuspendedEV:
      return "SuspendedEV";
    case ConnectorStatus::Finishing:
      return "Finishing";
    case ConnectorStatus::Reserved:
      return "Reserved";
    case ConnectorStatus::Unavailable:
      return "Unavailable";
    case ConnectorStatus::Faulted:
      return "Faulted";
  }
  return "Faulted";
}

ChargePoint::ChargePoint(PileConfig config, Stats& stats, EventSink& events, std::uint32_t seed)
    : config_(std::move(config)),
      stats_(&stats),
      events_(&events),
      rng_(seed == 0 ? 1 : seed),
      store_(config_.connectors),
      connectors_(static_cast<std::size_t>(config_.connectors) + 1) {}

// ---------------------------------------------------------------- glue events

void ChargePoint::power_on(std::int64_t now, std::int64_t first_connect_delay_ms) {
  clock_ms_ = now;
  powered_ = true;
  reconnect_at_ = now + std::max<std::int64_t>(0, first_connect_delay_ms);
  tick(now);
}

void ChargePoint::on_connected(std::int64_t now) {
  clock_ms_ = now;
  if (link_ == LinkState::Up) return;
  link_ = LinkState::Up;
  registration_ = Registration::None;
  ++stats_->connects;
  send_boot();
  pump(now);
}

void ChargePoint::on_disconnected(std::int64_t now) {
  clock_ms_ = now;
  if (link_ == LinkState::Down) return;
  const bool was_up = link_ == LinkState::Up;
  link_ = LinkState::Down;
  registration_ = Registration::None;
  disconnect_request_ = false;
  connect_request_ = false;
  if (was_up) {
    ++stats_->disconnects;
  } else {
    ++stats_->connect_failures;
  }
  outbox_.clear();
  in_flight_ = false;
  call_deadline_ = kNever;
  heartbeat_at_ = kNever;
  boot_retry_at_ = kNever;
  calls_.erase(std::remove_if(calls_.begin(), calls_.end(),
                              [](const QueuedCall& call) { return !call.durable; }),
               calls_.end());
  if (planned_reconnect_at_ != kNever) {
    reconnect_at_ = std::max(planned_reconnect_at_, now);
    planned_reconnect_at_ = kNever;
  } else {
    const int shift = std::min(backoff_attempts_, 20);
    const std::int64_t delay =
        std::min(config_.backoff_max_ms, config_.backoff_base_ms * (std::int64_t{1} << shift));
    ++backoff_attempts_;
    reconnect_at_ = now + jitter(delay);
  }
  // An Authorize that got lost with the connection: decide locally.
  for (int c = 1; c <= config_.connectors; ++c) {
    Connector& conn = connectors_[static_cast<std::size_t>(c)];
    if (!conn.authorizing) continue;
    conn.authorizing = false;
    if (conn.vehicle && known_locally(conn.vehicle->auth_id())) {
      begin_transaction(c, conn.vehicle->auth_id(), now);
    }
  }
}

void ChargePoint::on_text(std::string_view text, std::int64_t now) {
  clock_ms_ = now;
  ++stats_->frames_received;
  auto parsed = ocpp::parse_frame(text);
  if (auto* error = std::get_if<ocpp::FrameError>(&parsed)) {
    ++stats_->protocol_errors;
    const bool is_reply = error->message_type && *error->message_type != ocpp::MessageType::Call;
    if (is_reply && in_flight_ && !calls_.empty() &&
        calls_.front().message_id == error->reply.message_id) {
      fail_in_flight("malformed answer", now);
    } else if (!is_reply) {
      outbox_.push_back(ocpp::serialize_call_error(error->reply.message_id, error->reply.code,
                                                   error->reply.description,
                                                   &error->reply.details));
    }
    pump(now);
    return;
  }
  auto& frame = std::get<ocpp::Frame>(parsed);
  if (auto* call = std::get_if<ocpp::Call>(&frame)) {
    handle_call(*call, now);
  } else if (auto* result = std::get_if<ocpp::CallResult>(&frame)) {
    on_result(*result, now);
  } else {
    on_error(std::get<ocpp::CallError>(frame), now);
  }
  pump(now);
}

void ChargePoint::tick(std::int64_t now) {
  clock_ms_ = now;
  if (powered_ && link_ == LinkState::Down && reconnect_at_ <= now) {
    reconnect_at_ = kNever;
    link_ = LinkState::Connecting;
    connect_request_ = true;
  }
  if (in_flight_ && call_deadline_ <= now) {
    ++stats_->call_timeouts;
    const std::uint32_t tag = calls_.empty() ? 0 : calls_.front().tag;
    fail_in_flight("no answer in time", now);
    report_done(tag, CallOutcome::Timeout, now);
  }
  if (link_ == LinkState::Up && registration_ != Registration::Accepted && boot_retry_at_ <= now) {
    boot_retry_at_ = kNever;
    send_boot();
  }
  if (link_ == LinkState::Up && registration_ == Registration::Accepted && heartbeat_at_ <= now) {
    enqueue("Heartbeat", "{}");
    const std::int64_t interval = heartbeat_interval_s();
    heartbeat_at_ = interval > 0 ? now + interval * 1000 : kNever;
  }
  for (int c = 1; c <= config_.connectors; ++c) {
    Connector& conn = connectors_[static_cast<std::size_t>(c)];
    if (conn.tx && conn.next_sample_at <= now) {
      conn.meter.advance(now, limit_w(c));
      send_meter_values(c, "Sample.Periodic", true, now);
      const std::int64_t interval = store_.integer("MeterValueSampleInterval");
      conn.next_sample_at = interval > 0 ? now + interval * 1000 : kNever;
      refresh_status(c);  // SuspendedEV once the battery is full
    }
    if (conn.reservation && conn.reservation->expires_at <= now) {
      note("reservation " + std::to_string(conn.reservation->id) + " on connector " +
           std::to_string(c) + " expired");
      conn.reservation.reset();
      refresh_status(c);
    }
  }
  std::vector<Deferred> due;
  for (auto it = deferred_.begin(); it != deferred_.end();) {
    if (it->at <= now) {
      due.push_back(*it);
      it = deferred_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& job : due) run_job(job, now);
  pump(now);
}

std::string ChargePoint::pop_outgoing() {
  std::string frame = std::move(outbox_.front());
  outbox_.pop_front();
  ++stats_->frames_sent;
  return frame;
}

bool ChargePoint::take_connect_request() { return std::exchange(connect_request_, false); }

bool ChargePoint::take_disconnect_request() { return std::exchange(disconnect_request_, false); }

std::int64_t ChargePoint::next_wakeup() const {
  std::int64_t next = kNever;
  if (powered_ && link_ == LinkState::Down) next = std::min(next, reconnect_at_);
  if (in_flight_) next = std::min(next, call_deadline_);
  if (link_ == LinkState::Up) {
    if (registration_ != Registration::Accepted) next = std::min(next, boot_retry_at_);
    if (registration_ == Registration::Accepted) next = std::min(next, heartbeat_at_);
    if (!in_flight_ && !calls_.empty() && calls_.front().not_before > 0) {
      next = std::min(next, calls_.front().not_before);
    }
  }
  for (const auto& conn : connectors_) {
    if (conn.tx) next = std::min(next, conn.next_sample_at);
    if (conn.reservation) next = std::min(next, conn.reservation->expires_at);
  }
  for (const auto& job : deferred_) next = std::min(next, job.at);
  return next;
}

// ---------------------------------------------------------------- driver actions

ActionResult ChargePoint::plug_in(int connector, Vehicle vehicle, bool auto_start,
                                  std::int64_t now) {
  clock_ms_ = now;
  if (!valid_connector(connector)) return {false, "no connector " + std::to_string(connector)};
  Connector& conn = connectors_[static_cast<std::size_t>(connector)];
  if (conn.vehicle) return {false, "connector " + std::to_string(connector) + " is occupied"};
  if (conn.inoperative)
    return {false, "connector " + std::to_string(connector) + " is unavailable"};
  if (conn.reservation && !same_id_tag(conn.reservation->id_tag, vehicle.auth_id())) {
    return {false, "connector " + std::to_string(connector) + " is reserved for another id tag"};
  }
  conn.vehicle = std::move(vehicle);
  conn.finished = false;
  if (config_.lock_extension) {
    if (auto match = watch_.match(*conn.vehicle)) {
      catch_vehicle(connector, *match, now);
      pump(now);
      return {true, (config_.holds_cable ? "held by lock " : "seen, not held, by lock ") +
                        match->lock_id};
    }
  }
  refresh_status(connector);
  ActionResult result;
  if (auto_start) {
    const ActionResult started = start_charging(connector, now);
    if (!started.ok) result.reason = "plugged in, charging not started: " + started.reason;
  }
  pump(now);
  return result;
}

ActionResult ChargePoint::unplug(int connector, std::int64_t now) {
  clock_ms_ = now;
  if (!valid_connector(connector)) return {false, "no connector " + std::to_string(connector)};
  Connector& conn = connectors_[static_cast<std::size_t>(connector)];
  if (!conn.vehicle) return {false, "nothing plugged into connector " + std::to_string(connector)};
  if (!conn.held_by.empty()) {
    note("unplug refused on connector " + std::to_string(connector) + ": cable locked by lock " +
         conn.held_by);
    return {false, "cable locked by lock " + conn.held_by};
  }
  if (conn.tx) end_transaction(connector, "EVDisconnected", now);
  conn.vehicle.reset();
  conn.caught_by.clear();
  conn.authorizing = false;
  conn.finished = false;
  refresh_status(connector);
  pump(now);
  return {};
}

ActionResult ChargePoint::start_charging(int connector, std::int64_t now) {
  clock_ms_ = now;
  if (!valid_connector(connector)) return {false, "no connector " + std::to_string(connector)};
  Connector& conn = connectors_[static_cast<std::size_t>(connector)];
  if (!conn.vehicle) return {false, "no vehicle on connector " + std::to_string(connector)};
  if (!conn.held_by.empty()) {
    note("charging refused on connector " + std::to_string(connector) + ": vehicle held by lock " +
         conn.held_by);
    return {false, "vehicle held by lock " + conn.held_by};
  }
  if (!conn.caught_by.empty()) {
    note("charging refused on connector " + std::to_string(connector) + ": vehicle matched lock " +
         conn.caught_by);
    return {false, "vehicle matched lock " + conn.caught_by + ": no energy"};
  }
  if (conn.tx || conn.authorizing) return {false, "already charging"};
  if (conn.inoperative) return {false, "connector unavailable"};
  const std::string id_tag = conn.vehicle->auth_id();
  if (id_tag.empty()) return {false, "the vehicle has no identifier to authorize with"};
  if (link_ != LinkState::Up || registration_ != Registration::Accepted) {
    if (!known_locally(id_tag)) {
      return {false, "offline and id tag " + id_tag + " is not known locally"};
    }
  }
  request_start(connector, id_tag, now);
  pump(now);
  return {};
}

ActionResult ChargePoint::stop_charging(int connector, std::int64_t now) {
  clock_ms_ = now;
  if (!valid_connector(connector)) return {false, "no connector " + std::to_string(connector)};
  if (!connectors_[static_cast<std::size_t>(connector)].tx) return {false, "not charging"};
  end_transaction(connector, "Local", now);
  pump(now);
  return {};
}

void ChargePoint::drop_connection(std::int64_t now) {
  clock_ms_ = now;
  if (link_ == LinkState::Down) return;
  planned_reconnect_at_ = now + jitter(config_.backoff_base_ms * 2);
  disconnect_request_ = true;
}

void ChargePoint::go_offline(std::int64_t duration_ms, std::int64_t now) {
  clock_ms_ = now;
  note("offline for " + std::to_string(duration_ms / 1000) + " s");
  if (link_ == LinkState::Down) {
    reconnect_at_ = std::max(reconnect_at_ == kNever ? now : reconnect_at_, now + duration_ms);
    return;
  }
  planned_reconnect_at_ = now + duration_ms;
  disconnect_request_ = true;
}

// ---------------------------------------------------------------- inspection

ConnectorStatus ChargePoint::status(int connector) const { return derive_status(connector); }

bool ChargePoint::plugged(int connector) const {
  return valid_connector(connector) && connectors_[static_cast<std::size_t>(connector)].vehicle;
}

bool ChargePoint::charging(int connector) const {
  return valid_connector(connector) &&
         connectors_[static_cast<std::size_t>(connector)].tx.has_value();
}

std::optional<int> ChargePoint::transaction_id(int connector) const {
  if (!charging(connector)) return std::nullopt;
  const auto& tx = *connectors_[static_cast<std::size_t>(connector)].tx;
  if (tx.remote_id >= 0) return tx.remote_id;
  return remote_transaction_id(tx.ref);
}

std::string ChargePoint::held_by(int connector) const {
  return valid_connector(connector) ? connectors_[static_cast<std::size_t>(connector)].held_by
                                    : std::string();
}

std::string ChargePoint::caught_by(int connector) const {
  return valid_connector(connector) ? connectors_[static_cast<std::size_t>(connector)].caught_by
                                    : std::string();
}

MeterReading ChargePoint::meter(int connector, std::int64_t now) const {
  if (!valid_connector(connector)) return {};
  MeterModel copy = connectors_[static_cast<std::size_t>(connector)].meter;
  copy.advance(now, limit_w(connector));
  return copy.reading(now, limit_w(connector));
}

std::int64_t ChargePoint::heartbeat_interval_s() const {
  return store_.integer("HeartbeatInterval");
}

// ---------------------------------------------------------------- calls

void ChargePoint::enqueue(QueuedCall call) {
  if (!call.durable && (link_ != LinkState::Up || registration_ != Registration::Accepted)) {
    return;  // not allowed now; the state is re-sent after the next boot
  }
  if (call.durable && calls_.size() >= kMaxQueuedCalls) {
    ++stats_->messages_dropped;
    return;
  }
  calls_.push_back(std::move(call));
}

void ChargePoint::enqueue(std::string_view action, std::string payload, bool durable,
                          int connector) {
  QueuedCall call;
  call.action = std::string(action);
  call.payload = std::move(payload);
  call.durable = durable;
  call.connector = connector;
  enqueue(std::move(call));
}

void ChargePoint::send_boot() {
  if (link_ != LinkState::Up) return;
  base::JsonWriter payload;
  payload.begin_object();
  payload.field("chargePointVendor", config_.vendor.substr(0, 20));
  payload.field("chargePointModel", config_.model.substr(0, 20));
  payload.field("chargePointSerialNumber", config_.id.substr(0, 25));
  payload.field("firmwareVersion", config_.firmware.substr(0, 50));
  payload.field("meterType", "PileSim AC meter");
  QueuedCall call;
  call.action = "BootNotification";
  call.payload = payload.end_object().str();
  // Ahead of everything, but never in front of the CALL already in flight.
  auto position = calls_.begin();
  if (in_flight_ && position != calls_.end()) ++position;
  calls_.insert(position, std::move(call));
}

void ChargePoint::pump(std::int64_t now) {
  while (link_ == LinkState::Up && !in_flight_ && !calls_.empty()) {
    QueuedCall& call = calls_.front();
    if (registration_ != Registration::Accepted && call.action != "BootNotification") return;
    if (call.not_before > now) return;
    rapidjson::Document payload;
    payload.Parse(call.payload.c_str());
    if (call.needs_tx_id) {
      const auto remote = remote_transaction_id(call.tx_ref);
      if (!remote) {
        // Its StartTransaction was given up on: the CS knows no such transaction.
        ++stats_->messages_dropped;
        note(call.action + " dropped: its transaction was never accepted");
        calls_.pop_front();
        continue;
      }
      rapidjson::Value id(*remote);
      if (payload.HasMember("transactionId")) {
        payload["transactionId"] = id;
      } else {
        payload.AddMember("transactionId", id, payload.GetAllocator());
      }
    }
    if (call.message_id.empty()) call.message_id = std::to_string(next_message_id_++);
    outbox_.push_back(ocpp::serialize_call(call.message_id, call.action, payload));
    in_flight_ = true;
    call_deadline_ = now + config_.call_timeout_ms;
  }
}

void ChargePoint::on_result(const ocpp::CallResult& result, std::int64_t now) {
  if (!in_flight_ || calls_.empty() || calls_.front().message_id != result.message_id) {
    ++stats_->protocol_errors;
    return;
  }
  QueuedCall call = std::move(calls_.front());
  calls_.pop_front();
  in_flight_ = false;
  call_deadline_ = kNever;
  const rapidjson::Value& payload = result.payload;
  if (call.action == "BootNotification") {
    handle_boot_result(payload, now);
  } else if (call.action == "Authorize") {
    handle_authorize_result(call, payload, now);
  } else if (call.action == "StartTransaction") {
    handle_start_result(call, payload, now);
  } else if (call.action == "StopTransaction") {
    tx_ids_.erase(std::remove_if(tx_ids_.begin(), tx_ids_.end(),
                                 [&](const auto& entry) { return entry.first == call.tx_ref; }),
                  tx_ids_.end());
  } else if (call.action == "DataTransfer") {
    const std::string status = json::string(payload, "status").value_or("?");
    if (status != "Accepted") {
      rapidjson::Document request;
      request.Parse(call.payload.c_str());
      note("the central system answered " + json::string(request, "messageId").value_or("?") +
           " with " + status);
    }
  }
  report_done(call.tag, CallOutcome::Answered, now);
}

void ChargePoint::on_error(const ocpp::CallError& error, std::int64_t now) {
  if (!in_flight_ || calls_.empty() || calls_.front().message_id != error.message_id) {
    ++stats_->protocol_errors;
    return;
  }
  ++stats_->call_errors;
  const std::uint32_t tag = calls_.front().tag;
  fail_in_flight(std::string("CALLERROR ") + std::string(ocpp::to_string(error.code)) + " " +
                     error.description,
                 now);
  report_done(tag, CallOutcome::CallError, now);
}

void ChargePoint::report_done(std::uint32_t tag, CallOutcome outcome, std::int64_t now) {
  if (tag != 0 && observer_ != nullptr) observer_->on_call_done(tag, outcome, now);
}

void ChargePoint::enqueue_tagged(std::string action, std::string payload, std::uint32_t tag,
                                 std::int64_t now) {
  clock_ms_ = now;
  QueuedCall call;
  call.action = std::move(action);
  call.payload = std::move(payload);
  call.tag = tag;
  enqueue(std::move(call));
  pump(now);
}

void ChargePoint::fail_in_flight(std::string_view why, std::int64_t now) {
  if (!in_flight_ || calls_.empty()) return;
  in_flight_ = false;
  call_deadline_ = kNever;
  QueuedCall& call = calls_.front();
  note(call.action + " failed: " + std::string(why));
  if (call.durable) {
    ++call.attempts;
    const std::int64_t attempts =
        std::max<std::int64_t>(1, store_.integer("TransactionMessageAttempts"));
    if (call.attempts < attempts) {
      call.not_before =
          now + store_.integer("TransactionMessageRetryInterval") * 1000 * call.attempts;
      return;
    }
    ++stats_->messages_dropped;
    note(call.action + " given up after " + std::to_string(call.attempts) + " attempts");
  }
  const QueuedCall failed = std::move(call);
  calls_.pop_front();
  if (failed.action == "BootNotification") {
    boot_retry_at_ = now + config_.boot_retry_default_ms;
  } else if (failed.action == "Authorize") {
    Connector& conn = connectors_[static_cast<std::size_t>(failed.connector)];
    conn.authorizing = false;
    ++stats_->authorizations_refused;
  }
}

void ChargePoint::handle_boot_result(const rapidjson::Value& payload, std::int64_t now) {
  const std::string status = json::string(payload, "status").value_or("Rejected");
  const std::int64_t interval = json::integer(payload, "interval").value_or(0);
  if (status == "Accepted") {
    registration_ = Registration::Accepted;
    ++stats_->boots_accepted;
    backoff_attempts_ = 0;
    boot_retry_at_ = kNever;
    if (interval > 0) store_.change("HeartbeatInterval", std::to_string(interval));
    const std::int64_t heartbeat = heartbeat_interval_s();
    heartbeat_at_ = heartbeat > 0 ? now + heartbeat * 1000 : kNever;
    // Capabilities first, so that the central system knows before it arms
    // the pile; then the current connector statuses, then whatever was
    // queued meanwhile. Capabilities goes with every accepted boot: the
    // central system may have forgotten the pile's declaration.
    std::deque<QueuedCall> queued;
    queued.swap(calls_);
    if (config_.lock_extension && config_.hashed_matching) {
      base::JsonWriter declaration;
      declaration.begin_object();
      declaration.field("vendorId", kLockVendorId);
      declaration.field("messageId", kCapabilities);
      declaration.field("data", hashed_matching_capabilities_data());
      enqueue("DataTransfer", declaration.end_object().str());
    }
    for (int c = 0; c <= config_.connectors; ++c) refresh_status(c, true);
    for (auto& call : queued) calls_.push_back(std::move(call));
    return;
  }
  registration_ = status == "Pending" ? Registration::Pending : Registration::Rejected;
  ++(status == "Pending" ? stats_->boots_pending : stats_->boots_rejected);
  boot_retry_at_ = now + (interval > 0 ? interval * 1000 : config_.boot_retry_default_ms);
  note("boot " + status + ", retrying in " + std::to_string((boot_retry_at_ - now) / 1000) + " s");
}

void ChargePoint::handle_authorize_result(const QueuedCall& call, const rapidjson::Value& payload,
                                          std::int64_t now) {
  Connector& conn = connectors_[static_cast<std::size_t>(call.connector)];
  conn.authorizing = false;
  const std::string status = id_tag_status(payload);
  rapidjson::Document request;
  request.Parse(call.payload.c_str());
  const std::string id_tag = json::string(request, "idTag").value_or("");
  if (status != "Accepted") {
    ++stats_->authorizations_refused;
    note("authorization of " + id_tag + " on connector " + std::to_string(call.connector) + ": " +
         status);
    return;
  }
  if (store_.boolean("AuthorizationCacheEnabled") &&
      std::none_of(auth_cache_.begin(), auth_cache_.end(),
                   [&](const std::string& tag) { return same_id_tag(tag, id_tag); })) {
    if (auth_cache_.size() >= 16) auth_cache_.erase(auth_cache_.begin());
    auth_cache_.push_back(id_tag);
  }
  if (conn.vehicle && !conn.tx && conn.caught_by.empty() && !conn.inoperative) {
    begin_transaction(call.connector, id_tag, now);
  }
}

void ChargePoint::handle_start_result(const QueuedCall& call, const rapidjson::Value& payload,
                                      std::int64_t now) {
  const auto remote = json::integer(payload, "transactionId");
  if (!remote) return;
  tx_ids_.emplace_back(call.tx_ref, static_cast<int>(*remote));
  Connector& conn = connectors_[static_cast<std::size_t>(call.connector)];
  if (!conn.tx || conn.tx->ref != call.tx_ref) return;  // already over
  conn.tx->remote_id = static_cast<int>(*remote);
  const std::string status = id_tag_status(payload);
  if (status != "Accepted") {
    ++stats_->authorizations_refused;
    note("transaction " + std::to_string(*remote) + " on connector " +
         std::to_string(call.connector) + " not authorized: " + status);
    if (store_.boolean("StopTransactionOnInvalidId")) {
      end_transaction(call.connector, "DeAuthorized", now);
    }
  }
}

std::optional<int> ChargePoint::remote_transaction_id(int tx_ref) const {
  for (const auto& [ref, remote] : tx_ids_) {
    if (ref == tx_ref) return remote;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------- connectors

ConnectorStatus ChargePoint::derive_status(int connector) const {
  if (connector < 0 || connector > config_.connectors) return ConnectorStatus::Faulted;
  const Connector& conn = connectors_[static_cast<std::size_t>(connector)];
  if (connector == 0) {
    return conn.inoperative ? ConnectorStatus::Unavailable : ConnectorStatus::Available;
  }
  if (conn.tx) {
    if (conn.meter.soc_percent() >= 100.0) return ConnectorStatus::SuspendedEV;
    if (limit_w(connector) == 0) return ConnectorStatus::SuspendedEVSE;
    return ConnectorStatus::Charging;
  }
  if (conn.vehicle) {
    if (conn.inoperative) return ConnectorStatus::Unavailable;
    return conn.finished ? ConnectorStatus::Finishing : ConnectorStatus::Preparing;
  }
  if (conn.inoperative) return ConnectorStatus::Unavailable;
  if (conn.reservation) return ConnectorStatus::Reserved;
  return ConnectorStatus::Available;
}

void ChargePoint::refresh_status(int connector, bool force) {
  Connector& conn = connectors_[static_cast<std::size_t>(connector)];
  const ConnectorStatus now_status = derive_status(connector);
  if (!force && conn.reported_valid && conn.reported == now_status) return;
  conn.reported = now_status;
  conn.reported_valid = true;
  base::JsonWriter payload;
  payload.begin_object();
  payload.field("connectorId", connector);
  payload.field("errorCode", "NoError");
  payload.field("status", to_string(now_status));
  payload.field("timestamp", base::from_unix_ms(clock_ms_));
  enqueue("StatusNotification", payload.end_object().str());
}

void ChargePoint::request_start(int connector, const std::string& id_tag, std::int64_t now) {
  Connector& conn = connectors_[static_cast<std::size_t>(connector)];
  const bool online = link_ == LinkState::Up && registration_ == Registration::Accepted;
  if (!online || (store_.boolean("LocalPreAuthorize") && known_locally(id_tag))) {
    begin_transaction(connector, id_tag, now);
    return;
  }
  conn.authorizing = true;
  base::JsonWriter payload;
  payload.begin_object();
  payload.field("idTag", id_tag);
  enqueue("Authorize", payload.end_object().str(), false, connector);
}

void ChargePoint::begin_transaction(int connector, const std::string& id_tag, std::int64_t now) {
  Connector& conn = connectors_[static_cast<std::size_t>(connector)];
  Transaction tx;
  tx.ref = next_tx_ref_++;
  tx.id_tag = id_tag;
  tx.meter_start_wh = static_cast<int>(std::lround(conn.meter.energy_wh()));
  Vehicle vehicle = conn.vehicle.value_or(Vehicle{});
  conn.meter.begin(vehicle, now, config_.max_power_w);
  base::JsonWriter payload;
  payload.begin_object();
  payload.field("connectorId", connector);
  payload.field("idTag", id_tag);
  payload.field("meterStart", tx.meter_start_wh);
  if (conn.reservation && same_id_tag(conn.reservation->id_tag, id_tag)) {
    payload.field("reservationId", conn.reservation->id);
    conn.reservation.reset();
  }
  payload.field("timestamp", base::from_unix_ms(now));
  const int ref = tx.ref;
  conn.tx = std::move(tx);
  conn.finished = false;
  ++stats_->transactions_started;
  QueuedCall call;
  call.action = "StartTransaction";
  call.payload = payload.end_object().str();
  call.durable = true;
  call.tx_ref = ref;
  call.connector = connector;
  enqueue(std::move(call));
  const std::int64_t interval = store_.integer("MeterValueSampleInterval");
  conn.next_sample_at = interval > 0 ? now + interval * 1000 : kNever;
  refresh_status(connector);
}

void ChargePoint::end_transaction(int connector, std::string_view reason, std::int64_t now) {
  Connector& conn = connectors_[static_cast<std::size_t>(connector)];
  if (!conn.tx) return;
  conn.meter.end(now, limit_w(connector));
  base::JsonWriter payload;
  payload.begin_object();
  payload.field("idTag", conn.tx->id_tag);
  payload.field("meterStop", static_cast<int>(std::lround(conn.meter.energy_wh())));
  payload.field("timestamp", base::from_unix_ms(now));
  payload.field("reason", reason);
  QueuedCall call;
  call.action = "StopTransaction";
  call.payload = payload.end_object().str();
  call.durable = true;
  call.tx_ref = conn.tx->ref;
  call.needs_tx_id = true;
  call.connector = connector;
  conn.tx.reset();
  conn.next_sample_at = kNever;
  conn.finished = conn.vehicle.has_value();
  ++stats_->transactions_stopped;
  enqueue(std::move(call));
  // A TxProfile ends with its transaction.
  profiles_.erase(std::remove_if(profiles_.begin(), profiles_.end(),
                                 [&](const Profile& p) {
                                   return p.connector == connector && p.purpose == "TxProfile";
                                 }),
                  profiles_.end());
  if (conn.inoperative_scheduled) {
    conn.inoperative_scheduled = false;
    conn.inoperative = true;
  }
  refresh_status(connector);
}

void ChargePoint::send_meter_values(int connector, std::string_view context, bool durable,
                                    std::int64_t now) {
  Connector& conn = connectors_[static_cast<std::size_t>(connector)];
  const MeterReading reading = conn.meter.reading(now, limit_w(connector));
  std::vector<SampledValue> sampled;
  auto add_sample = [&](std::string_view measurand, double value, const char* unit,
                        const char* location, int decimals) {
    char text[32];
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
    sampled.push_back({text, std::string(measurand), unit, location});
  };
  for (const auto& measurand : store_.list("MeterValuesSampledData")) {
    if (measurand == "Energy.Active.Import.Register") {
      add_sample(measurand, reading.energy_wh, "Wh", "Outlet", 0);
    } else if (measurand == "Power.Active.Import") {
      add_sample(measurand, reading.power_w, "W", "Outlet", 0);
    } else if (measurand == "Current.Import") {
      add_sample(measurand, reading.current_a, "A", "Outlet", 1);
    } else if (measurand == "Voltage") {
      add_sample(measurand, reading.voltage_v, "V", "Outlet", 1);
    } else if (measurand == "SoC" && conn.vehicle) {
      add_sample(measurand, reading.soc_percent, "Percent", "EV", 0);
    } else if (measurand == "Power.Offered") {
      add_sample(measurand, reading.offered_w, "W", "Outlet", 0);
    } else if (measurand == "Current.Offered") {
      add_sample(measurand, reading.offered_w / (MeterModel::kPhases * 230.0), "A", "Outlet", 1);
    }
  }
  if (sampled.empty())
    add_sample("Energy.Active.Import.Register", reading.energy_wh, "Wh", "Outlet", 0);
  QueuedCall call;
  call.action = "MeterValues";
  call.payload = meter_values_payload(connector, now, context, sampled);
  call.connector = connector;
  call.durable = durable && conn.tx.has_value();
  if (conn.tx) {
    call.tx_ref = conn.tx->ref;
    call.needs_tx_id = true;
  }
  ++stats_->meter_values;
  enqueue(std::move(call));
}

void ChargePoint::catch_vehicle(int connector, const LockMatch& match, std::int64_t now) {
  Connector& conn = connectors_[static_cast<std::size_t>(connector)];
  // A hold may last until the lock is released or expires (30 days by
  // default), so the pile ends the transaction rather than suspending it: the
  // energy stops, the session is settled with its meter reading (Reason
  // Other: OCPP 1.6 has no reason for a lock), and no transaction stays open
  // for weeks. The central system engages the lock from that transaction.
  if (conn.tx) end_transaction(connector, "Other", now);
  conn.authorizing = false;  // an Authorize still in flight starts nothing
  conn.caught_by = match.lock_id;
  const std::string seen = std::string(core::to_string(match.kind)) + " " + match.value;
  if (config_.holds_cable) {
    conn.held_by = match.lock_id;
    ++stats_->vehicles_held;
    note("vehicle held on connector " + std::to_string(connector) + " by lock " + match.lock_id +
         " (" + seen + "): cable locked");
  } else {
    // The cable is not the pile's to hold; withholding energy still is.
    ++stats_->vehicles_seen_not_held;
    note("vehicle seen on connector " + std::to_string(connector) + " by lock " + match.lock_id +
         " (" + seen + "): cannot hold the cable, no energy");
  }
  base::JsonWriter payload;
  payload.begin_object();
  payload.field("vendorId", kLockVendorId);
  payload.field("messageId", kVehicleLocked);
  payload.field("data", vehicle_locked_data(match, connector, config_.holds_cable));
  enqueue("DataTransfer", payload.end_object().str(), true, connector);
  refresh_status(connector);
}

void ChargePoint::catch_plugged_vehicles(const std::string& lock_id, std::int64_t now) {
  for (int c = 1; c <= config_.connectors; ++c) {
    Connector& conn = connectors_[static_cast<std::size_t>(c)];
    // Caught already (by this lock, on an earlier LockVehicle, or another):
    // one report per vehicle and lock.
    if (!conn.vehicle || !conn.caught_by.empty()) continue;
    if (auto match = watch_.match(*conn.vehicle, lock_id)) catch_vehicle(c, *match, now);
  }
}

void ChargePoint::release_vehicle(int connector, std::string_view why) {
  Connector& conn = connectors_[static_cast<std::size_t>(connector)];
  if (conn.caught_by.empty()) return;
  note("connector " + std::to_string(connector) + " released (" + std::string(why) + "), lock " +
       conn.caught_by);
  conn.held_by.clear();
  conn.caught_by.clear();
  refresh_status(connector);
}

double ChargePoint::limit_w(int connector) const {
  double limit = -1;
  for (const auto& profile : profiles_) {
    if (profile.connector == connector || profile.connector == 0) {
      limit = limit < 0 ? profile.limit_w : std::min(limit, profile.limit_w);
    }
  }
  return limit;
}

bool ChargePoint::known_locally(const std::string& id_tag) const {
  if (store_.boolean("AllowOfflineTxForUnknownId")) return true;
  if (!store_.boolean("LocalAuthorizeOffline") && link_ != LinkState::Up) return false;
  if (store_.boolean("LocalAuthListEnabled")) {
    for (const auto& [tag, status] : local_list_) {
      if (same_id_tag(tag, id_tag)) return status == "Accepted";
    }
  }
  return store_.boolean("AuthorizationCacheEnabled") &&
         std::any_of(auth_cache_.begin(), auth_cache_.end(),
                     [&](const std::string& tag) { return same_id_tag(tag, id_tag); });
}

void ChargePoint::reboot(bool hard, std::int64_t now) {
  note(std::string("rebooting (") + (hard ? "Hard" : "Soft") + " reset)");
  for (int c = 1; c <= config_.connectors; ++c) {
    Connector& conn = connectors_[static_cast<std::size_t>(c)];
    conn.authorizing = false;
    if (conn.tx) end_transaction(c, hard ? "HardReset" : "SoftReset", now);
    conn.reported_valid = false;
  }
  registration_ = Registration::None;
  heartbeat_at_ = kNever;
  if (link_ == LinkState::Down) {
    reconnect_at_ = now + config_.reboot_delay_ms;
  } else {
    planned_reconnect_at_ = now + config_.reboot_delay_ms;
    disconnect_request_ = true;
  }
}

void ChargePoint::run_job(const Deferred& job, std::int64_t now) {
  switch (job.job) {
    case Job::Reboot:
      reboot(job.arg != 0, now);
      return;
    case Job::DiagnosticsUploading:
    case Job::DiagnosticsUploaded: {
      diagnostics_status_ = job.job == Job::DiagnosticsUploading ? "Uploading" : "Uploaded";
      base::JsonWriter payload;
      payload.begin_object();
      payload.field("status", diagnostics_status_);
      enqueue("DiagnosticsStatusNotification", payload.end_object().str());
      return;
    }
    case Job::FirmwareStep: {
      static const char* const kSteps[] = {"Downloading", "Downloaded", "Installing", "Installed"};
      firmware_status_ = kSteps[std::clamp(job.arg, 0, 3)];
      base::JsonWriter payload;
      payload.begin_object();
      payload.field("status", firmware_status_);
      enqueue("FirmwareStatusNotification", payload.end_object().str());
      return;
    }
  }
}

void ChargePoint::note(std::string_view text) { events_->note(config_.id, text); }

std::int64_t ChargePoint::jitter(std::int64_t delay_ms) {
  if (delay_ms <= 1) return delay_ms;
  const std::int64_t half = delay_ms / 2;
  return half + static_cast<std::int64_t>(rng_() % static_cast<std::uint64_t>(half + 1));
}

}  // namespace chargelock::pilesim
