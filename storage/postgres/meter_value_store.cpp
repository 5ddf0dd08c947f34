// PostgreSQL MeterValueStore.
#include "storage/meter_value_store.h"

#include "storage/postgres/database_impl.h"

namespace chargelock::storage::postgres {

namespace {

class PgMeterValueStore final : public MeterValueStore {
 public:
  explicit PgMeterValueStore(Database::Impl& db) : db_(db) {}

  void append(const std::vector<MeterValueRecord>& values) override {
    if (values.empty()) return;
    static const std::vector<std::string> columns{
        "{}", "{}::integer", "{}::integer", "micros_to_ts({}::bigint)", "{}", "{}", "{}", "{}",
        "{}", "{}",          "{}"};
    db_.transact([&](pqxx::work& txn) {
      for (std::size_t first = 0; first < values.size(); first += kRowsPerInsert) {
        const std::size_t count = std::min(kRowsPerInsert, values.size() - first);
        TextParams params;
        params.reserve(count * columns.size());
        for (std::size_t i = first; i < first + count; ++i) {
          const MeterValueRecord& v = values[i];
          params.push_back(v.charge_point_id);
          params.push_back(std::to_string(v.connector_id));
          params.push_back(text_param(v.transaction_id));
          params.push_back(std::to_string(to_micros(v.timestamp)));
          params.push_back(v.value);
          params.push_back(v.context);
          params.push_back(v.format);
          params.push_back(v.measurand);
          params.push_back(v.phase);
          params.push_back(v.location);
          params.push_back(v.unit);
        }
        txn.exec_params(
            "INSERT INTO meter_values (charge_point_id, connector_id, transaction_id, timestamp,"
            " value, context, format, measurand, phase, location, unit) VALUES " +
                values_rows(count, columns),
            pqxx::prepare::make_dynamic_params(params));
      }
    });
  }

  std::vector<MeterValueRecord> for_transaction(int transaction_id) override {
    return db_.transact([&](pqxx::work& txn) {
      std::vector<MeterValueRecord> out;
      for (const auto& row : txn.exec_params(
               "SELECT charge_point_id, connector_id, transaction_id, ts_to_micros(timestamp),"
               " value, context, format, measurand, phase, location, unit FROM meter_values"
               " WHERE transaction_id = $1 ORDER BY timestamp, id",
               transaction_id)) {
        MeterValueRecord v;
        v.charge_point_id = row[0].as<std::string>();
        v.connector_id = row[1].as<int>();
        v.transaction_id = optional_int(row[2]);
        v.timestamp = from_micros(row[3].as<std::int64_t>());
        v.value = row[4].as<std::string>();
        v.context = optional_text(row[5]);
        v.format = optional_text(row[6]);
        v.measurand = optional_text(row[7]);
        v.phase = optional_text(row[8]);
        v.location = optional_text(row[9]);
        v.unit = optional_text(row[10]);
        out.push_back(std::move(v));
      }
      return out;
    });
  }

 private:
  Database::Impl& db_;
};

}  // namespace

std::unique_ptr<MeterValueStore> make_meter_value_store(Database::Impl& db) {
  return std::make_unique<PgMeterValueStore>(db);
}

}  // namespace chargelock::storage::postgres
