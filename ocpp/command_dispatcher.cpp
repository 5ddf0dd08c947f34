#include "ocpp/command_dispatcher.h"

#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <set>

#include "core/log.h"
#include "ocpp/rpc/secret_redaction.h"

namespace chargelock::ocpp {

namespace {

std::string to_json(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

// What to record for an outcome, computed on the loop (JSON is serialised
// there, the session's document is not shared with the worker).
core::CommandOutcome outcome_of(const core::CommandRecord& command, CallOutcome& outcome) {
  using Kind = core::CommandOutcome::Kind;
  core::CommandOutcome v;
  v.command = command;
  switch (outcome.status) {
    case CallStatus::Completed:
      v.kind = Kind::Completed;
      // The row shows "***" for a secret the pile reported (its effects
      // keep "***" too, see CommandService::complete).
      redact_result_payload(command.action, outcome.payload);
      v.response_json = to_json(outcome.payload);
      break;
    case CallStatus::CallError:
      v.kind = Kind::Failed;
      v.error_code =
          outcome.error_code ? std::string(to_string(*outcome.error_code)) : "GenericError";
      v.description = outcome.description;
      if (!outcome.payload.IsNull()) v.details_json = to_json(outcome.payload);
      break;
    case CallStatus::InvalidResponse:
      v.kind = Kind::Failed;
      v.error_code = "InvalidResponse";
      v.description = outcome.description;
      redact_result_payload(command.action, outcome.payload);
      if (!outcome.payload.IsNull()) v.details_json = to_json(outcome.payload);
      break;
    case CallStatus::Rejected:
      v.kind = Kind::Failed;
      v.error_code = "Rejected";
      v.description = outcome.description;
      break;
    case CallStatus::Timeout:
      v.kind = Kind::TimedOut;
      v.description = outcome.description;
      break;
    case CallStatus::ConnectionClosed:
      // Written to the pile (it has a message id): the pile may have acted,
      // so it is never sent again. Otherwise it goes back to the queue.
      v.kind = outcome.message_id.empty() ? Kind::Requeue : Kind::TimedOut;
      v.description = "the connection closed before an answer";
      break;
  }
  return v;
}

// Piles per worker task: big enough that a fan-out costs a few statements
// per hundreds of piles, small enough that the batches of a fan-out spread
// over the workers.
constexpr std::size_t kBatchPiles = 250;

// Piles one batch's wake-up claims for at most in one transaction (each
// holds an advisory lock until the commit, in a lock table sized for ~64
// locks per connection); the others are pumped. A fan-out's chunk is 1,000
// commands over all the nodes.
constexpr std::size_t kRangeClaimPiles = 2000;

void log_failure(const std::string& what, const std::string& charge_point_id,
                 const std::exception& error) {
  core::log(core::LogLevel::Error, "command_failed",
            fmt::format("chargelock: commands: {} for {} failed: {}", what, charge_point_id,
                        error.what()),
            {charge_point_id, {}});
}

}  // namespace

CommandDispatcher::CommandDispatcher(core::CommandService& commands, core::WorkQueue& work,
                                     PostToLoop post, SessionLookup session_of,
                                     CommandDispatcherOptions options)
    : commands_(commands),
      work_(work),
      post_(std::move(post)),
      session_of_(std::move(session_of)),
      options_(std::move(options)) {}

CommandDispatcher::~CommandDispatcher() { stop(); }

void CommandDispatcher::start() {
  if (listener_.joinable()) return;
  stopping_ = false;
  listener_ = std::thread([this] { listen_loop(); });
}

void CommandDispatcher::stop() {
  stopping_ = true;
  if (listener_.joinable()) listener_.join();
}

// ------------------------------------------------------------ loop thread

void CommandDispatcher::on_session_open(const std::string& charge_point_id) {
  PileState& state = piles_[charge_point_id];
  state.reset_pending = true;
  {
    base::MutexLock lock(resetting_mutex_);
    resetting_.insert(charge_point_id);
  }
  request_pump(charge_point_id);  // waits for the session's registration
}

void CommandDispatcher::on_session_closed(const std::string& charge_point_id) {
  auto it = piles_.find(charge_point_id);
  if (it != piles_.end() && !it->second.busy) piles_.erase(it);
}

void CommandDispatcher::on_session_registered(const std::string& charge_point_id) {
  request_pump(charge_point_id);
}

void CommandDispatcher::stop_sending() { sending_ = false; }

std::size_t CommandDispatcher::commands_in_flight() const {
  std::size_t busy = 0;
  for (const auto& [id, state] : piles_)
    if (state.busy) ++busy;
  return busy;
}

void CommandDispatcher::request_pump(const std::string& charge_point_id) {
  const auto session = session_of_(charge_point_id);
  if (!session) {
    auto it = piles_.find(charge_point_id);
    if (it != piles_.end() && !it->second.busy) piles_.erase(it);
    return;
  }
  if (!sending_) return;  // stopping: the commands wait for the next node
  PileState& state = piles_[charge_point_id];
  if (state.busy) {
    state.again = true;
    return;
  }
  // OCPP 1.6 §4.2: no CALL before the boot is accepted; on_session_registered
  // asks again then.
  if (!session->registered()) return;
  pump(charge_point_id);
}

void CommandDispatcher::pump(const std::string& charge_point_id) {
  PileState& state = piles_[charge_point_id];
  state.busy = true;
  state.again = false;
  batch_.claims.push_back(charge_point_id);
  if (state.reset_pending) batch_.resets.push_back(charge_point_id);
  state.reset_pending = false;
  if (!flush_posted_) {
    flush_posted_ = true;
    post_([this] { flush(); });
  }
}

void CommandDispatcher::flush() {
  flush_posted_ = false;
  Batch batch;
  std::swap(batch, batch_);
  // Outcomes first, each with its pile's next claim; then the other claims.
  // Shared: the batches of many workers commit together; each CALL goes out
  // once its claim is durable, each outcome is told once it is. A stopping
  // node records the outcomes but claims nothing more (see stop_sending()).
  // Urgent lane: a command is someone's request (a lock's LockVehicle to
  // thousands of piles, an operator's reset) and must not wait behind the
  // network's MeterValues.
  const bool claim = sending_;
  for (std::size_t i = 0; i < batch.outcomes.size(); i += kBatchPiles) {
    const std::size_t end = std::min(batch.outcomes.size(), i + kBatchPiles);
    std::vector<core::CommandOutcome> outcomes(
        std::make_move_iterator(batch.outcomes.begin() + static_cast<std::ptrdiff_t>(i)),
        std::make_move_iterator(batch.outcomes.begin() + static_cast<std::ptrdiff_t>(end)));
    std::vector<std::string> piles(batch.answered.begin() + static_cast<std::ptrdiff_t>(i),
                                   batch.answered.begin() + static_cast<std::ptrdiff_t>(end));
    // A lock's 10,000 answers: no pile has a command behind its LockVehicle,
    // and asking would be two statements per batch for nothing.
    std::vector<std::string> to_claim;
    for (std::size_t k = 0; k < piles.size(); ++k) {
      const PileState& state = piles_[piles[k]];
      if (state.more_queued || state.again || state.reset_pending ||
          outcomes[k].kind == core::CommandOutcome::Kind::Requeue)
        to_claim.push_back(piles[k]);
    }
    const std::string shard = piles.front();
    work_.submit(
        shard,
        [this, claim, outcomes = std::move(outcomes), piles = std::move(piles),
         to_claim = std::move(to_claim)](core::WriteBatch& batch) mutable {
          run_batch(std::move(outcomes), {}, std::move(piles), std::move(to_claim), claim, batch);
        },
        core::WorkQueue::Commit::Shared, core::WorkQueue::Lane::Urgent);
  }
  const std::set<std::string> resets(batch.resets.begin(), batch.resets.end());
  for (std::size_t i = 0; i < batch.claims.size(); i += kBatchPiles) {
    const std::size_t end = std::min(batch.claims.size(), i + kBatchPiles);
    std::vector<std::string> piles(batch.claims.begin() + static_cast<std::ptrdiff_t>(i),
                                   batch.claims.begin() + static_cast<std::ptrdiff_t>(end));
    std::vector<std::string> reset;
    for (const auto& id : piles)
      if (resets.count(id) != 0) reset.push_back(id);
    const std::string shard = piles.front();
    work_.submit(
        shard,
        [this, claim, reset = std::move(reset),
         piles = std::move(piles)](core::WriteBatch& batch) mutable {
          std::vector<std::string> to_claim = piles;
          run_batch({}, std::move(reset), std::move(piles), std::move(to_claim), claim, batch);
        },
        core::WorkQueue::Commit::Shared, core::WorkQueue::Lane::Urgent);
  }
}

void CommandDispatcher::on_claimed(const std::vector<std::string>& piles, Claimed claimed) {
  std::unordered_map<std::string, core::CommandRecord*> by_pile;
  for (auto& command : claimed) by_pile[command.charge_point_id] = &command;
  for (const std::string& id : piles) {
    auto found = by_pile.find(id);
    if (found == by_pile.end()) {
      finished(id);
    } else {
      send(id, std::move(*found->second));
    }
  }
}

void CommandDispatcher::deliver(std::vector<core::CommandRecord> claimed) {
  post_([this, claimed = std::move(claimed)]() mutable {
    for (core::CommandRecord& command : claimed) take_claimed(std::move(command));
  });
}

void CommandDispatcher::requeue(core::CommandRecord command) {
  const std::string charge_point_id = command.charge_point_id;
  work_.submit(charge_point_id, [this, claimed = std::move(command), charge_point_id] {
    try {
      commands_.release(claimed);
    } catch (const std::exception& error) {
      log_failure("re-queueing command " + std::to_string(claimed.id), charge_point_id, error);
    }
  });
}

void CommandDispatcher::take_claimed(core::CommandRecord command) {
  const std::string charge_point_id = command.charge_point_id;
  PileState& state = piles_[charge_point_id];
  if (state.busy) {
    // A claim or CALL of ours is in flight for the pile: the command waits
    // in the queue behind it (its wake-up asks for the pump again).
    requeue(std::move(command));
    state.again = true;
    return;
  }
  state.busy = true;
  state.again = false;
  send(charge_point_id, std::move(command));  // or back to the queue, see send()
}

void CommandDispatcher::send(const std::string& charge_point_id, core::CommandRecord command) {
  auto session = sending_ ? session_of_(charge_point_id) : nullptr;
  PileState& state = piles_[charge_point_id];
  // The pile left, or reconnected (its new session must first time out what
  // the old one was sent, and register) between claim and send, or this node
  // is stopping: nothing was written, the command goes back to the queue.
  if (!session || state.reset_pending || !session->registered()) {
    requeue(std::move(command));
    state.busy = false;
    request_pump(charge_point_id);  // forgets the pile, or claims again
    return;
  }
  state.more_queued = command.more_queued;
  rapidjson::Document payload;
  payload.Parse(command.payload_json.c_str(), command.payload_json.size());
  if (payload.HasParseError()) payload.SetObject();  // the session's schema check rejects it
  auto record = std::make_shared<core::CommandRecord>(std::move(command));
  const std::string action = record->action;
  session->send_call(action, std::move(payload),
                     [this, charge_point_id, record](CallOutcome outcome) {
                       on_outcome(charge_point_id, *record, std::move(outcome));
                     });
}

void CommandDispatcher::on_outcome(const std::string& charge_point_id,
                                   const core::CommandRecord& command, CallOutcome outcome) {
  // May run inside the session's destructor: touch no session here.
  batch_.outcomes.push_back(outcome_of(command, outcome));
  batch_.answered.push_back(charge_point_id);
  if (!flush_posted_) {
    flush_posted_ = true;
    post_([this] { flush(); });
  }
}

void CommandDispatcher::finished(const std::string& charge_point_id) {
  PileState& state = piles_[charge_point_id];
  state.busy = false;
  if (state.again || state.reset_pending)
    request_pump(charge_point_id);
  else if (!session_of_(charge_point_id))
    piles_.erase(charge_point_id);
}

// ------------------------------------------------------------ worker

void CommandDispatcher::run_batch(std::vector<core::CommandOutcome> outcomes,
                                  std::vector<std::string> resets, std::vector<std::string> piles,
                                  std::vector<std::string> to_claim, bool claim,
                                  core::WriteBatch& batch) {
  Claimed claimed;
  try {
    if (!outcomes.empty()) commands_.record_outcomes(batch, outcomes);
  } catch (const std::exception& error) {
    log_failure(fmt::format("recording {} command outcome(s)", outcomes.size()), piles.front(),
                error);
  }
  try {
    if (!resets.empty()) commands_.time_out_unanswered(batch, resets);
    if (claim && !to_claim.empty()) claimed = commands_.claim_next_many(batch, to_claim);
  } catch (const std::exception& error) {
    // Nothing claimed: the once-a-second scan asks again for piles with
    // queued commands.
    log_failure(fmt::format("claiming commands of {} pile(s)", to_claim.size()), piles.front(),
                error);
    claimed.clear();
  }
  batch.after_commit([this, resets = std::move(resets), piles = std::move(piles),
                      claimed = std::move(claimed)]() mutable {
    if (!resets.empty()) {
      // Reset (or failed: then it times nothing out): range claims may go on.
      base::MutexLock lock(resetting_mutex_);
      for (const auto& id : resets) resetting_.erase(id);
    }
    post_([this, piles = std::move(piles), claimed = std::move(claimed)]() mutable {
      on_claimed(piles, std::move(claimed));
    });
  });
}

// ------------------------------------------------------------ listener

void CommandDispatcher::post_pumps(std::vector<std::string> charge_point_ids) {
  if (charge_point_ids.empty()) return;
  std::sort(charge_point_ids.begin(), charge_point_ids.end());
  charge_point_ids.erase(std::unique(charge_point_ids.begin(), charge_point_ids.end()),
                         charge_point_ids.end());
  post_([this, ids = std::move(charge_point_ids)] {
    for (const auto& id : ids) request_pump(id);
  });
}

std::vector<std::string> CommandDispatcher::resolved(std::vector<std::string> woken) {
  // A batch queued for many piles: which of them are here is one query
  // away, over the batches' command ids when every batch named them (one
  // range covering them all), else over every queued command. A range is
  // claimed here at once, on this thread's connection, for this node's
  // registered idle piles (a fan-out queued by an API process: no round
  // trip through the loop and a worker's claim before the first CALL); the
  // loop sends those as it sends a fan-out's own claims (deliver()), and
  // pumps the range's other piles of ours as before.
  std::vector<std::string> piles;
  std::optional<core::CommandIdRange> ids;
  bool every_queued = false;
  for (std::string& id : woken) {
    if (id.empty() || id[0] != '*') {
      piles.push_back(std::move(id));
    } else if (const auto range = core::parse_batch_wakeup(id); range && !every_queued) {
      ids = core::covering(ids, *range);
    } else {
      every_queued = true;
    }
  }
  if (every_queued) return commands_.charge_points_with_queued();
  if (ids) {
    std::vector<std::string> resetting;
    {
      base::MutexLock lock(resetting_mutex_);
      resetting.assign(resetting_.begin(), resetting_.end());
    }
    auto claim = commands_.claim_in_range(*ids, kRangeClaimPiles, resetting);
    // Posted before the pumps (post_pumps() after this returns): on the
    // loop the claimed commands come first, each pile busy with its own.
    if (!claim.claimed.empty()) deliver(std::move(claim.claimed));
    for (std::string& id : claim.waiting) piles.push_back(std::move(id));
  }
  return piles;
}

void CommandDispatcher::listen_loop() {
  using Clock = std::chrono::steady_clock;
  constexpr std::chrono::milliseconds kStopCheck{250};
  std::unique_ptr<core::CommandWakeups> wakeups;
  auto next_scan = Clock::now();
  // The first sweep runs at once: after a restart, commands sent by the
  // previous run and never answered become timeout (not sent again).
  auto next_sweep = Clock::now();
  while (!stopping_) {
    try {
      if (!wakeups) wakeups = commands_.listen();
      const auto now = Clock::now();
      if (now >= next_sweep) {
        next_sweep = now + options_.sweep_interval;
        commands_.expire_overdue();
        commands_.time_out_stale(options_.stale_after);
        commands_.expire_reservations();
        if (options_.after_sweep) options_.after_sweep();
      }
      if (now >= next_scan) {
        next_scan = now + options_.scan_interval;
        post_pumps(commands_.charge_points_with_queued());
      }
      const auto until_scan =
          std::chrono::duration_cast<std::chrono::milliseconds>(next_scan - Clock::now());
      const auto wait = std::clamp(until_scan, std::chrono::milliseconds(1), kStopCheck);
      post_pumps(resolved(wakeups->wait(wait)));
    } catch (const std::exception& error) {
      core::log(core::LogLevel::Error, "command_listener_failed",
                fmt::format("chargelock: commands: listener: {}", error.what()));
      for (int i = 0; i < 4 && !stopping_; ++i) std::this_thread::sleep_for(kStopCheck);
    }
  }
  wakeups.reset();
  if (options_.on_thread_exit) options_.on_thread_exit();
}

}  // namespace chargelock::ocpp
