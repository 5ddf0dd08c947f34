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
struct Verdict {
  enum Kind { Complete, Fail, TimeOut, Requeue } kind = Fail;
  std::string response_json;
  std::string error_code;
  std::string description;
  std::optional<std::string> details_json;
};

Verdict verdict_of(const std::string& action, CallOutcome& outcome) {
  Verdict v;
  switch (outcome.status) {
    case CallStatus::Completed:
      v.kind = Verdict::Complete;
      // The row shows "***" for a secret the pile reported (its effects
      // keep "***" too, see CommandService::complete).
      redact_result_payload(action, outcome.payload);
      v.response_json = to_json(outcome.payload);
      break;
    case CallStatus::CallError:
      v.kind = Verdict::Fail;
      v.error_code =
          outcome.error_code ? std::string(to_string(*outcome.error_code)) : "GenericError";
      v.description = outcome.description;
      if (!outcome.payload.IsNull()) v.details_json = to_json(outcome.payload);
      break;
    case CallStatus::InvalidResponse:
      v.kind = Verdict::Fail;
      v.error_code = "InvalidResponse";
      v.description = outcome.description;
      redact_result_payload(action, outcome.payload);
      if (!outcome.payload.IsNull()) v.details_json = to_json(outcome.payload);
      break;
    case CallStatus::Rejected:
      v.kind = Verdict::Fail;
      v.error_code = "Rejected";
      v.description = outcome.description;
      break;
    case CallStatus::Timeout:
      v.kind = Verdict::TimeOut;
      v.description = outcome.description;
      break;
    case CallStatus::ConnectionClosed:
      // Written to the pile (it has a message id): the pile may have acted,
      // so it is never sent again. Otherwise it goes back to the queue.
      v.kind = outcome.message_id.empty() ? Verdict::Requeue : Verdict::TimeOut;
      v.description = "the connection closed before an answer";
      break;
  }
  return v;
}

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
  request_pump(charge_point_id);
}

void CommandDispatcher::on_session_closed(const std::string& charge_point_id) {
  auto it = piles_.find(charge_point_id);
  if (it != piles_.end() && !it->second.busy) piles_.erase(it);
}

void CommandDispatcher::stop_sending() { sending_ = false; }

std::size_t CommandDispatcher::commands_in_flight() const {
  std::size_t busy = 0;
  for (const auto& [id, state] : piles_)
    if (state.busy) ++busy;
  return busy;
}

void CommandDispatcher::request_pump(const std::string& charge_point_id) {
  if (!session_of_(charge_point_id)) {
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
  pump(charge_point_id);
}

void CommandDispatcher::pump(const std::string& charge_point_id) {
  PileState& state = piles_[charge_point_id];
  state.busy = true;
  state.again = false;
  const bool reset = state.reset_pending;
  state.reset_pending = false;
  // Shared: the claims of many piles (a lock's fan-out wakes thousands at
  // once) commit together; each CALL goes out once its claim is durable.
  work_.submit(
      charge_point_id,
      [this, charge_point_id, reset](core::WriteBatch& batch) {
        claim(charge_point_id, reset, batch);
      },
      core::WorkQueue::Commit::Shared);
}

void CommandDispatcher::on_claimed(const std::string& charge_point_id,
                                   std::optional<core::CommandRecord> command) {
  if (!command) {
    finished(charge_point_id);
    return;
  }
  auto session = sending_ ? session_of_(charge_point_id) : nullptr;
  if (!session) {
    // The pile left between claim and send, or this node is stopping:
    // nothing was written.
    work_.submit(charge_point_id, [this, claimed = *command, charge_point_id] {
      try {
        commands_.release(claimed);
      } catch (const std::exception& error) {
        log_failure("re-queueing command " + std::to_string(claimed.id), charge_point_id, error);
      }
    });
    piles_[charge_point_id].busy = false;
    request_pump(charge_point_id);  // forgets the pile
    return;
  }
  rapidjson::Document payload;
  payload.Parse(command->payload_json.c_str(), command->payload_json.size());
  if (payload.HasParseError()) payload.SetObject();  // the session's schema check rejects it
  auto record = std::make_shared<core::CommandRecord>(std::move(*command));
  const std::string action = record->action;
  session->send_call(action, std::move(payload),
                     [this, charge_point_id, record](CallOutcome outcome) {
                       on_outcome(charge_point_id, *record, std::move(outcome));
                     });
}

void CommandDispatcher::on_outcome(const std::string& charge_point_id,
                                   const core::CommandRecord& command, CallOutcome outcome) {
  // May run inside the session's destructor: touch no session here.
  auto verdict = std::make_shared<Verdict>(verdict_of(command.action, outcome));
  work_.submit(
      charge_point_id,
      [this, charge_point_id, command, verdict](core::WriteBatch& batch) {
        try {
          switch (verdict->kind) {
            case Verdict::Complete:
              commands_.complete(command, verdict->response_json);
              break;
            case Verdict::Fail:
              commands_.fail(command.id, verdict->error_code, verdict->description,
                             verdict->details_json);
              break;
            case Verdict::TimeOut:
              commands_.time_out(command.id, verdict->description);
              break;
            case Verdict::Requeue:
              commands_.release(command);
              break;
          }
        } catch (const std::exception& error) {
          log_failure("recording command " + std::to_string(command.id), charge_point_id, error);
        }
        batch.after_commit([this, charge_point_id] {
          post_([this, charge_point_id] {
            piles_[charge_point_id].again = true;  // the next one, if any
            finished(charge_point_id);
          });
        });
      },
      core::WorkQueue::Commit::Shared);  // answers of many piles: one commit
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

void CommandDispatcher::claim(const std::string& charge_point_id, bool reset,
                              core::WriteBatch& batch) {
  std::optional<core::CommandRecord> command;
  try {
    if (reset) commands_.time_out_unanswered(charge_point_id);
    command = commands_.claim_next(charge_point_id);
  } catch (const std::exception& error) {
    log_failure("claiming a command", charge_point_id, error);
  }
  batch.after_commit([this, charge_point_id, command = std::move(command)]() mutable {
    post_([this, charge_point_id, command = std::move(command)]() mutable {
      on_claimed(charge_point_id, std::move(command));
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
        if (options_.after_sweep) options_.after_sweep();
      }
      if (now >= next_scan) {
        next_scan = now + options_.scan_interval;
        post_pumps(commands_.charge_points_with_queued());
      }
      const auto until_scan =
          std::chrono::duration_cast<std::chrono::milliseconds>(next_scan - Clock::now());
      const auto wait = std::clamp(until_scan, std::chrono::milliseconds(1), kStopCheck);
      post_pumps(wakeups->wait(wait));
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
