// PostgreSQL IdTagStore.
#include "storage/id_tag_store.h"

#include "storage/postgres/database_impl.h"

namespace chargelock::storage::postgres {

namespace {

const char* to_text(IdTagStatus status) {
  switch (status) {
    case IdTagStatus::Accepted:
      return "Accepted";
    case IdTagStatus::Blocked:
      return "Blocked";
    case IdTagStatus::Expired:
      return "Expired";
    case IdTagStatus::Invalid:
      return "Invalid";
  }
  return "Invalid";
}

IdTagStatus status_from_text(const std::string& text) {
  if (text == "Accepted") return IdTagStatus::Accepted;
  if (text == "Blocked") return IdTagStatus::Blocked;
  if (text == "Expired") return IdTagStatus::Expired;
  return IdTagStatus::Invalid;
}

IdTagRecord read_tag(const pqxx::row& row) {
  IdTagRecord r;
  r.id_tag = row[0].as<std::string>();
  r.status = status_from_text(row[1].as<std::string>());
  r.expiry_date = optional_time(row[2]);
  r.parent_id_tag = optional_text(row[3]);
  if (!row[4].is_null()) r.owner_id = row[4].as<std::int64_t>();
  return r;
}

class PgIdTagStore final : public IdTagStore {
 public:
  explicit PgIdTagStore(Database::Impl& db) : db_(db) {}

  void upsert(const IdTagRecord& tag) override {
    db_.transact([&](pqxx::work& txn) {
      txn.exec_params(
          "INSERT INTO id_tags (id_tag, status, expiry_date, parent_id_tag, owner_id)"
          " VALUES ($1, $2, micros_to_ts($3), $4, $5)"
          " ON CONFLICT (id_tag) DO UPDATE SET status = excluded.status,"
          " expiry_date = excluded.expiry_date, parent_id_tag = excluded.parent_id_tag,"
          " owner_id = excluded.owner_id, updated_at = now()",
          tag.id_tag, to_text(tag.status), to_micros(tag.expiry_date), tag.parent_id_tag,
          tag.owner_id);
    });
  }

  std::optional<IdTagRecord> find(const std::string& id_tag) override {
    return db_.transact([&](pqxx::work& txn) -> std::optional<IdTagRecord> {
      const auto result = txn.exec_params(
          "SELECT id_tag, status, ts_to_micros(expiry_date), parent_id_tag, owner_id FROM id_tags"
          " WHERE id_tag = $1",
          id_tag);
      if (result.empty()) return std::nullopt;
      return read_tag(result[0]);
    });
  }

  std::vector<IdTagRecord> list() override {
    return db_.transact([&](pqxx::work& txn) {
      std::vector<IdTagRecord> out;
      for (const auto& row : txn.exec("SELECT id_tag, status, ts_to_micros(expiry_date),"
                                      " parent_id_tag, owner_id FROM id_tags ORDER BY id_tag"))
        out.push_back(read_tag(row));
      return out;
    });
  }

  bool remove(const std::string& id_tag) override {
    return db_.transact([&](pqxx::work& txn) {
      return txn.exec_params("DELETE FROM id_tags WHERE id_tag = $1", id_tag).affected_rows() == 1;
    });
  }

 private:
  Database::Impl& db_;
};

}  // namespace

std::unique_ptr<IdTagStore> make_id_tag_store(Database::Impl& db) {
  return std::make_unique<PgIdTagStore>(db);
}

}  // namespace chargelock::storage::postgres
