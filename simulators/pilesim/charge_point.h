// One simulated OCPP 1.6J charge point, as plain C++ without sockets.
//
// The charge point is a state machine driven by events:
//   - from the connection glue: power_on, on_connected, on_disconnected,
//     on_text (one websocket text frame), tick (time passed);
//   - from a driver (scenario, busy mode, tests): plug_in, unplug,
//     start_charging, stop_charging, drop_connection, go_offline.
// It produces effects the glue carries out:
//   - frames to write (has_outgoing / pop_outgoing), in order;
//   - take_connect_request / take_disconnect_request: open or close the
//     websocket (the glue answers with on_connected / on_disconnected);
//   - next_wakeup(): when tick() must be called next (one timer per pile).
// All times are milliseconds since the Unix epoch; the caller passes `now`
// with every event, so tests control time completely.
//
// Behaviour (OCPP 1.6 edition 2, plus SPEC §4 lock extension):
// - Every new connection starts with BootNotification; nothing else is sent
//   until it is Accepted. Pending/Rejected retry after the interval the
//   central system gave (a default when it gave 0). While Pending, calls of
//   the central system are answered.
// - After Accepted: StatusNotification of connector 0..N, then queued
//   transaction messages in the order they arose, then Heartbeat every
//   HeartbeatInterval (taken from BootNotification.conf, changeable by
//   ChangeConfiguration).
// - One CALL in flight at a time; a CALL unanswered after call_timeout_ms is
//   a timeout. Transaction messages (StartTransaction, StopTransaction,
//   MeterValues of a transaction, VehicleLocked) are durable: kept while
//   offline, re-sent with the same message id after a reconnect, retried
//   TransactionMessageAttempts times after a CALLERROR or timeout. Other
//   messages are dropped while offline (the current connector statuses are
//   sent after the next boot instead).
// - Reconnect after an unplanned disconnect with exponential backoff
//   (backoff_base_ms doubling up to backoff_max_ms) and jitter (a random
//   delay between half and all of it); the backoff resets once a boot is
//   accepted.
// - A vehicle plugging in is checked against the lock watch list first
//   (extension piles only): on a match the connector stays locked, no
//   transaction starts, and VehicleLocked is sent; the cable stays locked
//   (unplug and start are refused) until UnlockVehicle for that lock or
//   UnlockConnector for that connector. LockVehicle also catches a matching
//   vehicle already plugged in or charging at once: its transaction ends
//   (reason Other) and it is held the same way. A pile that cannot hold the
//   cable (holds_cable false) reports VehicleLocked with "held":false,
//   leaves the cable free and delivers no energy to that vehicle.
// - A pile with hashed_matching declares Capabilities {"match":["sha256"]}
//   after each accepted boot and accepts hashed LockVehicle data; others
//   reject hashed data.
// - Otherwise start_charging authorizes (Authorize, or the local list /
//   authorization cache while offline or with LocalPreAuthorize), then
//   StartTransaction, then MeterValues every MeterValueSampleInterval with the
//   measurands of MeterValuesSampledData, then StopTransaction.
#pragma once

#include <cstdint>
#include <deque>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "ocpp/rpc/frame.h"
#include "simulators/pilesim/configuration_store.h"
#include "simulators/pilesim/json_util.h"
#include "simulators/pilesim/lock_watch_list.h"
#include "simulators/pilesim/meter_model.h"
#include "simulators/pilesim/stats.h"
#include "simulators/pilesim/vehicle.h"

namespace chargelock::pilesim {

inline constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

enum class LinkState { Down, Connecting, Up };
enum class Registration { None, Pending, Rejected, Accepted };
enum class ConnectorStatus {
  Available,
  Preparing,
  Charging,
  SuspendedEVSE,
  SuspendedEV,
  Finishing,
  Reserved,
  Unavailable,
  Faulted,
};
std::string_view to_string(ConnectorStatus status);

struct PileConfig {
  std::string id;
  int connectors = 1;
  bool lock_extension = true;  // false: a standard pile (UnknownVendorId)
  // false: the pile matches locked vehicles but cannot keep the cable locked
  // (e.g. the car controls its inlet lock): VehicleLocked says "held":false.
  bool holds_cable = true;
  // Lock extension version 2: declares and accepts hashed identifiers.
  bool hashed_matching = false;
  std::string vendor = "ChargeLock";
  std::string model = "PileSim";
  std::string firmware = "pilesim-0.1.0";
  double max_power_w = 22000;  // per connector
  std::int64_t call_timeout_ms = 30000;
  std::int64_t backoff_base_ms = 1000;
  std::int64_t backoff_max_ms = 60000;
  std::int64_t boot_retry_default_ms = 30000;  // when the CS answers interval 0
  std::int64_t reboot_delay_ms = 3000;         // Reset: time until it connects again
};

// Where a pile reports what a tester wants to see (held vehicles, refusals,
// boot results). One line per call, without a trailing newline.
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void note(std::string_view pile_id, std::string_view text) = 0;
};

// Told when a CALL queued with a tag (enqueue_tagged) is over: answered,
// answered with a CALLERROR, or timed out. Used by the round-trip load mode
// (flood.h); untagged calls are not reported.
enum class CallOutcome { Answered, CallError, Timeout };
class CallObserver {
 public:
  virtual ~CallObserver() = default;
  virtual void on_call_done(std::uint32_t tag, CallOutcome outcome, std::int64_t now) = 0;
};

struct ActionResult {
  bool ok = true;
  std::string reason;  // why it was refused, or what happened
};

class ChargePoint {
 public:
  ChargePoint(PileConfig config, Stats& stats, EventSink& events, std::uint32_t seed);

  // --- events from the connection glue ---
  void power_on(std::int64_t now, std::int64_t first_connect_delay_ms = 0);
  void on_connected(std::int64_t now);
  void on_disconnected(std::int64_t now);  // connection closed or never opened
  void on_text(std::string_view text, std::int64_t now);
  void tick(std::int64_t now);

  // --- effects for the glue ---
  bool has_outgoing() const { return !outbox_.empty(); }
  std::string pop_outgoing();
  bool take_connect_request();
  bool take_disconnect_request();
  std::int64_t next_wakeup() const;

  // --- driver actions ---
  // Connectors are numbered 1..N. auto_start: the driver wants to charge at
  // once (RFID tap / plug & charge).
  ActionResult plug_in(int connector, Vehicle vehicle, bool auto_start, std::int64_t now);
  ActionResult unplug(int connector, std::int64_t now);
  ActionResult start_charging(int connector, std::int64_t now);
  ActionResult stop_charging(int connector, std::int64_t now);
  void drop_connection(std::int64_t now);  // reconnects after a short backoff
  void go_offline(std::int64_t duration_ms, std::int64_t now);
  // Queues a CALL of any action (not durable: dropped unless booted and
  // online) and sends it when nothing else is in flight. A non-zero `tag`
  // is handed to the observer when it is over.
  void enqueue_tagged(std::string action, std::string payload, std::uint32_t tag, std::int64_t now);
  void set_observer(CallObserver* observer) { observer_ = observer; }
  // Online, booted, nothing in flight and nothing queued.
  bool idle() const {
    return link_ == LinkState::Up && registration_ == Registration::Accepted && !in_flight_ &&
           calls_.empty();
  }

  // --- inspection ---
  const std::string& id() const { return config_.id; }
  int connector_count() const { return config_.connectors; }
  bool has_lock_extension() const { return config_.lock_extension; }
  LinkState link() const { return link_; }
  Registration registration() const { return registration_; }
  ConnectorStatus status(int connector) const;  // 0 = the pile itself
  bool plugged(int connector) const;
  bool charging(int connector) const;                      // a transaction is running
  std::optional<int> transaction_id(int connector) const;  // once the CS gave one
  std::string held_by(int connector) const;                // lock id, empty when not held
  // The lock VehicleLocked reported the plugged vehicle for, held or not.
  std::string caught_by(int connector) const;
  MeterReading meter(int connector, std::int64_t now) const;
  std::size_t queued_calls() const { return calls_.size(); }
  std::int64_t heartbeat_interval_s() const;
  const ConfigurationStore& configuration() const { return store_; }
  const LockWatchList& watch_list() const { return watch_; }

 private:
  struct QueuedCall {
    std::string action;
    std::string payload;       // JSON text; transactionId filled in when sent
    std::string message_id;    // assigned when first sent, kept for re-sends
    int tx_ref = 0;            // > 0: the transaction the message belongs to
    bool needs_tx_id = false;  // transactionId is filled in from tx_ref when sent
    int connector = 0;
    bool durable = false;
    int attempts = 0;
    std::int64_t not_before = 0;
    std::uint32_t tag = 0;  // reported to observer_ when non-zero
  };
  struct Transaction {
    int ref = 0;
    int remote_id = -1;  // -1 until StartTransaction.conf
    std::string id_tag;
    int meter_start_wh = 0;
  };
  struct Reservation {
    int id = 0;
    std::string id_tag;
    std::int64_t expires_at = kNever;
  };
  struct Connector {
    std::optional<Vehicle> vehicle;
    std::optional<Transaction> tx;
    std::optional<Reservation> reservation;
    std::string held_by;    // the lock that keeps the cable locked
    std::string caught_by;  // the lock VehicleLocked reported this vehicle for
    MeterModel meter;
    std::int64_t next_sample_at = kNever;
    ConnectorStatus reported = ConnectorStatus::Available;
    bool reported_valid = false;
    bool authorizing = false;
    bool finished = false;  // transaction over, vehicle still plugged
    bool inoperative = false;
    bool inoperative_scheduled = false;
  };
  struct Profile {
    int id = 0;
    int connector = 0;
    int stack_level = 0;
    std::string purpose;
    double limit_w = 0;
  };
  enum class Job { Reboot, DiagnosticsUploading, DiagnosticsUploaded, FirmwareStep };
  struct Deferred {
    std::int64_t at = 0;
    Job job = Job::Reboot;
    int arg = 0;
  };

  // calls
  void enqueue(QueuedCall call);
  // `payload`: the call's JSON object, as text.
  void enqueue(std::string_view action, std::string payload, bool durable = false,
               int connector = 0);
  void send_boot();
  void pump(std::int64_t now);
  void on_result(const ocpp::CallResult& result, std::int64_t now);
  void on_error(const ocpp::CallError& error, std::int64_t now);
  void fail_in_flight(std::string_view why, std::int64_t now);
  void report_done(std::uint32_t tag, CallOutcome outcome, std::int64_t now);
  void handle_boot_result(const rapidjson::Value& payload, std::int64_t now);
  void handle_authorize_result(const QueuedCall& call, const rapidjson::Value& payload,
                               std::int64_t now);
  void handle_start_result(const QueuedCall& call, const rapidjson::Value& payload,
                           std::int64_t now);
  std::optional<int> remote_transaction_id(int tx_ref) const;

  // central-system calls (charge_point_calls.cpp)
  void handle_call(const ocpp::Call& call, std::int64_t now);
  // `payload`: the result's JSON object, as text.
  void reply(const std::string& message_id, std::string_view payload);
  void reply_error(const std::string& message_id, ocpp::ErrorCode code, std::string_view text);
  void answer_data_transfer(const ocpp::Call& call, std::int64_t now);
  void answer_lock_vehicle(const ocpp::Call& call, std::int64_t now);
  void answer_trigger(const ocpp::Call& call, std::int64_t now);
  void answer_remote_start(const ocpp::Call& call, std::int64_t now);
  void answer_change_availability(const ocpp::Call& call);
  void answer_reserve_now(const ocpp::Call& call);
  void answer_set_charging_profile(const ocpp::Call& call);
  void answer_clear_charging_profile(const ocpp::Call& call);
  void answer_composite_schedule(const ocpp::Call& call, std::int64_t now);
  void answer_send_local_list(const ocpp::Call& call);
  void answer_configuration(const ocpp::Call& call, std::int64_t now);
  std::optional<Profile> parse_profile(const rapidjson::Value& profile, int connector) const;

  // connectors and transactions
  bool valid_connector(int connector) const {
    return connector >= 1 && connector <= config_.connectors;
  }
  ConnectorStatus derive_status(int connector) const;
  void refresh_status(int connector, bool force = false);
  void request_start(int connector, const std::string& id_tag, std::int64_t now);
  void begin_transaction(int connector, const std::string& id_tag, std::int64_t now);
  void end_transaction(int connector, std::string_view reason, std::int64_t now);
  void send_meter_values(int connector, std::string_view context, bool durable, std::int64_t now);
  void catch_vehicle(int connector, const LockMatch& match, std::int64_t now);
  void catch_plugged_vehicles(const std::string& lock_id, std::int64_t now);
  // Ends a catch: the cable is unlocked and the vehicle may charge again.
  void release_vehicle(int connector, std::string_view why);
  double limit_w(int connector) const;  // < 0: no charging profile
  bool known_locally(const std::string& id_tag) const;
  void reboot(bool hard, std::int64_t now);
  void run_job(const Deferred& job, std::int64_t now);
  void note(std::string_view text);
  std::int64_t jitter(std::int64_t delay_ms);

  PileConfig config_;
  Stats* stats_;
  EventSink* events_;
  CallObserver* observer_ = nullptr;
  std::minstd_rand rng_;
  ConfigurationStore store_;
  LockWatchList watch_;

  std::int64_t clock_ms_ = 0;  // `now` of the event being handled
  LinkState link_ = LinkState::Down;
  Registration registration_ = Registration::None;
  bool powered_ = false;
  bool connect_request_ = false;
  bool disconnect_request_ = false;
  int backoff_attempts_ = 0;
  std::int64_t reconnect_at_ = kNever;
  std::int64_t planned_reconnect_at_ = kNever;
  std::int64_t boot_retry_at_ = kNever;
  std::int64_t heartbeat_at_ = kNever;
  std::int64_t call_deadline_ = kNever;
  bool in_flight_ = false;

  std::deque<QueuedCall> calls_;
  std::deque<std::string> outbox_;
  std::uint32_t next_message_id_ = 1;
  int next_tx_ref_ = 1;
  std::vector<std::pair<int, int>> tx_ids_;  // tx ref → transaction id of the CS

  std::vector<Connector> connectors_;  // [0] is the pile itself
  std::vector<Deferred> deferred_;
  std::vector<Profile> profiles_;
  std::vector<std::string> auth_cache_;
  std::vector<std::pair<std::string, std::string>> local_list_;  // idTag → status
  int local_list_version_ = 0;
  std::string diagnostics_status_ = "Idle";
  std::string firmware_status_ = "Idle";
};

}  // namespace chargelock::pilesim
