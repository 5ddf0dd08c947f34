// What the console's pages learn from the server beyond the REST API: the
// map tile URL (--map-tile-url). Without one the maps are drawn offline; with
// one, the pages' Content-Security-Policy lets images come from its origin.
// Pure; any thread.
#pragma once

#include <string>
#include <string_view>

namespace chargelock::api {

// The URL as given when it is an http(s) URL (base::parse_url's rules) with
// {z}, {x} and {y} in it; std::invalid_argument saying what is wrong
// otherwise.
std::string checked_map_tile_url(std::string_view text);

// "https://tiles.example.org" (with a port if not the default) for a checked
// tile URL; empty for none.
std::string map_tile_origin(const std::string& tile_url);

// GET /console/settings.json: {"mapTileUrl": "…" | null}.
std::string console_settings_json(const std::string& tile_url);

}  // namespace chargelock::api
