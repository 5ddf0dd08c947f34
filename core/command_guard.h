// A veto on queued commands (SPEC §4): the vehicle lock refuses operator
// UnlockConnector / RemoteStopTransaction / Reset aimed at a pile or
// connector that holds a locked vehicle, until the owner released it.
//
// CommandService::enqueue() consults the installed guard after validating
// the command and throws CommandRefused with the guard's reason.
#pragma once

#include <optional>
#include <string>

#include "core/domain_errors.h"

namespace chargelock::core {

struct CommandRequest;

// An enqueue the guard refused (HTTP 409).
class CommandRefused : public ConflictError {
 public:
  using ConflictError::ConflictError;
};

// Must be thread-safe; may block on the database.
class CommandGuard {
 public:
  virtual ~CommandGuard() = default;
  // The reason to refuse the command, or nothing to let it through.
  virtual std::optional<std::string> refuse(const CommandRequest& request) = 0;
};

}  // namespace chargelock::core
