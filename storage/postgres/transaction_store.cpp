// PostgreSQL core::TransactionStore.
#include "core/stores/transaction_store.h"

#include "storage/postgres/database_impl.h"

namespace chargelock::storage::postgres {

namespace {

const char* const kSelect =
    "SELECT id, charge_point_id, connector_id, id_tag, meter_start,"
    " ts_to_micros(start_timestamp), reservation_id, meter_stop, ts_to_micros(stop_timestamp),"
    " stop_reason, stop_id_tag FROM transactions";

core::TransactionRecord read_transaction(const pqxx::row& row) {
  core::TransactionRecord r;
  r.id = row[0].as<int>();
  r.charge_point_id = row[1].as<std::string>();
  r.connector_id = row[2].as<int>();
  r.id_tag = row[3].as<std::string>();
  r.meter_start = row[4].as<int>();
  r.start_timestamp = from_micros(row[5].as<std::int64_t>());
  r.reservation_id = optional_int(row[6]);
  r.meter_stop = optional_int(row[7]);
  r.stop_timestamp = optional_time(row[8]);
  r.stop_reason = optional_text(row[9]);
  r.stop_id_tag = optional_text(row[10]);
  return r;
}

class PgTransactionStore final : public core::TransactionStore {
 public:
  explicit PgTransactionStore(Scope db) : db_(db) {}

  core::StartOutcome start(const core::TransactionStart& s) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      // The no-op DO UPDATE makes RETURNING yield the existing row's id;
      // xmax = 0 only for a freshly inserted row.
      const auto row = txn.exec_params1(
          "INSERT INTO transactions (charge_point_id, connector_id, id_tag, meter_start,"
          " start_timestamp, reservation_id) VALUES ($1, $2, $3, $4, micros_to_ts($5), $6)"
          " ON CONFLICT ON CONSTRAINT transactions_start_unique"
          " DO UPDATE SET reservation_id = transactions.reservation_id"
          " RETURNING id, (xmax = 0)",
          s.charge_point_id, s.connector_id, s.id_tag, s.meter_start, to_micros(s.timestamp),
          s.reservation_id);
      return core::StartOutcome{row[0].as<int>(), row[1].as<bool>()};
    });
  }

  bool stop(const core::TransactionStop& s) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      return txn.exec_params(
                    "UPDATE transactions SET meter_stop = $2, stop_timestamp = micros_to_ts($3),"
                    " stop_reason = $4, stop_id_tag = $5 WHERE id = $1",
                    s.transaction_id, s.meter_stop, to_micros(s.timestamp), s.reason, s.id_tag)
                 .affected_rows() == 1;
    });
  }

  std::optional<core::TransactionRecord> find(int transaction_id) override {
    return db_.transact([&](pqxx::dbtransaction& txn) -> std::optional<core::TransactionRecord> {
      const auto result = exec_hot(txn, std::string(kSelect) + " WHERE id = $1", transaction_id);
      if (result.empty()) return std::nullopt;
      return read_transaction(result[0]);
    });
  }

  std::vector<core::TransactionRecord> open_for_id_tag(const std::string& id_tag) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      std::vector<core::TransactionRecord> out;
      for (const auto& row : txn.exec_params(
               std::string(kSelect) + " WHERE id_tag = $1 AND stop_timestamp IS NULL ORDER BY id",
               id_tag))
        out.push_back(read_transaction(row));
      return out;
    });
  }

  std::vector<core::TransactionRecord> list(const std::optional<std::string>& charge_point_id,
                                            std::optional<int> before_id,
                                            std::size_t limit) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      std::vector<core::TransactionRecord> out;
      for (const auto& row :
           txn.exec_params(std::string(kSelect) +
                               " WHERE ($1::text IS NULL OR charge_point_id = $1)"
                               " AND ($2::integer IS NULL OR id < $2) ORDER BY id DESC LIMIT $3",
                           charge_point_id, before_id, static_cast<long long>(limit)))
        out.push_back(read_transaction(row));
      return out;
    });
  }

 private:
  Scope db_;
};

}  // namespace

std::unique_ptr<core::TransactionStore> make_transaction_store(Scope db) {
  return std::make_unique<PgTransactionStore>(db);
}

}  // namespace chargelock::storage::postgres
