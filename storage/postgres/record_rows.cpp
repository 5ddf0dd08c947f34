#include "storage/postgres/record_rows.h"

#include "storage/postgres/database_impl.h"

namespace chargelock::storage::postgres {

core::ConnectorStatus read_connector_status(const pqxx::row& row) {
  core::ConnectorStatus r;
  r.charge_point_id = row[0].as<std::string>();
  r.connector_id = row[1].as<int>();
  r.status = row[2].as<std::string>();
  r.error_code = row[3].as<std::string>();
  r.info = optional_text(row[4]);
  r.vendor_id = optional_text(row[5]);
  r.vendor_error_code = optional_text(row[6]);
  r.timestamp = optional_time(row[7]);
  r.received_at = from_micros(row[8].as<std::int64_t>());
  return r;
}

core::LoggedFrame read_logged_frame(const pqxx::row& row) {
  core::LoggedFrame f;
  f.id = row[0].as<std::int64_t>();
  f.charge_point_id = row[1].as<std::string>();
  f.direction = core::frame_direction_from_string(row[2].as<std::string>())
                    .value_or(core::FrameDirection::Outgoing);
  f.frame = row[3].as<std::string>();
  f.received_at = from_micros(row[4].as<std::int64_t>());
  return f;
}

}  // namespace chargelock::storage::postgres
