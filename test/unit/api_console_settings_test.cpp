// api/console_settings: which map tile URLs the server takes (--map-tile-url),
// the origin the console's Content-Security-Policy then allows, and what the
// pages read from /console/settings.json.
#include <catch2/catch.hpp>
#include <stdexcept>

#include "api/console_settings.h"

using namespace chargelock::api;

TEST_CASE("a tile URL needs http or https and the three placeholders") {
  CHECK(checked_map_tile_url("https://tiles.example.org/{z}/{x}/{y}.png") ==
        "https://tiles.example.org/{z}/{x}/{y}.png");
  CHECK(checked_map_tile_url("http://10.0.0.5:8081/osm/{z}/{x}/{y}.png") ==
        "http://10.0.0.5:8081/osm/{z}/{x}/{y}.png");
  CHECK_THROWS_AS(checked_map_tile_url("https://tiles.example.org/{z}/{x}.png"),
                  std::invalid_argument);
  CHECK_THROWS_AS(checked_map_tile_url("ftp://tiles.example.org/{z}/{x}/{y}.png"),
                  std::invalid_argument);
  CHECK_THROWS_AS(checked_map_tile_url("wss://tiles.example.org/{z}/{x}/{y}.png"),
                  std::invalid_argument);
  CHECK_THROWS_AS(checked_map_tile_url("tiles.example.org/{z}/{x}/{y}.png"), std::invalid_argument);
  CHECK_THROWS_AS(checked_map_tile_url("https://user@tiles.example.org/{z}/{x}/{y}.png"),
                  std::invalid_argument);
}

TEST_CASE("the console may load images from the tile URL's origin only") {
  CHECK(map_tile_origin("") == "");
  CHECK(map_tile_origin("https://tiles.example.org/{z}/{x}/{y}.png") ==
        "https://tiles.example.org");
  CHECK(map_tile_origin("http://10.0.0.5:8081/osm/{z}/{x}/{y}.png") == "http://10.0.0.5:8081");
}

TEST_CASE("the pages read the tile URL, or null, from the settings") {
  CHECK(console_settings_json("") == R"({"mapTileUrl":null})");
  CHECK(console_settings_json("https://t.example.org/{z}/{x}/{y}.png") ==
        R"({"mapTileUrl":"https://t.example.org/{z}/{x}/{y}.png"})");
}
