#include "app/partition_upkeep.h"

#include <fmt/format.h>

#include <exception>

#include "core/log.h"
#include "core/stores/stores.h"

namespace chargelock::app {

PartitionUpkeep::PartitionUpkeep(core::Stores& stores, const core::TimeSource& clock,
                                 Retention retention, std::chrono::milliseconds interval)
    : task_(
          interval,
          [&stores, &clock, retention] { run_round(stores.partitions(), clock.now(), retention); },
          PeriodicTask::FirstRun::AtStart, [&stores] { stores.release_thread_connection(); }) {}

int PartitionUpkeep::run_round(core::PartitionStore& partitions, core::Timestamp now,
                               const Retention& retention) {
  int dropped_in_all = 0;
  for (const auto& [table, days] :
       {std::pair{core::PartitionedTable::MessageLog, retention.message_log_days},
        std::pair{core::PartitionedTable::MeterValues, retention.meter_values_days}}) {
    try {
      const int dropped = partitions.maintain(table, now, kDaysAhead, days);
      dropped_in_all += dropped;
      if (dropped > 0)
        core::log(core::LogLevel::Info, "partition_retention",
                  fmt::format("chargelock: dropped {} {} partition(s) older than {} days", dropped,
                              core::to_string(table), days));
    } catch (const std::exception& error) {
      core::log(core::LogLevel::Warn, "partition_upkeep",
                fmt::format("chargelock: {} partitions not maintained: {}", core::to_string(table),
                            error.what()));
    }
  }
  return dropped_in_all;
}

}  // namespace chargelock::app
