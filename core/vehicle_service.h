// Owners' vehicles (SPEC §4.1, §5): an owner's registration of a VIN with the
// identifiers a pile may see (id tags, EVCC ids) is a claim until it is
// verified, by an operator or by the vehicle's telematics platform. Several
// owners may claim one VIN (a squatter cannot block the real owner); the
// verification decides whose it is, and only a verified vehicle can be
// locked, gets low-battery prompts, and shows its position to its owner.
// Id tags are the operator's to hand out: an owner may put on a vehicle
// only tags assigned to them (POST /idtags {"ownerId"}).
//
// Threading: called on worker threads; blocks on the database.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/domain_errors.h"
#include "core/stores/id_tag_store.h"
#include "core/stores/lock_store.h"
#include "core/stores/vehicle_store.h"

namespace chargelock::core {

struct VehicleRegistration {
  std::int64_t owner_id = 0;
  std::string vin;
  std::vector<std::string> id_tags;   // 1..20 characters each (OCPP IdToken)
  std::vector<std::string> evcc_ids;  // 1..64 characters each
};

// Who confirms a binding, and what they may confirm.
struct Verifier {
  std::string name;  // "operator:<token name>" / "telematics:<token name>"
  // A telematics platform's VINs; none for an operator (every VIN).
  std::optional<std::vector<std::string>> vins;
};

struct VehicleLimits {
  int vehicles_per_owner = 20;
};

class VehicleService {
 public:
  VehicleService(VehicleStore& vehicles, IdTagStore& id_tags, LockStore& locks,
                 VehicleLimits limits = {});

  // 17 characters of A-Z and 0-9 except I, O and Q (case-insensitive).
  static bool valid_vin(const std::string& vin);
  // Upper case.
  static std::string normalize_vin(const std::string& vin);

  // Registers the owner's claim of the VIN, or replaces its identifiers
  // (`created` tells which). Throws std::invalid_argument (what() names the
  // field) for a bad VIN or identifier; ForbiddenError naming an id tag not
  // assigned to the owner; ConflictError for an identifier on another of
  // the owner's vehicles; LimitError past vehicles_per_owner; NotFoundError
  // for an unknown owner.
  Vehicle register_vehicle(const VehicleRegistration& registration, bool* created = nullptr);

  // The vehicle's verified registration.
  std::optional<Vehicle> find(const std::string& vin);
  // Every claim of the VIN (operators decide between them).
  std::vector<Vehicle> registrations(const std::string& vin);
  // The owner's registrations; the position and state of charge only of
  // the verified ones.
  std::vector<Vehicle> list(std::int64_t owner_id);
  // The owner's registration: NotFoundError when nobody registered the
  // VIN, ForbiddenError when only other owners did.
  Vehicle owned(std::int64_t owner_id, const std::string& vin);
  // Binds the VIN to `owner_id`'s claim (or to the only claim, when none is
  // named). NotFoundError: no such claim; ConflictError: several claims and
  // none named, or an identifier on another verified vehicle;
  // ForbiddenError: a telematics platform confirming a VIN not its own.
  Vehicle verify(const std::string& vin, std::optional<std::int64_t> owner_id,
                 const Verifier& verifier);
  // Deletes the owner's registration. ConflictError while the owner's lock
  // of it is active (release it first); the lock's evidence stays.
  void remove(std::int64_t owner_id, const std::string& vin);

 private:
  VehicleStore& vehicles_;
  IdTagStore& id_tags_;
  LockStore& locks_;
  VehicleLimits limits_;
};

}  // namespace chargelock::core
