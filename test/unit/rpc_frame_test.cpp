// OCPP-J framing: what parse_frame accepts, which CALLERROR each malformed
// frame earns (docs/ocpp-errors.md), and what the serializers put on the wire.
#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <string>
#include <variant>

#include "ocpp/rpc/frame.h"

using namespace chargelock::ocpp;

namespace {

Frame parse_ok(const std::string& text) {
  auto parsed = parse_frame(text);
  INFO(text);
  REQUIRE(std::holds_alternative<Frame>(parsed));
  return std::move(std::get<Frame>(parsed));
}

FrameError parse_bad(const std::string& text) {
  auto parsed = parse_frame(text);
  INFO(text);
  REQUIRE(std::holds_alternative<FrameError>(parsed));
  return std::move(std::get<FrameError>(parsed));
}

void check_error(const std::string& text, ErrorCode code, const std::string& id) {
  INFO(text);
  FrameError error = parse_bad(text);
  CHECK(to_string(error.reply.code) == to_string(code));
  CHECK(error.reply.message_id == id);
  CHECK(!error.reply.description.empty());
  CHECK(error.reply.details.IsObject());
}

}  // namespace

TEST_CASE("a CALL parses into id, action and payload") {
  Frame frame = parse_ok(R"([2,"19223201","BootNotification",{"chargePointVendor":"VendorX"}])");
  auto& call = std::get<Call>(frame);
  CHECK(call.message_id == "19223201");
  CHECK(call.action == "BootNotification");
  REQUIRE(call.payload.IsObject());
  CHECK(std::string(call.payload["chargePointVendor"].GetString()) == "VendorX");
}

TEST_CASE("a CALLRESULT parses into id and payload") {
  Frame frame = parse_ok(R"([3,"abc",{"status":"Accepted","interval":300}])");
  auto& result = std::get<CallResult>(frame);
  CHECK(result.message_id == "abc");
  CHECK(result.payload["interval"].GetInt() == 300);
}

TEST_CASE("a CALLERROR parses into id, code, description and details") {
  Frame frame = parse_ok(R"([4,"abc","NotSupported","no such thing",{"hint":1}])");
  auto& error = std::get<CallError>(frame);
  CHECK(error.message_id == "abc");
  CHECK(error.code == ErrorCode::NotSupported);
  CHECK(error.description == "no such thing");
  CHECK(error.details["hint"].GetInt() == 1);
}

TEST_CASE("an empty payload object is a valid CALL") {
  Frame frame = parse_ok(R"([2,"1","Heartbeat",{}])");
  auto& call = std::get<Call>(frame);
  CHECK(call.payload.ObjectEmpty());
}

TEST_CASE("a message id of exactly 36 characters is accepted") {
  const std::string id(36, 'x');
  Frame frame = parse_ok(R"([2,")" + id + R"(","Heartbeat",{}])");
  auto& call = std::get<Call>(frame);
  CHECK(call.message_id == id);
}

TEST_CASE("text that is not JSON is a FormationViolation with id -1") {
  check_error("not json", ErrorCode::FormationViolation, "-1");
  check_error(R"([2,"1","Heartbeat",{})", ErrorCode::FormationViolation, "-1");
  check_error("", ErrorCode::FormationViolation, "-1");
}

TEST_CASE("trailing text after the array is a FormationViolation") {
  check_error(R"([2,"1","Heartbeat",{}] x)", ErrorCode::FormationViolation, "-1");
}

TEST_CASE("JSON that is not an array is a FormationViolation with id -1") {
  check_error(R"({"2":"1"})", ErrorCode::FormationViolation, "-1");
  check_error(R"("hello")", ErrorCode::FormationViolation, "-1");
  check_error("42", ErrorCode::FormationViolation, "-1");
}

TEST_CASE("an empty array is a FormationViolation with id -1") {
  check_error("[]", ErrorCode::FormationViolation, "-1");
}

TEST_CASE("a message type that is not an integer is a FormationViolation keeping the id") {
  check_error(R"(["2","id7","Heartbeat",{}])", ErrorCode::FormationViolation, "id7");
  check_error(R"([2.5,"id7","Heartbeat",{}])", ErrorCode::FormationViolation, "id7");
  check_error(R"([null,"id7","Heartbeat",{}])", ErrorCode::FormationViolation, "id7");
}

TEST_CASE("an unknown message type number is a ProtocolError keeping the id") {
  FrameError error = parse_bad(R"([5,"id7","Heartbeat",{}])");
  CHECK(error.reply.code == ErrorCode::ProtocolError);
  CHECK(error.reply.message_id == "id7");
  CHECK_FALSE(error.message_type.has_value());
  check_error(R"([1,"id8",{}])", ErrorCode::ProtocolError, "id8");
}

TEST_CASE("a message id that is not a string is a FormationViolation with id -1") {
  check_error(R"([2,19223201,"Heartbeat",{}])", ErrorCode::FormationViolation, "-1");
  check_error(R"([2,null,"Heartbeat",{}])", ErrorCode::FormationViolation, "-1");
}

TEST_CASE("a message id longer than 36 characters is a FormationViolation carrying that id") {
  // The pile can only match the error to its CALL by the id it sent.
  const std::string id(37, 'x');
  check_error(R"([2,")" + id + R"(","Heartbeat",{}])", ErrorCode::FormationViolation, id);
  const std::string longer(200, 'y');
  check_error(R"([2,")" + longer + R"(","Heartbeat",{}])", ErrorCode::FormationViolation, longer);
  check_error(R"([2,")" + std::string(36, 'z') + R"(","Heartbeat",[]])",
              ErrorCode::FormationViolation, std::string(36, 'z'));
}

TEST_CASE("an empty message id is a FormationViolation with id -1") {
  check_error(R"([2,"","Heartbeat",{}])", ErrorCode::FormationViolation, "-1");
}

TEST_CASE("a frame with fewer elements than its type needs is a ProtocolError") {
  check_error(R"([2])", ErrorCode::ProtocolError, "-1");
  check_error(R"([2,"id1","Heartbeat"])", ErrorCode::ProtocolError, "id1");
  check_error(R"([3,"id2"])", ErrorCode::ProtocolError, "id2");
  check_error(R"([4,"id3","GenericError","x"])", ErrorCode::ProtocolError, "id3");
}

TEST_CASE("a frame with more elements than its type needs is a FormationViolation") {
  check_error(R"([2,"id1","Heartbeat",{},{}])", ErrorCode::FormationViolation, "id1");
  check_error(R"([3,"id2",{},1])", ErrorCode::FormationViolation, "id2");
}

TEST_CASE("a CALL whose action is not a non-empty string is a FormationViolation") {
  check_error(R"([2,"id1",7,{}])", ErrorCode::FormationViolation, "id1");
  check_error(R"([2,"id1","",{}])", ErrorCode::FormationViolation, "id1");
}

TEST_CASE("a payload that is not an object is a FormationViolation") {
  check_error(R"([2,"id1","Heartbeat",[]])", ErrorCode::FormationViolation, "id1");
  check_error(R"([2,"id1","Heartbeat",null])", ErrorCode::FormationViolation, "id1");
  check_error(R"([2,"id1","Heartbeat","{}"])", ErrorCode::FormationViolation, "id1");
  check_error(R"([3,"id2",[]])", ErrorCode::FormationViolation, "id2");
}

TEST_CASE("CALLERROR fields of the wrong kind are FormationViolations") {
  check_error(R"([4,"id1",5,"x",{}])", ErrorCode::FormationViolation, "id1");
  check_error(R"([4,"id1","NoSuchCode","x",{}])", ErrorCode::FormationViolation, "id1");
  check_error(R"([4,"id1","GenericError",5,{}])", ErrorCode::FormationViolation, "id1");
  check_error(R"([4,"id1","GenericError","x",null])", ErrorCode::FormationViolation, "id1");
}

TEST_CASE("a frame error tells which message type it was, so answers are not answered") {
  CHECK(parse_bad(R"([3,"id2",[]])").message_type == MessageType::CallResult);
  CHECK(parse_bad(R"([4,"id1",5,"x",{}])").message_type == MessageType::CallError);
  CHECK(parse_bad(R"([2,"id1","Heartbeat",null])").message_type == MessageType::Call);
  CHECK_FALSE(parse_bad("nope").message_type.has_value());
}

namespace {
std::string nested(int levels) {
  return std::string(static_cast<std::size_t>(levels), '[') +
         std::string(static_cast<std::size_t>(levels), ']');
}
}  // namespace

TEST_CASE("deeply nested input is refused without crashing, naming the id it could read") {
  // A megabyte of '[' would overflow the stack of a recursive parser.
  const std::string deep = R"([2,"id1","DataTransfer",{"data":)" + std::string(1000000, '[') + "}]";
  check_error(deep, ErrorCode::FormationViolation, "id1");
  CHECK(parse_bad(deep).message_type == MessageType::Call);
  check_error(std::string(1000000, '['), ErrorCode::FormationViolation, "-1");
  // An answer nested too deep is known as an answer (and so not answered).
  CHECK(parse_bad(R"([3,"id9",{"a":)" + nested(100) + "}]").message_type ==
        MessageType::CallResult);
  // 64 levels in all are fine (the frame's array is the first), 65 are not.
  const std::string at_limit = R"([2,"id2","DataTransfer",{"data":)" + nested(62) + "}]";
  CHECK(std::holds_alternative<Frame>(parse_frame(at_limit)));
  const std::string over = R"([2,"id3","DataTransfer",{"data":)" + nested(63) + "}]";
  check_error(over, ErrorCode::FormationViolation, "id3");
  CHECK(parse_bad(over).reply.description.find("64") != std::string::npos);
  // Closing brackets first do not buy extra depth.
  check_error(std::string(100, ']') + nested(100), ErrorCode::FormationViolation, "-1");
  // Brackets inside strings do not count.
  const std::string quoted =
      R"([2,"id1","DataTransfer",{"vendorId":")" + std::string(1000, '[') + R"("}])";
  CHECK(std::holds_alternative<Frame>(parse_frame(quoted)));
}

TEST_CASE("error codes round-trip through their OCPP-J spelling") {
  const ErrorCode all[] = {ErrorCode::NotImplemented,
                           ErrorCode::NotSupported,
                           ErrorCode::InternalError,
                           ErrorCode::ProtocolError,
                           ErrorCode::SecurityError,
                           ErrorCode::FormationViolation,
                           ErrorCode::PropertyConstraintViolation,
                           ErrorCode::OccurenceConstraintViolation,
                           ErrorCode::TypeConstraintViolation,
                           ErrorCode::GenericError};
  for (ErrorCode code : all) CHECK(error_code_from_string(to_string(code)) == code);
  // The spec's own misspelling is the wire format.
  CHECK(to_string(ErrorCode::OccurenceConstraintViolation) == "OccurenceConstraintViolation");
  CHECK_FALSE(error_code_from_string("OccurrenceConstraintViolation").has_value());
  CHECK_FALSE(error_code_from_string("notimplemented").has_value());
}

TEST_CASE("serialize_call writes a CALL that parses back") {
  rapidjson::Document payload;
  payload.Parse(R"({"type":"Hard"})");
  const std::string text = serialize_call("m-1", "Reset", payload);
  CHECK(text == R"([2,"m-1","Reset",{"type":"Hard"}])");
  Frame frame = parse_ok(text);
  auto& call = std::get<Call>(frame);
  CHECK(call.action == "Reset");
}

TEST_CASE("serialize_call_result writes a CALLRESULT") {
  rapidjson::Document payload;
  payload.Parse(R"({"currentTime":"2024-01-01T00:00:00Z"})");
  CHECK(serialize_call_result("m-2", payload) ==
        R"([3,"m-2",{"currentTime":"2024-01-01T00:00:00Z"}])");
}

TEST_CASE("serialize_call_error writes empty details by default and escapes text") {
  CHECK(serialize_call_error("m-3", ErrorCode::NotImplemented, "say \"hi\"") ==
        R"([4,"m-3","NotImplemented","say \"hi\"",{}])");
  rapidjson::Document details;
  details.Parse(R"({"field":"/idTag"})");
  const std::string text = serialize_call_error("m-4", ErrorCode::GenericError, "x", &details);
  CHECK(text == R"([4,"m-4","GenericError","x",{"field":"/idTag"}])");
  Frame frame = parse_ok(text);
  auto& error = std::get<CallError>(frame);
  CHECK(error.code == ErrorCode::GenericError);
}
