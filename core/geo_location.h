// A point on the earth (WGS 84), as piles, vehicles and lock scopes give it.
#pragma once

namespace chargelock::core {

struct GeoLocation {
  double latitude = 0;   // degrees, -90..90
  double longitude = 0;  // degrees, -180..180
};

}  // namespace chargelock::core
