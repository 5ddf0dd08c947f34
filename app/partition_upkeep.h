// The upkeep of the day-partitioned tables (the message log and the meter
// values; core/stores/partition_store.h) on an OCPP node: at start and every
// 15 minutes, each table's partitions of the coming week made and its days
// past its retention dropped. Every node does it (they take turns in the
// database), so the partitions exist as long as one node runs.
//
// Thread contract: one thread of its own (app/periodic_task.h), with its own
// database connection (released as the thread ends); construct and destroy
// on one thread (the destructor stops and joins it, after a round in
// progress). run_round() is for that thread (and tests).
#pragma once

#include <chrono>

#include "app/periodic_task.h"
#include "core/stores/partition_store.h"
#include "core/time_source.h"

namespace chargelock::core {
class Stores;
}

namespace chargelock::app {

class PartitionUpkeep {
 public:
  // Days kept per table; 0 keeps everything.
  struct Retention {
    int message_log_days = 0;
    int meter_values_days = 0;
  };
  static constexpr int kDaysAhead = 7;

  // REQUIRES: `stores` and `clock` outlive the upkeep; interval > 0.
  PartitionUpkeep(core::Stores& stores, const core::TimeSource& clock, Retention retention,
                  std::chrono::milliseconds interval = std::chrono::minutes(15));

  // One round: every table maintained, in turn. A table that fails (the
  // database away, a lock not granted in time) is logged and left for the
  // next round; the others are still maintained. Returns the partitions
  // dropped in all.
  static int run_round(core::PartitionStore& partitions, core::Timestamp now,
                       const Retention& retention);

 private:
  PeriodicTask task_;
};

}  // namespace chargelock::app
