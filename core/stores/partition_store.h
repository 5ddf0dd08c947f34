// The tables kept in one partition per UTC day (the message log and the meter
// values: the two that grow with every message), and their upkeep: the
// partitions of the coming days made ahead, the days past a retention dropped
// whole (never row by row).
#pragma once

#include <string_view>

#include "core/timestamp.h"

namespace chargelock::core {

enum class PartitionedTable { MessageLog, MeterValues };

// "message_log", "meter_values": the stored tables' names, for logs too.
inline std::string_view to_string(PartitionedTable table) {
  return table == PartitionedTable::MessageLog ? "message_log" : "meter_values";
}

class PartitionStore {
 public:
  virtual ~PartitionStore() = default;
  // Creates the partitions of `table` for the UTC day of `now` through
  // `days_ahead` days after it, and with retention_days > 0 drops the days
  // that ended retention_days or more days before the day of `now`. Returns
  // how many partitions were dropped. Several nodes may call it at once (a
  // call finding another at work on the same table returns 0 and leaves the
  // work to it). Throws DatabaseError, e.g. when a long reader keeps the
  // table's lock from it for seconds (retry later).
  virtual int maintain(PartitionedTable table, Timestamp now, int days_ahead,
                       int retention_days) = 0;
};

}  // namespace chargelock::core
