// The OCPP node in this process, as a lock's fan-out sees it: the fan-out
// marks the commands of this node's idle, registered piles sent by it in
// its own transaction (no NOTIFY, no claim statement a pile) and hands
// them over here after the commit. Implemented by ocpp::CommandDispatcher;
// an API-only process has none and every command goes through the queue.
#pragma once

#include <string>
#include <vector>

#include "core/command_service.h"

namespace chargelock::core {

class ClaimedCommandSink {
 public:
  virtual ~ClaimedCommandSink() = default;
  // The node the commands are claimed for (their claimed_by).
  virtual const std::string& node_id() const = 0;
  // Any thread, after the commit that marked `claimed` sent by node_id():
  // writes each to its pile, or (the pile left, has a CALL of ours in
  // flight, is not registered on this connection) puts it back in the
  // queue. Never blocks on the database.
  virtual void deliver(std::vector<CommandRecord> claimed) = 0;
};

}  // namespace chargelock::core
