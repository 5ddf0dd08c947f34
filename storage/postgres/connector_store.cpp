// PostgreSQL core::ConnectorStore.
#include "core/stores/connector_store.h"

#include <utility>

#include "storage/postgres/database_impl.h"
#include "storage/postgres/record_rows.h"

namespace chargelock::storage::postgres {

namespace {

// Current state (one row per connector, the last report wins) and history
// (every report, in order) of `reports`, in one statement whose text is the
// same whatever the batch's size: each column goes as one array, so it is
// prepared once per connection (a multi-row VALUES of another length each
// time was parsed and planned for every batch), and the history and the
// current state take one round trip together.
void write_statuses(pqxx::dbtransaction& txn, const std::vector<core::ConnectorStatus>& reports) {
  std::vector<std::string> ids, connectors, statuses, error_codes;
  std::vector<std::optional<std::string>> infos, vendor_ids, vendor_error_codes, micros;
  for (const core::ConnectorStatus& s : reports) {
    ids.push_back(s.charge_point_id);
    connectors.push_back(std::to_string(s.connector_id));
    statuses.push_back(s.status);
    error_codes.push_back(s.error_code);
    infos.push_back(s.info);
    vendor_ids.push_back(s.vendor_id);
    vendor_error_codes.push_back(s.vendor_error_code);
    micros.push_back(s.timestamp
                         ? std::optional<std::string>(std::to_string(to_micros(*s.timestamp)))
                         : std::nullopt);
  }
  // History rows in report order (their ids say it). One upsert may not
  // touch a row twice: DISTINCT ON keeps each connector's last report, and
  // its order (the key's) has two batches lock shared connectors alike.
  exec_hot(
      txn,
      "WITH r AS (SELECT * FROM unnest($1::text[], $2::integer[], $3::text[], $4::text[],"
      " $5::text[], $6::text[], $7::text[], $8::bigint[]) WITH ORDINALITY"
      " AS r(cp, connector, status, error_code, info, vendor_id, vendor_error_code, micros, n)),"
      " history AS (INSERT INTO connector_status_history (charge_point_id, connector_id,"
      " status, error_code, info, vendor_id, vendor_error_code, status_timestamp)"
      " SELECT cp, connector, status, error_code, info, vendor_id, vendor_error_code,"
      " micros_to_ts(micros) FROM r ORDER BY n)"
      " INSERT INTO connectors (charge_point_id, connector_id, status, error_code, info,"
      " vendor_id, vendor_error_code, status_timestamp)"
      " SELECT DISTINCT ON (cp, connector) cp, connector, status, error_code, info, vendor_id,"
      " vendor_error_code, micros_to_ts(micros) FROM r ORDER BY cp, connector, n DESC"
      " ON CONFLICT (charge_point_id, connector_id) DO UPDATE SET"
      " status = excluded.status, error_code = excluded.error_code, info = excluded.info,"
      " vendor_id = excluded.vendor_id, vendor_error_code = excluded.vendor_error_code,"
      " status_timestamp = excluded.status_timestamp, updated_at = now()",
      text_array(ids), text_array(connectors), text_array(statuses), text_array(error_codes),
      text_array(infos), text_array(vendor_ids), text_array(vendor_error_codes),
      text_array(micros));
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
