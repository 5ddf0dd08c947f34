// Each PostgreSQL store against a real, freshly migrated database.
#include <catch2/catch.hpp>
#include <chrono>
#include <pqxx/pqxx>

#include "core/domain_errors.h"
#include "core/stores/charge_point_store.h"
#include "core/stores/connector_store.h"
#include "core/stores/event_store.h"
#include "core/stores/id_tag_store.h"
#include "core/stores/message_log_store.h"
#include "core/stores/meter_value_store.h"
#include "core/stores/partition_store.h"
#include "core/stores/transaction_store.h"
#include "test/support/store_fixtures.h"
#include "test/support/test_database.h"

using namespace chargelock::core;
using chargelock::test::add_charge_point;
using chargelock::test::kT0;
using chargelock::test::TestDatabase;

TEST_CASE("charge points: create, update, boot info and connection state") {
  TestDatabase test;
  auto& store = test.db().charge_points();

  NewChargePoint cp;
  cp.id = "CP-1";
  cp.password_hash = "pbkdf2-sha256$1$AAAA$BBBB";
  cp.security_profile = 2;
  cp.registration_status = RegistrationStatus::Pending;
  cp.location = GeoLocation{52.52, 13.405};
  REQUIRE(store.create(cp));
  CHECK_FALSE(store.create(cp));  // same id again

  auto record = store.find("CP-1");
  REQUIRE(record);
  CHECK(record->security_profile == 2);
  CHECK(record->registration_status == RegistrationStatus::Pending);
  REQUIRE(record->location);
  CHECK(record->location->latitude == Approx(52.52));
  CHECK(record->location->longitude == Approx(13.405));
  CHECK_FALSE(record->boot_info);
  CHECK_FALSE(record->online);
  CHECK_FALSE(store.find("nope"));

  // What a lock's radius is tested against: every pile, by id, with its
  // place when it has one.
  NewChargePoint nowhere;
  nowhere.id = "CP-0";
  REQUIRE(store.create(nowhere));
  const auto places = store.list_places();
  REQUIRE(places.size() == 2);
  CHECK(places[0].id == "CP-0");
  CHECK_FALSE(places[0].location);
  CHECK(places[1].id == "CP-1");
  REQUIRE(places[1].location);
  CHECK(places[1].location->latitude == Approx(52.52));
  CHECK(places[1].location->longitude == Approx(13.405));
  REQUIRE(store.remove("CP-0"));

  ChargePointChange change;
  change.registration_status = RegistrationStatus::Accepted;
  change.clear_location = true;
  REQUIRE(store.update("CP-1", change));
  CHECK_FALSE(store.update("nope", change));
  record = store.find("CP-1");
  CHECK(record->registration_status == RegistrationStatus::Accepted);
  CHECK_FALSE(record->location);
  CHECK(record->password_hash == cp.password_hash);  // untouched
  CHECK(record->security_profile == 2);

  BootInfo boot;
  boot.vendor = "ACME";
  boot.model = "Volt 22";
  boot.charge_point_serial = "S-1";
  boot.firmware_version = "1.2.3";
  boot.iccid = "8949";
  boot.imsi = "2620";
  boot.meter_type = "EM";
  boot.meter_serial = "M-9";
  REQUIRE(store.record_boot("CP-1", boot, kT0));
  CHECK_FALSE(store.record_boot("nope", boot, kT0));
  record = store.find("CP-1");
  REQUIRE(record->boot_info);
  CHECK(record->boot_info->vendor == "ACME");
  CHECK(record->boot_info->model == "Volt 22");
  CHECK(record->boot_info->charge_point_serial == "S-1");
  CHECK_FALSE(record->boot_info->charge_box_serial);
  CHECK(record->boot_info->firmware_version == "1.2.3");
  CHECK(record->boot_info->iccid == "8949");
  CHECK(record->boot_info->imsi == "2620");
  CHECK(record->boot_info->meter_type == "EM");
  CHECK(record->boot_info->meter_serial == "M-9");
  CHECK(record->last_boot_at == kT0);
  CHECK(record->last_seen == kT0);

  // last_seen only moves forward; unknown ids are skipped.
  store.touch_many({{"CP-1", kT0 + std::chrono::seconds(9)}, {"nope", kT0}});
  CHECK(store.find("CP-1")->last_seen == kT0 + std::chrono::seconds(9));
  store.touch_many({{"CP-1", kT0 + std::chrono::seconds(3)}});
  CHECK(store.find("CP-1")->last_seen == kT0 + std::chrono::seconds(9));
  store.touch_many({});

  REQUIRE(store.set_online("CP-1", "node-a", kT0));
  CHECK(store.find("CP-1")->online);
  CHECK(store.find("CP-1")->connected_node == "node-a");
  // The pile reconnected to node-b; node-a's late "closed" must not mark it offline.
  REQUIRE(store.set_online("CP-1", "node-b", kT0));
  CHECK_FALSE(store.set_offline("CP-1", "node-a", kT0));
  CHECK(store.find("CP-1")->online);
  CHECK(store.set_offline("CP-1", "node-b", kT0));
  CHECK_FALSE(store.find("CP-1")->online);

  const auto access = store.list_access();
  REQUIRE(access.size() == 1);
  CHECK(access[0].id == "CP-1");
  CHECK(access[0].password_hash == cp.password_hash);
  CHECK(access[0].security_profile == 2);

  CHECK(store.remove("CP-1"));
  CHECK(store.list().empty());
}

TEST_CASE("connectors: current status and history") {
  TestDatabase test;
  add_charge_point(test.db(), "CP-1");
  auto& store = test.db().connectors();

  ConnectorStatus s;
  s.charge_point_id = "CP-1";
  s.connector_id = 1;
  s.status = "Available";
  s.error_code = "NoError";
  s.timestamp = kT0;
  store.record_status(s);
  s.status = "Faulted";
  s.error_code = "GroundFailure";
  s.info = "RCD tripped";
  s.vendor_id = "ACME";
  s.vendor_error_code = "E42";
  store.record_status(s);

  const auto current = store.list("CP-1");
  REQUIRE(current.size() == 1);
  CHECK(current[0].status == "Faulted");
  CHECK(current[0].error_code == "GroundFailure");
  CHECK(current[0].info == "RCD tripped");
  CHECK(current[0].vendor_id == "ACME");
  CHECK(current[0].vendor_error_code == "E42");
  CHECK(current[0].timestamp == kT0);

  const auto history = store.history("CP-1", 1, 10);
  REQUIRE(history.size() == 2);
  CHECK(history[0].status == "Faulted");  // newest first
  CHECK(history[1].status == "Available");

  s.charge_point_id = "unknown";
  CHECK_THROWS_AS(store.record_status(s), RowNotFoundError);
}

TEST_CASE(
    "connectors: texts that need escaping and a report without a timestamp keep their values") {
  // The upsert passes each column as an array literal and the history goes
  // by COPY: both must carry quotes, braces, commas, backslashes, tabs and
  // new lines through unchanged, and an absent field as NULL, not "".
  TestDatabase test;
  add_charge_point(test.db(), "CP-1");
  auto& store = test.db().connectors();

  ConnectorStatus s;
  s.charge_point_id = "CP-1";
  s.connector_id = 2;
  s.status = "Faulted";
  s.error_code = "OtherError";
  s.info = "a \"quoted\", {braced} \\ back\tslash\nline NULL";
  s.vendor_id = "NULL";
  store.record_status(s);

  const auto current = store.list("CP-1");
  REQUIRE(current.size() == 1);
  CHECK(current[0].info == s.info);
  CHECK(current[0].vendor_id == std::optional<std::string>("NULL"));
  CHECK_FALSE(current[0].vendor_error_code);
  CHECK_FALSE(current[0].timestamp);
  const auto history = store.history("CP-1", 2, 10);
  REQUIRE(history.size() == 1);
  CHECK(history[0].info == s.info);
  CHECK(history[0].vendor_id == std::optional<std::string>("NULL"));
  CHECK_FALSE(history[0].vendor_error_code);
  CHECK_FALSE(history[0].timestamp);
}

TEST_CASE("id tags: upsert, find, remove") {
  TestDatabase test;
  auto& store = test.db().id_tags();
  IdTag tag{"TAG-1", IdTagStatus::Accepted, kT0, std::string("PARENT")};
  store.upsert(tag);
  auto found = store.find("TAG-1");
  REQUIRE(found);
  CHECK(found->status == IdTagStatus::Accepted);
  CHECK(found->expiry_date == kT0);
  CHECK(found->parent_id_tag == "PARENT");

  tag.status = IdTagStatus::Blocked;
  tag.expiry_date.reset();
  tag.parent_id_tag.reset();
  store.upsert(tag);
  found = store.find("TAG-1");
  CHECK(found->status == IdTagStatus::Blocked);
  CHECK_FALSE(found->expiry_date);
  CHECK_FALSE(found->parent_id_tag);
  CHECK(store.list().size() == 1);
  CHECK(store.remove("TAG-1"));
  CHECK_FALSE(store.remove("TAG-1"));
  CHECK_FALSE(store.find("TAG-1"));
}

TEST_CASE("transactions: ids from the sequence, repeated start is one row, stop") {
  TestDatabase test;
  add_charge_point(test.db(), "CP-1");
  auto& store = test.db().transactions();

  TransactionStart start{"CP-1", 1, "TAG-1", 1000, kT0, std::nullopt};
  const auto first = store.start(start);
  CHECK(first.created);
  CHECK(first.transaction_id > 0);
  const auto again = store.start(start);
  CHECK_FALSE(again.created);
  CHECK(again.transaction_id == first.transaction_id);
  CHECK(test.scalar("SELECT count(*) FROM transactions") == "1");

  TransactionStart other = start;
  other.meter_start = 2000;  // a different start
  const auto second = store.start(other);
  CHECK(second.created);
  CHECK(second.transaction_id != first.transaction_id);

  CHECK(store.open_for_id_tag("TAG-1").size() == 2);
  REQUIRE(store.stop({first.transaction_id, 1500, kT0 + std::chrono::hours(1),
                      std::string("EVDisconnected"), std::string("TAG-1")}));
  CHECK_FALSE(store.stop({999999, 1, kT0, std::nullopt, std::nullopt}));
  const auto open = store.open_for_id_tag("TAG-1");
  REQUIRE(open.size() == 1);
  CHECK(open[0].id == second.transaction_id);

  const auto stopped = store.find(first.transaction_id);
  REQUIRE(stopped);
  CHECK(stopped->meter_start == 1000);
  CHECK(stopped->meter_stop == 1500);
  CHECK(stopped->start_timestamp == kT0);
  CHECK(stopped->stop_timestamp == kT0 + std::chrono::hours(1));
  CHECK(stopped->stop_reason == "EVDisconnected");

  const auto page = store.list(std::string("CP-1"), std::nullopt, 1);
  REQUIRE(page.size() == 1);
  CHECK(page[0].id == second.transaction_id);  // newest first
  const auto next = store.list(std::string("CP-1"), page[0].id, 10);
  REQUIRE(next.size() == 1);
  CHECK(next[0].id == first.transaction_id);
  CHECK(store.list(std::string("CP-2"), std::nullopt, 10).empty());

  TransactionStart unknown = start;
  unknown.charge_point_id = "nope";
  CHECK_THROWS_AS(store.start(unknown), RowNotFoundError);
}

TEST_CASE("meter values: every sampled value field is kept") {
  TestDatabase test;
  add_charge_point(test.db(), "CP-1");
  auto& store = test.db().meter_values();
  MeterValueRecord full{
      "CP-1",
      2,
      7,
      kT0,
      {"1234.5", std::string("Sample.Clock"), std::string("Raw"), std::string("Voltage"),
       std::string("L1-N"), std::string("Inlet"), std::string("V")}};
  MeterValueRecord bare;
  bare.charge_point_id = "CP-1";
  bare.connector_id = 2;
  bare.transaction_id = 7;
  bare.timestamp = kT0 + std::chrono::seconds(1);
  bare.sampled.value = "42";
  store.append({full, bare});

  const auto values = store.for_transaction(7);
  REQUIRE(values.size() == 2);
  CHECK(values[0].sampled.value == "1234.5");
  CHECK(values[0].connector_id == 2);
  CHECK(values[0].timestamp == kT0);
  CHECK(values[0].sampled.context == "Sample.Clock");
  CHECK(values[0].sampled.format == "Raw");
  CHECK(values[0].sampled.measurand == "Voltage");
  CHECK(values[0].sampled.phase == "L1-N");
  CHECK(values[0].sampled.location == "Inlet");
  CHECK(values[0].sampled.unit == "V");
  CHECK(values[1].sampled.value == "42");
  CHECK_FALSE(values[1].sampled.measurand);
  CHECK_FALSE(values[1].sampled.unit);
  CHECK(store.for_transaction(8).empty());
}

TEST_CASE("message log: batches kept in order, paged per charge point") {
  TestDatabase test;
  auto& store = test.db().message_log();
  std::vector<LoggedFrame> frames;
  for (int i = 0; i < 5; ++i)
    frames.push_back({0, "CP-1", i % 2 ? FrameDirection::Outgoing : FrameDirection::Incoming,
                      "[2,\"" + std::to_string(i) + "\",\"Heartbeat\",{}]", kT0});
  frames.push_back({0, "CP-2", FrameDirection::Incoming, "other", kT0});
  store.append(frames);

  const auto page1 = store.page("CP-1", std::nullopt, 3);
  REQUIRE(page1.size() == 3);
  CHECK(page1[0].frame == "[2,\"4\",\"Heartbeat\",{}]");  // newest first
  CHECK(page1[2].frame == "[2,\"2\",\"Heartbeat\",{}]");
  CHECK(page1[1].direction == FrameDirection::Outgoing);
  CHECK(page1[0].received_at == kT0);
  const auto page2 = store.page("CP-1", page1.back().id, 3);
  REQUIRE(page2.size() == 2);
  CHECK(page2[1].frame == "[2,\"0\",\"Heartbeat\",{}]");
  CHECK(store.page("CP-2", std::nullopt, 10).size() == 1);
}

TEST_CASE("message log: every byte of a frame and its time to the microsecond are kept") {
  TestDatabase test;
  auto& store = test.db().message_log();
  // What COPY's text format would have to escape, its NULL marker, UTF-8,
  // and a frame longer than one chunk of the COPY stream (1 MiB).
  const std::vector<std::string> texts{"[2,\"1\",\"DataTransfer\",{\"data\":\"a\\tb\\\\N\\nc\"}]",
                                       std::string("tab\there\nnewline\rreturn\\backslash\\N"),
                                       "\\N",
                                       "Ladesäule 🚗 日本",
                                       "",
                                       std::string(1'500'000, 'x') + "end"};
  using std::chrono::microseconds;
  const Timestamp precise = kT0 + microseconds(123'457);
  const Timestamp before_2000 = Timestamp(microseconds(915'148'800'000'001));  // 1999-01-01
  std::vector<LoggedFrame> frames;
  for (const auto& text : texts)
    frames.push_back({0, "CP-ü\t1", FrameDirection::Outgoing, text, precise});
  frames.push_back({0, "CP-ü\t1", FrameDirection::Incoming, "old", before_2000});
  store.append(frames);

  const auto kept = store.page("CP-ü\t1", std::nullopt, 20);
  REQUIRE(kept.size() == texts.size() + 1);
  CHECK(kept[0].frame == "old");
  CHECK(kept[0].received_at == before_2000);
  CHECK(kept[0].direction == FrameDirection::Incoming);
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const LoggedFrame& frame = kept[texts.size() - i];  // newest first
    CHECK(frame.frame == texts[i]);
    CHECK(frame.received_at == precise);
    CHECK(frame.direction == FrameDirection::Outgoing);
  }
}

TEST_CASE("message log: a batch PostgreSQL refuses is written not at all, the next one is") {
  TestDatabase test;
  auto& store = test.db().message_log();
  const std::vector<LoggedFrame> refused{
      {0, "CP-1", FrameDirection::Incoming, "fine", kT0},
      {0, "CP-1", FrameDirection::Incoming, std::string("bad \xff byte"), kT0}};
  CHECK_THROWS_AS(store.append(refused), chargelock::core::DatabaseError);
  CHECK(store.page("CP-1", std::nullopt, 10).empty());

  // The same connection goes on (the writer retries on its thread's one).
  store.append({{0, "CP-1", FrameDirection::Incoming, "after", kT0}});
  const auto kept = store.page("CP-1", std::nullopt, 10);
  REQUIRE(kept.size() == 1);
  CHECK(kept[0].frame == "after");
}

TEST_CASE("message log: a NUL byte from a pile is kept as its JSON escape, not a refused batch") {
  // Valid UTF-8, so the websocket layer passes it; PostgreSQL's text refuses
  // it, and a refused batch would be retried while every pile's frames wait.
  TestDatabase test;
  auto& store = test.db().message_log();
  store.append(
      {{0, "CP-1", FrameDirection::Incoming, std::string("[2,\"1\",\"Heart\0beat\",{}]", 23), kT0},
       {0, "CP-1", FrameDirection::Incoming, "after", kT0}});
  const auto kept = store.page("CP-1", std::nullopt, 10);
  REQUIRE(kept.size() == 2);
  CHECK(kept[1].frame == "[2,\"1\",\"Heart\\u0000beat\",{}]");
  CHECK(kept[0].frame == "after");
}

// Midnight UTC of a day far after the migration's (whose day the legacy
// partition covers), so that every day below gets a partition of its own.
Timestamp day_ahead(int days) {
  using std::chrono::hours;
  const auto today = std::chrono::floor<hours>(chargelock::base::Clock::now());
  const auto midnight =
      today - hours(std::chrono::duration_cast<hours>(today.time_since_epoch()).count() % 24);
  return Timestamp(midnight + hours(24 * (400 + days)));
}

TEST_CASE("message log: day partitions created ahead, whole days past the retention dropped") {
  TestDatabase test;
  auto& store = test.db().message_log();
  const auto maintain = [&](Timestamp now, int days_ahead, int retention_days) {
    return test.db().partitions().maintain(PartitionedTable::MessageLog, now, days_ahead,
                                           retention_days);
  };
  const auto frame = [](const std::string& text, Timestamp at) {
    return LoggedFrame{0, "CP-1", FrameDirection::Incoming, text, at};
  };
  const auto logged = [&] {
    std::vector<std::string> texts;
    for (const auto& f : store.page("CP-1", std::nullopt, 100)) texts.push_back(f.frame);
    return texts;
  };
  const auto partitions = [&] {
    return test.scalar(
        "SELECT string_agg(c.relname, ' ' ORDER BY c.relname) FROM pg_inherits i"
        " JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'message_log'::regclass");
  };
  // Day 0 .. day 2 get their partitions; nothing is dropped without retention.
  CHECK(maintain(day_ahead(0) + std::chrono::hours(5), 2, 0) == 0);
  const std::string p0 =
      test.scalar("SELECT 'message_log_p' || to_char(micros_to_ts(" +
                  std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(
                                     day_ahead(0).time_since_epoch())
                                     .count()) +
                  ") AT TIME ZONE 'UTC', 'YYYYMMDD')");
  CHECK(partitions().find(p0) != std::string::npos);
  store.append({frame("legacy", kT0), frame("day 0", day_ahead(0) + std::chrono::hours(1)),
                frame("day 1", day_ahead(1) + std::chrono::hours(23)), frame("day 2", day_ahead(2)),
                frame("no partition yet", day_ahead(50))});  // kept in the default partition
  CHECK(test.scalar("SELECT count(*) FROM message_log_default") == "1");
  CHECK(test.scalar("SELECT count(*) FROM ONLY " + p0) == "1");
  // Again on day 2 with retention 0: everything kept.
  CHECK(maintain(day_ahead(2), 2, 0) == 0);
  CHECK(logged().size() == 5);

  // Day 2, keeping 1 day: day 1 and day 2 (and the days ahead) stay; day 0
  // and the legacy partition (everything before the migration's next day) go.
  // (Also the migration's days: the week from the day the test ran.)
  const int day_partitions = std::stoi(test.scalar("SELECT count(*) FROM pg_inherits"
                                                   " WHERE inhparent = 'message_log'::regclass")) -
                             1;  // not the default
  CHECK(maintain(day_ahead(2) + std::chrono::hours(12), 2, 1) ==
        day_partitions - 4);  // days 1 to 4 stay
  CHECK(logged() == std::vector<std::string>{"no partition yet", "day 2", "day 1"});
  CHECK(partitions().find(p0) == std::string::npos);
  CHECK(partitions().find("message_log_legacy") == std::string::npos);
  // The log goes on: new frames get ids after the old ones.
  store.append({frame("day 3", day_ahead(3))});
  const auto page = store.page("CP-1", std::nullopt, 1);
  REQUIRE(page.size() == 1);
  CHECK(page[0].frame == "day 3");
  // Far later: the default partition's old rows go by the same rule.
  CHECK(maintain(day_ahead(80), 0, 10) == 4);
  CHECK(logged().empty());
}

TEST_CASE("meter values: day partitions created ahead, days past their own retention dropped") {
  TestDatabase test;
  add_charge_point(test.db(), "CP-1");
  const int transaction =
      test.db().transactions().start({"CP-1", 1, "TAG", 0, kT0, std::nullopt}).transaction_id;
  auto& store = test.db().meter_values();
  const auto maintain = [&](PartitionedTable table, Timestamp now, int days_ahead,
                            int retention_days) {
    return test.db().partitions().maintain(table, now, days_ahead, retention_days);
  };
  const auto micros = [](Timestamp t) {
    return std::to_string(
        std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count());
  };
  // The store writes received_at as the database's clock: rows of other
  // days are written here by hand, sampled an hour apart.
  const auto received = [&](const std::string& value, Timestamp at) {
    return test.scalar(
        "INSERT INTO meter_values (charge_point_id, connector_id, transaction_id, timestamp,"
        " value, received_at) VALUES ('CP-1', 1, " +
        std::to_string(transaction) + ", micros_to_ts(" + micros(kT0) + ") + interval '" + value +
        " hours', '" + value + "', micros_to_ts(" + micros(at) + ")) RETURNING tableoid::regclass");
  };
  const auto values = [&] {
    std::string texts;
    for (const auto& v : store.for_transaction(transaction)) texts += v.sampled.value + " ";
    return texts;
  };
  const auto partitions = [&](const std::string& table) {
    return std::stoi(test.scalar("SELECT count(*) FROM pg_inherits WHERE inhparent = '" + table +
                                 "'::regclass"));
  };
  MeterValueRecord today;  // lands in the migration's (legacy) partition
  today.charge_point_id = "CP-1";
  today.connector_id = 1;
  today.transaction_id = transaction;
  today.timestamp = kT0;
  today.sampled.value = "0";
  store.append({today});

  CHECK(maintain(PartitionedTable::MeterValues, day_ahead(0) + std::chrono::hours(5), 2, 0) == 0);
  const std::string p0 = test.scalar("SELECT 'meter_values_p' || to_char(micros_to_ts(" +
                                     micros(day_ahead(0)) + ") AT TIME ZONE 'UTC', 'YYYYMMDD')");
  CHECK(received("1", day_ahead(0) + std::chrono::hours(1)) == p0);
  CHECK(received("2", day_ahead(1) + std::chrono::hours(23)) != p0);
  CHECK(received("3", day_ahead(2)) != p0);
  CHECK(received("4", day_ahead(50)) == "meter_values_default");  // kept, never refused
  CHECK(test.scalar("SELECT tableoid::regclass FROM meter_values WHERE value = '0'") ==
        "meter_values_legacy");
  CHECK(values() == "0 1 2 3 4 ");

  // Day 2 keeping 1 day: day 0 and the legacy partition go, the message log
  // (its own retention: everything) keeps all its partitions.
  const int log_partitions = partitions("message_log");
  const int day_partitions = partitions("meter_values") - 1;  // not the default
  CHECK(maintain(PartitionedTable::MeterValues, day_ahead(2) + std::chrono::hours(12), 0, 1) ==
        day_partitions - 2);  // days 1 and 2 stay
  CHECK(partitions("message_log") == log_partitions);
  CHECK(values() == "2 3 4 ");
  CHECK(test.scalar("SELECT to_regclass('meter_values_legacy') IS NULL") == "t");
  // Writing goes on (today has no partition now: the default keeps it).
  store.append({today});
  CHECK(values() == "0 2 3 4 ");
  // Far later: the default partition's old rows go by the same rule.
  CHECK(maintain(PartitionedTable::MeterValues, day_ahead(80), 0, 10) == 2);
  CHECK(values().empty());
  CHECK(test.db().transactions().find(transaction));  // the transaction itself stays
}

TEST_CASE(
    "the partition upkeep gives up after seconds instead of stalling writes behind a reader") {
  TestDatabase test;
  add_charge_point(test.db(), "CP-1");
  // A long report holds its share lock on the table: creating a partition
  // needs the table to itself, and the writes that come after queue behind.
  pqxx::connection reader(test.url());
  pqxx::work report(reader);
  report.exec("SELECT count(*) FROM meter_values");
  const auto start = std::chrono::steady_clock::now();
  CHECK_THROWS_AS(
      test.db().partitions().maintain(PartitionedTable::MeterValues, day_ahead(0), 0, 0),
      DatabaseError);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(30));
  // Given up, it holds nothing: the writes go on while the report runs.
  MeterValueRecord value;
  value.charge_point_id = "CP-1";
  value.connector_id = 1;
  value.timestamp = kT0;
  value.sampled.value = "during the report";
  test.db().meter_values().append({value});
  report.commit();
  // The next round, the report done, makes the partition.
  CHECK(test.db().partitions().maintain(PartitionedTable::MeterValues, day_ahead(0), 0, 0) == 0);
  CHECK(test.scalar(
            "SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = 'meter_values'::regclass AND c.relname = 'meter_values_p' ||"
            " to_char(now() AT TIME ZONE 'UTC' + interval '400 days', 'YYYYMMDD')") == "1");
}

TEST_CASE("events: status notifications, security events, CSRs, data transfers") {
  TestDatabase test;
  auto& store = test.db().events();
  store.record_status(StatusNotificationKind::Firmware, {"CP-1", "Downloading", 5, {}});
  store.record_status(StatusNotificationKind::Firmware, {"CP-1", "Installed", std::nullopt, {}});
  store.record_status(StatusNotificationKind::Log, {"CP-1", "Uploaded", 17, {}});
  const auto firmware = store.statuses(StatusNotificationKind::Firmware, "CP-1", 10);
  REQUIRE(firmware.size() == 2);
  CHECK(firmware[0].status == "Installed");
  CHECK_FALSE(firmware[1].request_id);  // firmware notifications carry none
  const auto log = store.statuses(StatusNotificationKind::Log, "CP-1", 10);
  REQUIRE(log.size() == 1);
  CHECK(log[0].request_id == 17);
  CHECK(store.statuses(StatusNotificationKind::Diagnostics, "CP-1", 10).empty());

  store.record_security_event({"CP-1", "FirmwareUpdated", kT0, std::string("v2"), {}});
  const auto events = store.security_events("CP-1", 10);
  REQUIRE(events.size() == 1);
  CHECK(events[0].type == "FirmwareUpdated");
  CHECK(events[0].timestamp == kT0);
  CHECK(events[0].tech_info == "v2");

  const auto id =
      store.record_csr({0, "CP-1", "-----BEGIN CERTIFICATE REQUEST-----", "Received", {}});
  const auto csrs = store.csrs("CP-1", 10);
  REQUIRE(csrs.size() == 1);
  CHECK(csrs[0].id == id);
  CHECK(csrs[0].csr == "-----BEGIN CERTIFICATE REQUEST-----");

  store.record_data_transfer(
      {"CP-1", "com.acme", std::string("Ping"), std::nullopt, "UnknownVendorId", {}});
  const auto transfers = store.data_transfers("CP-1", 10);
  REQUIRE(transfers.size() == 1);
  CHECK(transfers[0].vendor_id == "com.acme");
  CHECK(transfers[0].message_id == "Ping");
  CHECK_FALSE(transfers[0].data);
  CHECK(transfers[0].answer_status == "UnknownVendorId");
}
