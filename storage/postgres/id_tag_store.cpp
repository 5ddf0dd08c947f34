// PostgreSQL core::IdTagStore.
#include "core/stores/id_tag_store.h"

#include "storage/postgres/database_impl.h"

namespace chargelock::storage::postgres {

namespace {

core::IdTagStatus status_from_text(const std::string& text) {
  return core::id_tag_status_from_string(text).value_or(core::IdTagStatus::Invalid);
}

core::IdTag read_tag(const pqxx::row& row) {
  core::IdTag r;
  r.id_tag = row[0].as<std::string>();
  r.status = status_from_text(row[1].as<std::string>());
  r.expiry_date = optional_time(row[2]);
  r.parent_id_tag = optional_text(row[3]);
  if (!row[4].is_null()) r.owner_id = row[4].as<std::int64_t>();
  return r;
}

class PgIdTagStore final : public core::IdTagStore {
 public:
  explicit PgIdTagStore(Scope db) : db_(db) {}

  void upsert(const core::IdTag& tag) override {
    db_.transact([&](pqxx::dbtransaction& txn) {
      txn.exec_params(
          "INSERT INTO id_tags (id_tag, status, expiry_date, parent_id_tag, owner_id)"
          " VALUES ($1, $2, micros_to_ts($3), $4, $5)"
          " ON CONFLICT (id_tag) DO UPDATE SET status = excluded.status,"
          " expiry_date = excluded.expiry_date, parent_id_tag = excluded.parent_id_tag,"
          " owner_id = excluded.owner_id, updated_at = now()",
          tag.id_tag, core::to_string(tag.status), to_micros(tag.expiry_date), tag.parent_id_tag,
          tag.owner_id);
    });
  }

  std::optional<core::IdTag> find(const std::string& id_tag) override {
    return db_.transact([&](pqxx::dbtransaction& txn) -> std::optional<core::IdTag> {
      const auto result = txn.exec_params(
          "SELECT id_tag, status, ts_to_micros(expiry_date), parent_id_tag, owner_id FROM id_tags"
          " WHERE id_tag = $1",
          id_tag);
      if (result.empty()) return std::nullopt;
      return read_tag(result[0]);
    });
  }

  std::vector<core::IdTag> list() override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      std::vector<core::IdTag> out;
      for (const auto& row : txn.exec("SELECT id_tag, status, ts_to_micros(expiry_date),"
                                      " parent_id_tag, owner_id FROM id_tags ORDER BY id_tag"))
        out.push_back(read_tag(row));
      return out;
    });
  }

  bool remove(const std::string& id_tag) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      return txn.exec_params("DELETE FROM id_tags WHERE id_tag = $1", id_tag).affected_rows() == 1;
    });
  }

 private:
  Scope db_;
};

}  // namespace

std::unique_ptr<core::IdTagStore> make_id_tag_store(Scope db) {
  return std::make_unique<PgIdTagStore>(db);
}

}  // namespace chargelock::storage::postgres
