// PostgreSQL OperatorQueryStore.
#include "storage/operator_query_store.h"

#include "storage/postgres/database_impl.h"

namespace chargelock::storage {

namespace postgres {
namespace {

class PgOperatorQueryStore final : public OperatorQueryStore {
 public:
  explicit PgOperatorQueryStore(Database::Impl& db) : db_(db) {}

  std::vector<LoggedFrame> messages_after(const std::string& charge_point_id, std::int64_t after_id,
                                          std::size_t limit) override {
    return db_.transact([&](pqxx::work& txn) {
      std::vector<LoggedFrame> out;
      for (const auto& row :
           txn.exec_params("SELECT id, charge_point_id, direction, frame, ts_to_micros(received_at)"
                           " FROM message_log WHERE charge_point_id = $1 AND id > $2"
                           " ORDER BY id LIMIT $3",
                           charge_point_id, after_id, static_cast<long long>(limit))) {
        LoggedFrame f;
        f.id = row[0].as<std::int64_t>();
        f.charge_point_id = row[1].as<std::string>();
        f.direction = row[2].as<std::string>() == "in" ? MessageDirection::Incoming
                                                       : MessageDirection::Outgoing;
        f.frame = row[3].as<std::string>();
        f.received_at = from_micros(row[4].as<std::int64_t>());
        out.push_back(std::move(f));
      }
      return out;
    });
  }

  std::vector<ConnectorStatusRecord> all_connectors() override {
    return db_.transact([&](pqxx::work& txn) {
      std::vector<ConnectorStatusRecord> out;
      for (const auto& row :
           txn.exec("SELECT charge_point_id, connector_id, status, error_code, info, vendor_id,"
                    " vendor_error_code, ts_to_micros(status_timestamp), ts_to_micros(updated_at)"
                    " FROM connectors ORDER BY charge_point_id, connector_id")) {
        ConnectorStatusRecord r;
        r.charge_point_id = row[0].as<std::string>();
        r.connector_id = row[1].as<int>();
        r.status = row[2].as<std::string>();
        r.error_code = row[3].as<std::string>();
        r.info = optional_text(row[4]);
        r.vendor_id = optional_text(row[5]);
        r.vendor_error_code = optional_text(row[6]);
        r.timestamp = optional_time(row[7]);
        r.received_at = from_micros(row[8].as<std::int64_t>());
        out.push_back(std::move(r));
      }
      return out;
    });
  }

 private:
  Database::Impl& db_;
};

}  // namespace
}  // namespace postgres

std::unique_ptr<OperatorQueryStore> make_operator_query_store(Database& database) {
  return std::make_unique<postgres::PgOperatorQueryStore>(database.impl());
}

}  // namespace chargelock::storage
