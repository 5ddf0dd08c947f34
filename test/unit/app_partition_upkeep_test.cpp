// app::PartitionUpkeep: every day-partitioned table maintained each round,
// with its own retention, and one table's failure does not hold up the other.
#include <catch2/catch.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "app/partition_upkeep.h"
#include "core/domain_errors.h"

using chargelock::app::PartitionUpkeep;
using namespace chargelock::core;

namespace {

class RecordingPartitions final : public PartitionStore {
 public:
  struct Call {
    PartitionedTable table;
    Timestamp now;
    int days_ahead;
    int retention_days;
  };
  int maintain(PartitionedTable table, Timestamp now, int days_ahead, int retention_days) override {
    calls.push_back({table, now, days_ahead, retention_days});
    if (table == failing) throw DatabaseError("lock timeout");
    return retention_days > 0 ? 2 : 0;
  }
  std::vector<Call> calls;
  std::optional<PartitionedTable> failing;
};

const Timestamp kNow = Timestamp(std::chrono::hours(24 * 20000));

}  // namespace

TEST_CASE("each table is maintained a week ahead with its own retention") {
  RecordingPartitions partitions;
  CHECK(PartitionUpkeep::run_round(partitions, kNow, {7, 400}) == 4);
  REQUIRE(partitions.calls.size() == 2);
  CHECK(partitions.calls[0].table == PartitionedTable::MessageLog);
  CHECK(partitions.calls[0].retention_days == 7);
  CHECK(partitions.calls[1].table == PartitionedTable::MeterValues);
  CHECK(partitions.calls[1].retention_days == 400);
  for (const auto& call : partitions.calls) {
    CHECK(call.now == kNow);
    CHECK(call.days_ahead == 7);
  }
  // Keeping everything of one table still makes its partitions ahead.
  partitions.calls.clear();
  CHECK(PartitionUpkeep::run_round(partitions, kNow, {0, 30}) == 2);
  REQUIRE(partitions.calls.size() == 2);
  CHECK(partitions.calls[0].retention_days == 0);
}

TEST_CASE("a table that cannot be maintained does not hold up the other") {
  RecordingPartitions partitions;
  partitions.failing = PartitionedTable::MessageLog;
  CHECK(PartitionUpkeep::run_round(partitions, kNow, {7, 400}) == 2);
  REQUIRE(partitions.calls.size() == 2);
  CHECK(partitions.calls[1].table == PartitionedTable::MeterValues);
  partitions.calls.clear();
  partitions.failing = PartitionedTable::MeterValues;
  CHECK(PartitionUpkeep::run_round(partitions, kNow, {7, 400}) == 2);
  CHECK(partitions.calls.size() == 2);
}
