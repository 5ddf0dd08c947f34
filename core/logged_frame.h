// One OCPP frame of the message log (SPEC §3) and its direction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/timestamp.h"

namespace chargelock::core {

enum class FrameDirection { Incoming, Outgoing };

// "in", "out": the API's and the stored form.
inline const char* to_string(FrameDirection direction) {
  return direction == FrameDirection::Incoming ? "in" : "out";
}
inline std::optional<FrameDirection> frame_direction_from_string(std::string_view text) {
  if (text == "in") return FrameDirection::Incoming;
  if (text == "out") return FrameDirection::Outgoing;
  return std::nullopt;
}

struct LoggedFrame {
  std::int64_t id = 0;  // assigned by the store; increases with arrival order
  std::string charge_point_id;
  FrameDirection direction = FrameDirection::Incoming;
  std::string frame;
  Timestamp received_at;
};

}  // namespace chargelock::core
