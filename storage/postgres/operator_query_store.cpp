// PostgreSQL core::OperatorQueryStore.
#include "core/stores/operator_query_store.h"

#include "storage/postgres/database_impl.h"
#include "storage/postgres/record_rows.h"

namespace chargelock::storage {

namespace postgres {
namespace {

class PgOperatorQueryStore final : public core::OperatorQueryStore {
 public:
  explicit PgOperatorQueryStore(Scope db) : db_(db) {}

  std::vector<core::LoggedFrame> messages_after(const std::string& charge_point_id,
                                                std::int64_t after_id, std::size_t limit) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      std::vector<core::LoggedFrame> out;
      for (const auto& row :
           txn.exec_params(std::string("SELECT ") + kLoggedFrameColumns +
                               " FROM message_log WHERE charge_point_id = $1 AND id > $2"
                               " ORDER BY id LIMIT $3",
                           charge_point_id, after_id, static_cast<long long>(limit))) {
        out.push_back(read_logged_frame(row));
      }
      return out;
    });
  }

  std::vector<core::ConnectorStatus> connectors_between(const std::string& after,
                                                        const std::string& through) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      std::vector<core::ConnectorStatus> out;
      for (const auto& row : txn.exec_params(
               "SELECT charge_point_id, connector_id, status, error_code, info, vendor_id,"
               " vendor_error_code, ts_to_micros(status_timestamp), ts_to_micros(updated_at)"
               " FROM connectors WHERE charge_point_id > $1 AND charge_point_id <= $2"
               " ORDER BY charge_point_id, connector_id",
               after, through)) {
        out.push_back(read_connector_status(row));
      }
      return out;
    });
  }

 private:
  Scope db_;
};

}  // namespace

std::unique_ptr<core::OperatorQueryStore> make_operator_query_store(Scope db) {
  return std::make_unique<PgOperatorQueryStore>(db);
}

}  // namespace postgres
}  // namespace chargelock::storage
