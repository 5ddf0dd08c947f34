#include "simulators/pilesim/lock_watch_list.h"

#include <algorithm>

#include "simulators/pilesim/salted_hash.h"

namespace chargelock::pilesim {
namespace {

// One way the pile can see a vehicle: the identifier as seen, its kind for
// the report, and its compare form (docs/lock-extension.md "Matching
// identifiers").
struct Seen {
  IdentifierKind kind;
  const std::string* value;
  std::string compare_form;
};

// What the pile sees of a vehicle, in the order matches win.
std::vector<Seen> seen_identifiers(const Vehicle& vehicle) {
  std::vector<Seen> seen;
  auto add = [&](IdentifierKind kind, const std::string& value) {
    if (value.empty()) return;
    std::string compare_form = core::match_key(kind, value);
    if (!compare_form.empty()) seen.push_back({kind, &value, std::move(compare_form)});
  };
  add(IdentifierKind::IdTag, vehicle.id_tag);
  add(IdentifierKind::EvccId, vehicle.evcc_id);
  add(IdentifierKind::Vin, vehicle.vin);
  add(IdentifierKind::EvccId, vehicle.id_tag);  // Autocharge: the EV's MAC as id tag
  add(IdentifierKind::Vin, vehicle.id_tag);     // GB/T VIN charging: the VIN as id tag
  return seen;
}

bool contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// Whether a clear lock names `seen`, both in compare form.
bool names_in_clear(const LockEntry& entry, const Seen& seen) {
  auto same = [&](const std::string& armed) {
    return core::match_key(seen.kind, armed) == seen.compare_form;
  };
  switch (seen.kind) {
    case IdentifierKind::IdTag:
      return std::any_of(entry.id_tags.begin(), entry.id_tags.end(), same);
    case IdentifierKind::EvccId:
      return std::any_of(entry.evcc_ids.begin(), entry.evcc_ids.end(), same);
    case IdentifierKind::Vin:
      return !entry.vin.empty() && same(entry.vin);
  }
  return false;
}

// Whether a hashed lock names `seen`: its salted hash is among the lock's.
bool names_by_hash(const HashedIdentifiers& hashed, const Seen& seen) {
  const std::string hash = salted_sha256_hex(hashed.salt, seen.compare_form);
  switch (seen.kind) {
    case IdentifierKind::IdTag:
      return contains(hashed.id_tag_hashes, hash);
    case IdentifierKind::EvccId:
      return contains(hashed.evcc_id_hashes, hash);
    case IdentifierKind::Vin:
      return hashed.vin_hash == hash;
  }
  return false;
}

std::optional<LockMatch> match_entry(const LockEntry& entry, const std::vector<Seen>& seen) {
  for (const auto& identifier : seen) {
    const bool named =
        entry.hashed ? names_by_hash(*entry.hashed, identifier) : names_in_clear(entry, identifier);
    if (named) return LockMatch{entry.lock_id, identifier.kind, *identifier.value};
  }
  return std::nullopt;
}

}  // namespace

bool LockWatchList::arm(LockEntry entry) {
  for (auto& existing : entries_) {
    if (existing.lock_id == entry.lock_id) {
      existing = std::move(entry);
      return false;
    }
  }
  entries_.push_back(std::move(entry));
  return true;
}

bool LockWatchList::disarm(std::string_view lock_id) {
  const auto it = std::find_if(entries_.begin(), entries_.end(),
                               [&](const LockEntry& e) { return e.lock_id == lock_id; });
  if (it == entries_.end()) return false;
  entries_.erase(it);
  return true;
}

bool LockWatchList::armed(std::string_view lock_id) const {
  return std::any_of(entries_.begin(), entries_.end(),
                     [&](const LockEntry& e) { return e.lock_id == lock_id; });
}

std::optional<LockMatch> LockWatchList::match(const Vehicle& vehicle) const {
  const std::vector<Seen> seen = seen_identifiers(vehicle);
  for (const auto& entry : entries_) {
    if (auto found = match_entry(entry, seen)) return found;
  }
  return std::nullopt;
}

std::optional<LockMatch> LockWatchList::match(const Vehicle& vehicle,
                                              std::string_view lock_id) const {
  for (const auto& entry : entries_) {
    if (entry.lock_id == lock_id) return match_entry(entry, seen_identifiers(vehicle));
  }
  return std::nullopt;
}

}  // namespace chargelock::pilesim
