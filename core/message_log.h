// Every OCPP frame in and out is kept, per charge point (SPEC §3).
#pragma once

#include <string>

#include "core/logged_frame.h"

namespace chargelock::core {

class MessageLog {
 public:
  virtual ~MessageLog() = default;
  // Thread-safe and non-blocking: the frame is buffered and written to the
  // database by a background writer, in arrival order per charge point.
  virtual void record(const std::string& charge_point_id, FrameDirection direction,
                      std::string frame) = 0;
};

}  // namespace chargelock::core
