// The OCPP message log: every frame in and out, per charge point (kept in
// one partition per UTC day: core/stores/partition_store.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/logged_frame.h"
#include "core/timestamp.h"

namespace chargelock::core {

class MessageLogStore {
 public:
  virtual ~MessageLogStore() = default;
  // Appends the frames in the given order, in one transaction (ids of
  // `frames` are ignored). A NUL byte in a frame (valid UTF-8 from a pile)
  // is kept as the JSON escape \u0000: the database's text cannot hold it.
  virtual void append(const std::vector<LoggedFrame>& frames) = 0;
  // Newest first: at most `limit` frames of the charge point with an id
  // below `before_id` when given. Page on with the last id returned.
  virtual std::vector<LoggedFrame> page(const std::string& charge_point_id,
                                        std::optional<std::int64_t> before_id,
                                        std::size_t limit) = 0;
  // Oldest first: at most `limit` frames of the charge point received at or
  // after `since` whose text contains `needle` (evidence for a lock).
  virtual std::vector<LoggedFrame> containing(const std::string& charge_point_id,
                                              const std::string& needle, Timestamp since,
                                              std::size_t limit) = 0;
};

}  // namespace chargelock::core
