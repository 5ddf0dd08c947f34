// Charge points: registration (id, password hash, security profile,
// registration status, location), boot information and connection state.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/charge_point.h"
#include "core/timestamp.h"

namespace chargelock::core {

class ChargePointStore {
 public:
  virtual ~ChargePointStore() = default;

  // Returns false (and changes nothing) when the id is already registered.
  virtual bool create(const NewChargePoint& charge_point) = 0;
  // Returns false when the id is unknown.
  virtual bool update(const std::string& id, const ChargePointChange& change) = 0;
  // Deletes the charge point with its connectors, transactions and meter
  // values. Returns false when the id is unknown.
  virtual bool remove(const std::string& id) = 0;

  virtual std::optional<ChargePointRecord> find(const std::string& id) = 0;
  // The charge points of these ids that exist, ordered by id, in one query
  // (the piles a boot storm's group booted).
  virtual std::vector<ChargePointRecord> find_many(const std::vector<std::string>& ids) = 0;
  virtual std::vector<ChargePointRecord> list() = 0;  // ordered by id
  // At most `limit` charge points with an id above `after`, ordered by id.
  virtual std::vector<ChargePointRecord> list_page(const std::string& after, int limit) = 0;
  virtual std::vector<ChargePointAccess> list_access() = 0;
  virtual std::vector<ChargePointPlace> list_places() = 0;  // ordered by id

  // Stores the boot information and marks the pile seen at `at`. Returns
  // false when the id is unknown.
  virtual bool record_boot(const std::string& id, const BootInfo& boot, Timestamp at) = 0;
  // Moves last_seen forward to `at` for each pile (never back); unknown ids
  // are skipped. One statement for the whole list.
  struct SeenAt {
    std::string id;
    Timestamp at;
  };
  virtual void touch_many(const std::vector<SeenAt>& seen) = 0;
  // What set_online found. Tests as `known`.
  struct OnlineMark {
    bool known = false;
    // The pile booted before (a boot is on record) and its registration is
    // Accepted now: a reconnect without a reboot may get commands at once.
    bool accepted_before = false;
    explicit operator bool() const { return known; }
  };
  // Marks the pile online, held by `node` (one statement, also reading
  // accepted_before). `known` is false when the id is unknown.
  virtual OnlineMark set_online(const std::string& id, const std::string& node, Timestamp at) = 0;
  // Marks the pile offline, but only while `node` still holds it (a pile
  // that already reconnected to another node stays online). Returns whether
  // a change was made.
  virtual bool set_offline(const std::string& id, const std::string& node, Timestamp at) = 0;
  // Marks every pile held by `node` offline (a node that starts after a
  // crash holds no connection). Returns how many changed.
  virtual int set_node_offline(const std::string& node, Timestamp at) = 0;

  // The verified-credentials cache (migration 0009). Rows verified at or
  // after `since`.
  virtual std::vector<VerifiedCredential> list_verified_credentials(Timestamp since) = 0;
  // Inserts or replaces each pile's row; rows of unknown piles are skipped.
  // One statement per 1000 rows, rows locked in id order.
  virtual void put_verified_credentials(const std::vector<VerifiedCredential>& credentials) = 0;
};

}  // namespace chargelock::core
