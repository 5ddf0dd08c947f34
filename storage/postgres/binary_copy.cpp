#include "storage/postgres/binary_copy.h"

#include <libpq-fe.h>

#include <algorithm>

#include "storage/postgres/database_impl.h"

namespace chargelock::storage::postgres {

namespace {

// PostgreSQL's binary COPY header: signature, flags, header extension length.
constexpr std::string_view kSignature{"PGCOPY\n\377\r\n\0", 11};
// timestamptz counts microseconds from 2000-01-01 00:00:00 UTC.
constexpr std::int64_t kPostgresEpochUnixMicros = 946'684'800'000'000;

// libpqxx 6.4 has no binary COPY and keeps the libpq handle private; its
// large-object class hands the handle of a transaction's connection to its
// subclasses. Used only while the transaction runs no statement of its own.
struct RawConnection : pqxx::largeobject {
  static PGconn* of(const pqxx::dbtransaction& txn) { return largeobject::raw_connection(txn); }
};

// Reads every result of the query on `conn`, `first` (already read) and the
// rest up to the null one, and throws, as libpqxx would have, for the first
// that is not `expected`.
void finish_results(PGconn* conn, PGresult* first, const std::string& sql,
                    ExecStatusType expected) {
  bool failed = false;
  std::string message;
  std::string state;
  for (PGresult* result = first; result != nullptr; result = PQgetResult(conn)) {
    if (!failed && PQresultStatus(result) != expected) {
      failed = true;
      message = PQresultErrorMessage(result);
      if (const char* s = PQresultErrorField(result, PG_DIAG_SQLSTATE)) state = s;
    }
    PQclear(result);
  }
  if (!failed) return;
  if (PQstatus(conn) != CONNECTION_OK)
    throw pqxx::broken_connection(message.empty() ? PQerrorMessage(conn) : message);
  throw pqxx::sql_error(message, sql, state.empty() ? nullptr : state.c_str());
}

// libpq takes a chunk's length as an int.
constexpr std::size_t kChunk = 1 << 20;

}  // namespace

BinaryCopyRows::BinaryCopyRows(std::uint16_t columns) : columns_(columns) {
  data_.append(kSignature);
  put32(0);  // flags: no OIDs
  put32(0);  // no header extension
}

void BinaryCopyRows::start_row() { put16(columns_); }

void BinaryCopyRows::add_text(std::string_view text) {
  put32(static_cast<std::uint32_t>(text.size()));
  data_.append(text);
}

void BinaryCopyRows::add_timestamp(core::Timestamp t) {
  put32(8);
  put64(static_cast<std::uint64_t>(to_micros(t) - kPostgresEpochUnixMicros));
}

const std::string& BinaryCopyRows::finish() {
  put16(0xFFFF);  // -1: no more rows
  return data_;
}

void BinaryCopyRows::put16(std::uint16_t v) {
  const char bytes[2] = {static_cast<char>(v >> 8), static_cast<char>(v)};
  data_.append(bytes, sizeof bytes);
}

void BinaryCopyRows::put32(std::uint32_t v) {
  const char bytes[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                         static_cast<char>(v >> 8), static_cast<char>(v)};
  data_.append(bytes, sizeof bytes);
}

void BinaryCopyRows::put64(std::uint64_t v) {
  put32(static_cast<std::uint32_t>(v >> 32));
  put32(static_cast<std::uint32_t>(v));
}

void copy_binary(pqxx::dbtransaction& txn, const std::string& table,
                 const std::vector<std::string>& columns, BinaryCopyRows& rows) {
  std::string sql = "COPY " + txn.quote_name(table) + " (";
  for (std::size_t i = 0; i < columns.size(); ++i)
    sql += (i == 0 ? "" : ", ") + txn.quote_name(columns[i]);
  sql += ") FROM STDIN (FORMAT binary)";
  const std::string& data = rows.finish();

  PGconn* conn = RawConnection::of(txn);
  if (PQsendQuery(conn, sql.c_str()) != 1) throw pqxx::broken_connection(PQerrorMessage(conn));
  PGresult* started = PQgetResult(conn);
  if (started == nullptr) throw pqxx::broken_connection(PQerrorMessage(conn));
  if (PQresultStatus(started) != PGRES_COPY_IN) {  // refused before any row
    finish_results(conn, started, sql, PGRES_COPY_IN);
    throw pqxx::sql_error("COPY did not start", sql);
  }
  PQclear(started);
  for (std::size_t at = 0; at < data.size(); at += kChunk) {
    const std::size_t n = std::min(kChunk, data.size() - at);
    if (PQputCopyData(conn, data.data() + at, static_cast<int>(n)) != 1) break;
  }
  // A failed send shows in the COPY's result (or in the connection's state).
  if (PQputCopyEnd(conn, nullptr) != 1) throw pqxx::broken_connection(PQerrorMessage(conn));
  finish_results(conn, PQgetResult(conn), sql, PGRES_COMMAND_OK);
}

}  // namespace chargelock::storage::postgres
