// A pile's websocket text frame: OCPP-J framing, then the payload against the
// OCPP 1.6 schemas (incl. the security extension) as the session would
// validate it — a CALL against its action's request schema, a CALLRESULT
// against every action's response schema (the session matches it to the
// outstanding CALL's action).
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>

#include "ocpp/rpc/frame.h"
#include "ocpp/schemas/schema_registry.h"

using namespace chargelock::ocpp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const SchemaRegistry& schemas = SchemaRegistry::ocpp16();
  static const auto actions = schemas.actions();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = parse_frame(text);
  auto* frame = std::get_if<Frame>(&parsed);
  if (frame == nullptr) return 0;
  if (auto* call = std::get_if<Call>(frame)) {
    (void)schemas.validate_request(call->action, call->payload);
  } else if (auto* result = std::get_if<CallResult>(frame)) {
    for (const auto& action : actions) (void)schemas.validate_response(action, result->payload);
  }
  return 0;
}
