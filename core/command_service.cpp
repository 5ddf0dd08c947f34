#include "core/command_service.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/password_hash.h"
#include "core/secrets.h"
#include "core/stores/stores.h"

namespace chargelock::core {

namespace {

constexpr std::size_t kMaxIdempotencyKey = 255;
constexpr std::size_t kMaxOrigin = 255;
constexpr std::chrono::seconds kMaxExpiry{366 * 24 * 3600};

CommandRecord to_record(StoredCommand c) {
  CommandRecord r;
  r.id = c.id;
  r.charge_point_id = std::move(c.charge_point_id);
  r.action = std::move(c.action);
  r.payload_json = std::move(c.payload_json);
  r.status = command_status_from_string(c.status).value_or(CommandStatus::Failed);
  r.response_json = std::move(c.response_json);
  r.error_code = std::move(c.error_code);
  r.error_description = std::move(c.error_description);
  r.idempotency_key = std::move(c.idempotency_key);
  r.origin = std::move(c.origin);
  r.created_at = c.created_at;
  r.expires_at = c.expires_at;
  r.sent_at = c.sent_at;
  r.completed_at = c.completed_at;
  r.more_queued = c.more_queued;
  return r;
}

}  // namespace

CommandService::CommandService(CommandStore& store, CommandServiceConfig config,
                               const TimeSource& time)
    : store_(store), config_(std::move(config)), time_(time) {}

CommandRecord CommandService::enqueue(const CommandRequest& request) {
  bool created = false;
  return enqueue(request, created);
}

NewCommand CommandService::checked(const CommandRequest& request) const {
  NewCommand command = unguarded(request);
  if (guard_ != nullptr)
    if (auto refusal = guard_->refuse(request)) throw CommandRefused(*refusal);
  return command;
}

NewCommand CommandService::checked_for_fan_out(const CommandRequest& request) const {
  if (request.idempotency_key)
    throw InvalidCommand("idempotencyKey: not accepted when queueing many commands at once");
  NewCommand command = unguarded(request);
  if (command.secret) throw InvalidCommand("a fan-out cannot carry a secret");
  return command;
}

NewCommand CommandService::unguarded(const CommandRequest& request) const {
  if (validator_ == nullptr) throw std::logic_error("CommandService: no command validator was set");
  if (request.charge_point_id.empty()) throw InvalidCommand("chargePointId: must not be empty");
  if (request.action.empty()) throw InvalidCommand("action: must not be empty");
  if (request.idempotency_key &&
      (request.idempotency_key->empty() || request.idempotency_key->size() > kMaxIdempotencyKey))
    throw InvalidCommand(
        fmt::format("idempotencyKey: must be 1 to {} characters", kMaxIdempotencyKey));
  if (request.origin.empty() || request.origin.size() > kMaxOrigin)
    throw InvalidCommand(fmt::format("origin: must be 1 to {} characters", kMaxOrigin));
  if (request.expires_in <= std::chrono::seconds::zero() || request.expires_in > kMaxExpiry)
    throw InvalidCommand(
        fmt::format("expiresIn: must be between 1 and {} seconds", kMaxExpiry.count()));

  // Validated even when the key was used before: a retry carries the same
  // (valid) command, and a bad payload is reported whatever the key.
  if (auto error = validator_->check(request.action, request.payload_json))
    throw InvalidCommand(*error);

  NewCommand command;
  command.charge_point_id = request.charge_point_id;
  command.action = request.action;
  command.payload_json = request.payload_json;
  // The row, and everything shown from it, only ever holds "***"; the
  // secret waits beside it, sealed, until delivery.
  if (auto split = validator_->take_secret(request.action, request.payload_json)) {
    command.payload_json = std::move(split->redacted_payload_json);
    command.secret = config_.secrets.seal(split->secret, request.charge_point_id);
  }
  command.idempotency_key = request.idempotency_key;
  command.origin = request.origin;
  command.expires_at = time_.now() + request.expires_in;
  return command;
}

CommandRecord CommandService::enqueue(WriteBatch& batch, const CommandRequest& request) {
  bool created = false;
  return enqueue(batch, request, created);
}

CommandRecord CommandService::enqueue(const CommandRequest& request, bool& created) {
  WriteBatch alone = WriteBatch::alone();
  return enqueue(alone, request, created);
}

CommandRecord CommandService::enqueue(WriteBatch& batch, const CommandRequest& request,
                                      bool& created) {
  auto enqueued = commands(batch).enqueue(checked(request));
  created = enqueued.inserted;
  return to_record(std::move(enqueued.command));
}

std::vector<CommandRecord> CommandService::enqueue_many(
    const std::vector<CommandRequest>& requests) {
  WriteBatch alone = WriteBatch::alone();
  return enqueue_many(alone, requests);
}

std::vector<CommandRecord> CommandService::enqueue_many(
    WriteBatch& batch, const std::vector<CommandRequest>& requests) {
  std::vector<NewCommand> commands;
  commands.reserve(requests.size());
  for (const CommandRequest& request : requests) {
    if (request.idempotency_key)
      throw InvalidCommand("idempotencyKey: not accepted when queueing many commands at once");
    commands.push_back(checked(request));
  }
  std::vector<CommandRecord> out;
  out.reserve(commands.size());
  for (auto& stored : this->commands(batch).enqueue_many(commands))
    out.push_back(to_record(std::move(stored)));
  return out;
}

std::optional<CommandRecord> CommandService::find(std::int64_t id) {
  store_.expire_overdue();
  auto found = store_.find(id);
  if (!found) return std::nullopt;
  return to_record(std::move(*found));
}

std::vector<CommandRecord> CommandService::list(const CommandFilter& filter) {
  store_.expire_overdue();
  CommandQuery query;
  query.charge_point_id = filter.charge_point_id;
  if (filter.status) query.status = to_string(*filter.status);
  query.before_id = std::max<std::int64_t>(0, filter.before_id);
  query.limit = std::clamp(filter.limit, 1, 1000);
  std::vector<CommandRecord> out;
  for (auto& c : store_.list(query)) out.push_back(to_record(std::move(c)));
  return out;
}

std::optional<CommandRecord> CommandService::claim_next(const std::string& charge_point_id) {
  WriteBatch alone = WriteBatch::alone();
  return claim_next(alone, charge_point_id);
}

std::optional<CommandRecord> CommandService::claim_next(WriteBatch& batch,
                                                        const std::string& charge_point_id) {
  for (;;) {
    auto claimed = commands(batch).claim_next(charge_point_id, config_.node_id);
    if (!claimed) return std::nullopt;
    // A command failed for its secret ends (each attempt ends one command,
    // so this loop ends): try the next.
    if (auto record = opened(batch, std::move(*claimed))) return record;
  }
}

std::vector<CommandRecord> CommandService::claim_next_many(
    const std::vector<std::string>& charge_point_ids) {
  WriteBatch alone = WriteBatch::alone();
  return claim_next_many(alone, charge_point_ids);
}

std::vector<CommandRecord> CommandService::claim_next_many(
    WriteBatch& batch, const std::vector<std::string>& charge_point_ids) {
  std::vector<CommandRecord> out;
  out.reserve(charge_point_ids.size());
  for (auto& claimed : commands(batch).claim_next_many(charge_point_ids, config_.node_id)) {
    const std::string charge_point_id = claimed.charge_point_id;
    if (auto record = opened(batch, std::move(claimed)))
      out.push_back(std::move(*record));
    else if (auto next = claim_next(batch, charge_point_id))  // rare: that pile alone
      out.push_back(std::move(*next));
  }
  return out;
}

CommandService::RangeClaim CommandService::claim_in_range(
    const CommandIdRange& ids, std::size_t max_piles, const std::vector<std::string>& excluded) {
  WriteBatch alone = WriteBatch::alone();
  auto claim = store_.claim_in_range(ids, config_.node_id, max_piles, excluded);
  RangeClaim out;
  out.waiting = std::move(claim.waiting);
  out.claimed.reserve(claim.claimed.size());
  for (auto& claimed : claim.claimed) {
    const std::string charge_point_id = claimed.charge_point_id;
    if (auto record = opened(alone, std::move(claimed)))
      out.claimed.push_back(std::move(*record));
    else  // its secret failed it (rare): the pile's next one waits for a pump
      out.waiting.push_back(charge_point_id);
  }
  return out;
}

std::optional<CommandRecord> CommandService::opened(WriteBatch& batch, StoredCommand claimed) {
  const std::optional<std::string> sealed = std::move(claimed.secret);
  claimed.secret.reset();
  CommandRecord record = to_record(std::move(claimed));
  if (sealed) {
    if (auto secret = config_.secrets.open(*sealed, record.charge_point_id)) {
      if (validator_ != nullptr)
        record.payload_json = validator_->put_secret(record.action, record.payload_json, *secret);
      return record;
    }
  } else if (!holds_placeholder(record)) {
    return record;
  }
  // Sending "***" would make it the pile's password: fail the command.
  fail(batch, record.id, "SecretUnavailable",
       sealed ? "the command's secret cannot be decrypted with this node's secret key"
              : "the command's secret is missing");
  return std::nullopt;
}

bool CommandService::holds_placeholder(const CommandRecord& command) const {
  if (validator_ == nullptr) return false;
  const auto split = validator_->take_secret(command.action, command.payload_json);
  return split && split->secret == kRedacted;
}

bool CommandService::release(const CommandRecord& command) {
  WriteBatch alone = WriteBatch::alone();
  return release(alone, command);
}

bool CommandService::release(WriteBatch& batch, const CommandRecord& command) {
  std::optional<std::string> sealed;
  if (validator_ != nullptr) {
    auto split = validator_->take_secret(command.action, command.payload_json);
    if (split && split->secret != kRedacted)
      sealed = config_.secrets.seal(split->secret, command.charge_point_id);
  }
  return commands(batch).unclaim(command.id, sealed);
}

namespace {

bool no_effects(const CommandEffects& e) {
  return e.configuration.empty() && !e.configuration_change && !e.local_list_version &&
         !e.reservation && !e.cancelled_reservation_id && !e.password_hash;
}

}  // namespace

void CommandService::record_outcomes(const std::vector<CommandOutcome>& outcomes) {
  WriteBatch alone = WriteBatch::alone();
  record_outcomes(alone, outcomes);
}

void CommandService::record_outcomes(WriteBatch& batch,
                                     const std::vector<CommandOutcome>& outcomes) {
  std::vector<CommandStore::Ended> ended_many;
  ended_many.reserve(outcomes.size());
  for (const CommandOutcome& outcome : outcomes) {
    CommandStore::Ended ended;
    ended.id = outcome.command.id;
    switch (outcome.kind) {
      case CommandOutcome::Kind::Completed: {
        CommandEffects effects;
        if (validator_ != nullptr) {
          try {
            effects = validator_->effects(outcome.command.action, outcome.command.payload_json,
                                          outcome.response_json);
          } catch (const std::exception&) {
            effects = {};
          }
        }
        if (!no_effects(effects)) {  // pile state to keep: on its own
          complete(batch, outcome.command, outcome.response_json);
          continue;
        }
        ended.result.status = to_string(CommandStatus::Completed);
        ended.result.response_json = outcome.response_json;
        break;
      }
      case CommandOutcome::Kind::Failed:
        ended.result.status = to_string(CommandStatus::Failed);
        ended.result.response_json = outcome.details_json;
        ended.result.error_code = outcome.error_code;
        ended.result.error_description = outcome.description;
        break;
      case CommandOutcome::Kind::TimedOut:
        ended.result.status = to_string(CommandStatus::Timeout);
        ended.result.error_code = "Timeout";
        ended.result.error_description = outcome.description;
        break;
      case CommandOutcome::Kind::Requeue:
        release(batch, outcome.command);
        continue;
    }
    ended_many.push_back(std::move(ended));
  }
  if (ended_many.empty()) return;
  std::vector<CommandRecord> recorded;
  for (auto& stored : commands(batch).complete_many(ended_many))
    recorded.push_back(to_record(std::move(stored)));
  if (observer_ == nullptr || recorded.empty()) return;
  try {
    observer_->commands_finished(batch, recorded);
  } catch (const std::exception&) {
    // Stored; the observer's sweep catches up (as in finished()).
  }
}

bool CommandService::complete(const CommandRecord& command, const std::string& response_json) {
  WriteBatch alone = WriteBatch::alone();
  return complete(alone, command, response_json);
}

bool CommandService::complete(WriteBatch& batch, const CommandRecord& command,
                              const std::string& response_json) {
  CommandResult result;
  result.status = to_string(CommandStatus::Completed);
  result.response_json = response_json;
  CommandEffects effects;
  if (validator_ != nullptr) {
    try {
      effects = validator_->effects(command.action, command.payload_json, response_json);
    } catch (const std::exception&) {
      effects = {};  // the answer is still recorded; the state stays as it was
    }
  }
  protect(effects);
  const bool recorded = commands(batch).complete(command.id, result, effects);
  if (recorded && effects.password_hash && password_observer_) {
    batch.after_commit([observer = password_observer_, id = command.charge_point_id,
                        hash = *effects.password_hash] { observer(id, hash); });
  }
  return finished(batch, command.id, recorded);
}

void CommandService::protect(CommandEffects& effects) {
  for (ConfigurationKey& key : effects.configuration)
    if (is_secret_configuration_key(key.key) && key.value) key.value = std::string(kRedacted);
  if (effects.configuration_change &&
      is_secret_configuration_key(effects.configuration_change->key)) {
    auto& value = effects.configuration_change->value;
    // Key rotation (OCPP security whitepaper): the pile now authenticates
    // with the key it accepted.
    if (value && !value->empty() && *value != kRedacted)
      effects.password_hash = hash_password(*value);
    if (value) value = std::string(kRedacted);
  }
}

bool CommandService::fail(std::int64_t id, const std::string& error_code,
                          const std::string& description, std::optional<std::string> details_json) {
  WriteBatch alone = WriteBatch::alone();
  return fail(alone, id, error_code, description, std::move(details_json));
}

bool CommandService::fail(WriteBatch& batch, std::int64_t id, const std::string& error_code,
                          const std::string& description, std::optional<std::string> details_json) {
  CommandResult result;
  result.status = to_string(CommandStatus::Failed);
  result.response_json = std::move(details_json);
  result.error_code = error_code;
  result.error_description = description;
  return finished(batch, id, commands(batch).complete(id, result, {}));
}

bool CommandService::time_out(std::int64_t id, const std::string& description) {
  CommandResult result;
  result.status = to_string(CommandStatus::Timeout);
  result.error_code = "Timeout";
  result.error_description = description;
  WriteBatch alone = WriteBatch::alone();
  return finished(alone, id, store_.complete(id, result, {}));
}

bool CommandService::finished(WriteBatch& batch, std::int64_t id, bool recorded) {
  if (!recorded || observer_ == nullptr) return recorded;
  if (auto found = commands(batch).find(id)) {
    try {
      observer_->command_finished(batch, to_record(std::move(*found)));
    } catch (const std::exception&) {
      // The outcome is stored; observers (the lock) also reconcile from it
      // on their own sweep, so a failure here delays, never loses, the effect.
    }
  }
  return recorded;
}

int CommandService::time_out_unanswered(const std::string& charge_point_id) {
  return store_.time_out_sent(charge_point_id, std::nullopt,
                              "the connection it was sent on closed before an answer");
}

int CommandService::time_out_unanswered(const std::vector<std::string>& charge_point_ids) {
  WriteBatch alone = WriteBatch::alone();
  return time_out_unanswered(alone, charge_point_ids);
}

int CommandService::time_out_unanswered(WriteBatch& batch,
                                        const std::vector<std::string>& charge_point_ids) {
  return commands(batch).time_out_sent_many(
      charge_point_ids, "the connection it was sent on closed before an answer");
}

int CommandService::expire_reservations() { return store_.expire_reservations(); }

int CommandService::time_out_stale(std::chrono::milliseconds age) {
  return store_.time_out_sent(std::nullopt, time_.now() - age,
                              "no answer recorded (the delivering node stopped or lost it)");
}

int CommandService::expire_overdue() { return store_.expire_overdue(); }

std::vector<std::string> CommandService::charge_points_with_queued(
    const std::optional<CommandIdRange>& ids) {
  return store_.charge_points_with_queued(config_.node_id, ids);
}

std::unique_ptr<CommandWakeups> CommandService::listen() { return store_.listen(); }

std::vector<ConfigurationKey> CommandService::configuration(const std::string& charge_point_id) {
  return store_.configuration(charge_point_id);
}

std::optional<int> CommandService::local_list_version(const std::string& charge_point_id) {
  return store_.local_list_version(charge_point_id);
}

std::vector<Reservation> CommandService::reservations(const std::string& charge_point_id) {
  return store_.reservations(charge_point_id);
}

}  // namespace chargelock::core
