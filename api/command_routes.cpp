// Operator commands (SPEC §5): any central-system-initiated OCPP 1.6 call,
// queued in the durable command queue (core/command_service.h) and delivered
// by the OCPP node holding the pile's connection.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "api/api_error.h"
#include "api/json_util.h"
#include "api/router.h"
#include "core/command_service.h"
#include "core/domain_errors.h"

namespace chargelock::api {

namespace {

void write_command(JsonOut& out, const core::CommandRecord& c) {
  out.begin_object()
      .field("commandId", c.id)
      .field("chargePointId", c.charge_point_id)
      .field("action", c.action)
      .raw_json("payload", c.payload_json)
      .field("status", core::to_string(c.status));
  if (c.response_json) {
    out.raw_json("response", *c.response_json);
  } else {
    out.null_field("response");
  }
  out.optional("errorCode", c.error_code)
      .optional("errorDescription", c.error_description)
      .optional("idempotencyKey", c.idempotency_key)
      .field("origin", c.origin)
      .field("createdAt", c.created_at)
      .field("expiresAt", c.expires_at)
      .optional("sentAt", c.sent_at)
      .optional("completedAt", c.completed_at)
      .end_object();
}

std::string command_json(const core::CommandRecord& c) {
  JsonOut out;
  write_command(out, c);
  return out.str();
}

HttpResponse create_command(ApiContext& context, const RouteRequest& request) {
  const std::string& id = request.param("id");
  const auto body = parse_object(request.http.body);
  static const char* const allowed[] = {"action", "payload", "expiresInSeconds", nullptr};
  reject_unknown_fields(body, allowed);

  core::CommandRequest command;
  command.charge_point_id = id;
  command.action = required_string(body, "action");
  if (command.action.empty()) throw bad_request("action must not be empty");
  auto payload = body.FindMember("payload");
  if (payload == body.MemberEnd() || payload->value.IsNull()) {
    command.payload_json = "{}";
  } else if (!payload->value.IsObject()) {
    throw bad_request("payload must be an object");
  } else {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    payload->value.Accept(writer);
    command.payload_json = buffer.GetString();
  }
  if (auto expires = integer_field(body, "expiresInSeconds")) {
    if (*expires < 1 || *expires > 30LL * 24 * 3600)
      throw bad_request("expiresInSeconds must be from 1 to 2592000");
    command.expires_in = std::chrono::seconds(*expires);
  }
  if (auto key = request.http.header("idempotency-key")) {
    if (key->empty() || key->size() > 200)
      throw bad_request("Idempotency-Key must be 1..200 characters");
    command.idempotency_key = *key;
  }
  command.origin = "operator:" + request.principal.name;

  bool created = true;
  core::CommandRecord record;
  try {
    record = context.central.commands().enqueue(command, created);
  } catch (const core::RowNotFoundError&) {
    throw not_found("charge point " + id + " is not registered");
  }
  HttpResponse response = json_response(202, command_json(record));
  response.headers.emplace_back("Location",
                                std::string(kBasePath) + "/commands/" + std::to_string(record.id));
  if (!created) response.headers.emplace_back("Idempotent-Replayed", "true");
  return response;
}

HttpResponse get_command(ApiContext& context, const RouteRequest& request) {
  const auto id = parse_integer(request.param("commandId"));
  std::optional<core::CommandRecord> record;
  if (id) record = context.central.commands().find(*id);
  if (!record) throw not_found("command " + request.param("commandId") + " is unknown");
  return json_response(200, command_json(*record));
}

HttpResponse list_commands(ApiContext& context, const RouteRequest& request) {
  core::CommandFilter filter;
  filter.charge_point_id = request.http.query_value("chargePointId");
  if (auto status = request.http.query_value("status")) {
    filter.status = core::command_status_from_string(*status);
    if (!filter.status)
      throw bad_request("status must be queued, sent, completed, failed, timeout or expired");
  }
  if (auto before = request.http.query_value("before")) {
    auto value = parse_integer(*before);
    if (!value) throw bad_request("before must be a non-negative integer");
    filter.before_id = *value;
  }
  filter.limit = limit_param(request, filter.limit);
  const auto records = context.central.commands().list(filter);
  JsonOut out;
  out.begin_object().begin_array("commands");
  for (const auto& record : records) write_command(out, record);
  out.end_array();
  write_page_cursor(out, "nextBefore", records, static_cast<std::size_t>(filter.limit),
                    [](const core::CommandRecord& record) { return record.id; });
  out.end_object();
  return json_response(200, out.str());
}

}  // namespace

std::vector<Route> command_routes() {
  return {
      {"POST", "/chargepoints/{id}/commands", kOperator, create_command},
      {"GET", "/commands", kOperator, list_commands},
      {"GET", "/commands/{commandId}", kOperator, get_command},
  };
}

}  // namespace chargelock::api
