// One OCPP-J conversation with one pile: the protocol state of a websocket
// connection, free of sockets and SQL.
//
// Threading contract: every public member function is called on the OCPP
// loop thread, and every callback the session makes (CallCallback) runs
// there too. Only ActionHandler::handle() runs elsewhere, on a WorkQueue
// worker sharded by charge point id, so one pile's CALLs are handled in
// arrival order; a handler that answers_on_loop() (Heartbeat) runs on the
// loop, unless a CALL of the same pile is still on a worker (then it
// follows that one there, and the answers keep their order).
//
// Lifetime contract: create() returns the only owning pointer the session
// needs; the websocket layer drops it when the connection closes. Work still
// running on a worker then finishes harmlessly: its reply is dropped, and the
// SessionOutput is no longer touched from the worker once the session's
// destructor has returned. ActionRegistry, SchemaRegistry, WorkQueue and
// MessageLog are server-wide and must outlive every session and the work it
// submitted (stop the WorkQueue before destroying the registries).
//
// Pile → central system (on_text with a CALL):
//   frame error                 → the CALLERROR parse_frame chose
//   message id answered lately  → the same reply again, not handled twice
//                                 (except an InternalError: it is never
//                                 cached, so a pile retrying with the same
//                                 id once the database is back is handled)
//   message id still in flight  → ignored (the answer is on its way)
//   unknown action              → NotImplemented
//   central-system-only action  → NotSupported
//   no handler registered       → NotSupported
//   request schema failure      → the mapped CALLERROR (SchemaRegistry)
//   handler throws CallFailure  → its code and description
//   handler throws otherwise    → InternalError, without the exception text
//   response fails its schema   → InternalError (and a line on stderr)
//   otherwise                   → CALLRESULT
// Every frame in and out is recorded in the MessageLog, in order, with
// secrets as "***" (ocpp/rpc/secret_redaction.h).
//
// Central system → pile (send_call): at most one CALL outstanding; others
// wait in FIFO order. See CallStatus for the possible outcomes.
#pragma once

#include <rapidjson/document.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/message_log.h"
#include "core/work_queue.h"
#include "ocpp/rpc/action_handler.h"
#include "ocpp/rpc/frame.h"
#include "ocpp/rpc/session_output.h"
#include "ocpp/schemas/schema_registry.h"

namespace chargelock::ocpp {

struct SessionOptions {
  // How long a CALL we sent may wait for its CALLRESULT/CALLERROR (SPEC §3).
  std::chrono::milliseconds call_timeout{std::chrono::seconds(30)};
  // How many recent replies are kept to answer a repeated message id (a
  // pile repeats its last call or few, after a reconnect or timeout; every
  // cached reply costs memory on each of thousands of idle connections).
  std::size_t reply_cache_size = 16;
  // Date-times without a UTC offset in the pile's frames: refused by the
  // schema check (OCPP 1.6), or read as UTC (--assume-utc-timestamps).
  base::MissingOffset missing_offset = base::MissingOffset::Refuse;
};

enum class CallStatus {
  Completed,         // CALLRESULT whose payload passed the response schema
  CallError,         // the pile answered with a CALLERROR
  Timeout,           // no answer within SessionOptions::call_timeout
  Rejected,          // never sent: unknown action, not one the central system
                     // may send, or the payload failed the request schema
  InvalidResponse,   // the answer failed the response schema or was malformed
  ConnectionClosed,  // the session ended before an answer came
};

std::string_view to_string(CallStatus status);

struct CallOutcome {
  CallStatus status = CallStatus::ConnectionClosed;
  std::string message_id;  // the CALL's id; empty when it was never sent
  // Completed: the result payload. InvalidResponse: the payload as received
  // (null if the frame was malformed). CallError: the error details object.
  rapidjson::Document payload;
  // CallError: the pile's code. Rejected / InvalidResponse: the validation's.
  std::optional<ErrorCode> error_code;
  std::string description;
};

// Runs on the loop thread. It may call send_call() on the same session,
// except for ConnectionClosed outcomes, which are delivered from the
// session's destructor: then it must not touch the session at all.
using CallCallback = std::function<void(CallOutcome)>;

class ChargePointSession : public std::enable_shared_from_this<ChargePointSession> {
  struct Token {};  // keeps the constructor private-in-effect: use create()

 public:
  static std::shared_ptr<ChargePointSession> create(std::string charge_point_id,
                                                    SessionOutput& output, core::WorkQueue& work,
                                                    const ActionRegistry& actions,
                                                    core::MessageLog& log,
                                                    const SchemaRegistry& schemas,
                                                    SessionOptions options = {});

  ChargePointSession(Token, std::string charge_point_id, SessionOutput& output,
                     core::WorkQueue& work, const ActionRegistry& actions, core::MessageLog& log,
                     const SchemaRegistry& schemas, SessionOptions options);
  // Fails the outstanding and queued outgoing CALLs with ConnectionClosed.
  ~ChargePointSession();
  ChargePointSession(const ChargePointSession&) = delete;
  ChargePointSession& operator=(const ChargePointSession&) = delete;

  // One complete text frame from the pile.
  void on_text(std::string text);

  // Sends a CALL of a central-system-initiated action. The callback runs
  // exactly once: at once (inside send_call) when the call is Rejected,
  // otherwise later from on_text, a timer, or the destructor.
  void send_call(std::string action, rapidjson::Document payload, CallCallback callback);

  // Whether central-system CALLs may go to the pile (OCPP 1.6 §4.2: not
  // before its boot is accepted): once a BootNotification was answered
  // Accepted on this connection, or accepted_before() was called. A
  // non-boot CALL does not register: a pile never accepted gets nothing
  // until its boot is. Loop thread.
  bool registered() const { return registered_; }
  // The pile booted before and its stored registration is Accepted (a
  // reconnect without a reboot, which may send nothing until its next
  // heartbeat): registered at once. Loop thread.
  void accepted_before() { mark_registered(); }
  // A callable for any thread that runs accepted_before() on the loop if
  // the session still exists then (nothing once it is gone). Loop thread.
  std::function<void()> accepted_before_from_any_thread();
  // Runs on the loop thread when registered() becomes true (once).
  void set_on_registered(std::function<void()> callback) { on_registered_ = std::move(callback); }

  const std::string& charge_point_id() const { return charge_point_id_; }
  std::size_t incoming_in_flight() const { return in_flight_.size(); }
  bool call_outstanding() const { return outstanding_.has_value(); }
  std::size_t calls_waiting() const { return waiting_.size(); }

 private:
  // The path from workers back to the loop. Shared with in-flight tasks;
  // cleared by the destructor so that late tasks never reach `output`.
  struct LoopLink;
  struct OutgoingCall {
    std::uint64_t sequence = 0;
    std::string action;
    rapidjson::Document payload;
    CallCallback callback;
    std::string message_id;
  };
  struct CachedReply {
    std::string message_id;
    std::string text;
  };

  void log_incoming(const Frame& frame, std::string text);
  // The action a frame from the pile belongs to: a CALL's own, or the action
  // of our CALL it answers; CounterSet::kOtherValue when neither.
  std::string_view answered_action(const Frame& frame) const;
  void on_frame_error(const FrameError& error);
  void on_call(Call& call);
  void on_call_result(CallResult& result);
  void on_call_error(CallError& error);
  // `urgent`: the call ran in the work queue's urgent lane (ActionHandler::
  // urgent()); its answer overtakes other piles' on the loop as well.
  void finish_call(std::string_view action, const std::string& message_id, std::string reply,
                   bool cacheable, bool urgent);
  void mark_registered();
  // `cacheable` false: the reply is sent but a repeat of the id is handled
  // again (a failure to process, e.g. the database away, is not final).
  // `action`: the CALL answered (for the frame counters; "" when unknown).
  void answer(std::string_view action, const std::string& message_id, std::string reply,
              bool cacheable = true, bool urgent = false);
  void send_text(std::string_view action, std::string text, bool urgent = false);
  void send_call_frame(const OutgoingCall& call);  // logged with secrets as "***"

  void pump();
  void on_call_timeout(std::uint64_t sequence);
  void complete_outstanding(CallOutcome outcome);
  static void deliver(CallCallback& callback, CallOutcome outcome);
  std::string new_message_id();

  const std::string charge_point_id_;
  SessionOutput& output_;
  core::WorkQueue& work_;
  const ActionRegistry& actions_;
  core::MessageLog& log_;
  const SchemaRegistry& schemas_;
  const SessionOptions options_;
  std::shared_ptr<LoopLink> link_;
  bool registered_ = false;
  std::function<void()> on_registered_;

  // Vectors, not std::deque (an empty deque already holds ~600 bytes) nor
  // node containers: these are per connection and searched on every CALL,
  // and a scan of one block beats following a node per entry (a list's 16
  // cached replies were 16 cache misses a CALL across thousands of piles).
  // A ring of at most reply_cache_size; `next_reply_` is the slot replaced
  // next once it is full (the oldest).
  std::vector<CachedReply> replies_;
  std::size_t next_reply_ = 0;
  std::vector<std::string> in_flight_;  // incoming CALL ids being handled (a few)

  std::optional<OutgoingCall> outstanding_;
  std::list<OutgoingCall> waiting_;
  std::uint64_t next_sequence_ = 1;
};

}  // namespace chargelock::ocpp
