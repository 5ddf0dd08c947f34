// PostgreSQL ConnectorStore.
#include "storage/connector_store.h"

#include "storage/postgres/database_impl.h"
#include "storage/postgres/record_rows.h"

namespace chargelock::storage::postgres {

namespace {

class PgConnectorStore final : public ConnectorStore {
 public:
  explicit PgConnectorStore(Database::Impl& db) : db_(db) {}

  void record_status(const ConnectorStatusRecord& s, Timestamp seen_at) override {
    db_.transact([&](pqxx::work& txn) {
      const auto ts = to_micros(s.timestamp);
      txn.exec_params(
          "INSERT INTO connectors (charge_point_id, connector_id, status, error_code, info,"
          " vendor_id, vendor_error_code, status_timestamp, updated_at)"
          " VALUES ($1, $2, $3, $4, $5, $6, $7, micros_to_ts($8), now())"
          " ON CONFLICT (charge_point_id, connector_id) DO UPDATE SET"
          " status = excluded.status, error_code = excluded.error_code, info = excluded.info,"
          " vendor_id = excluded.vendor_id, vendor_error_code = excluded.vendor_error_code,"
          " status_timestamp = excluded.status_timestamp, updated_at = now()",
          s.charge_point_id, s.connector_id, s.status, s.error_code, s.info, s.vendor_id,
          s.vendor_error_code, ts);
      txn.exec_params(
          "INSERT INTO connector_status_history (charge_point_id, connector_id, status,"
          " error_code, info, vendor_id, vendor_error_code, status_timestamp)"
          " VALUES ($1, $2, $3, $4, $5, $6, $7, micros_to_ts($8))",
          s.charge_point_id, s.connector_id, s.status, s.error_code, s.info, s.vendor_id,
          s.vendor_error_code, ts);
      txn.exec_params("UPDATE charge_points SET last_seen = micros_to_ts($2) WHERE id = $1",
                      s.charge_point_id, to_micros(seen_at));
    });
  }

  std::vector<ConnectorStatusRecord> list(const std::string& charge_point_id) override {
    return db_.transact([&](pqxx::work& txn) {
      std::vector<ConnectorStatusRecord> out;
      for (const auto& row : txn.exec_params(
               "SELECT charge_point_id, connector_id, status, error_code, info, vendor_id,"
               " vendor_error_code, ts_to_micros(status_timestamp), ts_to_micros(updated_at)"
               " FROM connectors WHERE charge_point_id = $1 ORDER BY connector_id",
               charge_point_id))
        out.push_back(read_connector_status(row));
      return out;
    });
  }

  std::vector<ConnectorStatusRecord> history(const std::string& charge_point_id, int connector_id,
                                             std::size_t limit) override {
    return db_.transact([&](pqxx::work& txn) {
      std::vector<ConnectorStatusRecord> out;
      for (const auto& row : txn.exec_params(
               "SELECT charge_point_id, connector_id, status, error_code, info, vendor_id,"
               " vendor_error_code, ts_to_micros(status_timestamp), ts_to_micros(received_at)"
               " FROM connector_status_history WHERE charge_point_id = $1 AND connector_id = $2"
               " ORDER BY id DESC LIMIT $3",
               charge_point_id, connector_id, static_cast<long long>(limit)))
        out.push_back(read_connector_status(row));
      return out;
    });
  }

 private:
  Database::Impl& db_;
};

}  // namespace

std::unique_ptr<ConnectorStore> make_connector_store(Database::Impl& db) {
  return std::make_unique<PgConnectorStore>(db);
}

}  // namespace chargelock::storage::postgres
