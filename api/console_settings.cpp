#include "api/console_settings.h"

#include <stdexcept>

#include "api/json_util.h"
#include "base/url.h"

namespace chargelock::api {

namespace {

// The placeholders are not URL characters parse_url minds, but a test value
// keeps the check on the URL the browser will ask for.
std::string with_sample_tile(std::string text) {
  for (const auto& [placeholder, sample] :
       {std::pair<std::string_view, std::string_view>{"{z}", "1"}, {"{x}", "0"}, {"{y}", "0"}}) {
    const auto at = text.find(placeholder);
    if (at == std::string::npos)
      throw std::invalid_argument("the tile URL needs " + std::string(placeholder));
    text.replace(at, placeholder.size(), sample);
  }
  return text;
}

}  // namespace

std::string checked_map_tile_url(std::string_view text) {
  const base::Url url = base::parse_url(with_sample_tile(std::string(text)));
  if (url.scheme != "http" && url.scheme != "https")
    throw std::invalid_argument("the tile URL must be http or https");
  return std::string(text);
}

std::string map_tile_origin(const std::string& tile_url) {
  if (tile_url.empty()) return "";
  const base::Url url = base::parse_url(with_sample_tile(tile_url));
  return url.scheme + "://" + url.authority();
}

std::string console_settings_json(const std::string& tile_url) {
  JsonOut out;
  out.begin_object();
  if (tile_url.empty())
    out.null_field("mapTileUrl");
  else
    out.field("mapTileUrl", tile_url);
  out.end_object();
  return out.str();
}

}  // namespace chargelock::api
