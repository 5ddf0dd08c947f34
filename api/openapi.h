// The OpenAPI 3 document of the REST API (docs/openapi.json), compiled into
// the binary and served at GET /api/v1/openapi.json.
#pragma once

#include <string_view>

namespace chargelock::api {

std::string_view openapi_document();

}  // namespace chargelock::api
