// Lock endpoints (SPEC §4.1, §5). Owners request, read, renew and release
// their own locks; operators read every lock (filter by status and pile),
// set the police case reference, release with a recorded reason, and export
// the evidence (GET /locks/{id}/report: lock, vehicle, sightings with the
// piles' places, trail, the frames that mention it).
//   - another owner's lock → 404 (lock ids are random; a 403 would confirm
//     that the id exists)
//   - an unverified vehicle → 403 saying why (POST /vehicles/{vin}/lock)
#include <algorithm>
#include <map>
#include <set>

#include "api/api_error.h"
#include "api/json_util.h"
#include "api/router.h"
#include "core/enum_text.h"
#include "core/operator_queries.h"

namespace chargelock::api {

namespace {

using rapidjson::Value;

void write_sighting(JsonOut& out, const core::Sighting& seen) {
  out.begin_object()
      .field("id", seen.id)
      .field("chargePointId", seen.charge_point_id)
      .optional("connectorId", seen.connector_id)
      .field("at", seen.at)
      .field("source", seen.source)
      .optional("matchedBy", seen.matched_kind)
      .optional("matched", seen.matched_value)
      .field("held", seen.held)
      .optional("transactionId", seen.transaction_id);
  write_location(out, "location", seen.location);
  out.end_object();
}

void write_pile(JsonOut& out, const core::LockPile& pile) {
  out.begin_object()
      .field("chargePointId", pile.charge_point_id)
      .field("status", core::to_string(pile.status))
      .optional("detail", pile.detail);
  out.optional("commandStatus", core::text_of(pile.command_status));
  out.field("updatedAt", pile.updated_at).end_object();
}

// The optional parts of a lock's JSON (absent: left out).
struct LockParts {
  const std::vector<core::LockTransition>* transitions = nullptr;
  const std::vector<core::LockPile>* piles = nullptr;
  const std::vector<core::Sighting>* sightings = nullptr;
};

void write_lock(JsonOut& out, const core::LockView& view, const LockParts& detail,
                bool operator_view) {
  const core::LockRecord& lock = view.lock;
  out.begin_object()
      .field("lockId", lock.id)
      .field("vin", lock.vin)
      .field("status", core::to_string(lock.status))
      .optional("chargePointId", lock.charge_point_id)
      .optional("connectorId", lock.connector_id);
  if (operator_view) out.field("ownerId", lock.owner_id);
  out.key("piles")
      .begin_object()
      .field("armed", view.piles.armed)
      .field("unsupported", view.piles.unsupported)
      .field("pending", view.piles.pending)
      .field("disarmed", view.piles.disarmed)
      .field("pendingOffline", view.piles.pending_offline)
      .field("releaseComplete", view.piles.release_complete)
      .end_object();
  out.key("scope").begin_object().optional("radiusKm", lock.radius_km);
  write_location(out, "center", lock.center);
  out.end_object();
  out.optional("matchedBy", lock.matched_kind)
      .optional("matchedValue", lock.matched_value)
      .field("engagedWithoutHold", lock.engaged_without_hold)
      .optional("engagedAt", lock.engaged_at)
      .optional("releaseError", lock.release_error)
      .field("expiresAt", lock.expires_at)
      .optional("caseReference", lock.case_reference)
      .field("createdAt", lock.created_at)
      .field("updatedAt", lock.updated_at);
  if (detail.sightings != nullptr) {
    out.begin_array("sightings");
    for (const auto& seen : *detail.sightings) write_sighting(out, seen);
    out.end_array();
  }
  if (detail.piles != nullptr) {
    out.begin_array("pileStates");
    for (const auto& pile : *detail.piles) write_pile(out, pile);
    out.end_array();
  }
  if (detail.transitions != nullptr) {
    out.begin_array("transitions");
    for (const auto& t : *detail.transitions) {
      out.begin_object().field("at", t.at);
      out.optional("from", core::text_of(t.from_status));
      out.field("to", core::to_string(t.to_status)).field("cause", t.cause).end_object();
    }
    out.end_array();
  }
  out.end_object();
}

std::string lock_json(ApiContext& context, const core::LockView& view, bool operator_view) {
  // The per-pile states are paged apart (GET /locks/{id}/piles): a lock
  // spans thousands of piles, its summary stays small.
  auto& locks = context.central.locks();
  const auto transitions = locks.transitions(view.lock.id);
  const auto sightings = locks.sightings(view.lock.id);
  JsonOut out;
  write_lock(out, view, {&transitions, nullptr, &sightings}, operator_view);
  return out.str();
}

std::string lock_json(const core::LockDetails& details, bool operator_view) {
  JsonOut out;
  write_lock(out, details.view, {&details.transitions, nullptr, &details.sightings}, operator_view);
  return out.str();
}

// The lock the caller may see: an owner's own, any for an operator.
core::LockView visible_lock(ApiContext& context, const RouteRequest& request) {
  const std::string& id = request.param("lockId");
  if (is_operator(request)) {
    auto view = context.central.locks().find(id);
    if (!view) throw not_found("no lock " + id);
    return *view;
  }
  return context.central.locks().get(owner_of(request), id);
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
    static const char* const allowed[] = {"scope", "expiresAt", "caseReference", nullptr};
    reject_unknown_fields(body, allowed);
    if (const Value* scope = object_field(body, "scope")) lock.scope = scope_from(*scope);
    lock.expires_at = time_field(body, "expiresAt");
    lock.case_reference = string_field(body, "caseReference");
  }
  bool created = false;
  const auto details = context.central.locks().request_lock_details(lock, &created);
  // 202 either way: the piles are armed asynchronously; a second request
  // gets the vehicle's active lock (Idempotent-Replayed: true).
  HttpResponse response = json_response(202, lock_json(details, false));
  response.headers.emplace_back("Location",
                                std::string(kBasePath) + "/locks/" + details.view.lock.id);
  if (!created) response.headers.emplace_back("Idempotent-Replayed", "true");
  return response;
}

HttpResponse list_locks(ApiContext& context, const RouteRequest& request) {
  std::vector<core::LockView> views;
  if (is_operator(request)) {
    core::LockFilter filter;
    const auto status = request.http.query_value("status");
    if (status) filter.status = core::lock_status_from_string(*status);
    filter.charge_point_id = request.http.query_value("chargePointId");
    filter.limit = limit_param(request);
    // A status no lock can have matches none.
    if (!status || filter.status) views = context.central.locks().list_all(filter);
  } else {
    views = context.central.locks().list(owner_of(request));
  }
  JsonOut out;
  out.begin_object().begin_array("locks");
  for (const auto& view : views) write_lock(out, view, {}, is_operator(request));
  out.end_array().end_object();
  return json_response(200, out.str());
}

HttpResponse get_lock(ApiContext& context, const RouteRequest& request) {
  // One read (the lock, its pile counts, trail and sightings): owners poll
  // this while their lock is fanned out, often under a flood.
  const std::string& id = request.param("lockId");
  if (is_operator(request)) {
    const auto details = context.central.locks().find_details(id);
    if (!details) throw not_found("no lock " + id);
    return json_response(200, lock_json(*details, true));
  }
  return json_response(200,
                       lock_json(context.central.locks().details(owner_of(request), id), false));
}

HttpResponse lock_piles(ApiContext& context, const RouteRequest& request) {
  const auto view = visible_lock(context, request);
  const int limit = limit_param(request);
  const auto page =
      context.central.locks().piles_page(view.lock.id, request.http.query_value("status"),
                                         request.http.query_value("after").value_or(""), limit);
  JsonOut out;
  out.begin_object().field("lockId", view.lock.id).begin_array("piles");
  for (const auto& pile : page) write_pile(out, pile);
  out.end_array();
  write_page_cursor(out, "nextAfter", page, static_cast<std::size_t>(limit),
                    [](const core::LockPile& pile) { return pile.charge_point_id; });
  out.end_object();
  return json_response(200, out.str());
}

HttpResponse change_lock(ApiContext& context, const RouteRequest& request) {
  const auto body = parse_object(request.http.body);
  static const char* const allowed[] = {"expiresAt", "caseReference", nullptr};
  reject_unknown_fields(body, allowed);
  core::LockChange change;
  if (!is_operator(request)) change.owner_id = owner_of(request);
  change.expires_at = time_field(body, "expiresAt");
  change.case_reference = string_field(body, "caseReference");
  const auto view = context.central.locks().change(request.param("lockId"), change);
  return json_response(200, lock_json(context, view, is_operator(request)));
}

HttpResponse release_lock(ApiContext& context, const RouteRequest& request) {
  if (is_operator(request)) {
    if (request.http.body.empty())
      throw bad_request("an operator release needs a body {\"reason\": \"...\"}");
    const auto body = parse_object(request.http.body);
    static const char* const allowed[] = {"reason", nullptr};
    reject_unknown_fields(body, allowed);
    const auto reason = string_field(body, "reason");
    if (!reason) throw bad_request("reason is required for an operator release");
    const auto view = context.central.locks().release_by_operator(request.param("lockId"),
                                                                  request.principal.name, *reason);
    return json_response(202, lock_json(context, view, true));
  }
  const auto view = context.central.locks().release(owner_of(request), request.param("lockId"));
  return json_response(202, lock_json(context, view, false));
}

// ---- evidence

std::string html_escape(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

struct Evidence {
  core::LockView view;
  std::optional<core::Vehicle> vehicle;  // the owner's registration, unless deleted
  std::vector<core::Sighting> sightings;
  std::vector<core::LockTransition> transitions;
  std::map<std::string, std::optional<core::ChargePointRecord>> piles;  // sighted piles
  std::vector<core::LoggedFrame> frames;
};

Evidence gather(ApiContext& context, const core::LockView& view) {
  Evidence e;
  e.view = view;
  auto& locks = context.central.locks();
  e.sightings = locks.sightings(view.lock.id);
  e.transitions = locks.transitions(view.lock.id);
  for (const auto& claim : context.central.vehicles().registrations(view.lock.vin))
    if (claim.owner_id == view.lock.owner_id) e.vehicle = claim;
  std::set<std::string> needles{view.lock.id};
  for (const auto& seen : e.sightings) {
    e.piles.emplace(seen.charge_point_id, std::nullopt);
    if (seen.matched_value) needles.insert(*seen.matched_value);
  }
  if (view.lock.charge_point_id) e.piles.emplace(*view.lock.charge_point_id, std::nullopt);
  std::set<std::int64_t> seen_frames;
  for (auto& [id, record] : e.piles) {
    record = context.central.charge_points().find(id);
    for (const auto& needle : needles)
      for (auto& frame : context.queries.frames_mentioning(id, needle, view.lock.created_at))
        if (seen_frames.insert(frame.id).second) e.frames.push_back(std::move(frame));
  }
  std::sort(e.frames.begin(), e.frames.end(),
            [](const core::LoggedFrame& a, const core::LoggedFrame& b) { return a.id < b.id; });
  return e;
}

std::string report_json(ApiContext& context, const Evidence& e) {
  JsonOut out;
  out.begin_object().key("lock");
  write_lock(out, e.view, {&e.transitions, nullptr, &e.sightings}, true);
  out.key("vehicle").begin_object().field("vin", e.view.lock.vin);
  if (e.vehicle) {
    out.field("registered", true);
    out.strings("idTags", e.vehicle->id_tags);
    out.strings("evccIds", e.vehicle->evcc_ids);
    out.field("verified", e.vehicle->verified).optional("verifiedBy", e.vehicle->verified_by);
  } else {
    out.field("registered", false);  // deleted by its owner; the evidence stays
  }
  out.end_object();
  out.begin_array("piles");
  for (const auto& [id, record] : e.piles) {
    out.begin_object().field("chargePointId", id).field("registered", record.has_value());
    if (record) {
      write_location(out, "location", record->location);
      if (record->boot_info) {
        out.field("vendor", record->boot_info->vendor).field("model", record->boot_info->model);
      }
    }
    out.end_object();
  }
  out.end_array();
  out.begin_array("frames");
  for (const auto& frame : e.frames) {
    out.begin_object()
        .field("id", frame.id)
        .field("chargePointId", frame.charge_point_id)
        .field("direction", frame.direction == decltype(frame.direction)::Incoming ? "in" : "out")
        .field("frame", frame.frame)
        .field("receivedAt", frame.received_at)
        .end_object();
  }
  out.end_array();
  out.field("generatedAt", core::Clock::now());
  out.end_object();
  (void)context;
  return out.str();
}

std::string report_html(const Evidence& e) {
  const core::LockRecord& lock = e.view.lock;
  std::string h =
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Lock " +
      html_escape(lock.id) +
      " evidence</title><style>body{font-family:sans-serif;margin:2em}table{border-collapse:"
      "collapse}td,th{border:1px solid #999;padding:4px 8px;text-align:left;vertical-align:top}"
      "pre{white-space:pre-wrap;word-break:break-all;margin:0}</style></head><body>";
  h += "<h1>Vehicle lock evidence</h1><table>";
  const auto row = [&h](const std::string& k, const std::string& v) {
    h += "<tr><th>" + html_escape(k) + "</th><td>" + html_escape(v) + "</td></tr>";
  };
  row("Lock", lock.id);
  row("VIN", lock.vin);
  row("Status", core::to_string(lock.status));
  row("Police case reference", lock.case_reference.value_or("(none)"));
  row("Requested", core::format_rfc3339(lock.created_at));
  row("Expires", core::format_rfc3339(lock.expires_at));
  if (lock.charge_point_id)
    row("Held at", *lock.charge_point_id + (lock.connector_id
                                                ? " connector " + std::to_string(*lock.connector_id)
                                                : std::string()));
  h += "</table><h2>Sightings</h2><table><tr><th>Time</th><th>Pile</th><th>Connector</th>"
       "<th>Place</th><th>Source</th><th>Identifier</th><th>Held</th></tr>";
  for (const auto& s : e.sightings) {
    h += "<tr><td>" + html_escape(core::format_rfc3339(s.at)) + "</td><td>" +
         html_escape(s.charge_point_id) + "</td><td>" +
         (s.connector_id ? std::to_string(*s.connector_id) : "") + "</td><td>" +
         (s.location ? html_escape(std::to_string(s.location->latitude) + ", " +
                                   std::to_string(s.location->longitude))
                     : "unknown") +
         "</td><td>" + html_escape(s.source) + "</td><td>" +
         html_escape(s.matched_kind.value_or("") + " " + s.matched_value.value_or("")) +
         "</td><td>" + (s.held ? "held" : "not held") + "</td></tr>";
  }
  h += "</table><h2>Audit trail</h2><table><tr><th>Time</th><th>From</th><th>To</th>"
       "<th>Cause</th></tr>";
  for (const auto& t : e.transitions)
    h += "<tr><td>" + html_escape(core::format_rfc3339(t.at)) + "</td><td>" +
         (t.from_status ? html_escape(core::to_string(*t.from_status)) : std::string()) +
         "</td><td>" + html_escape(core::to_string(t.to_status)) + "</td><td>" +
         html_escape(t.cause) + "</td></tr>";
  h += "</table><h2>OCPP frames</h2><table><tr><th>Time</th><th>Pile</th><th>Dir</th>"
       "<th>Frame</th></tr>";
  for (const auto& f : e.frames)
    h += "<tr><td>" + html_escape(core::format_rfc3339(f.received_at)) + "</td><td>" +
         html_escape(f.charge_point_id) + "</td><td>" +
         (f.direction == decltype(f.direction)::Incoming ? "in" : "out") + "</td><td><pre>" +
         html_escape(f.frame) + "</pre></td></tr>";
  h += "</table></body></html>\n";
  return h;
}

HttpResponse lock_report(ApiContext& context, const RouteRequest& request) {
  const auto evidence = gather(context, visible_lock(context, request));
  const auto format = request.http.query_value("format");
  if (format && *format != "json" && *format != "html")
    throw bad_request("format must be json or html");
  if (format == std::optional<std::string>("html")) {
    HttpResponse response;
    response.status = 200;
    response.content_type = "text/html; charset=utf-8";
    response.body = report_html(evidence);
    return response;
  }
  return json_response(200, report_json(context, evidence));
}

}  // namespace

std::vector<Route> lock_routes() {
  return {
      {"POST", "/vehicles/{vin}/lock", kOwner, request_lock},
      {"GET", "/locks", kOwner | kOperator, list_locks},
      {"GET", "/locks/{lockId}", kOwner | kOperator, get_lock},
      {"PATCH", "/locks/{lockId}", kOwner | kOperator, change_lock},
      {"POST", "/locks/{lockId}/release", kOwner | kOperator, release_lock},
      {"GET", "/locks/{lockId}/piles", kOwner | kOperator, lock_piles},
      {"GET", "/locks/{lockId}/report", kOwner | kOperator, lock_report},
  };
}

}  // namespace chargelock::api
