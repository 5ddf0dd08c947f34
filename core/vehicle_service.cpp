#include "core/vehicle_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <stdexcept>

#include "core/domain_errors.h"
#include "core/vehicle_identity.h"

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
    for (const char c : v)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
        throw std::invalid_argument(fmt::format("{}: control characters are not allowed", field));
    unique.insert(v);
  }
  return {unique.begin(), unique.end()};
}

// What the owner may see of a claim: the state and position only once the
// vehicle is verified theirs (a squatter's claim must not track the car).
Vehicle as_seen_by_owner(Vehicle vehicle) {
  if (!vehicle.verified) {
    vehicle.state.reset();
    vehicle.low_battery_prompted_at.reset();
  }
  return vehicle;
}

}  // namespace

VehicleService::VehicleService(VehicleStore& vehicles, IdTagStore& id_tags, LockStore& locks,
                               VehicleLimits limits)
    : vehicles_(vehicles), id_tags_(id_tags), locks_(locks), limits_(limits) {}

std::string VehicleService::normalize_vin(const std::string& vin) {
  return match_key(IdentifierKind::Vin, vin);
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
  NewVehicle vehicle;
  vehicle.vin = normalize_vin(registration.vin);
  vehicle.owner_id = registration.owner_id;
  const auto id_tags = checked(registration.id_tags, "idTags", 20);
  const auto evcc_ids = checked(registration.evcc_ids, "evccIds", 64);

  // An RFID card is the operator's to hand out: a tag assigned to nobody
  // or to someone else would let this owner get it Blocked network-wide.
  for (const std::string& tag : id_tags) {
    const auto assigned = id_tags_.find(tag);
    if (!assigned || assigned->owner_id != registration.owner_id)
      throw ForbiddenError(fmt::format(
          "idTags: {} is not assigned to you; an operator assigns id tags to owners", tag));
    vehicle.identifiers.push_back({"idTag", tag, match_key(IdentifierKind::IdTag, tag)});
  }
  std::set<std::string> evcc_keys;
  for (const std::string& id : evcc_ids) {
    const std::string key = evcc_match_key(id);
    if (key.empty()) throw std::invalid_argument("evccIds: " + id + " names no EVCC id");
    if (!evcc_keys.insert(key).second)
      throw std::invalid_argument("evccIds: " + id + " is listed twice (in another form)");
    vehicle.identifiers.push_back({"evccId", id, key});
  }

  const auto existing = vehicles_.find_registration(vehicle.vin, registration.owner_id);
  if (!existing && static_cast<int>(vehicles_.list_for_owner(registration.owner_id).size()) >=
                       limits_.vehicles_per_owner)
    throw LimitError(fmt::format("at most {} vehicles per owner", limits_.vehicles_per_owner));
  try {
    Vehicle stored = vehicles_.put(vehicle);
    if (created) *created = !existing;
    return as_seen_by_owner(std::move(stored));
  } catch (const RowConflictError& e) {
    throw ConflictError(e.what());
  } catch (const RowNotFoundError&) {
    throw NotFoundError("unknown owner");
  }
}

std::optional<Vehicle> VehicleService::find(const std::string& vin) {
  return vehicles_.find(normalize_vin(vin));
}

std::vector<Vehicle> VehicleService::registrations(const std::string& vin) {
  return vehicles_.registrations(normalize_vin(vin));
}

std::vector<Vehicle> VehicleService::list(std::int64_t owner_id) {
  std::vector<Vehicle> out;
  for (Vehicle& v : vehicles_.list_for_owner(owner_id)) out.push_back(as_seen_by_owner(v));
  return out;
}

Vehicle VehicleService::owned(std::int64_t owner_id, const std::string& vin) {
  const std::string normalized = normalize_vin(vin);
  auto vehicle = vehicles_.find_registration(normalized, owner_id);
  if (vehicle) return as_seen_by_owner(std::move(*vehicle));
  if (vehicles_.known(normalized)) throw ForbiddenError("not your vehicle");
  throw NotFoundError("no vehicle " + normalized);
}

Vehicle VehicleService::verify(const std::string& vin, std::optional<std::int64_t> owner_id,
                               const Verifier& verifier) {
  const std::string normalized = normalize_vin(vin);
  if (verifier.vins &&
      std::none_of(verifier.vins->begin(), verifier.vins->end(),
                   [&](const std::string& v) { return normalize_vin(v) == normalized; }))
    throw ForbiddenError("vehicle " + normalized + " is not one of this platform's VINs");
  const auto claims = vehicles_.registrations(normalized);
  if (claims.empty()) throw NotFoundError("no vehicle " + normalized);
  std::int64_t chosen = 0;
  if (owner_id) {
    chosen = *owner_id;
  } else if (claims.size() == 1) {
    chosen = claims.front().owner_id;
  } else {
    throw ConflictError(
        fmt::format("{} owners claim vehicle {}: name the one to verify with ownerId",
                    claims.size(), normalized));
  }
  try {
    return vehicles_.verify(normalized, chosen, verifier.name);
  } catch (const RowNotFoundError& e) {
    throw NotFoundError(e.what());
  } catch (const RowConflictError& e) {
    throw ConflictError(e.what());
  }
}

void VehicleService::remove(std::int64_t owner_id, const std::string& vin) {
  const Vehicle vehicle = owned(owner_id, vin);
  if (const auto lock = locks_.active_for_vehicle(vehicle.vin); lock && lock->owner_id == owner_id)
    throw ConflictError("lock " + lock->id + " of this vehicle is active; release it first");
  vehicles_.remove_registration(vehicle.vin, owner_id);
}

}  // namespace chargelock::core
