// The NOTIFY channel that wakes the OCPP nodes' command dispatchers, shared
// by the stores that queue commands (commands, and a lock's fan-out).
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <pqxx/pqxx>

#include "core/stores/command_store.h"

namespace chargelock::storage::postgres {

inline constexpr const char* kCommandChannel = "chargelock_commands";

// The ids of the commands one statement queued, gathered for their batch's
// wake-up.
class QueuedCommandIds {
 public:
  void add(std::int64_t id) {
    range_ = range_ ? core::CommandIdRange{std::min(range_->first, id), std::max(range_->last, id)}
                    : core::CommandIdRange{id, id};
  }
  const std::optional<core::CommandIdRange>& range() const { return range_; }

 private:
  std::optional<core::CommandIdRange> range_;
};

// Wakes the dispatchers, at `txn`'s commit, for the batch of commands in
// `ids` (core::batch_wakeup(): each node looks among those ids for its
// piles' queued commands); nothing when none was queued.
void notify_batch(pqxx::dbtransaction& txn, const QueuedCommandIds& ids);

}  // namespace chargelock::storage::postgres
