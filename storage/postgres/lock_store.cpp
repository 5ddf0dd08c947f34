// PostgreSQL core::LockStore.
#include "core/stores/lock_store.h"

#include <algorithm>

#include "core/enum_text.h"
#include "storage/postgres/command_channel.h"
#include "storage/postgres/database_impl.h"

namespace chargelock::storage::postgres {

namespace {

const char* const kColumns =
    " l.id, l.vin, l.owner_id, l.status, l.center_latitude, l.center_longitude, l.radius_km,"
    " l.charge_point_id, l.connector_id, l.matched_kind, l.matched_value,"
    " l.engaged_without_hold, ts_to_micros(l.engaged_at), l.release_command_id, l.release_error,"
    " ts_to_micros(l.created_at), ts_to_micros(l.updated_at), ts_to_micros(l.expires_at),"
    " ts_to_micros(l.expiry_warned_at), l.case_reference ";

// The stored text of a status the schema allows; anything else is a
// damaged row, never guessed.
core::LockStatus lock_status_of(const pqxx::field& field) {
  const auto text = field.as<std::string>();
  if (const auto status = core::lock_status_from_string(text)) return *status;
  throw core::DatabaseError("vehicle_locks: unknown status '" + text + "'");
}

core::PileStatus pile_status_of(const pqxx::field& field) {
  const auto text = field.as<std::string>();
  if (const auto status = core::pile_status_from_string(text)) return *status;
  throw core::DatabaseError("vehicle_lock_piles: unknown status '" + text + "'");
}

// A command's outcome as the command service reads it.
std::optional<core::CommandStatus> command_status_of(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return core::command_status_from_string(field.as<std::string>())
      .value_or(core::CommandStatus::Failed);
}

const char* const kActive = " l.status IN ('requested', 'armed', 'engaged') ";

core::LockRecord read_lock(const pqxx::row& row) {
  core::LockRecord l;
  l.id = row[0].as<std::string>();
  l.vin = row[1].as<std::string>();
  l.owner_id = row[2].as<std::int64_t>();
  l.status = lock_status_of(row[3]);
  if (!row[4].is_null() && !row[5].is_null())
    l.center = core::GeoLocation{row[4].as<double>(), row[5].as<double>()};
  if (!row[6].is_null()) l.radius_km = row[6].as<double>();
  l.charge_point_id = optional_text(row[7]);
  l.connector_id = optional_int(row[8]);
  l.matched_kind = optional_text(row[9]);
  l.matched_value = optional_text(row[10]);
  l.engaged_without_hold = row[11].as<bool>();
  l.engaged_at = optional_time(row[12]);
  if (!row[13].is_null()) l.release_command_id = row[13].as<std::int64_t>();
  l.release_error = optional_text(row[14]);
  l.created_at = from_micros(row[15].as<std::int64_t>());
  l.updated_at = from_micros(row[16].as<std::int64_t>());
  l.expires_at = from_micros(row[17].as<std::int64_t>());
  l.expiry_warned_at = optional_time(row[18]);
  l.case_reference = optional_text(row[19]);
  return l;
}

const char* const kPileColumns =
    " p.lock_id, p.charge_point_id, p.status, p.command_id, p.unlock_command_id, p.detail,"
    " ts_to_micros(p.updated_at), c.status, c.response, c.error_code, p.attempts,"
    " ts_to_micros(p.retry_at), u.status, u.response, u.error_code,"
    " cp.connected_node IS NOT NULL ";
// The pile rows $2 of lock $1, locked in charge point order (as every writer
// of several pile rows locks them: two cannot deadlock). A statement starting
// with it must reference `ordered` (e.g. `WHERE (SELECT count(*) FROM
// ordered) >= 0`): an unreferenced CTE is not run.
constexpr const char* kPilesLockedInOrder =
    "WITH ordered AS (SELECT 1 FROM vehicle_lock_piles o WHERE o.lock_id = $1"
    " AND o.charge_point_id = ANY($2::text[]) ORDER BY o.charge_point_id FOR UPDATE)";

// Whether the pile `cp` may get a fan-out's command as sent by the node in
// parameter `node` (LockDelivery::claiming_node; NULL: never): connected
// to it, its boot accepted, none of its commands queued (they go first)
// or sent (one CALL at a time). The probes go through the partial indexes
// on queued and on sent rows.
std::string claimable_here(const std::string& node) {
  return "(" + node + "::text IS NOT NULL AND cp.connected_node = " + node +
         " AND cp.registration_status = 'Accepted' AND cp.last_boot_at IS NOT NULL"
         " AND NOT EXISTS (SELECT 1 FROM commands q WHERE q.charge_point_id = cp.id"
         " AND q.status = 'queued') AND NOT EXISTS (SELECT 1 FROM commands s"
         " WHERE s.charge_point_id = cp.id AND s.status = 'sent'))";
}

// One row of a fan-out statement (pile, command id, claimed, hashed
// payload) into `out`; a queued command's id into `ids` for the wake-up.
void collect(const pqxx::row& row, core::LockDeliveryResult& out,
             std::optional<core::CommandIdRange>& ids) {
  const auto id = row[1].as<std::int64_t>();
  out.charge_point_ids.push_back(row[0].as<std::string>());
  if (row[2].as<bool>())
    out.claimed.push_back({out.charge_point_ids.back(), id, row[3].as<bool>()});
  else
    ids = core::covering(ids, {id, id});
}

// The pile rows with their commands' outcomes and whether the pile is online.
const char* const kPileFrom =
    " FROM vehicle_lock_piles p LEFT JOIN commands c ON c.id = p.command_id"
    " LEFT JOIN commands u ON u.id = p.unlock_command_id"
    " LEFT JOIN charge_points cp ON cp.id = p.charge_point_id ";

// The rows lock_rules::next_step() certainly leaves alone, read from the
// row and its commands (kPileFrom's c and u): a LockVehicle still queued or
// sent (nothing derives from it yet), a pile armed by its LockVehicle's
// Accepted, or, with an UnlockVehicle in flight, a LockVehicle that gave no
// definitive answer. Anything unsure (a missing command, an answer in
// another form than the dispatcher's compact JSON) counts as unsettled: the
// sweep then reads that row as it read every row before.
constexpr const char* kPileSettled =
    "coalesce((p.unlock_command_id IS NULL OR u.status IN ('queued', 'sent')) AND ("
    " c.status IN ('queued', 'sent')"
    " OR (p.status = 'armed' AND p.detail = 'Accepted' AND c.status = 'completed'"
    "     AND (c.response = '{\"status\":\"Accepted\"}'"
    "          OR c.response LIKE '{\"status\":\"Accepted\",%'))"
    " OR (p.unlock_command_id IS NOT NULL AND (c.status IS NULL"
    "     OR c.status NOT IN ('completed', 'failed')"
    "     OR (c.status = 'failed' AND c.error_code IS DISTINCT FROM 'NotImplemented'"
    "         AND c.error_code IS DISTINCT FROM 'NotSupported')))), false)";

core::LockPile read_pile(const pqxx::row& row) {
  core::LockPile p;
  p.lock_id = row[0].as<std::string>();
  p.charge_point_id = row[1].as<std::string>();
  p.status = pile_status_of(row[2]);
  if (!row[3].is_null()) p.command_id = row[3].as<std::int64_t>();
  if (!row[4].is_null()) p.unlock_command_id = row[4].as<std::int64_t>();
  p.detail = optional_text(row[5]);
  p.updated_at = from_micros(row[6].as<std::int64_t>());
  p.command_status = command_status_of(row[7]);
  p.command_response_json = optional_text(row[8]);
  p.command_error_code = optional_text(row[9]);
  p.attempts = row[10].as<int>();
  p.retry_at = optional_time(row[11]);
  p.unlock_status = command_status_of(row[12]);
  p.unlock_response_json = optional_text(row[13]);
  p.unlock_error_code = optional_text(row[14]);
  p.online = !row[15].is_null() && row[15].as<bool>();
  return p;
}

const char* const kSightingColumns =
    " id, lock_id, charge_point_id, connector_id, ts_to_micros(at), source, matched_kind,"
    " matched_value, held, transaction_id, latitude, longitude ";

core::Sighting read_sighting(const pqxx::row& row) {
  core::Sighting s;
  s.id = row[0].as<std::int64_t>();
  s.lock_id = row[1].as<std::string>();
  s.charge_point_id = row[2].as<std::string>();
  s.connector_id = optional_int(row[3]);
  s.at = from_micros(row[4].as<std::int64_t>());
  s.source = row[5].as<std::string>();
  s.matched_kind = optional_text(row[6]);
  s.matched_value = optional_text(row[7]);
  s.held = row[8].as<bool>();
  s.transaction_id = optional_int(row[9]);
  if (!row[10].is_null() && !row[11].is_null())
    s.location = core::GeoLocation{row[10].as<double>(), row[11].as<double>()};
  return s;
}

core::LockTransition read_transition(const pqxx::row& row) {
  core::LockTransition t;
  t.id = row[0].as<std::int64_t>();
  t.lock_id = row[1].as<std::string>();
  t.at = from_micros(row[2].as<std::int64_t>());
  if (!row[3].is_null()) t.from_status = lock_status_of(row[3]);
  t.to_status = lock_status_of(row[4]);
  t.cause = row[5].as<std::string>();
  return t;
}

// LockStore::summary()'s one statement: a row per part (column 0: 1 the
// lock, 2 a pile count, 3 a transition, 4 a sighting; column 1 orders a
// part's rows), each part's columns at offsets of their own, NULL
// elsewhere. The NULLs are typed: UNION ALL resolves types branch by
// branch, and two untyped NULLs would make a column text.
namespace summary_sql {
// Column types of each part, in kColumns' / the count's / the trail's /
// kSightingColumns' order.
const std::vector<const char*> kLockTypes{
    "text", "text", "bigint", "text",   "float8", "float8", "float8", "text",   "integer", "text",
    "text", "bool", "bigint", "bigint", "text",   "bigint", "bigint", "bigint", "bigint",  "text"};
const std::vector<const char*> kCountTypes{"text", "bool", "integer"};
const std::vector<const char*> kTransitionTypes{"bigint", "text", "bigint", "text", "text", "text"};
const std::vector<const char*> kSightingTypes{"bigint", "text",    "text",   "integer",
                                              "bigint", "text",    "text",   "text",
                                              "bool",   "integer", "float8", "float8"};
using Column = pqxx::row::size_type;
constexpr Column kLock = 2;  // first column of each part
constexpr Column kCount = kLock + 20;
constexpr Column kTransition = kCount + 3;
constexpr Column kSighting = kTransition + 6;
constexpr Column kEnd = kSighting + 12;

std::string nulls(const std::vector<const char*>& types) {
  std::string out;
  for (const char* type : types) out += std::string(", NULL::") + type;
  return out;
}

// A lock's pile counts, one rule for the summary and pile_counts(): rows
// `select` status, online, count `after`. `lock_id` is an SQL expression;
// the statement has a CTE `target` holding the lock's row (its status).
// The kept counts (migration 0019), except for an ended lock's armed and
// pending piles: those are counted from the rows, joined with
// charge_points for whether each is online (pendingOffline).
std::string pile_count_parts(const std::string& select, const std::string& after,
                             const std::string& lock_id) {
  const std::string ended =
      "coalesce((SELECT status FROM target) NOT IN ('requested', 'armed', 'engaged'), false)";
  return select + " k.status, false, sum(k.piles)::integer" + after +
         " FROM vehicle_lock_pile_counts k WHERE k.lock_id = " + lock_id + " AND NOT (" + ended +
         " AND k.status IN ('armed', 'pending')) GROUP BY k.status HAVING sum(k.piles) <> 0" +
         " UNION ALL " + select + " p.status, cp.connected_node IS NOT NULL, count(*)::integer" +
         after +
         " FROM vehicle_lock_piles p LEFT JOIN charge_points cp ON cp.id = p.charge_point_id"
         " WHERE p.lock_id = " +
         lock_id + " AND " + ended +
         " AND p.status IN ('armed', 'pending') GROUP BY p.status, cp.connected_node IS NOT NULL";
}

// The lock, its pile counts, trail and sightings; `which` selects the lock
// (alias l), e.g. "l.id = $1". The counts were the costly part (a lock
// spans every pile: counting 10,000 rows cost 2-3 ms a read quiet); they
// are kept now, see pile_count_parts().
std::string statement(const std::string& which) {
  const std::string lock_id = "(SELECT id FROM target)";
  return std::string("WITH target AS MATERIALIZED (SELECT") + kColumns +
         "FROM vehicle_locks l WHERE " + which + ") SELECT 1, 0::bigint, target.*" +
         nulls(kCountTypes) + nulls(kTransitionTypes) + nulls(kSightingTypes) + " FROM target" +
         " UNION ALL " +
         pile_count_parts(std::string("SELECT 2, 0") + nulls(kLockTypes) + ",",
                          nulls(kTransitionTypes) + nulls(kSightingTypes), lock_id) +
         " UNION ALL SELECT 3, id" + nulls(kLockTypes) + nulls(kCountTypes) +
         ", id, lock_id, ts_to_micros(at), from_status, to_status, cause" + nulls(kSightingTypes) +
         " FROM vehicle_lock_transitions WHERE lock_id = " + lock_id + " UNION ALL SELECT 4, id" +
         nulls(kLockTypes) + nulls(kCountTypes) + nulls(kTransitionTypes) + "," + kSightingColumns +
         "FROM vehicle_lock_sightings WHERE lock_id = " + lock_id + " ORDER BY 1, 2";
}

std::optional<core::LockSummary> read(const pqxx::result& result) {
  if (result.empty()) return std::nullopt;  // no lock: no part has rows
  core::LockSummary out;
  for (const auto& row : result) {
    switch (row[0].as<int>()) {
      case 1:
        out.lock = read_lock(row.slice(kLock, kCount));
        break;
      case 2:
        out.pile_counts.push_back({pile_status_of(row[kCount]),
                                   !row[kCount + 1].is_null() && row[kCount + 1].as<bool>(),
                                   row[kCount + 2].as<int>()});
        break;
      case 3:
        out.transitions.push_back(read_transition(row.slice(kTransition, kSighting)));
        break;
      default:
        out.sightings.push_back(read_sighting(row.slice(kSighting, kEnd)));
    }
  }
  return out;
}
}  // namespace summary_sql

std::optional<std::string> id_text(const std::optional<std::int64_t>& id) {
  return id ? std::optional<std::string>(std::to_string(*id)) : std::nullopt;
}

std::vector<core::LockRecord> read_locks(const pqxx::result& result) {
  std::vector<core::LockRecord> out;
  for (const auto& row : result) out.push_back(read_lock(row));
  return out;
}

std::string select_locks(const std::string& where) {
  return std::string("SELECT") + kColumns + "FROM vehicle_locks l WHERE " + where;
}

class PgLockStore final : public core::LockStore {
 public:
  explicit PgLockStore(Scope db) : db_(db) {}

  Created create(const core::NewLock& lock) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      // Serialises lock requests of one vehicle (and checks it exists).
      if (txn.exec_params("SELECT 1 FROM vehicles WHERE vin = $1 FOR UPDATE", lock.vin).empty())
        throw core::RowNotFoundError("no vehicle " + lock.vin);
      const auto existing =
          txn.exec_params(select_locks("l.vin = $1 AND" + std::string(kActive)), lock.vin);
      if (!existing.empty()) return Created{read_lock(existing[0]), false};
      std::optional<double> lat, lon;
      if (lock.center) {
        lat = lock.center->latitude;
        lon = lock.center->longitude;
      }
      txn.exec_params(
          "INSERT INTO vehicle_locks (id, vin, owner_id, status, scope, center_latitude,"
          " center_longitude, radius_km, expires_at, case_reference)"
          " VALUES ($1, $2, $3, 'requested', $4, $5, $6, $7, micros_to_ts($8), $9)",
          lock.id, lock.vin, lock.owner_id, lock.radius_km ? "radius" : "all", lat, lon,
          lock.radius_km, to_micros(lock.expires_at), lock.case_reference);
      txn.exec_params(
          "INSERT INTO vehicle_lock_transitions (lock_id, from_status, to_status, cause)"
          " VALUES ($1, NULL, 'requested', $2)",
          lock.id, lock.cause);
      return Created{read_lock(txn.exec_params1(select_locks("l.id = $1"), lock.id)), true};
    });
  }

  std::optional<core::LockRecord> find(const std::string& id) override {
    return one(select_locks("l.id = $1"), id);
  }

  std::optional<core::LockRecord> active_for_vehicle(const std::string& vin) override {
    return one(select_locks("l.vin = $1 AND" + std::string(kActive)), vin);
  }

  std::optional<core::LockRecord> active_for_identifier(
      const core::IdentifierProbe& probe) override {
    return db_.transact([&](pqxx::dbtransaction& txn) -> std::optional<core::LockRecord> {
      const auto result = txn.exec_params(
          select_locks(std::string(kActive) +
                       "AND (l.vin = $3 OR EXISTS (SELECT 1 FROM vehicle_identifiers i"
                       " WHERE i.vin = l.vin AND i.owner_id = l.owner_id AND"
                       " ((i.kind = 'idTag' AND i.value = $1) OR"
                       " (i.kind = 'evccId' AND i.match_key = $2))))"
                       " ORDER BY l.created_at LIMIT 1"),
          probe.id_tag, probe.evcc_key, probe.vin);
      if (result.empty()) return std::nullopt;
      return read_lock(result[0]);
    });
  }

  std::vector<core::LockRecord> list(const core::LockFilter& filter) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      return read_locks(txn.exec_params(
          select_locks("($1::text IS NULL OR l.status = $1) AND ($2::text IS NULL OR"
                       " l.charge_point_id = $2 OR EXISTS (SELECT 1 FROM vehicle_lock_sightings s"
                       " WHERE s.lock_id = l.id AND s.charge_point_id = $2) OR EXISTS (SELECT 1"
                       " FROM vehicle_lock_piles p WHERE p.lock_id = l.id"
                       " AND p.charge_point_id = $2))"
                       " ORDER BY l.created_at DESC, l.id LIMIT $3"),
          core::text_of(filter.status), filter.charge_point_id, std::max(filter.limit, 0)));
    });
  }

  int requested_since(const std::string& vin, core::Timestamp since) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      return txn
          .exec_params1(
              "SELECT count(*)::integer FROM vehicle_locks WHERE vin = $1"
              " AND created_at >= micros_to_ts($2)",
              vin, to_micros(since))[0]
          .as<int>();
    });
  }

  std::vector<core::LockRecord> expiring_before(core::Timestamp before) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      return read_locks(
          txn.exec_params(select_locks(std::string(kActive) + "AND l.expires_at < micros_to_ts($1)"
                                                              " ORDER BY l.expires_at"),
                          to_micros(before)));
    });
  }

  std::vector<core::LockRecord> list_active() override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      return read_locks(txn.exec(select_locks(std::string(kActive) + "ORDER BY l.created_at")));
    });
  }

  std::vector<core::LockRecord> list_for_owner(std::int64_t owner_id) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      return read_locks(txn.exec_params(
          select_locks("l.owner_id = $1 ORDER BY l.created_at DESC, l.id"), owner_id));
    });
  }

  std::vector<core::LockRecord> engaged_at(const std::string& charge_point_id) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      return read_locks(txn.exec_params(
          select_locks("l.status = 'engaged' AND l.charge_point_id = $1"), charge_point_id));
    });
  }

  std::optional<core::LockRecord> update(const core::LockUpdate& u) override {
    return db_.transact([&](pqxx::dbtransaction& txn) -> std::optional<core::LockRecord> {
      const auto current =
          txn.exec_params("SELECT status FROM vehicle_locks WHERE id = $1 FOR UPDATE", u.lock_id);
      if (current.empty()) return std::nullopt;
      const core::LockStatus from = lock_status_of(current[0][0]);
      if (!u.from.empty() && std::find(u.from.begin(), u.from.end(), from) == u.from.end())
        return std::nullopt;
      std::optional<std::int64_t> at = to_micros(u.at);
      txn.exec_params(
          "UPDATE vehicle_locks SET status = coalesce($2, status),"
          " charge_point_id = coalesce($3, charge_point_id),"
          " connector_id = CASE WHEN $4 THEN NULL ELSE coalesce($5, connector_id) END,"
          " matched_kind = coalesce($6, matched_kind),"
          " matched_value = coalesce($7, matched_value),"
          " engaged_without_hold = coalesce($8, engaged_without_hold),"
          " engaged_at = coalesce(micros_to_ts($9), engaged_at),"
          " release_command_id = coalesce($10, release_command_id),"
          " release_error = CASE WHEN $11 THEN NULL ELSE coalesce($12, release_error) END,"
          " updated_at = coalesce(micros_to_ts($13), now()),"
          " expires_at = coalesce(micros_to_ts($14), expires_at),"
          " expiry_warned_at = CASE WHEN $14 IS NOT NULL AND $15::bigint IS NULL THEN NULL"
          " ELSE coalesce(micros_to_ts($15), expiry_warned_at) END,"
          " case_reference = coalesce($16, case_reference) WHERE id = $1",
          u.lock_id, core::text_of(u.to), u.charge_point_id, u.clear_connector_id, u.connector_id,
          u.matched_kind, u.matched_value, u.engaged_without_hold, to_micros(u.engaged_at),
          u.release_command_id, u.clear_release_error, u.release_error, at, to_micros(u.expires_at),
          to_micros(u.expiry_warned_at), u.case_reference);
      if (u.to)
        txn.exec_params(
            "INSERT INTO vehicle_lock_transitions (lock_id, at, from_status, to_status, cause)"
            " VALUES ($1, coalesce(micros_to_ts($2), now()), $3, $4, $5)",
            u.lock_id, at, core::to_string(from), core::to_string(*u.to), u.cause);
      return read_lock(txn.exec_params1(select_locks("l.id = $1"), u.lock_id));
    });
  }

  void put_pile(const core::LockPile& p) override { put_piles({p}); }

  void put_piles(const std::vector<core::LockPile>& piles) override {
    static const std::vector<std::string> columns{"{}",         "{}",         "{}",
                                                  "{}::bigint", "{}::bigint", "{}"};
    db_.transact([&](pqxx::dbtransaction& txn) {
      exec_rows(txn,
                "INSERT INTO vehicle_lock_piles (lock_id, charge_point_id, status, command_id,"
                " unlock_command_id, detail) VALUES ",
                columns,
                " ON CONFLICT (lock_id, charge_point_id) DO UPDATE SET status = excluded.status,"
                " command_id = excluded.command_id, unlock_command_id = excluded.unlock_command_id,"
                " detail = excluded.detail, updated_at = now()",
                piles.size(), [&](std::size_t i, TextParams& params) {
                  const core::LockPile& p = piles[i];
                  params.push_back(p.lock_id);
                  params.push_back(p.charge_point_id);
                  params.push_back(core::to_string(p.status));
                  params.push_back(id_text(p.command_id));
                  params.push_back(id_text(p.unlock_command_id));
                  params.push_back(p.detail);
                });
    });
  }

  // The reads below are one statement each: one round trip, without
  // BEGIN/COMMIT (Scope::read), prepared; inside a batch, its transaction.
  std::vector<core::LockPile> piles(const std::string& lock_id) override {
    return db_.read([&](pqxx::transaction_base& txn) {
      std::vector<core::LockPile> out;
      for (const auto& row : exec_hot(txn,
                                      std::string("SELECT") + kPileColumns + kPileFrom +
                                          "WHERE p.lock_id = $1 ORDER BY p.charge_point_id",
                                      lock_id))
        out.push_back(read_pile(row));
      return out;
    });
  }

  std::vector<core::LockPile> piles_unsettled(const std::string& lock_id) override {
    return db_.read([&](pqxx::transaction_base& txn) {
      std::vector<core::LockPile> out;
      for (const auto& row :
           exec_hot(txn,
                    std::string("SELECT") + kPileColumns + kPileFrom +
                        "WHERE p.lock_id = $1 AND p.status IN ('pending', 'armed') AND NOT " +
                        kPileSettled + " ORDER BY p.charge_point_id",
                    lock_id))
        out.push_back(read_pile(row));
      return out;
    });
  }

  std::vector<core::LockPile> piles_page(const std::string& lock_id,
                                         const std::optional<core::PileStatus>& status,
                                         const std::string& after, int limit) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      std::vector<core::LockPile> out;
      for (const auto& row :
           txn.exec_params(std::string("SELECT") + kPileColumns + kPileFrom +
                               "WHERE p.lock_id = $1"
                               " AND ($2::text IS NULL OR p.status = $2) AND p.charge_point_id > $3"
                               " ORDER BY p.charge_point_id LIMIT $4",
                           lock_id, core::text_of(status), after, std::max(limit, 0)))
        out.push_back(read_pile(row));
      return out;
    });
  }

  std::vector<core::LockPileCount> pile_counts(const std::string& lock_id) override {
    return db_.read([&](pqxx::transaction_base& txn) {
      std::vector<core::LockPileCount> out;
      for (const auto& row :
           exec_hot(txn,
                    "WITH target AS (SELECT status FROM vehicle_locks WHERE id = $1) " +
                        summary_sql::pile_count_parts("SELECT", "", "$1") + " ORDER BY 1, 2",
                    lock_id))
        out.push_back(
            {pile_status_of(row[0]), !row[1].is_null() && row[1].as<bool>(), row[2].as<int>()});
      return out;
    });
  }

  int compact_pile_counts() override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      // A row another transaction folds meanwhile waits for it and is then
      // skipped (deleted); rows not yet committed are not seen: each delta
      // is folded once.
      return static_cast<int>(
          exec_hot(txn,
                   "WITH many AS (SELECT lock_id FROM vehicle_lock_pile_counts GROUP BY lock_id"
                   " HAVING count(*) > 8), folded AS (DELETE FROM vehicle_lock_pile_counts k"
                   " USING many WHERE k.lock_id = many.lock_id"
                   " RETURNING k.lock_id, k.status, k.piles)"
                   " INSERT INTO vehicle_lock_pile_counts (lock_id, status, piles)"
                   " SELECT lock_id, status, sum(piles) FROM folded GROUP BY lock_id, status"
                   " HAVING sum(piles) <> 0 RETURNING 1")
              .size());
    });
  }

  void hold(const std::string& lock_id, bool exclusive) override {
    db_.transact([&](pqxx::dbtransaction& txn) {
      exec_hot(txn,
               exclusive ? "SELECT 1 FROM vehicle_locks WHERE id = $1 FOR UPDATE"
                         : "SELECT 1 FROM vehicle_locks WHERE id = $1 FOR SHARE",
               lock_id);
    });
  }

  std::vector<std::string> add_piles(const std::vector<core::LockPile>& piles) override {
    static const std::vector<std::string> columns{"{}", "{}", "{}", "{}::bigint"};
    std::vector<std::string> inserted;
    db_.transact([&](pqxx::dbtransaction& txn) {
      inserted.clear();
      exec_rows(
          txn,
          "INSERT INTO vehicle_lock_piles (lock_id, charge_point_id, status, command_id) VALUES ",
          columns, " ON CONFLICT (lock_id, charge_point_id) DO NOTHING RETURNING charge_point_id",
          piles.size(),
          [&](std::size_t i, TextParams& params) {
            params.push_back(piles[i].lock_id);
            params.push_back(piles[i].charge_point_id);
            params.push_back(core::to_string(piles[i].status));
            params.push_back(id_text(piles[i].command_id));
          },
          [&](const pqxx::result& rows) {
            for (const auto& row : rows) inserted.push_back(row[0].as<std::string>());
          });
    });
    return inserted;
  }

  core::LockDeliveryResult queue_lock_vehicle(const core::LockDelivery& d) override {
    if (d.charge_point_ids.empty()) return {};
    return db_.transact([&](pqxx::dbtransaction& txn) {
      // One statement for thousands of piles: the payload travels once, the
      // piles that declared hashed matching are found by the join, and
      // piles removed meanwhile or armed before (a boot) are left out. The
      // claiming node's idle piles get it sent (a claim that lost a race,
      // ON CONFLICT on the one-sent-per-pile index, falls back to queued);
      // the others queued. NOT IN over the CTEs: a hashed subplan whatever
      // the row estimates (see queue_unlock_vehicle on joins of CTEs).
      core::LockDeliveryResult out;
      std::optional<core::CommandIdRange> ids;
      for (const auto& row : exec_hot(
               txn,
               "WITH targets AS (SELECT cp.id, coalesce(cap.hashed_matching, false) AS hashed, " +
                   claimable_here("$8") +
                   " AS claim"
                   " FROM unnest($2::text[]) AS t(id) JOIN charge_points cp ON cp.id = t.id"
                   " LEFT JOIN charge_point_lock_capabilities cap ON cap.charge_point_id = cp.id"
                   " WHERE NOT EXISTS (SELECT 1 FROM vehicle_lock_piles p WHERE p.lock_id = $1"
                   " AND p.charge_point_id = cp.id) ORDER BY cp.id),"
                   " claimed AS (INSERT INTO commands (charge_point_id, action, payload, origin,"
                   " expires_at, status, sent_at, claimed_by) SELECT id, $3,"
                   " CASE WHEN hashed THEN coalesce($5, $4) ELSE $4 END, $6, micros_to_ts($7),"
                   " 'sent', now(), $8 FROM targets WHERE claim ON CONFLICT DO NOTHING"
                   " RETURNING id, charge_point_id),"
                   " queued AS (INSERT INTO commands (charge_point_id, action, payload, origin,"
                   " expires_at) SELECT id, $3, CASE WHEN hashed THEN coalesce($5, $4) ELSE $4 END,"
                   " $6, micros_to_ts($7) FROM targets"
                   " WHERE id NOT IN (SELECT charge_point_id FROM claimed)"
                   " RETURNING id, charge_point_id),"
                   " piles AS (INSERT INTO vehicle_lock_piles (lock_id, charge_point_id, status,"
                   " command_id) SELECT $1, charge_point_id, 'pending', id FROM queued"
                   " UNION ALL SELECT $1, charge_point_id, 'pending', id FROM claimed"
                   " ON CONFLICT (lock_id, charge_point_id) DO NOTHING"
                   " RETURNING charge_point_id, command_id)"
                   " SELECT charge_point_id, command_id,"
                   " command_id IN (SELECT id FROM claimed),"
                   " charge_point_id IN (SELECT id FROM targets WHERE hashed) FROM piles",
               d.lock_id, text_array(d.charge_point_ids), d.action, d.payload_json,
               d.hashed_payload_json, d.origin, to_micros(d.expires_at), d.claiming_node))
        collect(row, out, ids);
      notify_batch(txn, ids);
      return out;
    });
  }

  core::LockDeliveryResult queue_unlock_vehicle(const core::LockDelivery& d) override {
    if (d.charge_point_ids.empty()) return {};
    return db_.transact([&](pqxx::dbtransaction& txn) {
      // The rows are locked (in charge point order, as change_piles locks
      // them) before the condition is read, so an answer recorded meanwhile
      // is seen and no pile gets two UnlockVehicle or one it does not need.
      // The pile rows take their command ids from the sequence and the
      // commands are inserted from what the UPDATE returns: no join between
      // the piles and the new commands. The join (UPDATE ... FROM the
      // INSERT's RETURNING) was planned on statistics taken before the lock's
      // 10,000 pile rows existed, both sides estimated at one row, and ran as
      // a nested loop rescanning one side per row of the other: 10-28 s of CPU
      // for one release (pg_stat_activity: active, no wait event). The foreign
      // key from the piles to the commands is checked at the statement's end,
      // when both exist. The claiming node's idle piles get it sent, as in
      // queue_lock_vehicle (charge_points joined by its key).
      core::LockDeliveryResult out;
      std::optional<core::CommandIdRange> ids;
      for (const auto& row : exec_hot(
               txn,
               std::string(kPilesLockedInOrder) +
                   ","
                   " todo AS (UPDATE vehicle_lock_piles p"
                   " SET unlock_command_id = nextval('commands_id_seq'),"
                   " retry_at = NULL, attempts = 0, updated_at = now()"
                   " WHERE (SELECT count(*) FROM ordered) >= 0"
                   " AND p.lock_id = $1 AND p.charge_point_id = ANY($2::text[])"
                   " AND p.status IN ('pending', 'armed') AND p.unlock_command_id IS NULL"
                   " RETURNING p.charge_point_id, p.unlock_command_id),"
                   " targets AS (SELECT todo.charge_point_id, todo.unlock_command_id AS id, " +
                   claimable_here("$7") +
                   " AS claim FROM todo LEFT JOIN charge_points cp"
                   " ON cp.id = todo.charge_point_id),"
                   " claimed AS (INSERT INTO commands (id, charge_point_id, action, payload, "
                   "origin,"
                   " expires_at, status, sent_at, claimed_by) SELECT id, charge_point_id, $3, $4,"
                   " $5, micros_to_ts($6), 'sent', now(), $7 FROM targets WHERE claim"
                   " ON CONFLICT DO NOTHING RETURNING charge_point_id, id),"
                   " queued AS (INSERT INTO commands (id, charge_point_id, action, payload, origin,"
                   " expires_at) SELECT id, charge_point_id, $3, $4, $5, micros_to_ts($6)"
                   " FROM targets WHERE id NOT IN (SELECT id FROM claimed)"
                   " ORDER BY charge_point_id RETURNING charge_point_id, id)"
                   " SELECT charge_point_id, id, false, false FROM queued"
                   " UNION ALL SELECT charge_point_id, id, true, false FROM claimed",
               d.lock_id, text_array(d.charge_point_ids), d.action, d.payload_json, d.origin,
               to_micros(d.expires_at), d.claiming_node))
        collect(row, out, ids);
      if (out.charge_point_ids.size() == 1 && out.claimed.empty())
        txn.exec_params("SELECT pg_notify($1, $2)", std::string(kCommandChannel),
                        out.charge_point_ids[0]);
      else
        notify_batch(txn, ids);
      return out;
    });
  }

  std::vector<std::string> change_piles(const std::string& lock_id,
                                        const std::vector<core::LockPileChange>& changes) override {
    if (changes.empty()) return {};
    std::vector<std::string> piles, statuses, expected_statuses;
    std::vector<std::optional<std::string>> commands, unlocks, details, retries, expected_commands,
        expected_unlocks;
    std::vector<std::string> attempts;
    for (const core::LockPileChange& c : changes) {
      piles.push_back(c.next.charge_point_id);
      statuses.push_back(core::to_string(c.next.status));
      commands.push_back(id_text(c.next.command_id));
      unlocks.push_back(id_text(c.next.unlock_command_id));
      details.push_back(c.next.detail);
      attempts.push_back(std::to_string(c.next.attempts));
      retries.push_back(
          c.next.retry_at ? std::optional<std::string>(std::to_string(to_micros(*c.next.retry_at)))
                          : std::nullopt);
      expected_statuses.push_back(core::to_string(c.expected_status));
      expected_commands.push_back(id_text(c.expected_command_id));
      expected_unlocks.push_back(id_text(c.expected_unlock_command_id));
    }
    return db_.transact([&](pqxx::dbtransaction& txn) {
      std::vector<std::string> changed;
      for (const auto& row : exec_hot(
               txn,
               std::string(kPilesLockedInOrder) +
                   " UPDATE vehicle_lock_piles p SET status = v.status, command_id = v.command,"
                   " unlock_command_id = v.unlock, detail = v.detail, attempts = v.attempts,"
                   " retry_at = micros_to_ts(v.retry), updated_at = now()"
                   " FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[],"
                   " $7::integer[], $8::bigint[], $9::text[], $10::bigint[], $11::bigint[])"
                   " AS v(pile, status, command, unlock, detail, attempts, retry, was, was_command,"
                   " was_unlock)"
                   // Referenced, so the rows are locked (in charge point order: a
                   // sweep and a batch of answers cannot deadlock) before any is
                   // updated.
                   " WHERE (SELECT count(*) FROM ordered) >= 0"
                   " AND p.lock_id = $1 AND p.charge_point_id = v.pile AND p.status = v.was"
                   " AND p.command_id IS NOT DISTINCT FROM v.was_command"
                   " AND p.unlock_command_id IS NOT DISTINCT FROM v.was_unlock"
                   " RETURNING p.charge_point_id",
               lock_id, text_array(piles), text_array(statuses), text_array(commands),
               text_array(unlocks), text_array(details), text_array(attempts), text_array(retries),
               text_array(expected_statuses), text_array(expected_commands),
               text_array(expected_unlocks)))
        changed.push_back(row[0].as<std::string>());
      return changed;
    });
  }

  std::vector<core::LockPile> piles_of(const std::string& lock_id,
                                       const std::vector<std::string>& charge_point_ids) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      std::vector<core::LockPile> out;
      for (const auto& row :
           exec_hot(txn,
                    std::string("SELECT") + kPileColumns + kPileFrom +
                        "WHERE p.lock_id = $1 AND p.charge_point_id = ANY($2::text[])",
                    lock_id, text_array(charge_point_ids)))
        out.push_back(read_pile(row));
      return out;
    });
  }

  std::vector<core::LockPile> piles_due(core::Timestamp now) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      std::vector<core::LockPile> out;
      for (const auto& row :
           txn.exec_params(std::string("SELECT") + kPileColumns + kPileFrom +
                               "WHERE p.retry_at IS NOT NULL AND p.retry_at <= micros_to_ts($1)"
                               " ORDER BY p.retry_at LIMIT 10000",
                           to_micros(now)))
        out.push_back(read_pile(row));
      return out;
    });
  }

  std::optional<core::LockPile> pile(const std::string& lock_id,
                                     const std::string& charge_point_id) override {
    return db_.transact([&](pqxx::dbtransaction& txn) -> std::optional<core::LockPile> {
      const auto result = txn.exec_params(std::string("SELECT") + kPileColumns + kPileFrom +
                                              "WHERE p.lock_id = $1 AND p.charge_point_id = $2",
                                          lock_id, charge_point_id);
      if (result.empty()) return std::nullopt;
      return read_pile(result[0]);
    });
  }

  std::vector<core::LockTransition> transitions(const std::string& lock_id) override {
    return db_.read([&](pqxx::transaction_base& txn) {
      std::vector<core::LockTransition> out;
      for (const auto& row :
           exec_hot(txn,
                    "SELECT id, lock_id, ts_to_micros(at), from_status, to_status, cause"
                    " FROM vehicle_lock_transitions WHERE lock_id = $1 ORDER BY id",
                    lock_id))
        out.push_back(read_transition(row));
      return out;
    });
  }

  std::optional<core::LockSummary> summary(const std::string& lock_id) override {
    static const std::string sql = summary_sql::statement("l.id = $1");
    return db_.read([&](pqxx::transaction_base& txn) {
      return summary_sql::read(exec_hot(txn, sql, lock_id));
    });
  }

  std::optional<core::LockSummary> active_summary_for_vehicle(const std::string& vin) override {
    static const std::string sql = summary_sql::statement("l.vin = $1 AND" + std::string(kActive));
    return db_.read(
        [&](pqxx::transaction_base& txn) { return summary_sql::read(exec_hot(txn, sql, vin)); });
  }

  void set_hashed_matching(const std::string& charge_point_id, bool supported) override {
    db_.transact([&](pqxx::dbtransaction& txn) {
      txn.exec_params(
          "INSERT INTO charge_point_lock_capabilities (charge_point_id, hashed_matching)"
          " VALUES ($1, $2) ON CONFLICT (charge_point_id) DO UPDATE SET"
          " hashed_matching = excluded.hashed_matching, reported_at = now()",
          charge_point_id, supported);
    });
  }

  std::vector<std::string> hashed_matching_piles() override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      std::vector<std::string> out;
      for (const auto& row : txn.exec("SELECT charge_point_id FROM charge_point_lock_capabilities"
                                      " WHERE hashed_matching ORDER BY charge_point_id"))
        out.push_back(row[0].as<std::string>());
      return out;
    });
  }

  bool hashed_matching(const std::string& charge_point_id) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      return !txn.exec_params(
                     "SELECT 1 FROM charge_point_lock_capabilities"
                     " WHERE charge_point_id = $1 AND hashed_matching",
                     charge_point_id)
                  .empty();
    });
  }

  core::Sighting add_sighting(const core::NewSighting& n) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      return read_sighting(txn.exec_params1(
          "INSERT INTO vehicle_lock_sightings (lock_id, charge_point_id, connector_id, source,"
          " matched_kind, matched_value, held, transaction_id, latitude, longitude)"
          " SELECT $1, $2, $3, $4, $5, $6, $7, $8, cp.latitude, cp.longitude"
          " FROM (SELECT 1) one LEFT JOIN charge_points cp ON cp.id = $2 RETURNING" +
              std::string(kSightingColumns),
          n.lock_id, n.charge_point_id, n.connector_id, n.source, n.matched_kind, n.matched_value,
          n.held, n.transaction_id));
    });
  }

  std::vector<core::Sighting> sightings(const std::string& lock_id) override {
    return db_.read([&](pqxx::transaction_base& txn) {
      std::vector<core::Sighting> out;
      for (const auto& row :
           exec_hot(txn,
                    std::string("SELECT") + kSightingColumns +
                        "FROM vehicle_lock_sightings WHERE lock_id = $1 ORDER BY id",
                    lock_id))
        out.push_back(read_sighting(row));
      return out;
    });
  }

 private:
  std::optional<core::LockRecord> one(const std::string& sql, const std::string& param) {
    return db_.read([&](pqxx::transaction_base& txn) -> std::optional<core::LockRecord> {
      const auto result = exec_hot(txn, sql, param);
      if (result.empty()) return std::nullopt;
      return read_lock(result[0]);
    });
  }

  Scope db_;
};

}  // namespace

std::unique_ptr<core::LockStore> make_lock_store(Scope db) {
  return std::make_unique<PgLockStore>(db);
}

}  // namespace chargelock::storage::postgres
