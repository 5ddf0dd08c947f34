// PostgreSQL core::ChargePointStore.
#include "core/stores/charge_point_store.h"

#include <map>

#include "storage/postgres/database_impl.h"

namespace chargelock::storage::postgres {

namespace {

// An unknown text reads as Rejected: never admit a pile by a guess.
core::RegistrationStatus registration_from_text(const std::string& text) {
  return core::registration_status_from_string(text).value_or(core::RegistrationStatus::Rejected);
}

const char* const kSelect =
    "SELECT id, security_profile, password_hash, registration_status, latitude, longitude,"
    " vendor, model, charge_point_serial, charge_box_serial, firmware_version, iccid, imsi,"
    " meter_type, meter_serial, ts_to_micros(last_boot_at), online, ts_to_micros(last_seen),"
    " connected_node, ts_to_micros(created_at) FROM charge_points";

core::ChargePointRecord read_record(const pqxx::row& row) {
  core::ChargePointRecord r;
  r.id = row[0].as<std::string>();
  r.security_profile = row[1].as<int>();
  r.password_hash = optional_text(row[2]);
  r.registration_status = registration_from_text(row[3].as<std::string>());
  if (!row[4].is_null() && !row[5].is_null())
    r.location = core::GeoLocation{row[4].as<double>(), row[5].as<double>()};
  if (!row[6].is_null()) {
    core::BootInfo boot;
    boot.vendor = row[6].as<std::string>();
    boot.model = row[7].as<std::string>("");
    boot.charge_point_serial = optional_text(row[8]);
    boot.charge_box_serial = optional_text(row[9]);
    boot.firmware_version = optional_text(row[10]);
    boot.iccid = optional_text(row[11]);
    boot.imsi = optional_text(row[12]);
    boot.meter_type = optional_text(row[13]);
    boot.meter_serial = optional_text(row[14]);
    r.boot_info = std::move(boot);
  }
  r.last_boot_at = optional_time(row[15]);
  r.online = row[16].as<bool>();
  r.last_seen = optional_time(row[17]);
  r.connected_node = optional_text(row[18]);
  r.created_at = from_micros(row[19].as<std::int64_t>());
  return r;
}

class PgChargePointStore final : public core::ChargePointStore {
 public:
  explicit PgChargePointStore(Scope db) : db_(db) {}

  bool create(const core::NewChargePoint& cp) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      std::optional<double> lat, lon;
      if (cp.location) lat = cp.location->latitude, lon = cp.location->longitude;
      const auto result = txn.exec_params(
          "INSERT INTO charge_points (id, password_hash, security_profile, registration_status,"
          " latitude, longitude) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
          cp.id, cp.password_hash, cp.security_profile, core::to_string(cp.registration_status),
          lat, lon);
      return result.affected_rows() == 1;
    });
  }

  bool update(const std::string& id, const core::ChargePointChange& change) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      std::optional<double> lat, lon;
      if (change.location) lat = change.location->latitude, lon = change.location->longitude;
      std::optional<std::string> status;
      if (change.registration_status) status = core::to_string(*change.registration_status);
      // Each column keeps its value unless a new one (or a clear flag) is given.
      const auto result = txn.exec_params(
          "UPDATE charge_points SET"
          " password_hash = CASE WHEN $3 THEN NULL ELSE coalesce($2, password_hash) END,"
          " security_profile = coalesce($4, security_profile),"
          " registration_status = coalesce($5, registration_status),"
          " latitude = CASE WHEN $8 THEN NULL ELSE coalesce($6, latitude) END,"
          " longitude = CASE WHEN $8 THEN NULL ELSE coalesce($7, longitude) END,"
          " updated_at = now()"
          " WHERE id = $1",
          id, change.password_hash, change.clear_password, change.security_profile, status, lat,
          lon, change.clear_location);
      return result.affected_rows() == 1;
    });
  }

  bool remove(const std::string& id) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      return txn.exec_params("DELETE FROM charge_points WHERE id = $1", id).affected_rows() == 1;
    });
  }

  std::optional<core::ChargePointRecord> find(const std::string& id) override {
    return db_.transact([&](pqxx::dbtransaction& txn) -> std::optional<core::ChargePointRecord> {
      const auto result = txn.exec_params(std::string(kSelect) + " WHERE id = $1", id);
      if (result.empty()) return std::nullopt;
      return read_record(result[0]);
    });
  }

  std::vector<core::ChargePointRecord> find_many(const std::vector<std::string>& ids) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      std::vector<core::ChargePointRecord> records;
      for (const auto& row : txn.exec_params(
               std::string(kSelect) + " WHERE id = ANY($1::text[]) ORDER BY id", text_array(ids)))
        records.push_back(read_record(row));
      return records;
    });
  }

  std::vector<core::ChargePointRecord> list() override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      std::vector<core::ChargePointRecord> records;
      for (const auto& row : txn.exec(std::string(kSelect) + " ORDER BY id"))
        records.push_back(read_record(row));
      return records;
    });
  }

  std::vector<core::ChargePointRecord> list_page(const std::string& after, int limit) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      std::vector<core::ChargePointRecord> records;
      for (const auto& row : txn.exec_params(
               std::string(kSelect) + " WHERE id > $1 ORDER BY id LIMIT $2", after, limit))
        records.push_back(read_record(row));
      return records;
    });
  }

  std::vector<core::ChargePointAccess> list_access() override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      std::vector<core::ChargePointAccess> records;
      for (const auto& row : txn.exec("SELECT id, security_profile, password_hash,"
                                      " registration_status FROM charge_points ORDER BY id")) {
        core::ChargePointAccess a;
        a.id = row[0].as<std::string>();
        a.security_profile = row[1].as<int>();
        a.password_hash = optional_text(row[2]);
        a.registration_status = registration_from_text(row[3].as<std::string>());
        records.push_back(std::move(a));
      }
      return records;
    });
  }

  std::vector<core::ChargePointPlace> list_places() override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      std::vector<core::ChargePointPlace> places;
      for (const auto& row :
           txn.exec("SELECT id, latitude, longitude FROM charge_points ORDER BY id")) {
        core::ChargePointPlace place;
        place.id = row[0].as<std::string>();
        if (!row[1].is_null() && !row[2].is_null())
          place.location = core::GeoLocation{row[1].as<double>(), row[2].as<double>()};
        places.push_back(std::move(place));
      }
      return places;
    });
  }

  bool record_boot(const std::string& id, const core::BootInfo& boot, core::Timestamp at) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      const auto result = txn.exec_params(
          "UPDATE charge_points SET vendor = $2, model = $3, charge_point_serial = $4,"
          " charge_box_serial = $5, firmware_version = $6, iccid = $7, imsi = $8,"
          " meter_type = $9, meter_serial = $10, last_boot_at = micros_to_ts($11),"
          " last_seen = micros_to_ts($11), updated_at = now() WHERE id = $1",
          id, boot.vendor, boot.model, boot.charge_point_serial, boot.charge_box_serial,
          boot.firmware_version, boot.iccid, boot.imsi, boot.meter_type, boot.meter_serial,
          to_micros(at));
      return result.affected_rows() == 1;
    });
  }

  void touch_many(const std::vector<SeenAt>& seen) override {
    if (seen.empty()) return;
    // Rows are locked in id order and a row another transaction holds is
    // skipped: the group commits of a boot storm update the same rows
    // (set_online, record_boot, both writing last_seen themselves) in their
    // own order, and an UPDATE ... FROM locking in join order deadlocked
    // with them. A skipped pile is written by the next flush.
    // Every row is found by its key (the LATERAL lock in id order, then
    // = ANY of the locked ids): joined as a set, the planner hashed the whole
    // table twice per flush, a cost that grew with the network instead of
    // the flush (1,000 rows of 40,000 piles: 31-45 ms that way, 7-14 ms this
    // way, psql on the same data).
    std::vector<std::string> ids;
    std::vector<std::string> micros;
    ids.reserve(seen.size());
    micros.reserve(seen.size());
    for (const SeenAt& s : seen) {
      ids.push_back(s.id);
      micros.push_back(std::to_string(to_micros(s.at)));
    }
    db_.transact([&](pqxx::dbtransaction& txn) {
      txn.exec_params(
          "WITH v AS MATERIALIZED (SELECT * FROM unnest($1::text[], $2::bigint[]) v(id, micros)"
          " ORDER BY id),"
          " locked AS (SELECT c.id, v.micros FROM v JOIN LATERAL (SELECT c.id FROM charge_points c"
          " WHERE c.id = v.id FOR NO KEY UPDATE SKIP LOCKED) c ON true)"
          " UPDATE charge_points c SET last_seen = greatest(c.last_seen, micros_to_ts(l.micros))"
          " FROM locked l WHERE c.id = ANY(ARRAY(SELECT id FROM locked)) AND c.id = l.id",
          text_array(ids), text_array(micros));
    });
  }

  core::ChargePointStore::OnlineMark set_online(const std::string& id, const std::string& node,
                                                core::Timestamp at) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      const pqxx::result rows = txn.exec_params(
          "UPDATE charge_points SET online = true, connected_node = $2,"
          " last_seen = micros_to_ts($3) WHERE id = $1"
          " RETURNING registration_status = 'Accepted' AND last_boot_at IS NOT NULL",
          id, node, to_micros(at));
      core::ChargePointStore::OnlineMark mark;
      if (rows.size() == 1) {
        mark.known = true;
        mark.accepted_before = rows[0][0].as<bool>();
      }
      return mark;
    });
  }

  bool set_offline(const std::string& id, const std::string& node, core::Timestamp at) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      return txn.exec_params(
                    "UPDATE charge_points SET online = false, connected_node = NULL,"
                    " last_seen = greatest(last_seen, micros_to_ts($3))"
                    " WHERE id = $1 AND connected_node = $2",
                    id, node, to_micros(at))
                 .affected_rows() == 1;
    });
  }

  int set_node_offline(const std::string& node, core::Timestamp at) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      return static_cast<int>(
          txn.exec_params("UPDATE charge_points SET online = false, connected_node = NULL,"
                          " last_seen = greatest(last_seen, micros_to_ts($2))"
                          " WHERE connected_node = $1",
                          node, to_micros(at))
              .affected_rows());
    });
  }

  std::vector<core::VerifiedCredential> list_verified_credentials(core::Timestamp since) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      std::vector<core::VerifiedCredential> rows;
      for (const auto& row : txn.exec_params(
               "SELECT charge_point_id, mac, ts_to_micros(verified_at)"
               " FROM charge_point_verified_credentials WHERE verified_at >= micros_to_ts($1)",
               to_micros(since))) {
        rows.push_back({row[0].as<std::string>(), row[1].as<std::string>(),
                        from_micros(row[2].as<std::int64_t>())});
      }
      return rows;
    });
  }

  void put_verified_credentials(const std::vector<core::VerifiedCredential>& credentials) override {
    if (credentials.empty()) return;
    // One row per pile (the latest), sorted: two nodes writing at once lock
    // the rows in the same order.
    std::map<std::string, const core::VerifiedCredential*> latest;
    for (const auto& credential : credentials) {
      auto& slot = latest[credential.charge_point_id];
      if (slot == nullptr || slot->verified_at <= credential.verified_at) slot = &credential;
    }
    std::vector<const core::VerifiedCredential*> rows;
    rows.reserve(latest.size());
    for (const auto& [id, credential] : latest) rows.push_back(credential);
    static const std::vector<std::string> columns{"{}", "{}", "{}::bigint"};
    db_.transact([&](pqxx::dbtransaction& txn) {
      exec_rows(txn,
                "INSERT INTO charge_point_verified_credentials (charge_point_id, mac, verified_at)"
                " SELECT v.id, v.mac, micros_to_ts(v.micros) FROM (VALUES ",
                columns,
                ") AS v(id, mac, micros) JOIN charge_points c ON c.id = v.id ORDER BY v.id"
                " ON CONFLICT (charge_point_id) DO UPDATE SET mac = excluded.mac,"
                " verified_at = excluded.verified_at",
                rows.size(), [&](std::size_t i, TextParams& params) {
                  params.push_back(rows[i]->charge_point_id);
                  params.push_back(rows[i]->mac);
                  params.push_back(std::to_string(to_micros(rows[i]->verified_at)));
                });
    });
  }

 private:
  Scope db_;
};

}  // namespace

std::unique_ptr<core::ChargePointStore> make_charge_point_store(Scope db) {
  return std::make_unique<PgChargePointStore>(db);
}

}  // namespace chargelock::storage::postgres
