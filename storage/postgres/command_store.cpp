// PostgreSQL core::CommandStore and the LISTEN side of the command channel.
#include "core/stores/command_store.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "storage/postgres/channel_listener.h"
#include "storage/postgres/command_channel.h"
#include "storage/postgres/database_impl.h"

namespace chargelock::storage::postgres {

namespace {

constexpr const char* kChannel = kCommandChannel;

const char* const kColumns =
    " id, charge_point_id, action, payload, status, response, error_code, error_description,"
    " idempotency_key, origin, claimed_by, ts_to_micros(created_at), ts_to_micros(expires_at),"
    " ts_to_micros(sent_at), ts_to_micros(completed_at), secret ";

core::StoredCommand read_command(const pqxx::row& row) {
  core::StoredCommand c;
  c.id = row[0].as<std::int64_t>();
  c.charge_point_id = row[1].as<std::string>();
  c.action = row[2].as<std::string>();
  c.payload_json = row[3].as<std::string>();
  c.status = row[4].as<std::string>();
  c.response_json = optional_text(row[5]);
  c.error_code = optional_text(row[6]);
  c.error_description = optional_text(row[7]);
  c.idempotency_key = optional_text(row[8]);
  c.origin = row[9].as<std::string>();
  c.claimed_by = optional_text(row[10]);
  c.created_at = from_micros(row[11].as<std::int64_t>());
  c.expires_at = from_micros(row[12].as<std::int64_t>());
  c.sent_at = optional_time(row[13]);
  c.completed_at = optional_time(row[14]);
  c.secret = optional_text(row[15]);
  return c;
}

// The claim of each listed pile's next command ($1: the piles; `node`: the
// parameter naming the claiming node), claim_next_many()'s rules: nothing
// while one of the pile's commands is sent; otherwise the oldest queued,
// unexpired one. Both are per-pile probes on purpose (a scalar subquery and
// a LATERAL with LIMIT, which PostgreSQL runs once per pile): as a join, the
// planner could hash or scan all sent or queued rows per claim, and right
// after a fan-out it did (see migration 0014). The secret leaves the row
// with the claim (RETURNING shows the new row; the old secret comes through
// the CTE). `more`: another command of the pile is queued behind it (the
// statement's snapshot still shows the claimed row queued, hence
// q.id <> id); without one, the dispatcher claims nothing after the answer.
// `piles_join` narrows the piles (joined after "FROM piles"), `next_where`
// the command claimed (a condition on n, followed by AND). Read with
// read_claimed().
std::string claim_statement(const std::string& piles_join, const std::string& next_where,
                            const std::string& node) {
  return "WITH piles AS (SELECT DISTINCT unnest($1::text[]) AS cp),"
         " next AS (SELECT n.id AS claim_id, n.secret AS claimed_secret FROM piles" +
         piles_join +
         ","
         " LATERAL (SELECT id, secret FROM commands c WHERE c.charge_point_id = piles.cp"
         " AND c.status = 'queued' AND c.expires_at > now() ORDER BY c.id LIMIT 1"
         " FOR UPDATE SKIP LOCKED) AS n"
         " WHERE " +
         next_where +
         "(SELECT 1 FROM commands s WHERE s.charge_point_id = piles.cp"
         " AND s.status = 'sent' LIMIT 1) IS NULL)"
         " UPDATE commands SET status = 'sent', sent_at = now(), claimed_by = " +
         node + ", secret = NULL FROM next WHERE id = next.claim_id RETURNING" + kColumns +
         ", next.claimed_secret, EXISTS (SELECT 1 FROM commands q"
         " WHERE q.charge_point_id = commands.charge_point_id AND q.status = 'queued'"
         " AND q.id <> commands.id) AS more";
}

// The commands claim_statement() claimed, each with its secret and more_queued.
std::vector<core::StoredCommand> read_claimed(const pqxx::result& result) {
  std::vector<core::StoredCommand> claimed;
  claimed.reserve(result.size());
  for (const auto& row : result) {
    claimed.push_back(read_command(row));
    claimed.back().secret = optional_text(row[16]);
    claimed.back().more_queued = row[17].as<bool>();
  }
  return claimed;
}

void apply_effects(pqxx::dbtransaction& txn, const std::string& charge_point_id,
                   std::int64_t command_id, const core::CommandEffects& effects) {
  for (const core::ConfigurationKey& key : effects.configuration) {
    txn.exec_params(
        "INSERT INTO charge_point_configuration (charge_point_id, key, value, readonly)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (charge_point_id, key) DO UPDATE"
        " SET value = EXCLUDED.value, readonly = EXCLUDED.readonly, updated_at = now()",
        charge_point_id, key.key, key.value, key.readonly);
  }
  if (effects.configuration_change) {
    const core::ConfigurationKey& key = *effects.configuration_change;
    txn.exec_params(
        "INSERT INTO charge_point_configuration (charge_point_id, key, value, readonly)"
        " VALUES ($1, $2, $3, false) ON CONFLICT (charge_point_id, key) DO UPDATE"
        " SET value = EXCLUDED.value, updated_at = now()",
        charge_point_id, key.key, key.value);
  }
  if (effects.local_list_version) {
    txn.exec_params(
        "INSERT INTO charge_point_local_lists (charge_point_id, version) VALUES ($1, $2)"
        " ON CONFLICT (charge_point_id) DO UPDATE SET version = EXCLUDED.version,"
        " updated_at = now()",
        charge_point_id, *effects.local_list_version);
  }
  if (effects.reservation) {
    const core::Reservation& r = *effects.reservation;
    txn.exec_params(
        "INSERT INTO reservations (charge_point_id, reservation_id, connector_id, id_tag,"
        " parent_id_tag, expiry_date, status, command_id)"
        " VALUES ($1, $2, $3, $4, $5, micros_to_ts($6), 'active', $7)"
        " ON CONFLICT (charge_point_id, reservation_id) DO UPDATE SET"
        " connector_id = EXCLUDED.connector_id, id_tag = EXCLUDED.id_tag,"
        " parent_id_tag = EXCLUDED.parent_id_tag, expiry_date = EXCLUDED.expiry_date,"
        " status = 'active', command_id = EXCLUDED.command_id, updated_at = now()",
        charge_point_id, r.reservation_id, r.connector_id, r.id_tag, r.parent_id_tag,
        to_micros(r.expiry_date), command_id);
  }
  if (effects.password_hash) {
    txn.exec_params("UPDATE charge_points SET password_hash = $2 WHERE id = $1", charge_point_id,
                    *effects.password_hash);
  }
  if (effects.cancelled_reservation_id) {
    txn.exec_params(
        "UPDATE reservations SET status = 'cancelled', updated_at = now()"
        " WHERE charge_point_id = $1 AND reservation_id = $2 AND status = 'active'",
        charge_point_id, *effects.cancelled_reservation_id);
  }
}

class PgCommandWakeups final : public core::CommandWakeups {
 public:
  explicit PgCommandWakeups(std::string url) : listener_(std::move(url), kChannel) {}

  std::vector<std::string> wait(std::chrono::milliseconds timeout) override {
    return listener_.wait(timeout);
  }

 private:
  ChannelListener listener_;
};

class PgCommandStore final : public core::CommandStore {
 public:
  explicit PgCommandStore(Scope db) : db_(db) {}

  Enqueued enqueue(const core::NewCommand& command) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      Enqueued out;
      const auto inserted = txn.exec_params(
          std::string("INSERT INTO commands (charge_point_id, action, payload, idempotency_key,"
                      " origin, expires_at, secret) VALUES ($1, $2, $3, $4, $5, micros_to_ts($6),"
                      " $7) ON CONFLICT (charge_point_id, idempotency_key) WHERE idempotency_key "
                      "IS NOT NULL"
                      " DO NOTHING RETURNING") +
              kColumns,
          command.charge_point_id, command.action, command.payload_json, command.idempotency_key,
          command.origin, to_micros(command.expires_at), command.secret);
      if (!inserted.empty()) {
        out.command = read_command(inserted[0]);
        out.inserted = true;
        txn.exec_params("SELECT pg_notify($1, $2)", std::string(kChannel), command.charge_point_id);
        return out;
      }
      const auto existing = txn.exec_params(std::string("SELECT") + kColumns +
                                                "FROM commands WHERE charge_point_id = $1"
                                                " AND idempotency_key = $2",
                                            command.charge_point_id, command.idempotency_key);
      if (existing.empty())
        throw core::DatabaseError("command with idempotency key vanished while enqueueing");
      out.command = read_command(existing[0]);
      return out;
    });
  }

  std::vector<core::StoredCommand> enqueue_many(
      const std::vector<core::NewCommand>& commands) override {
    for (const core::NewCommand& c : commands)
      if (c.idempotency_key)
        throw std::invalid_argument("enqueue_many: commands may not carry idempotency keys");
    static const std::vector<std::string> columns{
        "{}", "{}", "{}", "{}", "micros_to_ts({}::bigint)", "{}"};
    return db_.transact([&](pqxx::dbtransaction& txn) {
      std::vector<core::StoredCommand> out;
      out.reserve(commands.size());
      exec_rows(
          txn,
          "INSERT INTO commands (charge_point_id, action, payload, origin, expires_at, secret)"
          " VALUES ",
          columns, std::string(" RETURNING") + kColumns, commands.size(),
          [&](std::size_t i, TextParams& params) {
            const core::NewCommand& c = commands[i];
            params.push_back(c.charge_point_id);
            params.push_back(c.action);
            params.push_back(c.payload_json);
            params.push_back(c.origin);
            params.push_back(std::to_string(to_micros(c.expires_at)));
            params.push_back(c.secret);
          },
          [&](const pqxx::result& rows) {
            // Ids come from the sequence row by row, so id order is input order.
            std::vector<core::StoredCommand> inserted;
            for (const auto& row : rows) inserted.push_back(read_command(row));
            std::sort(inserted.begin(), inserted.end(),
                      [](const core::StoredCommand& a, const core::StoredCommand& b) {
                        return a.id < b.id;
                      });
            for (auto& command : inserted) out.push_back(std::move(command));
          });
      // One notification for the whole batch (one per pile cost PostgreSQL a
      // queue entry each and the listeners a wake-up each), naming the
      // batch's ids: every node then looks among those for its piles'
      // queued commands in one query (a boot storm's re-arms wake once per
      // group; '*' had each wake-up scan every queued command).
      if (commands.size() == 1) {
        txn.exec_params("SELECT pg_notify($1, $2)", std::string(kChannel),
                        commands[0].charge_point_id);
      } else {
        std::optional<core::CommandIdRange> ids;
        for (const core::StoredCommand& command : out)
          ids = core::covering(ids, {command.id, command.id});
        notify_batch(txn, ids);
      }
      return out;
    });
  }

  std::optional<core::StoredCommand> find(std::int64_t id) override {
    return db_.transact([&](pqxx::dbtransaction& txn) -> std::optional<core::StoredCommand> {
      const auto r =
          txn.exec_params(std::string("SELECT") + kColumns + "FROM commands WHERE id = $1", id);
      if (r.empty()) return std::nullopt;
      return read_command(r[0]);
    });
  }

  std::vector<core::StoredCommand> list(const core::CommandQuery& query) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      const auto r =
          txn.exec_params(std::string("SELECT") + kColumns +
                              "FROM commands WHERE ($1::text IS NULL OR charge_point_id = $1)"
                              " AND ($2::text IS NULL OR status = $2) AND ($3 = 0 OR id < $3)"
                              " ORDER BY id DESC LIMIT $4",
                          query.charge_point_id, query.status, query.before_id, query.limit);
      std::vector<core::StoredCommand> out;
      for (const auto& row : r) out.push_back(read_command(row));
      return out;
    });
  }

  std::optional<core::StoredCommand> claim_next(const std::string& charge_point_id,
                                                const std::string& node) override {
    return db_.transact([&](pqxx::dbtransaction& txn) -> std::optional<core::StoredCommand> {
      // Claimers of one pile (two nodes during a hand-over) take turns, so
      // the "one sent at a time" check below cannot be raced.
      txn.exec_params("SELECT pg_advisory_xact_lock(hashtext('chargelock_commands:' || $1))",
                      charge_point_id);
      // Expired commands are skipped by the claim below and marked by the
      // dispatcher's sweep (and on read); marking them here cost a scan per
      // claim, thousands per second in a lock's fan-out.
      const bool outstanding = !txn.exec_params(
                                       "SELECT 1 FROM commands WHERE charge_point_id = $1"
                                       " AND status = 'sent' LIMIT 1",
                                       charge_point_id)
                                    .empty();
      if (outstanding) return std::nullopt;
      // The secret leaves the row with the claim (RETURNING shows the new
      // row, so the old secret comes through the CTE).
      const auto r = txn.exec_params(
          std::string("WITH next AS (SELECT id AS claim_id, secret AS claimed_secret"
                      " FROM commands WHERE charge_point_id = $1 AND status = 'queued'"
                      " AND expires_at > now() ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)"
                      " UPDATE commands SET status = 'sent', sent_at = now(), claimed_by = $2,"
                      " secret = NULL FROM next WHERE id = next.claim_id RETURNING") +
              kColumns + ", next.claimed_secret",
          charge_point_id, node);
      if (r.empty()) return std::nullopt;
      core::StoredCommand claimed = read_command(r[0]);
      claimed.secret = optional_text(r[0][16]);
      return claimed;
    });
  }

  std::vector<core::StoredCommand> claim_next_many(const std::vector<std::string>& charge_point_ids,
                                                   const std::string& node) override {
    if (charge_point_ids.empty()) return {};
    const std::string ids = text_array(charge_point_ids);
    return db_.transact([&](pqxx::dbtransaction& txn) {
      // The per-pile advisory locks of claim_next(), taken in hash order so
      // two batches (two nodes during a hand-over) cannot deadlock.
      exec_hot(txn,
               "SELECT count(pg_advisory_xact_lock(h)) FROM (SELECT DISTINCT"
               " hashtext('chargelock_commands:' || cp) AS h FROM unnest($1::text[]) AS cp"
               " ORDER BY h) AS locks",
               ids);
      return read_claimed(exec_hot(txn, claim_statement("", "", "$2"), ids, node));
    });
  }

  RangeClaim claim_in_range(const core::CommandIdRange& range, const std::string& node,
                            std::size_t max_piles,
                            const std::vector<std::string>& excluded) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      RangeClaim out;
      // Two statements, as in claim_next_many(): the per-pile advisory locks
      // must be held before the claim's snapshot is taken. Within one
      // statement, a pump that claimed the pile's oldest command and
      // committed after the statement's snapshot, before its lock, would
      // stay invisible to the "nothing sent" probe, and the LATERAL's FOR
      // UPDATE, re-reading that row, would move on to the pile's next
      // command: two sent.
      //
      // First this node's piles with a queued command in the range (the
      // batch's own rows, read by the primary key: not every queued
      // command; the excluded piles count as not registered), and the
      // locks of the first max_piles registered ones
      // among them by pile id (CASE: only it promises that the others' are
      // not tried). Only locks free now (pg_try_advisory_xact_lock): a pile
      // whose lock a claimer holds (a pump of this node on a worker, another
      // node) is left to a pump. Never waiting, this claim cannot deadlock
      // with a worker's group commit, which takes its batches' locks
      // statement by statement, in hash order within each only. A window
      // count, not a join of CTEs: the generic plan joined those by a
      // nested loop, O(piles^2).
      std::vector<std::string> chosen;
      for (const auto& row : exec_hot(
               txn,
               "SELECT cp, CASE WHEN ready AND place <= $4 THEN"
               " pg_try_advisory_xact_lock(hashtext('chargelock_commands:' || cp)) ELSE false END"
               " FROM (SELECT cp, ready, count(*) FILTER (WHERE ready) OVER (ORDER BY cp) AS place"
               " FROM (SELECT DISTINCT c.charge_point_id AS cp,"
               " (p.registration_status = 'Accepted' AND p.last_boot_at IS NOT NULL"
               " AND c.charge_point_id NOT IN (SELECT unnest($5::text[]))) AS ready"
               " FROM commands c JOIN charge_points p ON p.id = c.charge_point_id"
               " WHERE c.id BETWEEN $1 AND $2 AND c.status = 'queued'"
               " AND p.connected_node = $3) AS woken) AS ranked",
               range.first, range.last, node, static_cast<std::int64_t>(max_piles),
               text_array(excluded))) {
        if (row[1].as<bool>())
          chosen.push_back(row[0].as<std::string>());
        else
          out.waiting.push_back(row[0].as<std::string>());
      }
      if (chosen.empty()) return out;
      // Then claim_next_many()'s statement over the locked piles, in a
      // snapshot taken after the locks: the pile is still this node's and
      // registered, nothing of it is sent, and its oldest unexpired queued
      // command is in the range (else it waits for a pump: an older command
      // goes first).
      out.claimed = read_claimed(exec_hot(
          txn,
          claim_statement(" JOIN charge_points p ON p.id = piles.cp AND p.connected_node = $4"
                          " AND p.registration_status = 'Accepted' AND p.last_boot_at IS NOT NULL",
                          "n.id BETWEEN $2 AND $3 AND ", "$4"),
          text_array(chosen), range.first, range.last, node));
      std::vector<std::string> claimed_piles;
      for (const core::StoredCommand& command : out.claimed)
        claimed_piles.push_back(command.charge_point_id);
      std::sort(claimed_piles.begin(), claimed_piles.end());
      for (std::string& cp : chosen)
        if (!std::binary_search(claimed_piles.begin(), claimed_piles.end(), cp))
          out.waiting.push_back(std::move(cp));
      return out;
    });
  }

  std::vector<core::StoredCommand> complete_many(const std::vector<Ended>& ended) override {
    if (ended.empty()) return {};
    std::vector<std::string> ids, statuses;
    std::vector<std::optional<std::string>> responses, codes, descriptions;
    for (const Ended& e : ended) {
      ids.push_back(std::to_string(e.id));
      statuses.push_back(e.result.status);
      responses.push_back(e.result.response_json);
      codes.push_back(e.result.error_code);
      descriptions.push_back(e.result.error_description);
    }
    return db_.transact([&](pqxx::dbtransaction& txn) {
      std::vector<core::StoredCommand> out;
      for (const auto& row : exec_hot(
               txn,
               std::string("UPDATE commands SET status = e.end_status, response = e.end_response,"
                           " error_code = e.end_code, error_description = e.end_description,"
                           " completed_at = now(), secret = NULL"
                           " FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[],"
                           " $5::text[]) AS e(end_id, end_status, end_response, end_code,"
                           " end_description)"
                           " WHERE commands.id = e.end_id AND commands.status = 'sent' RETURNING") +
                   kColumns,
               text_array(ids), text_array(statuses), text_array(responses), text_array(codes),
               text_array(descriptions)))
        out.push_back(read_command(row));
      return out;
    });
  }

  bool unclaim(std::int64_t id, const std::optional<std::string>& secret) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      const auto r = txn.exec_params(
          "UPDATE commands SET status = 'queued', sent_at = NULL, claimed_by = NULL, secret = $2"
          " WHERE id = $1 AND status = 'sent' RETURNING charge_point_id",
          id, secret);
      if (r.empty()) return false;
      // Another node (or this one, later) may deliver it now.
      txn.exec_params("SELECT pg_notify($1, $2)", std::string(kChannel), r[0][0].as<std::string>());
      return true;
    });
  }

  bool complete(std::int64_t id, const core::CommandResult& result,
                const core::CommandEffects& effects) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      const auto r = txn.exec_params(
          "UPDATE commands SET status = $2, response = $3, error_code = $4,"
          " error_description = $5, completed_at = now(), secret = NULL"
          " WHERE id = $1 AND status = 'sent' RETURNING charge_point_id",
          id, result.status, result.response_json, result.error_code, result.error_description);
      if (r.empty()) return false;
      apply_effects(txn, r[0][0].as<std::string>(), id, effects);
      return true;
    });
  }

  int expire_overdue() override {
    return db_.transact([&](pqxx::dbtransaction& txn) { return expire(txn); });
  }

  int time_out_sent(const std::optional<std::string>& charge_point_id,
                    std::optional<core::Timestamp> sent_before,
                    const std::string& description) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      const auto r = txn.exec_params(
          "UPDATE commands SET status = 'timeout', error_code = 'Timeout',"
          " error_description = $3, completed_at = now(), secret = NULL"
          " WHERE status = 'sent' AND ($1::text IS NULL OR charge_point_id = $1)"
          " AND ($2::bigint IS NULL OR sent_at < micros_to_ts($2))",
          charge_point_id, to_micros(sent_before), description);
      return static_cast<int>(r.affected_rows());
    });
  }

  int time_out_sent_many(const std::vector<std::string>& charge_point_ids,
                         const std::string& description) override {
    if (charge_point_ids.empty()) return 0;
    return db_.transact([&](pqxx::dbtransaction& txn) {
      const auto r = exec_hot(txn,
                              "UPDATE commands SET status = 'timeout', error_code = 'Timeout',"
                              " error_description = $2, completed_at = now(), secret = NULL"
                              " WHERE status = 'sent' AND charge_point_id = ANY($1::text[])",
                              text_array(charge_point_ids), description);
      return static_cast<int>(r.affected_rows());
    });
  }

  int expire_reservations() override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      // The pile ends its reservation at expiryDate by itself (OCPP 1.6
      // §5.13) and should report Available; the record follows without
      // waiting for that StatusNotification.
      const auto r = txn.exec(
          "WITH ended AS (UPDATE reservations SET status = 'expired', updated_at = now()"
          " WHERE status = 'active' AND expiry_date <= now()"
          " RETURNING charge_point_id, connector_id),"
          " freed AS (UPDATE connectors c SET status = 'Available', updated_at = now()"
          " FROM ended WHERE c.charge_point_id = ended.charge_point_id"
          " AND c.connector_id = ended.connector_id AND c.status = 'Reserved' RETURNING 1)"
          " SELECT (SELECT count(*) FROM ended), (SELECT count(*) FROM freed)");
      return r[0][0].as<int>();
    });
  }

  std::vector<std::pair<std::string, std::int64_t>> pending_counts() override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      std::vector<std::pair<std::string, std::int64_t>> counts = {{"queued", 0}, {"sent", 0}};
      // The partial indexes on queued / sent rows keep this cheap however
      // many finished commands the table holds.
      for (const auto& row :
           txn.exec("SELECT status, count(*) FROM commands WHERE status IN ('queued', 'sent')"
                    " GROUP BY status"))
        for (auto& [status, count] : counts)
          if (status == row[0].as<std::string>()) count = row[1].as<std::int64_t>();
      return counts;
    });
  }

  std::vector<std::string> charge_points_with_queued(
      const std::optional<std::string>& node,
      const std::optional<core::CommandIdRange>& range) override {
    std::optional<std::int64_t> first, last;
    if (range) {
      first = range->first;
      last = range->last;
    }
    return db_.transact([&](pqxx::dbtransaction& txn) {
      std::vector<std::string> ids;
      // A batch's range reads its own rows by the primary key, not every
      // queued one (a fan-out in chunks wakes the nodes once per chunk).
      for (const auto& row : txn.exec_params(
               "SELECT DISTINCT c.charge_point_id FROM commands c"
               " JOIN charge_points p ON p.id = c.charge_point_id"
               " WHERE c.status = 'queued' AND ($1::text IS NULL OR p.connected_node = $1)"
               " AND ($2::bigint IS NULL OR c.id BETWEEN $2 AND $3)",
               node, first, last))
        ids.push_back(row[0].as<std::string>());
      return ids;
    });
  }

  std::vector<core::ConfigurationKey> configuration(const std::string& charge_point_id) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      std::vector<core::ConfigurationKey> keys;
      for (const auto& row :
           txn.exec_params("SELECT key, value, readonly FROM charge_point_configuration"
                           " WHERE charge_point_id = $1 ORDER BY key",
                           charge_point_id)) {
        core::ConfigurationKey k;
        k.key = row[0].as<std::string>();
        k.value = optional_text(row[1]);
        k.readonly = row[2].as<bool>();
        keys.push_back(std::move(k));
      }
      return keys;
    });
  }

  std::optional<int> local_list_version(const std::string& charge_point_id) override {
    return db_.transact([&](pqxx::dbtransaction& txn) -> std::optional<int> {
      const auto r =
          txn.exec_params("SELECT version FROM charge_point_local_lists WHERE charge_point_id = $1",
                          charge_point_id);
      if (r.empty()) return std::nullopt;
      return r[0][0].as<int>();
    });
  }

  std::vector<core::Reservation> reservations(const std::string& charge_point_id) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      std::vector<core::Reservation> out;
      for (const auto& row :
           txn.exec_params("SELECT reservation_id, connector_id, id_tag, parent_id_tag,"
                           " ts_to_micros(expiry_date), status, command_id FROM reservations"
                           " WHERE charge_point_id = $1 ORDER BY reservation_id",
                           charge_point_id)) {
        core::Reservation r;
        r.reservation_id = row[0].as<int>();
        r.connector_id = row[1].as<int>();
        r.id_tag = row[2].as<std::string>();
        r.parent_id_tag = optional_text(row[3]);
        r.expiry_date = from_micros(row[4].as<std::int64_t>());
        r.status = row[5].as<std::string>();
        if (!row[6].is_null()) r.command_id = row[6].as<std::int64_t>();
        out.push_back(std::move(r));
      }
      return out;
    });
  }

  std::unique_ptr<core::CommandWakeups> listen() override {
    return std::make_unique<PgCommandWakeups>(db_.url());
  }

 private:
  static int expire(pqxx::dbtransaction& txn) {
    const auto r = txn.exec(
        "UPDATE commands SET status = 'expired', completed_at = now(), secret = NULL,"
        " error_description = 'not delivered before it expired'"
        " WHERE status = 'queued' AND expires_at <= now()");
    return static_cast<int>(r.affected_rows());
  }

  Scope db_;
};

}  // namespace

std::unique_ptr<core::CommandStore> make_command_store(Scope db) {
  return std::make_unique<PgCommandStore>(db);
}

}  // namespace chargelock::storage::postgres
