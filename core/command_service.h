// The durable command queue (SPEC §5 commands, §6 scale-out): operators (and
// the lock service) queue central-system-initiated OCPP calls for a charge
// point; the OCPP node holding that pile's connection claims and sends them.
//
// Threading: called on worker threads (API or OCPP node); blocks on the
// database. Nothing here knows OCPP JSON beyond carrying it as text; payloads
// are checked by the injected CommandValidator (ocpp/ provides it).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/command_guard.h"
#include "core/secret_box.h"
#include "core/stores/command_store.h"
#include "core/time_source.h"
#include "core/timestamp.h"
#include "core/write_batch.h"

namespace chargelock::core {

struct CommandRecord {
  std::int64_t id = 0;
  std::string charge_point_id;
  std::string action;  // e.g. "Reset"
  // The CALL payload object, as JSON text. Secrets show as "***", except in
  // the record claim_next() returns for delivery.
  std::string payload_json;
  CommandStatus status = CommandStatus::Queued;
  std::optional<std::string> response_json;  // CALLRESULT payload, or CALLERROR details
  std::optional<std::string> error_code;     // CALLERROR code / "Timeout" / validation failure
  std::optional<std::string> error_description;
  std::optional<std::string> idempotency_key;
  std::string origin;  // "operator", "lock:<lockId>", ...
  Timestamp created_at;
  Timestamp expires_at;
  std::optional<Timestamp> sent_at;
  std::optional<Timestamp> completed_at;
  // claim_next_many() only: another command of the pile was queued behind
  // this one at the claim (true when not known). See StoredCommand.
  bool more_queued = true;
};

struct CommandRequest {
  std::string charge_point_id;
  std::string action;
  std::string payload_json;
  std::optional<std::string> idempotency_key;  // same key → same command
  std::string origin = "operator";
  std::chrono::seconds expires_in{24 * 3600};  // queued longer than this → Expired
};

struct CommandFilter {
  std::optional<std::string> charge_point_id;
  std::optional<CommandStatus> status;
  std::int64_t before_id = 0;  // paging: only ids below this (0 = newest)
  int limit = 100;
};

// Thrown by enqueue() for an action the central system may not send or a
// payload that fails the action's request schema; what() names the field.
class InvalidCommand : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// The pile state that answered commands leave behind.
// Wake-ups on the command channel (see CommandWakeups).

// Checks a central-system-initiated action and its payload (JSON text).
// Implemented in ocpp/ with the OCPP 1.6 schemas; injected by the app.
// Must be safe to call from several threads at once.
class CommandValidator {
 public:
  virtual ~CommandValidator() = default;
  // Returns an error description, or nothing when the command is valid.
  virtual std::optional<std::string> check(const std::string& action,
                                           const std::string& payload_json) const = 0;
  // What a command answered with a CALLRESULT changes in the stored pile
  // state (GetConfiguration keys, SendLocalList version, ReserveNow, ...).
  // Default: nothing.
  virtual CommandEffects effects(const std::string& /*action*/, const std::string& /*payload_json*/,
                                 const std::string& /*response_json*/) const {
    return {};
  }

  // A (valid) payload's secret, taken out: the payload with "***" in its
  // place, as it may be stored and shown, and the secret (see
  // core/secrets.h for what is one). Nothing when the payload has none.
  struct SecretSplit {
    std::string redacted_payload_json;
    std::string secret;
  };
  virtual std::optional<SecretSplit> take_secret(const std::string& /*action*/,
                                                 const std::string& /*payload_json*/) const {
    return std::nullopt;
  }
  // The inverse: `secret` back in the place take_secret() redacted.
  virtual std::string put_secret(const std::string& /*action*/,
                                 const std::string& redacted_payload_json,
                                 const std::string& /*secret*/) const {
    return redacted_payload_json;
  }
};

// Learns the final state of commands (the vehicle lock counts its piles
// from the answers to LockVehicle / UnlockConnector). Called on the worker
// that recorded the outcome; must be thread-safe.
class CommandObserver {
 public:
  virtual ~CommandObserver() = default;
  // `batch` is the one the outcome was recorded in: what the observer
  // writes through it shares that commit.
  virtual void command_finished(WriteBatch& batch, const CommandRecord& command) = 0;
  // Many outcomes recorded in one statement (a fan-out's answers).
  // Default: command_finished() for each.
  virtual void commands_finished(WriteBatch& batch, const std::vector<CommandRecord>& commands) {
    for (const CommandRecord& command : commands) command_finished(batch, command);
  }
};

// How a sent command ended, as the delivering node saw it.
struct CommandOutcome {
  enum class Kind { Completed, Failed, TimedOut, Requeue };
  CommandRecord command;  // as claim_next() returned it
  Kind kind = Kind::Failed;
  std::string response_json;                // Completed: the CALLRESULT payload
  std::string error_code;                   // Failed
  std::string description;                  // Failed, TimedOut
  std::optional<std::string> details_json;  // Failed: CALLERROR details
};

struct CommandServiceConfig {
  std::string node_id = "ocpp-1";  // recorded as claimed_by on claimed commands
  // Seals a command's secret while it waits for delivery. Every process
  // that queues or delivers commands needs the same key.
  SecretBox secrets;
};

// Threading: every member may be called from any thread (each blocks on the
// database); set_validator() before the first enqueue.
class CommandService {
 public:
  // `time` stamps expiries and decides what is stale (time_out_stale()).
  CommandService(CommandStore& store, CommandServiceConfig config,
                 const TimeSource& time = system_time());

  // The validator must outlive the service. Without one, enqueue() throws
  // std::logic_error.
  void set_validator(const CommandValidator* validator) { validator_ = validator; }
  const CommandValidator* validator() const { return validator_; }
  // Consulted by enqueue() after validation (the vehicle lock); must
  // outlive the service. Install before the workers start.
  void set_guard(CommandGuard* guard) { guard_ = guard; }
  // Told about every command that reached a final state through complete(),
  // fail() or time_out(). Install before the workers start.
  void set_observer(CommandObserver* observer) { observer_ = observer; }
  // Told, once committed, that an accepted AuthorizationKey became a pile's
  // password hash (the directory admits the new key at once). Runs on the
  // worker that recorded the answer. Install before the workers start.
  using PasswordObserver =
      std::function<void(const std::string& charge_point_id, const std::string& password_hash)>;
  void set_password_observer(PasswordObserver observer) {
    password_observer_ = std::move(observer);
  }

  // Queues a command and wakes the node holding the pile. Throws
  // InvalidCommand (what() names the failing field) for a bad action,
  // payload, idempotency key or expiry; RowNotFoundError for an
  // unknown charge point. An idempotency key the pile's commands already
  // used returns that command unchanged (whatever this request carries).
  CommandRecord enqueue(const CommandRequest& request);
  // As enqueue(); `created` tells whether this call queued a new command.
  CommandRecord enqueue(const CommandRequest& request, bool& created);
  // The writing methods below take the batch their writes go through
  // (sharing its commit when grouped); their overloads without one commit
  // on their own.
  CommandRecord enqueue(WriteBatch& batch, const CommandRequest& request, bool& created);
  CommandRecord enqueue(WriteBatch& batch, const CommandRequest& request);
  // Queues many commands at once (a lock's fan-out to thousands of piles):
  // all or none. Each is checked as by enqueue(); none may carry an
  // idempotency key. Returns them in request order.
  std::vector<CommandRecord> enqueue_many(const std::vector<CommandRequest>& requests);
  std::vector<CommandRecord> enqueue_many(WriteBatch& batch,
                                          const std::vector<CommandRequest>& requests);

  // The row of a fan-out's command (one payload for many piles, which the
  // lock's store writes in one statement): enqueue()'s checks but the
  // guard's (the lock, the one caller, applies that rule to its own
  // commands); no idempotency key, no secret. The request names one of
  // the piles (the row is the same for all).
  NewCommand checked_for_fan_out(const CommandRequest& request) const;

  // Overdue queued commands are marked expired before reading.
  std::optional<CommandRecord> find(std::int64_t id);
  std::vector<CommandRecord> list(const CommandFilter& filter);  // newest first

  // ---- delivery (the OCPP node holding the pile's connection)

  // The oldest deliverable queued command of the pile, now marked sent by
  // this node, with its secret back in its payload (to be written to the
  // pile, never shown); nothing when none is queued or one is still
  // unanswered. The row keeps no secret from now on. A command whose
  // secret cannot be opened (another key), or whose payload holds only
  // "***" in its place, is failed ("SecretUnavailable") and the next one is
  // tried: "***" must never become a pile's password.
  std::optional<CommandRecord> claim_next(const std::string& charge_point_id);
  std::optional<CommandRecord> claim_next(WriteBatch& batch, const std::string& charge_point_id);
  // claim_next() for many piles in one transaction (the command
  // dispatcher's batch): at most one command per pile, in no particular
  // order.
  std::vector<CommandRecord> claim_next_many(const std::vector<std::string>& charge_point_ids);
  std::vector<CommandRecord> claim_next_many(WriteBatch& batch,
                                             const std::vector<std::string>& charge_point_ids);
  // A batch's wake-up heard by this OCPP node (CommandStore::claim_in_range:
  // per registered pile of this node with nothing sent, its oldest queued
  // command if it is in `ids`; at most `max_piles` piles), committed on its
  // own, each claimed record opened as claim_next() opens it. `waiting`:
  // this node's other piles with queued commands in `ids` (and those of
  // `excluded`), to be pumped. Called on the command dispatcher's listener
  // thread (its connection).
  // REQUIRES: ids.first <= ids.last, max_piles > 0.
  struct RangeClaim {
    std::vector<CommandRecord> claimed;
    std::vector<std::string> waiting;
  };
  RangeClaim claim_in_range(const CommandIdRange& ids, std::size_t max_piles,
                            const std::vector<std::string>& excluded = {});
  // Records many outcomes: those without effects on the pile state in one
  // statement, the others one by one (complete(), release()); the observer
  // hears of the batch at once.
  void record_outcomes(const std::vector<CommandOutcome>& outcomes);
  void record_outcomes(WriteBatch& batch, const std::vector<CommandOutcome>& outcomes);
  // The claimed command (as claim_next() returned it) was never written to
  // the pile: back to queued, its secret sealed into the row again.
  bool release(const CommandRecord& command);
  bool release(WriteBatch& batch, const CommandRecord& command);
  // CALLRESULT: completed with the response; keeps its effects. `command`
  // is the record claim_next() returned. Secret configuration values are
  // stored as "***"; an accepted AuthorizationKey becomes the pile's new
  // password hash (PBKDF2, computed here: call it on a worker).
  bool complete(const CommandRecord& command, const std::string& response_json);
  bool complete(WriteBatch& batch, const CommandRecord& command, const std::string& response_json);
  // CALLERROR (code, description, details JSON) or an unusable answer.
  bool fail(std::int64_t id, const std::string& error_code, const std::string& description,
            std::optional<std::string> details_json = std::nullopt);
  bool fail(WriteBatch& batch, std::int64_t id, const std::string& error_code,
            const std::string& description, std::optional<std::string> details_json = std::nullopt);
  // No answer (time-out, or the connection closed after it was sent).
  bool time_out(std::int64_t id, const std::string& description);
  // Every unanswered sent command of a pile (it reconnected: answers to the
  // old connection cannot come any more).
  int time_out_unanswered(const std::string& charge_point_id);
  int time_out_unanswered(const std::vector<std::string>& charge_point_ids);
  int time_out_unanswered(WriteBatch& batch, const std::vector<std::string>& charge_point_ids);
  // Reservations past their expiry date end (connector Available again).
  int expire_reservations();
  // Sent commands older than `age` (their node died or lost them).
  int time_out_stale(std::chrono::milliseconds age);
  // Queued commands past expiry become expired.
  int expire_overdue();
  // Piles with queued commands that are recorded as connected to this node
  // (only commands with ids in `ids` when given: a batch's wake-up).
  std::vector<std::string> charge_points_with_queued(
      const std::optional<CommandIdRange>& ids = std::nullopt);
  std::unique_ptr<CommandWakeups> listen();

  // ---- pile state kept from answered commands
  std::vector<ConfigurationKey> configuration(const std::string& charge_point_id);
  std::optional<int> local_list_version(const std::string& charge_point_id);
  std::vector<Reservation> reservations(const std::string& charge_point_id);

  const CommandServiceConfig& config() const { return config_; }

 private:
  // The request's checks (InvalidCommand, CommandRefused) and its row.
  NewCommand checked(const CommandRequest& request) const;
  // checked() but the guard.
  NewCommand unguarded(const CommandRequest& request) const;
  // Tells the observer about a command whose final state was just recorded.
  bool finished(WriteBatch& batch, std::int64_t id, bool recorded);
  // The claimed record with its secret back in the payload; nothing (and
  // the command failed "SecretUnavailable") when that cannot be done.
  std::optional<CommandRecord> opened(WriteBatch& batch, StoredCommand claimed);
  // The command store to write through in `batch`.
  CommandStore& commands(WriteBatch& batch) const { return batch.store(&Stores::commands, store_); }
  // Secrets out of the effects: "***" for secret keys' values, and the
  // password hash an accepted AuthorizationKey leads to.
  static void protect(CommandEffects& effects);
  // Whether the payload holds "***" where its secret belongs (the secret
  // itself is gone).
  bool holds_placeholder(const CommandRecord& command) const;

  CommandStore& store_;
  CommandServiceConfig config_;
  const TimeSource& time_;
  const CommandValidator* validator_ = nullptr;
  CommandGuard* guard_ = nullptr;
  CommandObserver* observer_ = nullptr;
  PasswordObserver password_observer_;
};

}  // namespace chargelock::core
