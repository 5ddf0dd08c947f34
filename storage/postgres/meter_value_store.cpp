// PostgreSQL core::MeterValueStore.
#include "core/stores/meter_value_store.h"

#include <array>

#include "storage/postgres/database_impl.h"

namespace chargelock::storage::postgres {

namespace {

// COPY: for PostgreSQL a fraction of the cost per row of a parameterised
// multi-row INSERT, and a MeterValues call brings several rows.
void write_meter_values(pqxx::dbtransaction& txn,
                        const std::vector<core::MeterValueRecord>& values) {
  static const std::vector<std::string> columns{
      "charge_point_id", "connector_id", "transaction_id", "timestamp", "value", "context",
      "format",          "measurand",    "phase",          "location",  "unit"};
  const auto text = [](const std::optional<std::string>& v) { return v ? v->c_str() : nullptr; };
  pqxx::stream_to copy(txn, "meter_values", columns);
  for (const core::MeterValueRecord& v : values) {
    const std::string connector = std::to_string(v.connector_id);
    const std::string transaction = v.transaction_id ? std::to_string(*v.transaction_id) : "";
    const std::string timestamp = copy_timestamp(v.timestamp);
    // std::array: libpqxx escapes each field, and a null pointer is NULL.
    const std::array<const char*, 11> row{v.charge_point_id.c_str(),
                                          connector.c_str(),
                                          v.transaction_id ? transaction.c_str() : nullptr,
                                          timestamp.c_str(),
                                          v.value.c_str(),
                                          text(v.context),
                                          text(v.format),
                                          text(v.measurand),
                                          text(v.phase),
                                          text(v.location),
                                          text(v.unit)};
    copy << row;
  }
  copy.complete();
}

// MeterValues of one batch, written together at its commit.
class DeferredMeterValues final : public DeferredWrites {
 public:
  void flush(pqxx::dbtransaction& txn) override { write_meter_values(txn, values); }
  std::vector<core::MeterValueRecord> values;
};

class PgMeterValueStore final : public core::MeterValueStore {
 public:
  explicit PgMeterValueStore(Scope db) : db_(db) {}

  void append(const std::vector<core::MeterValueRecord>& values) override {
    if (values.empty()) return;
    if (auto* later = db_.deferred<DeferredMeterValues>()) {
      later->values.insert(later->values.end(), values.begin(), values.end());
      return;
    }
    db_.transact([&](pqxx::dbtransaction& txn) { write_meter_values(txn, values); });
  }

  std::vector<core::MeterValueRecord> for_transaction(int transaction_id) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      std::vector<core::MeterValueRecord> out;
      // meter_values is partitioned by day of received_at (migration 0013),
      // which transaction_id does not narrow: bounded below by when the
      // transaction was stored (a value names it only once the pile got its
      // id; an hour's margin for the database clock), the lookup reads the
      // partitions from that day on, not every day kept. Passed back as a
      // constant so the planner leaves the older partitions out.
      const pqxx::result started = txn.exec_params(
          "SELECT created_at - interval '1 hour' FROM transactions WHERE id = $1", transaction_id);
      // An id no transaction has (core stores none such) is looked up in
      // every partition.
      const std::string since = started.empty() ? "-infinity" : started[0][0].as<std::string>();
      for (const auto& row : txn.exec_params(
               "SELECT charge_point_id, connector_id, transaction_id, ts_to_micros(timestamp),"
               " value, context, format, measurand, phase, location, unit FROM meter_values"
               " WHERE transaction_id = $1 AND received_at >= $2::timestamptz"
               " ORDER BY timestamp, id",
               transaction_id, since)) {
        core::MeterValueRecord v;
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
  Scope db_;
};

}  // namespace

std::unique_ptr<core::MeterValueStore> make_meter_value_store(Scope db) {
  return std::make_unique<PgMeterValueStore>(db);
}

}  // namespace chargelock::storage::postgres
