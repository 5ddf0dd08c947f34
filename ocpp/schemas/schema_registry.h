// Strict validation of OCPP 1.6 payloads against the official JSON schemas
// (incl. the security extension), compiled into the binary.
//
// Contract:
// - ocpp16() compiles every embedded schema once (first call) and is then
//   immutable: any number of threads may validate concurrently.
// - validate_*() return nullopt when the payload is valid, otherwise the
//   CALLERROR code to answer with and a description naming the failing field
//   as a JSON pointer and the rule it broke. See docs/ocpp-errors.md for the
//   keyword → error code mapping.
// - "format":"date-time" (which RapidJSON ignores) is checked as RFC 3339;
//   "format":"uri" is not checked. "multipleOf" is checked with a rounding
//   tolerance (RapidJSON 1.1.0 rejects 0.3 as a multiple of 0.1).
#pragma once

#include <rapidjson/document.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/time.h"
#include "ocpp/rpc/frame.h"
#include "ocpp/schemas/action_catalog.h"

namespace chargelock::ocpp {

struct ValidationFailure {
  ErrorCode code;
  std::string description;  // e.g. "/idTag: string longer than maxLength 20"
};

class SchemaRegistry {
 public:
  // The embedded OCPP 1.6 schema set. Aborts the program (std::terminate via
  // an uncaught exception) if an embedded schema is broken: a build defect.
  static const SchemaRegistry& ocpp16();

  // Builds a registry from schema files named "<Action>" (request) and
  // "<Action>Response". Every action in `actions` needs both; throws
  // std::runtime_error naming the file when one is missing or not a valid
  // schema. Exposed for tests and tools; production code uses ocpp16().
  SchemaRegistry(const std::vector<ActionInfo>& actions,
                 const std::vector<std::pair<std::string_view, std::string_view>>& files);
  ~SchemaRegistry();
  SchemaRegistry(const SchemaRegistry&) = delete;
  SchemaRegistry& operator=(const SchemaRegistry&) = delete;

  bool knows(std::string_view action) const;
  // nullopt for an unknown action.
  std::optional<Initiator> initiator(std::string_view action) const;
  // A pile may send a CALL of this action (ChargePoint or Both).
  bool charge_point_may_initiate(std::string_view action) const;
  // The central system may send a CALL of this action (CentralSystem or Both).
  bool central_system_may_initiate(std::string_view action) const;
  std::vector<std::string> actions() const;  // sorted

  // An unknown action fails with NotImplemented. `missing_offset` says
  // whether "format":"date-time" strings may lack their UTC offset (a pile's
  // frames under --assume-utc-timestamps); what we send always has one.
  std::optional<ValidationFailure> validate_request(
      std::string_view action, const rapidjson::Value& payload,
      base::MissingOffset missing_offset = base::MissingOffset::Refuse) const;
  std::optional<ValidationFailure> validate_response(
      std::string_view action, const rapidjson::Value& payload,
      base::MissingOffset missing_offset = base::MissingOffset::Refuse) const;

 private:
  class CompiledSchema;
  struct Entry {
    ActionInfo info;
    std::unique_ptr<CompiledSchema> request;
    std::unique_ptr<CompiledSchema> response;
  };
  const Entry* find(std::string_view action) const;

  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace chargelock::ocpp
