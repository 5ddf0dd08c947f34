// PostgreSQL core::VehicleStore.
#include "core/stores/vehicle_store.h"

#include <fmt/format.h>

#include "storage/postgres/database_impl.h"

namespace chargelock::storage::postgres {

namespace {

// r: the registration, v: the vehicle (state, verified owner).
const char* const kColumns =
    " r.vin, r.owner_id, v.owner_id IS NOT DISTINCT FROM r.owner_id, ts_to_micros(v.verified_at),"
    " v.verified_by, v.soc, v.latitude, v.longitude, ts_to_micros(v.reported_at),"
    " ts_to_micros(v.low_battery_prompted_at), ts_to_micros(r.created_at) ";
const char* const kFrom = " FROM vehicle_registrations r JOIN vehicles v ON v.vin = r.vin ";

// The vehicle of kColumns' row, without its identifiers.
core::Vehicle read_vehicle_row(const pqxx::row& row) {
  core::Vehicle v;
  v.vin = row[0].as<std::string>();
  v.owner_id = row[1].as<std::int64_t>();
  v.verified = row[2].as<bool>();
  if (v.verified) {
    v.verified_at = optional_time(row[3]);
    v.verified_by = optional_text(row[4]);
  }
  if (!row[5].is_null() && !row[8].is_null()) {
    core::VehicleState state;
    state.soc = row[5].as<double>();
    if (!row[6].is_null() && !row[7].is_null())
      state.location = core::GeoLocation{row[6].as<double>(), row[7].as<double>()};
    state.reported_at = from_micros(row[8].as<std::int64_t>());
    v.state = state;
  }
  v.low_battery_prompted_at = optional_time(row[9]);
  v.created_at = from_micros(row[10].as<std::int64_t>());
  return v;
}

void add_identifier(core::Vehicle& v, const std::string& kind, std::string value) {
  if (kind == "idTag")
    v.id_tags.push_back(std::move(value));
  else
    v.evcc_ids.push_back(std::move(value));
}

core::Vehicle read_vehicle(pqxx::dbtransaction& txn, const pqxx::row& row) {
  core::Vehicle v = read_vehicle_row(row);
  for (const auto& id : txn.exec_params(
           "SELECT kind, value FROM vehicle_identifiers WHERE vin = $1 AND owner_id = $2"
           " ORDER BY kind, value",
           v.vin, v.owner_id))
    add_identifier(v, id[0].as<std::string>(), id[1].as<std::string>());
  return v;
}

std::vector<core::Vehicle> read_vehicles(pqxx::dbtransaction& txn, const pqxx::result& result) {
  std::vector<core::Vehicle> out;
  for (const auto& row : result) out.push_back(read_vehicle(txn, row));
  return out;
}

// One owner's registration with its identifiers, in one statement (a row
// per identifier, or one with none): a lock request reads it first, so it
// is one round trip outside a transaction (Scope::read).
std::optional<core::Vehicle> registration_in(pqxx::transaction_base& txn, const std::string& vin,
                                             std::int64_t owner_id) {
  const auto result =
      exec_hot(txn,
               std::string("SELECT") + kColumns + ", i.kind, i.value" + kFrom +
                   "LEFT JOIN vehicle_identifiers i ON i.vin = r.vin AND i.owner_id = r.owner_id"
                   " WHERE r.vin = $1 AND r.owner_id = $2 ORDER BY i.kind, i.value",
               vin, owner_id);
  if (result.empty()) return std::nullopt;
  core::Vehicle v = read_vehicle_row(result[0]);
  for (const auto& row : result)
    if (!row[11].is_null()) add_identifier(v, row[11].as<std::string>(), row[12].as<std::string>());
  return v;
}

class PgVehicleStore final : public core::VehicleStore {
 public:
  explicit PgVehicleStore(Scope db) : db_(db) {}

  core::Vehicle put(const core::NewVehicle& vehicle) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      try {
        txn.exec_params("INSERT INTO vehicles (vin) VALUES ($1) ON CONFLICT (vin) DO NOTHING",
                        vehicle.vin);
        txn.exec_params(
            "INSERT INTO vehicle_registrations (vin, owner_id) VALUES ($1, $2)"
            " ON CONFLICT (vin, owner_id) DO NOTHING",
            vehicle.vin, vehicle.owner_id);
      } catch (const pqxx::foreign_key_violation&) {
        throw core::RowNotFoundError("no owner " + std::to_string(vehicle.owner_id));
      }
      txn.exec_params("DELETE FROM vehicle_identifiers WHERE vin = $1 AND owner_id = $2",
                      vehicle.vin, vehicle.owner_id);
      for (const core::VehicleIdentifier& id : vehicle.identifiers) {
        const auto taken = txn.exec_params(
            "INSERT INTO vehicle_identifiers (kind, value, match_key, vin, owner_id)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (kind, value, owner_id) DO NOTHING"
            " RETURNING vin",
            id.kind, id.value, id.match_key, vehicle.vin, vehicle.owner_id);
        if (taken.empty())
          throw core::RowConflictError(id.kind + " " + id.value +
                                       " is on another of your vehicles");
      }
      return *registration_in(txn, vehicle.vin, vehicle.owner_id);
    });
  }

  std::optional<core::Vehicle> find(const std::string& vin) override {
    return db_.transact([&](pqxx::dbtransaction& txn) -> std::optional<core::Vehicle> {
      const auto result = txn.exec_params(
          std::string("SELECT") + kColumns + kFrom + "WHERE r.vin = $1 AND r.owner_id = v.owner_id",
          vin);
      if (result.empty()) return std::nullopt;
      return read_vehicle(txn, result[0]);
    });
  }

  std::optional<core::Vehicle> find_registration(const std::string& vin,
                                                 std::int64_t owner_id) override {
    return db_.read(
        [&](pqxx::transaction_base& txn) { return registration_in(txn, vin, owner_id); });
  }

  std::vector<core::Vehicle> registrations(const std::string& vin) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      return read_vehicles(txn, txn.exec_params(std::string("SELECT") + kColumns + kFrom +
                                                    "WHERE r.vin = $1 ORDER BY r.created_at,"
                                                    " r.owner_id",
                                                vin));
    });
  }

  std::vector<core::Vehicle> list_for_owner(std::int64_t owner_id) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      return read_vehicles(txn, txn.exec_params(std::string("SELECT") + kColumns + kFrom +
                                                    "WHERE r.owner_id = $1 ORDER BY r.vin",
                                                owner_id));
    });
  }

  core::Vehicle verify(const std::string& vin, std::int64_t owner_id,
                       const std::string& verified_by) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      // Serialises verifications of one vehicle.
      txn.exec_params("SELECT 1 FROM vehicles WHERE vin = $1 FOR UPDATE", vin);
      if (!registration_in(txn, vin, owner_id))
        throw core::RowNotFoundError("owner " + std::to_string(owner_id) + " has not registered " +
                                     vin);
      const auto clash = txn.exec_params(
          "SELECT i.kind, i.value, o.vin FROM vehicle_identifiers i"
          " JOIN vehicle_identifiers o ON o.match_key = i.match_key AND o.vin <> i.vin"
          " JOIN vehicles ov ON ov.vin = o.vin AND ov.owner_id = o.owner_id"
          " WHERE i.vin = $1 AND i.owner_id = $2 LIMIT 1",
          vin, owner_id);
      if (!clash.empty())
        throw core::RowConflictError(fmt::format("{} {} is on verified vehicle {}",
                                                 clash[0][0].c_str(), clash[0][1].c_str(),
                                                 clash[0][2].c_str()));
      txn.exec_params(
          "UPDATE vehicles SET owner_id = $2, verified_at = now(), verified_by = $3,"
          " low_battery_prompted_at = CASE WHEN owner_id IS DISTINCT FROM $2 THEN NULL"
          " ELSE low_battery_prompted_at END WHERE vin = $1",
          vin, owner_id, verified_by);
      return *registration_in(txn, vin, owner_id);
    });
  }

  bool remove_registration(const std::string& vin, std::int64_t owner_id) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      txn.exec_params(
          "UPDATE vehicles SET owner_id = NULL, verified_at = NULL, verified_by = NULL"
          " WHERE vin = $1 AND owner_id = $2",
          vin, owner_id);
      return txn.exec_params("DELETE FROM vehicle_registrations WHERE vin = $1 AND owner_id = $2",
                             vin, owner_id)
                 .affected_rows() == 1;
    });
  }

  std::vector<core::Vehicle> find_verified_by_key(const std::string& match_key) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      return read_vehicles(
          txn, txn.exec_params(std::string("SELECT DISTINCT") + kColumns + kFrom +
                                   "JOIN vehicle_identifiers i ON i.vin = r.vin"
                                   " AND i.owner_id = r.owner_id"
                                   " WHERE r.owner_id = v.owner_id AND i.match_key = $1",
                               match_key));
    });
  }

  bool known(const std::string& vin) override {
    return db_.read([&](pqxx::transaction_base& txn) {
      return !txn.exec_params("SELECT 1 FROM vehicle_registrations WHERE vin = $1 LIMIT 1", vin)
                  .empty();
    });
  }

  bool report_state(const std::string& vin, const core::VehicleState& state) override {
    std::optional<double> lat, lon;
    if (state.location) {
      lat = state.location->latitude;
      lon = state.location->longitude;
    }
    return db_.transact([&](pqxx::dbtransaction& txn) {
      return txn.exec_params(
                    "UPDATE vehicles SET soc = $2, latitude = $3, longitude = $4,"
                    " reported_at = micros_to_ts($5) WHERE vin = $1"
                    " AND (reported_at IS NULL OR reported_at <= micros_to_ts($5))",
                    vin, state.soc, lat, lon, to_micros(state.reported_at))
                 .affected_rows() == 1;
    });
  }

  bool claim_low_battery_prompt(const std::string& vin, core::Timestamp at) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      return txn.exec_params(
                    "UPDATE vehicles SET low_battery_prompted_at = micros_to_ts($2)"
                    " WHERE vin = $1 AND low_battery_prompted_at IS NULL",
                    vin, to_micros(at))
                 .affected_rows() == 1;
    });
  }

  bool rearm_low_battery_prompt(const std::string& vin) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      return txn.exec_params(
                    "UPDATE vehicles SET low_battery_prompted_at = NULL"
                    " WHERE vin = $1 AND low_battery_prompted_at IS NOT NULL",
                    vin)
                 .affected_rows() == 1;
    });
  }

 private:
  Scope db_;
};

}  // namespace

std::unique_ptr<core::VehicleStore> make_vehicle_store(Scope db) {
  return std::make_unique<PgVehicleStore>(db);
}

}  // namespace chargelock::storage::postgres
