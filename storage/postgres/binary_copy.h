// COPY ... FROM STDIN in PostgreSQL's binary format: rows of text and
// timestamptz columns, built in one buffer and sent in one go.
//
// Why not libpqxx's stream_to (text format): PostgreSQL parses every text
// timestamptz and unescapes every text field, and we escaped them byte by
// byte and formatted each timestamp first. For the message log (two rows per
// OCPP message) COPY of 200,000 Heartbeat rows took PostgreSQL 782-915 ms in
// binary against 924-1,398 ms in text (bench/results/limit-ratios-2026-11-28T07Z).
//
// Thread contract: a BinaryCopyRows is used by one thread; copy_binary runs
// on the thread that owns the transaction.
#pragma once

#include <cstdint>
#include <pqxx/pqxx>
#include <string>
#include <string_view>
#include <vector>

#include "core/timestamp.h"

namespace chargelock::storage::postgres {

class BinaryCopyRows {
 public:
  // Every row has `columns` fields, added in the COPY's column order.
  explicit BinaryCopyRows(std::uint16_t columns);

  // REQUIRES: the previous row got all its fields.
  void start_row();
  // Any bytes; PostgreSQL checks the encoding as for any text it receives.
  void add_text(std::string_view text);
  void add_timestamp(core::Timestamp t);  // microseconds, as timestamptz keeps

  // The whole COPY stream, trailer included. REQUIRES: called once, last.
  const std::string& finish();

 private:
  void put16(std::uint16_t v);
  void put32(std::uint32_t v);
  void put64(std::uint64_t v);

  std::string data_;
  std::uint16_t columns_;
};

// Runs "COPY table (columns) FROM STDIN (FORMAT binary)" with `rows` inside
// `txn`. Throws pqxx::sql_error for PostgreSQL's refusal (the transaction is
// then aborted) and pqxx::broken_connection when the connection fails.
void copy_binary(pqxx::dbtransaction& txn, const std::string& table,
                 const std::vector<std::string>& columns, BinaryCopyRows& rows);

}  // namespace chargelock::storage::postgres
