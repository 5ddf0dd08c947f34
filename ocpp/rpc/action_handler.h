// The seam between the OCPP protocol layer and the domain: one ActionHandler
// per Charge-Point-initiated action (BootNotification, Heartbeat, ...).
#pragma once

#include <rapidjson/document.h>

#include <map>
#include <memory>
#include <stdexcept>
#include <string>

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
  // Runs on a worker thread and may block on the database. `request` has
  // already passed the action's request schema. Fills `response` (an empty
  // document on entry) with the response payload object; the caller checks
  // it against the response schema before sending. Any exception other than
  // CallFailure is answered as InternalError.
  virtual void handle(const CallContext& context, const rapidjson::Value& request,
                      rapidjson::Document& response) = 0;

  // True when handle() only writes the database and has no other effect
  // before its answer goes out, so it may share one commit with other
  // piles' calls (core::WorkQueue::Commit::Shared) and be run again when
  // that commit fails. Hot messages whose effects are all in the database
  // (BootNotification, Heartbeat, StatusNotification, MeterValues) say yes.
  virtual bool shares_commit() const { return false; }
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
