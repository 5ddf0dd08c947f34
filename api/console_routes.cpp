// The console's pages and assets: GET / (operator console), GET /owner (the
// owner page), GET /console/{file} (their CSS and JavaScript modules, and
// schema-ACTION.json: the OCPP 1.6 request schemas the command forms are
// built from), GET /console/settings.json (the map tile URL). No
// token: the files hold no data; every figure on the pages comes from the
// REST API with the token the person signs in with. The Content Security
// Policy allows this origin only (no inline script, no CDN, no frames).
#include "api/console_files.h"
#include "api/console_settings.h"
#include "api/router.h"

namespace chargelock::api {

namespace {

std::string content_type(std::string_view name) {
  const auto ends_with = [name](std::string_view suffix) {
    return name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix;
  };
  if (ends_with(".html")) return "text/html; charset=utf-8";
  if (ends_with(".css")) return "text/css; charset=utf-8";
  if (ends_with(".js")) return "text/javascript; charset=utf-8";
  if (ends_with(".svg")) return "image/svg+xml";
  if (ends_with(".json")) return "application/json";
  return "application/octet-stream";
}

// Images from this origin, data: URLs and, when configured, the map tiles' origin.
std::string content_security_policy(const ApiContext& context) {
  const std::string tiles = map_tile_origin(context.map_tile_url);
  return "default-src 'self'; img-src 'self' data:" + (tiles.empty() ? "" : " " + tiles) +
         "; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; "
         "base-uri 'none'; form-action 'self'";
}

HttpResponse file_response(const ApiContext& context, std::string_view name) {
  for (const ConsoleFile& file : console_files()) {
    if (file.name != name) continue;
    HttpResponse response;
    response.body = std::string(file.body);
    response.content_type = content_type(name);
    response.headers = {
        {"Content-Security-Policy", content_security_policy(context)},
        {"X-Content-Type-Options", "nosniff"},
        {"Referrer-Policy", "no-referrer"},
        {"Cache-Control", "no-cache"},
    };
    return response;
  }
  return error_response(404, "no such console file: " + std::string(name));
}

HttpResponse get_operator_console(ApiContext& context, const RouteRequest&) {
  return file_response(context, "index.html");
}

HttpResponse get_owner_page(ApiContext& context, const RouteRequest&) {
  return file_response(context, "owner.html");
}

HttpResponse get_console_settings(ApiContext& context, const RouteRequest&) {
  return json_response(200, console_settings_json(context.map_tile_url));
}

HttpResponse get_console_file(ApiContext& context, const RouteRequest& request) {
  const std::string& name = request.param("file");
  if (name.find(".html") != std::string::npos)  // pages have their own paths
    return error_response(404, "no such console file: " + name);
  return file_response(context, name);
}

}  // namespace

std::vector<Route> console_routes() {
  return {
      {"GET", "/", kPublic, get_operator_console},
      {"GET", "/owner", kPublic, get_owner_page},
      {"GET", "/console/settings.json", kPublic, get_console_settings},  // before {file}
      {"GET", "/console/{file}", kPublic, get_console_file},
  };
}

}  // namespace chargelock::api
