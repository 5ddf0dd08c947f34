// Telematics ingest (SPEC §5, issue 4): the vehicle cloud platform reports
// state of charge and position; below the threshold the owner gets one
// low-battery prompt (core/telematics_service.h).
#include "api/api_error.h"
#include "api/json_util.h"
#include "api/router.h"
#include "core/vehicle_service.h"

namespace chargelock::api {

namespace {

HttpResponse report_status(ApiContext& context, const RouteRequest& request) {
  const auto body = parse_object(request.http.body);
  static const char* const allowed[] = {"vin", "soc", "lat", "lon", "timestamp", nullptr};
  reject_unknown_fields(body, allowed);
  core::TelematicsStatus status;
  status.vin = required_string(body, "vin");
  if (!core::VehicleService::valid_vin(status.vin))
    throw bad_request("vin must be 17 characters of A-Z and 0-9 without I, O and Q");
  const auto soc = number_field(body, "soc");
  if (!soc) throw bad_request("soc is required");
  if (*soc < 0 || *soc > 100) throw bad_request("soc must be from 0 to 100 (percent)");
  status.soc = *soc;
  const auto lat = number_field(body, "lat");
  const auto lon = number_field(body, "lon");
  if (lat.has_value() != lon.has_value()) throw bad_request("lat and lon go together");
  if (lat) {
    if (*lat < -90 || *lat > 90) throw bad_request("lat must be between -90 and 90");
    if (*lon < -180 || *lon > 180) throw bad_request("lon must be between -180 and 180");
    core::GeoLocation location;
    location.latitude = *lat;
    location.longitude = *lon;
    status.location = location;
  }
  const auto timestamp = time_field(body, "timestamp");
  if (!timestamp) throw bad_request("timestamp is required (RFC 3339)");
  status.timestamp = *timestamp;
  status.platform_vins = request.principal.vins;

  const auto result = context.central.telematics().report(status);
  JsonOut out;
  out.begin_object()
      .field("vin", core::VehicleService::normalize_vin(status.vin))
      .field("stored", result.stored)  // false: older than the stored report
      .field("lowBatteryPrompt", result.prompted)
      .end_object();
  return json_response(202, out.str());
}

}  // namespace

std::vector<Route> telematics_routes() {
  return {
      {"POST", "/telematics/status", kTelematics, report_status},
  };
}

}  // namespace chargelock::api
