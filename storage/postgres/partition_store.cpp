// PostgreSQL core::PartitionStore.
#include "core/stores/partition_store.h"

#include <string>

#include "storage/postgres/database_impl.h"

namespace chargelock::storage::postgres {

namespace {

class PgPartitionStore final : public core::PartitionStore {
 public:
  explicit PgPartitionStore(Scope db) : db_(db) {}

  // The rule lives in SQL (migration 0013, day_partitions_maintain, one
  // routine for every day-partitioned table), where the partitions are.
  int maintain(core::PartitionedTable table, core::Timestamp now, int days_ahead,
               int retention_days) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      return txn
          .exec_params1("SELECT day_partitions_maintain($1::regclass, micros_to_ts($2), $3, $4)",
                        std::string(core::to_string(table)), to_micros(now), days_ahead,
                        retention_days)[0]
          .as<int>();
    });
  }

 private:
  Scope db_;
};

}  // namespace

std::unique_ptr<core::PartitionStore> make_partition_store(Scope db) {
  return std::make_unique<PgPartitionStore>(db);
}

}  // namespace chargelock::storage::postgres
