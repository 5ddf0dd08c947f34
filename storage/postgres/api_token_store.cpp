// PostgreSQL core::ApiTokenStore (tables of migration 0003).
#include "core/stores/api_token_store.h"

#include <algorithm>
#include <charconv>

#include "storage/postgres/channel_listener.h"
#include "storage/postgres/database_impl.h"

namespace chargelock::storage {

namespace postgres {
namespace {

core::ApiRole role_from_text(const std::string& text) {
  if (const auto role = core::api_role_from_string(text)) return *role;
  // Never guess a role (least of all the strongest one).
  throw core::DatabaseError("api_tokens: unknown role '" + text + "'");
}

constexpr const char* kTokenColumns =
    "id, role, name, owner_id, token_hash, ts_to_micros(created_at), ts_to_micros(revoked_at),"
    " array_to_string(vins, ',')";

// VINs are 17 characters of A-Z and 0-9 (checked by core), so the array
// literal needs no quoting.
std::optional<std::string> vins_literal(const std::optional<std::vector<std::string>>& vins) {
  if (!vins) return std::nullopt;
  std::string out = "{";
  for (std::size_t i = 0; i < vins->size(); ++i) out += (i ? "," : "") + (*vins)[i];
  return out + "}";
}

core::ApiTokenRecord read_token(const pqxx::row& row) {
  core::ApiTokenRecord r;
  r.id = row[0].as<std::int64_t>();
  r.role = role_from_text(row[1].as<std::string>());
  r.name = row[2].as<std::string>();
  if (!row[3].is_null()) r.owner_id = row[3].as<std::int64_t>();
  r.token_hash = row[4].as<std::string>();
  r.created_at = from_micros(row[5].as<std::int64_t>());
  r.revoked_at = optional_time(row[6]);
  if (!row[7].is_null()) {
    std::vector<std::string> vins;
    const std::string text = row[7].as<std::string>();
    for (std::size_t start = 0; start < text.size();) {
      const std::size_t comma = std::min(text.find(',', start), text.size());
      vins.push_back(text.substr(start, comma - start));
      start = comma + 1;
    }
    r.vins = std::move(vins);
  }
  return r;
}

// NOTIFY chargelock_api_tokens, '<token id>' or '*' (the table truncated):
// sent by the triggers of migration 0015 at the commit of any change.
constexpr const char* kTokenChannel = "chargelock_api_tokens";

core::ApiTokenChange parse_change(const std::string& payload) {
  core::ApiTokenChange change;
  std::int64_t id = 0;
  const auto [end, error] = std::from_chars(payload.data(), payload.data() + payload.size(), id);
  // Anything but a plain id (the truncate's '*' included) stales every token.
  if (error == std::errc{} && end == payload.data() + payload.size()) change.token_id = id;
  return change;
}

class PgApiTokenSignals final : public core::ApiTokenSignals {
 public:
  explicit PgApiTokenSignals(std::string url) : listener_(std::move(url), kTokenChannel) {}

  void wait(std::chrono::milliseconds timeout,
            const std::function<void(const core::ApiTokenChange&)>& apply) override {
    for (const std::string& payload : listener_.wait(timeout)) apply(parse_change(payload));
  }

  bool confirm(const std::function<void(const core::ApiTokenChange&)>& apply) override {
    const auto before_answer = listener_.round_trip();
    if (!before_answer) return false;
    for (const std::string& payload : *before_answer) apply(parse_change(payload));
    listener_.settle();
    return true;
  }

  bool unsettled() const override { return listener_.unsettled(); }

 private:
  ChannelListener listener_;
};

class PgApiTokenStore final : public core::ApiTokenStore {
 public:
  explicit PgApiTokenStore(Scope db) : db_(db) {}

  std::int64_t create(const core::NewApiToken& token) override {
    return db_.transact([&](pqxx::dbtransaction& txn) { return insert(txn, token); });
  }

  bool create_if_missing(const core::NewApiToken& token) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      return txn.exec_params(
                    "INSERT INTO api_tokens (role, name, owner_id, token_hash)"
                    " VALUES ($1, $2, $3, $4) ON CONFLICT (token_hash) DO NOTHING",
                    core::to_string(token.role), token.name, token.owner_id, token.token_hash)
                 .affected_rows() == 1;
    });
  }

  // An API request whose token is not in the process's verified-token
  // cache (core/verified_token_cache.h) asks this first: one prepared
  // statement, one round trip (no BEGIN/COMMIT).
  std::optional<core::ApiTokenRecord> find_valid(const std::string& token_hash) override {
    return db_.read([&](pqxx::transaction_base& txn) -> std::optional<core::ApiTokenRecord> {
      const auto result = exec_hot(txn,
                                   std::string("SELECT ") + kTokenColumns +
                                       " FROM api_tokens WHERE token_hash = $1"
                                       " AND revoked_at IS NULL",
                                   token_hash);
      if (result.empty()) return std::nullopt;
      return read_token(result[0]);
    });
  }

  std::optional<core::ApiTokenRecord> find(std::int64_t id) override {
    return db_.transact([&](pqxx::dbtransaction& txn) -> std::optional<core::ApiTokenRecord> {
      const auto result = txn.exec_params(
          std::string("SELECT ") + kTokenColumns + " FROM api_tokens WHERE id = $1", id);
      if (result.empty()) return std::nullopt;
      return read_token(result[0]);
    });
  }

  std::vector<core::ApiTokenRecord> list() override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      std::vector<core::ApiTokenRecord> out;
      for (const auto& row :
           txn.exec(std::string("SELECT ") + kTokenColumns + " FROM api_tokens ORDER BY id"))
        out.push_back(read_token(row));
      return out;
    });
  }

  bool revoke(std::int64_t id) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      return txn.exec_params(
                    "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now())"
                    " WHERE id = $1",
                    id)
                 .affected_rows() == 1;
    });
  }

  std::unique_ptr<core::ApiTokenSignals> listen() override {
    return std::make_unique<PgApiTokenSignals>(db_.url());
  }

  std::pair<core::OwnerRecord, std::int64_t> create_owner(const std::string& name,
                                                          const core::NewApiToken& token) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      const auto row = txn.exec_params1(
          "INSERT INTO owners (name) VALUES ($1) RETURNING id, name, ts_to_micros(created_at)",
          name);
      core::OwnerRecord owner;
      owner.id = row[0].as<std::int64_t>();
      owner.name = row[1].as<std::string>();
      owner.created_at = from_micros(row[2].as<std::int64_t>());
      core::NewApiToken owned = token;
      owned.role = core::ApiRole::Owner;
      owned.owner_id = owner.id;
      const std::int64_t token_id = insert(txn, owned);
      return std::make_pair(owner, token_id);
    });
  }

 private:
  static std::int64_t insert(pqxx::dbtransaction& txn, const core::NewApiToken& token) {
    return txn
        .exec_params1(
            "INSERT INTO api_tokens (role, name, owner_id, token_hash, vins)"
            " VALUES ($1, $2, $3, $4, $5::text[]) RETURNING id",
            core::to_string(token.role), token.name, token.owner_id, token.token_hash,
            vins_literal(token.vins))[0]
        .as<std::int64_t>();
  }

  Scope db_;
};

}  // namespace

std::unique_ptr<core::ApiTokenStore> make_api_token_store(Scope db) {
  return std::make_unique<PgApiTokenStore>(db);
}

}  // namespace postgres
}  // namespace chargelock::storage
