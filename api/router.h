// The REST API's routes: a static table of (method, path pattern, roles,
// handler), matched against /api/v1 paths. Each part of the API registers
// its table (operator_routes.cpp, command_routes.cpp, ...) in routes().
//
// Threading: dispatch() runs on a worker thread (it authenticates against
// the database and calls core services).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "api/http_server.h"
#include "core/central_system.h"
#include "core/metrics_registry.h"
#include "core/operator_queries.h"
#include "core/rate_limiter.h"
#include "core/token_service.h"

namespace chargelock::api {

constexpr const char* kBasePath = "/api/v1";

class NotificationStreams;

// What handlers may use.
struct ApiContext {
  core::CentralSystem& central;
  core::TokenService& tokens;
  core::OperatorQueries& queries;
  NotificationStreams* streams;     // GET /notifications/stream; null: not offered
  core::RateLimiter* rate_limiter;  // requests per token; null: unlimited
  // Owners' webhook URLs may name non-public addresses (--webhook-allow-private).
  bool webhook_allow_private = false;
  const core::MetricsRegistry* metrics = nullptr;  // GET /metrics; null: not offered
  // The console's map tiles, checked by checked_map_tile_url(); empty: none.
  std::string map_tile_url;
};

struct RouteRequest {
  const HttpRequest& http;
  std::map<std::string, std::string> params;  // {name} segments of the pattern
  core::Principal principal;                  // the caller (empty for public routes)

  const std::string& param(const std::string& name) const { return params.at(name); }
};

using RouteHandler = HttpResponse (*)(ApiContext&, const RouteRequest&);

// Roles allowed on a route (bit mask); kPublic needs no token.
enum RoleMask : unsigned {
  kPublic = 0,
  kOperator = 1u << 0,
  kOwner = 1u << 1,
  kTelematics = 1u << 2,
};

struct Route {
  const char* method;   // "GET", "POST", ...
  const char* pattern;  // below kBasePath, e.g. "/chargepoints/{id}" (OpenAPI syntax);
                        // from the root for root_routes()
  unsigned roles;       // RoleMask bits
  RouteHandler handler;
};

// Every route of the API (below kBasePath).
const std::vector<Route>& routes();
// Routes outside kBasePath: GET /metrics, the console's pages and files.
const std::vector<Route>& root_routes();
std::vector<Route> metrics_routes();
std::vector<Route> console_routes();
// The parts (one per source file).
std::vector<Route> operator_routes();
std::vector<Route> command_routes();
std::vector<Route> document_routes();
std::vector<Route> owner_routes();
std::vector<Route> telematics_routes();
std::vector<Route> webhook_routes();

// Authenticates, routes and runs a request; never throws. Errors become
// {"error": "..."} with 400/401/403/404/405/409/429/500/503 (429 with
// Retry-After for a token over its request rate; the core's
// ConflictError → 409, ForbiddenError → 403, NotFoundError → 404,
// std::invalid_argument → 400).
HttpResponse dispatch(ApiContext& context, const HttpRequest& request);

std::vector<Route> lock_routes();

// Helpers for handlers.
HttpResponse json_response(int status, std::string body);
HttpResponse error_response(int status, const std::string& message);
// The caller's owner id (owner role); ApiError 403 for a token of no owner.
std::int64_t owner_of(const RouteRequest& request);
// Whose notifications (and webhook) the caller reads: an owner's own, or
// the operators' inbox (core::kOperatorsInbox) for the operator role.
std::int64_t inbox_of(const RouteRequest& request);
bool is_operator(const RouteRequest& request);
// The "limit" query parameter of a paged list: 1..1000 (ApiError 400
// otherwise), `fallback` when absent.
int limit_param(const RouteRequest& request, int fallback = 100);

}  // namespace chargelock::api
