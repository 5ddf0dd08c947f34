#include "storage/postgres/command_channel.h"

#include <string>

namespace chargelock::storage::postgres {

void notify_batch(pqxx::dbtransaction& txn, const std::optional<core::CommandIdRange>& ids) {
  if (!ids) return;
  txn.exec_params("SELECT pg_notify($1, $2)", std::string(kCommandChannel),
                  core::batch_wakeup(*ids));
}

}  // namespace chargelock::storage::postgres
