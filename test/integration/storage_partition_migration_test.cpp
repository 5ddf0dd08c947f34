// Upgrading a populated database across the partitioning migrations (0011
// message_log, 0013 meter_values): a database built as the release before
// 0011 left it, filled, then migrated to the latest version keeps every row
// readable through the stores, and new rows land in the day partitions.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/stores/message_log_store.h"
#include "core/stores/meter_value_store.h"
#include "core/stores/partition_store.h"
#include "storage/migrations.h"
#include "test/support/store_fixtures.h"
#include "test/support/test_database.h"

using namespace chargelock::core;
using chargelock::storage::embedded_migrations;
using chargelock::test::kT0;
using chargelock::test::TestDatabase;

namespace {

constexpr int kVersionBeforePartitioning = 10;
constexpr int kFramesPerPile = 1500;
constexpr int kValuesOfFirst = 1000;
constexpr int kValuesOfSecond = 500;

std::string micros(Timestamp t) {
  return std::to_string(
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count());
}

}  // namespace

TEST_CASE("a populated database from before the partitioning migrates with every row readable") {
  TestDatabase test(/*migrate=*/false);
  test.db().migrate(kVersionBeforePartitioning);
  REQUIRE(test.db().schema_version() == kVersionBeforePartitioning);

  // Three days of history, as the release before 0011 wrote it: two piles'
  // frames a minute apart, the values of two transactions and some without.
  test.scalar("INSERT INTO charge_points (id) VALUES ('CP-A'), ('CP-B')");
  const int first = std::stoi(test.scalar(
      "INSERT INTO transactions (charge_point_id, connector_id, id_tag, meter_start,"
      " start_timestamp, created_at) VALUES ('CP-A', 1, 'TAG', 0, now() - interval '3 days',"
      " now() - interval '3 days') RETURNING id"));
  const int second = std::stoi(test.scalar(
      "INSERT INTO transactions (charge_point_id, connector_id, id_tag, meter_start,"
      " start_timestamp, created_at) VALUES ('CP-B', 1, 'TAG', 0, now() - interval '1 day',"
      " now() - interval '1 day') RETURNING id"));
  test.scalar(
      "INSERT INTO message_log (charge_point_id, direction, frame, received_at)"
      " SELECT CASE WHEN g % 2 = 0 THEN 'CP-A' ELSE 'CP-B' END, 'in',"
      " '[2,\"' || g || '\",\"Heartbeat\",{}]', now() - interval '3 days' + g * interval '1 minute'"
      " FROM generate_series(1, " +
      std::to_string(2 * kFramesPerPile) + ") g");
  test.scalar(
      "INSERT INTO meter_values (charge_point_id, connector_id, transaction_id, timestamp, value,"
      " unit, received_at)"
      " SELECT 'CP-A', 1, " +
      std::to_string(first) +
      ", now() - interval '3 days' + g * interval '1 minute', g::text, 'Wh',"
      " now() - interval '3 days' + g * interval '1 minute' FROM generate_series(1, " +
      std::to_string(kValuesOfFirst) + ") g");
  test.scalar(
      "INSERT INTO meter_values (charge_point_id, connector_id, transaction_id, timestamp, value,"
      " received_at)"
      " SELECT 'CP-B', 1, " +
      std::to_string(second) +
      ", now() - interval '1 day' + g * interval '1 minute', g::text,"
      " now() - interval '1 day' + g * interval '1 minute' FROM generate_series(1, " +
      std::to_string(kValuesOfSecond) + ") g");
  test.scalar(
      "INSERT INTO meter_values (charge_point_id, connector_id, timestamp, value, received_at)"
      " SELECT 'CP-B', 2, now() - interval '2 days', g::text, now() - interval '2 days'"
      " FROM generate_series(1, 100) g");
  const std::string last_frame_id = test.scalar("SELECT max(id) FROM message_log");
  const std::string last_value_id = test.scalar("SELECT max(id) FROM meter_values");

  int later = 0;
  for (const auto& migration : embedded_migrations())
    if (migration.version > kVersionBeforePartitioning) ++later;
  CHECK(test.db().migrate() == later);
  CHECK(test.scalar("SELECT count(*) FROM message_log") == std::to_string(2 * kFramesPerPile));
  CHECK(test.scalar("SELECT count(*) FROM meter_values") ==
        std::to_string(kValuesOfFirst + kValuesOfSecond + 100));

  // Every frame of a pile, paged newest first, as the console reads them.
  auto& log = test.db().message_log();
  std::vector<LoggedFrame> frames;
  std::optional<std::int64_t> before;
  for (;;) {
    const auto page = log.page("CP-A", before, 200);
    if (page.empty()) break;
    frames.insert(frames.end(), page.begin(), page.end());
    before = page.back().id;
  }
  REQUIRE(frames.size() == kFramesPerPile);
  CHECK(frames.front().frame ==
        "[2,\"" + std::to_string(2 * kFramesPerPile) + "\",\"Heartbeat\",{}]");
  CHECK(frames.back().frame == "[2,\"2\",\"Heartbeat\",{}]");
  bool newest_first = true;
  for (std::size_t i = 1; i < frames.size(); ++i) newest_first &= frames[i].id < frames[i - 1].id;
  CHECK(newest_first);
  const auto found = log.containing("CP-B", "\"17\"", frames.back().received_at, 10);
  REQUIRE(found.size() == 1);
  CHECK(found[0].frame == "[2,\"17\",\"Heartbeat\",{}]");

  // Every value of each transaction, in order, as the transaction page reads them.
  auto& meters = test.db().meter_values();
  const auto values = meters.for_transaction(first);
  REQUIRE(values.size() == kValuesOfFirst);
  std::vector<std::string> read, written;
  for (int i = 0; i < kValuesOfFirst; ++i) {
    read.push_back(values[i].value);
    written.push_back(std::to_string(i + 1));
  }
  CHECK(read == written);
  CHECK(values[0].unit == "Wh");
  CHECK(meters.for_transaction(second).size() == kValuesOfSecond);

  // New rows: after the old ones' ids, in the day partitions made ahead.
  const Timestamp now = chargelock::base::Clock::now();
  const Timestamp in_two_days = now + std::chrono::hours(48);
  log.append({{0, "CP-A", FrameDirection::Incoming, "now", now},
              {0, "CP-A", FrameDirection::Incoming, "in two days", in_two_days}});
  CHECK(test.scalar("SELECT tableoid::regclass FROM message_log WHERE frame = 'in two days'") ==
        test.scalar("SELECT 'message_log_p' || to_char(micros_to_ts(" + micros(in_two_days) +
                    ") AT TIME ZONE 'UTC', 'YYYYMMDD')"));
  CHECK(std::stoll(test.scalar("SELECT min(id) FROM message_log WHERE frame IN ('now', 'in two "
                               "days')")) > std::stoll(last_frame_id));
  MeterValueRecord value;
  value.charge_point_id = "CP-A";
  value.connector_id = 1;
  value.transaction_id = first;
  value.timestamp = now + std::chrono::hours(1);  // after the old ones
  value.value = "new";
  meters.append({value});
  CHECK(std::stoll(test.scalar("SELECT id FROM meter_values WHERE value = 'new'")) >
        std::stoll(last_value_id));
  CHECK(test.scalar("SELECT tableoid::regclass FROM meter_values WHERE value = 'new'") !=
        "meter_values_default");
  test.scalar(
      "INSERT INTO meter_values (charge_point_id, connector_id, transaction_id, timestamp, value,"
      " received_at) VALUES ('CP-A', 1, " +
      std::to_string(first) + ", micros_to_ts(" + micros(in_two_days) +
      "), 'in two days', micros_to_ts(" + micros(in_two_days) + ")) RETURNING id");
  CHECK(test.scalar("SELECT tableoid::regclass FROM meter_values WHERE value = 'in two days'") ==
        test.scalar("SELECT 'meter_values_p' || to_char(micros_to_ts(" + micros(in_two_days) +
                    ") AT TIME ZONE 'UTC', 'YYYYMMDD')"));
  const auto with_new = meters.for_transaction(first);
  REQUIRE(with_new.size() == kValuesOfFirst + 2);
  CHECK(with_new[kValuesOfFirst].value == "new");
  CHECK(with_new.back().value == "in two days");

  // Retention reaches the rows from before the upgrade too: keeping one day
  // on the day after next leaves only that day's rows.
  auto& partitions = test.db().partitions();
  CHECK(partitions.maintain(PartitionedTable::MessageLog, in_two_days, 7, 1) > 0);
  CHECK(partitions.maintain(PartitionedTable::MeterValues, in_two_days, 7, 1) > 0);
  CHECK(test.scalar("SELECT string_agg(frame, ',') FROM message_log") == "in two days");
  const auto kept = meters.for_transaction(first);
  REQUIRE(kept.size() == 1);
  CHECK(kept[0].value == "in two days");
  CHECK(meters.for_transaction(second).empty());
}
