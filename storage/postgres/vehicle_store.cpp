// PostgreSQL VehicleStore.
#include "storage/vehicle_store.h"

#include "storage/postgres/database_impl.h"

namespace chargelock::storage::postgres {

namespace {

const char* const kColumns =
    " v.vin, v.owner_id, v.soc, v.latitude, v.longitude, ts_to_micros(v.reported_at),"
    " ts_to_micros(v.low_battery_prompted_at), ts_to_micros(v.created_at) ";

VehicleRecord read_vehicle(pqxx::work& txn, const pqxx::row& row) {
  VehicleRecord v;
  v.vin = row[0].as<std::string>();
  v.owner_id = row[1].as<std::int64_t>();
  if (!row[2].is_null() && !row[5].is_null()) {
    VehicleState state;
    state.soc = row[2].as<double>();
    if (!row[3].is_null() && !row[4].is_null())
      state.location = GeoLocation{row[3].as<double>(), row[4].as<double>()};
    state.reported_at = from_micros(row[5].as<std::int64_t>());
    v.state = state;
  }
  v.low_battery_prompted_at = optional_time(row[6]);
  v.created_at = from_micros(row[7].as<std::int64_t>());
  for (const auto& id : txn.exec_params(
           "SELECT kind, value FROM vehicle_identifiers WHERE vin = $1 ORDER BY kind, value",
           v.vin)) {
    if (id[0].as<std::string>() == "idTag")
      v.id_tags.push_back(id[1].as<std::string>());
    else
      v.evcc_ids.push_back(id[1].as<std::string>());
  }
  return v;
}

std::optional<VehicleRecord> find_in(pqxx::work& txn, const std::string& vin) {
  const auto result =
      txn.exec_params(std::string("SELECT") + kColumns + "FROM vehicles v WHERE v.vin = $1", vin);
  if (result.empty()) return std::nullopt;
  return read_vehicle(txn, result[0]);
}

class PgVehicleStore final : public VehicleStore {
 public:
  explicit PgVehicleStore(Database::Impl& db) : db_(db) {}

  VehicleRecord put(const NewVehicle& vehicle) override {
    return db_.transact([&](pqxx::work& txn) {
      // The no-op update locks an existing row of the same owner; a row of
      // another owner is left alone and returns nothing.
      const auto mine = txn.exec_params(
          "INSERT INTO vehicles (vin, owner_id) VALUES ($1, $2)"
          " ON CONFLICT (vin) DO UPDATE SET owner_id = excluded.owner_id"
          " WHERE vehicles.owner_id = excluded.owner_id RETURNING vin",
          vehicle.vin, vehicle.owner_id);
      if (mine.empty()) throw ConflictError("vehicle " + vehicle.vin + " belongs to another owner");
      txn.exec_params("DELETE FROM vehicle_identifiers WHERE vin = $1", vehicle.vin);
      auto insert = [&](const char* kind, const std::vector<std::string>& values) {
        for (const std::string& value : values) {
          const auto taken = txn.exec_params(
              "INSERT INTO vehicle_identifiers (kind, value, vin) VALUES ($1, $2, $3)"
              " ON CONFLICT (kind, value) DO NOTHING RETURNING vin",
              kind, value, vehicle.vin);
          if (taken.empty())
            throw ConflictError(std::string(kind) + " " + value + " belongs to another vehicle");
        }
      };
      insert("idTag", vehicle.id_tags);
      insert("evccId", vehicle.evcc_ids);
      return *find_in(txn, vehicle.vin);
    });
  }

  std::optional<VehicleRecord> find(const std::string& vin) override {
    return db_.transact([&](pqxx::work& txn) { return find_in(txn, vin); });
  }

  std::vector<VehicleRecord> list_for_owner(std::int64_t owner_id) override {
    return db_.transact([&](pqxx::work& txn) {
      std::vector<VehicleRecord> out;
      for (const auto& row : txn.exec_params(std::string("SELECT") + kColumns +
                                                 "FROM vehicles v WHERE v.owner_id = $1"
                                                 " ORDER BY v.vin",
                                             owner_id))
        out.push_back(read_vehicle(txn, row));
      return out;
    });
  }

  std::optional<VehicleRecord> find_by_identifier(const std::string& value) override {
    return db_.transact([&](pqxx::work& txn) -> std::optional<VehicleRecord> {
      const auto result =
          txn.exec_params(std::string("SELECT") + kColumns +
                              "FROM vehicles v JOIN vehicle_identifiers i ON i.vin = v.vin"
                              " WHERE i.value = $1 ORDER BY i.kind LIMIT 1",
                          value);
      if (result.empty()) return std::nullopt;
      return read_vehicle(txn, result[0]);
    });
  }

  std::optional<std::string> vin_of(const VehicleIdentifier& identifier) override {
    return db_.transact([&](pqxx::work& txn) -> std::optional<std::string> {
      const auto result =
          txn.exec_params("SELECT vin FROM vehicle_identifiers WHERE kind = $1 AND value = $2",
                          identifier.kind, identifier.value);
      if (result.empty()) return std::nullopt;
      return result[0][0].as<std::string>();
    });
  }

  bool report_state(const std::string& vin, const VehicleState& state) override {
    std::optional<double> lat, lon;
    if (state.location) {
      lat = state.location->latitude;
      lon = state.location->longitude;
    }
    return db_.transact([&](pqxx::work& txn) {
      return txn.exec_params(
                    "UPDATE vehicles SET soc = $2, latitude = $3, longitude = $4,"
                    " reported_at = micros_to_ts($5) WHERE vin = $1"
                    " AND (reported_at IS NULL OR reported_at <= micros_to_ts($5))",
                    vin, state.soc, lat, lon, to_micros(state.reported_at))
                 .affected_rows() == 1;
    });
  }

  bool claim_low_battery_prompt(const std::string& vin, Timestamp at) override {
    return db_.transact([&](pqxx::work& txn) {
      return txn.exec_params(
                    "UPDATE vehicles SET low_battery_prompted_at = micros_to_ts($2)"
                    " WHERE vin = $1 AND low_battery_prompted_at IS NULL",
                    vin, to_micros(at))
                 .affected_rows() == 1;
    });
  }

  bool rearm_low_battery_prompt(const std::string& vin) override {
    return db_.transact([&](pqxx::work& txn) {
      return txn.exec_params(
                    "UPDATE vehicles SET low_battery_prompted_at = NULL"
                    " WHERE vin = $1 AND low_battery_prompted_at IS NOT NULL",
                    vin)
                 .affected_rows() == 1;
    });
  }

 private:
  Database::Impl& db_;
};

}  // namespace

std::unique_ptr<VehicleStore> make_vehicle_store(Database::Impl& db) {
  return std::make_unique<PgVehicleStore>(db);
}

}  // namespace chargelock::storage::postgres
