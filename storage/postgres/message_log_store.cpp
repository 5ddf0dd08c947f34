// PostgreSQL core::MessageLogStore.
#include "core/stores/message_log_store.h"

#include "storage/postgres/binary_copy.h"
#include "storage/postgres/database_impl.h"
#include "storage/postgres/record_rows.h"

namespace chargelock::storage::postgres {

namespace {

// A NUL byte is valid UTF-8 (so the websocket layer lets it through) but
// PostgreSQL's text cannot hold one: the whole batch would be refused, and
// the writer would retry it while every pile's frames queue behind it. It is
// stored as JSON's escape for it, \u0000.
std::string_view without_nul(const std::string& text, std::string& scratch) {
  if (text.find('\0') == std::string::npos) return text;
  scratch.clear();
  for (const char c : text) {
    if (c == '\0')
      scratch += "\\u0000";
    else
      scratch += c;
  }
  return scratch;
}

class PgMessageLogStore final : public core::MessageLogStore {
 public:
  explicit PgMessageLogStore(Scope db) : db_(db) {}

  // COPY, not INSERT: the log takes two rows per OCPP message, and COPY
  // costs PostgreSQL a fraction of a parameterised multi-row INSERT per row
  // (measured: the INSERT was the writer's limit at ~40k messages/s). In the
  // binary format: no escaping and no timestamp text on either side (see
  // binary_copy.h).
  void append(const std::vector<core::LoggedFrame>& frames) override {
    if (frames.empty()) return;
    static const std::vector<std::string> columns{"charge_point_id", "direction", "frame",
                                                  "received_at"};
    BinaryCopyRows rows(static_cast<std::uint16_t>(columns.size()));
    std::string scratch;
    for (const core::LoggedFrame& f : frames) {
      rows.start_row();
      rows.add_text(f.charge_point_id);
      rows.add_text(core::to_string(f.direction));
      rows.add_text(without_nul(f.frame, scratch));
      rows.add_timestamp(f.received_at);
    }
    // COPY inserts rows in order, so ids follow arrival order.
    db_.transact([&](pqxx::dbtransaction& txn) { copy_binary(txn, "message_log", columns, rows); });
  }

  std::vector<core::LoggedFrame> page(const std::string& charge_point_id,
                                      std::optional<std::int64_t> before_id,
                                      std::size_t limit) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      std::vector<core::LoggedFrame> out;
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

  std::vector<core::LoggedFrame> containing(const std::string& charge_point_id,
                                            const std::string& needle, core::Timestamp since,
                                            std::size_t limit) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      std::vector<core::LoggedFrame> out;
      // strpos, not LIKE: the needle is data, never a pattern.
      for (const auto& row : txn.exec_params(std::string("SELECT ") + kLoggedFrameColumns +
                                                 " FROM message_log WHERE charge_point_id = $1 AND "
                                                 "received_at >= micros_to_ts($2)"
                                                 " AND strpos(frame, $3) > 0 ORDER BY id LIMIT $4",
                                             charge_point_id, to_micros(since), needle,
                                             static_cast<long long>(limit)))
        out.push_back(read_logged_frame(row));
      return out;
    });
  }

 private:
  Scope db_;
};

}  // namespace

std::unique_ptr<core::MessageLogStore> make_message_log_store(Scope db) {
  return std::make_unique<PgMessageLogStore>(db);
}

}  // namespace chargelock::storage::postgres
