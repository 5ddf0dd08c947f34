// The seam between the OCPP protocol layer and the domain: one ActionHandler
// per Charge-Point-initiated action (BootNotification, Heartbeat, ...).
#pragma once

#include <rapidjson/document.h>

#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include "core/write_batch.h"
#include "ocpp/rpc/frame.h"

namespace chargelock::ocpp {

struct CallContext {
  std::string charge_point_id;
  std::string message_id;
};

// Thrown by a handler to answer with a specific CALLERROR instead of a result.
class CallFailure : public std::runtime_error {
 public:
  CallFailure(ErrorCode code, const std::string& description)
      : std::runtime_error(description), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

class ActionHandler {
 public:
  virtual ~ActionHandler() = default;
  // Runs on a worker thread and may block on the database (on the OCPP
  // loop when answers_on_loop(), below). `request` has
  // already passed the action's request schema. Fills `response` (an empty
  // document on entry) with the response payload object; the caller checks
  // it against the response schema before sending. Any exception other than
  // CallFailure is answered as InternalError.
  virtual void handle(const CallContext& context, const rapidjson::Value& request,
                      rapidjson::Document& response) = 0;

  // handle() with the batch the call's worker runs it in. A handler that
  // shares_commit() writes through `batch` (SharedActionHandler below); the
  // others ignore it (their writes commit on their own).
  virtual void handle_in(core::WriteBatch& /*batch*/, const CallContext& context,
                         const rapidjson::Value& request, rapidjson::Document& response) {
    handle(context, request, response);
  }

  // True when handle_in() only writes the database, through its batch, and
  // has no other effect before its answer goes out, so it may share one
  // commit with other piles' calls (core::WorkQueue::Commit::Shared) and be
  // run again when that commit fails. Hot messages whose effects are all in
  // the database (BootNotification, Heartbeat, StatusNotification,
  // MeterValues) say yes.
  virtual bool shares_commit() const { return false; }

  // True when someone waits on this call's answer (a driver at the pile, an
  // owner whose stolen car was just held): it is handled in the work
  // queue's urgent lane, ahead of bulk telemetry queued by other piles
  // (core::WorkQueue::Lane). `request` has passed the request schema.
  virtual bool urgent(const rapidjson::Value& /*request*/) const { return false; }

  // True when handle() writes nothing (not even through its batch), waits
  // on nothing and takes microseconds (Heartbeat: the time of day). The
  // session then runs it on the OCPP loop and answers at once (with
  // WriteBatch::alone()) instead of handing it to a worker and the answer
  // back to the loop: two thread hand-offs and wake-ups for a message that
  // stores nothing were most of a Heartbeat's cost. When the pile has a CALL
  // of its own still in flight the call goes to the worker as any other,
  // behind it, so the pile's answers keep their order.
  virtual bool answers_on_loop() const { return false; }
};

// A handler whose writes share the commit of the batch it is handed.
class SharedActionHandler : public ActionHandler {
 public:
  void handle_in(core::WriteBatch& batch, const CallContext& context,
                 const rapidjson::Value& request, rapidjson::Document& response) override = 0;
  // Alone: the writes commit on their own.
  void handle(const CallContext& context, const rapidjson::Value& request,
              rapidjson::Document& response) final {
    core::WriteBatch alone = core::WriteBatch::alone();
    handle_in(alone, context, request, response);
  }
  bool shares_commit() const final { return true; }
};

// Action name -> handler. Filled once at start, then read-only.
class ActionRegistry {
 public:
  void add(const std::string& action, std::unique_ptr<ActionHandler> handler) {
    handlers_[action] = std::move(handler);
  }
  ActionHandler* find(const std::string& action) const {
    auto it = handlers_.find(action);
    return it == handlers_.end() ? nullptr : it->second.get();
  }

 private:
  std::map<std::string, std::unique_ptr<ActionHandler>> handlers_;
};

}  // namespace chargelock::ocpp
