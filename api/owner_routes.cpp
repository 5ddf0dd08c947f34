// Vehicle endpoints (SPEC §4.1, §5): owners register (claim), list, read and
// delete their vehicles; operators (and a telematics platform for its own
// VINs) verify a claim; operators read every claim of a VIN. Notifications:
// an owner's own, the operators' inbox for the operator role. Locks are in
// lock_routes.cpp.
//   - an id tag not assigned to the owner → 403 naming it (POST /vehicles)
//   - a VIN another owner registered is a claim (201), not 409
//   - another owner's vehicle (lock it, read it) → 403
#include <algorithm>
#include <chrono>

#include "api/api_error.h"
#include "api/json_util.h"
#include "api/notification_streams.h"
#include "api/router.h"

namespace chargelock::api {

namespace {

using rapidjson::Value;

std::vector<std::string> string_list(const Value& body, const char* name) {
  std::vector<std::string> out;
  auto it = body.FindMember(name);
  if (it == body.MemberEnd() || it->value.IsNull()) return out;
  if (!it->value.IsArray()) throw bad_request(std::string(name) + " must be an array of strings");
  for (const auto& item : it->value.GetArray()) {
    if (!item.IsString()) throw bad_request(std::string(name) + " must be an array of strings");
    out.emplace_back(item.GetString(), item.GetStringLength());
  }
  return out;
}

void write_vehicle(JsonOut& out, const core::Vehicle& vehicle) {
  out.begin_object()
      .field("vin", vehicle.vin)
      .field("ownerId", vehicle.owner_id)
      .field("verified", vehicle.verified)
      .optional("verifiedAt", vehicle.verified_at)
      .optional("verifiedBy", vehicle.verified_by);
  out.strings("idTags", vehicle.id_tags);
  out.strings("evccIds", vehicle.evcc_ids);
  if (vehicle.state) {
    out.key("lastState")
        .begin_object()
        .field("soc", vehicle.state->soc)
        .field("timestamp", vehicle.state->reported_at);
    write_location(out, "location", vehicle.state->location);
    out.end_object();
  } else {
    out.null_field("lastState");
  }
  out.optional("lowBatteryPromptedAt", vehicle.low_battery_prompted_at)
      .field("createdAt", vehicle.created_at)
      .end_object();
}

std::string vehicle_json(const core::Vehicle& vehicle) {
  JsonOut out;
  write_vehicle(out, vehicle);
  return out.str();
}

// ---- vehicles

HttpResponse register_vehicle(ApiContext& context, const RouteRequest& request) {
  const std::int64_t owner = owner_of(request);
  const auto body = parse_object(request.http.body);
  static const char* const allowed[] = {"vin", "idTags", "evccIds", nullptr};
  reject_unknown_fields(body, allowed);
  core::VehicleRegistration registration;
  registration.owner_id = owner;
  registration.vin = required_string(body, "vin");
  registration.id_tags = string_list(body, "idTags");
  registration.evcc_ids = string_list(body, "evccIds");
  bool created = false;
  const auto vehicle = context.central.vehicles().register_vehicle(registration, &created);
  // 201 for a new vehicle; 200 when the owner replaced its identifiers.
  HttpResponse response = json_response(created ? 201 : 200, vehicle_json(vehicle));
  response.headers.emplace_back("Location", std::string(kBasePath) + "/vehicles/" + vehicle.vin);
  return response;
}

HttpResponse list_vehicles(ApiContext& context, const RouteRequest& request) {
  const std::int64_t owner = owner_of(request);
  JsonOut out;
  out.begin_object().begin_array("vehicles");
  for (const auto& vehicle : context.central.vehicles().list(owner)) write_vehicle(out, vehicle);
  out.end_array().end_object();
  return json_response(200, out.str());
}

HttpResponse get_vehicle_as_operator(ApiContext& context, const RouteRequest& request) {
  const auto claims = context.central.vehicles().registrations(request.param("vin"));
  if (claims.empty()) throw not_found("no vehicle " + request.param("vin"));
  JsonOut out;
  out.begin_object().field("vin", claims.front().vin).begin_array("registrations");
  for (const auto& claim : claims) write_vehicle(out, claim);
  out.end_array().end_object();
  return json_response(200, out.str());
}

HttpResponse get_vehicle(ApiContext& context, const RouteRequest& request) {
  if (is_operator(request)) return get_vehicle_as_operator(context, request);
  const auto vehicle = context.central.vehicles().owned(owner_of(request), request.param("vin"));
  return json_response(200, vehicle_json(vehicle));
}

HttpResponse delete_vehicle(ApiContext& context, const RouteRequest& request) {
  context.central.vehicles().remove(owner_of(request), request.param("vin"));
  return json_response(204, "");
}

HttpResponse verify_vehicle(ApiContext& context, const RouteRequest& request) {
  std::optional<std::int64_t> owner_id;
  if (!request.http.body.empty()) {
    const auto body = parse_object(request.http.body);
    static const char* const allowed[] = {"ownerId", nullptr};
    reject_unknown_fields(body, allowed);
    owner_id = integer_field(body, "ownerId");
    if (owner_id && *owner_id < 1) throw bad_request("ownerId must be an owner's id");
  }
  core::Verifier verifier;
  verifier.name =
      std::string(core::to_string(request.principal.role)) + ":" + request.principal.name;
  if (request.principal.role == core::ApiRole::Telematics) {
    // A platform confirms only its own vehicles; an unscoped telematics
    // token (every VIN) may report but not bind owners.
    if (!request.principal.vins)
      throw ApiError(403, "this telematics token is not scoped to VINs; it cannot verify owners");
    verifier.vins = request.principal.vins;
  }
  const auto vehicle = context.central.vehicles().verify(request.param("vin"), owner_id, verifier);
  return json_response(200, vehicle_json(vehicle));
}

// ---- notifications

std::optional<std::int64_t> since_param(const RouteRequest& request) {
  auto text = request.http.query_value("since");
  if (!text) return std::nullopt;
  auto value = parse_integer(*text);
  if (!value) throw bad_request("since must be a non-negative integer (a notification id)");
  return value;
}

HttpResponse list_notifications(ApiContext& context, const RouteRequest& request) {
  const std::int64_t owner = inbox_of(request);
  const std::int64_t since = since_param(request).value_or(0);
  const int limit = limit_param(request);
  const auto found = context.central.notifications().list(owner, since, limit);
  JsonOut out;
  out.begin_object().begin_array("notifications");
  for (const auto& notification : found) write_notification(out, notification);
  out.end_array();
  // The cursor for the next call: poll with ?since=nextSince.
  out.field("nextSince", found.empty() ? since : found.back().id)
      .field("hasMore", static_cast<int>(found.size()) == limit)
      .end_object();
  return json_response(200, out.str());
}

HttpResponse stream_notifications(ApiContext& context, const RouteRequest& request) {
  const std::int64_t owner = inbox_of(request);
  if (context.streams == nullptr) throw ApiError(503, "notification streams are not offered here");
  // An EventSource reconnecting sends the last id it saw.
  std::optional<std::int64_t> after = since_param(request);
  if (auto last = request.http.header("last-event-id"); last && !last->empty()) {
    auto value = parse_integer(*last);
    if (!value) throw bad_request("Last-Event-ID must be a notification id");
    after = value;
  }
  std::chrono::seconds heartbeat(15);
  if (auto text = request.http.query_value("heartbeat")) {
    auto value = parse_integer(*text);
    if (!value || *value < 1 || *value > 300)
      throw bad_request("heartbeat must be an integer from 1 to 300 (seconds)");
    heartbeat = std::chrono::seconds(*value);
  }
  return context.streams->open(owner, after, heartbeat);
}

}  // namespace

std::vector<Route> owner_routes() {
  return {
      {"POST", "/vehicles", kOwner, register_vehicle},
      {"GET", "/vehicles", kOwner, list_vehicles},
      {"GET", "/vehicles/{vin}", kOwner | kOperator, get_vehicle},
      {"DELETE", "/vehicles/{vin}", kOwner, delete_vehicle},
      {"POST", "/vehicles/{vin}/verify", kOperator | kTelematics, verify_vehicle},
      {"GET", "/notifications", kOwner | kOperator, list_notifications},
      {"GET", "/notifications/stream", kOwner | kOperator, stream_notifications},
  };
}

}  // namespace chargelock::api
