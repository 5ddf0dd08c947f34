// PostgreSQL MessageLogStore.
#include "storage/message_log_store.h"

#include "storage/postgres/database_impl.h"
#include "storage/postgres/record_rows.h"

namespace chargelock::storage::postgres {

namespace {

class PgMessageLogStore final : public MessageLogStore {
 public:
  explicit PgMessageLogStore(Database::Impl& db) : db_(db) {}

  void append(const std::vector<LoggedFrame>& frames) override {
    if (frames.empty()) return;
    static const std::vector<std::string> columns{"{}", "{}", "{}", "micros_to_ts({}::bigint)"};
    db_.transact([&](pqxx::work& txn) {
      for (std::size_t first = 0; first < frames.size(); first += kRowsPerInsert) {
        const std::size_t count = std::min(kRowsPerInsert, frames.size() - first);
        TextParams params;
        params.reserve(count * columns.size());
        for (std::size_t i = first; i < first + count; ++i) {
          const LoggedFrame& f = frames[i];
          params.push_back(f.charge_point_id);
          params.push_back(f.direction == MessageDirection::Incoming ? "in" : "out");
          params.push_back(f.frame);
          params.push_back(std::to_string(to_micros(f.received_at)));
        }
        // VALUES rows are inserted in order, so ids follow arrival order.
        txn.exec_params(
            "INSERT INTO message_log (charge_point_id, direction, frame, received_at) VALUES " +
                values_rows(count, columns),
            pqxx::prepare::make_dynamic_params(params));
      }
    });
  }

  std::vector<LoggedFrame> page(const std::string& charge_point_id,
                                std::optional<std::int64_t> before_id, std::size_t limit) override {
    return db_.transact([&](pqxx::work& txn) {
      std::vector<LoggedFrame> out;
      for (const auto& row :
           txn.exec_params(std::string("SELECT ") + kLoggedFrameColumns +
                               " FROM message_log WHERE charge_point_id = $1 AND ($2::bigint IS "
                               "NULL OR id < $2)"
                               " ORDER BY id DESC LIMIT $3",
                           charge_point_id, before_id, static_cast<long long>(limit))) {
        out.push_back(read_logged_frame(row));
      }
      return out;
    });
  }

 private:
  Database::Impl& db_;
};

}  // namespace

std::unique_ptr<MessageLogStore> make_message_log_store(Database::Impl& db) {
  return std::make_unique<PgMessageLogStore>(db);
}

}  // namespace chargelock::storage::postgres
