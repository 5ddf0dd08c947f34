// PostgreSQL core::EventStore.
#include "core/stores/event_store.h"

#include "storage/postgres/database_impl.h"

namespace chargelock::storage::postgres {

namespace {

// Table names are fixed strings chosen here, never input.
const char* table_of(core::StatusNotificationKind kind) {
  switch (kind) {
    case core::StatusNotificationKind::Diagnostics:
      return "diagnostics_status_notifications";
    case core::StatusNotificationKind::Firmware:
      return "firmware_status_notifications";
    case core::StatusNotificationKind::Log:
      return "log_status_notifications";
    case core::StatusNotificationKind::SignedFirmware:
      return "signed_firmware_status_notifications";
  }
  return "diagnostics_status_notifications";
}

bool has_request_id(core::StatusNotificationKind kind) {
  return kind == core::StatusNotificationKind::Log ||
         kind == core::StatusNotificationKind::SignedFirmware;
}

class PgEventStore final : public core::EventStore {
 public:
  explicit PgEventStore(Scope db) : db_(db) {}

  void record_status(core::StatusNotificationKind kind,
                     const core::StatusNotificationRecord& r) override {
    db_.transact([&](pqxx::dbtransaction& txn) {
      if (has_request_id(kind)) {
        txn.exec_params(std::string("INSERT INTO ") + table_of(kind) +
                            " (charge_point_id, status, request_id) VALUES ($1, $2, $3)",
                        r.charge_point_id, r.status, r.request_id);
      } else {
        txn.exec_params(std::string("INSERT INTO ") + table_of(kind) +
                            " (charge_point_id, status) VALUES ($1, $2)",
                        r.charge_point_id, r.status);
      }
    });
  }

  std::vector<core::StatusNotificationRecord> statuses(core::StatusNotificationKind kind,
                                                       const std::string& charge_point_id,
                                                       std::size_t limit) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      const std::string request_id = has_request_id(kind) ? "request_id" : "NULL::integer";
      std::vector<core::StatusNotificationRecord> out;
      for (const auto& row :
           txn.exec_params("SELECT charge_point_id, status, " + request_id +
                               ", ts_to_micros(received_at) FROM " + table_of(kind) +
                               " WHERE charge_point_id = $1 ORDER BY id DESC LIMIT $2",
                           charge_point_id, static_cast<long long>(limit))) {
        core::StatusNotificationRecord r;
        r.charge_point_id = row[0].as<std::string>();
        r.status = row[1].as<std::string>();
        r.request_id = optional_int(row[2]);
        r.received_at = from_micros(row[3].as<std::int64_t>());
        out.push_back(std::move(r));
      }
      return out;
    });
  }

  void record_security_event(const core::SecurityEventRecord& e) override {
    db_.transact([&](pqxx::dbtransaction& txn) {
      txn.exec_params(
          "INSERT INTO security_events (charge_point_id, type, timestamp, tech_info)"
          " VALUES ($1, $2, micros_to_ts($3), $4)",
          e.charge_point_id, e.type, to_micros(e.timestamp), e.tech_info);
    });
  }

  std::vector<core::SecurityEventRecord> security_events(const std::string& charge_point_id,
                                                         std::size_t limit) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      std::vector<core::SecurityEventRecord> out;
      for (const auto& row : txn.exec_params(
               "SELECT charge_point_id, type, ts_to_micros(timestamp), tech_info,"
               " ts_to_micros(received_at) FROM security_events WHERE charge_point_id = $1"
               " ORDER BY id DESC LIMIT $2",
               charge_point_id, static_cast<long long>(limit))) {
        core::SecurityEventRecord e;
        e.charge_point_id = row[0].as<std::string>();
        e.type = row[1].as<std::string>();
        e.timestamp = from_micros(row[2].as<std::int64_t>());
        e.tech_info = optional_text(row[3]);
        e.received_at = from_micros(row[4].as<std::int64_t>());
        out.push_back(std::move(e));
      }
      return out;
    });
  }

  std::int64_t record_csr(const core::CertificateSigningRequestRecord& r) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      return txn
          .exec_params1(
              "INSERT INTO certificate_signing_requests (charge_point_id, csr, status)"
              " VALUES ($1, $2, $3) RETURNING id",
              r.charge_point_id, r.csr, r.status)[0]
          .as<std::int64_t>();
    });
  }

  std::vector<core::CertificateSigningRequestRecord> csrs(const std::string& charge_point_id,
                                                          std::size_t limit) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      std::vector<core::CertificateSigningRequestRecord> out;
      for (const auto& row :
           txn.exec_params("SELECT id, charge_point_id, csr, status, ts_to_micros(received_at)"
                           " FROM certificate_signing_requests WHERE charge_point_id = $1"
                           " ORDER BY id DESC LIMIT $2",
                           charge_point_id, static_cast<long long>(limit))) {
        core::CertificateSigningRequestRecord r;
        r.id = row[0].as<std::int64_t>();
        r.charge_point_id = row[1].as<std::string>();
        r.csr = row[2].as<std::string>();
        r.status = row[3].as<std::string>();
        r.received_at = from_micros(row[4].as<std::int64_t>());
        out.push_back(std::move(r));
      }
      return out;
    });
  }

  void record_data_transfer(const core::DataTransferRecord& t) override {
    db_.transact([&](pqxx::dbtransaction& txn) {
      txn.exec_params(
          "INSERT INTO data_transfers (charge_point_id, vendor_id, message_id, data,"
          " answer_status) VALUES ($1, $2, $3, $4, $5)",
          t.charge_point_id, t.vendor_id, t.message_id, t.data, t.answer_status);
    });
  }

  std::vector<core::DataTransferRecord> data_transfers(const std::string& charge_point_id,
                                                       std::size_t limit) override {
    return db_.transact([&](pqxx::dbtransaction& txn) {
      std::vector<core::DataTransferRecord> out;
      for (const auto& row : txn.exec_params(
               "SELECT charge_point_id, vendor_id, message_id, data, answer_status,"
               " ts_to_micros(received_at) FROM data_transfers WHERE charge_point_id = $1"
               " ORDER BY id DESC LIMIT $2",
               charge_point_id, static_cast<long long>(limit))) {
        core::DataTransferRecord t;
        t.charge_point_id = row[0].as<std::string>();
        t.vendor_id = row[1].as<std::string>();
        t.message_id = optional_text(row[2]);
        t.data = optional_text(row[3]);
        t.answer_status = row[4].as<std::string>();
        t.received_at = from_micros(row[5].as<std::int64_t>());
        out.push_back(std::move(t));
      }
      return out;
    });
  }

 private:
  Scope db_;
};

}  // namespace

std::unique_ptr<core::EventStore> make_event_store(Scope db) {
  return std::make_unique<PgEventStore>(db);
}

}  // namespace chargelock::storage::postgres
