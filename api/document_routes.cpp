// The API describing itself: GET /openapi.json (public, no token needed).
#include "api/openapi.h"
#include "api/router.h"

namespace chargelock::api {

namespace {

HttpResponse get_openapi(ApiContext&, const RouteRequest&) {
  return json_response(200, std::string(openapi_document()));
}

}  // namespace

std::vector<Route> document_routes() {
  return {
      {"GET", "/openapi.json", kPublic, get_openapi},
  };
}

}  // namespace chargelock::api
