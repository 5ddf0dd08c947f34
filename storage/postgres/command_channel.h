// The NOTIFY channel that wakes the OCPP nodes' command dispatchers, shared
// by the stores that queue commands (commands, and a lock's fan-out).
#pragma once

#include <optional>
#include <pqxx/pqxx>

#include "core/stores/command_store.h"

namespace chargelock::storage::postgres {

inline constexpr const char* kCommandChannel = "chargelock_commands";

// Wakes the dispatchers, at `txn`'s commit, for the batch of commands whose
// ids lie in `ids` (core::batch_wakeup(): each node looks among those ids
// for its piles' queued commands); nothing when none was queued.
void notify_batch(pqxx::dbtransaction& txn, const std::optional<core::CommandIdRange>& ids);

}  // namespace chargelock::storage::postgres
