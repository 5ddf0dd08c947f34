// OCPP-J RPC framing (OCPP-J 1.6 §4): CALL [2,id,action,payload],
// CALLRESULT [3,id,payload], CALLERROR [4,id,code,description,details].
#pragma once

#include <rapidjson/document.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace chargelock::ocpp {

// The error codes OCPP-J 1.6 §4.2.3 defines (the spec's spelling, including
// "Occurence").
enum class ErrorCode {
  NotImplemented,
  NotSupported,
  InternalError,
  ProtocolError,
  SecurityError,
  FormationViolation,
  PropertyConstraintViolation,
  OccurenceConstraintViolation,
  TypeConstraintViolation,
  GenericError,
};

std::string_view to_string(ErrorCode code);
std::optional<ErrorCode> error_code_from_string(std::string_view text);

enum class MessageType { Call = 2, CallResult = 3, CallError = 4 };

struct Call {
  std::string message_id;
  std::string action;
  rapidjson::Document payload;  // always an object once parsed
};

struct CallResult {
  std::string message_id;
  rapidjson::Document payload;
};

struct CallError {
  std::string message_id;
  ErrorCode code = ErrorCode::GenericError;
  std::string description;
  rapidjson::Document details;  // an object; {} when absent
};

using Frame = std::variant<Call, CallResult, CallError>;

// A frame that could not be parsed. `reply` is the CALLERROR to send back;
// it carries the message id when one could be read, "-1" otherwise.
// `message_type` is set when the frame's type number could be read and is
// 2, 3 or 4: a malformed CALLRESULT or CALLERROR must not be answered (the
// peer does not expect a reply to a reply), but its id may still match a
// CALL we sent. docs/ocpp-errors.md lists which code each defect gets.
struct FrameError {
  CallError reply;
  std::optional<MessageType> message_type;
};

// Longest message id OCPP-J 1.6 §4.1.3 allows.
inline constexpr std::size_t kMaxMessageIdLength = 36;

// Parses one websocket text frame. Never throws.
std::variant<Frame, FrameError> parse_frame(std::string_view text);

std::string serialize_call(std::string_view message_id, std::string_view action,
                           const rapidjson::Value& payload);
std::string serialize_call_result(std::string_view message_id, const rapidjson::Value& payload);
// The same with the payload as JSON text, written as it is: the caller built
// it with a JSON writer (base/json_writer.h), so it is valid JSON.
std::string serialize_call_result_text(std::string_view message_id, std::string_view payload_json);
std::string serialize_call_error(std::string_view message_id, ErrorCode code,
                                 std::string_view description,
                                 const rapidjson::Value* details = nullptr);

}  // namespace chargelock::ocpp
