// One LockVehicle or UnlockVehicle for many piles of a lock (its fan-out at
// the request and at the release), written set-based: the store queues the
// command for every pile and records it on the pile's row in one statement,
// so a lock costs a handful of statements however many piles it spans.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/timestamp.h"

namespace chargelock::core {

struct LockDelivery {
  std::string lock_id;
  std::vector<std::string> charge_point_ids;
  // The command every pile gets, as checked by CommandService (action,
  // payload, origin, expiry); no secret and no idempotency key.
  std::string action;
  std::string payload_json;
  // The payload for piles that declared hashed matching (LockVehicle);
  // none: every pile gets payload_json.
  std::optional<std::string> hashed_payload_json;
  std::string origin;
  Timestamp expires_at{};
  // When set: a pile connected to this node, registered (its boot
  // accepted) and with no command queued or sent gets the command marked
  // sent by this node at once (a claim in the same statement), for the
  // node's dispatcher to write after the commit (ClaimedCommandSink).
  std::optional<std::string> claiming_node;
};

// What a fan-out statement wrote.
struct LockDeliveryResult {
  struct Claimed {
    std::string charge_point_id;
    std::int64_t command_id = 0;
    bool hashed = false;  // got hashed_payload_json
  };
  std::vector<std::string> charge_point_ids;  // every pile that got the command
  std::vector<Claimed> claimed;               // of those, marked sent by claiming_node
};

}  // namespace chargelock::core
