// PostgreSQL core::ConnectorStore.
#include "core/stores/connector_store.h"

#include <set>
#include <utility>

#include "storage/postgres/database_impl.h"
#include "storage/postgres/record_rows.h"

namespace chargelock::storage::postgres {

namespace {

// Current state (one row per connector, the last report wins) and history
// (every report, in order) of `reports`.
void write_statuses(pqxx::dbtransaction& txn, const std::vector<core::ConnectorStatus>& reports) {
  static const std::vector<std::string> columns{
      "{}", "{}::integer", "{}", "{}", "{}", "{}", "{}", "micros_to_ts({}::bigint)"};
  const auto params_of = [](const core::ConnectorStatus& s, TextParams& params) {
    params.push_back(s.charge_point_id);
    params.push_back(std::to_string(s.connector_id));
    params.push_back(s.status);
    params.push_back(s.error_code);
    params.push_back(s.info);
    params.push_back(s.vendor_id);
    params.push_back(s.vendor_error_code);
    params.push_back(s.timestamp
                         ? std::optional<std::string>(std::to_string(to_micros(*s.timestamp)))
                         : std::nullopt);
  };
  // One upsert may not touch a row twice: keep each connector's last report.
  std::vector<const core::ConnectorStatus*> latest;
  std::set<std::pair<std::string, int>> taken;
  for (auto it = reports.rbegin(); it != reports.rend(); ++it)
    if (taken.insert({it->charge_point_id, it->connector_id}).second) latest.push_back(&*it);
  exec_rows(txn,
            "INSERT INTO connectors (charge_point_id, connector_id, status, error_code, info,"
            " vendor_id, vendor_error_code, status_timestamp) VALUES ",
            columns,
            " ON CONFLICT (charge_point_id, connector_id) DO UPDATE SET"
            " status = excluded.status, error_code = excluded.error_code, info = excluded.info,"
            " vendor_id = excluded.vendor_id, vendor_error_code = excluded.vendor_error_code,"
            " status_timestamp = excluded.status_timestamp, updated_at = now()",
            latest.size(),
            [&](std::size_t i, TextParams& params) { params_of(*latest[i], params); });
  exec_rows(txn,
            "INSERT INTO connector_status_history (charge_point_id, connector_id, status,"
            " error_code, info, vendor_id, vendor_error_code, status_timestamp) VALUES ",
            columns, "", reports.size(),
            [&](std::size_t i, TextParams& params) { params_of(reports[i], params); });
}

// StatusNotifications of one batch, written together at its commit.
class DeferredStatuses final : public DeferredWrites {
 public:
  void flush(pqxx::dbtransaction& txn) override { write_statuses(txn, reports); }
  std::vector<core::ConnectorStatus> reports;
};

class PgConnectorStore final : public core::ConnectorStore {
 public:
  explicit PgConnectorStore(Scope db) : db_(db) {}

  void record_status(const core::ConnectorStatus& s) override {
    if (auto* later = db_.deferred<DeferredStatuses>()) {
      later->reports.push_back(s);
      return;
    }
    db_.transact([&](pqxx::dbtransaction& txn) { write_statuses(txn, {s}); });
  }

  std::vector<core::ConnectorStatus> list(const std::string& charge_point_id) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      std::vector<core::ConnectorStatus> out;
      for (const auto& row : txn.exec_params(
               "SELECT charge_point_id, connector_id, status, error_code, info, vendor_id,"
               " vendor_error_code, ts_to_micros(status_timestamp), ts_to_micros(updated_at)"
               " FROM connectors WHERE charge_point_id = $1 ORDER BY connector_id",
               charge_point_id))
        out.push_back(read_connector_status(row));
      return out;
    });
  }

  std::vector<core::ConnectorStatus> history(const std::string& charge_point_id, int connector_id,
                                             std::size_t limit) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      std::vector<core::ConnectorStatus> out;
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
  Scope db_;
};

}  // namespace

std::unique_ptr<core::ConnectorStore> make_connector_store(Scope db) {
  return std::make_unique<PgConnectorStore>(db);
}

}  // namespace chargelock::storage::postgres
