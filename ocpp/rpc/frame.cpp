// OCPP-J framing. Which CALLERROR each malformed frame earns is decided here
// and documented in docs/ocpp-errors.md (keep both in step):
//
//   not JSON, not an array, empty array             FormationViolation, id "-1"
//   type element not an integer                     FormationViolation
//   type integer but not 2, 3 or 4                  ProtocolError
//   fewer elements than the type needs              ProtocolError ("incomplete")
//   message id not a string of 1..36 characters     FormationViolation (a longer
//                                                   string is echoed; else "-1")
//   more elements than the type needs               FormationViolation
//   action / error code / description wrong type    FormationViolation
//   unknown error code string in a CALLERROR        FormationViolation
//   payload / error details not a JSON object       FormationViolation
//   nesting deeper than 64 levels                   FormationViolation, the id
//                                                   if it precedes the nesting
//
// The reply carries the frame's message id whenever one could be read, so
// the peer can match it; "-1" otherwise (OCPP-J 1.6 §4.2.3 practice).
#include "ocpp/rpc/frame.h"

#include <fmt/format.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <array>
#include <string>
#include <utility>

#include "base/json_nesting.h"

namespace chargelock::ocpp {

namespace {

constexpr std::array<std::pair<ErrorCode, std::string_view>, 10> kErrorCodeNames = {{
    {ErrorCode::NotImplemented, "NotImplemented"},
    {ErrorCode::NotSupported, "NotSupported"},
    {ErrorCode::InternalError, "InternalError"},
    {ErrorCode::ProtocolError, "ProtocolError"},
    {ErrorCode::SecurityError, "SecurityError"},
    {ErrorCode::FormationViolation, "FormationViolation"},
    {ErrorCode::PropertyConstraintViolation, "PropertyConstraintViolation"},
    {ErrorCode::OccurenceConstraintViolation, "OccurenceConstraintViolation"},
    {ErrorCode::TypeConstraintViolation, "TypeConstraintViolation"},
    {ErrorCode::GenericError, "GenericError"},
}};

const char* const kUnknownId = "-1";

FrameError error(std::string id, ErrorCode code, std::string description,
                 std::optional<MessageType> type = std::nullopt) {
  FrameError result;
  result.reply.message_id = std::move(id);
  result.reply.code = code;
  result.reply.description = std::move(description);
  result.reply.details.SetObject();
  result.message_type = type;
  return result;
}

bool valid_message_id(const rapidjson::Value& value) {
  return value.IsString() && value.GetStringLength() > 0 &&
         value.GetStringLength() <= kMaxMessageIdLength;
}

std::string as_string(const rapidjson::Value& value) {
  return std::string(value.GetString(), value.GetStringLength());
}

// The id an error reply names: any non-empty string, even one longer than
// 36 characters (the peer can only match its CALL by that very id; "-1"
// would leave it waiting for a timeout).
std::string reply_id(const rapidjson::Value& array) {
  if (array.Size() >= 2 && array[1].IsString() && array[1].GetStringLength() > 0)
    return as_string(array[1]);
  return kUnknownId;
}

// Number of elements each message type has (OCPP-J 1.6 §4.2).
std::size_t expected_size(MessageType type) {
  switch (type) {
    case MessageType::Call:
      return 4;
    case MessageType::CallResult:
      return 3;
    case MessageType::CallError:
      return 5;
  }
  return 0;
}

std::string_view type_name(MessageType type) {
  switch (type) {
    case MessageType::Call:
      return "CALL";
    case MessageType::CallResult:
      return "CALLRESULT";
    case MessageType::CallError:
      return "CALLERROR";
  }
  return "?";
}

// The frame's document made into the document of its member `index` (a
// payload or error details): the root and the member swap places, so the
// member's values stay where the parse put them. A CopyFrom into a document
// of its own was a second memory pool (RapidJSON's first block is 64 KB)
// and a deep copy for every frame. The rest of the array stays in the pool
// unreferenced and goes with it (a pool frees nothing value by value).
rapidjson::Document take_member(rapidjson::Document& document, rapidjson::SizeType index) {
  rapidjson::Value member;
  member.Swap(document[index]);
  static_cast<rapidjson::Value&>(document).Swap(member);
  return std::move(document);
}

// Reads `document`, a JSON array; a Call, CallResult or CallError takes the
// document over as its payload's (see take_member).
std::variant<Frame, FrameError> parse_array(rapidjson::Document& document) {
  const rapidjson::Value& array = document;
  if (array.Empty())
    return error(kUnknownId, ErrorCode::FormationViolation, "Frame is an empty array");
  // Read the id early so that every later error can name it.
  std::string id = reply_id(array);

  if (!array[0].IsInt())
    return error(id, ErrorCode::FormationViolation, "Message type is not an integer");
  const int number = array[0].GetInt();
  if (number != 2 && number != 3 && number != 4)
    return error(id, ErrorCode::ProtocolError, "Unknown message type " + std::to_string(number));
  const auto type = static_cast<MessageType>(number);
  const std::size_t size = expected_size(type);
  const std::string what(type_name(type));

  if (array.Size() < 2)
    return error(id, ErrorCode::ProtocolError, what + " is incomplete: no message id", type);
  if (!valid_message_id(array[1]))
    return error(id, ErrorCode::FormationViolation,
                 "Message id must be a string of 1 to 36 characters", type);
  if (array.Size() < size)
    return error(
        id, ErrorCode::ProtocolError,
        fmt::format("{} is incomplete: expected {} elements, got {}", what, size, array.Size()),
        type);
  if (array.Size() > size)
    return error(
        id, ErrorCode::FormationViolation,
        fmt::format("{} has too many elements: expected {}, got {}", what, size, array.Size()),
        type);

  switch (type) {
    case MessageType::Call: {
      if (!array[2].IsString() || array[2].GetStringLength() == 0)
        return error(id, ErrorCode::FormationViolation, "Action must be a non-empty string", type);
      if (!array[3].IsObject())
        return error(id, ErrorCode::FormationViolation, "Payload must be a JSON object", type);
      Call call;
      call.message_id = id;
      call.action = as_string(array[2]);
      call.payload = take_member(document, 3);
      return Frame(std::move(call));
    }
    case MessageType::CallResult: {
      if (!array[2].IsObject())
        return error(id, ErrorCode::FormationViolation, "Payload must be a JSON object", type);
      CallResult result;
      result.message_id = id;
      result.payload = take_member(document, 2);
      return Frame(std::move(result));
    }
    case MessageType::CallError: {
      if (!array[2].IsString())
        return error(id, ErrorCode::FormationViolation, "Error code must be a string", type);
      auto code = error_code_from_string(as_string(array[2]));
      if (!code)
        return error(id, ErrorCode::FormationViolation, "Unknown error code " + as_string(array[2]),
                     type);
      if (!array[3].IsString())
        return error(id, ErrorCode::FormationViolation, "Error description must be a string", type);
      if (!array[4].IsObject())
        return error(id, ErrorCode::FormationViolation, "Error details must be a JSON object",
                     type);
      CallError call_error;
      call_error.message_id = id;
      call_error.code = *code;
      call_error.description = as_string(array[3]);
      call_error.details = take_member(document, 4);
      return Frame(std::move(call_error));
    }
  }
  return error(id, ErrorCode::ProtocolError, "Unknown message type");
}

// The head of a frame nested too deep to parse: its type and message id,
// read with RapidJSON's SAX reader (iterative) that stops at the first
// nested value, so the deep part is never reached.
struct FrameHead : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, FrameHead> {
  int depth = 0;
  int index = -1;  // of the element at depth 1
  std::optional<int> type;
  std::string id;

  bool Default() { return element(); }  // any other scalar
  bool Int(int value) {
    if (depth == 1 && index == -1) type = value;
    return element();
  }
  bool Uint(unsigned value) { return value <= 4 ? Int(static_cast<int>(value)) : element(); }
  bool String(const char* text, rapidjson::SizeType length, bool) {
    if (depth == 1 && index == 0) id.assign(text, length);
    return element();
  }
  bool StartArray() {
    if (depth != 0) return false;  // a nested value: the head is over
    depth = 1;
    return true;
  }
  bool StartObject() { return false; }
  bool element() { return depth == 1 && ++index < 1; }
};

FrameError too_deep(std::string_view text) {
  FrameHead head;
  rapidjson::Reader reader;
  rapidjson::MemoryStream stream(text.data(), text.size());
  reader.Parse<rapidjson::kParseIterativeFlag>(stream, head);
  std::optional<MessageType> type;
  if (head.type && *head.type >= 2 && *head.type <= 4) type = static_cast<MessageType>(*head.type);
  return error(head.id.empty() ? std::string(kUnknownId) : head.id, ErrorCode::FormationViolation,
               "Frame nests deeper than " + std::to_string(base::kMaxJsonNesting) + " levels",
               type);
}

template <typename Writer>
void write_string(Writer& writer, std::string_view text) {
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

using FrameWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// [3, message id, payload]; `write_payload(writer)` writes the payload.
template <typename WritePayload>
std::string call_result_frame(std::string_view message_id, const WritePayload& write_payload) {
  rapidjson::StringBuffer buffer;
  FrameWriter writer(buffer);
  writer.StartArray();
  writer.Int(static_cast<int>(MessageType::CallResult));
  write_string(writer, message_id);
  write_payload(writer);
  writer.EndArray();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace

std::string_view to_string(ErrorCode code) {
  for (const auto& [value, name] : kErrorCodeNames)
    if (value == code) return name;
  return "GenericError";
}

std::optional<ErrorCode> error_code_from_string(std::string_view text) {
  for (const auto& [value, name] : kErrorCodeNames)
    if (name == text) return value;
  return std::nullopt;
}

std::variant<Frame, FrameError> parse_frame(std::string_view text) {
  try {
    // Refused before parsing: copying and validating a value recurse.
    if (base::json_too_deep_at(text)) return too_deep(text);
    rapidjson::Document document;
    // Iterative parsing: no recursion, whatever the input looks like.
    document.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
    if (document.HasParseError())
      return error(kUnknownId, ErrorCode::FormationViolation,
                   std::string("Frame is not valid JSON: ") +
                       rapidjson::GetParseError_En(document.GetParseError()) + " (offset " +
                       std::to_string(document.GetErrorOffset()) + ")");
    if (!document.IsArray())
      return error(kUnknownId, ErrorCode::FormationViolation, "Frame is not a JSON array");
    return parse_array(document);
  } catch (...) {
    // Only allocation can throw here; the contract is to never throw.
    return error(kUnknownId, ErrorCode::InternalError, "Frame could not be processed");
  }
}

std::string serialize_call(std::string_view message_id, std::string_view action,
                           const rapidjson::Value& payload) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartArray();
  writer.Int(static_cast<int>(MessageType::Call));
  write_string(writer, message_id);
  write_string(writer, action);
  payload.Accept(writer);
  writer.EndArray();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string serialize_call_result(std::string_view message_id, const rapidjson::Value& payload) {
  return call_result_frame(message_id, [&](FrameWriter& writer) { payload.Accept(writer); });
}

std::string serialize_call_result_text(std::string_view message_id, std::string_view payload_json) {
  return call_result_frame(message_id, [&](FrameWriter& writer) {
    writer.RawValue(payload_json.data(), payload_json.size(), rapidjson::kObjectType);
  });
}

std::string serialize_call_error(std::string_view message_id, ErrorCode code,
                                 std::string_view description, const rapidjson::Value* details) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartArray();
  writer.Int(static_cast<int>(MessageType::CallError));
  write_string(writer, message_id);
  write_string(writer, to_string(code));
  write_string(writer, description);
  if (details != nullptr && details->IsObject()) {
    details->Accept(writer);
  } else {
    writer.StartObject();
    writer.EndObject();
  }
  writer.EndArray();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace chargelock::ocpp
