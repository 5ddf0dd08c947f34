#include "ocpp/rpc/charge_point_session.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <random>
#include <utility>
#include <variant>

#include "base/ids.h"
#include "base/mutex.h"
#include "core/log.h"
#include "ocpp/ocpp_metrics.h"
#include "ocpp/rpc/secret_redaction.h"

namespace chargelock::ocpp {

struct ChargePointSession::LoopLink {
  explicit LoopLink(SessionOutput* session_output) : output(session_output) {}

  base::Mutex mutex;
  SessionOutput* output GUARDED_BY(mutex);  // null once the session is gone

  void post(std::function<void()> task, bool urgent) {
    base::MutexLock lock(mutex);
    if (output == nullptr) return;
    if (urgent)
      output->post_urgent(std::move(task));
    else
      output->post(std::move(task));
  }
};

namespace {

// A handler's answer, and whether it is final. A failure to process (the
// database away, a bug) is not: OCPP 1.6 has the pile retry a
// transaction-related message answered with a CALLERROR, often with the same
// message id, and that retry must be handled, not answered from the cache.
struct HandlerReply {
  std::string text;
  bool cacheable = true;
};

// Every CALLERROR we send is made here, so that each is counted by code.
std::string call_error_text(const std::string& message_id, ErrorCode code,
                            const std::string& description,
                            const rapidjson::Value* details = nullptr) {
  ocpp_metrics().callerrors_sent[to_string(code)].add();
  return serialize_call_error(message_id, code, description, details);
}

// Runs on a worker. Touches nothing of the session: only the handler and the
// schema registry, which outlive it, and its own copies of the call's data.
HandlerReply run_handler(ActionHandler& handler, core::WriteBatch& batch,
                         const SchemaRegistry& schemas, const CallContext& context,
                         const std::string& action, const rapidjson::Value& request) {
  const std::string& id = context.message_id;
  // Answered on every path below, each counted once when `timer` goes.
  struct Timer {
    const std::string& action;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    ~Timer() {
      ocpp_metrics().handler_seconds[action].observe(std::chrono::steady_clock::now() - started);
    }
  } timer{action};
  rapidjson::Document response;
  try {
    handler.handle_in(batch, context, request, response);
  } catch (const CallFailure& failure) {
    return {call_error_text(id, failure.code(), failure.what()),
            failure.code() != ErrorCode::InternalError};
  } catch (const std::exception& e) {
    // The pile gets no internals (they may name tables, hosts, ...); the log does.
    core::log(core::LogLevel::Error, "handler_failed",
              fmt::format("[ocpp] {} {} {}: handler failed: {}", context.charge_point_id, action,
                          id, e.what()),
              {context.charge_point_id, id});
    return {call_error_text(id, ErrorCode::InternalError,
                            "The central system could not process " + action),
            false};
  } catch (...) {
    core::log(core::LogLevel::Error, "handler_failed",
              fmt::format("[ocpp] {} {} {}: handler failed with a non-standard exception",
                          context.charge_point_id, action, id),
              {context.charge_point_id, id});
    return {call_error_text(id, ErrorCode::InternalError,
                            "The central system could not process " + action),
            false};
  }
  if (auto failure = schemas.validate_response(action, response)) {
    // A schema-invalid response is our bug; never put it on the wire.
    core::log(
        core::LogLevel::Error, "response_schema_failed",
        fmt::format("[ocpp] {} {} {}: response failed its schema: {}: {}", context.charge_point_id,
                    action, id, to_string(failure->code), failure->description),
        {context.charge_point_id, id});
    return {call_error_text(id, ErrorCode::InternalError,
                            "The central system could not produce a valid response"),
            false};
  }
  return {serialize_call_result(id, response), true};
}

CallOutcome outcome_of(CallStatus status, std::optional<ErrorCode> code = std::nullopt,
                       std::string description = {}) {
  CallOutcome outcome;
  outcome.status = status;
  outcome.error_code = code;
  outcome.description = std::move(description);
  return outcome;
}

}  // namespace

std::string_view to_string(CallStatus status) {
  switch (status) {
    case CallStatus::Completed:
      return "Completed";
    case CallStatus::CallError:
      return "CallError";
    case CallStatus::Timeout:
      return "Timeout";
    case CallStatus::Rejected:
      return "Rejected";
    case CallStatus::InvalidResponse:
      return "InvalidResponse";
    case CallStatus::ConnectionClosed:
      return "ConnectionClosed";
  }
  return "?";
}

std::shared_ptr<ChargePointSession> ChargePointSession::create(
    std::string charge_point_id, SessionOutput& output, core::WorkQueue& work,
    const ActionRegistry& actions, core::MessageLog& log, const SchemaRegistry& schemas,
    SessionOptions options) {
  return std::make_shared<ChargePointSession>(Token{}, std::move(charge_point_id), output, work,
                                              actions, log, schemas, options);
}

ChargePointSession::ChargePointSession(Token, std::string charge_point_id, SessionOutput& output,
                                       core::WorkQueue& work, const ActionRegistry& actions,
                                       core::MessageLog& log, const SchemaRegistry& schemas,
                                       SessionOptions options)
    : charge_point_id_(std::move(charge_point_id)),
      output_(output),
      work_(work),
      actions_(actions),
      log_(log),
      schemas_(schemas),
      options_(options),
      link_(std::make_shared<LoopLink>(&output_)) {}

ChargePointSession::~ChargePointSession() {
  {
    base::MutexLock lock(link_->mutex);
    link_->output = nullptr;
  }
  // Whoever waits for these answers (e.g. the command queue) must learn that
  // none will come on this connection.
  if (outstanding_) {
    CallOutcome outcome = outcome_of(CallStatus::ConnectionClosed, std::nullopt,
                                     "connection closed before an answer");
    outcome.message_id = outstanding_->message_id;  // it was sent: the pile may have acted
    deliver(outstanding_->callback, std::move(outcome));
    outstanding_.reset();
  }
  for (auto& call : waiting_)
    deliver(call.callback,
            outcome_of(CallStatus::ConnectionClosed, std::nullopt, "connection closed, not sent"));
  waiting_.clear();
}

// ---------------------------------------------------------------- incoming

void ChargePointSession::on_text(std::string text) {
  auto parsed = parse_frame(text);
  OcppMetrics& metrics = ocpp_metrics();
  if (auto* error = std::get_if<FrameError>(&parsed)) {
    metrics.frames_in[core::CounterSet::kOtherValue].add();
    log_.record(charge_point_id_, core::FrameDirection::Incoming, std::move(text));
    on_frame_error(*error);
    return;
  }
  auto& frame = std::get<Frame>(parsed);
  metrics.frames_in[answered_action(frame)].add();
  if (const auto* error = std::get_if<CallError>(&frame))
    metrics.callerrors_received[to_string(error->code)].add();
  log_incoming(frame, std::move(text));
  if (auto* call = std::get_if<Call>(&frame))
    on_call(*call);
  else if (auto* result = std::get_if<CallResult>(&frame))
    on_call_result(*result);
  else
    on_call_error(std::get<CallError>(frame));
}

std::string_view ChargePointSession::answered_action(const Frame& frame) const {
  if (const auto* call = std::get_if<Call>(&frame)) return call->action;
  const std::string& id =
      std::visit([](const auto& f) -> const std::string& { return f.message_id; }, frame);
  if (outstanding_ && outstanding_->message_id == id) return outstanding_->action;
  return core::CounterSet::kOtherValue;
}

void ChargePointSession::log_incoming(const Frame& frame, std::string text) {
  // A pile answering GetConfiguration with its AuthorizationKey: the log
  // keeps "***" (only the answer to our own CALL names its action).
  const auto* result = std::get_if<CallResult>(&frame);
  if (result != nullptr && outstanding_ && outstanding_->message_id == result->message_id &&
      result_has_secret(outstanding_->action, result->payload)) {
    rapidjson::Document shown;
    shown.CopyFrom(result->payload, shown.GetAllocator());
    if (redact_result_payload(outstanding_->action, shown))
      text = serialize_call_result(result->message_id, shown);
  }
  log_.record(charge_point_id_, core::FrameDirection::Incoming, std::move(text));
}

void ChargePointSession::on_frame_error(const FrameError& error) {
  const bool is_answer =
      error.message_type == MessageType::CallResult || error.message_type == MessageType::CallError;
  if (!is_answer) {
    send_text({}, call_error_text(error.reply.message_id, error.reply.code, error.reply.description,
                                  &error.reply.details));
    return;
  }
  // Never answer an answer; but a malformed answer to our CALL still ends it.
  if (outstanding_ && outstanding_->message_id == error.reply.message_id) {
    complete_outstanding(outcome_of(CallStatus::InvalidResponse, error.reply.code,
                                    "malformed answer: " + error.reply.description));
    return;
  }
  core::log(core::LogLevel::Warn, "malformed_answer_dropped",
            fmt::format("[ocpp] {}: dropping malformed answer (id {}): {}", charge_point_id_,
                        error.reply.message_id, error.reply.description),
            {charge_point_id_, error.reply.message_id});
}

void ChargePointSession::on_call(Call& call) {
  const std::string& id = call.message_id;
  for (const auto& cached : replies_) {
    if (cached.message_id == id) {
      send_text(call.action, cached.text);  // idempotent: same answer, no second handling
      return;
    }
  }
  if (std::find(in_flight_.begin(), in_flight_.end(), id) != in_flight_.end())
    return;  // its answer is on the way

  if (!schemas_.knows(call.action)) {
    answer(call.action, id,
           call_error_text(id, ErrorCode::NotImplemented, "Unknown action " + call.action));
    return;
  }
  if (!schemas_.charge_point_may_initiate(call.action)) {
    answer(call.action, id,
           call_error_text(id, ErrorCode::NotSupported,
                           call.action + " is sent by a central system, not a charge point"));
    return;
  }
  ActionHandler* handler = actions_.find(call.action);
  if (handler == nullptr) {
    answer(call.action, id,
           call_error_text(id, ErrorCode::NotSupported,
                           call.action + " is not supported by this central system"));
    return;
  }
  if (auto failure =
          schemas_.validate_request(call.action, call.payload, options_.missing_offset)) {
    answer(call.action, id, call_error_text(id, failure->code, failure->description));
    return;
  }

  if (handler->answers_on_loop() && in_flight_.empty()) {
    // Nothing to store and nothing of this pile's answered before it: no
    // worker, no hand-off back (see ActionHandler::answers_on_loop()).
    core::WriteBatch alone = core::WriteBatch::alone();
    HandlerReply reply = run_handler(*handler, alone, schemas_, CallContext{charge_point_id_, id},
                                     call.action, call.payload);
    answer(call.action, id, std::move(reply.text), reply.cacheable);
    return;
  }

  in_flight_.push_back(id);
  const bool urgent = handler->urgent(call.payload);
  // A pile's urgent CALL (a person waits at the pile) cuts a bulk group at
  // once; see WorkQueue::Lane::Immediate.
  const auto lane = urgent ? core::WorkQueue::Lane::Immediate : core::WorkQueue::Lane::Bulk;
  // std::function needs a copyable task; the payload travels in a shared_ptr.
  auto request = std::make_shared<rapidjson::Document>(std::move(call.payload));
  work_.submit(
      charge_point_id_,
      [link = link_, weak = weak_from_this(), handler, schemas = &schemas_,
       context = CallContext{charge_point_id_, id}, action = call.action, request,
       urgent](core::WriteBatch& batch) {
        HandlerReply reply = run_handler(*handler, batch, *schemas, context, action, *request);
        // The answer leaves only once what the handler wrote is durable.
        batch.after_commit([link, weak, action, id = context.message_id, reply = std::move(reply),
                            urgent]() mutable {
          link->post(
              [weak, action = std::move(action), id = std::move(id), reply = std::move(reply),
               urgent]() mutable {
                if (auto self = weak.lock())
                  self->finish_call(action, id, std::move(reply.text), reply.cacheable, urgent);
              },
              urgent);
        });
      },
      handler->shares_commit() ? core::WorkQueue::Commit::Shared : core::WorkQueue::Commit::Own,
      lane);
}

void ChargePointSession::finish_call(std::string_view action, const std::string& message_id,
                                     std::string reply, bool cacheable, bool urgent) {
  if (auto it = std::find(in_flight_.begin(), in_flight_.end(), message_id); it != in_flight_.end())
    in_flight_.erase(it);
  // The answer is a CALLRESULT written by our own serializer: the accepted
  // boot's status shows as this member.
  const bool accepted_boot = action == "BootNotification" && reply.rfind("[3,", 0) == 0 &&
                             reply.find(R"("status":"Accepted")") != std::string::npos;
  answer(action, message_id, std::move(reply), cacheable, urgent);
  if (accepted_boot) mark_registered();  // after the answer: calls follow it on the wire
}

std::function<void()> ChargePointSession::accepted_before_from_any_thread() {
  return [link = link_, weak = weak_from_this()] {
    link->post(
        [weak] {
          if (auto self = weak.lock()) self->accepted_before();
        },
        false);
  };
}

void ChargePointSession::mark_registered() {
  if (registered_) return;
  registered_ = true;
  if (on_registered_) on_registered_();
}

void ChargePointSession::answer(std::string_view action, const std::string& message_id,
                                std::string reply, bool cacheable, bool urgent) {
  if (cacheable) {
    if (replies_.size() < options_.reply_cache_size) {
      replies_.push_back({message_id, reply});
    } else if (!replies_.empty()) {
      replies_[next_reply_] = {message_id, reply};
      next_reply_ = (next_reply_ + 1) % replies_.size();
    }
  }
  send_text(action, std::move(reply), urgent);
}

void ChargePointSession::send_text(std::string_view action, std::string text, bool urgent) {
  ocpp_metrics().frames_out[action.empty() ? core::CounterSet::kOtherValue : action].add();
  log_.record(charge_point_id_, core::FrameDirection::Outgoing, text);
  if (urgent)
    output_.send_urgent(std::move(text));
  else
    output_.send(std::move(text));
}

void ChargePointSession::send_call_frame(const OutgoingCall& call) {
  // A CALL is someone's request (a lock's LockVehicle to every pile, an
  // operator's reset), sent on the loop: the urgent way writes it at once
  // when the socket takes it, instead of asking for a writable callback
  // (two epoll_ctl and one more pass of the loop per CALL: 10,000 in a
  // fan-out). Order per pile is kept (see OcppServer::send_urgent).
  std::string text = serialize_call(call.message_id, call.action, call.payload);
  if (!call_has_secret(call.action, call.payload)) {
    send_text(call.action, std::move(text), /*urgent=*/true);
    return;
  }
  // The pile needs the secret (e.g. its new AuthorizationKey); the message
  // log keeps "***" in its place.
  rapidjson::Document shown;
  shown.CopyFrom(call.payload, shown.GetAllocator());
  redact_call_payload(call.action, shown);
  ocpp_metrics().frames_out[call.action].add();
  log_.record(charge_point_id_, core::FrameDirection::Outgoing,
              serialize_call(call.message_id, call.action, shown));
  output_.send_urgent(std::move(text));
}

// ---------------------------------------------------------------- outgoing

void ChargePointSession::send_call(std::string action, rapidjson::Document payload,
                                   CallCallback callback) {
  if (!schemas_.knows(action)) {
    deliver(callback, outcome_of(CallStatus::Rejected, ErrorCode::NotImplemented,
                                 "Unknown action " + action));
    return;
  }
  if (!schemas_.central_system_may_initiate(action)) {
    deliver(callback, outcome_of(CallStatus::Rejected, ErrorCode::NotSupported,
                                 action + " is sent by a charge point, not a central system"));
    return;
  }
  if (auto failure = schemas_.validate_request(action, payload)) {
    deliver(callback, outcome_of(CallStatus::Rejected, failure->code, failure->description));
    return;
  }
  OutgoingCall call;
  call.sequence = next_sequence_++;
  call.action = std::move(action);
  call.payload = std::move(payload);
  call.callback = std::move(callback);
  waiting_.push_back(std::move(call));
  pump();
}

void ChargePointSession::pump() {
  if (outstanding_ || waiting_.empty()) return;
  outstanding_ = std::move(waiting_.front());
  waiting_.pop_front();
  outstanding_->message_id = new_message_id();
  send_call_frame(*outstanding_);
  output_.schedule(options_.call_timeout,
                   [weak = weak_from_this(), sequence = outstanding_->sequence] {
                     if (auto self = weak.lock()) self->on_call_timeout(sequence);
                   });
}

void ChargePointSession::on_call_timeout(std::uint64_t sequence) {
  // A timer of a call that was answered meanwhile is stale: ignore it.
  if (!outstanding_ || outstanding_->sequence != sequence) return;
  complete_outstanding(
      outcome_of(CallStatus::Timeout, std::nullopt,
                 fmt::format("no answer within {} ms", options_.call_timeout.count())));
}

void ChargePointSession::on_call_result(CallResult& result) {
  if (!outstanding_ || outstanding_->message_id != result.message_id) {
    // Late (after a timeout) or never ours: nothing waits for it.
    core::log(core::LogLevel::Warn, "unknown_answer_dropped",
              fmt::format("[ocpp] {}: dropping CALLRESULT with unknown id {}", charge_point_id_,
                          result.message_id),
              {charge_point_id_, result.message_id});
    return;
  }
  CallOutcome outcome;
  if (auto failure = schemas_.validate_response(outstanding_->action, result.payload,
                                                options_.missing_offset)) {
    outcome = outcome_of(CallStatus::InvalidResponse, failure->code, failure->description);
  } else {
    outcome = outcome_of(CallStatus::Completed);
  }
  outcome.payload = std::move(result.payload);
  complete_outstanding(std::move(outcome));
}

void ChargePointSession::on_call_error(CallError& error) {
  if (!outstanding_ || outstanding_->message_id != error.message_id) {
    core::log(core::LogLevel::Warn, "unknown_answer_dropped",
              fmt::format("[ocpp] {}: dropping CALLERROR with unknown id {}", charge_point_id_,
                          error.message_id),
              {charge_point_id_, error.message_id});
    return;
  }
  CallOutcome outcome = outcome_of(CallStatus::CallError, error.code, std::move(error.description));
  outcome.payload = std::move(error.details);
  complete_outstanding(std::move(outcome));
}

void ChargePointSession::complete_outstanding(CallOutcome outcome) {
  OutgoingCall call = std::move(*outstanding_);
  outstanding_.reset();
  outcome.message_id = call.message_id;
  // The callback may queue another call; the FIFO keeps earlier ones first.
  deliver(call.callback, std::move(outcome));
  pump();
}

void ChargePointSession::deliver(CallCallback& callback, CallOutcome outcome) {
  if (!callback) return;
  try {
    callback(std::move(outcome));
  } catch (const std::exception& e) {
    // A failing consumer must not take the loop (and every pile) down.
    core::log(core::LogLevel::Error, "callback_failed",
              fmt::format("[ocpp] call callback threw: {}", e.what()));
  } catch (...) {
    core::log(core::LogLevel::Error, "callback_failed",
              "[ocpp] call callback threw a non-standard exception");
  }
}

std::string ChargePointSession::new_message_id() {
  // A random (version 4) UUID: 36 characters, the most OCPP-J allows, and
  // unique across reconnects without any shared counter.
  // One generator for the loop thread, not one per session (its state is
  // 2.5 KB; sessions only ever call this on the loop thread).
  // Not OpenSSL's generator: a message id needs uniqueness, not secrecy,
  // and this runs on the loop thread for every CALL we send.
  thread_local std::mt19937_64 random{std::random_device{}()};
  const std::uint64_t words[2] = {random(), random()};
  unsigned char bytes[16];
  std::memcpy(bytes, words, sizeof bytes);
  return base::uuid_v4(bytes);
}

}  // namespace chargelock::ocpp
