#include "api/router.h"

#include <fmt/format.h>

#include <cctype>
#include <cstdio>

#include "api/api_error.h"
#include "api/bearer_token.h"
#include "api/json_util.h"
#include "api/request_text.h"
#include "core/command_service.h"
#include "core/domain_errors.h"
#include "core/lock_service.h"
#include "core/log.h"
#include "core/rate_limiter.h"

namespace chargelock::api {

namespace {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t slash = path.find('/', start);
    const std::size_t end = slash == std::string::npos ? path.size() : slash;
    if (end > start) segments.push_back(path.substr(start, end - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return segments;
}

bool match(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
           std::map<std::string, std::string>& params) {
  if (pattern.size() != path.size()) return false;
  std::map<std::string, std::string> found;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const std::string& p = pattern[i];
    if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
      found[p.substr(1, p.size() - 2)] = path[i];
    } else if (p != path[i]) {
      return false;
    }
  }
  params = std::move(found);
  return true;
}

unsigned role_bit(core::ApiRole role) {
  switch (role) {
    case core::ApiRole::Operator:
      return kOperator;
    case core::ApiRole::Owner:
      return kOwner;
    case core::ApiRole::Telematics:
      return kTelematics;
  }
  return 0;
}

std::optional<std::string> request_bearer_token(const HttpRequest& request) {
  auto header = request.header("authorization");
  if (!header) return std::nullopt;
  return bearer_token(std::string_view(*header));
}

HttpResponse unauthorized(const std::string& message) {
  HttpResponse response = error_response(401, message);
  response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"ChargeLock\"");
  return response;
}

}  // namespace

std::int64_t owner_of(const RouteRequest& request) {
  if (!request.principal.owner_id) throw ApiError(403, "this token belongs to no owner");
  return *request.principal.owner_id;
}

int limit_param(const RouteRequest& request, int fallback) {
  auto text = request.http.query_value("limit");
  if (!text) return fallback;
  auto value = parse_integer(*text);
  if (!value || *value < 1 || *value > 1000)
    throw bad_request("limit must be an integer from 1 to 1000");
  return static_cast<int>(*value);
}

bool is_operator(const RouteRequest& request) {
  return request.principal.role == core::ApiRole::Operator;
}

std::int64_t inbox_of(const RouteRequest& request) {
  return is_operator(request) ? core::kOperatorsInbox : owner_of(request);
}

HttpResponse json_response(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

HttpResponse error_response(int status, const std::string& message) {
  return json_response(status, error_body(message));
}

const std::vector<Route>& routes() {
  static const std::vector<Route> all = [] {
    std::vector<Route> out;
    for (auto part : {document_routes(), operator_routes(), command_routes(), owner_routes(),
                      lock_routes(), telematics_routes(), webhook_routes()})
      out.insert(out.end(), part.begin(), part.end());
    return out;
  }();
  return all;
}

const std::vector<Route>& root_routes() {
  static const std::vector<Route> all = [] {
    std::vector<Route> out = metrics_routes();
    for (const Route& route : console_routes()) out.push_back(route);
    return out;
  }();
  return all;
}

HttpResponse dispatch(ApiContext& context, const HttpRequest& request) {
  try {
    const std::string base = kBasePath;
    const bool under_base =
        request.path.compare(0, base.size(), base) == 0 &&
        (request.path.size() == base.size() || request.path[base.size()] == '/');
    const std::vector<Route>& table = under_base ? routes() : root_routes();
    // Decoded bytes that no id can contain are the client's mistake (400),
    // not a database failure.
    if (!acceptable_request_text(request.path))
      return error_response(400, "the path is not valid UTF-8 or contains control characters");
    for (const auto& [name, value] : request.query)
      if (!acceptable_request_text(name) || !acceptable_request_text(value))
        return error_response(400, "the query is not valid UTF-8 or contains control characters");
    // "/chargepoints/" is not "/chargepoints": a trailing slash would hide
    // a cut-off id ("/chargepoints/%00" reaches us as "/chargepoints/").
    if (request.path.size() > base.size() && request.path.back() == '/')
      return error_response(404, "no such endpoint: " + request.path);
    const std::vector<std::string> path =
        split_path(under_base ? request.path.substr(base.size()) : request.path);

    const Route* route = nullptr;
    std::map<std::string, std::string> params;
    std::string allowed;
    for (const Route& candidate : table) {
      std::map<std::string, std::string> candidate_params;
      if (!match(split_path(candidate.pattern), path, candidate_params)) continue;
      if (request.method == candidate.method) {
        route = &candidate;
        params = std::move(candidate_params);
        break;
      }
      if (allowed.find(candidate.method) == std::string::npos)
        allowed += (allowed.empty() ? "" : ", ") + std::string(candidate.method);
    }
    if (route == nullptr) {
      if (allowed.empty() && !under_base)
        return error_response(404, "not found (the API is under " + base + ")");
      if (allowed.empty()) return error_response(404, "no such endpoint: " + request.path);
      HttpResponse response = error_response(
          405, "method " + request.method + " not allowed here (allowed: " + allowed + ")");
      response.headers.emplace_back("Allow", allowed);
      return response;
    }

    RouteRequest route_request{request, std::move(params), {}};
    if (route->roles != kPublic) {
      const auto token = request_bearer_token(request);
      if (!token) return unauthorized("missing bearer token (Authorization: Bearer <token>)");
      auto principal = context.tokens.authenticate(*token);
      if (!principal) return unauthorized("invalid or revoked token");
      if ((role_bit(principal->role) & route->roles) == 0)
        return error_response(403, std::string("the ") + core::to_string(principal->role) +
                                       " role may not use this endpoint");
      if (context.rate_limiter != nullptr) {
        const auto verdict = context.rate_limiter->admit(std::to_string(principal->token_id));
        if (!verdict.admitted) {
          if (verdict.log)
            core::log(core::LogLevel::Warn, "token_rate_exceeded",
                      fmt::format("chargelock: api: token {} ({}) is over its request rate ({}/s, "
                                  "burst {}): answering 429",
                                  principal->token_id, principal->name,
                                  context.rate_limiter->limit().rate,
                                  context.rate_limiter->limit().burst));
          HttpResponse response =
              error_response(429, "too many requests for this token; retry after " +
                                      std::to_string(verdict.retry_after_s) + " s");
          response.headers.emplace_back("Retry-After", std::to_string(verdict.retry_after_s));
          return response;
        }
      }
      route_request.principal = std::move(*principal);
    }
    return route->handler(context, route_request);
  } catch (const ApiError& error) {
    return error_response(error.status(), error.what());
  } catch (const core::InvalidCommand& error) {
    return error_response(400, error.what());
  } catch (const core::ConflictError& error) {
    return error_response(409, error.what());
  } catch (const core::ForbiddenError& error) {
    return error_response(403, error.what());
  } catch (const core::LimitError& error) {
    return error_response(429, error.what());
  } catch (const core::NotFoundError& error) {
    return error_response(404, error.what());
  } catch (const std::invalid_argument& error) {
    return error_response(400, error.what());
  } catch (const core::RowNotFoundError& error) {
    return error_response(404, "not found");
  } catch (const core::RowConflictError& error) {
    return error_response(409, "already exists");
  } catch (const core::DatabaseError& error) {
    core::log(
        core::LogLevel::Error, "api_database_error",
        fmt::format("chargelock: api: {} {}: {}", request.method, request.path, error.what()));
    return error_response(503, "database unavailable");
  } catch (const std::exception& error) {
    core::log(core::LogLevel::Error, "api_failed",
              fmt::format("chargelock: api: {} {} failed: {}", request.method, request.path,
                          error.what()));
    return error_response(500, "internal error");
  }
}

}  // namespace chargelock::api
