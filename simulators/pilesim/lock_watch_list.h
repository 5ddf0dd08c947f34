// The vehicles a pile has been told to hold (ChargeLock lock extension,
// docs/lock-extension.md): each armed lock names a VIN, id tags and EVCC ids
// of one vehicle, in clear (version 1) or as salted hashes (version 2).
//
// Contract:
// - arm() adds a lock, or refreshes the one with the same lock id (the
//   central system re-sends LockVehicle until it is sure the pile has it):
//   the entry is replaced, never duplicated.
// - disarm() removes it; disarming an unknown lock id is harmless.
// - match() compares what the pile sees of a vehicle with every armed lock
//   in the compare forms of docs/lock-extension.md "Matching identifiers"
//   (core/vehicle_identity.h): id tags exactly; EVCC ids without a "VID:"
//   prefix, separators and case; VINs without regard to case. An id tag is
//   also compared as an EVCC id (Autocharge piles authorize with the EV's
//   MAC) and as a VIN (GB/T "VIN charging" piles authorize with the VIN);
//   such a match is reported as the EVCC id or VIN it is. A hashed lock is
//   matched by hashing each compare form with the lock's salt. Empty
//   identifiers never match. The vehicle's id tag wins over its EVCC id
//   over its VIN over the id tag read as EVCC id or VIN; when several locks
//   match, the one armed first wins.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/vehicle_identity.h"
#include "simulators/pilesim/vehicle.h"

namespace chargelock::pilesim {

// The identifier kinds and their wire names ("idTag", "evccId", "vin") are
// the central system's own: one definition for both sides of the wire.
using core::IdentifierKind;

// Version 2 (hashed matching): lower-case hex SHA-256 of `salt` followed by
// each identifier's compare form.
struct HashedIdentifiers {
  std::string salt;
  std::string vin_hash;  // empty: the lock names no VIN
  std::vector<std::string> id_tag_hashes;
  std::vector<std::string> evcc_id_hashes;
};

struct LockEntry {
  std::string lock_id;
  // Version 1: the identifiers in clear, as the central system sent them.
  std::string vin;
  std::vector<std::string> id_tags;
  std::vector<std::string> evcc_ids;
  // Version 2: set instead of the clear identifiers.
  std::optional<HashedIdentifiers> hashed;
};

struct LockMatch {
  std::string lock_id;
  IdentifierKind kind = IdentifierKind::Vin;
  std::string value;  // the identifier the pile saw, in clear
};

class LockWatchList {
 public:
  bool arm(LockEntry entry);              // false when it refreshed an armed lock
  bool disarm(std::string_view lock_id);  // true when it was armed
  bool armed(std::string_view lock_id) const;
  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

  // The first armed lock the vehicle matches.
  std::optional<LockMatch> match(const Vehicle& vehicle) const;
  // Whether the vehicle matches the armed lock `lock_id`.
  std::optional<LockMatch> match(const Vehicle& vehicle, std::string_view lock_id) const;

 private:
  std::vector<LockEntry> entries_;
};

}  // namespace chargelock::pilesim
