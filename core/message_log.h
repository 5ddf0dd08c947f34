// Every OCPP frame in and out is kept, per charge point (SPEC §3).
#pragma once

#include <optional>
#include <string>
#include <string_view>

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

class MessageLog {
 public:
  virtual ~MessageLog() = default;
  // Thread-safe and non-blocking: the frame is buffered and written to the
  // database by a background writer, in arrival order per charge point.
  virtual void record(const std::string& charge_point_id, FrameDirection direction,
                      std::string frame) = 0;
};

}  // namespace chargelock::core
