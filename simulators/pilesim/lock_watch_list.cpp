#include "simulators/pilesim/lock_watch_list.h"

#include <algorithm>
#include <cctype>

namespace chargelock::pilesim {
namespace {

bool same_identifier(std::string_view a, std::string_view b) {
  return !a.empty() && a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) ==
                  std::toupper(static_cast<unsigned char>(y));
         });
}

bool contains(const std::vector<std::string>& list, std::string_view value) {
  return std::any_of(list.begin(), list.end(),
                     [&](const std::string& item) { return same_identifier(item, value); });
}

}  // namespace

std::string_view wire_name(IdentifierKind kind) {
  switch (kind) {
    case IdentifierKind::IdTag:
      return "idTag";
    case IdentifierKind::EvccId:
      return "evccId";
    case IdentifierKind::Vin:
      return "vin";
  }
  return "vin";
}

void LockWatchList::arm(LockEntry entry) {
  for (auto& existing : entries_) {
    if (existing.lock_id == entry.lock_id) {
      existing = std::move(entry);
      return;
    }
  }
  entries_.push_back(std::move(entry));
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
  for (const auto& entry : entries_) {
    if (!vehicle.id_tag.empty() && contains(entry.id_tags, vehicle.id_tag)) {
      return LockMatch{entry.lock_id, IdentifierKind::IdTag, vehicle.id_tag};
    }
    if (!vehicle.evcc_id.empty() && contains(entry.evcc_ids, vehicle.evcc_id)) {
      return LockMatch{entry.lock_id, IdentifierKind::EvccId, vehicle.evcc_id};
    }
    if (same_identifier(entry.vin, vehicle.vin)) {
      return LockMatch{entry.lock_id, IdentifierKind::Vin, vehicle.vin};
    }
  }
  return std::nullopt;
}

}  // namespace chargelock::pilesim
