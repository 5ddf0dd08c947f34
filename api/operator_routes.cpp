// Operator endpoints (SPEC §5): charge points, id tags, transactions, the
// message log, owners and API tokens. Commands are in command_routes.cpp.
#include <algorithm>
#include <limits>
#include <map>

#include "api/api_error.h"
#include "api/json_util.h"
#include "api/router.h"

namespace chargelock::api {

namespace {

using rapidjson::Value;

// ---- shared helpers

std::optional<std::int64_t> cursor_param(const RouteRequest& request, const char* name) {
  auto text = request.http.query_value(name);
  if (!text) return std::nullopt;
  auto value = parse_integer(*text);
  if (!value) throw bad_request(std::string(name) + " must be a non-negative integer");
  return value;
}

std::optional<core::RegistrationStatus> registration_status_from(const std::string& text) {
  if (text == "Accepted") return core::RegistrationStatus::Accepted;
  if (text == "Pending") return core::RegistrationStatus::Pending;
  if (text == "Rejected") return core::RegistrationStatus::Rejected;
  return std::nullopt;
}

int security_profile_from(std::int64_t value) {
  if (value < 1 || value > 3) throw bad_request("securityProfile must be 1, 2 or 3");
  return static_cast<int>(value);
}

core::GeoLocation location_from(const Value& object) {
  static const char* const allowed[] = {"lat", "lon", nullptr};
  reject_unknown_fields(object, allowed);
  auto lat = number_field(object, "lat");
  auto lon = number_field(object, "lon");
  if (!lat) throw bad_request("location.lat is required");
  if (!lon) throw bad_request("location.lon is required");
  if (*lat < -90 || *lat > 90) throw bad_request("location.lat must be between -90 and 90");
  if (*lon < -180 || *lon > 180) throw bad_request("location.lon must be between -180 and 180");
  core::GeoLocation location;
  location.latitude = *lat;
  location.longitude = *lon;
  return location;
}

// ---- charge points

void write_connector(JsonOut& out, const core::ConnectorStatus& c) {
  out.begin_object()
      .field("connectorId", c.connector_id)
      .field("status", c.status)
      .field("errorCode", c.error_code)
      .optional("info", c.info)
      .optional("vendorId", c.vendor_id)
      .optional("vendorErrorCode", c.vendor_error_code)
      .optional("timestamp", c.timestamp)
      .field("updatedAt", c.received_at)
      .end_object();
}

void write_charge_point(JsonOut& out, const core::ChargePointRecord& cp,
                        const std::vector<core::ConnectorStatus>& connectors,
                        const std::optional<std::string>* firmware_status) {
  out.begin_object()
      .field("id", cp.id)
      .field("securityProfile", cp.security_profile)
      .field("registrationStatus", core::to_string(cp.registration_status))
      .field("hasPassword", cp.password_hash.has_value());
  if (cp.location) {
    out.key("location")
        .begin_object()
        .field("lat", cp.location->latitude)
        .field("lon", cp.location->longitude)
        .end_object();
  } else {
    out.null_field("location");
  }
  out.field("online", cp.online)
      .optional("lastSeen", cp.last_seen)
      .optional("connectedNode", cp.connected_node)
      .optional("lastBootAt", cp.last_boot_at);
  if (cp.boot_info) {
    const core::BootInfo& boot = *cp.boot_info;
    out.key("bootInfo")
        .begin_object()
        .field("chargePointVendor", boot.vendor)
        .field("chargePointModel", boot.model)
        .optional("chargePointSerialNumber", boot.charge_point_serial)
        .optional("chargeBoxSerialNumber", boot.charge_box_serial)
        .optional("firmwareVersion", boot.firmware_version)
        .optional("iccid", boot.iccid)
        .optional("imsi", boot.imsi)
        .optional("meterType", boot.meter_type)
        .optional("meterSerialNumber", boot.meter_serial)
        .end_object();
    out.optional("firmwareVersion", boot.firmware_version);
  } else {
    out.null_field("bootInfo").null_field("firmwareVersion");
  }
  if (firmware_status != nullptr) out.optional("firmwareStatus", *firmware_status);
  out.begin_array("connectors");
  for (const auto& connector : connectors) write_connector(out, connector);
  out.end_array();
  out.field("createdAt", cp.created_at).end_object();
}

std::string charge_point_json(ApiContext& context, const std::string& id) {
  auto record = context.central.charge_points().find(id);
  if (!record) throw not_found("charge point " + id + " is not registered");
  const auto connectors = context.central.charge_points().connectors(id);
  const auto firmware = context.queries.firmware_status(id);
  JsonOut out;
  write_charge_point(out, *record, connectors, &firmware);
  return out.str();
}

HttpResponse create_charge_point(ApiContext& context, const RouteRequest& request) {
  const auto body = parse_object(request.http.body);
  static const char* const allowed[] = {"id",       "password",           "securityProfile",
                                        "location", "registrationStatus", nullptr};
  reject_unknown_fields(body, allowed);
  core::ChargePointRegistration registration;
  registration.id = required_string(body, "id");
  if (registration.id.empty() || registration.id.size() > 48 ||
      registration.id.find('/') != std::string::npos)
    throw bad_request("id must be 1..48 characters without '/'");
  registration.password = string_field(body, "password");  // its rule: ChargePointService
  if (auto profile = integer_field(body, "securityProfile"))
    registration.security_profile = security_profile_from(*profile);
  if (const Value* location = object_field(body, "location"))
    registration.location = location_from(*location);
  if (auto status = string_field(body, "registrationStatus")) {
    auto parsed = registration_status_from(*status);
    if (!parsed) throw bad_request("registrationStatus must be Accepted, Pending or Rejected");
    registration.registration_status = *parsed;
  }
  if (!context.central.charge_points().register_charge_point(registration))
    throw conflict("charge point " + registration.id + " is already registered");
  HttpResponse response = json_response(201, charge_point_json(context, registration.id));
  response.headers.emplace_back("Location",
                                std::string(kBasePath) + "/chargepoints/" + registration.id);
  return response;
}

// Paged by charge point id (?limit, ?after), like GET /locks/{id}/piles: a
// network of 10,000 piles is megabytes in one answer.
HttpResponse list_charge_points(ApiContext& context, const RouteRequest& request) {
  const int limit = limit_param(request);
  const std::string after = request.http.query_value("after").value_or("");
  const auto records = context.central.charge_points().list_page(after, limit);
  std::map<std::string, std::vector<core::ConnectorStatus>> connectors;
  if (!records.empty())
    connectors = context.queries.connectors_by_charge_point(after, records.back().id);
  JsonOut out;
  out.begin_object().begin_array("chargePoints");
  static const std::vector<core::ConnectorStatus> none;
  for (const auto& record : records) {
    auto it = connectors.find(record.id);
    write_charge_point(out, record, it == connectors.end() ? none : it->second, nullptr);
  }
  out.end_array();
  write_page_cursor(out, "nextAfter", records, static_cast<std::size_t>(limit),
                    [](const core::ChargePointRecord& record) { return record.id; });
  out.end_object();
  return json_response(200, out.str());
}

HttpResponse get_charge_point(ApiContext& context, const RouteRequest& request) {
  return json_response(200, charge_point_json(context, request.param("id")));
}

HttpResponse update_charge_point(ApiContext& context, const RouteRequest& request) {
  const std::string& id = request.param("id");
  const auto body = parse_object(request.http.body);
  static const char* const allowed[] = {"id",       "password",           "securityProfile",
                                        "location", "registrationStatus", nullptr};
  reject_unknown_fields(body, allowed);
  if (auto body_id = string_field(body, "id"); body_id && *body_id != id)
    throw bad_request("id cannot be changed");
  core::ChargePointUpdate update;
  if (is_null(body, "password")) {
    update.clear_password = true;
  } else if (auto password = string_field(body, "password")) {
    update.password = *password;
  }
  if (auto profile = integer_field(body, "securityProfile"))
    update.security_profile = security_profile_from(*profile);
  if (is_null(body, "location")) {
    update.clear_location = true;
  } else if (const Value* location = object_field(body, "location")) {
    update.location = location_from(*location);
  }
  if (auto status = string_field(body, "registrationStatus")) {
    auto parsed = registration_status_from(*status);
    if (!parsed) throw bad_request("registrationStatus must be Accepted, Pending or Rejected");
    update.registration_status = *parsed;
  }
  if (!context.central.charge_points().update_charge_point(id, update))
    throw not_found("charge point " + id + " is not registered");
  return json_response(200, charge_point_json(context, id));
}

HttpResponse delete_charge_point(ApiContext& context, const RouteRequest& request) {
  const std::string& id = request.param("id");
  if (!context.central.charge_points().remove_charge_point(id))
    throw not_found("charge point " + id + " is not registered");
  return json_response(204, "");
}

HttpResponse charge_point_messages(ApiContext& context, const RouteRequest& request) {
  const std::string& id = request.param("id");
  core::MessagePageRequest page;
  page.before_id = cursor_param(request, "before");
  page.after_id = cursor_param(request, "after");
  page.limit = static_cast<std::size_t>(limit_param(request));
  const auto frames = context.queries.messages(id, page);
  if (frames.empty() && !context.central.charge_points().find(id))
    throw not_found("charge point " + id + " is not registered and has no messages");
  JsonOut out;
  out.begin_object().field("chargePointId", id).begin_array("messages");
  for (const auto& frame : frames) {
    out.begin_object()
        .field("id", frame.id)
        .field("direction", core::to_string(frame.direction))
        .field("frame", frame.frame)
        .field("receivedAt", frame.received_at)
        .end_object();
  }
  out.end_array();
  // The cursor for the next page in the same direction.
  write_page_cursor(out, page.after_id ? "nextAfter" : "nextBefore", frames, page.limit,
                    [](const core::LoggedFrame& frame) { return frame.id; });
  out.end_object();
  return json_response(200, out.str());
}

// ---- id tags

void write_id_tag(JsonOut& out, const core::IdTag& tag) {
  out.begin_object()
      .field("idTag", tag.id_tag)
      .field("status", core::to_string(tag.status))
      .optional("expiryDate", tag.expiry_date)
      .optional("parentIdTag", tag.parent_id_tag)
      .optional("ownerId", tag.owner_id)
      .end_object();
}

std::string id_tag_json(const core::IdTag& tag) {
  JsonOut out;
  write_id_tag(out, tag);
  return out.str();
}

void check_id_tag_text(const std::string& text, const char* field) {
  if (text.empty() || text.size() > 20)
    throw bad_request(std::string(field) + " must be 1..20 characters");
}

// Applies the optional fields of `body` onto `tag`.
void apply_id_tag_fields(const Value& body, core::IdTag& tag) {
  if (auto status = string_field(body, "status")) {
    auto parsed = core::id_tag_status_from_string(*status);
    if (!parsed) throw bad_request("status must be Accepted, Blocked, Expired or Invalid");
    tag.status = *parsed;
  }
  if (is_null(body, "expiryDate")) {
    tag.expiry_date.reset();
  } else if (auto expiry = time_field(body, "expiryDate")) {
    tag.expiry_date = *expiry;
  }
  if (is_null(body, "parentIdTag")) {
    tag.parent_id_tag.reset();
  } else if (auto parent = string_field(body, "parentIdTag")) {
    check_id_tag_text(*parent, "parentIdTag");
    tag.parent_id_tag = *parent;
  }
  // The owner who may put the tag on a vehicle (SPEC §7); null unassigns.
  if (is_null(body, "ownerId")) {
    tag.owner_id.reset();
  } else if (auto owner = integer_field(body, "ownerId")) {
    if (*owner < 1) throw bad_request("ownerId must be an owner's id");
    tag.owner_id = *owner;
  }
}

HttpResponse create_id_tag(ApiContext& context, const RouteRequest& request) {
  const auto body = parse_object(request.http.body);
  static const char* const allowed[] = {"idTag",       "status",  "expiryDate",
                                        "parentIdTag", "ownerId", nullptr};
  reject_unknown_fields(body, allowed);
  core::IdTag tag;
  tag.id_tag = required_string(body, "idTag");
  check_id_tag_text(tag.id_tag, "idTag");
  apply_id_tag_fields(body, tag);
  auto& authorization = context.central.authorization();
  if (authorization.find_id_tag(tag.id_tag)) throw conflict("id tag " + tag.id_tag + " exists");
  authorization.put_id_tag(tag);
  HttpResponse response = json_response(201, id_tag_json(tag));
  response.headers.emplace_back("Location", std::string(kBasePath) + "/idtags/" + tag.id_tag);
  return response;
}

HttpResponse list_id_tags(ApiContext& context, const RouteRequest&) {
  JsonOut out;
  out.begin_object().begin_array("idTags");
  for (const auto& tag : context.central.authorization().list_id_tags()) write_id_tag(out, tag);
  out.end_array().end_object();
  return json_response(200, out.str());
}

HttpResponse get_id_tag(ApiContext& context, const RouteRequest& request) {
  const std::string& id = request.param("idTag");
  auto tag = context.central.authorization().find_id_tag(id);
  if (!tag) throw not_found("id tag " + id + " is unknown");
  return json_response(200, id_tag_json(*tag));
}

HttpResponse update_id_tag(ApiContext& context, const RouteRequest& request) {
  const std::string& id = request.param("idTag");
  const auto body = parse_object(request.http.body);
  static const char* const allowed[] = {"idTag",       "status",  "expiryDate",
                                        "parentIdTag", "ownerId", nullptr};
  reject_unknown_fields(body, allowed);
  if (auto body_id = string_field(body, "idTag"); body_id && *body_id != id)
    throw bad_request("idTag cannot be changed");
  auto& authorization = context.central.authorization();
  auto tag = authorization.find_id_tag(id);
  if (!tag) throw not_found("id tag " + id + " is unknown");
  apply_id_tag_fields(body, *tag);
  authorization.put_id_tag(*tag);
  return json_response(200, id_tag_json(*tag));
}

HttpResponse delete_id_tag(ApiContext& context, const RouteRequest& request) {
  const std::string& id = request.param("idTag");
  if (!context.central.authorization().remove_id_tag(id))
    throw not_found("id tag " + id + " is unknown");
  return json_response(204, "");
}

// ---- transactions

void write_transaction(JsonOut& out, const core::TransactionRecord& t) {
  out.begin_object()
      .field("id", t.id)
      .field("chargePointId", t.charge_point_id)
      .field("connectorId", t.connector_id)
      .field("idTag", t.id_tag)
      .field("meterStart", t.meter_start)
      .field("startTimestamp", t.start_timestamp)
      .optional("reservationId", t.reservation_id)
      .optional("meterStop", t.meter_stop)
      .optional("stopTimestamp", t.stop_timestamp)
      .optional("stopReason", t.stop_reason)
      .optional("stopIdTag", t.stop_id_tag)
      .field("active", !t.stop_timestamp.has_value());
  if (t.meter_stop) {
    out.field("energyWh", static_cast<std::int64_t>(*t.meter_stop) - t.meter_start);
  } else {
    out.null_field("energyWh");
  }
}

HttpResponse list_transactions(ApiContext& context, const RouteRequest& request) {
  const auto charge_point = request.http.query_value("chargePointId");
  const auto before = cursor_param(request, "before");
  if (before && *before > std::numeric_limits<int>::max())
    throw bad_request("before is out of range");
  const auto limit = static_cast<std::size_t>(limit_param(request));
  const auto records = context.central.transactions().list(
      charge_point, before ? std::optional<int>(static_cast<int>(*before)) : std::nullopt, limit);
  JsonOut out;
  out.begin_object().begin_array("transactions");
  for (const auto& record : records) {
    write_transaction(out, record);
    out.end_object();
  }
  out.end_array();
  write_page_cursor(out, "nextBefore", records, limit,
                    [](const core::TransactionRecord& record) { return record.id; });
  out.end_object();
  return json_response(200, out.str());
}

HttpResponse get_transaction(ApiContext& context, const RouteRequest& request) {
  const auto id = parse_integer(request.param("id"));
  if (!id || *id > std::numeric_limits<int>::max())
    throw not_found("transaction " + request.param("id") + " is unknown");
  auto& transactions = context.central.transactions();
  auto record = transactions.find(static_cast<int>(*id));
  if (!record) throw not_found("transaction " + request.param("id") + " is unknown");
  JsonOut out;
  write_transaction(out, *record);
  out.begin_array("meterValues");
  for (const auto& value : transactions.meter_values_of(record->id)) {
    out.begin_object()
        .field("timestamp", value.timestamp)
        .field("connectorId", value.connector_id)
        .field("value", value.sampled.value)
        .optional("context", value.sampled.context)
        .optional("format", value.sampled.format)
        .optional("measurand", value.sampled.measurand)
        .optional("phase", value.sampled.phase)
        .optional("location", value.sampled.location)
        .optional("unit", value.sampled.unit)
        .end_object();
  }
  out.end_array().end_object();
  return json_response(200, out.str());
}

// ---- owners and tokens

HttpResponse create_owner(ApiContext& context, const RouteRequest& request) {
  const auto body = parse_object(request.http.body);
  static const char* const allowed[] = {"name", nullptr};
  reject_unknown_fields(body, allowed);
  const auto created = context.tokens.create_owner(required_string(body, "name"));
  JsonOut out;
  out.begin_object()
      .field("ownerId", created.owner.id)
      .field("name", created.owner.name)
      .field("tokenId", created.token.id)
      .field("token", created.token.token)
      .end_object();
  return json_response(201, out.str());
}

void write_token(JsonOut& out, const core::ApiTokenRecord& token) {
  out.begin_object()
      .field("id", token.id)
      .field("role", core::to_string(token.role))
      .field("name", token.name)
      .optional("ownerId", token.owner_id);
  if (token.vins) out.strings("vins", *token.vins);
  out.field("createdAt", token.created_at).optional("revokedAt", token.revoked_at).end_object();
}

HttpResponse create_token(ApiContext& context, const RouteRequest& request) {
  const auto body = parse_object(request.http.body);
  static const char* const allowed[] = {"role", "name", "vins", nullptr};
  reject_unknown_fields(body, allowed);
  const std::string role_text = required_string(body, "role");
  const auto role = core::api_role_from_string(role_text);
  if (!role || *role == core::ApiRole::Owner)
    throw bad_request("role must be operator or telematics (owners get tokens from POST /owners)");
  // A telematics token scoped to its platform's VINs (SPEC §4.1).
  std::optional<std::vector<std::string>> vins;
  if (auto it = body.FindMember("vins"); it != body.MemberEnd() && !it->value.IsNull()) {
    if (!it->value.IsArray()) throw bad_request("vins must be an array of VINs");
    vins.emplace();
    for (const auto& item : it->value.GetArray()) {
      if (!item.IsString()) throw bad_request("vins must be an array of VINs");
      vins->emplace_back(item.GetString(), item.GetStringLength());
    }
  }
  const auto issued = context.tokens.issue(*role, required_string(body, "name"), vins);
  JsonOut out;
  out.begin_object()
      .field("id", issued.id)
      .field("role", core::to_string(*role))
      .field("token", issued.token)
      .end_object();
  return json_response(201, out.str());
}

HttpResponse list_tokens(ApiContext& context, const RouteRequest&) {
  JsonOut out;
  out.begin_object().begin_array("tokens");
  for (const auto& token : context.tokens.list()) write_token(out, token);
  out.end_array().end_object();
  return json_response(200, out.str());
}

HttpResponse delete_token(ApiContext& context, const RouteRequest& request) {
  const auto id = parse_integer(request.param("id"));
  if (!id || !context.tokens.revoke(*id))
    throw not_found("token " + request.param("id") + " is unknown");
  return json_response(204, "");
}

}  // namespace

std::vector<Route> operator_routes() {
  return {
      {"POST", "/chargepoints", kOperator, create_charge_point},
      {"GET", "/chargepoints", kOperator, list_charge_points},
      {"GET", "/chargepoints/{id}", kOperator, get_charge_point},
      {"PUT", "/chargepoints/{id}", kOperator, update_charge_point},
      {"DELETE", "/chargepoints/{id}", kOperator, delete_charge_point},
      {"GET", "/chargepoints/{id}/messages", kOperator, charge_point_messages},
      {"POST", "/idtags", kOperator, create_id_tag},
      {"GET", "/idtags", kOperator, list_id_tags},
      {"GET", "/idtags/{idTag}", kOperator, get_id_tag},
      {"PUT", "/idtags/{idTag}", kOperator, update_id_tag},
      {"DELETE", "/idtags/{idTag}", kOperator, delete_id_tag},
      {"GET", "/transactions", kOperator, list_transactions},
      {"GET", "/transactions/{id}", kOperator, get_transaction},
      {"POST", "/owners", kOperator, create_owner},
      {"POST", "/tokens", kOperator, create_token},
      {"GET", "/tokens", kOperator, list_tokens},
      {"DELETE", "/tokens/{id}", kOperator, delete_token},
  };
}

}  // namespace chargelock::api
