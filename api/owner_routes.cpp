// Owner endpoints (SPEC §5, issue 4): vehicles, locks and notifications.
// Only the owner role may use them; an owner sees and acts on its own
// vehicles and locks only:
//   - a VIN, id tag or EVCC id another owner registered → 409 (POST /vehicles)
//   - another owner's vehicle (lock it, read it) → 403 (the VIN's existence
//     is no secret: registering it answers 409 anyway)
//   - another owner's lock → 404 (lock ids are random; a 403 would confirm
//     that the id exists)
#include <algorithm>
#include <chrono>

#include "api/api_error.h"
#include "api/json_util.h"
#include "api/notification_streams.h"
#include "api/router.h"

namespace chargelock::api {

namespace {

using rapidjson::Value;

std::int64_t owner_of(const RouteRequest& request) {
  if (!request.principal.owner_id) throw ApiError(403, "this token belongs to no owner");
  return *request.principal.owner_id;
}

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

void write_location(JsonOut& out, const char* key, const std::optional<core::GeoLocation>& at) {
  if (!at) {
    out.null_field(key);
    return;
  }
  out.key(key).begin_object().field("lat", at->latitude).field("lon", at->longitude).end_object();
}

void write_strings(JsonOut& out, const char* key, const std::vector<std::string>& values) {
  out.begin_array(key);
  for (const auto& value : values) out.w().String(value.c_str());
  out.end_array();
}

void write_vehicle(JsonOut& out, const core::Vehicle& vehicle) {
  out.begin_object().field("vin", vehicle.vin);
  write_strings(out, "idTags", vehicle.id_tags);
  write_strings(out, "evccIds", vehicle.evcc_ids);
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

HttpResponse get_vehicle(ApiContext& context, const RouteRequest& request) {
  const auto vehicle = context.central.vehicles().owned(owner_of(request), request.param("vin"));
  return json_response(200, vehicle_json(vehicle));
}

// ---- locks

void write_lock(JsonOut& out, const core::LockView& view,
                const std::vector<core::LockTransition>* transitions,
                const std::vector<core::LockPile>* piles) {
  const core::LockRecord& lock = view.lock;
  out.begin_object()
      .field("lockId", lock.id)
      .field("vin", lock.vin)
      .field("status", lock.status)
      .optional("chargePointId", lock.charge_point_id)
      .optional("connectorId", lock.connector_id);
  out.key("piles")
      .begin_object()
      .field("armed", view.piles.armed)
      .field("unsupported", view.piles.unsupported)
      .field("pending", view.piles.pending)
      .field("disarmed", view.piles.disarmed)
      .end_object();
  out.key("scope").begin_object().optional("radiusKm", lock.radius_km);
  write_location(out, "center", lock.center);
  out.end_object();
  out.optional("matchedBy", lock.matched_kind)
      .optional("matchedValue", lock.matched_value)
      .field("engagedWithoutHold", lock.engaged_without_hold)
      .optional("engagedAt", lock.engaged_at)
      .optional("releaseError", lock.release_error)
      .field("createdAt", lock.created_at)
      .field("updatedAt", lock.updated_at);
  if (piles != nullptr) {
    out.begin_array("pileStates");
    for (const auto& pile : *piles) {
      out.begin_object()
          .field("chargePointId", pile.charge_point_id)
          .field("status", pile.status)
          .optional("detail", pile.detail)
          .optional("commandStatus", pile.command_status)
          .field("updatedAt", pile.updated_at)
          .end_object();
    }
    out.end_array();
  }
  if (transitions != nullptr) {
    out.begin_array("transitions");
    for (const auto& t : *transitions) {
      out.begin_object()
          .field("at", t.at)
          .optional("from", t.from_status)
          .field("to", t.to_status)
          .field("cause", t.cause)
          .end_object();
    }
    out.end_array();
  }
  out.end_object();
}

std::string lock_json(ApiContext& context, const core::LockView& view) {
  const auto transitions = context.central.locks().transitions(view.lock.id);
  const auto piles = context.central.locks().piles(view.lock.id);
  JsonOut out;
  write_lock(out, view, &transitions, &piles);
  return out.str();
}

core::LockScope scope_from(const Value& scope) {
  static const char* const allowed[] = {"radiusKm", "lat", "lon", nullptr};
  reject_unknown_fields(scope, allowed);
  core::LockScope out;
  out.radius_km = number_field(scope, "radiusKm");
  const auto lat = number_field(scope, "lat");
  const auto lon = number_field(scope, "lon");
  if (lat.has_value() != lon.has_value()) throw bad_request("scope.lat and scope.lon go together");
  if (lat) {
    if (*lat < -90 || *lat > 90) throw bad_request("scope.lat must be between -90 and 90");
    if (*lon < -180 || *lon > 180) throw bad_request("scope.lon must be between -180 and 180");
    if (!out.radius_km) throw bad_request("scope.lat/lon need scope.radiusKm");
    core::GeoLocation center;
    center.latitude = *lat;
    center.longitude = *lon;
    out.center = center;
  }
  return out;
}

HttpResponse request_lock(ApiContext& context, const RouteRequest& request) {
  core::LockRequest lock;
  lock.owner_id = owner_of(request);
  lock.vin = request.param("vin");
  if (!request.http.body.empty()) {  // the body is optional: every pile by default
    const auto body = parse_object(request.http.body);
    static const char* const allowed[] = {"scope", nullptr};
    reject_unknown_fields(body, allowed);
    if (const Value* scope = object_field(body, "scope")) lock.scope = scope_from(*scope);
  }
  bool created = false;
  const auto view = context.central.locks().request_lock(lock, &created);
  // 202 either way: the piles are armed asynchronously; a second request
  // gets the vehicle's active lock (Idempotent-Replayed: true).
  HttpResponse response = json_response(202, lock_json(context, view));
  response.headers.emplace_back("Location", std::string(kBasePath) + "/locks/" + view.lock.id);
  if (!created) response.headers.emplace_back("Idempotent-Replayed", "true");
  return response;
}

HttpResponse list_locks(ApiContext& context, const RouteRequest& request) {
  JsonOut out;
  out.begin_object().begin_array("locks");
  for (const auto& view : context.central.locks().list(owner_of(request)))
    write_lock(out, view, nullptr, nullptr);
  out.end_array().end_object();
  return json_response(200, out.str());
}

HttpResponse get_lock(ApiContext& context, const RouteRequest& request) {
  const auto view = context.central.locks().get(owner_of(request), request.param("lockId"));
  return json_response(200, lock_json(context, view));
}

HttpResponse release_lock(ApiContext& context, const RouteRequest& request) {
  const auto view = context.central.locks().release(owner_of(request), request.param("lockId"));
  return json_response(202, lock_json(context, view));
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
  const std::int64_t owner = owner_of(request);
  const std::int64_t since = since_param(request).value_or(0);
  int limit = 100;
  if (auto text = request.http.query_value("limit")) {
    auto value = parse_integer(*text);
    if (!value || *value < 1 || *value > 1000)
      throw bad_request("limit must be an integer from 1 to 1000");
    limit = static_cast<int>(*value);
  }
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
  const std::int64_t owner = owner_of(request);
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
      {"GET", "/vehicles/{vin}", kOwner, get_vehicle},
      {"POST", "/vehicles/{vin}/lock", kOwner, request_lock},
      {"GET", "/locks", kOwner, list_locks},
      {"GET", "/locks/{lockId}", kOwner, get_lock},
      {"POST", "/locks/{lockId}/release", kOwner, release_lock},
      {"GET", "/notifications", kOwner, list_notifications},
      {"GET", "/notifications/stream", kOwner, stream_notifications},
  };
}

}  // namespace chargelock::api
