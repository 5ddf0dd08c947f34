#include "core/vehicle_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <stdexcept>

#include "storage/database_error.h"

namespace chargelock::core {

namespace {

constexpr std::size_t kMaxIdentifiers = 50;

std::vector<std::string> checked(const std::vector<std::string>& values, const char* field,
                                 std::size_t max_length) {
  if (values.size() > kMaxIdentifiers)
    throw std::invalid_argument(fmt::format("{}: at most {} entries", field, kMaxIdentifiers));
  std::set<std::string> unique;
  for (const std::string& v : values) {
    if (v.empty() || v.size() > max_length)
      throw std::invalid_argument(
          fmt::format("{}: each entry must be 1 to {} characters", field, max_length));
    unique.insert(v);
  }
  return {unique.begin(), unique.end()};
}

}  // namespace

VehicleService::VehicleService(storage::VehicleStore& vehicles) : vehicles_(vehicles) {}

std::string VehicleService::normalize_vin(const std::string& vin) {
  std::string out = vin;
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

bool VehicleService::valid_vin(const std::string& vin) {
  if (vin.size() != 17) return false;
  return std::all_of(vin.begin(), vin.end(), [](char raw) {
    const char c = static_cast<char>(std::toupper(static_cast<unsigned char>(raw)));
    const bool alnum = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    return alnum && c != 'I' && c != 'O' && c != 'Q';
  });
}

Vehicle VehicleService::register_vehicle(const VehicleRegistration& registration, bool* created) {
  if (!valid_vin(registration.vin))
    throw std::invalid_argument("vin: must be 17 characters of A-Z and 0-9 without I, O and Q");
  storage::NewVehicle vehicle;
  vehicle.vin = normalize_vin(registration.vin);
  vehicle.owner_id = registration.owner_id;
  vehicle.id_tags = checked(registration.id_tags, "idTags", 20);
  vehicle.evcc_ids = checked(registration.evcc_ids, "evccIds", 64);

  // Checked first for a precise message; the store enforces it atomically.
  const auto existing = vehicles_.find(vehicle.vin);
  if (existing && existing->owner_id != registration.owner_id)
    throw ConflictError("vin: " + vehicle.vin + " is registered to another owner");
  auto claimed = [&](const char* kind, const char* field, const std::vector<std::string>& values) {
    for (const std::string& value : values) {
      const auto holder = vehicles_.vin_of({kind, value});
      if (holder && *holder != vehicle.vin)
        throw ConflictError(fmt::format("{}: {} belongs to another vehicle", field, value));
    }
  };
  claimed("idTag", "idTags", vehicle.id_tags);
  claimed("evccId", "evccIds", vehicle.evcc_ids);
  try {
    Vehicle stored = vehicles_.put(vehicle);
    if (created) *created = !existing;
    return stored;
  } catch (const storage::ConflictError& e) {
    throw ConflictError(e.what());
  } catch (const storage::NotFoundError&) {
    throw NotFoundError("unknown owner");
  }
}

std::optional<Vehicle> VehicleService::find(const std::string& vin) {
  return vehicles_.find(normalize_vin(vin));
}

std::vector<Vehicle> VehicleService::list(std::int64_t owner_id) {
  return vehicles_.list_for_owner(owner_id);
}

Vehicle VehicleService::owned(std::int64_t owner_id, const std::string& vin) {
  auto vehicle = find(vin);
  if (!vehicle) throw NotFoundError("no vehicle " + normalize_vin(vin));
  if (vehicle->owner_id != owner_id) throw ForbiddenError("not your vehicle");
  return *vehicle;
}

}  // namespace chargelock::core
