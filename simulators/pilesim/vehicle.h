// A simulated electric vehicle: what a pile can learn about it when it plugs
// in (RFID id tag, ISO 15118 EVCC id, VIN) and how it charges.
#pragma once

#include <string>

namespace chargelock::pilesim {

struct Vehicle {
  std::string id_tag;          // RFID card / app token the driver uses; may be empty
  std::string evcc_id;         // ISO 15118 EVCC id (plug & charge); may be empty
  std::string vin;             // vehicle identification number; may be empty
  double soc_percent = 40.0;   // state of charge when it plugs in
  double capacity_kwh = 60.0;  // usable battery capacity
  double max_power_kw = 11.0;  // what the on-board charger accepts

  // The identifier the pile authorizes with: the id tag, else the EVCC id,
  // else the VIN, cut to the 20 characters OCPP 1.6 allows for an idToken.
  std::string auth_id() const {
    const std::string& id = !id_tag.empty() ? id_tag : !evcc_id.empty() ? evcc_id : vin;
    return id.substr(0, 20);
  }
};

}  // namespace chargelock::pilesim
