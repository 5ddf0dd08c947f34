// Row readers shared by the PostgreSQL stores that select the same records.
// Each reader states the column order it expects; the matching SELECT list
// is the constant beside it.
#pragma once

#include <pqxx/pqxx>

#include "core/stores/connector_store.h"
#include "core/stores/message_log_store.h"

namespace chargelock::storage::postgres {

// Columns: charge_point_id, connector_id, status, error_code, info,
// vendor_id, vendor_error_code, status timestamp (micros), updated/received
// time (micros). Works for `connectors` and `connector_status_history`.
core::ConnectorStatus read_connector_status(const pqxx::row& row);

// SELECT list of read_logged_frame() on table message_log.
inline constexpr const char* kLoggedFrameColumns =
    "id, charge_point_id, direction, frame, ts_to_micros(received_at)";
core::LoggedFrame read_logged_frame(const pqxx::row& row);

}  // namespace chargelock::storage::postgres
